"""Padding efficiency of a training step's forward passes: one global padded width vs token-budget micro-batches.

Padding efficiency is real tokens / processed tokens, where processed tokens are the positions the forward
passes compute, padding included. Response lengths are drawn from a long-tailed distribution like a reasoning
model's (lognormal, median 2,000 tokens, sigma 0.8, clipped to [16, 8192]: a few % hit the 8192 cap, as
truncated reasoning does), prompt lengths from a lognormal with median 150 (sigma 0.5, clipped to
[20, 1024]), with a fixed seed. Each step has ``--prompts`` rows (one response per prompt), shuffled into
mini-batches of ``--mini-batch`` rows as the trainers do, and the update passes over every mini-batch are
counted:

- ``old``: what the trainers did until now: every row padded to the step's longest prompt (left) plus its
  longest response (right), micro-batches of a fixed 8 rows, rows sliced contiguously over the ranks, so a
  step processes ``B * (P_max + T_max)`` tokens;
- ``new, padded``: :func:`reasoning_gym.models.batching.plan_micro_batches` with a token budget per
  micro-batch, each micro-batch padded to its own longest row; processed tokens are those of the
  :class:`~reasoning_gym.models.batching.MicroBatch` es the real :class:`TokenBatch` builds, on every rank;
- ``new, packed``: the same plan with packing (no padding at all, so efficiency 1).

Besides the efficiency, the table shows micro-batches (forward passes) per rank per mini-batch, and the rank
imbalance: the max/min ratio of the tokens the ranks get in a mini-batch (mean over mini-batches), for real
and for processed tokens; with FSDP every rank waits for the slowest, so processed-token imbalance is idle
time. The old plan's contiguous slices have equal processed tokens per rank (all rows have the same width)
but unequal real ones.

The table is printed last, then the efficiencies of the padded plan at world size 4 and the paper presets'
token budget (``PAPER_MICRO_BATCH_TOKENS``) and of the old batching. Usage::

    python perf/padding_efficiency.py [--quick] [--prompts 256] [--mini-batch 128] [--steps 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field

import torch

from reasoning_gym.models.batching import TokenBatch, plan_micro_batches
from reasoning_gym.trainers.presets import PAPER_MICRO_BATCH_TOKENS

#: Rows per micro-batch of the old batching (the trainers' micro_batch_size default).
OLD_MICRO_ROWS = 8
#: Table rows of the new plans: (world size, token budget, packed, max rows per micro-batch).
BUDGETS = sorted({8192, PAPER_MICRO_BATCH_TOKENS, 16384, 24576, 32768})
CONFIGS = [
    *[(4, budget, False, None) for budget in BUDGETS],
    *[(1, budget, False, None) for budget in BUDGETS],
    (4, PAPER_MICRO_BATCH_TOKENS, True, None),
    (1, PAPER_MICRO_BATCH_TOKENS, True, None),
]
#: The paper presets' setting: 4 ranks, their token budget, padded (packing needs flash-attention to pay off).
HEADLINE = (4, PAPER_MICRO_BATCH_TOKENS, False, None)


def draw_lengths(n: int, gen: torch.Generator) -> tuple[list[int], list[int]]:
    """Prompt and response lengths of ``n`` rows: lognormals with medians 150 and 2000, clipped."""

    def lognormal(median: float, sigma: float, low: int, high: int) -> list[int]:
        values = torch.exp(math.log(median) + sigma * torch.randn(n, generator=gen, dtype=torch.float64))
        return values.round().clamp(low, high).long().tolist()

    return lognormal(150, 0.5, 20, 1024), lognormal(2000, 0.8, 16, 8192)


@dataclass
class Tally:
    """Tokens and per-mini-batch statistics of one batching scheme, summed over steps."""

    real: int = 0
    processed: int = 0
    passes: list[float] = field(default_factory=list)
    real_imbalance: list[float] = field(default_factory=list)
    processed_imbalance: list[float] = field(default_factory=list)

    def add_mini_batch(self, real_per_rank: list[int], processed_per_rank: list[int], passes: int) -> None:
        """Count one mini-batch: each rank's real and processed tokens, and the forward passes per rank."""
        self.real += sum(real_per_rank)
        self.processed += sum(processed_per_rank)
        self.passes.append(passes)
        self.real_imbalance.append(max(real_per_rank) / max(min(real_per_rank), 1))
        self.processed_imbalance.append(max(processed_per_rank) / max(min(processed_per_rank), 1))

    @property
    def efficiency(self) -> float:
        """Real tokens / processed tokens."""
        return self.real / self.processed


