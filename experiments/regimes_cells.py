"""The cells of ``regimes.py``: what one cell measured, its tables and its plots.

A :class:`Cell` is one (prompts per step, learning rate) point of the grid with its training budget. Its runs
are summarised into a :class:`CellResult`: curves cut at the budget, accuracy at the budget, the time for SPPO
to reach GRPO's best, the gaps at equal budget and at equal steps. ``cell_table`` and ``plot_heatmap`` turn a
list of them into the report's table and heat map.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _curves import Curve, by_method, first_reaching, mean_curve, mean_std
from _jobs import GRPO, SPPO, Method
from _report import COLOURS, md_table, new_figure
from _runs import RunResult

#: The pair compared in every cell (RLOO joins one cell).
METHODS = (SPPO, GRPO)


@dataclass(frozen=True)
class Cell:
    """One grid cell: prompts per step, actor learning rate, training budget per run and the methods in it."""

    prompts: int
    lr: float
    budget_s: float
    methods: tuple[Method, ...]

    @property
    def label(self) -> str:
        """Row label, e.g. ``64 prompts, lr 1e-04``."""
        return f"{self.prompts} prompts, lr {self.lr:.0e}"


@dataclass
class CellResult:
    """A cell's runs cut at its equal budget, and the figures of the per-cell table."""

    cell: Cell
    budget: float
    groups: dict[str, list[RunResult]]
    curves: dict[str, Curve]
    target: float
    grpo_time: float | None
    sppo_time: float | None
    speedup: float | None
    per_seed: dict[int, tuple[float | None, float | None, float | None]]
    gaps: list[float]


def cut_curve(curve: Curve, budget: float) -> Curve:
    """``curve`` up to the last evaluation within ``budget`` training seconds (2% slack for timer noise)."""
    keep = [i for i, w in enumerate(curve.wall_s) if w <= budget * 1.02] or [0]
    pick = lambda xs: [xs[i] for i in keep]  # noqa: E731
    return Curve(
        curve.label,
        curve.algo,
        pick(curve.steps),
        pick(curve.wall_s),
        pick(curve.samples),
        pick(curve.mean),
        pick(curve.std),
    )


def at_budget(run: RunResult, budget: float) -> float:
    """A run's held-out accuracy at its last evaluation within ``budget`` training seconds."""
    return [a for w, a in zip(run.wall_s, run.accuracy) if w <= budget * 1.02][-1]


def time_ratio(ref_xs, ref_ys, xs, ys) -> tuple[float, float | None, float | None, float | None]:
    """``(target, reference time to its best, time to reach it, ratio)``; the ratio is None where undefined."""
    target = max(ref_ys)
    ref_time = first_reaching(ref_xs, ref_ys, target)
    took = first_reaching(xs, ys, target)
    ratio = ref_time / took if took and ref_time else None
    return target, ref_time, took, ratio


def summarise(cell: Cell, results: Sequence[RunResult]) -> CellResult | None:
    """Cut the cell's curves at its equal budget; the speed-up (mean curves and per seed) and the paired gaps.

    Returns None for a cell without runs (``--report-only`` before any of its seeds finished).
    """
    if not results:
        return None
    groups = by_method(results)
    # The budget is SPPO's and GRPO's: RLOO (one cell) ran at other times, under another load of the shared CPU.
    budget = min(statistics.fmean(r.total_wall_s for r in groups[m.label]) for m in METHODS)
    curves = {label: cut_curve(mean_curve(runs), budget) for label, runs in groups.items()}
    grpo, sppo = curves[GRPO.label], curves[SPPO.label]
    target, grpo_time, sppo_time, ratio = time_ratio(grpo.wall_s, grpo.mean, sppo.wall_s, sppo.mean)
    per_seed = {}
    grpo_runs = {r.job.seed: r for r in groups[GRPO.label]}
    for run in groups[SPPO.label]:
        ref = grpo_runs[run.job.seed]
        keep_ref = [(w, a) for w, a in zip(ref.wall_s, ref.accuracy) if w <= budget * 1.02]
        keep = [(w, a) for w, a in zip(run.wall_s, run.accuracy) if w <= budget * 1.02]
        per_seed[run.job.seed] = time_ratio(*zip(*keep_ref), *zip(*keep))[1:]
    gaps = [at_budget(s, budget) - at_budget(grpo_runs[s.job.seed], budget) for s in groups[SPPO.label]]
    return CellResult(cell, budget, groups, curves, target, grpo_time, sppo_time, ratio, per_seed, gaps)


