r"""Verifier of the Countdown game: an arithmetic expression that reaches a target from given numbers.

The expression is parsed with :mod:`ast` and evaluated over exact fractions; only numbers, ``+ - * /`` and
parentheses are allowed, so no model output can run code, and without powers nothing can blow up.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from reasoning_gym.verifiers.pool import Outcome, get_pool
from reasoning_gym.verifiers.pyparse import parse_python
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["COUNTDOWN_VERIFIER_VERSION", "score_countdown", "verify_countdown_batch"]

COUNTDOWN_VERIFIER_VERSION = "countdown-1.0"
_MAX_EXPRESSION_CHARS = 400
_LATEX = (
    (r"\times", "*"), (r"\cdot", "*"), ("×", "*"), ("·", "*"), (r"\div", "/"), ("÷", "/"), ("−", "-"),
    (r"\left", ""), (r"\right", ""), ("{", "("), ("}", ")"), ("$", ""),
)  # fmt: skip


def _verdict(reward: float, status: str, extracted: str | None, reason: str = "") -> Verdict:
    return Verdict(reward, status, extracted, reason, verifier="countdown", version=COUNTDOWN_VERIFIER_VERSION)


def _evaluate(node: ast.AST, used: list[int]) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        used.append(node.value)
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _evaluate(node.left, used), _evaluate(node.right, used)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise ZeroDivisionError("division by zero")
        return left / right
    raise ValueError(f"{type(node).__name__} is not allowed (only integers, + - * / and parentheses)")


def _clean(expression: str) -> str:
    for old, new in _LATEX:
        expression = expression.replace(old, new)
    # "expr = 24": keep the left-hand side, the right-hand side is checked against the target anyway.
    return expression.split("=")[0].strip()


def score_countdown(response: str, numbers: Sequence[int], target: int) -> Verdict:
    """Grade a Countdown response: the committed expression must use each number once and equal ``target``.

    Args:
        response: Model output; the committed answer is extracted as for math (last ``\\boxed{}``, ...).
        numbers: The numbers that must each be used exactly once.
        target: The value the expression must reach.

    Returns:
        A :class:`Verdict` with status ``correct``, ``wrong``, ``no_answer`` or ``unparseable``.
    """
    from reasoning_gym.verifiers.math_answer.extract import extract_answer

    try:
        extraction = extract_answer(response)
        if extraction.answer is None:
            return _verdict(0.0, "no_answer", None, extraction.reason)
        expression = _clean(extraction.answer)
        if len(expression) > _MAX_EXPRESSION_CHARS:
            return _verdict(0.0, "unparseable", expression[:80], "expression too long")
        used: list[int] = []
        try:
            value = _evaluate(parse_python(expression, mode="eval").body, used)
        except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, MemoryError) as exc:
            return _verdict(0.0, "unparseable", expression, f"cannot evaluate: {exc}")
        if Counter(used) != Counter(int(n) for n in numbers):
            return _verdict(0.0, "wrong", expression, f"uses {sorted(used)}, must use each of {sorted(numbers)} once")
        if value != target:
            return _verdict(0.0, "wrong", expression, f"evaluates to {value}, not {target}")
        return _verdict(1.0, "correct", expression)
    except Exception as exc:  # noqa: BLE001 - total function: an internal bug is a counted error verdict.
        return _verdict(0.0, "error", None, f"{type(exc).__name__}: {exc}")


def _to_verdict(outcome: Outcome) -> Verdict:
    if outcome.kind == "ok":
        return outcome.value
    return _verdict(0.0, "timeout" if outcome.kind == "timeout" else "error", None, outcome.message)


def verify_countdown_batch(
    responses: Sequence[str], puzzles: Sequence[tuple[Sequence[int], int]], *, timeout_s: float = 5.0
) -> list[Verdict]:
    """Grade many Countdown responses in the shared worker pool; ``puzzles`` are ``(numbers, target)``."""
    args = [(r, tuple(numbers), target) for r, (numbers, target) in zip(responses, puzzles, strict=True)]
    outcomes = get_pool().map("reasoning_gym.verifiers.countdown:score_countdown", args, timeout_s)
    return [_to_verdict(o) for o in outcomes]
