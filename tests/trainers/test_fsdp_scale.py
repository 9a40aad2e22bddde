"""The scale levers keep the math: offload, token budgets with packing, HSDP and sharded resume, against 1 process.

Every run is deterministic (greedy rollouts, one prompt per generate call, see test_fsdp.py), so a
multi-process run must end with the weights and metrics of the one-process run on the same global batch.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.config import parse_config
from reasoning_gym.trainers.sppo import SPPOConfig, train

RUNNER = Path(__file__).with_name("sppo_runner.py")
TOLERANCE = 1e-5
STEPS, SAVE_EVERY = 4, 2


def args(out, *, steps=2, save_every=0, resume=False):
    return [
        "--policy.path", str(tiny_model_path("tiny")), "--critic.path", str(tiny_model_path("tiny-qwen2")),
        "--env.id", ENV_ID, "--env.kwargs", "{}", "--prompts_per_step", "8",
        "--actor_optim.mini_batch_size", "4", "--actor_optim.micro_batch_size", "1", "--actor_optim.lr", "1e-3",
        "--critic_optim.mini_batch_size", "8", "--critic_optim.micro_batch_size", "1", "--critic_optim.lr", "1e-3",
        "--rollout.temperature", "0", "--rollout.batch_size", "1", "--rollout.max_new_tokens", "8",
        "--run.steps", str(steps), "--run.save_every", str(save_every), "--run.device", "cpu",
        "--run.output_dir", str(out), *(["--run.resume"] if resume else []),
    ]  # fmt: skip


def torchrun(nproc, argv, **popen):
    tiny_model_path("tiny"), tiny_model_path("tiny-qwen2")  # build the cache once, before ranks race for it
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if popen:
        return subprocess.Popen([*cmd, str(RUNNER), *argv], env=env, **popen)
    proc = subprocess.run([*cmd, str(RUNNER), *argv], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"


def rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def assert_same_run(run, reference, step):
    for model in ("policy", "critic"):
        a, b = (load_file(d / f"checkpoint-{step}" / model / "model.safetensors") for d in (run, reference))
        diff = max((a[k] - b[k]).abs().max().item() for k in b)
        assert diff < TOLERANCE, f"{run.name} {model}: max |diff| {diff:.3g}"
    for a, b in zip(rows(run), rows(reference), strict=True):
        keys = [k for k in b if not k.startswith(("time/", "perf/"))]
        assert {k: a[k] for k in keys} == pytest.approx({k: b[k] for k in keys}, rel=TOLERANCE, abs=1e-6)


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "run"
    train(parse_config(SPPOConfig, args(out)))
    return out


VARIANTS = {
    "offload": (2, ["--fsdp.offload"]),
    "token budget, packed": (2, [
        "--actor_optim.max_tokens_per_micro_batch", "64", "--actor_optim.packing",
        "--critic_optim.max_tokens_per_micro_batch", "64", "--critic_optim.packing",
    ]),
    "hsdp 2 x 2": (4, ["--fsdp.replicate", "2"]),
}  # fmt: skip


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_trains_like_one_process(variant, one, tmp_path):
    nproc, flags = VARIANTS[variant]
    out = tmp_path / variant.replace(" ", "-").replace(",", "")
    torchrun(nproc, [*args(out), *flags])
    assert_same_run(out, one, 2)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "run"
    torchrun(2, args(out, steps=STEPS, save_every=SAVE_EVERY))
    return out


def kill_after_checkpoint(out, proc, timeout_s=240.0):
    """SIGKILL the whole torchrun group once checkpoint 2 exists and step 3 was logged (its row must go)."""
    deadline = time.monotonic() + timeout_s
    while not ((out / "checkpoint-2").exists() and '"step": 3' in _text(out / "metrics.jsonl")):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"no kill point in {out} (exit {proc.poll()})")
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _text(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_a_killed_two_process_run_resumes_on_one_and_on_two_processes(straight, tmp_path):
    killed = tmp_path / "killed"
    proc = torchrun(2, args(killed, steps=STEPS, save_every=SAVE_EVERY), start_new_session=True,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    kill_after_checkpoint(killed, proc)
    assert ckpt.latest_checkpoint(killed).name == "checkpoint-2"
    state = killed / "checkpoint-2" / "state"
    assert sorted(p.name for p in state.glob("*.distcp")) == ["__0_0.distcp", "__1_0.distcp"]  # one per rank
    on_one, on_two = tmp_path / "on-one", tmp_path / "on-two"
    shutil.copytree(killed, on_one)
    shutil.copytree(killed, on_two)
    train(parse_config(SPPOConfig, args(on_one, steps=STEPS, save_every=SAVE_EVERY, resume=True)))
    torchrun(2, args(on_two, steps=STEPS, save_every=SAVE_EVERY, resume=True))
    for resumed in (on_one, on_two):
        assert [r["step"] for r in rows(resumed)] == list(range(1, STEPS + 1))  # the killed step-3 row is gone
        assert_same_run(resumed, straight, STEPS)
