"""Running jobs, each in its own subprocess (:mod:`_train_child`), and reading finished run folders back.

One process per run makes wall-clock and peak memory per run. A finished run folder is reused when a script
is re-run or another script asks for the same job; an interrupted one is started over.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _jobs import SPPO, Job

from reasoning_gym.trainers import metrics as run_metrics

CHILD = Path(__file__).with_name("_train_child.py")


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
