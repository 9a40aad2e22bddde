"""Measure how many math verdicts per second each verifier produces on MATH-500.

The benchmark grades the 500 reference solutions of MATH-500 against their gold answers, so every
verdict should be "correct"; the accuracy column therefore doubles as a sanity check of each method.
Three rows are measured:

1. plain ``math_verify`` in this process: ``verify(parse("$" + answer + "$"), parse(solution))``,
   the common way to call it (the gold is wrapped in ``$...$`` so that it is read as LaTeX);
2. ``reasoning_gym.verifiers.verify_math_batch``, first call, timed including the worker-pool start-up;
3. the same function called a second time (warm);

then the same solutions against the next problem's gold (shifted), the start-up time of a fresh pool, and with
``--tables`` the accuracy on the grading tables of ``tests/verifiers`` (ours in both extraction modes, plain
math-verify, tuning and held-out rows).

The data directory is taken from the ``REASONING_GYM_DATA_DIR`` environment variable and defaults to
``../shared/data`` relative to the repository root.

Example:
    python perf/verifier_throughput.py --workers 2 --limit 200 --timeout-s 10
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ENV_VAR = "REASONING_GYM_DATA_DIR"
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DATA_FILE = "math500.jsonl"


@dataclass(frozen=True)
class Measurement:
    """One row of the results table.

    Attributes:
        method: What was timed.
        count: Number of verdicts produced.
        seconds: Wall-clock time for all of them.
        correct: How many verdicts accepted the reference solution.
        timeouts: How many verdicts ran out of time, or ``None`` when the method cannot tell.
    """

    method: str
    count: int
    seconds: float
    correct: int
    timeouts: int | None

    @property
    def rate(self) -> float:
        """Verdicts per second."""
        return self.count / self.seconds if self.seconds > 0 else float("inf")

    @property
    def accuracy(self) -> float:
        """Share of verdicts that accepted the reference solution."""
        return self.correct / self.count if self.count else 0.0


class _TimeoutCounter(logging.Handler):
    """Counts math-verify's "Timeout during ..." warnings (it returns a plain failure on a timeout)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record if it reports a timeout; drop it otherwise."""
        if str(record.msg).startswith("Timeout during"):
            self.count += 1


def data_path() -> Path:
    """Return the path of ``math500.jsonl`` (from ``REASONING_GYM_DATA_DIR`` or the default)."""
    base = os.environ.get(DATA_ENV_VAR)
    return (Path(base).expanduser() if base else DEFAULT_DATA_DIR) / DATA_FILE


def load_pairs(path: Path, limit: int | None) -> tuple[list[str], list[str]]:
    """Read the reference solutions and gold answers.

    Args:
        path: The MATH-500 JSON Lines file (fields ``solution`` and ``answer``).
        limit: Keep only the first ``limit`` problems; ``None`` keeps all.

    Returns:
        The solutions and the gold answers, in file order.

    Raises:
        SystemExit: When the file is missing or malformed.
    """
    if not path.is_file():
        raise SystemExit(
            f"error: MATH-500 data not found at {path}.\n"
            f"Set {DATA_ENV_VAR} to the folder that holds {DATA_FILE} (default: {DEFAULT_DATA_DIR})."
        )
    solutions: list[str] = []
    answers: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                solutions.append(record["solution"])
                answers.append(record["answer"])
            except (json.JSONDecodeError, KeyError) as exc:
                raise SystemExit(f"error: {path}:{line_no}: not a MATH-500 record ({exc})") from exc
            if limit is not None and len(answers) >= limit:
                break
    if not answers:
        raise SystemExit(f"error: {path} holds no records")
    return solutions, answers


