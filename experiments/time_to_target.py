"""Time to target (paper Fig. 5) and a small-scale Table 1: SPPO (N=1) against GRPO, RLOO, ReMax and PPO.

Claims tested (SPPO paper, arXiv 2604.08865):

* Table 1: SPPO with one sample per prompt matches or beats GRPO with eight (and RLOO, ReMax, PPO).
* Fig. 5: SPPO reaches GRPO's peak held-out accuracy 5.9x sooner in wall-clock.

Setup: every method trains the same built-in ``tiny`` policy. It starts from the same SFT warm start (one per
seed) on the long-horizon procedural env: ``rg/Arithmetic-v0`` with a chain of 4 additions, responses of
~50 tokens against ~32 in ``rgym train``'s preset. Every method gets the same 32 prompts per step, the same
learning rate and two optimizer steps per RL step. Each keeps the paper's samples per prompt: SPPO 1, GRPO 8,
RLOO 5, ReMax 1 sampled + 1 greedy, PPO 1.

A GRPO step costs about 6x an SPPO step here. So GRPO runs 20 steps, RLOO 30, and the one-sample methods
(SPPO, ReMax, PPO) 100 each, which gives every method roughly GRPO's training wall-clock. Every run is also
evaluated at step 20. That gives two views of Table 1: equal steps, which is closest to the paper's protocol,
and equal budget, at the end of each run.

Wall-clock is the sum of the training steps' own timers (``time/step`` in metrics.jsonl), so held-out
evaluation is excluded. Samples generated are prompts x samples per prompt. Held-out accuracy is greedy, on
200 fixed test-split problems.

Outputs, in ``--out`` (default docs/results): ``time_to_target.md`` (settings, machine, the time-to-target
table and the Table 1 mean ± std), ``time_to_target_wallclock.png`` and ``time_to_target_samples.png``.
Run folders go to ``--work-dir`` (default runs/experiments). A finished run there is reused, so an
interrupted script continues where it stopped. bce_ablation.py, small_critic.py and tail_effect.py reuse
its SPPO, GRPO and PPO runs.

Run::

    python experiments/time_to_target.py                 # 5 methods x 3 seeds: about 25 min on 2 cores
    python experiments/time_to_target.py --quick --out /tmp/ttt   # smoke test, well under a minute

The duration is the estimate for an otherwise idle 2-core CPU with one torch thread per run. It includes
building the three cached SFT warm starts, about 1 min each, the first time.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from _cli import base_parser, command_line, doc_intro, finish, resolve_dirs
from _curves import Curve, by_method, first_reaching, mean_curve, mean_std
from _jobs import FULL, GRPO, PPO, QUICK, REMAX, RLOO, SPPO, Settings, make_jobs
from _report import machine_info, md_table, plot_curves, settings_table, write_report
from _runs import RunResult, run_jobs

METHODS = [SPPO, GRPO, RLOO, REMAX, PPO]
REFERENCE = GRPO.label


def settings_from(args) -> Settings:
    """The full or quick settings, with ``--steps``/``--prompts-per-step``/``--eval-every`` applied."""
    base = QUICK if args.quick else FULL
    changes = {"steps": args.steps, "prompts_per_step": args.prompts_per_step, "eval_every": args.eval_every}
    return dataclasses.replace(base, **{k: v for k, v in changes.items() if v is not None})


def speedups(groups: dict[str, list[RunResult]]) -> dict[str, dict[int, float | None]]:
    """Per method and seed: GRPO's seconds to its best accuracy divided by the method's seconds to reach it.

    The target is the reference run's best held-out accuracy in the same seed. The value is None when the
    method never reaches it, and inf when it already does before training.
    """
    out: dict[str, dict[int, float | None]] = {}
    references = {r.job.seed: r for r in groups[REFERENCE]}
    for label, runs in groups.items():
        out[label] = {}
        for run in runs:
            ref = references[run.job.seed]
            target = max(ref.accuracy)
            ref_time = first_reaching(ref.wall_s, ref.accuracy, target)
            took = first_reaching(run.wall_s, run.accuracy, target)
            out[label][run.job.seed] = None if took is None else (float("inf") if took == 0 else ref_time / took)
    return out


def _ratio(value: float | None) -> str:
    if value is None:
        return "not reached"
    return "at start" if value == float("inf") else f"{value:.2f}x"


def target_table(curves: dict[str, Curve], per_seed: dict[str, dict[int, float | None]]) -> str:
    """Seconds and samples each method needs to reach GRPO's best seed-mean accuracy, and per-seed ratios."""
    ref = curves[REFERENCE]
    target = max(ref.mean)
    ref_time = first_reaching(ref.wall_s, ref.mean, target)
    rows = []
    for label, curve in curves.items():
        took = first_reaching(curve.wall_s, curve.mean, target)
        samples = first_reaching(curve.samples, curve.mean, target)
        ratio = None if took is None else (float("inf") if took == 0 else ref_time / took)
        seeds = ", ".join(f"s{s}: {_ratio(v)}" for s, v in sorted(per_seed[label].items()))
        rows.append(
            [
                label,
                "not reached" if took is None else f"{took:.1f}",
                "not reached" if samples is None else f"{samples:.0f}",
                _ratio(ratio),
                seeds,
                f"{curve.wall_s[-1]:.1f}",
            ]
        )
    headers = [
        "method",
        f"train seconds to {target:.3f}",
        "samples to it",
        "speed-up vs GRPO (mean curve)",
        "speed-up per seed",
        "train seconds, whole run",
    ]
    return md_table(headers, rows)