def key_figure(res: CellResult) -> str:
    """The cell's headline: the speed-up, or (marked) the gap at equal budget where the speed-up is undefined."""
    if res.speedup is not None:
        return f"{res.speedup:.2f}x"
    why = "not reached" if res.sppo_time is None else "GRPO best = start"
    return f"{why}; gap {statistics.fmean(res.gaps):+.3f}"


def _seed_ratio(ref_time: float | None, took: float | None, ratio: float | None) -> str:
    if ratio is not None:
        return f"{ratio:.2f}x"
    return "n.r." if took is None else "GRPO best = start"


def _secs(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f}"


def equal_steps_gap(sppo: RunResult, grpo: RunResult) -> float | None:
    """SPPO's accuracy at its first evaluation at or after GRPO's last step, minus GRPO's final accuracy.

    This tests the per-step half of the claim: an N=1 step learning nearly what an N=8 step does.
    """
    after = [a for step, a in zip(sppo.steps, sppo.accuracy) if step >= grpo.steps[-1]]
    return after[0] - grpo.final_accuracy if after else None


def cell_table(cells: Sequence[CellResult]) -> str:
    """The main table: one row per cell, the key figure (speed-up, else gap) last."""
    rows = []
    for res in cells:
        grpo, sppo = res.groups[GRPO.label], res.groups[SPPO.label]
        seeds = ", ".join(f"s{s}: {_seed_ratio(*v)}" for s, v in sorted(res.per_seed.items()))
        rows.append(
            [
                res.cell.label,
                f"{res.budget:.1f}",
                f"{grpo[0].steps[-1]} / {sppo[0].steps[-1]}",
                mean_std([r.accuracy[0] for r in sppo]),
                mean_std([at_budget(r, res.budget) for r in grpo]),
                mean_std([at_budget(r, res.budget) for r in sppo]),
                f"{res.target:.3f}",
                _secs(res.grpo_time),
                _secs(res.sppo_time),
                seeds,
                mean_std(res.gaps),
                mean_std([s.final_accuracy - g.final_accuracy for s, g in zip(sppo, grpo)]),
                mean_std([equal_steps_gap(s, g) for s, g in zip(sppo, grpo)]),
                key_figure(res),
            ]
        )
    headers = [
        "cell", "equal budget (train s)", "steps GRPO / SPPO", "start acc.", "GRPO acc. at budget",
        "SPPO acc. at budget", "target: GRPO best (mean curve)", "GRPO s to best", "SPPO s to target",
        "speed-up per seed", "gap SPPO - GRPO at budget (paired)", "gap at end of runs (equal planned budget)",
        "gap at GRPO's last step (equal steps)",
        "speed-up (mean curves), else gap",
    ]  # fmt: skip
    return md_table(headers, rows)


def method_table(cells: Sequence[CellResult]) -> str:
    """Every method of every cell: steps, samples, training time, accuracy at budget, best and gain."""
    rows = []
    for res in cells:
        for label, runs in res.groups.items():
            rows.append(
                [
                    res.cell.label,
                    label,
                    runs[0].steps[-1],
                    f"{runs[0].samples[-1]:.0f}",
                    mean_std([r.total_wall_s for r in runs], 1),
                    mean_std([at_budget(r, res.budget) for r in runs]),
                    mean_std([max(r.accuracy) for r in runs]),
                    mean_std([at_budget(r, res.budget) - r.accuracy[0] for r in runs]),
                ]
            )
    headers = [
        "cell", "method", "steps", "samples", "train s (whole run)", "acc. at budget", "best acc. (whole run)",
        "gain at budget (paired)",
    ]  # fmt: skip
    return md_table(headers, rows)


