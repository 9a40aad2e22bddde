"""Sandbox-free parts of the code verifier: extraction, value encoding, the residual evaluator, test parsing."""

from __future__ import annotations

import ast
import collections
import decimal
import fractions
import math

import pytest

from reasoning_gym.verifiers.code import build_plan, extract_code
from reasoning_gym.verifiers.code.evaluate import evaluate, supported
from reasoning_gym.verifiers.code.values import Opaque, decode, encode
from reasoning_gym.verifiers.code.wire import FrameReader, WireError, loads, pack

# ------------------------------------------------------------------------------------------- extraction
EXTRACT_CASES = [
    ("plain code", "def f():\n    return 1\n", "def f():\n    return 1"),
    ("one python block", "Here:\n```python\nx = 1\n```\nDone.", "x = 1"),
    ("last python block wins", "```python\nx = 1\n```\ntext\n```python\nx = 2\n```", "x = 2"),
    ("py tag", "```py\nx = 3\n```", "x = 3"),
    ("untagged block", "```\nx = 4\n```", "x = 4"),
    ("tagged beats untagged", "```python\nx = 5\n```\n```\nnot python\n```", "x = 5"),
    ("only other languages", "```bash\nls\n```", ""),
    ("unclosed final fence", "```python\nx = 1\n```\nnow:\n```python\nx = 6\n", "x = 6"),
    ("tilde fence", "~~~python\nx = 7\n~~~", "x = 7"),
    ("empty response", "   \n", ""),
]


@pytest.mark.parametrize(("response", "code"), [c[1:] for c in EXTRACT_CASES], ids=[c[0] for c in EXTRACT_CASES])
def test_extract_code(response, code):
    assert extract_code(response) == code


# -------------------------------------------------------------------------------------------------- values
ROUND_TRIP = [
    None,
    True,
    0,
    -(10**30),
    1.5,
    -0.0,
    "é\ud800",
    [1, [2, "x"]],
    (1, (2,)),
    {1: "a", (2, 3): [4]},
    {1, 2},
    frozenset({(1, 2)}),
    b"\x00\xff",
    bytearray(b"ab"),
    3 + 4j,
    fractions.Fraction(1, 3),
    decimal.Decimal("1.10"),
    collections.deque([1, 2]),
    range(1, 10, 2),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_values_round_trip_exactly(value):
    back = decode(loads(pack(encode(value))[4:]))
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("special", [float("inf"), float("-inf")])
def test_non_finite_floats(special):
    assert decode(encode(special)) == special
    assert math.isnan(decode(encode(float("nan"))))


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class _LyingInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class _LyingList(list):
    def __iter__(self):
        return iter([42])


ENCODE_CASES = [
    ("subclass reduced to its value", _LyingInt(5), 5),
    ("list subclass read through list", _LyingList([1, 2]), [1, 2]),
    ("namedtuple becomes a tuple", collections.namedtuple("P", "x y")(1, 2), (1, 2)),
    ("Counter becomes a dict", collections.Counter("aab"), {"a": 2, "b": 1}),
    ("generator is materialised", (i for i in range(3)), None),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in ENCODE_CASES], ids=[c[0] for c in ENCODE_CASES])
def test_encode_reads_values_not_methods(value, expected):
    back = decode(encode(value))
    if expected is None:
        assert list(back) == [0, 1, 2]
    else:
        assert back == expected and type(back) is type(expected)


def test_unknown_objects_are_opaque_and_equal_nothing():
    back = decode(encode(_AlwaysEqual()))
    assert isinstance(back, Opaque) and back != back.__class__ and not (back == 1)
    assert bool(decode(encode(object()))) is True


BAD_WIRE = [
    ('{"$t": [1], "$s": [2]}', "two keys"),
    ('{"$nope": 1}', "unknown tag"),
    ('{"$s": [[1]]}', "unhashable set item"),
    ('{"$d": [[1]]}', "bad dict item"),
    ('{"$f": "1.0"}', "bad float"),
    ('{"$o": 1, "b": true}', "bad opaque"),
    ("NaN", "NaN literal"),
    ("[" * 5000 + "]" * 5000, "too deep"),
]


@pytest.mark.parametrize(("text", "why"), BAD_WIRE, ids=[b[1] for b in BAD_WIRE])
def test_decode_is_strict(text, why):
    with pytest.raises(WireError):
        decode(loads(text.encode()))


def test_frame_reader_limits():
    reader = FrameReader(max_total=100)
    frame = pack({"ev": "x"})
    assert reader.feed(frame[:3]) == [] and reader.feed(frame[3:]) == [{"ev": "x"}]
    with pytest.raises(WireError):
        reader.feed(b"\x00" * 200)
    with pytest.raises(WireError):
        FrameReader().feed(b"\xff\xff\xff\xff")


