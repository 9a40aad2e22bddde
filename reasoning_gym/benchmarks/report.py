"""Human-readable views of ``results.json``: a Markdown report, a bar chart, and a side-by-side comparison."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reasoning_gym.benchmarks.extraction import extraction_lines
from reasoning_gym.benchmarks.store import settings_differences, write_text_atomic
from reasoning_gym.errors import ConfigError
from reasoning_gym.verifiers.verdict import UNDECIDED_STATUSES

__all__ = ["compare_results", "load_results", "render_markdown", "write_reports"]


def load_results(run_dir: str | Path) -> dict[str, Any]:
    """Read ``results.json`` from a run folder.

    Raises:
        ConfigError: The folder has no ``results.json`` (the run never finished: re-run it to resume).
    """
    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise ConfigError(
            f"{path} does not exist: {run_dir} is not a finished evaluation. If it was interrupted, re-run the "
            "same rgym eval command to finish it."
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _pct(metric: Mapping[str, float] | None, ci: bool = True) -> str:
    if not metric:
        return "-"
    text = f"{100 * metric['value']:.1f}"
    return f"{text} [{100 * metric['ci_low']:.1f}, {100 * metric['ci_high']:.1f}]" if ci else text


def _headline(bench: Mapping[str, Any]) -> list[tuple[str, Mapping[str, float] | None]]:
    k = bench["samples_per_problem"]
    m = bench["metrics"]
    return [(f"avg@{k}", m.get(f"avg@{k}")), (f"pass@{k}", m.get(f"pass@{k}")), (f"maj@{k}", m.get(f"maj@{k}"))]


def render_markdown(results: Mapping[str, Any]) -> str:
    """The report: one table row per benchmark (percentages with 95% CIs), then the provenance."""
    s = results["settings"]
    lines = [
        f"# {results['suite']['name']}: {results['model']['path']}",
        "",
        f"K={s['samples']} samples per problem, temperature {s['temperature']}, top-p {s['top_p']}, "
        f"max {s['max_tokens']} new tokens, seed {s['seed']}"
        + (f", first {s['limit']} problems per benchmark" if s.get("limit") else "")
        + f". Percentages with {100 * results['bootstrap']['confidence']:.0f}% bootstrap intervals over problems.",
        "",
        "| benchmark | problems | avg@K | pass@1 | pass@K | maj@K | no answer | truncated | mean tokens |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, b in results["benchmarks"].items():
        heads = [_pct(m) for _, m in _headline(b)]
        n = sum(b["status_counts"].values()) or 1
        no_answer = 100 * sum(v for k, v in b["status_counts"].items() if k in ("no_answer", "no_code")) / n
        lines.append(
            f"| {name} | {b['problems']} | {heads[0]} | {_pct(b['metrics'].get('pass@1'), ci=False)} | {heads[1]} "
            f"| {heads[2]} | {no_answer:.1f}% | {100 * b['truncated_fraction']:.1f}% "
            f"| {b['mean_response_tokens']:.0f} |"
        )
    for metric, value in results.get("average", {}).items():
        lines.append(f"| **average** ({metric}) | | {_pct(value)} | | | | | | |")
    undecided = {
        name: sum(v for k, v in b["status_counts"].items() if k in UNDECIDED_STATUSES)
        for name, b in results["benchmarks"].items()
    }
    if any(undecided.values()):
        counts = ", ".join(f"{n} {c}" for n, c in undecided.items() if c)
        lines += ["", f"**Warning:** the verifier could not decide some samples ({counts}: timeout or error);"]
        lines.append("they count as wrong. Check the status counts below before comparing runs.")
    return "\n".join(lines + ["", *extraction_lines(results), *_provenance_lines(results)]) + "\n"


def _provenance_lines(results: Mapping[str, Any]) -> list[str]:
    model, versions, template = results["model"], results["versions"], results["chat_template"]
    lines = [
        "## Provenance",
        "",
        f"- model: `{model['path']}` (resolved `{model.get('resolved_path', '-')}`), "
        f"weights sha256 `{model.get('weights_sha256')}`, dtype {model.get('dtype')}, device {model.get('device')}",
        f"- chat template: {'sha256 `' + template['sha256'] + '`' if template['applied'] else 'none (plain text)'}",
        f"- reasoning_gym {versions['reasoning_gym']}, math verifier {versions['math_verifier']}, "
        f"torch {versions['torch']}, transformers {versions['transformers']}, python {versions['python']}",
        f"- date {versions['date']}; backend {results['settings']['backend']}; "
        f"batch size {results['settings']['batch_size']}",
        "",
        "| benchmark | env | source | file sha256 | evaluated / size | problems sha256 | statuses |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, b in results["benchmarks"].items():
        d = b["dataset"]
        statuses = ", ".join(f"{k} {v}" for k, v in b["status_counts"].items())
        sha = (d["file_sha256"] or "-")[:16]
        lines.append(
            f"| {name} | {b['env_id']} {b['env_kwargs'] or ''} | `{d['source']}` | `{sha}` "
            f"| {d['evaluated']} / {d['size']} | `{d['problems_sha256'][:16]}` | {statuses} |"
        )
    return lines


def write_png(path: Path, results: Mapping[str, Any]) -> bool:
    """Bar chart of avg@K, pass@K and maj@K per benchmark with their intervals; ``False`` without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    groups = {n: dict(_headline(b)) for n, b in results["benchmarks"].items()}
    if results.get("average"):
        groups["average"] = dict(results["average"])  # only avg@K: the paper's "Avg" column
    kinds = list(next(iter(groups.values())))
    fig = Figure(figsize=(max(5.0, 1.6 * len(groups) + 2), 4), layout="constrained")
    FigureCanvasAgg(fig)  # no pyplot: never touches the user's interactive backend
    ax = fig.add_subplot()
    width = 0.8 / len(kinds)
    for j, kind in enumerate(kinds):
        bars = [(i, m) for i, g in enumerate(groups.values()) if (m := g.get(kind))]
        xs = [i + (j - (len(kinds) - 1) / 2) * width for i, _ in bars]
        vals = [100 * m["value"] for _, m in bars]
        low = [v - 100 * m["ci_low"] for v, (_, m) in zip(vals, bars)]
        high = [100 * m["ci_high"] - v for v, (_, m) in zip(vals, bars)]
        ax.bar(xs, vals, width, yerr=[low, high], capsize=3, label=kind)
    ax.set_xticks(range(len(groups)), list(groups))
    ax.set_ylabel("% (95% bootstrap CI)")
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.set_title(f"{results['suite']['name']}: {Path(str(results['model']['path'])).name}")
    ax.legend(ncol=len(kinds), loc="upper center", frameon=False)
    fig.savefig(path, dpi=110)
    return True


