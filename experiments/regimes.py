"""Where N=1 pays off: a regime map of SPPO (N=1) against GRPO (N=8) over prompts per step and learning rate.

Claim tested (issue 13, part 2, from the SPPO paper, arXiv 2604.08865): with many prompts per step and a
small learning rate, a step's progress is bounded by the step size rather than by gradient noise. Then an
N=1 SPPO step learns nearly what an N=8 GRPO step does, at about 1/8 of the cost. With few prompts and a large
step, GRPO's cleaner gradient (8 samples per prompt) should win instead.

Setup: the built-in ``tiny`` policy on ``rg/Arithmetic-v0`` with a chain of 5 single-digit additions, one
more than the other experiments' env. Every run of a seed starts from the same cached SFT warm start.
The grid is prompts per step x actor learning rate. In every cell SPPO (N=1) is compared with GRPO (N=8) on
3 seeds, and RLOO (N=5) joins them in one cell. The other settings are those of time_to_target.py: two
optimizer steps per RL step, constant lr, temperature 0.3, 80 new tokens.

Equal wall-clock: the trainer has no time budget, so every method gets a step count from a measured cost
model, seconds per step = fixed + per-sample x samples per step (``STEP_COST``). A run therefore trains for
about its cell's budget. The curves are then cut at the cell's equal budget: the smaller mean training
time of SPPO and GRPO in the cell. Training time is the sum of the steps' own timers (``time/step`` in
metrics.jsonl), so evaluation is excluded. Each run is evaluated about 10 times, greedily, on 100 fixed
test-split problems.

Speed-up of a cell: GRPO's seed-mean curve (cut at the budget) has a best accuracy, the target. The
speed-up is GRPO's training seconds to that best / SPPO's seconds to first reach it, at evaluation points.
When it is undefined, the heat map shows the gap at equal budget instead and says so. Undefined means SPPO
never reaches the target, or GRPO's best is its start.

Outputs, in ``--out`` (default docs/results): ``regimes.md``, ``regimes_heatmap.png`` (the speed-up and the
gap over the grid), ``regimes_wallclock.png`` and ``regimes_samples.png`` (one subplot per cell). Run folders
go to ``--work-dir`` (default runs/experiments); finished runs there are reused, so an interrupted script
continues where it stopped.

Run::

    python experiments/regimes.py --jobs 2     # 3x2 cells x 3 seeds, 39 runs: about 65 min on 2 idle cores
    python experiments/regimes.py --quick --out /tmp/regimes   # smoke test: one cell, 1-step runs, < 90 s

With ``--jobs 2`` two runs train at once, one torch thread each. The duration includes the three SFT warm
starts (about 1 min each), which are built first, one at a time.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _cli import base_parser, command_line, doc_intro, finish, resolve_dirs
from _curves import Curve, by_method, first_reaching, mean_curve, mean_std
from _jobs import FULL, GRPO, QUICK, RLOO, SPPO, Job, Method, Settings, method_flags
from _report import COLOURS, machine_info, md_table, new_figure, settings_table, write_report
from _runs import RunResult, ensure_warm_start, is_finished, read_run, run_jobs

#: One addition more than the other experiments' LONG_ENV (4), so that GRPO does not saturate early.
REGIME_ENV = {"split": "train", "steps": 5, "digits": 1, "operations": "+"}
#: 100 held-out problems instead of 200: evaluation is outside the budget but not outside the 65 minutes.
BASE = dataclasses.replace(FULL, env_kwargs=REGIME_ENV, eval_size=100)
QUICK_BASE = dataclasses.replace(QUICK, env_kwargs=REGIME_ENV)
#: The issue's grid is {16, 64, 256} x {1e-4, 1e-5}. 256 prompts is cut to 128: a GRPO step there (2048
#: samples) would take ~30 s, so the budget would allow only a handful of steps.
PROMPTS = (16, 64, 128)
LRS = (1e-4, 1e-5)
#: Training seconds per run, per prompts-per-step row: larger batches need longer to take a few GRPO steps.
BUDGET_S = {16: 75.0, 64: 110.0, 128: 160.0}
RLOO_CELL = (64, 1e-4)
#: Seconds per RL step = fixed + per_sample x samples per step, keyed by trainer. Fitted to calibration runs
#: on the 2-core CPU, one run and one thread at a time, seed 0: GRPO 1.72 s/step at 16 prompts (128 samples)
#: and 7.1 at 64 (512); SPPO 0.34 at 16 and 1.28 at 64 (its critic makes a sample cost more). RLOO's rate
#: is GRPO's times 1.04, their ratio in time_to_target.md.
STEP_COST = {"sppo": (0.03, 0.0196), "grpo": (0.0, 0.0139), "rloo": (0.0, 0.0145)}
EVALS_PER_RUN = 10
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


def grid(quick: bool) -> list[Cell]:
    """The cells, prompts-major; quick mode is one 4-prompt cell with all three methods."""
    if quick:
        return [
            Cell(QUICK_BASE.prompts_per_step, LRS[0], step_seconds(GRPO, QUICK_BASE.prompts_per_step), (*METHODS, RLOO))
        ]
    return [
        Cell(p, lr, BUDGET_S[p], METHODS + ((RLOO,) if (p, lr) == RLOO_CELL else ())) for p in PROMPTS for lr in LRS
    ]


def step_seconds(method: Method, prompts: int) -> float:
    """Predicted training seconds of one RL step of ``method`` with ``prompts`` prompts (``STEP_COST``)."""
    fixed, per_sample = STEP_COST[method.algo]
    return fixed + per_sample * prompts * method.samples_per_prompt


def cell_jobs(cell: Cell, base: Settings, seeds: Sequence[int]) -> list[Job]:
    """Every method and seed of ``cell``; each method runs as many steps as fit in the cell's budget."""
    jobs = []
    for seed in seeds:
        for method in cell.methods:
            steps = max(1, round(cell.budget_s / step_seconds(method, cell.prompts)))
            settings = dataclasses.replace(
                base,
                prompts_per_step=cell.prompts,
                actor_lr=cell.lr,
                steps=steps,
                eval_every=max(1, math.ceil(steps / EVALS_PER_RUN)),
            )
            # steps and eval interval are set per method above, so the factors must not scale them again.
            flags = method_flags(dataclasses.replace(method, steps_factor=1, eval_factor=1), settings)
            jobs.append(Job(method, seed, flags, cell.prompts * method.samples_per_prompt))
    return jobs


