"""Exact parsing and comparison of plain numeric answers, without sympy.

Most graded answers are plain numbers (``18``, ``-\\frac{3}{8}``, ``4.5e33``, ``0.\\overline{3}``, ``5\\%``).
Parsing them into :class:`fractions.Fraction` is exact and takes microseconds, so the expensive symbolic
path is only needed for genuine expressions. The decimal rules live here too: a decimal literal is an
*approximation*, which may only be compared with tolerance when the gold itself is a (rounded) decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

#: Numbers with more digits than this, or exponents larger than this, are not expanded (hang guard).
MAX_DIGITS = 1000
MAX_EXPONENT = 1000

#: Relative tolerance when the gold is a rounded decimal (Minerva-style ``1.6``, ``7.2e-3``).
REL_TOL = Fraction(1, 10**4)
#: Rounding to the gold's stated precision is accepted only up to this relative error, so that a gold with
#: one significant digit (``0.5``, ``4e33``) does not accept everything within half a unit.
MAX_ROUNDING_REL = Fraction(5, 100)


@dataclass(frozen=True)
class Num:
    """A parsed numeric answer.

    Attributes:
        value: The exact value written (``5\\%`` is stored as 5, with ``percent`` set).
        approximate: Written as a decimal or scientific literal, hence possibly rounded.
        quantum: For approximate literals, one unit of the last written digit (``1.60`` -> 0.01).
        percent: Written with a percent sign.
        fuzzy: Obtained by numerically evaluating an expression (only ever compared with a decimal gold).
    """

    value: Fraction
    approximate: bool = False
    quantum: Fraction | None = None
    percent: bool = False
    fuzzy: bool = False


_MANTISSA = r"(\d+\.?\d*|\.\d+)"
_INT = re.compile(r"\d+")
_DECIMAL = re.compile(_MANTISSA)
_SCI_E = re.compile(_MANTISSA + r"[eE]([+-]?\d+)")
_SCI_TIMES = re.compile(_MANTISSA + r"(?:\\times|\\cdot|\*|x)10\^(?:\{([+-]?\d+)\}|([+-]?\d))")
_POW10 = re.compile(r"10\^(?:\{([+-]?\d+)\}|([+-]?\d))")
_FRAC = re.compile(r"\\frac\{([+-]?\d+)\}\{([+-]?\d+)\}")
_SLASH = re.compile(r"(\d+)\.?/(\d+)")
_MIXED = re.compile(r"(\d+)\\frac\{(\d+)\}\{(\d+)\}")
_REPEATING = re.compile(r"(\d*)\.(\d*)\\(?:overline|bar|dot)\s*(?:\{(\d+)\}|(\d))")
#: ``0.666\ldots``, ``0.142857142857...``: the written digits end in at least two copies of the period.
_DOTS = re.compile(r"(\d*)\.(\d+)(?:\\[lc]?dots|\.\.\.|\u2026)")


def _decimal_parts(mantissa: str) -> tuple[Fraction, int]:
    """Value of a decimal mantissa and the number of digits written after its point."""
    frac_digits = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return Fraction(mantissa if not mantissa.endswith(".") else mantissa[:-1]), frac_digits


def _scientific(mantissa: str, exp_text: str) -> Num | None:
    exponent = int(exp_text)
    if abs(exponent) > MAX_EXPONENT:
        return None
    value, frac_digits = _decimal_parts(mantissa)
    scale = Fraction(10) ** exponent
    return Num(value * scale, True, scale / 10**frac_digits)


def _parse_unsigned(s: str) -> Num | None:
    """Parse an unsigned number in any supported spelling (``s`` is already squashed)."""
    if _INT.fullmatch(s):
        return Num(Fraction(int(s)))
    if _DECIMAL.fullmatch(s):
        value, frac_digits = _decimal_parts(s)
        return Num(value, True, Fraction(1, 10**frac_digits))
    m = _SCI_E.fullmatch(s)
    if m:
        return _scientific(m.group(1), m.group(2))
    m = _SCI_TIMES.fullmatch(s)
    if m:
        num = _scientific(m.group(1), m.group(2) or m.group(3))
        # "3 \times 10^5" is exact; only a decimal mantissa ("3.0 \times 10^5") signals rounding.
        return num if num is None or "." in m.group(1) else Num(num.value)
    m = _POW10.fullmatch(s)
    if m:
        exponent = int(m.group(1) or m.group(2))
        return Num(Fraction(10) ** exponent) if abs(exponent) <= MAX_EXPONENT else None
    return _parse_ratio(s)


def _parse_ratio(s: str) -> Num | None:
    """Fractions, mixed numbers and repeating decimals, all exact."""
    m = _FRAC.fullmatch(s) or _SLASH.fullmatch(s)
    if m:
        den = int(m.group(2))
        return Num(Fraction(int(m.group(1)), den)) if den else None
    m = _MIXED.fullmatch(s)
    if m:
        den = int(m.group(3))
        return Num(int(m.group(1)) + Fraction(int(m.group(2)), den)) if den else None
    m = _REPEATING.fullmatch(s)
    if m:
        return Num(_repeating(m.group(1) or "0", m.group(2), m.group(3) or m.group(4)))
    m = _DOTS.fullmatch(s)
    if m:
        return _dotted(m.group(1) or "0", m.group(2))
    return None


def _repeating(whole: str, fixed: str, cycle: str) -> Fraction:
    """The value of ``whole.fixed(cycle)(cycle)...``."""
    base = Fraction(int(whole + fixed), 10 ** len(fixed))
    return base + Fraction(int(cycle), (10 ** len(cycle) - 1) * 10 ** len(fixed))


def _dotted(whole: str, digits: str) -> Num:
    """The value of ``whole.digits...``: the shortest period written at least twice at the end repeats.

    ``0.1666...`` is one sixth and ``0.142857142857...`` one seventh; without such a period (``0.6...``) the
    dots only mean "rounded", and the number is an approximate decimal.
    """
    for period in range(1, len(digits) // 2 + 1):
        cycle = digits[-period:]
        if digits[-2 * period : -period] != cycle:
            continue
        fixed = digits
        while fixed.endswith(cycle):
            fixed = fixed[: -len(cycle)]
        return Num(_repeating(whole, fixed, cycle))
    value, frac_digits = _decimal_parts(f"{whole}.{digits}")
    return Num(value, True, Fraction(1, 10**frac_digits))


@lru_cache(maxsize=8192)
def parse_number(s: str) -> Num | None:
    """Parse a squashed answer that is a single plain number, else return ``None``.

    Supported: integers, decimals (``.35``), ``4.5e33``, ``3\\times10^{5}``, ``10^{-3}``, ``\\frac{a}{b}``,
    ``a/b``, mixed numbers (``1\\frac{4}{5}``), repeating decimals (``0.1\\overline{6}``), a leading sign
    (also ``\\frac{-1}{2}``) and a trailing percent sign.

    Args:
        s: A squashed, cleaned answer (see :func:`normalize.squash`).

    Returns:
        The parsed number, or ``None`` when ``s`` is not a plain number or is too large to expand safely.
    """
    if not s or len(s) > MAX_DIGITS or sum(c.isdigit() for c in s) > MAX_DIGITS:
        return None
    percent = s.endswith("%")
    if percent:
        s = s[:-1]
    negative = False
    while s[:1] in {"+", "-"}:
        negative ^= s[0] == "-"
        s = s[1:]
    if s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1]  # "{-3}" or "{5}" from over-braced answers
    num = _parse_unsigned(s)
    if num is None:
        return None
    value = -num.value if negative else num.value
    return Num(value, num.approximate, num.quantum, percent)


def _close(pred: Fraction, gold: Fraction, gold_num: Num, scale: Fraction) -> bool:
    """Tolerance test for an approximate (rounded) gold; ``scale`` rescales its quantum for percents."""
    diff = abs(pred - gold)
    if diff <= abs(gold) * REL_TOL:
        return True
    if gold_num.quantum is None:
        return False
    within_rounding = diff * 2 < gold_num.quantum * scale
    return within_rounding and (gold == 0 or diff <= abs(gold) * MAX_ROUNDING_REL)


def numbers_equal(pred: Num, gold: Num) -> bool:
    """Compare two numeric answers under the decimal and percent rules.

    * Exact values must match exactly, however close they are (an evaluated, ``fuzzy`` value included). A
      decimal prediction is never "close enough" to an exact gold (``0.333`` is not ``\\frac13``), but
      ``0.25`` equals ``\\frac14`` because it *is* exact.
    * When the gold is itself a decimal literal it is treated as rounded: accept a relative error of
      ``REL_TOL`` or a prediction that rounds to the gold at the gold's last written digit.
    * ``5\\%`` matches gold ``5`` and ``5\\%``; ``0.05`` matches only a gold written as ``5\\%``.

    Args:
        pred: The predicted number.
        gold: The reference number.

    Returns:
        Whether the prediction is accepted.
    """
    candidates = [(gold.value, Fraction(1))]
    if gold.percent and not pred.percent:
        candidates.append((gold.value / 100, Fraction(1, 100)))
    for value, scale in candidates:
        if pred.value == value:
            return True
        if gold.approximate and _close(pred.value, value, gold, scale):
            return True
    return False
