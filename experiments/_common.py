"""Shared machinery of the experiment scripts in this folder.

Each script compares methods side by side on fixed seeds. The machinery here does five things:

* It describes a training job as an algorithm plus dotted flags of ``rgym train`` (:class:`Settings`,
  :class:`Job`).
* It runs each job in its own subprocess (:func:`run_jobs`), so that wall-clock and peak memory are per run.
  The child is :mod:`_train_child`, which calls ``reasoning_gym.trainers.cli.main`` and records its own peak
  memory.
* It keeps every run folder under a work dir, named by a hash of the job. A finished run is reused when a
  script is re-run, and also when another script asks for the same job.
* It reads ``metrics.jsonl`` into curves (:class:`RunResult`): held-out accuracy against cumulative
  ``time/step`` (the training step's own timers, so evaluation is excluded) and against samples generated.
* It aggregates the curves over seeds and writes markdown tables and PNG plots.

The scripts import this module by its file name: Python puts a script's folder on ``sys.path``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoning_gym.trainers import metrics as run_metrics

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "docs" / "results"
DEFAULT_WORK = REPO / "runs" / "experiments"
CHILD = Path(__file__).with_name("_train_child.py")
#: The long-horizon env: a chain of 4 single-digit additions, reference solutions of ~50 policy tokens. The
#: ``rgym train`` preset uses 2 additions (~32 tokens). One wrong partial sum makes the answer wrong.
LONG_ENV = {"split": "train", "steps": 4, "digits": 1, "operations": "+"}
#: Colours of the methods in every plot, so that a method looks the same across figures.
COLOURS = {"sppo": "tab:red", "grpo": "tab:blue", "rloo": "tab:gray", "remax": "tab:brown", "ppo": "tab:purple"}


# ---------------------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What every method of one experiment shares. The algorithms' own flags come from :func:`method_flags`.

    Attributes:
        policy: Policy model: ``tiny``, ``small`` (the built-in models) or a Hugging Face folder.
        env_kwargs: Keyword arguments of ``rg/Arithmetic-v0``.
        sft_steps: Steps of the supervised warm start. It is cached per seed, and every method starts from it.
        sft_lr: Learning rate of the warm start.
        steps: RL steps of a method with ``steps_factor`` 1 (GRPO); the others run ``steps * steps_factor``.
        prompts_per_step: Prompts per RL step, the same for every method.
        updates_per_step: Optimizer steps per RL step: each rollout batch is split into this many mini-batches.
        eval_every: Held-out evaluation every this many steps, times a method's ``eval_factor`` (and before
            the first step and after the last). ``steps`` must be a multiple of every method's interval, so
            that all methods are evaluated at step ``steps`` (the equal-steps comparison).
        eval_size: Held-out problems per evaluation, decoded greedily.
        temperature: Sampling temperature of the rollouts.
        max_new_tokens: Response length limit.
        actor_lr: Policy learning rate (AdamW, constant, no weight decay).
        critic_lr: Critic learning rate (SPPO and PPO).
        critic: Critic model of SPPO and PPO.
        ppo_critic_warmup: PPO's steps that train only the critic (the paper: 50 of 1000).
        micro_batch_size: Sequences per forward/backward pass.
    """

    policy: str = "tiny"
    env_kwargs: dict[str, Any] = field(default_factory=lambda: dict(LONG_ENV))
    sft_steps: int = 250
    sft_lr: float = 3e-3
    steps: int = 20
    prompts_per_step: int = 32
    updates_per_step: int = 2
    eval_every: int = 5
    eval_size: int = 200
    temperature: float = 0.3
    max_new_tokens: int = 80
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    critic: str = "tiny"
    ppo_critic_warmup: int = 3
    micro_batch_size: int = 64

    def shared_flags(self) -> dict[str, Any]:
        """The dotted ``rgym train`` flags that every algorithm gets from these settings."""
        return {
            "policy.path": self.policy,
            "env.kwargs": self.env_kwargs,
            "sft.steps": self.sft_steps,
            "sft.lr": self.sft_lr,
            "rollout.temperature": self.temperature,
            "rollout.max_new_tokens": self.max_new_tokens,
            "actor_optim.lr": self.actor_lr,
            # Spelled out because the sppo preset of `rgym train` now differs (2 epochs, cosine decay):
            # every method here gets one pass and a constant lr, as in the committed results.
            "actor_optim.epochs": 1,
            "actor_optim.schedule": "constant",
            "actor_optim.weight_decay": 0.0,
            "actor_optim.micro_batch_size": self.micro_batch_size,
            "eval.every": self.eval_every,
            "eval.size": self.eval_size,
            "run.save_every": 0,
            "prompts_per_step": self.prompts_per_step,
        }


