"""Is a predicted final answer equivalent to the gold answer?

Cheapest test first: identical text, then equal normalised strings, then exact numbers (no sympy), and only
then sympy via math-verify. Structure is checked before values, so a list is only ever equivalent to a list
with the same number of elements, a tuple only to a tuple in the same order with the same brackets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasoning_gym.verifiers.math_answer.exact import (
    constant_expr,
    exactly_equal,
    has_float,
    numeric_value,
    rationalize,
)
from reasoning_gym.verifiers.math_answer.normalize import (
    EMPTY,
    braces_balanced,
    clean,
    is_wordy,
    squash,
    word_key,
    words_to_number,
)
from reasoning_gym.verifiers.math_answer.numbers import Num, numbers_equal, parse_number
from reasoning_gym.verifiers.math_answer.relations import RELATION, relation_to_set
from reasoning_gym.verifiers.math_answer.splitting import is_thousands, split_top
from reasoning_gym.verifiers.math_answer.structure import Shape, analyze, has_connective, wrapping
from reasoning_gym.verifiers.math_answer.symbolic import (
    MAX_SYMPY_CHARS,
    refusal_reason,
    sympy_equal,
    to_sympy,
)
from reasoning_gym.verifiers.math_answer.towers import towers_equal

#: Collections larger than this are compared by sorted normalised strings only (quadratic matching).
MAX_ELEMENTS = 64
#: Nested collections deeper than this are compared as strings.
MAX_DEPTH = 4

_CHOICE = re.compile(r"\(?([A-E])\)?")
_CHOICE_PREFIX = re.compile(r"\(([A-E])\)\s*(.+)")
_BASE_NUMERAL = re.compile(r"(\d[0-9A-Za-z]*)_\{?(\d+)\}?")


@dataclass(frozen=True)
class Judgement:
    """Outcome of one comparison.

    Attributes:
        equal: Whether the prediction is equivalent to the gold.
        readable: ``False`` when the prediction could not be read by any method (unparseable).
        how: A short note on the deciding step (for the verdict's reason).
    """

    equal: bool
    readable: bool = True
    how: str = ""


def _yes(how: str) -> Judgement:
    return Judgement(True, True, how)


def _no(how: str, readable: bool = True) -> Judgement:
    return Judgement(False, readable, how)


def _is_multi(s: str) -> bool:
    """Whether ``s`` lists several values: a top-level comma (not a thousands separator), "or", "and", ";"."""
    return (len(split_top(s)) > 1 and not is_thousands(squash(s))) or has_connective(s)


def _approximate_gold(g: str) -> bool:
    num = parse_number(squash(g))
    return num is not None and num.approximate


def _prepare(p: str, g: str) -> tuple[str, str]:
    """Relation-level rewrites: drop ``\\approx`` tails and equation chains, inequalities to intervals."""
    if "\\approx" in p and "\\approx" not in g:
        parts = p.split("\\approx")
        # "\sqrt{2} \approx 1.414": the exact part is the answer, unless the gold itself is a rounded decimal.
        p = parts[-1].strip() if _approximate_gold(g) else parts[0].strip()
    if "=" not in g and not _is_multi(p):
        parts = split_top(p, "=")
        if len(parts) > 1 and parts[-1]:
            p = parts[-1]  # "2 + 2 = 4": the value after the last top-level "=" is the committed one
    return p, g


def _as_interval(s: str) -> str:
    """A condition on one variable becomes the set it describes (``x > 3`` -> ``(3,\\infty)``)."""
    return (relation_to_set(s) or s) if RELATION.search(s) else s


def judge(pred: str, gold: str) -> Judgement:
    """Compare a committed answer with the gold answer.

    Args:
        pred: The committed answer extracted from the response.
        gold: The reference answer (LaTeX or plain text).

    Returns:
        A :class:`Judgement`; never raises for string input except on internal bugs.
    """
    if pred.strip() and pred.strip() == gold.strip():
        return _yes("identical")
    p, g = clean(pred), clean(gold)
    # "y = 2x + 3" loses its "y =" only when compared with a value; against "2x - y + 3 = 0" it stays.
    if "=" in p and "=" not in g:
        g = clean(gold, strip_assignment=False)
    elif "=" in g and "=" not in p:
        p = clean(pred, strip_assignment=False)
    if not squash(p):
        return _no("empty answer", readable=False)
    if squash(p) == squash(g):
        return _yes("normalised match")
    if len(p) > MAX_SYMPY_CHARS or len(g) > MAX_SYMPY_CHARS:
        return _no("too long for anything but string comparison")
    p, g = _prepare(p, g)
    return _compare(p, g, 0)


def answers_equivalent(pred: str, gold: str) -> bool:
    """Whether the answer ``pred`` is mathematically equivalent to ``gold``.

    Args:
        pred: A final answer (not a whole response: see :func:`extract_answer`).
        gold: The reference answer.

    Returns:
        ``True`` when equivalent.
    """
    return judge(pred, gold).equal


def _compare(p: str, g: str, depth: int) -> Judgement:
    p, g = _as_interval(p), _as_interval(g)
    if squash(p) == squash(g):
        return _yes("normalised match")
    if depth > MAX_DEPTH:
        return _no("nested too deeply")
    sp = analyze(p, single_other=not _is_multi(g))
    sg = analyze(g, single_other=not _is_multi(p))
    if sp.kind == "single" and sg.kind == "single":
        return _compare_single(sp.items[0], sg.items[0])
    return _compare_shapes(sp, sg, depth)


def _compatible(sp: Shape, sg: Shape) -> bool:
    """Whether two shapes of equal size may be compared at all (``[1,2]`` never equals ``(1,2)``)."""
    kinds = {sp.kind, sg.kind}
    if sp.kind == sg.kind:
        return sp.kind != "tuple" or sp.brackets == sg.brackets
    if "single" in kinds:
        return "set" in kinds  # {5} vs 5
    if kinds <= {"bare", "set", "union"}:
        return True
    if kinds == {"bare", "tuple"}:
        return True  # "(1, -16, -4, 43)" written without parentheses
    if kinds == {"matrix", "tuple"}:
        matrix = sp if sp.kind == "matrix" else sg
        return matrix.rows in {1, len(matrix.items)}  # a vector written as a tuple
    return False


def _compare_shapes(sp: Shape, sg: Shape, depth: int) -> Judgement:
    if len(sp.items) != len(sg.items):
        return _no(f"{len(sp.items)} elements where the gold has {len(sg.items)}")
    if sp.kind == "matrix" and sg.kind == "matrix" and sp.rows != sg.rows:
        return _no("matrix shapes differ")
    if not _compatible(sp, sg):
        return _no(f"{sp.kind} {sp.brackets} is not comparable with {sg.kind} {sg.brackets}")
    # Elements get the same clean-up as whole answers ("a = 3, b = 4" against "(3, 4)").
    sp = Shape(sp.kind, tuple(clean(i) for i in sp.items), sp.brackets, sp.rows)
    sg = Shape(sg.kind, tuple(clean(i) for i in sg.items), sg.brackets, sg.rows)
    if sp.ordered or sg.ordered:
        for a, b in zip(sp.items, sg.items):
            result = _compare(a, b, depth + 1)
            if not result.equal:
                return result
        return _yes(f"{sg.kind} elementwise")
    return _match_unordered(list(sp.items), list(sg.items), depth)


def _match_unordered(pred: list[str], gold: list[str], depth: int) -> Judgement:
    """Each gold element must be matched by a distinct equivalent predicted element."""
    if len(gold) > MAX_ELEMENTS:
        same = sorted(map(squash, pred)) == sorted(map(squash, gold))
        return Judgement(same, True, "large collection compared as strings")
    unused = list(pred)
    for g in gold:
        hit = next((i for i, p in enumerate(unused) if _compare(p, g, depth + 1).equal), None)
        if hit is None:
            return _no(f"no predicted element equals {g}")
        unused.pop(hit)
    return _yes("same elements")


def _words_as_number(s: str) -> str:
    if is_wordy(s):
        value = words_to_number(s)
        if value is not None:
            return str(value)
    return s


def _compare_text(p: str, g: str) -> Judgement | None:
    """Empty sets, multiple-choice letters and plain-word answers; ``None`` when neither side is text."""
    if EMPTY in (p, g):
        return _no("only one side is the empty set")
    gold_letter = _CHOICE.fullmatch(squash(g))
    pred_choice = _CHOICE_PREFIX.fullmatch(p)
    if gold_letter:
        pred_letter = _CHOICE.fullmatch(squash(p))
        letter = pred_letter.group(1) if pred_letter else (pred_choice.group(1) if pred_choice else None)
        return Judgement(letter == gold_letter.group(1), True, "choice letter")
    if pred_choice:
        return _compare_single(pred_choice.group(2), g)  # "(B) 12" against the value 12
    if is_wordy(g) or is_wordy(p):
        if is_wordy(g) and is_wordy(p):
            return Judgement(word_key(p) == word_key(g), True, "text answer")
        return _no("text answer against math answer")
    return None


def _compare_bases(p: str, g: str) -> Judgement | None:
    """``52_8`` style numerals: digits and base must agree; a bare ``52`` is accepted for ``52_8``."""
    mp, mg = _BASE_NUMERAL.fullmatch(squash(p)), _BASE_NUMERAL.fullmatch(squash(g))
    if mg is None and mp is None:
        return None
    if mp is not None and mg is not None:
        same = mp.group(1).upper() == mg.group(1).upper() and int(mp.group(2)) == int(mg.group(2))
        return Judgement(same, True, "base numeral")
    if mg is not None:
        return Judgement(squash(p).upper() == mg.group(1).upper(), True, "digits of a base numeral")
    assert mp is not None
    return Judgement(int(mp.group(2)) == 10 and mp.group(1) == squash(g), True, "base numeral vs plain number")


def _unparen(s: str) -> str:
    """Drop redundant outer parentheses around a single value: ``(a+b+c)`` is ``a+b+c``."""
    for _ in range(8):
        if wrapping(s) != "()":
            break
        s = s[1:-1].strip()
    return s


def _compare_single(p: str, g: str) -> Judgement:
    p, g = _words_as_number(_unparen(p)), _words_as_number(_unparen(g))
    if squash(p) == squash(g):
        return _yes("normalised match")
    text = _compare_text(p, g)
    if text is not None:
        return text
    based = _compare_bases(p, g)
    if based is not None:
        return based
    pn, gn = parse_number(squash(p)), parse_number(squash(g))
    if pn is not None and gn is not None:
        return Judgement(numbers_equal(pn, gn), True, "numeric")
    if "^" in p or "^" in g:
        tower = towers_equal(squash(p), squash(g))
        if tower is not None:  # before the refusals: towers are compared without being evaluated
            return Judgement(tower, True, "power tower")
    refusal = refusal_reason(p) or refusal_reason(g)
    if refusal:
        return _no(f"not evaluated: {refusal}")
    if not braces_balanced(p):
        return _no("unbalanced braces", readable=False)
    if pn is not None or gn is not None:
        mixed = _compare_number_with_expression(p, g, pn, gn)
        if mixed is not None:
            return mixed
    result = sympy_equal(p, g)
    if result is None:
        return _no("could not parse the answer", readable=False)
    return Judgement(result, True, "symbolic")


def _compare_number_with_expression(p: str, g: str, pn: Num | None, gn: Num | None) -> Judgement | None:
    """One side is a plain number: compare the other side's value exactly, unless the gold is a decimal."""
    from sympy import Rational

    other = to_sympy(g if pn is not None else p)
    if other is None:
        return None if pn is not None else _no("could not parse the answer", readable=False)
    if not constant_expr(other):
        return None  # variables, sets, relations: let the symbolic comparison decide
    if pn is not None:
        if has_float(other):  # a rounded decimal inside the gold: tolerance as for any decimal gold
            value = numeric_value(other)
            return None if value is None else Judgement(numbers_equal(pn, value), True, "numeric (evaluated gold)")
        same = exactly_equal(Rational(pn.value.numerator, pn.value.denominator), other)
        return None if same is None else Judgement(same, True, "exact (evaluated gold)")
    assert gn is not None
    if gn.approximate:
        value = numeric_value(other)
        return None if value is None else Judgement(numbers_equal(value, gn), True, "numeric (evaluated answer)")
    targets = [gn.value] + ([gn.value / 100] if gn.percent else [])
    verdicts = [exactly_equal(rationalize(other), Rational(t.numerator, t.denominator)) for t in targets]
    if any(verdicts):
        return _yes("exact (evaluated answer)")
    return None if None in verdicts else _no("exact (evaluated answer)")
