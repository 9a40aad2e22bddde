"""BCE ablation (paper Fig. 4): is the BCE critic loss, or the sequence-level advantage, behind SPPO's gain?

Claim tested (SPPO paper, arXiv 2604.08865, section 4.3): "PPO + BCE" keeps token-level PPO with GAE and
trains its token-level critic with binary cross-entropy, as SPPO trains its prompt-only critic. It behaves
like standard PPO, not like SPPO. So the gain comes from the sequence-level bandit formulation (A = R - V(s_p)
given to every token), not from the loss.

Three methods on the same seeds and settings as time_to_target.py: SPPO, PPO with the usual clipped
squared-error critic (``--critic_loss mse``), and PPO with ``V(s_t) = sigmoid(logit_t)`` trained with
per-token BCE against the return (``--critic_loss bce``). With a 0/1 outcome reward and gamma = lambda = 1,
that return is R at every token. The SPPO and PPO-MSE runs are the same jobs as in time_to_target.py, and
their folders are reused when that script has run.

Outputs, in ``--out`` (default docs/results): ``bce_ablation.md`` and ``bce_ablation_steps.png`` (held-out
accuracy against step, mean ± std over seeds).

Run::

    python experiments/bce_ablation.py            # 3 methods x 3 seeds: about 15 min on 2 cores, about
                                                  # 5 min after time_to_target.py (its runs are reused)
    python experiments/bce_ablation.py --quick --out /tmp/bce   # smoke test, well under a minute
"""

from __future__ import annotations

import dataclasses
import statistics

from _cli import base_parser, command_line, doc_intro, finish, resolve_dirs
from _curves import by_method, mean_curve, mean_std
from _jobs import FULL, PPO, QUICK, SPPO, make_jobs
from _report import machine_info, md_table, plot_curves, settings_table, write_report
from _runs import RunResult, read_metrics, run_jobs

PPO_MSE = dataclasses.replace(PPO, label="PPO (MSE critic)")
PPO_BCE = dataclasses.replace(PPO, label="PPO + BCE critic", flags={"critic_loss": "bce"})
METHODS = [SPPO, PPO_MSE, PPO_BCE]


def late_reward(run: RunResult, fraction: float = 0.25) -> float:
    """Mean training reward over the last ``fraction`` of the run's steps (a less noisy view of the end)."""
    rows = [r for r in read_metrics(run.folder) if r.get("step", 0) > 0 and "reward/mean" in r]
    tail = rows[-max(1, round(len(rows) * fraction)) :]
    return statistics.fmean(r["reward/mean"] for r in tail)


def table(groups: dict[str, list[RunResult]]) -> str:
    """Accuracy at start, end and best, late training reward and critic loss: mean ± std over seeds."""
    rows = []
    for label, runs in groups.items():
        key = "loss/critic" if runs[0].job.method.algo == "sppo" else "loss/value"
        losses = [_last(r, key) for r in runs]
        rows.append(
            [
                label,
                mean_std([r.accuracy[0] for r in runs]),
                mean_std([r.final_accuracy for r in runs]),
                mean_std([r.final_accuracy - r.accuracy[0] for r in runs]),
                mean_std([max(r.accuracy) for r in runs]),
                mean_std([late_reward(r) for r in runs]),
                mean_std(losses),
                runs[0].steps[-1],
                mean_std([r.total_wall_s for r in runs], 1),
            ]
        )
    headers = [
        "method", "start acc.", "final acc.", "gain: final - start (paired)", "best acc.",
        "train reward, last 25% of steps",
        "critic loss, last step", "steps", "train seconds",
    ]  # fmt: skip
    return md_table(headers, rows)


def _last(run: RunResult, key: str) -> float | None:
    values = [r[key] for r in read_metrics(run.folder) if key in r]
    return values[-1] if values else None


def main(argv: list[str] | None = None) -> int:
    """Run (or reuse) SPPO, PPO-MSE and PPO-BCE on every seed, then write and print the report."""
    args = base_parser(__doc__).parse_args(argv)
    out, work = resolve_dirs(args, "bce_ablation")
    settings = QUICK if args.quick else FULL
    results = run_jobs(make_jobs(METHODS, settings, args.seeds), work, threads=args.threads)
    groups = by_method(results)
    title = f"SPPO vs PPO (MSE / BCE critic), {len(args.seeds)} seed(s)"
    png = plot_curves(
        out / "bce_ablation_steps.png",
        [mean_curve(runs) for runs in groups.values()],
        x="steps",
        xlabel="RL step",
        title=title,
    )
    gain_png = plot_curves(
        out / "bce_ablation_gain.png", [mean_curve(runs, gain=True) for runs in groups.values()], x="steps",
        xlabel="RL step", title=title + ", paired gain", ylabel="held-out accuracy - the seed's start",
    )  # fmt: skip
    result_table = table(groups)
    sections = [
        "# BCE ablation (SPPO paper Fig. 4)",
        doc_intro(__doc__),
        f"Command: `{command_line()}`\n\nMachine: {machine_info(args.threads)}",
        "## Settings\n\n"
        + settings_table(settings, seeds=" ".join(map(str, args.seeds)), steps_of_every_run=results[0].job.steps),
        "## Results: held-out accuracy, mean ± std over seeds\n\n" + result_table,
        "The critic losses are not comparable across rows. SPPO's is BCE at the prompt, PPO (MSE)'s is "
        "0.5 x the clipped squared error per token, and PPO + BCE's is BCE per token.",
        f"![accuracy vs step]({png.name})\n\n![gain over the start vs step]({gain_png.name})",
    ]
    path = write_report(out, "bce_ablation.md", sections)
    finish(path, result_table, [png, gain_png])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