def plot_grid(png: Path, cells: Sequence[CellResult], x: str, xlabel: str) -> Path:
    """One subplot per cell (rows: prompts per step, columns: lr) of mean held-out accuracy ± std against ``x``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    prompts = sorted({r.cell.prompts for r in cells})
    lrs = sorted({r.cell.lr for r in cells}, reverse=True)
    fig = Figure(figsize=(4.6 * len(lrs), 3.2 * len(prompts)), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(prompts), len(lrs), squeeze=False, sharey=True)
    for res in cells:
        ax = axes[prompts.index(res.cell.prompts)][lrs.index(res.cell.lr)]
        for label, runs in res.groups.items():
            curve = mean_curve(runs)  # the whole run; the dotted line marks the equal budget
            xs = getattr(curve, x)
            (line,) = ax.plot(xs, curve.mean, marker="o", markersize=3, color=COLOURS[curve.algo], label=label)
            low = [m - s for m, s in zip(curve.mean, curve.std)]
            high = [m + s for m, s in zip(curve.mean, curve.std)]
            ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
        if x == "wall_s":
            ax.axvline(res.budget, color="black", linestyle=":", linewidth=1, label="equal budget")
        ax.axhline(res.target, color="tab:blue", linestyle="--", linewidth=0.8, alpha=0.6)
        ax.set_title(res.cell.label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in axes[-1]:
        ax.set_xlabel(xlabel)
    for row in axes:
        row[0].set_ylabel("held-out accuracy")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    return png


def plot_heatmap(png: Path, cells: Sequence[CellResult]) -> Path:
    """Two panels over the grid: the speed-up (log colour; hatched where undefined) and the gap at equal budget."""
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    prompts = sorted({r.cell.prompts for r in cells})
    lrs = sorted({r.cell.lr for r in cells}, reverse=True)
    fig, ax = new_figure()
    fig.set_size_inches(9.5, 1.4 + 1.1 * len(prompts))
    fig.delaxes(ax)
    axes = fig.subplots(1, 2)
    speed = np.full((len(prompts), len(lrs)), np.nan)
    gap = np.full_like(speed, np.nan)
    for res in cells:
        i, j = prompts.index(res.cell.prompts), lrs.index(res.cell.lr)
        speed[i, j] = math.log2(res.speedup) if res.speedup else np.nan
        gap[i, j] = statistics.fmean(res.gaps)
    panels = [
        (axes[0], speed, "speed-up: GRPO s to its best / SPPO s to it", 3.0),
        (axes[1], gap, "gap at equal budget: SPPO - GRPO accuracy", max(0.05, float(np.nanmax(np.abs(gap))))),
    ]
    for ax, values, title, span in panels:
        ax.set_facecolor("lightgrey")
        image = ax.imshow(values, cmap="RdBu", norm=TwoSlopeNorm(0.0, -span, span), aspect="auto")
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        if ax is axes[0]:  # the colour is log2 of the speed-up: label the ticks as ratios
            bar.set_ticks(range(-3, 4), labels=[f"{2.0**t:g}x" for t in range(-3, 4)])
        ax.set(
            xticks=range(len(lrs)),
            xticklabels=[f"lr {lr:.0e}" for lr in lrs],
            yticks=range(len(prompts)),
            yticklabels=[f"{p} prompts" for p in prompts],
            title=title,
        )
        ax.title.set_fontsize(8)
    for res in cells:
        i, j = prompts.index(res.cell.prompts), lrs.index(res.cell.lr)
        text = f"{res.speedup:.2f}x" if res.speedup else key_figure(res).replace("; ", "\n")
        axes[0].text(j, i, text, ha="center", va="center", fontsize=8, color=_ink(speed[i, j] / 3.0))
        mean_gap = statistics.fmean(res.gaps)
        label = f"{mean_gap:+.3f}\n± {_std(res.gaps):.3f}"
        axes[1].text(j, i, label, ha="center", va="center", fontsize=8, color=_ink(mean_gap / panels[1][3]))
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    return png


def _ink(fraction: float) -> str:
    """Text colour on a heat-map cell: white on the dark ends of the colour scale (``fraction`` of its span)."""
    return "white" if abs(fraction) > 0.6 else "black"


def seeds_label(res: CellResult) -> str:
    """The seeds of a cell's runs, e.g. ``0 1 2``."""
    return " ".join(str(r.job.seed) for r in res.groups[SPPO.label])


def _std(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0
