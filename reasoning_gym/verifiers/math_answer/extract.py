r"""Find the final answer a response commits to, and refuse hedged commitments.

Order of precedence, in both extraction modes:

1. Only the text after the last ``</think>`` counts when there is one (an unterminated ``<think>`` commits
   to nothing).
2. Inside that region, the last ``<answer>...</answer>`` tag, if any, is the region.
3. The boxes (:mod:`.boxes`): the last committed ``\boxed{}``/``\fbox{}``, with format examples and rejected
   boxes left out and self-corrections resolved.
4. Explicit statements (:mod:`.statements`): "Final answer: ...", "The answer is ...", a "Final Answer"
   heading, "The correct option is (C)", GSM8K's ``#### n``.
5. The closing sentence's last value: in ``strict`` mode only after ``</think>`` (the text after the thinking
   is the answer); in ``flexible`` mode for any response where nothing is marked.

A number that merely appears in the reasoning is never taken as the answer in ``strict`` mode.
"""

from __future__ import annotations

from reasoning_gym.verifiers.math_answer.boxes import boxed_answer, find_boxes, last_boxed
from reasoning_gym.verifiers.math_answer.committed import EXTRACTION_MODES, Extraction
from reasoning_gym.verifiers.math_answer.statements import (
    closing_sentence_answer,
    statement_answer,
    tag_answer,
    tag_region,
)

__all__ = ["EXTRACTION_MODES", "Extraction", "extract_answer", "find_boxes", "last_boxed"]


def _without_boxes(text: str) -> str:
    pieces, pos = [], 0
    for start, end, _ in find_boxes(text):
        pieces.append(text[pos:start])
        pos = end
    return " ".join(pieces + [text[pos:]])


def _marked(text: str, where: str) -> Extraction | None:
    """The answer marked in ``text`` by a tag, a box or a statement; ``None`` when nothing is marked."""
    tag = tag_region(text)
    if tag is not None and tag.strip():  # an empty tag ("<answer></answer>") marks nothing
        boxed = boxed_answer(tag, f"{where} in <answer>")
        return boxed if boxed is not None else tag_answer(tag)
    boxed = boxed_answer(text, where)
    if boxed is not None:
        return boxed
    return statement_answer(text)


def extract_answer(response: str, extraction: str = "strict") -> Extraction:
    """Extract the final answer a response commits to.

    Args:
        response: The full model response (reasoning included).
        extraction: ``"strict"`` (boxes, tags, statements, the closing sentence after ``</think>``) or
            ``"flexible"`` (also the closing sentence of any response that marks nothing).

    Returns:
        An :class:`Extraction`; ``answer`` is ``None`` when nothing was committed or the commitment was a
        hedge (then ``reason`` starts with ``"hedge:"``); ``marked`` is False when nothing was marked.
    """
    text = response if isinstance(response, str) else ""
    where = ""
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
        where = " after </think>"
    elif "<think>" in text:
        return Extraction(None, "unterminated <think> block: no final answer")
    found = _marked(text, where)
    if found is not None:
        return found
    if where or extraction == "flexible":
        # Boxes left here are all format examples ("for example \boxed{5}"): they are not values either.
        text = _without_boxes(text)
        closing = closing_sentence_answer(text, f"closing sentence{where}")
        if closing is not None:
            return Extraction(closing.answer, closing.reason, closing.candidates, marked=bool(where))
    return Extraction(None, f"no boxed answer or final-answer statement{where}", marked=False)
