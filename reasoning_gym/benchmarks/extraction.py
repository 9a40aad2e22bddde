"""Strict-match and flexible-extract side by side, as lm-eval reports them.

Every math verdict records its outcome under both answer-extraction modes (``details["by_extraction"]``):
``strict`` reads boxes, ``<answer>`` tags and explicit final statements (and the closing sentence after
``</think>``); ``flexible`` also reads the last value of the closing sentence when nothing is marked. The
benchmark's main metrics follow the env's mode; this module adds avg@K and pass@K under each mode and the
number of samples whose reward differs between them (a model that has not learnt the answer format shows a
gap here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from reasoning_gym.benchmarks.metrics import (
    ProblemSamples,
    bootstrap_means,
    per_problem_metrics,
    percentile_ci,
)

__all__ = ["MODES", "extraction_lines", "extraction_scalars", "extraction_summary"]

MODES = ("strict", "flexible")


def _mode_rewards(record: Mapping[str, Any]) -> dict[str, float] | None:
    by_mode = (record.get("verdict") or {}).get("details", {}).get("by_extraction")
    if not by_mode or any(m not in by_mode for m in MODES):
        return None
    return {m: float(by_mode[m]["reward"]) for m in MODES}


def extraction_summary(name: str, records: Sequence[Mapping[str, Any]], k: int) -> dict[str, Any] | None:
    """avg@K and pass@K under each extraction mode, and how many samples differ; ``None`` for non-math records.

    Returns:
        ``{"mode": <the env's mode>, "strict": {"avg@K": metric, "pass@K": metric}, "flexible": {...},
        "differ": count}`` (metrics as ``{"value", "ci_low", "ci_high"}``).
    """
    rewards = [_mode_rewards(r) for r in records]
    if not records or any(r is None for r in rewards):
        return None
    by_problem: dict[int, list[dict[str, float]]] = defaultdict(list)
    for record, reward in sorted(zip(records, rewards), key=lambda x: (x[0]["problem_index"], x[0]["sample_index"])):
        by_problem[record["problem_index"]].append(reward)  # type: ignore[arg-type]
    summary: dict[str, Any] = {"mode": records[0]["verdict"].get("details", {}).get("extraction")}
    for mode in MODES:
        problems = [ProblemSamples(tuple(r[mode] >= 1.0 for r in rs), (None,) * len(rs)) for rs in by_problem.values()]
        names, values = per_problem_metrics(problems, k, equivalent=None, vote=False)
        ci = percentile_ci(bootstrap_means(values, f"{name}/{mode}"))
        wanted = {f"avg@{k}", f"pass@{k}"}
        summary[mode] = {
            m: {"value": round(float(values[:, j].mean()), 6), "ci_low": round(float(ci[j][0]), 6),
                "ci_high": round(float(ci[j][1]), 6)}
            for j, m in enumerate(names) if m in wanted
        }  # fmt: skip
    summary["differ"] = sum(r["strict"] != r["flexible"] for r in rewards)  # type: ignore[index]
    return summary


def extraction_scalars(results: Mapping[str, Any], prefix: str = "eval") -> dict[str, float]:
    """``{"eval/<benchmark>/extraction/<mode>/avg@K": value, ..., "eval/<benchmark>/extraction/differ": n}``."""
    out: dict[str, float] = {}
    for name, bench in results["benchmarks"].items():
        summary = bench.get("extraction")
        if not summary:
            continue
        for mode in MODES:
            out.update({f"{prefix}/{name}/extraction/{mode}/{m}": v["value"] for m, v in summary[mode].items()})
        out[f"{prefix}/{name}/extraction/differ"] = float(summary["differ"])
    return out


def extraction_lines(results: Mapping[str, Any]) -> list[str]:
    """The report's side-by-side table (empty when no benchmark has math verdicts)."""
    rows = [
        (n, b["extraction"], b["samples_per_problem"]) for n, b in results["benchmarks"].items() if b.get("extraction")
    ]
    if not rows:
        return []
    lines = [
        "## Answer extraction",
        "",
        "strict-match reads boxes, `<answer>` tags and explicit final statements (and the closing sentence after "
        "`</think>`); flexible-extract also reads the last value of the closing sentence when nothing is marked. "
        "The main table uses each benchmark's mode; *differ* counts the samples whose reward depends on the mode.",
        "",
        "| benchmark | mode used | strict avg@K | flexible avg@K | strict pass@K | flexible pass@K | differ |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, s, k in rows:
        cells = [_pct(s[mode].get(f"{metric}@{k}")) for metric in ("avg", "pass") for mode in MODES]
        lines.append(f"| {name} | {s['mode']} | " + " | ".join(cells) + f" | {s['differ']} |")
    return lines + [""]


def _pct(metric: Mapping[str, float] | None) -> str:
    if not metric:
        return "-"
    return f"{100 * metric['value']:.1f} [{100 * metric['ci_low']:.1f}, {100 * metric['ci_high']:.1f}]"