# ------------------------------------------------------------------------------------------------ evaluate
EVAL_CASES = [
    ("_rg_v0 == [1, 2]", [1, 2], True),
    ("_rg_v0 == [1, 2]", (1, 2), False),
    ("abs(_rg_v0 - 0.5) < 1e-6", 0.5000001, True),
    ("math.isclose(_rg_v0, 3.14, rel_tol=0.001)", 3.1405, True),
    ("set(_rg_v0) == set((4, 5))", [5, 4, 4], True),
    ("not _rg_v0", [], True),
    ("_rg_v0 == True", 1, True),
    ("sorted(_rg_v0) == [1, 2, 3]", {3, 1, 2}, True),
    ("_rg_v0[1:] == 'bc'", "abc", True),
    ("_rg_v0 in (1, 2) and _rg_v0 > 1", 2, True),
]


@pytest.mark.parametrize(("source", "value", "expected"), EVAL_CASES, ids=[c[0] for c in EVAL_CASES])
def test_residual_evaluation(source, value, expected):
    node = ast.parse(source, mode="eval").body
    assert supported(node, frozenset({"_rg_v0"}))
    assert bool(evaluate(node, {"_rg_v0": lambda: value})) is expected


REFUSED = [
    "open('x')",
    "_rg_v0.__class__",
    "__import__('os')",
    "(lambda: 1)()",
    "sorted(_rg_v0, key=len)",
    "{**_rg_v0}",
]


@pytest.mark.parametrize("source", REFUSED)
def test_evaluator_refuses_anything_else(source):
    node = ast.parse(source, mode="eval").body
    assert not supported(node, frozenset({"_rg_v0"}))


@pytest.mark.parametrize(("source", "value"), [("_rg_v0 * 10**9", [1]), ("2 ** _rg_v0", 10**9)])
def test_evaluator_bounds_work(source, value):
    """A candidate's value must not make the trusted parent allocate or compute without bound."""
    node = ast.parse(source, mode="eval").body
    with pytest.raises(ValueError):
        evaluate(node, {"_rg_v0": lambda: value})


# -------------------------------------------------------------------------------------------------- plans
HUMANEVAL_TEST = """
METADATA = {}

def check(candidate):
    assert candidate([1, 2]) == 3
    assert abs(candidate([0.5]) - 0.5) < 1e-6
"""
HUMANEVAL_LOOP = """
def check(candidate):
    for x in range(3):
        assert candidate([x]) == x
"""


def test_humaneval_asserts_become_probes_and_residuals():
    plan = build_plan(HUMANEVAL_TEST, "total", "def total(xs):\n    '''doc'''\n")
    assert plan.probes == ("total([1, 2])", "total([0.5])")
    assert [ast.unparse(c.residual) for c in plan.checks] == ["_rg_v0 == 3", "abs(_rg_v1 - 0.5) < 1e-06"]
    assert not plan.judge_units and not plan.is_weak
    assert "def total" not in plan.sandbox_setup  # the stub of the function under test is dropped


def test_expected_values_never_reach_the_sandbox():
    plan = build_plan(["assert f(2) == 'SECRET-ANSWER'", "assert g(1) == h(2)"], None, "def h(x):\n    return 'X'\n")
    shipped = " ".join(plan.probes) + plan.sandbox_setup
    assert "SECRET-ANSWER" not in shipped


def test_loops_go_to_the_judge_process():
    plan = build_plan(HUMANEVAL_LOOP, "f")
    assert plan.judge_units == ({"kind": "check", "fn": "check", "entry": "f"},) and not plan.probes


PLAN_CASES = [
    (["assert add(1, 2) == 3"], ("add",), 1, 0, 0),
    (["assert math.isclose(area(2), 12.56, rel_tol=0.01)"], ("area",), 1, 0, 0),
    (["assert not is_odd(2)", "assert is_odd(3)"], ("is_odd",), 2, 0, 0),
    (["assert set(common([1], [1])) == set([1])"], ("common",), 1, 0, 0),
    (["assert sum(1, 2) == 6"], ("sum",), 1, 0, 0),  # MBPP really names a function ``sum``
    (["assert f(1) == sys.getsizeof(1)"], ("f",), 0, 1, 0),
    (["x = 3", "assert f(x) == 3"], ("f",), 0, 2, 0),
    (["assert Stack().pop_all() == []"], ("Stack",), 0, 0, 1),
]


@pytest.mark.parametrize(("tests", "names", "parsed", "judged", "weak"), PLAN_CASES, ids=[c[0][-1] for c in PLAN_CASES])
def test_mbpp_routing(tests, names, parsed, judged, weak):
    plan = build_plan(tests)
    assert plan.candidate_names == names
    assert (len(plan.checks), len(plan.judge_units), len(plan.weak)) == (parsed, judged, weak)
    assert plan.is_weak is bool(weak)


def test_stdlib_modules_used_by_tests_are_imported_for_them():
    plan = build_plan(["assert f(1) == sys.getsizeof(1)"])
    assert plan.judge_setup.startswith("import sys")


@pytest.mark.parametrize(
    ("tests", "entry"), [("def check(candidate):\n    assert candidate(1)\n", None), (["assert f(1 ==="], None)]
)
def test_bad_task_data_is_a_caller_error(tests, entry):
    with pytest.raises(ValueError):
        build_plan(tests, entry)