def run_all(jobs: Sequence[Job], work: Path, threads: int, parallel: int) -> list[RunResult]:
    """Run (or reuse) ``jobs``, ``parallel`` at a time; results in ``jobs`` order."""
    # Warm starts first, one per seed, in this process: two concurrent children must not build the same one.
    for job in {j.seed: j for j in jobs}.values():
        ensure_warm_start(job, threads)
    if parallel <= 1:
        return run_jobs(jobs, work, threads=threads)
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda job: run_jobs([job], work, threads=threads)[0], jobs))


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


def _seeds(res: CellResult) -> str:
    return " ".join(str(r.job.seed) for r in res.groups[SPPO.label])


def _std(values: Sequence[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def report(args, base: Settings, cells: Sequence[CellResult], out: Path, hours: float) -> tuple[Path, str, list[Path]]:
    """Write the markdown and PNGs; returns the markdown path, the table to print and the PNG paths."""
    pngs = [
        plot_heatmap(out / "regimes_heatmap.png", cells),
        plot_grid(out / "regimes_wallclock.png", cells, "wall_s", "training wall-clock (s, evaluation excluded)"),
        plot_grid(out / "regimes_samples.png", cells, "samples", "samples generated"),
    ]
    table = cell_table(cells)
    grid_rows = [[c.cell.label, c.cell.budget_s, ", ".join(m.label for m in c.cell.methods), _seeds(c)] for c in cells]
    sections = [
        "# Where N=1 pays off: SPPO against GRPO over prompts per step and learning rate (issue 13, part 2)",
        doc_intro(__doc__),
        CUTS,
        f"Command: `{command_line()}`\n\nMachine: {machine_info(args.threads)}; {args.jobs} run(s) at a time. "
        f"Wall time of this invocation: {hours * 60:.1f} min (runs reused from earlier invocations not counted).",
        "## Settings\n\n" + settings_table(base, seeds=" ".join(map(str, args.seeds))),
        "## Grid and calibration\n\n"
        + md_table(["cell", "planned budget (train s per run)", "methods", "seeds"], grid_rows)
        + "\n\n"
        + calibration_text(cells),
        "## Results per cell\n\n" + table + "\n\n" + _reading(),
        f"![speed-up and gap heat map]({pngs[0].name})",
        "### Every method of every cell, mean ± std over seeds\n\n" + method_table(cells),
        f"![accuracy vs wall-clock]({pngs[1].name})\n\n![accuracy vs samples]({pngs[2].name})",
        what_it_says(out),
    ]
    return write_report(out, "regimes.md", sections), table, pngs


def calibration_text(cells: Sequence[CellResult]) -> str:
    """The cost model against what the runs measured: predicted and measured seconds per step of every method."""
    rows = []
    for res in cells:
        for label, runs in res.groups.items():
            method = runs[0].job.method
            measured = statistics.fmean(r.total_wall_s / r.steps[-1] for r in runs)
            rows.append([res.cell.label, label, f"{step_seconds(method, res.cell.prompts):.2f}", f"{measured:.2f}"])
    model = ", ".join(f"{algo} {fixed:.2f} + {per:.4f} x samples" for algo, (fixed, per) in STEP_COST.items())
    return (
        f"Cost model, seconds per RL step: {model}. It was fitted on short calibration runs (2-8 steps of GRPO "
        "and SPPO at 16 and 64 prompts, seed 0) on this machine, one run at a time; RLOO's rate is "
        "GRPO's x 1.04, their ratio in time_to_target.md. Each method's steps = "
        "round(planned budget / predicted seconds per step). The measured seconds per step below include the "
        "slow-down of two concurrent runs, so the equal budget of a cell is taken from the measured times "
        "(the smaller mean training time of SPPO and GRPO), not the plan.\n\n"
        + md_table(["cell", "method", "predicted s/step", "measured s/step (mean over seeds)"], rows)
    )


def _reading() -> str:
    return (
        "How to read it: every curve is cut at the cell's equal budget. The target is GRPO's best seed-mean "
        "held-out accuracy within it; speed-up = GRPO's seconds to that best / SPPO's seconds to first reach it, "
        "at evaluation points ('n.r.' = not reached). Per seed, the target is that seed's GRPO best. The gap is "
        "SPPO's minus GRPO's accuracy at each run's last evaluation within the budget, paired by seed (same warm "
        "start), mean ± std over seeds. The gap at the end of the runs compares the last evaluations: the step "
        "counts were set from the cost model, so this is an equal planned budget, which does not depend on how "
        "loaded the shared machine was during each run. The equal-steps gap takes SPPO's first evaluation at or "
        "after GRPO's last step (a few steps later at most). With 100 problems one evaluation's standard error "
        f"is about {math.sqrt(0.25 / 100):.3f} at 50% accuracy, and the best of a noisy curve is biased upwards."
    )


CUTS = """## What was cut against the issue's spec, and why

* 256 prompts per step became 128. The whole grid had to fit in about 65 minutes on a shared 2-core CPU, and
  a 256-prompt GRPO step (2048 samples) takes ~30 s here, so its budget would have allowed 3-4 steps.
* The budget per run is short (75, 110 and 160 training seconds for 16, 64 and 128 prompts per step), so GRPO's
  curve has not flattened in every cell; the per-cell plots show where it has.
* 100 held-out problems per evaluation instead of the experiments' 200, about 10 evaluations per run.
* RLOO (N=5) runs in one cell only (64 prompts, lr 1e-4), as the issue asks. The optional SmolLM2 cell was
  skipped for time.
* The 3 seeds were kept in every cell."""

WHAT_IT_SAYS = "## What it says"


def what_it_says(out: Path) -> str:
    """The hand-written reading of the results: kept from an existing report, else a placeholder to fill in."""
    old = out / "regimes.md"
    text = old.read_text() if old.exists() else ""
    if WHAT_IT_SAYS in text:
        return text[text.index(WHAT_IT_SAYS) :]
    return WHAT_IT_SAYS + "\n\n(To be written by hand after the full run; a re-run keeps this section.)"


def main(argv: list[str] | None = None) -> int:
    """Run (or reuse) every cell, method and seed, then write and print the report."""
    import time

    start = time.perf_counter()
    parser = base_parser(__doc__)
    parser.add_argument("--jobs", type=int, default=1, help="training runs at a time (default: 1)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="train nothing: report the finished runs, per cell only the seeds whose every method finished",
    )
    args = parser.parse_args(argv)
    out, work = resolve_dirs(args, "regimes")
    base = QUICK_BASE if args.quick else BASE
    cells = grid(args.quick)
    # Seed-major order: if the run is stopped early, the seeds that finished cover the whole grid.
    jobs = [job for seed in args.seeds for cell in cells for job in cell_jobs(cell, base, [seed])]
    if args.report_only:
        jobs = complete_seeds(jobs, work)
        results = [read_run(job, job.folder(work)) for job in jobs]
    else:
        results = run_all(jobs, work, args.threads, args.jobs)
    by_job = dict(zip((id(j) for j in jobs), results))
    summaries = [summarise(cell, [by_job[id(j)] for j in jobs if _in_cell(j, cell)]) for cell in cells]
    summaries = [s for s in summaries if s is not None]
    path, table, pngs = report(args, base, summaries, out, (time.perf_counter() - start) / 3600)
    finish(path, table, pngs)
    return 0


def complete_seeds(jobs: Sequence[Job], work: Path) -> list[Job]:
    """The finished jobs, keeping a seed of a cell only when every method of that cell finished for it."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.flags["prompts_per_step"], job.flags["actor_optim.lr"], job.seed), []).append(job)
    return [j for group in groups.values() if all(is_finished(g, g.folder(work)) for g in group) for j in group]


def _in_cell(job: Job, cell: Cell) -> bool:
    return job.flags["prompts_per_step"] == cell.prompts and job.flags["actor_optim.lr"] == cell.lr


if __name__ == "__main__":
    raise SystemExit(main())
