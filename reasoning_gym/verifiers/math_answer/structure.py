"""Top-level structure of an answer: single value, list, set, tuple/interval, union or matrix.

Splitting happens on the cleaned string (see :mod:`normalize`) by a single left-to-right scan that tracks
bracket depth, so that ``(1,2),(3,4)`` is two pairs and ``\\frac{1,2}{3}`` stays one item. Counting the
elements is what stops enumeration spam: a list of eight values is never equivalent to a single gold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasoning_gym.verifiers.math_answer.forms import solution_groups
from reasoning_gym.verifiers.math_answer.normalize import is_wordy, squash
from reasoning_gym.verifiers.math_answer.splitting import CLOSE, OPEN, drop_thousands, is_thousands, split_top

_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}", re.DOTALL)
#: ``\left[\begin{array}{cc} ... \end{array}\right]``: an array in brackets is a matrix too.
_BRACKETED_ARRAY = re.compile(r"[\[(]\s*(\\begin\{array\}.*\\end\{array\})\s*[\])]", re.DOTALL)


@dataclass(frozen=True)
class Shape:
    """The structure of one answer.

    Attributes:
        kind: ``single``, ``bare`` (comma list), ``set`` (``\\{...\\}``), ``tuple`` (bracketed; also
            intervals), ``union`` (``A \\cup B``) or ``matrix``.
        items: The element strings (matrix entries row by row).
        brackets: For ``tuple``: the opening and closing bracket, e.g. ``"[)"``.
        rows: For ``matrix``: the number of rows (columns = ``len(items) // rows``).
    """

    kind: str
    items: tuple[str, ...]
    brackets: str = ""
    rows: int = 0

    @property
    def ordered(self) -> bool:
        """Whether element order matters (tuples, intervals, matrices)."""
        return self.kind in {"tuple", "matrix"}


def wrapping(s: str) -> str:
    """Return the bracket pair that wraps all of ``s`` (``"()"``, ``"[)"``, ``"{}"`` for ``\\{..\\}``)."""
    if s.startswith("\\{") and s.endswith("\\}") and len(s) >= 4:
        return "{}" if len(split_top(s[2:-2], "\\}")) == 1 else ""
    if len(s) < 2 or s[0] not in "([" or s[-1] not in ")]":
        return ""
    depth = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i += 2
            continue
        depth += (c in OPEN) - (c in CLOSE)
        if depth == 0 and i < len(s) - 1:
            return ""
        i += 1
    return s[0] + s[-1]


def _expand_pm(items: list[str]) -> list[str]:
    """``1 \\pm \\sqrt{5}`` stands for two values; expand a single ``\\pm``/``\\mp`` into both."""
    out: list[str] = []
    for item in items:
        count = item.count("\\pm") + item.count("\\mp")
        if count == 1:
            token = "\\pm" if "\\pm" in item else "\\mp"
            plus = item.replace(token, "+", 1).strip()
            minus = item.replace(token, "-", 1).strip()
            out.extend([plus[1:].strip() if plus.startswith("+") else plus, minus])
        else:
            out.append(item)
    return out


def _matrix(s: str) -> Shape | None:
    bracketed = _BRACKETED_ARRAY.fullmatch(s.strip())
    m = _MATRIX.fullmatch(bracketed.group(1) if bracketed else s.strip())
    if m is None:
        return None
    rows = [r for r in split_top(m.group(2), "\\\\") if r]
    cells = [split_top(r, "&") for r in rows]
    if not cells or any(len(r) != len(cells[0]) for r in cells):
        return None
    return Shape("matrix", tuple(c for r in cells for c in r), rows=len(cells))


_CONNECTIVE = re.compile(r"(?:\s*,)?\s+(?:and|or|and/or)\s+|\s*;\s*")


def has_connective(s: str) -> bool:
    """Whether a (non-text) answer joins several values with "and", "or" or ";" ("x = 2 or x = 3")."""
    return not is_wordy(s) and _CONNECTIVE.search(s) is not None


def analyze(s: str, single_other: bool = True) -> Shape:
    """Work out the top-level structure of a cleaned answer.

    Args:
        s: The cleaned answer.
        single_other: Whether the answer it is compared with is a single value; only then is ``1,000``
            read as one thousand rather than the pair ``1, 0``-style list ``1`` and ``000``.

    Returns:
        The answer's :class:`Shape`.
    """
    matrix = _matrix(s)
    if matrix is not None:
        return matrix
    if not is_wordy(s):
        if ";" in s:
            s = solution_groups(s) or s
        s = _CONNECTIVE.sub(", ", s)
    if single_other and is_thousands(squash(s)):
        return Shape("single", (drop_thousands(squash(s)),))
    union = split_top(s, "\\cup")
    if len(union) > 1:
        return Shape("union", tuple(union))
    brackets = wrapping(s)
    if brackets == "{}":
        return Shape("set", tuple(_expand_pm([i for i in split_top(s[2:-2]) if i])))
    if brackets:
        inner = split_top(s[1:-1])
        if len(inner) > 1:
            return Shape("tuple", tuple(inner), brackets=brackets)
    items = _expand_pm(split_top(s))
    if len(items) > 1:
        return Shape("bare", tuple(items))
    return Shape("single", (s,))