def table1(groups: dict[str, list[RunResult]], equal_step: int) -> str:
    """Held-out accuracy at equal steps, at the end and at best; time, samples, peak memory: mean ± std over seeds."""
    rows = []
    for label, runs in groups.items():
        rows.append(
            [
                label,
                mean_std([r.accuracy[0] for r in runs]),
                mean_std([r.accuracy_at(equal_step) for r in runs]),
                mean_std([r.final_accuracy for r in runs]),
                mean_std([r.final_accuracy - r.accuracy[0] for r in runs]),
                mean_std([max(r.accuracy) for r in runs]),
                runs[0].steps[-1],
                mean_std([r.total_wall_s for r in runs], 1),
                f"{runs[0].samples[-1]:.0f}",
                mean_std([r.peak_rss_mb for r in runs], 0),
            ]
        )
    headers = [
        "method", "start acc.", f"acc. at step {equal_step} (equal steps)", "final acc. (end of run)",
        "gain: final - start (paired)", "best acc.",
        "steps", "train seconds", "samples", "peak RSS MiB",
    ]  # fmt: skip
    return md_table(headers, rows)


def report(args, settings: Settings, results: list[RunResult], out: Path) -> tuple[Path, str, list[Path]]:
    """Write the markdown and PNGs; returns the markdown path, the tables to print and the PNG paths."""
    groups = by_method(results)
    curves = {label: mean_curve(runs) for label, runs in groups.items()}
    target = max(curves[REFERENCE].mean)
    title = f"{settings.policy} policy, {settings.env_kwargs['steps']}-step arithmetic, {len(args.seeds)} seed(s)"
    pngs = [
        plot_curves(
            out / "time_to_target_wallclock.png", list(curves.values()), x="wall_s", hline=target,
            xlabel="training wall-clock (s, evaluation excluded)", title=title,
        ),
        plot_curves(
            out / "time_to_target_samples.png", list(curves.values()), x="samples", hline=target,
            xlabel="samples generated", title=title,
        ),
        plot_curves(
            out / "time_to_target_gain.png", [mean_curve(runs, gain=True) for runs in groups.values()],
            x="wall_s", xlabel="training wall-clock (s, evaluation excluded)", title=title + ", paired gain",
            ylabel="held-out accuracy - the seed's start",
        ),
    ]  # fmt: skip
    tables = (
        "### Time to GRPO's best held-out accuracy (Fig. 5)\n\n"
        + target_table(curves, speedups(groups))
        + "\n\n### Table 1 at small scale: held-out accuracy, mean ± std over seeds\n\n"
        + table1(groups, settings.steps)
    )
    sections = [
        "# Time to target and small-scale Table 1 (SPPO paper Fig. 5, Table 1)",
        doc_intro(__doc__),
        f"Command: `{command_line()}`\n\nMachine: {machine_info(args.threads)}",
        "## Settings\n\n" + settings_table(settings, seeds=" ".join(map(str, args.seeds))),
        "## Method flags\n\n" + _flags_table(results),
        "## Results\n\n" + tables,
        _reading(),
        f"![accuracy vs wall-clock]({pngs[0].name})\n\n![accuracy vs samples]({pngs[1].name})\n\n"
        f"![gain over the start vs wall-clock]({pngs[2].name})",
    ]
    return write_report(out, "time_to_target.md", sections), tables, pngs


def _flags_table(results: list[RunResult]) -> str:
    """Every method's full ``rgym train`` flags (env kwargs as in the settings), so that any run can be redone."""
    rows = {}
    for r in results:
        flags = " ".join(f"`--{k} {v}`" for k, v in sorted(r.job.flags.items()) if k != "env.kwargs")
        rows[r.job.method.label] = f"`{r.job.method.algo}` {flags}"
    return md_table(
        ["method", "rgym train ALGO and flags (plus --env.kwargs, --run.seed, --run.output_dir)"], rows.items()
    )


def _reading() -> str:
    return (
        "How to read it: the target is GRPO's best seed-mean held-out accuracy, at any evaluation. Speed-up = "
        "GRPO's training seconds to that best / the method's seconds to first reach it, at evaluation points. "
        "Per seed, the target is that seed's GRPO best. 'not reached' means the method never got there. The "
        "best of a noisy curve is biased upwards, so the target is a high bar. With 200 problems, one "
        f"evaluation's standard error is about {math.sqrt(0.25 / 200):.3f} at 50% accuracy."
    )


def main(argv: list[str] | None = None) -> int:
    """Run (or reuse) every method and seed, then write and print the report."""
    parser = base_parser(__doc__)
    parser.add_argument(
        "--steps", type=int, default=None, help=f"GRPO's RL steps; the others run 1.5x or 5x (default: {FULL.steps})"
    )
    parser.add_argument(
        "--prompts-per-step", type=int, default=None, help=f"prompts per step (default: {FULL.prompts_per_step})"
    )
    parser.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help=f"GRPO's eval interval; the 1-sample methods: 2x (default: {FULL.eval_every})",
    )
    args = parser.parse_args(argv)
    out, work = resolve_dirs(args, "time_to_target")
    settings = settings_from(args)
    results = run_jobs(make_jobs(METHODS, settings, args.seeds), work, threads=args.threads)
    path, tables, pngs = report(args, settings, results, out)
    finish(path, tables, pngs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
