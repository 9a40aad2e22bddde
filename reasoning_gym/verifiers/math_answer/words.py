"""Plain-word answers: is an answer text, its comparison key, and English number words as integers."""

from __future__ import annotations

import re

__all__ = ["is_wordy", "word_key", "words_to_number"]

_WORDY = re.compile(r"[A-Za-z][A-Za-z\s'\-.()]*")


def is_wordy(s: str) -> bool:
    """Whether ``s`` is a plain-text answer (``Monday``, ``(B)``-free words, ``even``) rather than math."""
    return bool(_WORDY.fullmatch(s)) and re.search(r"[A-Za-z]{3,}", s) is not None


def word_key(s: str) -> str:
    """Case- and spacing-insensitive key of a text answer (articles and punctuation dropped)."""
    low = re.sub(r"[^a-z0-9 ]", " ", s.lower())
    words = [w for w in low.split() if w not in {"the", "a", "an"}]
    return " ".join(words)


_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}


def words_to_number(s: str) -> int | None:
    """Convert an English cardinal (``five``, ``twenty-three``, ``one hundred and five``) to an int.

    Returns ``None`` unless every word is a number word, so "five apples" is not converted.
    """
    words = re.sub(r"[-,]", " ", s.lower()).split()
    if not words or len(words) > 12:
        return None
    negative = words[0] in {"minus", "negative"}
    if negative:
        words = words[1:]
    total = current = 0
    seen = False
    for w in words:
        if w == "and":
            continue
        if w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _SCALES:
            total += max(current, 1) * _SCALES[w]
            current = 0
        else:
            return None
        seen = True
    if not seen:
        return None
    value = total + current
    return -value if negative else value
