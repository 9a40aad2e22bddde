"""Where an SPPO training step's time goes, on CPU with the built-in tiny models.

Runs a few SPPO steps (after one warm-up step, which also starts the verifier worker pool) and prints a
markdown table with the mean milliseconds and share of each phase:

- ``generate``: sampling the responses (transformers ``generate``);
- ``old logprobs``: the policy's log-probs of the sampled tokens (denominator of the PPO ratio);
- ``critic values``: V(s_p) for every prompt;
- ``scoring``: grading the responses with the env's verifier;
- ``critic update`` / ``actor update``: the optimizer passes;
- ``checkpoint``: one full checkpoint save (real runs save only every ``--run.save_every`` steps).

It drives the trainer's own functions (``loop.setup``, ``sppo._train_step``, ``loop.save``), so the
numbers are the trainer's, phase by phase; the last line is the mean step time. Usage::

    python perf/step_breakdown.py [--steps 4] [--batch 8] [--policy tiny|small] [--max-new-tokens 32]
    python perf/step_breakdown.py --quick      # one measured step of 4 prompts, for CI
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time

import torch

from reasoning_gym.models.config import ModelConfig
from reasoning_gym.trainers import loop, sppo
from reasoning_gym.trainers.config import EnvConfig, OptimConfig, RolloutConfig, RunConfig
from reasoning_gym.trainers.distributed import init_distributed

#: Table row -> the trainer's timing key (``checkpoint`` is timed here).
PHASES = {
    "generate": "time/generate",
    "old logprobs": "time/old_logprobs",
    "critic values": "time/values",
    "scoring": "time/score",
    "critic update": "time/critic_update",
    "actor update": "time/actor_update",
    "checkpoint": "time/checkpoint",
}


def make_config(args: argparse.Namespace, output_dir: str) -> sppo.SPPOConfig:
    micro = min(args.batch, 8)
    return sppo.SPPOConfig(
        policy=ModelConfig(path=args.policy),
        critic=ModelConfig(path=args.critic),
        env=EnvConfig(id=args.env, kwargs={"split": "train"}),
        rollout=RolloutConfig(temperature=1.0, max_new_tokens=args.max_new_tokens, batch_size=args.batch),
        actor_optim=OptimConfig(lr=1e-5, mini_batch_size=args.batch, micro_batch_size=micro),
        critic_optim=OptimConfig(lr=1e-5, mini_batch_size=args.batch, micro_batch_size=micro),
        run=RunConfig(output_dir=output_dir, steps=args.steps + 1, save_every=1, device="cpu"),
        prompts_per_step=args.batch,
    )


def measure(config: sppo.SPPOConfig, steps: int) -> list[dict[str, float]]:
    """Run 1 + ``steps`` steps, each followed by a save; return the timings of the last ``steps``."""
    timings = []
    with init_distributed("cpu") as dist:
        run = loop.setup(config, dist, critic=True)
        try:
            for step in range(1, steps + 2):
                metrics = sppo._train_step(run, step)
                start = time.perf_counter()
                loop.save(run, step)
                metrics["time/checkpoint"] = time.perf_counter() - start
                if step > 1:  # the first step also pays one-off costs (worker pool start, lazy imports)
                    timings.append(metrics)
        finally:
            loop.close(run)
    return timings


def table(timings: list[dict[str, float]]) -> str:
    means = {name: 1000 * math.fsum(t[key] for t in timings) / len(timings) for name, key in PHASES.items()}
    total = math.fsum(means.values())
    lines = ["| phase | mean ms | share |", "|---|---:|---:|"]
    lines += [f"| {name} | {ms:.1f} | {100 * ms / total:.1f}% |" for name, ms in means.items()]
    lines.append(f"| **step total** | **{total:.1f}** | 100% |")
    return "\n".join(lines) + f"\n\nmean step time: {total:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="measured steps (after one warm-up step)")
    parser.add_argument("--batch", type=int, default=8, help="prompts per step (one response each)")
    parser.add_argument("--policy", default="tiny", help="policy: tiny, small or a model folder")
    parser.add_argument("--critic", default="tiny-qwen2", help="critic backbone: tiny-qwen2, tiny or a folder")
    parser.add_argument("--env", default="rg/Countdown-v0", help="env id the prompts come from")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="response length limit")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="one measured step of 4 prompts and 8 tokens (CI)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.batch, args.max_new_tokens = 1, 4, 8
    if args.steps < 1 or args.batch < 1:
        parser.error("--steps and --batch must be >= 1")
    torch.set_num_threads(args.threads)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the load/save progress bars would bury the table
    with tempfile.TemporaryDirectory(prefix="step-breakdown-") as out:
        timings = measure(make_config(args, out), args.steps)
    print(
        f"\nSPPO step on CPU: policy={args.policy} critic={args.critic} env={args.env} batch={args.batch} "
        f"max_new_tokens={args.max_new_tokens} threads={args.threads}, mean of {args.steps} steps\n"
    )
    print(table(timings))


if __name__ == "__main__":
    main()
