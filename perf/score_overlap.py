"""What scoring while generating saves on a step: the trainer's rollout with ``overlap_scoring`` off and on.

Runs the trainers' own rollout (``steps.rollout``: generate this step's responses, score them with the env's
verifier, gather) several times each way, on the same prompts and seeds, and reports the mean seconds of
generation, of scoring left after generation ends, and their sum. With the overlap on, each chunk of
responses (the HF engine's ``rollout.batch_size``, or each prompt as vLLM finishes it) goes to the verifier
while the next chunk generates; what remains is scoring the last chunk. The default env is GSM8K (the math
verifier grades in its worker processes) with the built-in tiny policy on CPU. Usage::

    python perf/score_overlap.py [--env rg/GSM8K-v0] [--prompts 64] [--chunk 8] [--steps 3]
    python perf/score_overlap.py --quick      # for CI
"""

from __future__ import annotations

import argparse
import math
import tempfile

import torch

from reasoning_gym.trainers import loop, steps
from reasoning_gym.trainers.config import apply_overrides
from reasoning_gym.trainers.distributed import init_distributed
from reasoning_gym.trainers.grpo import GRPOConfig


def measure(args: argparse.Namespace, overlap: bool, out: str) -> dict[str, float]:
    """Mean generate / score seconds of ``args.steps`` rollouts (after one warm-up) with the overlap on or off."""
    config = apply_overrides(GRPOConfig, {
        "policy.path": "tiny", "env.id": args.env, "env.kwargs": {}, "prompts_per_step": args.prompts,
        "num_generations": 2, "actor_optim.mini_batch_size": 2 * args.prompts, "rollout.batch_size": args.chunk,
        "rollout.max_new_tokens": args.tokens, "rollout.max_prompt_tokens": 4096, "rollout.temperature": 1.0,
        "rollout.overlap_scoring": overlap, "run.output_dir": out, "run.device": "cpu",
    })  # fmt: skip
    rows = []
    with init_distributed("cpu") as dist:
        run = loop.setup(config, dist, critic=False)
        try:
            for step in range(args.steps + 1):
                run.source.load_state_dict({"epoch": 0, "position": 0, "skipped": 0})  # the same prompts each time
                times: dict[str, float] = {}
                steps.rollout(run, step + 1, steps.draw_prompts(run, args.prompts), times, n=2)
                if step:  # the first one starts the verifier's workers
                    rows.append(times)
        finally:
            loop.close(run)
    return {key: math.fsum(r[key] for r in rows) / len(rows) for key in ("time/generate", "time/score")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="rg/GSM8K-v0", help="env id the prompts and the verifier come from")
    parser.add_argument("--prompts", type=int, default=64, help="prompts per step (2 responses each)")
    parser.add_argument("--chunk", type=int, default=8, help="sequences per HF generate call (rollout.batch_size)")
    parser.add_argument("--tokens", type=int, default=64, help="max new tokens")
    parser.add_argument("--steps", type=int, default=3, help="measured rollouts each way")
    parser.add_argument("--quick", action="store_true", help="8 prompts, 16 tokens, 1 rollout each way")
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.tokens, args.steps, args.chunk = 8, 16, 1, 4
    torch.set_num_threads(1)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    results = {}
    for overlap in (False, True):
        with tempfile.TemporaryDirectory(prefix="score-overlap-") as out:
            results[overlap] = measure(args, overlap, out)
    print(f"\nRollout of {args.prompts} prompts x 2 responses on {args.env}, tiny policy, HF engine in chunks of "
          f"{args.chunk}, {args.tokens} new tokens, mean of {args.steps}\n")  # fmt: skip
    print("| scoring | generate s | scoring after generation s | total s |\n|---|---:|---:|---:|")
    for overlap, r in results.items():
        total = r["time/generate"] + r["time/score"]
        print(f"| {'overlapped' if overlap else 'after generation'} | {r['time/generate']:.2f} | "
              f"{r['time/score']:.2f} | {total:.2f} |")  # fmt: skip
    before = sum(results[False].values())
    after = sum(results[True].values())
    print(f"\nscoring overlap saves {100 * (before - after) / before:.1f}% of generate + score "
          f"({before - after:.2f} s per rollout)")  # fmt: skip


if __name__ == "__main__":
    main()
