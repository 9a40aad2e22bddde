"""A trusted ``check`` that reads a name nothing provides is a task error (``test_error``), not a wrong program."""

from __future__ import annotations

import pytest

from reasoning_gym.verifiers.code import build_plan, verify_code
from reasoning_gym.verifiers.verdict import UNDECIDED_STATUSES

HELPER = "def encode(s):\n    return s[::-1]\n"
CHECK_WITH_HELPER = "def check(candidate):\n    assert candidate(encode('abc')) == 'abc'\n"
SOLUTION = "```python\ndef decode(s):\n    return s[::-1]\n```"

# (tests, entry point, setup code, names the check lacks)
PLANS = [
    (CHECK_WITH_HELPER, "decode", "", ("encode",)),
    (CHECK_WITH_HELPER, "decode", HELPER, ()),
    (CHECK_WITH_HELPER, "decode", HELPER + "def decode(s):\n    pass\n", ()),
    ("def check(candidate):\n    from random import choice\n    assert candidate(choice('a')) == 'a'\n", "f", "", ()),
    ("import math\ndef check(candidate):\n    assert math.isclose(candidate(1), 1.0)\n", "f", "", ()),
    ("def check(candidate):\n    assert candidate(1) == h_a(1) + h_b(2)\n", "f", "", ("h_a", "h_b")),
    ("def check(candidate):\n    def local(x):\n        return x\n    assert candidate(local(1)) == 1\n", "f", "", ()),
    ("def check(candidate):\n    try:\n        candidate(0)\n    except ValueError as e:\n        e\n", "f", "", ()),
    (["assert f(1) == 2", "assert f(2) == g(2)"], None, "", ()),  # MBPP asserts: g may be the candidate's own
]


@pytest.mark.parametrize(("tests", "entry", "setup", "missing"), PLANS)
def test_missing_names_are_found_statically(tests, entry, setup, missing):
    assert build_plan(tests, entry, setup).missing_names == missing


# (setup code, expected status): the same right program, with and without the helper the check calls
VERDICTS = [("", "test_error"), (HELPER, "passed")]


@pytest.mark.parametrize(("setup", "status"), VERDICTS)
def test_a_check_without_its_helper_is_a_test_error(setup, status):
    verdict = verify_code(SOLUTION, CHECK_WITH_HELPER, entry_point="decode", setup_code=setup)
    assert verdict.status == status, verdict
    if status == "test_error":
        assert verdict.reward == 0.0 and "setup_code" in verdict.reason and "encode" in verdict.reason
        assert verdict.status in UNDECIDED_STATUSES  # counted as undecided, never as a wrong program


def test_the_humaneval_env_passes_the_helpers(data_dir):
    import reasoning_gym as rg

    env = rg.make("rg/HumanEval-v0")
    for index in (32, 38, 50):  # the checks that call the prompt's helpers (poly, encode_cyclic, encode_shift)
        env.reset(options={"index": index})
        _, reward, _, _, info = env.step(env.unwrapped.oracle_response(env.unwrapped.get_problem(index)))
        assert reward == 1.0, info["verdict"]