def measure_plain_math_verify(solutions: Sequence[str], answers: Sequence[str]) -> Measurement:
    """Grade every pair with ``math_verify`` in this process, one after another.

    Args:
        solutions: Model-style responses (here the reference solutions).
        answers: Gold answers as LaTeX without math delimiters.

    Returns:
        The timing row; timeouts are math-verify's own (signal-based, 5 s per parse or comparison).
    """
    try:
        import math_verify
    except ImportError as exc:
        raise SystemExit("error: math-verify is not installed (pip install 'rgym[math]')") from exc

    counter = _TimeoutCounter()
    mv_logger = logging.getLogger("math_verify")
    mv_logger.addHandler(counter)
    mv_logger.propagate = False
    # One untimed call first, so that import and first-use costs are not charged to the loop (the
    # warm verify_math_batch row is measured after its start-up too).
    math_verify.verify(math_verify.parse("$1$"), math_verify.parse("$1$"))
    correct = 0
    start = time.perf_counter()
    try:
        for solution, answer in zip(solutions, answers):
            try:
                gold = math_verify.parse("$" + answer + "$")
                pred = math_verify.parse(solution)
                correct += bool(math_verify.verify(gold, pred))
            except Exception:  # an error is simply a rejected answer here
                pass
        seconds = time.perf_counter() - start
    finally:
        mv_logger.removeHandler(counter)
        mv_logger.propagate = True
    return Measurement("plain math-verify (1 process)", len(answers), seconds, correct, counter.count)


