"""What every extraction rule shares: the :class:`Extraction` record and the hedge checks.

A response *commits* to an answer through a box, an ``<answer>`` tag, a final statement or (in the closing
sentence) a last value. Whatever the rule, two things are refused the same way: alternatives inside the
committed answer ("2 or 3") and several non-equivalent commitments that nothing retracts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_DISTINCT_BOXES", "EXTRACTION_MODES", "Extraction", "all_equivalent", "check_alternatives"]

#: More distinct boxed values than this is treated as a hedge without comparing them one by one.
MAX_DISTINCT_BOXES = 8
#: ``strict`` (training default): boxes, tags and explicit statements; ``flexible`` also reads the last value
#: of the closing sentence when nothing is marked (lm-eval's "flexible-extract").
EXTRACTION_MODES = ("strict", "flexible")

_HEDGE_WORDS = re.compile(r"\b(?:or|either|and/or)\b|\\lor(?![a-zA-Z])", re.IGNORECASE)


@dataclass(frozen=True)
class Extraction:
    """The answer a response committed to.

    Attributes:
        answer: The committed final answer, or ``None`` when there is none (or it was a hedge).
        reason: How it was found (``"boxed"``, ``"final statement"``, ...) or why not (``"hedge: ..."``).
        candidates: For hedges: the competing answers, in order, so a list-valued gold can still match.
        marked: Whether the response marked an answer at all (a box, tag or statement, even a hedged one);
            only unmarked responses can differ between the extraction modes.
    """

    answer: str | None
    reason: str
    candidates: tuple[str, ...] = ()
    marked: bool = True

    @property
    def hedged(self) -> bool:
        """Whether the response was rejected as a hedge."""
        return self.reason.startswith("hedge:")


def all_equivalent(values: list[str]) -> bool:
    """Whether every value is equivalent to the last one (several boxes of the same answer are fine)."""
    from reasoning_gym.verifiers.math_answer.equivalence import answers_equivalent

    last = values[-1]
    return all(answers_equivalent(v, last) for v in values[:-1])


def check_alternatives(answer: str, reason: str) -> Extraction:
    """Reject "2 or 3" / "either 2 or 3" / "2 and/or 3" inside the committed answer."""
    if _HEDGE_WORDS.search(answer):
        return Extraction(None, "hedge: alternatives ('or') in the answer", (answer,))
    return Extraction(answer, reason)
