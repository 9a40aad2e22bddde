"""Aggregation over seeds: mean curves of held-out accuracy, ``mean ± std`` strings, first-reaching points."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from _runs import RunResult


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
