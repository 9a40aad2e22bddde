"""The deadline pool: hard timeouts in worker processes, replacement of stuck workers, thread safety."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from reasoning_gym.errors import VerifierUnavailableError
from reasoning_gym.verifiers.pool import DeadlinePool


@pytest.fixture(scope="module")
def pool():
    pool = DeadlinePool(2)
    yield pool
    pool.shutdown()


def test_results_come_back_in_input_order(pool):
    outcomes = pool.map("math:factorial", [(n,) for n in range(12)], timeout_s=10)
    assert [o.kind for o in outcomes] == ["ok"] * 12
    assert [o.value for o in outcomes] == [1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800]


def test_a_stuck_call_times_out_and_its_worker_is_replaced(pool):
    before = set(pool.alive_pids())
    outcomes = pool.map("time:sleep", [(30,), (0,), (0,)], timeout_s=0.5)
    assert [o.kind for o in outcomes] == ["timeout", "ok", "ok"]
    assert "no verdict within 0.5s" in outcomes[0].message
    assert pool.stats["timeouts"] >= 1 and pool.stats["restarts"] >= 1
    assert pool.run("math:sqrt", (16.0,), timeout_s=30).value == 4.0  # the pool keeps serving
    for _ in range(600):  # the replacement starts in the background; wait for it (bounded)
        after = set(pool.alive_pids())
        if len(after) == 2:
            break
        time.sleep(0.05)
    assert len(after) == 2 and before != after  # the stuck worker was killed and replaced


def test_an_exception_is_an_error_outcome(pool):
    outcome = pool.run("math:sqrt", (-1.0,), timeout_s=10)
    assert outcome.kind == "error" and "ValueError: math domain error" in outcome.message


def test_a_worker_that_dies_is_reported_and_replaced(pool):
    outcome = pool.run("os:_exit", (3,), timeout_s=10)
    assert outcome.kind == "error" and "exit code 3" in outcome.message
    assert pool.run("math:factorial", (5,), timeout_s=30).value == 120


def test_callable_from_many_threads(pool):
    def work(n):
        return pool.run("math:factorial", (n,), timeout_s=30).value

    with ThreadPoolExecutor(6) as ex:
        assert list(ex.map(work, range(30))) == [__import__("math").factorial(n) for n in range(30)]
    assert threading.active_count() >= 1


def test_shutdown_leaves_no_process_and_refuses_work():
    pool = DeadlinePool(1)
    pids = pool.alive_pids()
    pool.shutdown()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(VerifierUnavailableError, match="shut down"):
        pool.run("math:factorial", (3,), timeout_s=1)


def test_rejects_empty_pool():
    with pytest.raises(ValueError, match="at least 1 worker"):
        DeadlinePool(0)


# How a new user runs the verifier: module level of a script with no main guard, ``python -c``, stdin (as a
# notebook kernel: no script file at all), and threads. The script counts how often it is executed: workers are
# their own program, so it must run exactly once.
_USER_CODE = """
import os, sys, threading
with open(os.environ["RG_IMPORTS"], "a") as fh:
    fh.write("x")
from reasoning_gym.verifiers import verify_math_batch
verdicts = verify_math_batch(["\\\\boxed{4}", "so it is 5", "\\\\boxed{2^{10}}"], ["4", "5", "1024"], workers=1)
results = []
thread = threading.Thread(target=lambda: results.extend(verify_math_batch(["\\\\boxed{7}"], ["7"], workers=1)))
thread.start()
thread.join()
print(" ".join(v.status for v in verdicts + results))
"""
_HOW = ["script", "dash-c", "stdin"]


@pytest.mark.parametrize("how", _HOW)
def test_grading_works_without_a_main_guard(how, tmp_path):
    import subprocess
    import sys

    script = tmp_path / "grade.py"
    script.write_text(_USER_CODE)
    command = {"script": [sys.executable, str(script)], "dash-c": [sys.executable, "-c", _USER_CODE]}
    argv = command.get(how, [sys.executable, "-"])
    env = {**os.environ, "RG_IMPORTS": str(tmp_path / "imports")}
    run = subprocess.run(
        argv, input=_USER_CODE if how == "stdin" else None, capture_output=True, text=True, env=env, timeout=180
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["correct", "no_answer", "correct", "correct"]
    assert (tmp_path / "imports").read_text() == "x"  # the user's code ran once: never in a worker


@pytest.mark.parametrize("warm_up", [(), ("math:pi_is_not_callable",), ("no_such_module:f",), ("os:getpid",)])
def test_warm_up_never_keeps_a_worker_from_serving(warm_up):
    pool = DeadlinePool(1, warm_up=warm_up)
    try:
        assert pool.run("math:factorial", (4,), timeout_s=30).value == 24
    finally:
        pool.shutdown()


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    import signal
    import subprocess
    import sys

    code = (
        "import os, signal\nfrom reasoning_gym.verifiers.pool import DeadlinePool\npool = DeadlinePool(2)\n"
        "print(' '.join(map(str, pool.alive_pids())), flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL
    pids = [int(p) for p in run.stdout.split()]
    assert len(pids) == 2

    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 15
    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(running, pids)), "orphaned verifier workers must exit on their own"
