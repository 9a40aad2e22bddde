r"""Power towers compared without evaluating huge numbers: ``2^{2^{10}}`` is ``2^{1024}`` is ``4^{512}``.

Every integer ``N > 1`` is ``m^E`` for exactly one ``m`` that is not itself a perfect power. A tower of
non-negative integer literals (``a^{b^{c}}``, exponents may be products such as ``2 \cdot 9^{9}``) is
brought to that form from the top down: exponents are multiplied out as long as they stay small, and a
number is only written out when it has at most :data:`MAX_DIGITS` digits. Two towers are equal when their
canonical forms are; forms that cannot be brought to a common shape are left undecided (``None``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["MAX_DIGITS", "towers_equal"]

#: Integers with more digits than this are kept as ``m^E`` instead of being written out.
MAX_DIGITS = 2000
#: Bases up to this many digits are decomposed into ``m^k`` (``4`` is ``2^2``); bigger ones are refused.
_MAX_BASE_DIGITS = 60
_TOKEN = re.compile(r"\d+|\^|\{|\}|\\cdot|\\times|\*")


@dataclass(frozen=True)
class Pow:
    """``base ** exponent`` with ``base`` not a perfect power; too big to write out."""

    base: int
    exponent: Value


Value = int | Pow


class _Unsupported(Exception):
    """Not a tower of integer literals, or a shape the canonical form does not cover."""


def _perfect_power(n: int) -> tuple[int, int]:
    """``(m, k)`` with ``n == m**k`` and ``m`` not a perfect power."""
    from sympy import perfect_power

    if len(str(n)) > _MAX_BASE_DIGITS:
        raise _Unsupported("base too large")
    found = perfect_power(n) if n > 3 else False
    if not found:
        return n, 1
    m, k = found
    inner_m, inner_k = _perfect_power(int(m))
    return inner_m, inner_k * int(k)


def _times(a: Value, b: Value) -> Value:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(a, int) and a == 1:
        return b
    if isinstance(b, int) and b == 1:
        return a
    raise _Unsupported("product of a huge number")


def _power(base: Value, exponent: Value) -> Value:
    if isinstance(base, int):
        if base in (0, 1) or exponent == 0:
            return 1 if exponent == 0 else base
        m, k = _perfect_power(base)
        total = _times(k, exponent)
    else:
        m, total = base.base, _times(base.exponent, exponent)
    if isinstance(total, int) and total * math.log10(m) <= MAX_DIGITS:
        return m**total
    return Pow(m, total)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _TOKEN.findall(text)
        if "".join(self.tokens) != text:
            raise _Unsupported("not a tower")
        self.pos = 0

    def _next(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def product(self) -> Value:
        value = self.tower()
        while self._next() in ("\\cdot", "\\times", "*"):
            self.pos += 1
            value = _times(value, self.tower())
        return value

    def tower(self) -> Value:
        token = self._next()
        if token is None or not token.isdigit():
            raise _Unsupported("expected an integer")
        self.pos += 1
        if self._next() != "^":
            return int(token)
        self.pos += 1
        if self._next() == "{":
            self.pos += 1
            exponent = self.product()
            if self._next() != "}":
                raise _Unsupported("unclosed exponent")
            self.pos += 1
        else:
            digit = self._next()
            if digit is None or not digit.isdigit():
                raise _Unsupported("expected an exponent")
            self.pos += 1
            exponent, rest = int(digit[0]), digit[1:]  # "2^10" is 2^1 followed by 0 in LaTeX: refuse it
            if rest:
                raise _Unsupported("ambiguous exponent")
        return _power(int(token), exponent)

    def parse(self) -> Value:
        value = self.product()
        if self.pos != len(self.tokens):
            raise _Unsupported("trailing input")
        return value


def _canonical(text: str) -> Value | None:
    if len(text) > 200 or len(re.findall(r"\d+", text)) > 12:
        return None
    try:
        return _Parser(text).parse()
    except (_Unsupported, ValueError, OverflowError):
        return None


def towers_equal(pred: str, gold: str) -> bool | None:
    """Whether two squashed answers are the same integer, when at least one is a power tower.

    Args:
        pred: A squashed answer (``2^{2^{10}}``, ``4^{512}``, ``1024``).
        gold: Another one.

    Returns:
        ``True``/``False`` when both are integer towers (or plain integers) that can be compared, else ``None``.
    """
    if "^" not in pred and "^" not in gold:
        return None
    a, b = _canonical(pred), _canonical(gold)
    if a is None or b is None or any(isinstance(v, int) and v.bit_length() > 3.33 * MAX_DIGITS for v in (a, b)):
        return None
    if isinstance(a, int) or isinstance(b, int) or a.base != b.base:
        return a == b  # unique form: a written-out number never equals one too big to write out
    if isinstance(a.exponent, int) and isinstance(b.exponent, int):
        return a.exponent == b.exponent
    return True if a.exponent == b.exponent else None
