"""Code-verifier throughput: warm sandbox pool vs a fresh ``python3 -I`` process per HumanEval program.

For every HumanEval problem (canonical solution), side by side in one run and interleaved so that machine
noise hits both alike:

- ``pool``: :func:`verify_code` on the warm worker pool (sandbox, parsing, judging included);
- ``fresh``: ``python3 -I prog.py`` where ``prog.py`` is prompt + solution + test + ``check(entry_point)``,
  the way the public harnesses run it (no isolation at all);
- ``inproc``: ``exec`` of the same program in this process, the bare cost of the test itself.

It prints medians (ms per program), the pool's overhead over ``inproc``, programs per second with all cores
through :func:`verify_code_batch`, CPU milliseconds per program summed over every process involved (a
measure that, unlike wall time, holds up on a machine shared with other jobs), and, last, the fresh/pool
ratio of the wall-time medians.

Usage: ``python perf/code_throughput.py [--repeat N] [--quick]`` (``--quick``: the first 12 problems, for CI;
data from ``REASONING_GYM_DATA_DIR``, default ``../shared/data`` next to the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reasoning_gym.verifiers.code import CodeTask, get_pool, verify_code, verify_code_batch

REPO = Path(__file__).resolve().parents[1]


def load_humaneval() -> list[dict]:
    data_dir = Path(os.environ.get("REASONING_GYM_DATA_DIR", REPO.parent / "shared" / "data"))
    with open(data_dir / "humaneval.jsonl") as fh:
        return [json.loads(line) for line in fh]


def program(row: dict) -> str:
    return f"{row['prompt']}{row['canonical_solution']}\n\n{row['test']}\n\ncheck({row['entry_point']})\n"


def time_pool(row: dict) -> float:
    start = time.perf_counter()
    verdict = verify_code(
        f"```python\n{row['prompt']}{row['canonical_solution']}\n```",
        row["test"],
        entry_point=row["entry_point"],
        setup_code=row["prompt"],
    )
    elapsed = time.perf_counter() - start
    if not verdict.correct:
        raise SystemExit(f"{row['task_id']} did not pass: {verdict.status} {verdict.reason}")
    return elapsed


def time_fresh(path: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-I", path], check=True, stdout=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start


def _tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its descendants (reaped ones included, via cutime)."""
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0))[1]
        frontier += [p for p, (ppid, _) in stats.items() if ppid == pid]
    return total / os.sysconf("SC_CLK_TCK")


def pool_cpu(pool) -> float:
    """CPU seconds of this process (and its reaped children) plus every worker tree."""
    times = os.times()
    own = times.user + times.system + times.children_user + times.children_system  # judge processes too
    return own + sum(_tree_cpu(pid) for pid in pool.worker_pids())


def time_inproc(source: str) -> float:
    code = compile(source, "<prog>", "exec")
    start = time.perf_counter()
    exec(code, {"__name__": "prog"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="passes over the 164 problems")
    parser.add_argument("--quick", action="store_true", help="only the first 12 problems (CI)")
    args = parser.parse_args()
    rows = load_humaneval()[:12] if args.quick else load_humaneval()
    pool = get_pool()
    print(f"sandbox: {json.dumps(pool.info, sort_keys=True)}")
    for row in rows[:5]:  # warm caches (parsed plans, imports) before measuring
        time_pool(row)
    pool_ms, fresh_ms, inproc_ms = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for row in rows:
                path = os.path.join(tmp, "prog.py")
                Path(path).write_text(program(row))
                pool_ms.append(time_pool(row) * 1000)
                fresh_ms.append(time_fresh(path) * 1000)
                inproc_ms.append(time_inproc(program(row)) * 1000)
    med_pool, med_fresh, med_inproc = (statistics.median(x) for x in (pool_ms, fresh_ms, inproc_ms))
    overhead = statistics.median(p - i for p, i in zip(pool_ms, inproc_ms))
    print(f"programs: {len(pool_ms)}")
    print(f"median ms/program  warm pool: {med_pool:.2f}   fresh python3 -I: {med_fresh:.2f}", end="")
    print(f"   in-process: {med_inproc:.3f}")
    print(f"median pool overhead over in-process execution: {overhead:.2f} ms")
    tasks = [
        CodeTask(f"```python\n{r['prompt']}{r['canonical_solution']}\n```", r["test"], r["entry_point"], r["prompt"])
        for r in rows
    ] * max(1, args.repeat)
    cpu_before, start = pool_cpu(pool), time.perf_counter()
    verdicts = verify_code_batch(tasks)
    wall, cpu = time.perf_counter() - start, pool_cpu(pool) - cpu_before
    assert all(v.correct for v in verdicts)
    print(f"batch over {pool.info['workers']} workers: {len(tasks) / wall:.1f} programs/s")
    children = os.times()
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            path = os.path.join(tmp, "prog.py")
            Path(path).write_text(program(row))
            time_fresh(path)
    fresh_cpu = (
        os.times().children_user + os.times().children_system - children.children_user - children.children_system
    )
    print(f"CPU ms/program, all processes  warm pool: {cpu / len(tasks) * 1000:.2f}   ", end="")
    print(f"fresh python3 -I: {fresh_cpu / len(rows) * 1000:.2f}")
    print(f"ratio fresh/pool (median): {med_fresh / med_pool:.2f}x")


if __name__ == "__main__":
    main()
