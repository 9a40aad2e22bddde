"""Run outputs: metrics.jsonl, TensorBoard events, a progress bar and a PNG of the reward curve.

* ``DIR/metrics.jsonl`` -- every metric of every step (step 0 holds the evaluation before training).
* ``DIR/tensorboard/`` -- the same scalars as TensorBoard event files (``tensorboard --logdir DIR``), when
  the ``tensorboard`` package (the ``train`` extra) is installed; otherwise a warning, once.
* a Weights & Biases run (config, every scalar, verdict counts) when ``run.report_to`` includes ``wandb``
  (:mod:`reasoning_gym.integrations.tracking`).
* a ``tqdm`` progress bar with the latest reward and held-out accuracy, and a console line per evaluation.
* ``DIR/reward_curve.png`` -- training reward and held-out accuracy against step (:func:`write_reward_curve`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MetricsLogger",
    "TrainResult",
    "mean_metrics",
    "read_metrics",
    "speed_metrics",
    "timed",
    "write_reward_curve",
]

#: Keys printed on the console line, when present.
CONSOLE_KEYS = ("reward/mean", "eval/accuracy", "loss/policy", "loss/critic", "critic/value_mean", "time/step")
#: Keys shown next to the progress bar, when present.
BAR_KEYS = {"reward/mean": "reward", "eval/accuracy": "eval"}
_warned_no_tensorboard = False


@dataclass
class TrainResult:
    """What ``train`` returns.

    Attributes:
        output_dir: The run folder.
        last_step: The last step trained (and checkpointed).
        history: The metrics logged by this call, one dict per step.
    """

    output_dir: Path
    last_step: int
    history: list[dict[str, Any]] = field(default_factory=list)


class MetricsLogger:
    """Appends one JSON line per step to ``output_dir/metrics.jsonl``, mirrors it to TensorBoard and a progress bar.

    Args:
        output_dir: The run folder.
        resume_step: When resuming, lines of steps after this one (logged after the checkpoint that is being
            resumed from) are dropped, so the file describes exactly one run.
        quiet: No progress bar and no console lines.
        total_steps: Length of the progress bar (no bar when None).
        tensorboard: Allow TensorBoard event files in ``output_dir/tensorboard`` (when ``report_to`` has it).
        report_to: ``"tensorboard"``, ``"tensorboard,wandb"``, ``"none"``...; None reads ``run.report_to`` from
            the run's ``config.json`` in ``output_dir`` (the trainers write it just before), else tensorboard.
        run_config: The settings the W&B run records (default: that ``config.json``).
    """

    def __init__(
        self,
        output_dir: str | os.PathLike,
        *,
        resume_step: int | None = None,
        quiet: bool = False,
        total_steps: int | None = None,
        tensorboard: bool = True,
        report_to: str | Sequence[str] | None = None,
        run_config: dict[str, Any] | None = None,
    ) -> None:
        self.path = Path(output_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        reporters, run_config = _reporters(self.path.parent, report_to, run_config)
        tensorboard = tensorboard and "tensorboard" in reporters
        self._writer = _tensorboard_writer(self.path.parent / "tensorboard", resume_step) if tensorboard else None
        self._wandb = None
        if "wandb" in reporters:
            from reasoning_gym.integrations.tracking import WandbRun

            self._wandb = WandbRun(self.path.parent, run_config, resume=resume_step is not None)
        self._bar, self._postfix = None, {}
        if total_steps is not None and not quiet:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total_steps, initial=resume_step or 0, desc="train", unit="step", dynamic_ncols=True)
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            kept = [line for line in self.path.read_text().splitlines() if _step_of(line) <= resume_step]
            # Rewritten atomically: a crash while resuming must not lose the rows that are kept.
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(line + "\n" for line in kept))
            os.replace(tmp, self.path)

    def log(self, metrics: dict[str, Any]) -> None:
        """Write ``metrics`` (which must contain ``step``) as one line; update TensorBoard and the progress bar.

        A console line is printed for steps with an evaluation, or for every step when there is no bar.
        """
        with self.path.open("a") as f:
            f.write(json.dumps(metrics, sort_keys=True) + "\n")
        step = metrics["step"]
        if self._writer is not None:
            for key, value in metrics.items():
                if key != "step" and isinstance(value, int | float) and math.isfinite(value):
                    self._writer.add_scalar(key, value, step)
        if self._wandb is not None:
            self._wandb.log(metrics, step)
        if self.quiet:
            return
        shown = " ".join(f"{k}={metrics[k]:.4g}" for k in CONSOLE_KEYS if k in metrics)
        if self._bar is None:
            print(f"step {step}: {shown}", flush=True)
            return
        if step > 0:
            self._bar.update(1)
        self._postfix.update({short: f"{metrics[k]:.3f}" for k, short in BAR_KEYS.items() if k in metrics})
        self._bar.set_postfix(self._postfix)
        if "eval/accuracy" in metrics:
            self._bar.write(f"step {step}: {shown}")

    def close(self) -> None:
        """Close the progress bar, flush TensorBoard and finish the W&B run."""
        if self._bar is not None:
            self._bar.close()
        if self._writer is not None:
            self._writer.close()
        if self._wandb is not None:
            self._wandb.finish()
            self._wandb = None


def _reporters(
    output_dir: Path, report_to: str | Sequence[str] | None, run_config: dict[str, Any] | None
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The reporters to use and the config W&B records, from the arguments or the run's ``config.json``."""
    from reasoning_gym.integrations.tracking import parse_report_to

    saved: dict[str, Any] = {}
    config_path = output_dir / "config.json"
    if (report_to is None or run_config is None) and config_path.is_file():
        with contextlib.suppress(json.JSONDecodeError):
            saved = json.loads(config_path.read_text())
    if report_to is None:
        report_to = saved.get("run", {}).get("report_to", "tensorboard")
    return parse_report_to(report_to), run_config if run_config is not None else saved


