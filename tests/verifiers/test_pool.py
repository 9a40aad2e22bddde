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
