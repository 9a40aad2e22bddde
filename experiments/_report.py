"""Reports: markdown tables, the machine line, report files and PNG plots (matplotlib's Agg canvas)."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from _curves import Curve
from _jobs import Settings

COLOURS = {"sppo": "tab:red", "grpo": "tab:blue", "rloo": "tab:gray", "remax": "tab:brown", "ppo": "tab:purple"}


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
