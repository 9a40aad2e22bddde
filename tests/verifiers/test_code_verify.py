"""verify_code end to end: statuses, test forms, the judge process, batching and failing closed.

Runs on the process-wide pool, i.e. the strongest layer here, or the one forced with
``REASONING_GYM_SANDBOX_LAYER`` (CI runs this module once per layer).
"""

from __future__ import annotations

import pytest

from reasoning_gym.verifiers.code import (
    CodeTask,
    SandboxSettings,
    SandboxUnavailableError,
    WorkerPool,
    get_pool,
    verify_code,
    verify_code_batch,
)
from reasoning_gym.verifiers.code.handle import WorkerHandle, WorkerStartError

ADD = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
CHECK_LOOP = """
import random

def check(candidate):
    rng = random.Random(0)
    for _ in range(20):
        a, b = rng.randint(-50, 50), rng.randint(-50, 50)
        assert candidate(a, b) == a + b
"""
CHECK_RAISES = """
def check(candidate):
    try:
        candidate(-1)
    except ValueError:
        pass
    else:
        assert False, "expected ValueError"
    assert candidate(4) == 2
"""

STATUS_CASES = [
    ("passes", GOOD, ADD, {}, "passed"),
    ("wrong answer", "def add(a, b):\n    return a - b\n", ADD, {}, "failed"),
    ("syntax error", "def add(a, b:\n    return a\n", ADD, {}, "syntax_error"),
    ("compile-time error", "return 1\n", ADD, {}, "syntax_error"),
    ("no code at all", "   ", ADD, {}, "no_code"),
    ("only a shell block", "```bash\nls\n```", ADD, {}, "no_code"),
    ("infinite loop", "def add(a, b):\n    while True:\n        pass\n", ADD, {"timeout_s": 0.5}, "timeout"),
    ("memory bomb", "def add(a, b):\n    return len(bytearray(2 << 30))\n", ADD, {"memory_mb": 256}, "memory"),
    ("output flood", "while True:\n    print('z' * 4096)\n", ADD, {}, "output_limit"),
    ("raises at import", "raise RuntimeError('boom')\n", ADD, {}, "failed"),
    ("raises in the call", "def add(a, b):\n    raise ValueError(a)\n", ADD, {}, "failed"),
    ("function missing", "def plus(a, b):\n    return a + b\n", ADD, {}, "failed"),
    ("tuple is not a list", "def pair():\n    return (1, 2)\n", ["assert pair() == [1, 2]"], {}, "failed"),
    ("int equals float", "def half():\n    return 1.0\n", ["assert half() == 1"], {}, "passed"),
    ("prints are harmless", "print('debug')\ndef add(a, b):\n    print(a, b)\n    return a + b\n", ADD, {}, "passed"),
    (
        "match objects keep their truth",
        "import re\ndef starts_a(s):\n    return re.match('a', s)\n",
        ["assert starts_a('abc')", "assert not starts_a('b')"],
        {},
        "passed",
    ),
    (
        "tolerance and set forms",
        "import math\ndef area(r):\n    return math.pi * r * r\ndef common(a, b):\n    return list(set(a) & set(b))\n",
        ["assert math.isclose(area(2), 12.566, rel_tol=0.001)", "assert set(common([1, 2], [2, 3])) == set([2])"],
        {"setup_code": "import math"},
        "passed",
    ),
    ("generators are values", "def gen():\n    yield 1\n", ["assert list(gen()) == [1]"], {}, "passed"),
    ("a generator is not a list", "def gen():\n    yield 1\n", ["assert gen() == [1]"], {}, "failed"),
    ("judge route: loop", "def add(a, b):\n    return a + b\n", CHECK_LOOP, {"entry_point": "add"}, "passed"),
    (
        "judge route: wrong",
        "def add(a, b):\n    return a + b + (a > 9)\n",
        CHECK_LOOP,
        {"entry_point": "add"},
        "failed",
    ),
    (
        "judge route: expected exception",
        "def root(x):\n    if x < 0:\n        raise ValueError(x)\n    return int(x ** 0.5)\n",
        CHECK_RAISES,
        {"entry_point": "root"},
        "passed",
    ),
]


