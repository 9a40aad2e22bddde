"""Table-driven tests of answer extraction, hedge detection and the ``score_math`` verdicts."""

from __future__ import annotations

import pytest

from reasoning_gym.verifiers.math_answer import MATH_VERIFIER_VERSION, extract_answer, score_math
from reasoning_gym.verifiers.math_answer import grader as grader_module

# (response, expected committed answer)
EXTRACTED = [
    # boxes, including nested braces and box variants
    (r"\boxed{5}", "5"),
    (r"The answer is $\boxed{5}$.", "5"),
    (r"\[\boxed{5}\]", "5"),
    (r"\fbox{5}", "5"),
    (r"\boxed {5}", "5"),
    (r"\boxed 5", "5"),
    (r"so $\boxed 12$.", "12"),
    (r"\boxed{ 5 }", "5"),
    (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
    (r"\boxed{\frac{\sqrt{3}}{2}}", r"\frac{\sqrt{3}}{2}"),
    (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),
    (r"\boxed{\left\{ 1 \right\}}", r"\left\{ 1 \right\}"),
    (r"\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    (r"\boxed{\text{(B)}}", r"\text{(B)}"),
    # the last box wins when all boxes agree
    (r"First $\boxed{0.5}$, i.e. $\boxed{\frac12}$.", r"\frac12"),
    (r"$\boxed{5}$ and again $\boxed{5}$", "5"),
    (r"$\boxed{15\frac{39}{40}}$, or $\boxed{\frac{639}{40}}$ inches", r"\frac{639}{40}"),
    # "or" followed by words or by an equivalent value is an explanation, not an alternative
    (r"\boxed{MR=SRMC}, or marginal revenue equals short-run marginal cost.", "MR=SRMC"),
    (r"$\boxed{\frac12}$, or $0.5$", r"\frac12"),
    (r"\boxed{5}, or equivalently five", "5"),
    # a box beats a later final statement
    (r"\boxed{7} The answer is 8", "7"),
    # a retracted box gives way to the box after the retraction (math-2.0)
    (r"$\boxed{5}$ -- no wait, that's wrong. It is $\boxed{7}$.", "7"),
    # </think>: only the text after it counts
    (r"<think>maybe \boxed{4}</think> The answer is \boxed{5}.", "5"),
    (r"<think>\boxed{5}</think> Final answer: 6", "6"),
    (r"<think>a</think><think>b</think> \boxed{9}", "9"),
    # explicit final statements
    ("Final answer: 5", "5"),
    ("Final Answer: $x = 3$", "x = 3"),
    ("The final answer is 42.", "42"),
    (r"The final answer is $\frac{1}{2}$. I hope it is correct.", r"\frac{1}{2}"),
    ("The answer is 12", "12"),
    ("the answer is: 12", "12"),
    ("Answer: 12", "12"),
    ("**Answer:** 12", "12"),
    ("**Final Answer:** 3.5", "3.5"),
    (r"The answer is \(5\).", "5"),
    ("The answer is 5 because 2 + 3 = 5.", "5"),
    ("The answer is:\n$$ 7 $$", "7"),
    ("Answer: 2. Answer: 2.", "2"),
    ("The answer is 3, since the rest cancel.", "3"),
    # GSM8K: the last #### line
    ("She makes 9 * 2 = $<<9*2=18>>18.\n#### 18", "18"),
    ("#### 1,000", "1,000"),
    ("#### 6\n#### 6", "6"),
    ("so #### 7", "7"),
]


@pytest.mark.parametrize(("response", "answer"), EXTRACTED)
def test_extracts_committed_answer(response, answer):
    extraction = extract_answer(response)
    assert extraction.answer == answer, extraction
    assert not extraction.hedged


# (response, reason prefix): nothing committed
NO_ANSWER = [
    # nothing that commits
    ("", "no boxed answer"),
    ("   \n", "no boxed answer"),
    ("So x = 5, and therefore 5 is odd.", "no boxed answer"),
    ("I am not sure.", "no boxed answer"),
    ("We get 2 + 3 = 5.", "no boxed answer"),
    # truncated or empty boxes
    (r"\boxed{12", "no boxed answer"),
    (r"\boxed{}", "no boxed answer"),
    (r"\boxed\boxed\boxed", "no boxed answer"),
    # thinking without a final answer
    (r"<think>\boxed{5}</think>", "no boxed answer"),
    (r"<think>\boxed{5}</think> Let me double check.", "no boxed answer"),
    (r"<think>the answer is \boxed{5}", "unterminated <think>"),
]


@pytest.mark.parametrize(("response", "reason"), NO_ANSWER)
def test_no_answer(response, reason):
    extraction = extract_answer(response)
    assert extraction.answer is None
    assert extraction.reason.startswith(reason), extraction


# Responses that hedge: never an answer, reason starts with "hedge:".
HEDGES = [
    # several boxes with different values
    r"\boxed{2} ... \boxed{3}",
    r"It is $\boxed{2}$ or maybe $\boxed{3}$.",
    r"\boxed{0.333} \boxed{\frac13}",
    "".join(rf"\boxed{{{i}}}" for i in range(50)),
    r"<think>x</think> \boxed{1} \boxed{2}",
    # alternatives inside the committed answer
    r"\boxed{2 \text{ or } 3}",
    r"\boxed{x = 5 \text{ or } 7}",
    r"\boxed{\text{either } 2 \text{ or } 3}",
    r"\boxed{2 and/or 3}",
    "The answer is 2 or 3.",
    "Final answer: either 4 or 5",
    "Answer: $5$ or $6$",
    # two final statements that disagree
    "The answer is 20. Final answer: 22",
    "The answer is 3.\nThe answer is 4.",
    "Answer: 1. Answer: 2.",
    "#### 5\n#### 6",
    # a different value offered right after the box
    r"$\boxed{5}$ or 7",
    r"\boxed{5} (or maybe $7$)",
    r"\boxed{5} or 6 " + r"\boxed{5} " * 20,
    # a box the response itself disowns
    r"\boxed{5} is wrong",
    r"$\boxed{5}$ is incorrect.",
    r"$\boxed{5}$ is not the answer.",
    r"The answer is not $\boxed{5}$.",
    r"\boxed{5} — no wait, that's wrong",
    "$\\boxed{5}$\n\nNo wait, that's wrong.",
    r"$\boxed{5}$. That is incorrect.",
    r"The wrong answer is $\boxed{5}$.",
    r"instead of $\boxed{5}$",
]


@pytest.mark.parametrize("response", HEDGES)
def test_hedges(response):
    extraction = extract_answer(response)
    assert extraction.answer is None
    assert extraction.hedged, extraction


# (response, gold, expected status): end-to-end verdicts
VERDICTS = [
    # correct answers in several formats
    (r"Thus $\boxed{\dfrac{1}{2}}$.", "0.5", "correct"),
    ("Answer: 0.25", r"\frac14", "correct"),
    ("#### 70000", "70000", "correct"),
    ("#### 70,000", "70000", "correct"),
    (r"\boxed{x=5}", "5", "correct"),
    (r"\boxed{\textbf{(B) } 12}", "B", "correct"),
    (r"<think>\boxed{4}</think>\boxed{5}", "5", "correct"),
    # several boxes or alternatives are fine when the gold lists several values
    (r"The roots are $\boxed{2}$ and $\boxed{3}$.", "2, 3", "correct"),
    (r"$\boxed{3}$ and $\boxed{2}$", r"\{2, 3\}", "correct"),
    (r"\boxed{x < 2 \text{ or } x > 3}", r"(-\infty, 2) \cup (3, \infty)", "correct"),
    (r"\boxed{2 \text{ or } 3}", r"2 \text{ or } 3", "correct"),
    # wrong values
    (r"\boxed{6}", "5", "wrong"),
    (r"\boxed{0.333}", r"\frac13", "wrong"),
    (r"\boxed{3.14}", r"\pi", "wrong"),
    (r"\boxed{1, 2, 3, 4, 5, 6, 7, 8}", "3", "wrong"),
    (r"\boxed{\text{Monday}}", "5", "wrong"),
    (r"The roots are $\boxed{2}$ and $\boxed{3}$.", "2", "no_answer"),
    # hedges and nothing committed
    (r"\boxed{2} ... \boxed{3}", "3", "no_answer"),
    (r"\boxed{2} ... \boxed{3}", "2", "no_answer"),
    ("The answer is 2 or 3.", "2", "no_answer"),
    (r"\boxed{5} is wrong", "5", "no_answer"),
    ("I think it's 5.", "5", "no_answer"),
    (r"<think>\boxed{5}</think>", "5", "no_answer"),
    # unreadable committed answers
    (r"\boxed{)(*&^}", "5", "unparseable"),
    ("Final answer: {{{", "5", "unparseable"),
    # gold given with its box or as a whole solution
    (r"\boxed{5}", r"\boxed{5}", "correct"),
    (r"\boxed{5}", r"so the answer is $\boxed{5}$.", "correct"),
]


@pytest.mark.parametrize(("response", "gold", "status"), VERDICTS)
def test_verdicts(response, gold, status):
    verdict = score_math(response, gold)
    assert verdict.status == status, verdict
    assert verdict.reward == (1.0 if status == "correct" else 0.0)
    assert verdict.verifier == "math"
    assert verdict.version == MATH_VERIFIER_VERSION
    if status in {"no_answer"}:
        assert verdict.extracted is None
    if status == "correct":
        assert verdict.extracted is not None


def test_hedge_reason_is_reported():
    verdict = score_math(r"\boxed{2} \boxed{3}", "3")
    assert verdict.status == "no_answer"
    assert verdict.reason.startswith("hedge:")


def test_non_string_input_is_handled():
    assert score_math(None, "5").status == "no_answer"  # type: ignore[arg-type]
    assert score_math(r"\boxed{5}", 5).status == "correct"  # type: ignore[arg-type]


def test_internal_exception_becomes_error(monkeypatch):
    def boom(response, extraction="strict"):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(grader_module, "extract_answer", boom)
    verdict = score_math(r"\boxed{5}", "5")
    assert verdict.status == "error"
    assert verdict.reward == 0.0
    assert "RuntimeError" in verdict.reason


def test_deterministic():
    response = r"We find $\boxed{\frac{\sqrt{2}}{2}}$."
    first = score_math(response, r"\frac{1}{\sqrt2}").to_dict()
    assert all(score_math(response, r"\frac{1}{\sqrt2}").to_dict() == first for _ in range(3))
    assert first["status"] == "correct"


# Large or adversarial responses: decided, never raising (no timing asserts: the pool enforces deadlines).
LARGE = [
    # long reasoning, then a box
    ("We compute 2+2=4. " * 3000 + r"\boxed{4}", "4", "correct"),
    # unbalanced braces and box spam
    (r"\boxed{" + "{" * 50000, "5", "no_answer"),
    ("".join(rf"\boxed{{{i}}}" for i in range(5000)), "5", "no_answer"),
    (r"\boxed{7}" * 5000, "7", "correct"),
    ("The answer is 5. " * 3000, "5", "correct"),
    ("\\" * 50000, "5", "no_answer"),
    (r"\boxed{" + "1 or " * 5000 + "}", "5", "no_answer"),
    (r"\boxed{" + "9" * 50000 + "}", "5", "wrong"),
    ("\x00" * 10000 + r"\boxed{5}", "5", "correct"),
    ("Answer: " + "1." * 25000, "5", "wrong"),
]


@pytest.mark.parametrize(("response", "gold", "status"), LARGE)
def test_large_responses(response, gold, status):
    assert score_math(response, gold).status == status
