"""``kill -9`` in the middle of ``rgym eval``, then resume: nothing finished is lost, nothing is duplicated."""

import json
import os
import signal
import subprocess
import sys
import time

from reasoning_gym.benchmarks.cli import main

LIMIT, SAMPLES = 60, 2
ARGS = ["--model", "tiny", "--suite", "arithmetic", "--limit", str(LIMIT), "--samples", str(SAMPLES)]
ARGS += ["--max-tokens", "24", "--batch-size", "4", "--no-progress"]


def read(path):
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {(r["benchmark"], r["problem_index"], r["sample_index"]): r for r in records}, len(records)


def lines_in(path):
    return path.read_text().count("\n") if path.exists() else 0


def test_kill_9_mid_run_then_resume_gives_one_line_per_sample(tmp_path, data_dir):
    out = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "REASONING_GYM_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "reasoning_gym.cli", "eval", *ARGS, "--output", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 50
        while lines_in(out / "samples.jsonl") < 2 * 2 * SAMPLES and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.01)
        assert proc.poll() is None, "the run finished before it could be killed; raise LIMIT"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stderr.close()
    before, n_before = read(out / "samples.jsonl")
    assert 0 < n_before < LIMIT * SAMPLES and n_before == len(before)

    assert main([*ARGS, "--output", str(out)]) == 0  # resume
    after, n_after = read(out / "samples.jsonl")
    expected = {("arithmetic", p, s) for p in range(LIMIT) for s in range(SAMPLES)}
    assert n_after == len(after) == LIMIT * SAMPLES and set(after) == expected
    assert all(after[k] == r for k, r in before.items())  # finished samples were kept as they were
    assert json.loads((out / "results.json").read_text())["benchmarks"]["arithmetic"]["problems"] == LIMIT

    # Chunk seeds make the resumed run draw exactly what an uninterrupted run draws.
    assert main([*ARGS, "--output", str(tmp_path / "fresh")]) == 0
    fresh, _ = read(tmp_path / "fresh" / "samples.jsonl")
    assert {k: r["response"] for k, r in fresh.items()} == {k: r["response"] for k, r in after.items()}
