"""FSDP2 over gloo: SPPO on 2 processes (torchrun) trains exactly like 1 process on the same global batch.

The comparison is deterministic: greedy rollouts with one prompt per ``generate`` call (so each response is
the same whichever rank samples it: batching prompts of different lengths would change the padding, hence
float rounding, and could flip a greedy argmax), a fixed seed, and a cheap deterministic env.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed.checkpoint as dcp
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.models.loading import Critic
from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers.config import parse_config
from reasoning_gym.trainers.distributed import Distributed, resolve_dtype
from reasoning_gym.trainers.sppo import SPPOConfig, train

RUNNER = Path(__file__).with_name("sppo_runner.py")
TOLERANCE = 1e-5


def sppo_args(out_dir, steps=2, resume=False):
    return [
        "--policy.path", str(tiny_model_path("tiny")), "--critic.path", str(tiny_model_path("tiny-qwen2")),
        "--env.id", ENV_ID, "--env.kwargs", "{}", "--prompts_per_step", "4",
        "--actor_optim.mini_batch_size", "2", "--actor_optim.micro_batch_size", "1", "--actor_optim.lr", "1e-3",
        "--critic_optim.mini_batch_size", "4", "--critic_optim.micro_batch_size", "1", "--critic_optim.lr", "1e-3",
        "--rollout.temperature", "0", "--rollout.batch_size", "1", "--rollout.max_new_tokens", "8",
        "--run.steps", str(steps), "--run.save_every", "0", "--run.device", "cpu", "--run.output_dir", str(out_dir),
        *(["--run.resume"] if resume else []),
    ]  # fmt: skip


def read_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def max_abs_diff(a, b):
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 2-step SPPO run on 2 processes (torchrun, FSDP2 over gloo) and on 1 process (in this one)."""
    root = tmp_path_factory.mktemp("fsdp")
    tiny_model_path("tiny"), tiny_model_path("tiny-qwen2")  # build the cache once, before two ranks race for it
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # --standalone: a free rendezvous port, so concurrent test runs on one machine do not collide.
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(RUNNER)]
    proc = subprocess.run([*cmd, *sppo_args(root / "two")], env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    train(parse_config(SPPOConfig, sppo_args(root / "one")))
    return root


@pytest.mark.parametrize("model", ["policy", "critic"])
def test_two_processes_train_like_one(runs, model):
    before = Critic.from_pretrained(str(tiny_model_path("tiny-qwen2"))).state_dict() if model == "critic" else None
    if before is None:
        before = load_file(tiny_model_path("tiny") / "model.safetensors")
    else:  # the saved critic folder holds the inner token-classification model, without the "model." prefix
        before = {k.removeprefix("model."): v for k, v in before.items() if k.startswith("model.")}
    one = load_file(runs / "one" / "checkpoint-2" / model / "model.safetensors")
    two = load_file(runs / "two" / "checkpoint-2" / model / "model.safetensors")
    common = {k: v for k, v in before.items() if not k.startswith("score.")}  # the critic head is new, random
    diff, moved = max_abs_diff(one, two), max_abs_diff({k: one[k] for k in common}, common)
    print(f"{model}: max |2 procs - 1 proc| = {diff:.3g} after 2 steps; max change from init = {moved:.3g}")
    assert diff < TOLERANCE
    assert moved > 100 * TOLERANCE  # the runs trained for real, so the comparison is not vacuous


def test_two_processes_log_the_same_metrics_and_save_loadable_checkpoints(runs):
    from transformers import AutoModelForCausalLM

    one, two = read_metrics(runs / "one"), read_metrics(runs / "two")
    assert [m["step"] for m in two] == [1, 2]
    for a, b in zip(one, two):
        keys = [k for k in a if not k.startswith(("time/", "perf/"))]
        assert {k: b[k] for k in keys} == pytest.approx({k: a[k] for k in keys}, rel=TOLERANCE, abs=1e-6)

    folder = runs / "two" / "checkpoint-2"
    model, info = AutoModelForCausalLM.from_pretrained(folder / "policy", output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert max_abs_diff(model.state_dict(), load_file(folder / "policy" / "model.safetensors")) == 0
    assert type(Critic.from_pretrained(str(folder / "critic")).model).__name__ == "Qwen2ForTokenClassification"
    # The training state is sharded: one file per rank, keyed by parameter name (so any world size can load it).
    assert sorted(p.name for p in (folder / "state").glob("*.distcp")) == ["__0_0.distcp", "__1_0.distcp"]
    keys = dcp.FileSystemReader(str(folder / "state")).read_metadata().state_dict_metadata
    assert "policy.optim.state.lm_head.weight.exp_avg" in keys and "critic.model.model.score.weight" in keys


def test_a_two_process_checkpoint_resumes_on_one_process(runs, tmp_path):
    for name in ("one", "two"):  # on copies, so the other tests see the runs as they were
        shutil.copytree(runs / name, tmp_path / name)
        train(parse_config(SPPOConfig, sppo_args(tmp_path / name, steps=3, resume=True)))
    one, two = (load_file(tmp_path / n / "checkpoint-3" / "policy" / "model.safetensors") for n in ("one", "two"))
    assert max_abs_diff(one, two) < TOLERANCE
    assert [m["step"] for m in read_metrics(tmp_path / "two")] == [1, 2, 3]


def test_single_process_helpers_need_no_process_group():
    dist = Distributed()
    assert not dist.enabled and dist.is_main
    assert dist.shard([1, 2, 3]) == [1, 2, 3] and dist.gather([1, 2]) == [1, 2]
    assert torch.equal(dist.gather_rows(torch.ones(2, 3)), torch.ones(2, 3))
    assert dist.mean_metrics({"a": 1.0}) == {"a": 1.0}
    with dist.unsharded(torch.nn.Linear(2, 2)):
        pass


def test_sharding_rules_and_errors_name_the_fix():
    second = Distributed(rank=1, world_size=2)
    assert second.shard(list(range(6))) == [3, 4, 5]
    assert second.rollout_seed(0, 1) != Distributed(rank=0, world_size=2).rollout_seed(0, 1)
    with pytest.raises(ValueError, match=r"prompts_per_step \(3\) must be divisible .* --nproc_per_node"):
        second.check_divisible(prompts_per_step=3)
    with pytest.raises(ValueError, match="Cannot split 3 rows evenly over 2"):
        second.shard([1, 2, 3])
    assert resolve_dtype("bf16") is torch.bfloat16 and resolve_dtype(None) is None
    with pytest.raises(ValueError, match="use float32, bfloat16"):
        resolve_dtype("int8")
