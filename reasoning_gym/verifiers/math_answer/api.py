"""Public math verifier: ``verify_math`` and ``verify_math_batch`` with hard deadlines.

The grading itself (:func:`~reasoning_gym.verifiers.math_answer.grader.score_math`) is a pure function;
this module runs it in the shared :class:`~reasoning_gym.verifiers.pool.DeadlinePool`, so a pathological
answer (``9^{9^{9^{9}}}``, a 50 KB response) costs at most ``timeout_s`` and becomes a counted ``timeout``
verdict, never a silent 0 and never a hung training step.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from reasoning_gym.errors import MissingDependencyError
from reasoning_gym.verifiers.math_answer.committed import EXTRACTION_MODES
from reasoning_gym.verifiers.pool import Outcome, get_pool
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["verify_math", "verify_math_batch"]

_TARGET = "reasoning_gym.verifiers.math_answer.grader:score_math"


def _version() -> str:
    from reasoning_gym.verifiers.math_answer.grader import MATH_VERIFIER_VERSION

    return MATH_VERIFIER_VERSION


def _require_math_verify() -> None:
    # Fail in the caller, loudly, instead of returning an "error" verdict for every item.
    if importlib.util.find_spec("math_verify") is None:
        raise MissingDependencyError(
            "verify_math needs the optional package 'math-verify'. Install it with: pip install 'rgym[math]'"
        )


def _check_inputs(responses: Sequence[object], golds: Sequence[object]) -> None:
    if len(responses) != len(golds):
        raise ValueError(
            f"verify_math_batch got {len(responses)} responses but {len(golds)} golds; pass one gold per response."
        )
    for i, (response, gold) in enumerate(zip(responses, golds)):
        if not isinstance(response, str):
            raise TypeError(f"response #{i} is {type(response).__name__}, expected str (decode model output first).")
        if not isinstance(gold, str):
            raise TypeError(f"gold #{i} is {type(gold).__name__}, expected str (e.g. str(answer)).")


def _to_verdict(outcome: Outcome) -> Verdict:
    if outcome.kind == "ok":
        return outcome.value
    status = "timeout" if outcome.kind == "timeout" else "error"
    return Verdict(0.0, status, None, outcome.message, verifier="math", version=_version())


def verify_math_batch(
    responses: Sequence[str],
    golds: Sequence[str],
    *,
    workers: int | None = None,
    timeout_s: float = 10.0,
    extraction: str = "strict",
) -> list[Verdict]:
    """Grade many responses in parallel worker processes, each under a hard deadline.

    Works from any thread, from a script without ``if __name__ == "__main__":``, from ``python -c`` and from
    a notebook: the workers are started as their own entry point and never import the caller's script.

    Args:
        responses: Model outputs, one per item.
        golds: Reference answers (LaTeX or plain text), one per item.
        workers: Worker processes; defaults to the number of CPUs. Pools are shared per size.
        timeout_s: Wall-clock budget per item, counted from the moment a worker takes it.
        extraction: ``"strict"`` (the default, for training: boxes, ``<answer>`` tags, explicit final
            statements, the closing sentence after ``</think>``) or ``"flexible"`` (also the last value of
            the closing sentence when nothing is marked). Every verdict records both modes' outcomes in
            ``details["by_extraction"]``.

    Returns:
        One :class:`Verdict` per item, in input order. Items over their deadline get status ``timeout``,
        an unexpected failure inside the grader gets status ``error``; both have reward 0 and are visible
        in the status counts.

    Raises:
        TypeError: An item is not a string.
        ValueError: The two lists differ in length, ``timeout_s`` is not positive, or ``extraction`` is unknown.
        VerifierUnavailableError: No worker process could be started.
    """
    _check_inputs(responses, golds)
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0, got {timeout_s!r}.")
    if extraction not in EXTRACTION_MODES:
        raise ValueError(f"extraction must be one of {EXTRACTION_MODES}, got {extraction!r}.")
    if not responses:
        return []
    _require_math_verify()
    outcomes = get_pool(workers).map(_TARGET, [(r, g, extraction) for r, g in zip(responses, golds)], timeout_s)
    return [_to_verdict(o) for o in outcomes]


def verify_math(response: str, gold: str, *, timeout_s: float = 10.0, extraction: str = "strict") -> Verdict:
    """Grade one response against a gold answer, in a worker process with a hard deadline.

    Safe to call from any thread. See :func:`verify_math_batch` for the statuses.

    Args:
        response: The model output (any text; chain of thought and ``</think>`` allowed).
        gold: The reference answer.
        timeout_s: Wall-clock budget.
        extraction: ``"strict"`` (default) or ``"flexible"``, as for :func:`verify_math_batch`.

    Returns:
        The :class:`Verdict`.
    """
    return verify_math_batch([response], [gold], timeout_s=timeout_s, extraction=extraction)[0]
