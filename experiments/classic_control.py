"""Classic control with a strictly binary terminal reward: SPPO vs PPO-GAE (SPPO paper section 5.3, Fig. 8).

Claim tested (SPPO paper, arXiv 2604.08865, section 5.3): with a reward of 1 at the end of a successful episode
and 0 otherwise, PPO with a per-timestep critic and GAE stays flat on some tasks, while SPPO, whose only
critic is V(s_0), learns. Both methods use the repository's own pure functions
(``reasoning_gym.trainers.advantages`` and ``.losses``); here a "token" is a timestep and a "response" an
episode. Tasks (``classic_control_tasks.py``): precision CartPole (H = 200, final |theta| <= 0.5 deg),
MountainCar (H = 1000, reach x >= 0.45) and Pendulum (H = 200 instead of the paper's 1000, final cos(theta) >
0.8, 5 discrete torques). The paper's Hopper and LunarLander (which need MuJoCo and Box2D) are left out.

Each (task, seed) starts from one policy, a 2x64 tanh MLP behaviour-cloned on the successful episodes of a
noisy scripted controller (the paper trains its experts with shaped rewards; a scripted controller is the
cheap stand-in), so that it succeeds only some of the time. Then the paper's batch of episodes per update
(64 CartPole, 8 MountainCar, 16 Pendulum), and one policy learning rate, number of epochs and of mini-batches
for every method, gamma = 1 and no KL or entropy term:

* SPPO: critic V(s_0) = sigmoid(MLP(s_0)) trained with ``bce_value_loss`` against the 0/1 outcome;
  ``A = R - V(s_0)`` from ``get_advantage_fn("sppo")``, computed before the critic update, not whitened, given
  to every timestep of the episode.
* PPO-GAE: critic V(s_t, t/H) (the time left is part of the state of a finite-horizon task), trained with
  ``value_loss`` (clipped squared error, clip 0.5); ``gae_advantages`` with lambda = 0.95 on the outcome placed
  at the last step (``outcome_token_rewards``), whitened by ``masked_whiten``: the repository's standard PPO.
* PPO-GAE, lambda = 1 (a diagnostic, not in the paper): the same with lambda = 1, so ``A_t = R - V(s_t)``
  (whitened): a per-timestep baseline, but no bootstrapping through the critic.
* All: ``get_policy_loss("clipped")`` (eps 0.2, dual clip 3, token-mean over the mini-batch's timesteps).

Outputs, in ``--out`` (default docs/results): ``classic_control.md`` (its "What it says" section is written by
hand and kept when the report is rewritten) and ``classic_control_<task>.png`` (training success rate in
consecutive bins of episodes, against episodes; mean ± std over seeds). One JSON per (task, method, seed) in
``--work-dir``; a rerun skips the finished ones (a run with other settings is redone).

Run::

    python experiments/classic_control.py                          # 3 tasks x 3 methods x 3 seeds, ~25 CPU min
    python experiments/classic_control.py --jobs 2                 # two runs at a time
    python experiments/classic_control.py --tasks pendulum --seeds 0 1 2 3 4
    python experiments/classic_control.py --quick --out /tmp/cc    # smoke test, well under a minute
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _cli import command_line
from _curves import mean_std
from classic_control_rl import FULL, QUICK, Settings, behaviour_clone, mlp, numpy_sampler, rollout, success_rate, update
from classic_control_tasks import TASKS, check_against_gymnasium

REPO = Path(__file__).resolve().parents[1]
METHODS = {"sppo": "SPPO", "ppo_gae": "PPO-GAE", "ppo_gae_lam1": "PPO-GAE, lambda = 1"}
#: ``ppo_gae_lam1`` is a diagnostic beyond the paper: PPO-GAE with A_t = R - V(s_t), no bootstrapping.
DEFAULT_METHODS = list(METHODS)
COLOURS = {"sppo": "tab:red", "ppo_gae": "tab:purple", "ppo_gae_lam1": "tab:blue"}


# ---------------------------------------------------------------------------------------------------------
# One run, resumable runs
# ---------------------------------------------------------------------------------------------------------


def train_run(task_name: str, method: str, settings: Settings, seed: int) -> dict[str, Any]:
    """Behaviour-clone, measure the start, train with ``method`` for the task's episodes, measure the end.

    Returns:
        The run's record: settings, BC info, start/final success rates, per-update batch successes, timings.
    """
    torch.set_num_threads(1)  # one core per run: the machine is shared
    began = time.perf_counter()
    task = TASKS[task_name]
    policy, bc_info = behaviour_clone(task, settings, seed)
    start = success_rate(task, policy, settings.eval_episodes, [seed, 1])
    torch.manual_seed(1000 + seed)  # the critic's init is the only per-method randomness before the rollouts
    inputs = policy[0].in_features + (0 if method == "sppo" else 1)
    critic = mlp(inputs, 1, settings.hidden)
    nets = {
        "policy": policy,
        "critic": critic,
        "policy_opt": torch.optim.Adam(policy.parameters(), lr=settings.policy_lr),
        "critic_opt": torch.optim.Adam(critic.parameters(), lr=settings.critic_lr),
    }
    rng = np.random.default_rng([seed, 2])  # the same rollout stream for both methods while policies agree
    successes, kls = [], []
    for _ in range(settings.episodes[task_name] // task.batch):
        batch = rollout(task, numpy_sampler(policy, rng), task.batch, rng)
        successes.append(int(batch.success.sum()))
        kls.append(update(method, nets, batch, task, settings)["approx_kl"])
    final = success_rate(task, policy, settings.eval_episodes, [seed, 3])
    return {
        "task": task_name, "method": method, "seed": seed, "settings": dataclasses.asdict(settings),
        "bc": bc_info, "start_success": start, "final_success": final, "batch": task.batch,
        "batch_successes": successes, "approx_kl_mean": float(np.mean(kls)) if kls else 0.0,
        "wall_s": time.perf_counter() - began,
    }  # fmt: skip


def run_path(work_dir: Path, task: str, method: str, seed: int) -> Path:
    """Where the JSON of one (task, method, seed) run lives."""
    return work_dir / f"{task}_{method}_seed{seed}.json"


def load_finished(path: Path, settings: Settings) -> dict[str, Any] | None:
    """The saved run at ``path`` if it exists and used exactly ``settings``, else None (it must be redone)."""
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    return record if record.get("settings") == json.loads(json.dumps(dataclasses.asdict(settings))) else None


def run_all(jobs: list[tuple[str, str, int]], settings: Settings, work_dir: Path, workers: int) -> list[dict]:
    """Run every (task, method, seed) job not already finished in ``work_dir``; return all records in order."""
    work_dir.mkdir(parents=True, exist_ok=True)
    records = {job: load_finished(run_path(work_dir, *job), settings) for job in jobs}
    todo = [job for job, record in records.items() if record is None]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} runs already finished in {work_dir}", flush=True)
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(train_run, *job[:2], settings, job[2]): job for job in todo}
        for future in concurrent.futures.as_completed(futures):
            job, record = futures[future], future.result()
            # Written whole then renamed, so an interrupted run never leaves a half JSON that looks finished.
            tmp = run_path(work_dir, *job).with_suffix(".tmp")
            tmp.write_text(json.dumps(record))
            tmp.replace(run_path(work_dir, *job))
            records[job] = record
            print(f"{job[0]:12s} {METHODS[job[1]]:19s} seed {job[2]}: start {record['start_success']:.3f} -> "
                  f"final {record['final_success']:.3f} ({record['wall_s']:.0f} s)", flush=True)  # fmt: skip
    return [records[job] for job in jobs]


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------


def curve(record: dict[str, Any], points: int) -> tuple[np.ndarray, np.ndarray]:
    """Training success rate in ``points`` consecutive bins of updates: ``(episodes at bin end, rate)``."""
    successes = np.asarray(record["batch_successes"], dtype=float)
    per_bin = max(1, len(successes) // points)
    usable = len(successes) // per_bin * per_bin  # drop a ragged last bin rather than plot a noisier point
    rates = successes[:usable].reshape(-1, per_bin).sum(1) / (per_bin * record["batch"])
    episodes = np.arange(1, len(rates) + 1) * per_bin * record["batch"]
    return episodes, rates


def episodes_to_target(records: list[dict[str, Any]], target: float, points: int) -> str:
    """Episodes until a seed's binned training success first reaches ``target``, and how many seeds did."""
    hits = []
    for record in records:
        episodes, rates = curve(record, points)
        reached = np.flatnonzero(rates >= target)
        if len(reached):
            hits.append(int(episodes[reached[0]]))
    if not hits:
        return f"not reached (0/{len(records)})"
    return f"{np.mean(hits):,.0f} ({len(hits)}/{len(records)} seeds)"


