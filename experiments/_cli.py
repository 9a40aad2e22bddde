"""The command line every experiment script shares: flags, output folders, and the report's intro and command."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from _jobs import DEFAULT_OUT, DEFAULT_WORK, REPO


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
