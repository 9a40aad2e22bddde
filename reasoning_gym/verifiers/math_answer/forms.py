r"""Spellings that need more than a token swap: trigonometric degrees, mixed numbers, sets, solution groups.

Degrees inside trigonometric functions, mixed numbers, bare-brace sets, and solution lists written as
groups of assignments.

``pre_clean`` runs before :func:`normalize.clean` drops degree marks (``\sin 30^\circ`` must become
``\sin(\frac{30\pi}{180})``, not ``\sin 30``); ``post_clean`` runs on the cleaned answer. Every regex is
anchored or free of nested quantifiers.
"""

from __future__ import annotations

import re

from reasoning_gym.verifiers.math_answer.splitting import is_thousands, split_top

__all__ = ["post_clean", "pre_clean", "solution_groups"]

_DEGREE = r"(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\u00b0|\\degree(?![a-zA-Z]))"
_TRIG = r"\\(sin|cos|tan|cot|sec|csc)(?![a-zA-Z])(\s*\^\s*(?:\{\s*\d\s*\}|\d))?"
_ANGLE = r"([+-]?\d+(?:\.\d+)?)"
_TRIG_DEGREES_PAREN = re.compile(_TRIG + r"\s*(?:\\left)?\(\s*" + _ANGLE + r"\s*" + _DEGREE + r"\s*(?:\\right)?\)")
_TRIG_DEGREES = re.compile(_TRIG + r"\s*" + _ANGLE + r"\s*" + _DEGREE)
_TOKENS = (
    (re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    (re.compile(r"\\gt(?![a-zA-Z])"), ">"),
    (re.compile(r"!="), r"\\ne "),
    (re.compile(r"\\[lr]?vert(?![a-zA-Z])|\\[lr]Vert(?![a-zA-Z])"), "|"),
)
_ELLIPSIS = re.compile(r"(\d)\s*(?:\.\.\.|\u2026)")
_MIXED = re.compile(r"([+-]?)\s*(\d+)\s+(\d+)\s*/\s*(\d+)")
_ASSIGNMENT = re.compile(r"([a-zA-Z](?:_\{?\w+\}?)?)\s*=\s*([^=]+)")


def _radians(m: re.Match[str]) -> str:
    power = m.group(2) or ""
    return f"\\{m.group(1)}{power}\\left(\\frac{{{m.group(3)}\\pi}}{{180}}\\right)"


def pre_clean(s: str) -> str:
    r"""Rewrites that must happen before degree marks are dropped: ``\sin 30^\circ``, ``\lt``, ``!=``, ``\vert``."""
    if "..." in s or "\u2026" in s:  # "0.333..." must keep its dots when trailing full stops are dropped
        s = _ELLIPSIS.sub(r"\1\\ldots", s)
    if "\\" not in s and "!" not in s:
        return s
    for pattern, repl in _TOKENS:
        s = pattern.sub(repl, s)
    if "sin" in s or "cos" in s or "tan" in s or "cot" in s or "sec" in s or "csc" in s:
        s = _TRIG_DEGREES_PAREN.sub(_radians, s)
        s = _TRIG_DEGREES.sub(_radians, s)
    return s


def _mixed_number(s: str) -> str:
    """``2 1/3`` (a whole number, a space, a proper fraction) is two and a third, never ``21/3``."""
    m = _MIXED.fullmatch(s)
    if m is None or int(m.group(3)) >= int(m.group(4)):
        return s
    sign, whole, num, den = m.groups()
    return f"{'-' if sign == '-' else ''}{whole}\\frac{{{num}}}{{{den}}}"


def _bare_brace_set(s: str) -> str:
    """``{1, 2, 3}`` written without escaped braces is the set ``\\{1, 2, 3\\}``."""
    if not (s.startswith("{") and s.endswith("}")) or len(split_top(s[1:-1])) < 2 or is_thousands(s[1:-1]):
        return s
    depth = 0
    for i, c in enumerate(s):
        depth += (c == "{") - (c == "}")
        if depth == 0 and i < len(s) - 1:
            return s  # "{1}{2}": two groups, not one set
    return "\\{" + s[1:-1] + "\\}"


def post_clean(s: str) -> str:
    """Rewrites on a cleaned answer: mixed numbers and bare-brace sets."""
    if " " in s and "/" in s:
        s = _mixed_number(s)
    if s.startswith("{"):
        s = _bare_brace_set(s)
    return s


def solution_groups(s: str) -> str | None:
    """``a=1, b=2; a=3, b=4`` as the list of tuples ``(1, 2), (3, 4)``; ``None`` for anything else.

    Each group must assign the same two or more variables once each; the values are ordered by variable
    name, so ``b=2, a=1`` is the pair ``(1, 2)``.
    """
    groups = split_top(s, ";")
    if len(groups) < 2:
        return None
    tuples, names = [], None
    for group in groups:
        pairs = [_ASSIGNMENT.fullmatch(item.strip()) for item in split_top(group)]
        if len(pairs) < 2 or any(p is None for p in pairs):
            return None
        values = {p.group(1): p.group(2).strip() for p in pairs if p is not None}
        if len(values) != len(pairs) or (names is not None and set(values) != names):
            return None
        names = set(values)
        tuples.append("(" + ", ".join(values[k] for k in sorted(values)) + ")")
    return ", ".join(tuples)
