r"""Overlap between problem texts: exact matches after normalisation and shared long word n-grams.

The check used for decontaminating training sets against benchmarks (as in the decontamination of LLM
training corpora): two problems overlap when their normalised texts are equal, or when they share at least
one run of ``n`` consecutive words (``n = 13`` by default). Normalisation lowercases (after NFKC), drops
LaTeX layout commands that do not change the problem (``\left``, ``\displaystyle``, ``\,`` ...) and keeps
only runs of letters and digits, so ``$\frac{1}{2}$`` and ``\dfrac12`` differ but spacing, dollar signs,
punctuation and case do not.

:class:`OverlapIndex` holds the n-grams of a fixed set of texts (the benchmarks) in one hash table, so
checking a training set costs one pass over its n-grams whatever the number of benchmarks.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = ["DEFAULT_MAX_DOC_FREQ", "DEFAULT_NGRAM", "Match", "OverlapIndex", "normalize_text", "word_ngrams", "words"]

#: Words per n-gram: 13, the usual choice of training-corpus decontamination.
DEFAULT_NGRAM = 13
#: N-grams found in more than this many checked texts are template phrases and are ignored.
DEFAULT_MAX_DOC_FREQ = 10

# Layout-only LaTeX: removing it makes "\left( x \right)" and "(x)" the same words.
_LAYOUT = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|textstyle|mathrm|text|mbox|quad|qquad)\b|\\[,;:! ]"
)
_WORD = re.compile(r"[^\W_]+")


def normalize_text(text: str) -> str:
    """The words of ``text`` (see :func:`words`) joined by single spaces: the form exact matches compare."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """Lowercased runs of letters and digits of ``text``, after NFKC and without LaTeX layout commands."""
    text = unicodedata.normalize("NFKC", text)
    text = _LAYOUT.sub(" ", text)
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    return _WORD.findall(text.lower())


def word_ngrams(tokens: Sequence[str], n: int = DEFAULT_NGRAM) -> set[int]:
    """Hashes of every run of ``n`` consecutive words (empty when there are fewer than ``n`` words)."""
    return {hash(tuple(tokens[i : i + n])) for i in range(len(tokens) - n + 1)}


@dataclass(frozen=True)
class Match:
    """One indexed text that a queried text overlaps.

    Attributes:
        index: Position of the indexed text (e.g. the benchmark problem) in the list given to the index.
        kind: ``"exact"`` (equal normalised texts) or ``"ngram"`` (at least one shared n-gram).
        shared: Number of distinct n-grams the two texts share (0 for an exact match of a short text).
        coverage: ``shared`` over the indexed text's number of n-grams (1.0 for an exact match).
    """

    index: int
    kind: Literal["exact", "ngram"]
    shared: int
    coverage: float


class OverlapIndex:
    """The normalised texts and n-grams of a list of texts, for finding which of them other texts overlap.

    Args:
        texts: The texts to index (e.g. every benchmark problem).
        n: Words per n-gram.

    Texts shorter than ``n`` words can only match exactly.
    """

    def __init__(self, texts: Iterable[str], *, n: int = DEFAULT_NGRAM) -> None:
        if n < 1:
            raise ValueError(f"n={n} must be >= 1 (words per n-gram).")
        self.n = n
        self._exact: dict[str, list[int]] = {}
        self._grams: dict[int, list[int]] = {}
        self._sizes: list[int] = []
        for i, text in enumerate(texts):
            tokens = words(text)
            self._exact.setdefault(" ".join(tokens), []).append(i)
            grams = word_ngrams(tokens, n)
            self._sizes.append(len(grams))
            for gram in grams:
                self._grams.setdefault(gram, []).append(i)

    def __len__(self) -> int:
        return len(self._sizes)

    def overlaps(
        self, texts: Sequence[str], *, max_doc_freq: int | None = DEFAULT_MAX_DOC_FREQ, min_coverage: float = 0.0
    ) -> list[list[Match]]:
        """For each of ``texts``, every indexed text it overlaps (exact matches first, then by shared n-grams).

        Args:
            texts: The texts to check (e.g. a whole training set, so that template phrases can be told apart).
            max_doc_freq: Ignore n-grams found in more than this many texts (of ``texts`` and the indexed ones
                together): phrases such as "where m and n are relatively prime positive integers find m n" are
                templates, not leaked problems (the GPT-3 decontamination ignored 13-grams found in more than 10
                training documents). ``None`` keeps every n-gram.
            min_coverage: Report an n-gram match only when the shared n-grams are at least this fraction of the
                indexed text's n-grams (0: any shared n-gram, the usual rule; exact matches always count).
        """
        if not 0.0 <= min_coverage <= 1.0:
            raise ValueError(f"min_coverage={min_coverage} must be in [0, 1].")
        probes = [self._probe(text) for text in texts]
        common: set[int] = set()
        if max_doc_freq is not None:
            freq = Counter(gram for _, grams in probes for gram in grams)
            common = {gram for gram, count in freq.items() if count + len(self._grams[gram]) > max_doc_freq}
        return [self._matches(key, grams - common, min_coverage) for key, grams in probes]

    def _probe(self, text: str) -> tuple[str, set[int]]:
        """The normalised text and those of its n-grams that some indexed text has."""
        tokens = words(text)
        return " ".join(tokens), {gram for gram in word_ngrams(tokens, self.n) if gram in self._grams}

    def _matches(self, key: str, grams: set[int], min_coverage: float) -> list[Match]:
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._grams[gram])
        found = {
            i: Match(i, "ngram", n, n / self._sizes[i]) for i, n in shared.items() if n / self._sizes[i] >= min_coverage
        }
        for i in self._exact.get(key, ()) if key else ():
            found[i] = Match(i, "exact", shared.get(i, 0), 1.0)
        return sorted(found.values(), key=lambda m: (m.kind != "exact", -m.shared, m.index))
