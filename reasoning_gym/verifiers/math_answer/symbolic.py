"""The symbolic fallback: sympy through math-verify, behind cheap guards against pathological input.

math-verify and sympy are imported lazily so that importing the grader stays cheap and the pure string path
never pays for them. Both are called with their own timeouts disabled (``parsing_timeout=None``,
``timeout_seconds=None``): they would otherwise install ``signal.alarm`` handlers, which is unsafe in worker
threads and redundant, because the caller enforces a hard deadline from outside the process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from reasoning_gym.verifiers.math_answer.exact import compare_constants
from reasoning_gym.verifiers.math_answer.numbers import MAX_DIGITS

#: Strings longer than this are never handed to sympy (compared as normalised strings only). Real golds
#: are far shorter (the longest in MATH/Minerva/DAPO is 210 characters); latex2sympy needs about a
#: millisecond per character of a long polynomial, so this also bounds the parse time.
MAX_SYMPY_CHARS = 400
#: Integer exponents above this are not evaluated (``10^{100000}`` would be cheap, ``(x+1)^{10^5}`` not).
MAX_POWER = 10_000
#: A compound base with a variable is not raised to more than this (symbolic expansion blows up).
MAX_COMPOUND_POWER = 200
#: Deeper bracket nesting is refused: the LaTeX parser needs about 0.1 s per level.
MAX_NESTING = 8
#: Factorials of larger literals are refused.
MAX_FACTORIAL = 1000

_COMMAND = re.compile(r"\\[a-zA-Z]+")
_DIGIT_RUN = re.compile(r"\d{" + str(MAX_DIGITS + 1) + ",}")
_FACTORIAL_ARG = re.compile(r"(\d+)\s*!")
_BIG_OPERATOR = re.compile(r"\\(?:binom|choose|sum|prod)(?![a-zA-Z])")
_CALCULUS = re.compile(r"\\(?:i+nt|oint|lim)(?![a-zA-Z])")
_BIG_E_EXPONENT = re.compile(r"\d\.?\s*[eE]\s*[+-]?\s*\d{5,}")


def _has_variable(s: str) -> bool:
    """Whether ``s`` mentions a variable: a latin letter outside command names, other than ``e``."""
    return re.search(r"[a-df-zA-Z]", _COMMAND.sub("", s)) is not None


def _nesting_depth(s: str) -> int:
    """Deepest nesting of ``( [ {`` (escaped braces included) in ``s``."""
    depth = deepest = 0
    for c in re.findall(r"[(\[{)\]}]", s):
        depth = depth + 1 if c in "([{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _exponent_at(s: str, caret: int) -> tuple[str, int]:
    """Return the exponent text that follows the ``^`` at ``caret`` and the index just after it."""
    i = caret + 1
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            if s[j] == "\\":
                j += 2
                continue
            depth += (s[j] == "{") - (s[j] == "}")
            if depth == 0:
                return s[i + 1 : j], j + 1
            j += 1
        return s[i + 1 :], len(s)
    m = re.compile(r"[+-]?\d+|\\[a-zA-Z]+|.").match(s, i)
    assert m is not None  # "." matches any character at a valid index
    return m.group(0), m.end()


def _power_reason(s: str) -> str | None:
    """Reason to refuse evaluating the powers in ``s`` (towers, huge exponents), or ``None``."""
    for m in re.finditer(r"\^", s):
        exponent, end = _exponent_at(s, m.start())
        rest = s[end:].lstrip()
        towered = exponent.count("^") >= 2 or ("^" in exponent and not _has_variable(exponent))
        if rest.startswith("^") or towered:
            return "power tower"
        literal = re.fullmatch(r"\s*[+-]?\s*(\d+)\s*", exponent)
        if literal is None:
            continue
        value = int(literal.group(1)) if len(literal.group(1)) <= 12 else MAX_POWER + 1
        if value > MAX_POWER:
            return "exponent too large"
        base_end = s[: m.start()].rstrip()[-1:]
        if value > MAX_COMPOUND_POWER and base_end in {")", "}", "]"} and _has_variable(s):
            return "symbolic power too large"
    return None


def refusal_reason(s: str) -> str | None:
    """Why ``s`` must not be handed to sympy (too long, power tower, huge factorial...), or ``None``.

    These checks are cheap and conservative: a refused answer can still match its gold as a string.

    Args:
        s: A cleaned answer.

    Returns:
        A short reason, or ``None`` when the answer is safe to evaluate.
    """
    if len(s) > MAX_SYMPY_CHARS:
        return "answer too long for symbolic comparison"
    if _DIGIT_RUN.search(s):
        return "number too long"
    if _BIG_E_EXPONENT.search(s):
        return "exponent too large"
    if "^" in s:
        reason = _power_reason(s)
        if reason:
            return reason
    if _nesting_depth(s) > MAX_NESTING:
        return "nested too deeply"
    if _CALCULUS.search(s):
        return "unevaluated integral or limit"
    if _BIG_OPERATOR.search(s) and (re.search(r"\d{5,}", s) or "^" in s):
        return "large sum, product or binomial"
    if "!" in s:
        for m in _FACTORIAL_ARG.finditer(s):
            if len(m.group(1)) > 4 or int(m.group(1)) > MAX_FACTORIAL:
                return "factorial too large"
        if re.search(r"[)}]\s*!", s) and ("^" in s or re.search(r"\d{4,}", s)):
            return "factorial too large"
    return None


def _silence_timeout_warning() -> None:
    """math-verify warns once per process that its timeout is off; the deadline is enforced by our caller."""
    import math_verify.grader
    import math_verify.parser

    math_verify.grader.TIMEOUT_WARNING_SHOWN = True
    math_verify.parser.TIMEOUT_WARNING_SHOWN = True


@lru_cache(maxsize=4096)
def to_sympy(s: str) -> Any | None:
    """Parse a cleaned answer with math-verify, returning a sympy object or ``None`` when unreadable.

    Args:
        s: A cleaned answer that passed :func:`refusal_reason`.

    Returns:
        A sympy ``Basic``/``MatrixBase``, or ``None``.
    """
    from math_verify import parse
    from sympy import Basic, MatrixBase

    _silence_timeout_warning()
    try:
        parsed = parse("\\boxed{" + s + "}", parsing_timeout=None)
    except Exception:  # sympy can fail in many ways on junk (RecursionError, poles...): unreadable
        return None
    expr = next((item for item in parsed if isinstance(item, (Basic, MatrixBase))), None)
    return None if expr is None else _imaginary_unit(expr)


def _imaginary_unit(expr: Any) -> Any:
    """Read a free symbol ``i`` as the imaginary unit, so that ``(1+i)^2`` equals ``2i``."""
    from sympy import I

    try:
        units = [sym for sym in expr.free_symbols if getattr(sym, "name", "") == "i"]
        return expr.xreplace({units[0]: I}) if units else expr
    except Exception:  # an exotic object without free symbols: keep it as parsed
        return expr


def sympy_equal(pred: str, gold: str) -> bool | None:
    """Compare two cleaned answers symbolically with math-verify.

    Args:
        pred: The cleaned prediction.
        gold: The cleaned gold answer.

    Returns:
        ``True``/``False``, or ``None`` when the prediction could not be parsed at all.
    """
    from math_verify import verify

    from reasoning_gym.verifiers.math_answer.probes import probably_different

    pred_expr = to_sympy(pred)
    if pred_expr is None:
        return None
    gold_expr = to_sympy(gold)
    if gold_expr is None:
        return False
    try:
        constants = compare_constants(pred_expr, gold_expr)
        if constants is not None:  # exact values exactly; never math-verify's float tolerance
            return constants
        if probably_different(gold_expr, pred_expr):
            return False
        return bool(verify(gold_expr, pred_expr, timeout_seconds=None))
    except Exception:  # sympy failing on a parsed-but-odd expression is a non-match, not a crash
        return False
