"""Run metrics: one JSON object per step in ``DIR/metrics.jsonl``, plus a short line on stdout."""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MetricsLogger", "TrainResult", "mean_metrics", "speed_metrics", "timed"]

#: Keys printed on the console line, when present.
CONSOLE_KEYS = ("reward/mean", "loss/policy", "loss/critic", "critic/value_mean", "time/step")


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
    """Appends one JSON line per step to ``output_dir/metrics.jsonl``.

    Args:
        output_dir: The run folder.
        resume_step: When resuming, lines of steps after this one (logged after the checkpoint that is being
            resumed from) are dropped, so the file describes exactly one run.
        quiet: Do not print the console line.
    """

    def __init__(self, output_dir: str | os.PathLike, *, resume_step: int | None = None, quiet: bool = False) -> None:
        self.path = Path(output_dir) / "metrics.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.quiet = quiet
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            kept = [line for line in self.path.read_text().splitlines() if _step_of(line) <= resume_step]
            # Rewritten atomically: a crash while resuming must not lose the rows that are kept.
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(line + "\n" for line in kept))
            os.replace(tmp, self.path)

    def log(self, metrics: dict[str, Any]) -> None:
        """Write ``metrics`` (which must contain ``step``) as one line, and print a summary."""
        with self.path.open("a") as f:
            f.write(json.dumps(metrics, sort_keys=True) + "\n")
        if not self.quiet:
            shown = " ".join(f"{k}={metrics[k]:.4g}" for k in CONSOLE_KEYS if k in metrics)
            print(f"step {metrics['step']}: {shown}", flush=True)


def _step_of(line: str) -> float:
    """The step of a metrics line; a line cut short by a crash (only ever the last one) sorts after all."""
    try:
        return json.loads(line)["step"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return math.inf


def mean_metrics(dicts: Iterable[dict[str, float]]) -> dict[str, float]:
    """Average each key over the dicts that have it (e.g. over micro-batches)."""
    sums: dict[str, list[float]] = {}
    for d in dicts:
        for k, v in d.items():
            sums.setdefault(k, []).append(v)
    return {k: math.fsum(v) / len(v) for k, v in sums.items()}


def speed_metrics(times: dict[str, float], *, tokens: int, generated: int) -> dict[str, float]:
    """``times`` plus the step time and throughputs: all tokens per step-second, generated per generate-second."""
    step_time = math.fsum(times.values())
    return {
        **times,
        "time/step": step_time,
        "perf/tokens_per_s": tokens / max(step_time, 1e-9),
        "perf/gen_tokens_per_s": generated / max(times.get("time/generate", 0.0), 1e-9),
    }


@contextlib.contextmanager
def timed(times: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall-clock seconds spent in the block to ``times[key]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        times[key] = times.get(key, 0.0) + time.perf_counter() - start
