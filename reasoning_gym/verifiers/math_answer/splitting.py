"""String pieces every layer of the answer grader shares: splitting at the top bracket level, grouped numbers.

They sit below :mod:`normalize`, :mod:`forms` and :mod:`structure`, which all use them, so that none of
those modules has to import another one back.
"""

from __future__ import annotations

import re

__all__ = ["CLOSE", "OPEN", "drop_thousands", "is_thousands", "split_top"]

OPEN = "([{"
CLOSE = ")]}"


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split ``s`` on ``sep`` where it is not nested inside any bracket (``\\{``/``\\}`` included).

    ``sep`` is either a single character or a LaTeX token such as ``\\cup`` or ``\\\\``.
    """
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if depth == 0 and s.startswith(sep, i) and (len(sep) == 1 or not s[i + len(sep) : i + len(sep) + 1].isalpha()):
            parts.append(s[start:i])
            i += len(sep)
            start = i
            continue
        if c == "\\":
            nxt = s[i + 1 : i + 2]
            depth += (nxt == "{") - (nxt == "}")
            i += 2
            continue
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        i += 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?")


def is_thousands(s: str) -> bool:
    """Whether a squashed string looks like ``1,000`` / ``11,111,100.5`` (a single grouped number)."""
    return _THOUSANDS.fullmatch(s) is not None


def drop_thousands(s: str) -> str:
    """Remove the thousands separators of a string accepted by :func:`is_thousands`."""
    return s.replace(",", "")