def _load_verify_math_batch() -> Callable[..., list]:
    """Import ``verify_math_batch`` from this checkout (the package need not be installed)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        from reasoning_gym.verifiers import verify_math_batch
    except ImportError as exc:
        raise SystemExit(f"error: cannot import reasoning_gym.verifiers.verify_math_batch: {exc}") from exc
    return verify_math_batch


def measure_batch(
    verify_math_batch: Callable[..., list],
    label: str,
    solutions: Sequence[str],
    answers: Sequence[str],
    workers: int | None,
    timeout_s: float,
) -> Measurement:
    """Grade every pair with one ``verify_math_batch`` call.

    Args:
        verify_math_batch: The function under test.
        label: Name of the row in the table.
        solutions: Model-style responses (here the reference solutions).
        answers: Gold answers.
        workers: Worker processes (``None`` lets the function choose).
        timeout_s: Per-verdict deadline in seconds.

    Returns:
        The timing row, with the number of verdicts whose status is ``"timeout"``.
    """
    start = time.perf_counter()
    verdicts = verify_math_batch(list(solutions), list(answers), workers=workers, timeout_s=timeout_s)
    seconds = time.perf_counter() - start
    if len(verdicts) != len(answers):
        raise SystemExit(f"error: verify_math_batch returned {len(verdicts)} verdicts for {len(answers)}")
    correct = sum(1 for v in verdicts if v.reward >= 1.0)
    timeouts = sum(1 for v in verdicts if v.status == "timeout")
    return Measurement(label, len(answers), seconds, correct, timeouts)


def measure_pool_startup(workers: int | None, repeats: int = 3) -> list[float]:
    """Seconds from creating a fresh verifier pool to all its workers being ready (imports included).

    Each worker is its own interpreter (``python -m reasoning_gym.verifiers.worker``) that imports sympy and
    math-verify and grades a few warm-up pairs before it reports ready; the pools share nothing, so every
    repeat starts from scratch.
    """
    from reasoning_gym.verifiers.pool import _PRELOAD, _WARM_UP, DeadlinePool

    size = workers or os.cpu_count() or 1
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        pool = DeadlinePool(size, preload=_PRELOAD, warm_up=_WARM_UP)
        times.append(time.perf_counter() - start)
        pool.shutdown()
    return times


def table_accuracy() -> list[str]:
    """Accuracy of ``score_math`` (both extraction modes) and of plain math-verify on the grading tables."""
    import logging

    import math_verify

    sys.path.insert(0, str(REPO_ROOT / "tests" / "verifiers"))
    from grading_cases import TUNING
    from heldout_cases import HELD_OUT, HELD_OUT_LATE

    from reasoning_gym.verifiers.math_answer import score_math

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)

    def plain(response: str, gold: str) -> float:
        try:
            return float(bool(math_verify.verify(math_verify.parse("$" + gold + "$"), math_verify.parse(response))))
        except Exception:  # an error is a rejected answer here
            return 0.0

    lines = ["| table | rows | ours strict | ours flexible | plain math-verify (vs strict) | our false accepts |",
             "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, rows in (("tuning", TUNING), ("held-out 1", HELD_OUT), ("held-out 2", HELD_OUT_LATE)):
        strict = [score_math(r, g, extraction="strict").reward for r, g, *_ in rows]
        flexible = [score_math(r, g, extraction="flexible").reward for r, g, *_ in rows]
        ok_s = sum(v == row[2] for v, row in zip(strict, rows))
        ok_f = sum(v == row[3] for v, row in zip(flexible, rows))
        ok_mv = sum(plain(row[0], row[1]) == row[2] for row in rows)
        false_accepts = sum(v == 1.0 and row[2] == 0.0 for v, row in zip(strict, rows))
        n = len(rows)
        lines.append(f"| {name} | {n} | {ok_s / n:.1%} | {ok_f / n:.1%} | {ok_mv / n:.1%} | {false_accepts} |")
    return lines


def format_table(rows: Sequence[Measurement]) -> str:
    """Render the measurements as a markdown table."""
    lines = [
        "| method | verdicts/s | accuracy on reference solutions | timeouts |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        timeouts = "n/a" if row.timeouts is None else str(row.timeouts)
        lines.append(
            f"| {row.method} | {row.rate:,.1f} | {row.accuracy:.1%} ({row.correct}/{row.count}) | {timeouts} |"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        description=(
            "Verdicts per second of plain math-verify vs reasoning_gym's verify_math_batch on the "
            f"MATH-500 reference solutions (data: ${DATA_ENV_VAR}/{DATA_FILE}, "
            f"default {DEFAULT_DATA_DIR / DATA_FILE})."
        )
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes for verify_math_batch (default: let it choose)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="grade only the first N problems (default: all 500)",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=10.0,
        help="per-verdict deadline for verify_math_batch in seconds (default: 10)",
    )
    parser.add_argument("--quick", action="store_true", help="only the first 20 problems (CI)")
    parser.add_argument(
        "--tables", action="store_true", help="also print the accuracy on the grading tables (tuning and held-out)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; the ratio line is printed last."""
    args = build_parser().parse_args(argv)
    if args.quick:
        args.limit = min(args.limit or 20, 20)
    if args.workers is not None and args.workers < 1:
        raise SystemExit("error: --workers must be at least 1")
    if args.limit is not None and args.limit < 1:
        raise SystemExit("error: --limit must be at least 1")
    if args.timeout_s <= 0:
        raise SystemExit("error: --timeout-s must be positive")

    path = data_path()
    solutions, answers = load_pairs(path, args.limit)
    verify_math_batch = _load_verify_math_batch()
    print(f"data: {path} ({len(answers)} problems), CPUs: {os.cpu_count()}, ", end="")
    print(f"workers: {args.workers if args.workers is not None else 'default'}, timeout_s: {args.timeout_s}")

    startup = measure_pool_startup(args.workers, repeats=1 if args.quick else 3)
    plain = measure_plain_math_verify(solutions, answers)
    batch_args = (solutions, answers, args.workers, args.timeout_s)
    cold = measure_batch(verify_math_batch, "verify_math_batch (1st call, incl. pool start)", *batch_args)
    warm = measure_batch(verify_math_batch, "verify_math_batch (2nd call, warm)", *batch_args)

    # The same solutions against the next problem's gold: nothing matches cheaply, so this row shows the
    # cost of real symbolic comparisons rather than the fast path that equal answers take.
    shifted = list(answers[1:]) + list(answers[:1])
    plain_shifted = dataclasses.replace(
        measure_plain_math_verify(solutions, shifted), method="plain math-verify (1 process), shifted golds"
    )
    warm_shifted = measure_batch(verify_math_batch, "verify_math_batch (warm), shifted golds", solutions, shifted,
                                 args.workers, args.timeout_s)  # fmt: skip

    print()
    print(format_table([plain, cold, warm, plain_shifted, warm_shifted]))
    print("(shifted rows: 'accuracy' counts accepts of the next problem's gold;")
    print(" neighbours that share an answer count too)")
    print(f"ratio on shifted golds (verify_math_batch warm / plain math-verify): "
          f"{warm_shifted.rate / plain_shifted.rate:.2f}x")  # fmt: skip
    print()
    print('Note: plain math-verify parses the gold as parse("$" + answer + "$") and the solution as-is,')
    print("after one untimed warm-up call; its timeouts are math-verify's own signal-based 5 s limits,")
    print("counted from its log warnings.")
    runs, median = ", ".join(f"{t:.2f}" for t in startup), sorted(startup)[len(startup) // 2]
    print(f"pool start-up (fresh workers, imports included): median {median:.2f} s ({runs})")
    if args.tables:
        print()
        print("\n".join(table_accuracy()))
    print(f"ratio (verify_math_batch warm / plain math-verify): {warm.rate / plain.rate:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
