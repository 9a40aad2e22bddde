"""The perf scripts still run: each ``--quick`` version exits 0 and ends with its key figure in the usual format.

Add a script by adding a row to ``SCRIPTS``: its path under ``perf/``, a regex its last output line must
match in full, and optionally a check on that regex's groups.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"(\d+(?:\.\d+)?)"


def _new_beats_old(groups: tuple[str, ...]) -> bool:
    new, old = map(float, groups)
    return new > old


#: (script under perf/, regex of its last line, check on the regex's groups or None).
SCRIPTS: list[tuple[str, str, Callable[[tuple[str, ...]], bool] | None]] = [
    ("logprob_memory.py", rf"logprob peak memory ratio \(old/new\): (?:>=)?{NUMBER}", None),
    ("padding_efficiency.py", rf"padding efficiency: new {NUMBER}, old {NUMBER}", _new_beats_old),
    ("step_breakdown.py", rf"mean step time: {NUMBER} ms", None),
    ("rollout_throughput.py", rf"best hf generated tokens/s: {NUMBER}", None),
    ("verifier_throughput.py", rf"ratio \(verify_math_batch warm / plain math-verify\): {NUMBER}x", None),
    ("code_throughput.py", rf"ratio fresh/pool \(median\): {NUMBER}x", None),
    ("gpu_check.py", rf"gpu check finished in {NUMBER} s", None),
    ("score_overlap.py", rf"scoring overlap saves -?{NUMBER}% of generate \+ score \(-?{NUMBER} s per rollout\)", None),
]
#: Extra arguments of a script's quick run.
EXTRA_ARGS = {"gpu_check.py": ["--device", "cpu"]}


@pytest.mark.parametrize(("script", "pattern", "check"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_quick_run(script: str, pattern: str, check: Callable[[tuple[str, ...]], bool] | None) -> None:
    # Two threads at most: the quick sizes gain nothing from more and the test machine is shared.
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    proc = subprocess.run(
        [sys.executable, str(REPO / "perf" / script), "--quick", *EXTRA_ARGS.get(script, [])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{script} --quick failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"{script} --quick printed nothing"
    match = re.fullmatch(pattern, lines[-1])
    assert match, f"{script}: last line {lines[-1]!r} does not match {pattern!r}"
    if check is not None:
        assert check(match.groups()), f"{script}: {lines[-1]!r} fails its check"