@dataclass(frozen=True)
class Method:
    """One compared method: a label, the trainer, and how many samples it generates per prompt.

    Attributes:
        label: Row name in tables and legends.
        algo: Trainer name (``sppo``, ``ppo``, ``grpo``, ``rloo``, ``remax``).
        samples_per_prompt: Responses generated per prompt and step (ReMax: 1 sampled + 1 greedy = 2).
        trained_per_prompt: Responses per prompt in the policy update (sets the actor's mini-batch size).
        flags: Extra dotted flags, on top of :func:`method_flags`.
        settings: Settings that differ from the experiment's, e.g. another policy or critic.
        steps_factor: The method runs ``settings.steps * steps_factor`` steps.
        eval_factor: The method is evaluated every ``settings.eval_every * eval_factor`` steps.
    """

    label: str
    algo: str
    samples_per_prompt: int = 1
    trained_per_prompt: int = 1
    flags: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    steps_factor: float = 1.0
    eval_factor: int = 1


#: The methods of the paper's Table 1 and Fig. 5, with the paper's group sizes. Here one GRPO (N=8) step
#: costs about 6x an SPPO step and 1.7x an RLOO step, so the cheaper methods train for more steps. Each then
#: gets roughly GRPO's training wall-clock (75-95% of it on the calibration CPU). They are evaluated less
#: often, so that the number of evaluations stays about the same. Every run is also evaluated at GRPO's last
#: step, which gives the equal-steps comparison.
SPPO = Method("SPPO (N=1)", "sppo", steps_factor=5, eval_factor=2)
GRPO = Method("GRPO (N=8)", "grpo", 8, 8, {"num_generations": 8})
RLOO = Method("RLOO (N=5)", "rloo", 5, 5, {"num_generations": 5}, steps_factor=1.5)
REMAX = Method("ReMax", "remax", 2, 1, steps_factor=5, eval_factor=2)
PPO = Method("PPO-GAE", "ppo", steps_factor=5, eval_factor=2)

#: The experiments' settings, calibrated so that time_to_target.py takes about 25 min on 2 cores.
FULL = Settings()
#: Smoke-test settings: a few steps, tiny batches, a 10-step warm start. The accuracies mean nothing.
QUICK = Settings(sft_steps=10, steps=1, prompts_per_step=4, eval_every=1, eval_size=8, max_new_tokens=24)


@dataclass(frozen=True)
class Job:
    """One training run: a method, a seed and the full list of dotted flags.

    Attributes:
        method: The method it belongs to.
        seed: ``run.seed``.
        flags: Every dotted flag of ``rgym train <algo>`` (``run.output_dir`` and ``run.seed`` excluded).
        samples_per_step: Responses generated per step, for the accuracy-against-samples curves.
    """

    method: Method
    seed: int
    flags: dict[str, Any]
    samples_per_step: int

    @property
    def steps(self) -> int:
        """The run's last step."""
        return int(self.flags["run.steps"])

    def folder(self, work_dir: Path) -> Path:
        """The run folder. Its name hashes everything that determines the run, so equal jobs share it."""
        recipe = json.dumps([self.method.algo, self.seed, self.flags], sort_keys=True, default=str)
        digest = hashlib.sha256(recipe.encode()).hexdigest()[:10]
        return work_dir / f"{self.method.algo}-seed{self.seed}-{digest}"

    def argv(self, output_dir: Path) -> list[str]:
        """The child's command line: ``ALGO --run.output_dir DIR --run.seed S --dotted.flag VALUE ...``."""
        # The experiments were set up on the CPU demo's settings, whatever the policy (SmolLM2 included).
        args = [
            self.method.algo,
            "--preset",
            "cpu-demo",
            "--run.output_dir",
            str(output_dir),
            "--run.seed",
            str(self.seed),
        ]
        for key, value in sorted(self.flags.items()):
            if isinstance(value, bool):
                args.append(f"--{key}" if value else f"--no-{key}")
            else:
                args += [f"--{key}", json.dumps(value) if isinstance(value, dict) else str(value)]
        return args