def results_table(groups: dict[tuple[str, str], list[dict[str, Any]]], settings: Settings) -> str:
    """One row per (task, method): mean ± std over seeds; the final success rate, the key figure, last."""
    headers = [
        "task", "method", "scripted controller", "BC start", "train success, all episodes",
        "train success, last 10% of episodes",
        *(f"episodes to train success >= {t:g}" for t in settings.targets), "run seconds",
        "final success (eval)",
    ]  # fmt: skip
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for (task, method), records in groups.items():
        late = [r["batch_successes"][-max(1, len(r["batch_successes"]) // 10) :] for r in records]
        late_rate = [sum(s) / (len(s) * r["batch"]) for s, r in zip(late, records)]
        overall = [sum(r["batch_successes"]) / (len(r["batch_successes"]) * r["batch"]) for r in records]
        reach = [episodes_to_target(records, t, settings.curve_points) for t in settings.targets]
        row = [
            task, METHODS[method], mean_std([r["bc"]["scripted_success"] for r in records]),
            mean_std([r["start_success"] for r in records]), mean_std(overall), mean_std(late_rate), *reach,
            mean_std([r["wall_s"] for r in records], 0), mean_std([r["final_success"] for r in records]),
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def plot_task(png: Path, task: str, groups: dict[tuple[str, str], list[dict[str, Any]]], settings: Settings) -> Path:
    """Training success rate against episodes, mean ± std over seeds, one line per method; the BC start dotted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for method, colour in COLOURS.items():
        records = groups.get((task, method))
        if not records:
            continue
        curves = [curve(r, settings.curve_points) for r in records]
        size = min(len(c[1]) for c in curves)
        rates = np.stack([c[1][:size] for c in curves])
        mean, std = rates.mean(0), rates.std(0, ddof=1) if len(rates) > 1 else np.zeros(size)
        ax.plot(curves[0][0][:size], mean, color=colour, label=f"{METHODS[method]} ({len(records)} seeds)")
        ax.fill_between(curves[0][0][:size], mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
    # Both methods of a seed start from the same cloned policy, so one line shows the start of both.
    start = np.mean([r["start_success"] for m in METHODS for r in groups.get((task, m), [])])
    ax.axhline(start, color="black", linestyle=":", linewidth=1, label=f"BC start (eval) {start:.2f}")
    ax.set(xlabel="RL episodes", ylabel="success rate (training batches, binned)", ylim=(-0.02, 1.02))
    ax.set_title(f"{task}: binary terminal reward, gamma = 1")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(png)
    return png


def machine_info() -> str:
    """What produced the numbers: CPU model and cores, GPU, torch, threads per run."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
             if ln.startswith("model name")), cpu,
        )  # fmt: skip
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{os.cpu_count()}-core CPU ({cpu}), {gpu}; torch {torch.__version__}, numpy {np.__version__}, "
        "1 thread per run; the machine was shared with another engineer's jobs, so seconds are indicative"
    )


def kept_interpretation(path: Path) -> str:
    """The hand-written "What it says" section of an existing report, so a rerun does not erase it."""
    if path.exists():
        text = path.read_text()
        if "## What it says" in text:
            section = text[text.index("## What it says") :]
            following = section.find("\n## ", 1)
            return section if following < 0 else section[:following]
    return "## What it says\n\n(Written by hand after a full run.)"


def write_report(
    out: Path, records: list[dict[str, Any]], settings: Settings, wall_s: float
) -> tuple[Path, str, list[Path]]:
    """Write ``classic_control.md`` and one PNG per task into ``out``; return the path, the table and the PNGs."""
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["task"], record["method"]), []).append(record)
    tasks = list(dict.fromkeys(r["task"] for r in records))
    pngs = [plot_task(out / f"classic_control_{task}.png", task, groups, settings) for task in tasks]
    table = results_table(groups, settings)
    seeds = sorted({r["seed"] for r in records})
    settings_rows = [("tasks", ", ".join(tasks)), ("seeds", " ".join(map(str, seeds)))]
    settings_rows += [
        (k, f"`{json.dumps(v)}`" if isinstance(v, dict) else v) for k, v in dataclasses.asdict(settings).items()
    ]
    settings_rows += [(f"episodes per update, {t}", TASKS[t].batch) for t in tasks]
    settings_rows += [(f"scripted-controller noise, {t}", TASKS[t].noise) for t in tasks]
    run_seconds = sum(r["wall_s"] for r in records)
    path = out / "classic_control.md"
    sections = [
        "# SPPO beyond text: classic control with a binary terminal reward (SPPO paper section 5.3)",
        __doc__.strip().split("\n\n", 1)[1].split("\nOutputs")[0].strip(),
        f"Command: `{command_line()}`\n\nMachine: {machine_info()}\n\n"
        f"Wall time: {run_seconds / 60:.1f} min of runs in total (sum over the {len(records)} runs, one core each); "
        f"this invocation took {wall_s / 60:.1f} min (finished runs in the work dir are reused, not rerun).",
        "## Settings\n\n| setting | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in settings_rows),
        "## Results: success rate, mean ± std over seeds\n\n" + table,
        "Columns: *scripted controller* is the noisy controller whose successes were cloned; *BC start* and "
        f"*final success (eval)* are measured on {settings.eval_episodes} fresh episodes with the sampling policy "
        "(as in training) before and after RL; *train success* is the share of successful training episodes (over "
        "all of them it is the area under the curve: it counts collapses that the final number hides); "
        "*episodes to train success >= x* is read off each seed's training curve binned into "
        f"{settings.curve_points} points (so it is never less than one bin), averaged over the seeds that got "
        "there.",
        "\n\n".join(f"![{t}]({p.name})" for t, p in zip(tasks, pngs)),
        kept_interpretation(path),
    ]
    path.write_text("\n\n".join(s.strip() for s in sections) + "\n")
    return path, table, pngs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=[0, 1, 2], help="seeds (default: 0 1 2)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS), help="default: all three")
    parser.add_argument(
        "--methods", nargs="+", choices=list(METHODS), default=DEFAULT_METHODS, help="default: all three"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the markdown and PNGs (default: docs/results)"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None,
        help="per-run JSONs; finished runs with equal settings are reused (default: runs/classic_control)",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke test: tiny runs, first seed only, written to a temp folder unless --out/--work-dir are given",
    )  # fmt: skip
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, one core each (default: 1)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds = args.seeds[:1]
        root = Path(tempfile.gettempdir()) / "rgym-experiments-quick-classic_control"
        args.out, args.work_dir = args.out or root / "results", args.work_dir or root / "runs"
    args.out = args.out or REPO / "docs" / "results"
    args.work_dir = args.work_dir or REPO / "runs" / "classic_control"
    return args


def main(argv: list[str] | None = None) -> int:
    """Check the batched dynamics, run (or reuse) every (task, method, seed), then write and print the report."""
    args = parse_args(argv)
    began = time.perf_counter()
    torch.set_num_threads(1)
    for name in args.tasks:
        check_against_gymnasium(TASKS[name])  # the batched copy must still be Gymnasium's task
    settings = QUICK if args.quick else FULL
    jobs = [(task, method, seed) for task in args.tasks for method in args.methods for seed in args.seeds]
    records = run_all(jobs, settings, args.work_dir, args.jobs)
    path, table, pngs = write_report(args.out, records, settings, time.perf_counter() - began)
    print(f"\nwrote {path}")
    for png in pngs:
        print(f"wrote {png}")
    print("\n" + table, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
