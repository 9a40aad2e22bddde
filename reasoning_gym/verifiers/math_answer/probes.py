"""Cheap numeric refutation before an expensive symbolic comparison.

Evaluating both expressions at a few fixed points proves them different in microseconds, where ``simplify`` on
unrelated expressions can take seconds. A probe only ever *rejects*; acceptance is decided elsewhere.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

__all__ = ["probably_different"]

#: Sample points for the numeric probe: in (0, 1) and distinct per variable, so that square roots, logs and
#: inverse trigonometric functions stay on their principal real branch.
_PROBES = (
    (Fraction(31, 100), Fraction(7, 100)),
    (Fraction(57, 100), Fraction(5, 100)),
    (Fraction(73, 100), Fraction(3, 100)),
)
#: Relative difference above which two probe values certainly differ (evaluation runs at 30 digits).
_PROBE_TOL = 1e-9


def _probe_value(expr: Any, point: dict[Any, Any]) -> complex | None:
    value = expr.xreplace(point).evalf(30)
    if not value.is_number:
        return None  # undefined functions such as u(t) stay symbolic
    try:
        return complex(value)
    except (TypeError, ValueError):
        return None


def probably_different(gold: Any, pred: Any) -> bool:
    """Cheap numeric refutation: evaluate both expressions at a few fixed points.

    Only ever used to *reject* early (a simplify() on unrelated expressions can take seconds); acceptance
    is still decided by math-verify. Returns ``False`` whenever the probe is not applicable.

    Args:
        gold: The gold sympy object.
        pred: The predicted sympy object.

    Returns:
        ``True`` when the two values differ clearly at some sample point.
    """
    from sympy import Expr, Rational
    from sympy.core.relational import Relational

    if isinstance(gold, Relational) and isinstance(pred, Relational):
        # math-verify solves equations for their free symbols; different symbols can never match.
        if gold.free_symbols != pred.free_symbols:
            return True
        return _linear_not_proportional(gold, pred)
    if not isinstance(gold, Expr) or not isinstance(pred, Expr):
        return False
    symbols = sorted(gold.free_symbols | pred.free_symbols, key=str)
    if len(symbols) > 12:
        return False
    for base, step in _PROBES:
        point = {sym: Rational(base + step * k) for k, sym in enumerate(symbols)}
        a, b = _probe_value(gold, point), _probe_value(pred, point)
        if a is None or b is None:
            return False
        if not all(map(_finite, (a, b))):
            continue  # a pole at this point: try the next one
        if abs(a - b) > _PROBE_TOL * max(1.0, abs(a), abs(b)):
            return True
    return False


def _linear_not_proportional(gold: Any, pred: Any) -> bool:
    """Two linear equations have the same solutions only if one is a multiple of the other.

    Solving both (what math-verify does) costs about a second for a plane equation; comparing the ratio
    of ``lhs - rhs`` at the probe points costs microseconds.
    """
    from sympy import Eq, Rational

    if not (isinstance(gold, Eq) and isinstance(pred, Eq)):
        return False
    a, b = gold.lhs - gold.rhs, pred.lhs - pred.rhs
    symbols = sorted(a.free_symbols, key=str)
    if not symbols or len(symbols) > 12:
        return False
    for expr in (a, b):
        poly = expr.as_poly(*symbols)
        if poly is None or poly.total_degree() > 1:
            return False
    ratios = set()
    for base, step in _PROBES:
        point = {sym: Rational(base + step * k) for k, sym in enumerate(symbols)}
        va, vb = a.xreplace(point), b.xreplace(point)
        if vb == 0 or va == 0:
            if va != vb:
                return True
            continue
        ratios.add(va / vb)
    return len(ratios) > 1


def _finite(z: complex) -> bool:
    return z == z and abs(z) != float("inf")
