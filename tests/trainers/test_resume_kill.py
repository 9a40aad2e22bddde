"""Resuming after ``kill -9``: the metrics of the killed-and-resumed run equal an uninterrupted run's.

SPPO runs for N steps in a subprocess that is killed with SIGKILL (no cleanup of any kind), either after a
checkpoint and a later metrics row were written, or as soon as a checkpoint starts being written. Resuming
with ``--run.resume`` must then drop the rows logged after the checkpoint and produce exactly the rows (all
but wall-clock fields) and weights of a run that was never interrupted.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.metrics import MetricsLogger
from reasoning_gym.trainers.sppo import main

RUNNER = Path(__file__).with_name("sppo_runner.py")
STEPS, SAVE_EVERY = 6, 2  # checkpoints 2, 4 and 6


def sppo_args(out_dir, resume=False):
    return [
        "--policy.path", str(tiny_model_path("tiny")), "--critic.path", str(tiny_model_path("tiny-qwen2")),
        "--env.id", ENV_ID, "--env.kwargs", "{}", "--prompts_per_step", "4",
        "--actor_optim.mini_batch_size", "2", "--actor_optim.micro_batch_size", "2", "--actor_optim.lr", "1e-3",
        "--critic_optim.mini_batch_size", "2", "--critic_optim.micro_batch_size", "2", "--critic_optim.lr", "1e-3",
        "--rollout.temperature", "1.0", "--rollout.max_new_tokens", "8", "--run.seed", "7",
        "--run.steps", str(STEPS), "--run.save_every", str(SAVE_EVERY), "--run.device", "cpu",
        "--run.output_dir", str(out_dir), *(["--run.resume"] if resume else []),
    ]  # fmt: skip


def rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def without_timing(row):
    return {k: v for k, v in row.items() if not k.startswith(("time/", "perf/"))}


def steps_logged(run_dir):
    try:
        return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    except (FileNotFoundError, json.JSONDecodeError):  # not created yet, or a line half written
        return []


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "run"
    assert main(sppo_args(out)) == 0
    return out


def kill_when(out, ready, proc, timeout_s=180.0):
    """Poll until ``ready()``, then SIGKILL the subprocess's whole process group."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"The run ended (code {proc.returncode}) before it could be killed:\n{proc.stderr.read()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"No kill point within {timeout_s} s in {out}")
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["after_a_checkpoint", "while_saving_state", "while_saving_hf_folders"])
def test_kill_9_then_resume_matches_an_uninterrupted_run(tmp_path, straight, moment):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(RUNNER), *sppo_args(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so the kill reaches anything it started
    )
    try:
        if moment == "after_a_checkpoint":  # step 3 is logged but not checkpointed: its row must go
            kill_when(out, lambda: (out / "checkpoint-2").exists() and 3 in steps_logged(out), proc)
        elif moment == "while_saving_state":  # checkpoint-4's sharded state is being written
            kill_when(out, lambda: (out / ".tmp-checkpoint-4").exists(), proc)
        else:  # its Hugging Face folders are being written
            kill_when(out, lambda: (out / ".tmp-checkpoint-4" / "policy").exists(), proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()
    latest = ckpt.latest_checkpoint(out)
    logged = steps_logged(out)
    print(f"{moment}: killed with rows {logged} on disk, latest finished checkpoint {latest.name}")
    assert latest.name in ("checkpoint-2", "checkpoint-4") and max(logged) < STEPS
    if moment == "after_a_checkpoint":
        assert max(logged) > int(latest.name.split("-")[1])  # there are rows past the checkpoint to drop

    assert main(sppo_args(out, resume=True)) == 0
    resumed, reference = rows(out), rows(straight)
    assert [r["step"] for r in resumed] == list(range(1, STEPS + 1))  # one row per step, no duplicates
    assert [without_timing(r) for r in resumed] == [without_timing(r) for r in reference]
    final, expected = (load_file(d / f"checkpoint-{STEPS}" / "policy" / "model.safetensors") for d in (out, straight))
    assert all(torch.equal(final[k], expected[k]) for k in expected)
    assert not list(out.glob(".tmp-checkpoint-*")) and not list(out.glob(".old-checkpoint-*"))


def test_resuming_drops_a_half_written_last_metrics_line(tmp_path):
    lines = [json.dumps({"step": s, "x": s}) for s in (1, 2, 3)]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 4, "x"')
    MetricsLogger(tmp_path, resume_step=2, quiet=True)
    assert rows(tmp_path) == [{"step": 1, "x": 1}, {"step": 2, "x": 2}]