def method_flags(method: Method, settings: Settings) -> dict[str, Any]:
    """Every dotted flag of ``method`` under ``settings`` (the actor and critic step ``updates_per_step`` times)."""
    settings = dataclasses.replace(settings, **method.settings)
    flags = settings.shared_flags()
    flags["run.steps"] = max(1, round(settings.steps * method.steps_factor))
    flags["eval.every"] = settings.eval_every * method.eval_factor
    rows = settings.prompts_per_step * method.trained_per_prompt
    flags["actor_optim.mini_batch_size"] = max(1, rows // settings.updates_per_step)
    if method.algo in ("sppo", "ppo"):
        flags["critic.path"] = settings.critic
        flags["critic_optim.lr"] = settings.critic_lr
        flags["critic_optim.mini_batch_size"] = max(1, settings.prompts_per_step // settings.updates_per_step)
        flags["critic_optim.micro_batch_size"] = settings.micro_batch_size
    if method.algo == "ppo":
        flags["critic_warmup"] = settings.ppo_critic_warmup
    return {**flags, **method.flags}


def make_jobs(methods: Sequence[Method], settings: Settings, seeds: Sequence[int]) -> list[Job]:
    """One job per method and seed, seed-major so that every method has a run before any has three."""
    jobs = []
    for seed in seeds:
        for method in methods:
            flags = method_flags(method, settings)
            jobs.append(Job(method, seed, flags, flags["prompts_per_step"] * method.samples_per_prompt))
    return jobs


# ---------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What one finished run measured.

    Attributes:
        job: The job.
        folder: Its run folder.
        steps: Step of each held-out evaluation (0 is before training).
        wall_s: Cumulative training seconds (sum of ``time/step``) at each evaluation.
        samples: Cumulative responses generated at each evaluation.
        accuracy: Held-out accuracy at each evaluation.
        total_wall_s: Training seconds of the whole run.
        peak_rss_mb: Peak resident memory of the training process (MiB).
        cuda_peak_mb: ``torch.cuda.max_memory_allocated`` (MiB), or None on CPU.
    """

    job: Job
    folder: Path
    steps: list[int]
    wall_s: list[float]
    samples: list[float]
    accuracy: list[float]
    total_wall_s: float
    peak_rss_mb: float | None
    cuda_peak_mb: float | None

    @property
    def final_accuracy(self) -> float:
        """Held-out accuracy after the last step."""
        return self.accuracy[-1]

    def accuracy_at(self, step: int) -> float | None:
        """Held-out accuracy at ``step``, or None when the run was not evaluated there."""
        return dict(zip(self.steps, self.accuracy)).get(step)


def run_jobs(jobs: Sequence[Job], work_dir: Path, *, threads: int = 1) -> list[RunResult]:
    """Run every job that has no finished folder yet, one at a time; return the results in ``jobs`` order.

    Raises:
        RuntimeError: If a child fails. The message names its log. Finished runs are kept, so a re-run
            continues where this one stopped.
    """
    from tqdm.auto import tqdm

    work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    bar = tqdm(jobs, desc="runs", unit="run", dynamic_ncols=True)
    for job in bar:
        folder = job.folder(work_dir)
        bar.set_postfix_str(f"{job.method.label} seed {job.seed}")
        if is_finished(job, folder):
            bar.write(f"reusing {folder.name} ({job.method.label}, seed {job.seed})")
        else:
            ensure_warm_start(job, threads)
            seconds = _run_child(job, folder, threads)
            bar.write(f"trained {folder.name} ({job.method.label}, seed {job.seed}) in {seconds:.0f}s")
        results.append(read_run(job, folder))
    bar.close()
    return results


def is_finished(job: Job, folder: Path) -> bool:
    """True when ``folder`` holds a complete run of ``job``: its last step is logged, and so is its peak memory."""
    metrics, memory = folder / "metrics.jsonl", folder / "peak_memory.json"
    if not (metrics.exists() and memory.exists()):
        return False
    return any(row.get("step") == job.steps for row in run_metrics.read_metrics(metrics))


def _run_child(job: Job, folder: Path, threads: int) -> float:
    """Train ``job`` into ``folder`` in a fresh process; returns the child's wall-clock seconds."""
    if folder.exists():  # an interrupted run: start over, so that its time and memory are one run's
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    log = folder / "train.log"
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(
            [sys.executable, str(CHILD), *job.argv(folder)], stdout=out, stderr=subprocess.STDOUT, env=env, check=False
        )
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(
            f"Training run {job.method.label} (seed {job.seed}) failed with exit code {proc.returncode}; the full "
            f"log is {log}. Its last lines:\n{tail}\nFix the cause and re-run the script: finished runs are reused."
        )
    return time.perf_counter() - start


def ensure_warm_start(job: Job, threads: int) -> None:
    """Build the job's cached SFT warm start in this process, where it does not count in a run's peak memory.

    The cache key covers the policy, env, SFT settings, seed and response limit. Jobs that share those share
    one warm start, whatever their algorithm.
    """
    import torch

    from reasoning_gym.trainers.cli import parse_train_args
    from reasoning_gym.trainers.sft import sft_cache_dir, warm_start
    from reasoning_gym.trainers.sppo import SPPOConfig

    if not job.flags.get("sft.steps"):
        return
    keys = ("policy.path", "env.kwargs", "sft.steps", "sft.lr", "rollout.max_new_tokens")
    flags = {k: job.flags[k] for k in keys if k in job.flags}
    argv = Job(SPPO, job.seed, flags, 0).argv(Path(tempfile.gettempdir()) / "rgym-experiments-sft")[1:]
    config = parse_train_args("sppo", SPPOConfig, argv)
    if (sft_cache_dir(config) / "config.json").exists():
        return
    torch.set_num_threads(threads)
    warm_start(config)


def read_run(job: Job, folder: Path) -> RunResult:
    """Read a finished run's ``metrics.jsonl`` and ``peak_memory.json`` into a :class:`RunResult`."""
    rows = sorted(read_metrics(folder), key=lambda r: r["step"])
    wall = samples = 0.0
    steps, walls, counts, accs = [], [], [], []
    for row in rows:
        if row["step"] > 0:
            wall += row.get("time/step", 0.0)
            samples += job.samples_per_step
        if "eval/accuracy" in row:
            steps.append(row["step"])
            walls.append(wall)
            counts.append(samples)
            accs.append(row["eval/accuracy"])
    if not accs:
        raise RuntimeError(f"{folder / 'metrics.jsonl'} has no eval/accuracy; the runs need --eval.every > 0.")
    memory = json.loads((folder / "peak_memory.json").read_text())
    return RunResult(
        job, folder, steps, walls, counts, accs, wall, memory.get("max_rss_mb"), memory.get("cuda_max_allocated_mb")
    )


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The rows of a run folder's ``metrics.jsonl``, in file order (a line cut short by a crash is skipped)."""
    return run_metrics.read_metrics(folder / "metrics.jsonl")


# ---------------------------------------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Curve:
    """One method's curve averaged over seeds, at its evaluation points.

    Attributes:
        label: The method's label.
        algo: The method's trainer (picks the colour).
        steps: Evaluation steps.
        wall_s: Mean cumulative training seconds at each evaluation.
        samples: Cumulative responses generated at each evaluation.
        mean: Mean held-out accuracy over seeds.
        std: Standard deviation over seeds (0 with one seed).
    """

    label: str
    algo: str
    steps: list[int]
    wall_s: list[float]
    samples: list[float]
    mean: list[float]
    std: list[float]


def by_method(results: Iterable[RunResult]) -> dict[str, list[RunResult]]:
    """Group results by method label, in first-seen order."""
    groups: dict[str, list[RunResult]] = {}
    for result in results:
        groups.setdefault(result.job.method.label, []).append(result)
    return groups


def mean_curve(runs: Sequence[RunResult], *, gain: bool = False) -> Curve:
    """Average a method's runs point by point. All runs of a method evaluate at the same steps.

    With ``gain``, each run's accuracy is taken relative to its own start (step 0). The seeds' warm starts
    differ a lot, so these paired differences show the effect of training with far less seed noise.
    """
    steps = runs[0].steps
    for run in runs:
        if run.steps != steps:
            raise RuntimeError(f"{run.folder} evaluated at steps {run.steps}, the other seeds at {steps}.")
    columns = list(zip(*([a - r.accuracy[0] * gain for a in r.accuracy] for r in runs)))
    return Curve(
        label=runs[0].job.method.label,
        algo=runs[0].job.method.algo,
        steps=list(steps),
        wall_s=[statistics.fmean(col) for col in zip(*(r.wall_s for r in runs))],
        samples=list(runs[0].samples),
        mean=[statistics.fmean(col) for col in columns],
        std=[statistics.stdev(col) if len(col) > 1 else 0.0 for col in columns],
    )


def mean_std(values: Sequence[float], digits: int = 3) -> str:
    """``"mean ± std"`` over seeds (the sample standard deviation); only the mean for a single value."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.fmean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def first_reaching(xs: Sequence[float], ys: Sequence[float], target: float) -> float | None:
    """The first ``x`` whose ``y`` is at least ``target`` (at evaluation points, not interpolated), else None."""
    return next((x for x, y in zip(xs, ys) if y >= target - 1e-12), None)


# ---------------------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------------------


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info(threads: int) -> str:
    """One line on what produced the numbers: CPU model, cores, torch version, threads per run, GPU, load."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {threads} thread(s) per run, GPU: {gpu}, "
        f"Python {platform.python_version()}; load average (1/5/15 min) when the report was written: {load}"
    )


def settings_table(settings: Settings, **extra: Any) -> str:
    """The experiment's settings as a two-column markdown table."""
    rows = [(k, f"`{json.dumps(v)}`" if isinstance(v, dict) else v) for k, v in dataclasses.asdict(settings).items()]
    rows += list(extra.items())
    return md_table(["setting", "value"], rows)


def write_report(out_dir: Path, name: str, sections: Sequence[str]) -> Path:
    """Write ``out_dir/name`` from markdown ``sections`` joined by blank lines; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    path.write_text("\n\n".join(s.strip() for s in sections) + "\n")
    return path


def plot_curves(
    png: Path,
    curves: Sequence[Curve],
    *,
    x: str,
    xlabel: str,
    title: str,
    hline: float | None = None,
    ylabel: str = "held-out accuracy (greedy)",
) -> Path:
    """Plot mean held-out accuracy ± std (shaded) of each curve against ``x`` (``wall_s``, ``samples`` or ``steps``)."""
    fig, ax = new_figure()
    for i, curve in enumerate(curves):
        xs = getattr(curve, x)
        colour = COLOURS.get(curve.algo) if i == 0 or curves[i - 1].algo != curve.algo else None
        style = "--" if any(c.algo == curve.algo for c in curves[:i]) else "-"
        (line,) = ax.plot(xs, curve.mean, style, marker="o", markersize=3, color=colour, label=curve.label)
        low = [m - s for m, s in zip(curve.mean, curve.std)]
        high = [m + s for m, s in zip(curve.mean, curve.std)]
        ax.fill_between(xs, low, high, color=line.get_color(), alpha=0.15, linewidth=0)
    if hline is not None:
        ax.axhline(hline, color="black", linestyle=":", linewidth=1, label=f"target {hline:.3f}")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return save_figure(fig, ax, png)


def new_figure() -> tuple[Any, Any]:
    """A matplotlib figure on the Agg canvas (no global backend change) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_figure(fig: Any, ax: Any, png: Path) -> Path:
    """Add grid and legend, save ``png``, return its path."""
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    return png


# ---------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------


def base_parser(doc: str) -> argparse.ArgumentParser:
    """The flags every script shares: ``--seeds``, ``--out``, ``--work-dir``, ``--quick``, ``--threads``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="run seeds (default: 0 1 2)")
    parser.add_argument(
        "--out", type=Path, default=None, help=f"folder for the markdown and PNGs (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help=f"folder of the run folders; finished runs there are reused (default: {DEFAULT_WORK})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: a few steps of tiny runs, seed 0 only, written to a temp folder unless --out is given",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads per training run (default: 1)")
    return parser


def resolve_dirs(args: argparse.Namespace, script: str) -> tuple[Path, Path]:
    """``(out, work_dir)`` from the flags; quick mode writes under a temp folder and keeps only the first seed."""
    if args.quick:
        args.seeds = args.seeds[:1]
        root = Path(tempfile.gettempdir()) / f"rgym-experiments-quick-{script}"
        return args.out or root / "results", args.work_dir or root / "runs"
    return args.out or DEFAULT_OUT, args.work_dir or DEFAULT_WORK


def doc_intro(doc: str) -> str:
    """A script docstring's description: what follows the title line, up to the paragraph on its outputs."""
    paragraphs = doc.strip().split("\n\n")[1:]
    end = next((i for i, p in enumerate(paragraphs) if p.startswith("Outputs")), len(paragraphs))
    return "\n\n".join(paragraphs[:end])


def command_line() -> str:
    """How this script was run, for the report."""
    script = Path(sys.argv[0])
    with_repo = script.resolve().relative_to(REPO) if script.resolve().is_relative_to(REPO) else script
    return " ".join(["python", str(with_repo), *sys.argv[1:]])


def finish(path: Path, table: str, pngs: Sequence[Path]) -> None:
    """Tell where the report and plots are, then print the main table, last."""
    print(f"\nwrote {path}")
    for png in pngs:
        print(f"wrote {png}")
    print("\n" + table, flush=True)