def write_reports(out_dir: Path, results: Mapping[str, Any]) -> None:
    """Write ``report.md`` and ``report.png`` (the chart is skipped, with a note, without matplotlib)."""
    text = render_markdown(results)
    if not write_png(out_dir / "report.png", results):
        text += "\n(report.png not written: matplotlib is not installed; pip install 'rgym[train]'.)\n"
    write_text_atomic(out_dir / "report.md", text)


def _pairs(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Metric pairs worth comparing: mean accuracy always, pass@k and maj@k at the smaller common K."""
    ka, kb = a["samples_per_problem"], b["samples_per_problem"]
    pairs = [(f"avg@{ka}" if ka == kb else f"avg@{ka}/avg@{kb}", f"avg@{ka}", f"avg@{kb}")]
    k = min(ka, kb)
    for name in (f"pass@{k}", f"maj@{k}"):
        if k > 1 and name in a["metrics"] and name in b["metrics"]:
            pairs.append((name, name, name))
    return pairs


def compare_results(a: Mapping[str, Any], b: Mapping[str, Any], label_a: str = "A", label_b: str = "B") -> str:
    """Two runs side by side: each metric with its interval, the difference B - A, and whether the CIs overlap.

    Overlapping intervals do not prove the runs equal, and disjoint ones are a conservative sign of a real
    difference; settings that differ between the runs are listed first, since they often explain a gap.
    """
    lines = [f"A: {label_a}  ({a['model']['path']}, {a['versions']['date']})"]
    lines.append(f"B: {label_b}  ({b['model']['path']}, {b['versions']['date']})")
    keys = ("settings", "suite", "chat_template", "versions")
    diffs = [d for d in settings_differences({k: a[k] for k in keys}, {k: b[k] for k in keys}) if "date" not in d]
    diffs = [d.replace(" in the folder, ", " in A, ").replace(" now", " in B") for d in diffs]
    lines += ["", "Settings that differ:" if diffs else "Settings: identical."] + [f"  - {d}" for d in diffs]
    rows = [("benchmark", "metric", "A [95% CI]", "B [95% CI]", "B - A", "CIs overlap")]
    names = [n for n in a["benchmarks"] if n in b["benchmarks"]]
    for name in names + (["average"] if a.get("average") and b.get("average") else []):
        ba = {"samples_per_problem": a["settings"]["samples"], "metrics": a["average"]} if name == "average" else None
        bb = {"samples_per_problem": b["settings"]["samples"], "metrics": b["average"]} if name == "average" else None
        ba, bb = ba or a["benchmarks"][name], bb or b["benchmarks"][name]
        for label, ma, mb in _pairs(ba, bb):
            x, y = ba["metrics"].get(ma), bb["metrics"].get(mb)
            if not x or not y:
                continue
            overlap = x["ci_low"] <= y["ci_high"] and y["ci_low"] <= x["ci_high"]
            diff = f"{100 * (y['value'] - x['value']):+.1f}"
            rows.append((name, label, _pct(x), _pct(y), diff, "yes" if overlap else "NO"))
    only = sorted(set(a["benchmarks"]) ^ set(b["benchmarks"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += [""] + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if only:
        lines.append(f"\nIn only one run (not compared): {', '.join(only)}")
    return "\n".join(lines)
