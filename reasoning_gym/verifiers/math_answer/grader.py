"""``score_math``: grade one response against a gold answer, returning a :class:`Verdict`.

The function is pure and total: the same input always gives the same verdict, and no input string can make
it raise (an internal failure becomes ``status="error"``). It installs no signal handlers and starts no
threads; hard deadlines are the job of the worker pool that calls it.
"""

from __future__ import annotations

import re

from reasoning_gym.verifiers.math_answer.equivalence import judge
from reasoning_gym.verifiers.math_answer.extract import EXTRACTION_MODES, Extraction, extract_answer, last_boxed
from reasoning_gym.verifiers.math_answer.normalize import clean
from reasoning_gym.verifiers.math_answer.relations import RELATION, relation_to_set
from reasoning_gym.verifiers.math_answer.structure import analyze
from reasoning_gym.verifiers.verdict import Verdict

#: Bumped whenever any verdict could change.
MATH_VERIFIER_VERSION = "math-2.0"

_OR_WORDS = re.compile(r"\b(?:or|and|either)\b|\\cup(?![a-zA-Z])", re.IGNORECASE)


def _verdict(reward: float, status: str, extracted: str | None, reason: str, details: dict | None = None) -> Verdict:
    return Verdict(
        reward=reward,
        status=status,
        extracted=extracted,
        reason=reason,
        verifier="math",
        version=MATH_VERIFIER_VERSION,
        details=details or {},
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
    cleaned = clean(gold)
    as_set = relation_to_set(cleaned) if RELATION.search(cleaned) else None  # "|x| > 2" is a union of rays
    gold_is_collection = analyze(as_set or cleaned, single_other=False).kind != "single"
    if not (gold_is_collection or _OR_WORDS.search(gold)):
        return None
    if len(extraction.candidates) == 1:
        return extraction.candidates[0]
    return ", ".join(extraction.candidates)


def _judged(extraction: Extraction, gold: str) -> Verdict:
    """The verdict for one extraction of the response against the (already reduced) gold."""
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


def _summary(verdict: Verdict) -> dict:
    return {"reward": verdict.reward, "status": verdict.status, "extracted": verdict.extracted}


def _score(response: str, gold: str, extraction: str) -> Verdict:
    gold = _gold_text(gold)
    strict = extract_answer(response, "strict")
    by_mode = {"strict": _judged(strict, gold)}
    # Flexible extraction only differs where strict found nothing marked: judge a second time only then.
    flexible = extract_answer(response, "flexible") if not strict.marked else strict
    by_mode["flexible"] = by_mode["strict"] if flexible is strict else _judged(flexible, gold)
    chosen = by_mode[extraction]
    details = {"extraction": extraction, "by_extraction": {mode: _summary(v) for mode, v in by_mode.items()}}
    return _verdict(chosen.reward, chosen.status, chosen.extracted, chosen.reason, details)


def score_math(response: str, gold: str, extraction: str = "strict") -> Verdict:
    """Grade a model response against the gold final answer.

    Args:
        response: The full model response (reasoning, ``</think>``, boxes...).
        gold: The reference final answer (e.g. MATH's boxed content, GSM8K's number).
        extraction: ``"strict"`` or ``"flexible"`` (see :func:`~.extract.extract_answer`).

    Returns:
        A :class:`Verdict` with reward 1.0 (``correct``) or 0.0 (``wrong``, ``no_answer``, ``unparseable``,
        ``error``), the committed answer in ``extracted`` and a short ``reason``. ``details["by_extraction"]``
        holds ``{"reward", "status", "extracted"}`` under both extraction modes, so that a caller can count
        the samples whose reward depends on the mode.
    """
    try:
        if not isinstance(response, str) or not isinstance(gold, str):
            response = "" if response is None else str(response)
            gold = "" if gold is None else str(gold)
        if extraction not in EXTRACTION_MODES:
            return _verdict(0.0, "error", None, f"unknown extraction mode {extraction!r}; use strict or flexible")
        return _score(response, gold, extraction)
    except Exception as exc:  # model output must never crash the trainer: report it as a verdict
        return _verdict(0.0, "error", None, f"{type(exc).__name__}: {exc}"[:500])


#: One comparison of each kind the symbolic path meets (fractions, radicals, intervals, matrices, equations,
#: sets, complex numbers, functions): run once when a worker starts, so that the parser's lazily built tables
#: and sympy's lazy imports are paid before the worker takes its first deadline, not during it.
_WARM_UP = (
    (r"\boxed{\frac{\sqrt{3}}{2}}", r"\frac{\pi}{4}"),
    (r"\boxed{(1,2]}", r"[0,\infty)"),
    (r"\boxed{x^2+2x+1}", "(x+1)^2"),
    (r"\boxed{\begin{pmatrix}1\\2\end{pmatrix}}", r"\begin{pmatrix}1\\3\end{pmatrix}"),
    (r"\boxed{2\sin x\cos x}", r"\sin 2x"),
    (r"\boxed{y=2x+3}", "y=3x+2"),
    (r"\boxed{\{1,2\}}", r"\{1,3\}"),
    (r"\boxed{3+2i}", "2-3i"),
    (r"\boxed{\log_2 8}", "e^{2}"),
)


def warm_up() -> None:
    """Grade a few representative pairs (called once by each verifier worker before it reports ready)."""
    for response, gold in _WARM_UP:
        score_math(response, gold)