def _tensorboard_writer(log_dir: Path, resume_step: int | None) -> Any:
    """A TensorBoard ``SummaryWriter``, or None (with a warning, once) when tensorboard is not installed."""
    global _warned_no_tensorboard
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        if not _warned_no_tensorboard:
            warnings.warn(
                "TensorBoard logging is off: the tensorboard package is missing (pip install 'rgym[train]'); "
                "metrics.jsonl is written as usual.",
                stacklevel=3,
            )
            _warned_no_tensorboard = True
        return None
    # purge_step drops events of steps after the checkpoint being resumed from, like metrics.jsonl.
    return SummaryWriter(str(log_dir), purge_step=None if resume_step is None else resume_step + 1)


def _step_of(line: str) -> float:
    """The step of a metrics line; a line cut short by a crash (only ever the last one) sorts after all."""
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return math.inf


#: Key of a metrics dict's weight in :func:`mean_metrics` (e.g. a micro-batch's tokens); never logged.
WEIGHT = "_weight"


def mean_metrics(dicts: Iterable[dict[str, float]]) -> dict[str, float]:
    """Average each key over the dicts that have it (e.g. over micro-batches).

    A dict with a :data:`WEIGHT` entry counts in proportion to it (a micro-batch's tokens or rows), so the
    mean of per-micro-batch means is the whole batch's mean however it was cut; the result then carries the
    total weight, so that averaging over ranks is weighted too. Dicts without one weigh 1.
    """
    sums: dict[str, list[tuple[float, float]]] = {}
    weighted = total = 0.0
    for d in dicts:
        weight = float(d.get(WEIGHT, 1.0))
        if WEIGHT in d:
            weighted, total = weighted + 1, total + weight
        for k, v in d.items():
            if k != WEIGHT:
                sums.setdefault(k, []).append((weight, v))
    out = {k: math.fsum(w * v for w, v in pairs) / math.fsum(w for w, _ in pairs) for k, pairs in sums.items()}
    return {**out, WEIGHT: total} if weighted else out


def speed_metrics(times: dict[str, float], *, tokens: int, generated: int) -> dict[str, float]:
    """``times`` plus the step time and throughputs: all tokens per step-second, generated per generate-second.

    On a GPU ``times`` also holds each phase's peak memory (``memory/<phase>_gib``, see :func:`timed`); the
    step's peak over its phases is added as ``memory/step_peak_gib``.
    """
    step_time = math.fsum(v for k, v in times.items() if k.startswith("time/"))
    peaks = [v for k, v in times.items() if k.startswith("memory/")]
    if peaks:
        times = {**times, "memory/step_peak_gib": max(peaks)}
    return {
        **times,
        "time/step": step_time,
        "perf/tokens_per_s": tokens / max(step_time, 1e-9),
        "perf/gen_tokens_per_s": generated / max(times.get("time/generate", 0.0), 1e-9),
    }


@contextlib.contextmanager
def timed(times: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall-clock seconds spent in the block to ``times[key]`` (a ``time/<phase>`` key).

    On a GPU the block is synchronised at both ends, so the seconds belong to this phase and not to the
    next one that waits for its kernels, and the phase's peak allocated memory is recorded as
    ``times["memory/<phase>_gib"]``.
    """
    torch = sys.modules.get("torch")  # no import: callers without torch never pay for it
    cuda = torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        yield
    finally:
        if cuda:
            torch.cuda.synchronize()
            peak = f"memory/{key.removeprefix('time/')}_gib"
            times[peak] = max(times.get(peak, 0.0), torch.cuda.max_memory_allocated() / 2**30)
        times[key] = times.get(key, 0.0) + time.perf_counter() - start


def read_metrics(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` (a line cut short by a crash is skipped)."""
    rows = []
    for line in Path(path).read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            rows.append(json.loads(line))
    return rows


def write_reward_curve(metrics_path: str | os.PathLike, png_path: str | os.PathLike, *, title: str = "") -> Path | None:
    """Plot the training reward (raw and smoothed) and the held-out accuracy against step, as a PNG.

    Uses matplotlib's Agg canvas directly, so the global backend of the calling process is left alone.

    Returns:
        The PNG's path, or None (with a warning) when matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        warnings.warn("No reward curve: matplotlib is missing (pip install 'rgym[train]').", stacklevel=2)
        return None
    rows = read_metrics(metrics_path)
    train = [(r["step"], r["reward/mean"]) for r in rows if "reward/mean" in r]
    evals = [(r["step"], r["eval/accuracy"]) for r in rows if "eval/accuracy" in r]
    fig = Figure(figsize=(7, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if train:
        steps, rewards = zip(*train)
        ax.plot(steps, rewards, color="tab:blue", alpha=0.3, linewidth=1)
        ax.plot(steps, _moving_average(rewards, max(1, len(rewards) // 20)), color="tab:blue", label="train reward")
    if evals:
        ax.plot(*zip(*evals), "o-", color="tab:orange", label="held-out accuracy")
    ax.set(xlabel="step", ylabel="reward / accuracy", ylim=(-0.02, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png_path)
    return Path(png_path)


def _moving_average(values: Iterable[float], window: int) -> list[float]:
    """Trailing mean over the last ``window`` values (shorter at the start)."""
    out, values = [], list(values)
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(math.fsum(chunk) / len(chunk))
    return out
