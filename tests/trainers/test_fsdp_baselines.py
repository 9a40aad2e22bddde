"""FSDP2 over gloo for the baselines: PPO, GRPO, RLOO and ReMax on 2 processes train like 1 process.

They share SPPO's loop (tests/trainers/test_fsdp.py), but each has its own FSDP-relevant path: PPO's
token-level critic update, the group baselines of GRPO and RLOO over gathered episodes, ReMax's extra greedy
rollout. Their advantages vanish under greedy decoding (every response of a group is the same), so they
sample at temperature 1. Two ranks sample their halves of the prompt batch with their own seeds; the
one-process reference samples the same two halves with the same two seeds, so both runs see the same batch.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.rollout import SamplingParams
from reasoning_gym.trainers import get_trainer, remax, steps
from reasoning_gym.trainers.config import parse_config
from reasoning_gym.trainers.distributed import Distributed
from reasoning_gym.trainers.episodes import sample_episodes

RUNNER = Path(__file__).with_name("sppo_runner.py")
TOLERANCE = 1e-5
#: Algorithm -> (prompts per step, actor mini-batch in sequences, models whose weights are compared).
CASES = {
    "ppo": (4, 2, ("policy", "critic")),
    "grpo": (2, 8, ("policy",)),
    "rloo": (2, 10, ("policy",)),
    "remax": (4, 2, ("policy",)),
}


def baseline_args(name, out_dir):
    prompts, mini, _ = CASES[name]
    args = [
        "--policy.path", str(tiny_model_path("tiny")), "--env.id", ENV_ID, "--env.kwargs", "{}",
        "--prompts_per_step", str(prompts), "--actor_optim.mini_batch_size", str(mini),
        "--actor_optim.micro_batch_size", "1", "--actor_optim.lr", "1e-3",
        "--rollout.temperature", "1.0", "--rollout.batch_size", "1", "--rollout.max_new_tokens", "8",
        "--run.steps", "2", "--run.save_every", "0", "--run.device", "cpu", "--run.output_dir", str(out_dir),
    ]  # fmt: skip
    if name == "grpo":
        args += ["--num_generations", "4"]
    if name == "ppo":
        args += ["--critic.path", str(tiny_model_path("tiny")), "--critic_optim.mini_batch_size", "4",
                 "--critic_optim.micro_batch_size", "1", "--critic_optim.lr", "1e-3"]  # fmt: skip
    return args


def two_rank_rollout(run, step, prompts, times, *, n=1, greedy=False):
    """``steps.rollout`` as two ranks would run it: each half of the prompts sampled with that rank's seed."""
    r, half, episodes = run.config.rollout, len(prompts) // 2, []
    for rank, part in enumerate((prompts[:half], prompts[half:])):
        seed = Distributed(rank=rank, world_size=2).rollout_seed(run.config.run.seed, step)
        params = SamplingParams(0.0 if greedy else r.temperature, r.top_p, r.max_new_tokens, n=n, seed=seed)
        part = sample_episodes(run.engine, part, params)
        run.scorer.score(part)
        episodes += part
    return episodes


def read_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def max_abs_diff(a, b):
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_processes_train_like_one(name, tmp_path, monkeypatch):
    tiny_model_path("tiny")  # build the cache once, before two ranks race for it
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(RUNNER), name]
    proc = subprocess.run([*cmd, *baseline_args(name, tmp_path / "two")], env=env, capture_output=True, text=True,
                          timeout=240)  # fmt: skip
    assert proc.returncode == 0, f"torchrun {name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    monkeypatch.setattr(steps, "rollout", two_rank_rollout)
    monkeypatch.setattr(remax, "rollout", two_rank_rollout)
    module = get_trainer(name)
    module.train(parse_config(module.Config, baseline_args(name, tmp_path / "one")))

    one, two = read_metrics(tmp_path / "one"), read_metrics(tmp_path / "two")
    assert [m["step"] for m in two] == [1, 2]
    for a, b in zip(one, two):
        keys = [k for k in a if not k.startswith(("time/", "perf/"))]
        assert {k: b[k] for k in keys} == pytest.approx({k: a[k] for k in keys}, rel=TOLERANCE, abs=TOLERANCE)
    assert any(m["advantage/abs_mean"] > 0 for m in one)  # the batch carried a learning signal
    initial = load_file(tiny_model_path("tiny") / "model.safetensors")
    for model in CASES[name][2]:
        w1, w2 = (load_file(tmp_path / run / "checkpoint-2" / model / "model.safetensors") for run in ("one", "two"))
        assert max_abs_diff(w1, w2) < TOLERANCE, f"{name} {model}: 2 processes differ from 1"
        if model == "policy":
            assert max_abs_diff(w1, initial) > 100 * TOLERANCE  # trained for real: the comparison is not vacuous