@pytest.mark.parametrize(
    ("response", "tests", "kwargs", "status"), [c[1:] for c in STATUS_CASES], ids=[c[0] for c in STATUS_CASES]
)
def test_status(response, tests, kwargs, status):
    verdict = verify_code(response, tests, **kwargs)
    assert verdict.status == status, verdict
    assert verdict.reward == (1.0 if status == "passed" else 0.0)
    assert verdict.verifier == "code" and verdict.version
    assert verdict.details["layer"] == get_pool().layer


def test_verdict_records_the_sandbox_and_the_test_routes():
    verdict = verify_code(GOOD, ADD)
    details = verdict.details
    assert details["sandbox"]["layer"] == details["layer"] and "seccomp" in details["sandbox"]
    assert (details["tests"], details["parsed"], details["judged"], details["weak"]) == (2, 2, 0, False)
    assert verdict.extracted == "def add(a, b):\n    return a + b"


def test_weak_tasks_are_flagged():
    code = "class Box:\n    def __init__(self, v):\n        self.v = v\n    def get(self):\n        return self.v\n"
    verdict = verify_code(code, ["assert Box(3).get() == 3"])
    assert verdict.correct and verdict.details["weak"] and verdict.details["weak_reasons"]


def test_failure_reason_names_the_test_and_the_value():
    verdict = verify_code("def add(a, b):\n    return 41\n", ADD)
    assert "add(1, 2) == 3" in verdict.reason and "41" in verdict.reason


def test_batch_keeps_order():
    tasks = [CodeTask(GOOD if i % 2 else "def add(a, b):\n    return 0\n", ADD) for i in range(8)]
    tasks.append({"response": GOOD, "tests": ADD, "timeout_s": 5.0})
    verdicts = verify_code_batch(tasks)
    assert [v.correct for v in verdicts] == [bool(i % 2) for i in range(8)] + [True]


def test_each_job_runs_under_its_own_limits():
    """Spares are prepared (rlimits included) for the last job's limits; one prepared for others is replaced."""
    probe = (
        "import resource\n"
        "def limits():\n"
        "    return [resource.getrlimit(r)[0] for r in (resource.RLIMIT_CPU, resource.RLIMIT_AS)]\n"
    )
    for timeout_s, memory_mb in [(10.0, 1024), (2.5, 300), (2.0, 300), (4.0, 512), (10.0, 1024)] * 2:
        expected = [int(timeout_s) + 1, memory_mb << 20]
        verdict = verify_code(probe, [f"assert limits() == {expected}"], timeout_s=timeout_s, memory_mb=memory_mb)
        assert verdict.status == "passed", verdict.reason


@pytest.mark.parametrize(
    ("tests", "kwargs"),
    [
        (["assert add(1, 2) == 3 +"], {}),
        ([], {}),
        ("def check(candidate):\n    assert candidate(1)\n", {}),
        (ADD, {"timeout_s": 0}),
        (ADD, {"setup_code": "import ("}),
    ],
)
def test_bad_task_data_raises(tests, kwargs):
    with pytest.raises(ValueError):
        verify_code(GOOD, tests, **kwargs)


def test_fails_closed_when_no_layer_starts():
    with pytest.raises(SandboxUnavailableError, match="no code-sandbox layer could start"):
        WorkerPool(SandboxSettings(layer=1, workers=1, python="/nonexistent/python3"))


def test_layer_setting_is_validated(monkeypatch):
    monkeypatch.setenv("REASONING_GYM_SANDBOX_LAYER", "7")
    with pytest.raises(ValueError, match="REASONING_GYM_SANDBOX_LAYER"):
        SandboxSettings.from_env()


def test_infrastructure_failures_are_reported_not_scored(monkeypatch):
    pool = WorkerPool(SandboxSettings(layer=1, workers=1))
    try:

        def broken_start(self):
            raise WorkerStartError("simulated start failure")

        for worker in pool._workers:
            worker.mark_broken("simulated crash")
        monkeypatch.setattr(WorkerHandle, "start", broken_start)
        verdict = verify_code(GOOD, ADD, pool=pool)
        assert verdict.status == "sandbox_error" and verdict.reward == 0.0
        assert "simulated start failure" in verdict.reason
        monkeypatch.undo()
        assert verify_code(GOOD, ADD, pool=pool).correct  # and it recovers once workers start again
    finally:
        pool.close()
