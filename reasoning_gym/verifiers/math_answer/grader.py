"""``score_math``: grade one response against a gold answer, returning a :class:`Verdict`.

The function is pure and total: the same input always gives the same verdict, and no input string can make
it raise (an internal failure becomes ``status="error"``). It installs no signal handlers and starts no
threads; hard deadlines are the job of the worker pool that calls it.
"""

from __future__ import annotations

import re

from reasoning_gym.verifiers.math_answer.equivalence import judge
from reasoning_gym.verifiers.math_answer.extract import Extraction, extract_answer, last_boxed
from reasoning_gym.verifiers.math_answer.normalize import clean
from reasoning_gym.verifiers.math_answer.structure import analyze
from reasoning_gym.verifiers.verdict import Verdict

#: Bumped whenever any verdict could change.
MATH_VERIFIER_VERSION = "math-1.1"

_OR_WORDS = re.compile(r"\b(?:or|and|either)\b|\\cup(?![a-zA-Z])", re.IGNORECASE)


def _verdict(reward: float, status: str, extracted: str | None, reason: str) -> Verdict:
    return Verdict(
        reward=reward,
        status=status,
        extracted=extracted,
        reason=reason,
        verifier="math",
        version=MATH_VERIFIER_VERSION,
    )


def _gold_text(gold: str) -> str:
    """A gold given as a whole solution or as ``\\boxed{...}`` is reduced to its last box."""
    boxed = last_boxed(gold)
    return gold if boxed is None else boxed


def _reconcile_hedge(extraction: Extraction, gold: str) -> str | None:
    """Accept hedge-like candidates when the gold itself is a list, union or "or" answer; else ``None``.

    "The answers are \\boxed{2} and \\boxed{3}" is a hedge against gold ``2`` but the honest answer to a gold
    ``2, 3``; the candidate values are then compared as a list (same number of elements required).
    """
    if not extraction.hedged or not extraction.candidates:
        return None
    gold_is_collection = analyze(clean(gold), single_other=False).kind != "single"
    if not (gold_is_collection or _OR_WORDS.search(gold)):
        return None
    if len(extraction.candidates) == 1:
        return extraction.candidates[0]
    return ", ".join(extraction.candidates)


def _score(response: str, gold: str) -> Verdict:
    gold = _gold_text(gold)
    extraction = extract_answer(response)
    answer = extraction.answer
    reason = extraction.reason
    if answer is None:
        answer = _reconcile_hedge(extraction, gold)
        if answer is None:
            return _verdict(0.0, "no_answer", None, extraction.reason)
        reason = "alternatives accepted because the gold lists several values"
    result = judge(answer, gold)
    detail = f"{reason}; {result.how}" if result.how else reason
    if result.equal:
        return _verdict(1.0, "correct", answer, detail)
    if not result.readable:
        return _verdict(0.0, "unparseable", answer, detail)
    return _verdict(0.0, "wrong", answer, detail)


def score_math(response: str, gold: str) -> Verdict:
    """Grade a model response against the gold final answer.

    Args:
        response: The full model response (reasoning, ``</think>``, boxes...).
        gold: The reference final answer (e.g. MATH's boxed content, GSM8K's number).

    Returns:
        A :class:`Verdict` with reward 1.0 (``correct``) or 0.0 (``wrong``, ``no_answer``, ``unparseable``,
        ``error``), the committed answer in ``extracted`` and a short ``reason``.
    """
    try:
        if not isinstance(response, str) or not isinstance(gold, str):
            response = "" if response is None else str(response)
            gold = "" if gold is None else str(gold)
        return _score(response, gold)
    except Exception as exc:  # model output must never crash the trainer: report it as a verdict
        return _verdict(0.0, "error", None, f"{type(exc).__name__}: {exc}"[:500])
