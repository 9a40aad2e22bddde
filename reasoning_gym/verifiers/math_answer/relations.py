r"""Conditions on one variable as the set they describe, so that they compare with intervals and unions.

``x > 3``, ``3 < x``, ``-3x < 12``, ``2x + 1 \le 7``, ``0 < g(t) < 2``, ``|x - 1| < 2``, ``|x| \ge 2``,
``x \ne 3`` and ``\mathbb{R} \setminus \{0\}`` all become intervals or unions of intervals written in the
cleaned LaTeX the rest of the grader reads (``(-\infty,3]``, ``(-\infty,-2]\cup[2,\infty)``). A linear side
is solved exactly with sympy (the direction flips with a negative coefficient); anything else (two
variables, a quadratic) is left as written.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["RELATION", "inequality_to_interval", "relation_to_set"]

#: Anything that may be a condition: an order relation, ``\ne``, an absolute value or a set difference.
RELATION = re.compile(r"<|>|\\[lg]e(?![a-zA-Z])|\\ne(?![a-zA-Z])|\||\\setminus|\\backslash")

_VAR = r"(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?(?:\([a-zA-Z]\))?"
_REL = r"(<|>|\\le(?![a-zA-Z])|\\ge(?![a-zA-Z]))"
_ONE_SIDED = re.compile(r"(" + _VAR + r")\s*" + _REL + r"\s*([^<>=]+)")
_ONE_SIDED_REV = re.compile(r"([^<>=]+?)\s*" + _REL + r"\s*(" + _VAR + r")")
_TWO_SIDED = re.compile(r"([^<>=]+?)\s*" + _REL + r"\s*(" + _VAR + r")\s*" + _REL + r"\s*([^<>=]+)")
_LINEAR_ONE = re.compile(r"([^<>=|]+?)\s*" + _REL + r"\s*([^<>=|]+)")
_LINEAR_TWO = re.compile(r"([^<>=|]+?)\s*" + _REL + r"\s*([^<>=|]+?)\s*" + _REL + r"\s*([^<>=|]+)")
_ABS = re.compile(r"\|([^|]+)\|\s*" + _REL + r"\s*([^<>=|]+)")
_ABS_REV = re.compile(r"([^<>=|]+?)\s*" + _REL + r"\s*\|([^|]+)\|")
_NOT_EQUAL = re.compile(r"(" + _VAR + r")\s*\\ne\s*([^<>=|]+)")
_SET_MINUS = re.compile(r"\(-\\infty,\s*\\infty\)\s*(?:\\setminus|\\backslash|-)\s*\\\{(.+)\\\}")
_FLIP = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}
_LOWER = {">", "\\ge"}


def _bound_ok(s: str) -> bool:
    return "\\le" not in s and "\\ge" not in s and bool(s.strip())


def _ray(rel: str, bound: str) -> str:
    if rel in _LOWER:
        return ("(" if rel == ">" else "[") + f"{bound},\\infty)"
    return "(-\\infty," + bound + (")" if rel == "<" else "]")


def _interval(low: str, rel1: str, high: str, rel2: str) -> str:
    return ("(" if rel1 == "<" else "[") + f"{low},{high}" + (")" if rel2 == "<" else "]")


def inequality_to_interval(s: str) -> str | None:
    """Rewrite ``x > 3`` as ``(3,\\infty)``, ``-1 \\le x < 2`` as ``[-1,2)``; ``None`` if not of that form."""
    m = _TWO_SIDED.fullmatch(s)
    if m and _bound_ok(m.group(1)) and _bound_ok(m.group(5)):
        low, rel1, _, rel2, high = (g.strip() for g in m.groups())
        if rel1 in _LOWER and rel2 in _LOWER:
            low, high, rel1, rel2 = high, low, _FLIP[rel2], _FLIP[rel1]
        if rel1 not in _LOWER and rel2 not in _LOWER:
            return _interval(low, rel1, high, rel2)
        return None
    m = _ONE_SIDED.fullmatch(s)
    if m and _bound_ok(m.group(3)):
        rel, bound = m.group(2), m.group(3).strip()
    else:
        m = _ONE_SIDED_REV.fullmatch(s)
        if not (m and _bound_ok(m.group(1))):
            return None
        rel, bound = _FLIP[m.group(2)], m.group(1).strip()
    return _ray(rel, bound)


def _linear(text: str) -> tuple[Any, Any, Any] | None:
    """``(a, b, x)`` with ``text == a*x + b`` for one variable ``x`` and numbers ``a != 0``, ``b``."""
    from reasoning_gym.verifiers.math_answer.symbolic import refusal_reason, to_sympy

    if refusal_reason(text):
        return None
    expr = to_sympy(text)
    symbols = getattr(expr, "free_symbols", None)
    if not symbols or len(symbols) != 1:
        return None
    (x,) = symbols
    try:
        poly = expr.as_poly(x)
        if poly is None or poly.degree() != 1:
            return None
        a, b = poly.coeff_monomial(x), poly.coeff_monomial(1)
    except Exception:  # not a polynomial in x after all
        return None
    return (a, b, x) if a.is_number and b.is_number and a.is_nonzero and a.is_real else None


def _number(text: str) -> Any | None:
    from reasoning_gym.verifiers.math_answer.symbolic import refusal_reason, to_sympy

    value = None if refusal_reason(text) else to_sympy(text)
    return value if value is not None and getattr(value, "is_number", False) and value.is_real else None


def _latex(value: Any) -> str:
    from sympy import latex, nsimplify

    return latex(nsimplify(value))


def _solve_one(left: str, rel: str, right: str) -> tuple[str, str, Any] | None:
    """``left rel right`` with one linear side and one number as ``(rel', bound, x)``: ``x rel' bound``."""
    lin, num, rel_x = _linear(left), _number(right), rel
    if lin is None or num is None:
        lin, num, rel_x = _linear(right), _number(left), _FLIP[rel]
    if lin is None or num is None:
        return None
    a, b, x = lin
    bound = (num - b) / a
    return (_FLIP[rel_x] if a.is_negative else rel_x), _latex(bound), x


def _linear_interval(s: str) -> str | None:
    """One or two relations around a linear expression in one variable, solved for the variable."""
    m = _LINEAR_TWO.fullmatch(s)
    if m:
        low, rel1, mid, rel2, high = (g.strip() for g in m.groups())
        first, second = _solve_one(low, rel1, mid), _solve_one(mid, rel2, high)
        if first is None or second is None or first[2] != second[2]:
            return None
        bounds = {first[0]: first[1], second[0]: second[1]}
        lower = next((r for r in bounds if r in _LOWER), None)
        upper = next((r for r in bounds if r not in _LOWER), None)
        if lower is None or upper is None:
            return None
        return _interval(bounds[lower], _FLIP[lower], bounds[upper], upper)
    m = _LINEAR_ONE.fullmatch(s)
    solved = _solve_one(*(g.strip() for g in m.groups())) if m else None
    return None if solved is None else _ray(solved[0], solved[1])


def _absolute(s: str) -> str | None:
    """``|E| rel c`` with ``E`` linear: an interval (``<``, ``\\le``) or a union of two rays (``>``, ``\\ge``)."""
    m = _ABS.fullmatch(s)
    if m:
        inner, rel, bound = m.group(1), m.group(2), m.group(3)
    else:
        m = _ABS_REV.fullmatch(s)
        if m is None:
            return None
        inner, rel, bound = m.group(3), _FLIP[m.group(2)], m.group(1)
    c = _number(bound)
    if c is None or not c.is_positive:
        return None
    neg = _latex(-c)
    if rel in _LOWER:
        weak = "\\le" if rel == "\\ge" else "<"
        left, right = _linear_interval(f"{inner} {weak} {neg}"), _linear_interval(f"{inner} {rel} {_latex(c)}")
        return None if left is None or right is None else f"{left}\\cup{right}"
    return _linear_interval(f"{neg} {rel} {inner} {rel} {_latex(c)}")


def _points_removed(points: list[str]) -> str | None:
    """The reals without ``points``: the union of the open intervals between them."""
    values = [_number(p) for p in points]
    if not points or any(v is None for v in values):
        return None
    ordered = [p for _, p in sorted(zip(values, points), key=lambda vp: float(vp[0]))]
    edges = ["-\\infty", *ordered, "\\infty"]
    return "\\cup".join(f"({a},{b})" for a, b in zip(edges, edges[1:]))


def relation_to_set(s: str) -> str | None:
    """The interval or union a one-variable condition describes, in cleaned LaTeX; ``None`` if not one.

    Args:
        s: A cleaned answer.

    Returns:
        ``(a,b)``-style intervals joined by ``\\cup``, or ``None``.
    """
    from reasoning_gym.verifiers.math_answer.splitting import split_top

    m = _SET_MINUS.fullmatch(s)
    if m:
        return _points_removed([p for p in split_top(m.group(1)) if p])
    m = _NOT_EQUAL.fullmatch(s)
    if m:
        return _points_removed([m.group(2).strip()])
    if "|" in s:
        return _absolute(s)
    return inequality_to_interval(s) or _linear_interval(s)