def old_mini_batch(tally: Tally, batch: TokenBatch, mini: torch.Tensor, world_size: int) -> None:
    """Every row padded to the step's longest prompt + longest response; contiguous rank slices of 8-row passes."""
    width = int(batch.prompt_lengths.max()) + batch.width
    share = len(mini) // world_size
    slices = [mini[r * share : (r + 1) * share] for r in range(world_size)]
    real = [int(batch.lengths[rows].sum()) for rows in slices]
    tally.add_mini_batch(real, [len(rows) * width for rows in slices], math.ceil(share / OLD_MICRO_ROWS))


def new_mini_batch(
    tally: Tally,
    batch: TokenBatch,
    mini: torch.Tensor,
    world_size: int,
    budget: int,
    packed: bool,
    max_rows: int | None,
) -> None:
    """The token-budget plan: processed tokens of the micro-batches every rank builds."""
    plan = plan_micro_batches(
        mini, batch.lengths, world_size=world_size, max_tokens=budget, packed=packed, max_rows=max_rows
    )
    real, processed = [], []
    for rank in range(world_size):
        micros = [batch.micro(rows, packed=packed) for rows in plan.local(rank)]
        real.append(int(batch.lengths[plan.rank_rows(rank)].sum()))
        processed.append(sum(m.processed_tokens for m in micros))
    tally.add_mini_batch(real, processed, plan.num_micro_batches)


def measure(args: argparse.Namespace) -> tuple[Tally, dict[tuple, Tally], dict[str, float]]:
    """Tallies of the old batching and of every new config over ``args.steps`` drawn steps."""
    gen = torch.Generator().manual_seed(args.seed)
    old, new = Tally(), {config: Tally() for config in CONFIGS}
    responses_all: list[int] = []
    for _ in range(args.steps):
        prompt_lens, response_lens = draw_lengths(args.prompts, gen)
        responses_all += response_lens
        batch = TokenBatch([[1] * n for n in prompt_lens], [[1] * n for n in response_lens], pad_id=0)
        for mini in torch.randperm(len(batch), generator=gen).split(args.mini_batch):
            old_mini_batch(old, batch, mini, args.world_size)
            for config in CONFIGS:
                new_mini_batch(new[config], batch, mini, *config)
    lengths = torch.tensor(responses_all, dtype=torch.float64)
    stats = {
        "median": lengths.median().item(),
        "mean": lengths.mean().item(),
        "capped": (lengths >= 8192).double().mean().item(),
    }
    return old, new, stats


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def table(old: Tally, new: dict[tuple, Tally], world_size: int) -> str:
    lines = [
        "| batching | world size | micro-batch limit | passes/rank/mini-batch | real tokens | processed tokens | "
        "efficiency | rank max/min real | rank max/min processed |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, world: int, limit: str, t: Tally) -> str:
        imbalance = f"{_mean(t.real_imbalance):.3f} | {_mean(t.processed_imbalance):.3f}" if world > 1 else "- | -"
        return (
            f"| {name} | {world} | {limit} | {_mean(t.passes):.1f} | {t.real} | {t.processed} | "
            f"{t.efficiency:.3f} | {imbalance} |"
        )

    lines.append(row("old (global padding, contiguous slices)", world_size, f"{OLD_MICRO_ROWS} rows", old))
    for (world, budget, packed, max_rows), t in new.items():
        name = "new, packed" if packed else "new, padded"
        limit = f"{budget} tokens" + (f", {max_rows} rows" if max_rows else "")
        lines.append(row(name, world, limit, t))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and steps, same logic and table")
    parser.add_argument("--prompts", type=int, default=256, help="rows per step (one response per prompt)")
    parser.add_argument("--mini-batch", type=int, default=128, help="rows per mini-batch (optimizer step)")
    parser.add_argument("--steps", type=int, default=10, help="steps drawn (each a fresh batch of lengths)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the length draws and shuffles")
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.mini_batch, args.steps = 32, 16, 2
    args.world_size = HEADLINE[0]
    if args.mini_batch % 4 or args.prompts % args.mini_batch:
        parser.error("--mini-batch must be a multiple of 4 (the world size) and divide --prompts")
    old, new, stats = measure(args)
    print(
        f"\nPadding efficiency of the update passes: {args.steps} steps of {args.prompts} rows, mini-batches of "
        f"{args.mini_batch}; responses: median {stats['median']:.0f}, mean {stats['mean']:.0f} tokens, "
        f"{100 * stats['capped']:.1f}% at the 8192 cap; seed {args.seed}\n"
    )
    print(table(old, new, args.world_size))
    print(f"\npadding efficiency: new {new[HEADLINE].efficiency:.3f}, old {old.efficiency:.3f}")


if __name__ == "__main__":
    main()
