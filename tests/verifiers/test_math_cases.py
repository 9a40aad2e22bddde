"""Run the adversarial case table in ``math_cases.py`` against the math answer grader.

* ``test_score_math_case``: every row through ``score_math`` (in-process); the reward must match and the
  status must agree with it (reward 1 if and only if status ``"correct"``).
* ``test_verify_math_hang_row``: a fixed sample of the hang-risk rows through the public
  ``verify_math`` (worker process with a deadline); it must come back within the deadline plus slack
  with a decided status or ``"timeout"``, and never reward a row whose expected reward is 0.
"""

from __future__ import annotations

import time

import pytest

try:  # rootdir-relative import when ``tests`` is importable as a package, else the prepended test dir
    from tests.verifiers.math_cases import CASES, CATEGORIES
except ImportError:  # pragma: no cover - depends on how pytest was started
    from math_cases import CASES, CATEGORIES

MATH_STATUSES = {"correct", "wrong", "no_answer", "unparseable", "timeout", "error"}
DECIDED_OR_TIMEOUT = {"correct", "wrong", "no_answer", "unparseable", "timeout"}

#: Deadline handed to ``verify_math`` and the extra wall time allowed for process start-up on a busy box.
HANG_TIMEOUT_S = 5.0
HANG_SLACK_S = 25.0

try:  # pytest-timeout is a dev dependency; without it the marks would only raise unknown-mark warnings
    import pytest_timeout  # noqa: F401

    _CASE_MARKS = [pytest.mark.timeout(120)]
except ImportError:  # pragma: no cover
    _CASE_MARKS = []

#: The hang-risk rows sent through the worker process: towers, factorials, huge integers, long inputs,
#: nesting, unbalanced braces, many boxes and junk bytes.
HANG_SAMPLE_NOTES = [
    "hang: power tower of nines",
    "hang: googolplex-like power",
    "hang: identical power tower is the gold",
    "hang: huge factorial",
    "hang: factorial of a googol",
    "hang: two to the million",
    "hang: hundred-thousand-digit integer",
    "hang: five-thousand-digit integer equals gold",
    "hang: twenty-thousand-digit approximation",
    "hang: fifty kilobytes then correct box",
    "hang: five thousand nested braces",
    "hang: three hundred nested fractions",
    "hang: unbalanced open braces",
    "hang: five thousand distinct boxes",
    "hang: sixty by sixty matrix",
    "hang: ten thousand NUL bytes",
    "hang: lone surrogate then wrong box",
    "hang: emoji flood",
]
_BY_NOTE = {row[3]: row for row in CASES}
HANG_SAMPLE = [_BY_NOTE[note] for note in HANG_SAMPLE_NOTES]


def _short(text: str | None, limit: int = 200) -> str:
    """Shorten ``text`` for assertion messages (some rows are tens of kilobytes)."""
    if text is None:
        return "None"
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} chars)"


def _params(rows):
    return [pytest.param(resp, gold, exp, id=note, marks=_CASE_MARKS) for resp, gold, exp, note in rows]


def test_case_table_shape():
    notes = [row[3] for row in CASES]
    assert len(notes) == len(set(notes)), "notes double as test ids and must be unique"
    assert len(CASES) >= 400
    for response, gold, expected, note in CASES:
        assert isinstance(response, str) and isinstance(gold, str) and gold.strip(), note
        assert expected in (0.0, 1.0), note
        assert note.split(":", 1)[0] in CATEGORIES, note
    minimum = {"equiv": 120, "nonequiv": 100, "hack": 60, "extract": 40, "hang": 30}
    for category, count in minimum.items():
        assert len(CATEGORIES[category]) >= count, category
    assert all(row[2] == 1.0 for row in CATEGORIES["equiv"])
    assert all(row[2] == 0.0 for cat in ("nonequiv", "hack") for row in CATEGORIES[cat])


@pytest.mark.parametrize(("response", "gold", "expected"), _params(CASES))
def test_score_math_case(response, gold, expected):
    from reasoning_gym.verifiers.math_answer import score_math

    verdict = score_math(response, gold)
    detail = (
        f"status={verdict.status} extracted={_short(verdict.extracted)} reason={verdict.reason!r} "
        f"gold={_short(gold)} response={_short(response)}"
    )
    assert verdict.status in MATH_STATUSES, detail
    assert verdict.reward == expected, detail
    assert (verdict.reward == 1.0) == (verdict.status == "correct"), detail
    if verdict.reward == 1.0:
        assert verdict.extracted is not None, detail


@pytest.mark.parametrize(
    "response",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n", id="whitespace"),
        pytest.param("Let me check: 2 + 3 = 5, and 5 is odd.", id="number only in reasoning"),
        pytest.param("I am not sure how to solve this problem.", id="refusal"),
    ],
)
def test_no_committed_answer_is_no_answer(response):
    from reasoning_gym.verifiers.math_answer import score_math

    verdict = score_math(response, "5")
    assert verdict.reward == 0.0
    assert verdict.status == "no_answer", verdict
    assert verdict.extracted is None, verdict


@pytest.mark.slow
@pytest.mark.parametrize(("response", "gold", "expected"), _params(HANG_SAMPLE))
def test_verify_math_hang_row(response, gold, expected):
    from reasoning_gym.verifiers import verify_math

    start = time.monotonic()
    verdict = verify_math(response, gold, timeout_s=HANG_TIMEOUT_S)
    elapsed = time.monotonic() - start
    detail = f"status={verdict.status} extracted={_short(verdict.extracted)} elapsed={elapsed:.1f}s"
    assert verdict.status in DECIDED_OR_TIMEOUT, detail
    assert elapsed < HANG_TIMEOUT_S + HANG_SLACK_S, detail
    assert (verdict.reward == 1.0) == (verdict.status == "correct"), detail
    if expected == 0.0:
        assert verdict.reward == 0.0, detail
    else:  # a genuine gold may run out of time, but a decided verdict must be right
        assert verdict.reward == 1.0 or verdict.status == "timeout", detail
