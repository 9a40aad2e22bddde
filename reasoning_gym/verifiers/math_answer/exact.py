"""Exact comparison of constant values: two exact values are equal only if their difference is zero.

A tolerance belongs to rounded decimals, never to exact values: ``2^{100}+1`` is not ``2^{100}``, ``1/31!`` is
not ``1/30!`` and ``e^{-100}`` is not ``0``, however close they are relatively or absolutely. So the
difference of the two values is evaluated with sympy's certified arithmetic (``evalf(strict=True)``, which
raises instead of returning digits it cannot vouch for): a certified nonzero digit proves them different, a
difference that vanishes to hundreds of digits (or that sympy proves zero) makes them equal.

Decimal literals written in an answer are exact values too (``0.25`` *is* ``1/4``); they are turned into
rationals before the comparison. Only when the gold itself contains a decimal is the comparison approximate
(see :func:`numbers.numbers_equal`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from reasoning_gym.verifiers.math_answer.numbers import Num, numbers_equal

__all__ = ["compare_constants", "constant_expr", "exactly_equal", "has_float", "numeric_value", "rationalize"]

#: Significant digits of the difference that are certified before calling it nonzero.
_DIGITS = 30
#: Working precision sympy may use to cancel the two values (digits); equal values exhaust it.
_MAX_WORKING_DIGITS = 600


def constant_expr(expr: Any) -> bool:
    """Whether ``expr`` is a sympy expression with no free symbols (a number, however written)."""
    from sympy import Expr

    return isinstance(expr, Expr) and not expr.free_symbols


def has_float(expr: Any) -> bool:
    """Whether a sympy expression contains a decimal literal."""
    from sympy import Float

    try:
        return bool(expr.atoms(Float))
    except Exception:  # an exotic object without atoms
        return False


def rationalize(expr: Any) -> Any:
    """Replace every decimal literal in ``expr`` by the rational it denotes (``0.1`` -> ``1/10``)."""
    from sympy import Float, Rational

    floats = expr.atoms(Float)
    if not floats:
        return expr
    return expr.xreplace({f: Rational(str(f)) for f in floats})


def exactly_equal(a: Any, b: Any) -> bool | None:
    """Decide whether two constant sympy expressions are equal, without any tolerance.

    Args:
        a: A variable-free sympy expression.
        b: Another one.

    Returns:
        ``True`` or ``False``; ``None`` when the difference cannot be evaluated (poles, infinities).
    """
    from sympy.core.evalf import PrecisionExhausted

    try:
        diff = a - b
        if diff == 0:
            return True
        if diff.is_Rational:
            return False
        value = diff.evalf(_DIGITS, strict=True, maxn=_MAX_WORKING_DIGITS)
    except PrecisionExhausted:
        # The values agree to hundreds of digits; sympy settles it when it can, else they are equal.
        zero = _is_zero(diff)
        return True if zero is None else zero
    except Exception:  # poles, unevaluable functions, recursion on junk
        return None
    if value == 0:
        return True
    if value.is_number and value.is_finite:
        return False
    return None


def _is_zero(expr: Any) -> bool | None:
    try:
        return expr.is_zero
    except Exception:  # assumptions can fail on exotic input
        return None


def compare_constants(pred: Any, gold: Any) -> bool | None:
    """Compare two parsed answers when both are plain constants; ``None`` when they are not (or undecidable).

    A gold with a decimal in it is a rounded value: the answer is evaluated and compared with the tolerance of
    :func:`numbers.numbers_equal`. Any other gold is exact, and so is the comparison.
    """
    if not (constant_expr(pred) and constant_expr(gold)):
        return None
    if has_float(gold):
        pred_value, gold_value = numeric_value(pred), numeric_value(gold)
        return None if pred_value is None or gold_value is None else numbers_equal(pred_value, gold_value)
    return exactly_equal(rationalize(pred), gold)


def numeric_value(expr: Any) -> Num | None:
    """Evaluate a variable-free real sympy expression to a :class:`Num` (``None`` for anything else).

    The value is exact for rationals; otherwise it is a 40-digit evaluation marked ``fuzzy``.
    """
    from sympy import Expr, Float, Rational

    if not isinstance(expr, Expr) or expr.free_symbols:
        return None
    if isinstance(expr, Rational):
        return Num(Fraction(int(expr.p), int(expr.q)))
    try:
        value = expr.evalf(40)
    except Exception:  # poles, recursion on junk: not a usable number
        return None
    if not isinstance(value, Float) or not value.is_finite:
        return None
    approximate = bool(expr.atoms(Float))
    return Num(Fraction(str(value)), approximate=approximate, fuzzy=True)
