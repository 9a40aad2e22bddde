r"""The boxed answer a response commits to: format examples, rejected boxes, self-corrections and hedges.

* A box in a format example ("for example \boxed{5}", "write it like this: \boxed{42}", a placeholder such as
  ``\boxed{\text{answer}}``) is not an answer.
* A box the response disowns ("\boxed{5} is wrong", "not \boxed{5}", "... this contradicts ...") is not an
  answer; if it is the last box, the response commits to nothing.
* Self-correction is not a hedge: when the text between two boxes retracts the earlier one ("wait, I forgot
  ...", "correction: ...", "I made a mistake"), only the boxes after the last retraction count.
* Alternatives offered together (``\boxed{3} or \boxed{4}``, several different boxes with no retraction,
  "\boxed{5} or 7") stay a hedge: the response commits to none of them.

Everything is linear in the response length: one pass pairs the braces, and the regexes only look at short
windows next to a box or at the text between two boxes.
"""

from __future__ import annotations

import re

from reasoning_gym.verifiers.math_answer.committed import (
    MAX_DISTINCT_BOXES,
    Extraction,
    all_equivalent,
    check_alternatives,
)
from reasoning_gym.verifiers.math_answer.normalize import clean, squash

__all__ = ["Box", "boxed_answer", "find_boxes", "last_boxed"]

Box = tuple[int, int, str]

#: How far before/after a box we look for the response rejecting it (or calling it an example).
_WINDOW = 80
_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_BOX_TOKEN = re.compile(r"[-+]?[0-9a-zA-Z.,/]+")
_AFTER_LEAD = r"\s*\$*\s*(?:\\\]|\\\))?[\]).,;:!\u2014\u2013-]*\s*"
_AFTER_FILLER = r"(?:(?:no|wait|hmm+|oops|but|and|which|however|though|actually|sorry)\b[\s,.!\u2014\u2013-]*)*"
_AFTER_SUBJECT = (
    r"(?:(?:it|that|this)\s*(?:'s|\u2019s|\s+is|\s+was|\s+would\s+be|\s+seems|\s+looks)"
    r"|is|was|would\s+be|seems|looks)"
)
_AFTER_VERDICT = (
    r"\s*(?:n't|n\u2019t|\s+not)?\s*(?:wrong|incorrect|false|a\s+mistake|an\s+error|invalid"
    r"|not\s+(?:the\s+|a\s+)?(?:correct|right|answer|valid|final\s+answer))"
)
_REJECTED_AFTER = re.compile(
    _AFTER_LEAD + _AFTER_FILLER + _AFTER_SUBJECT + _AFTER_VERDICT + r"|" + _AFTER_LEAD
    + r"(?:\((?:wrong|incorrect)\)|no,?\s+wait\b|wait,?\s+no\b|actually,?\s+no\b)",
    re.IGNORECASE,
)  # fmt: skip
_REJECTED_BEFORE = re.compile(
    r"(?:\bnot|\bnever|\bisn't|\binstead\s+of|\brather\s+than|\bincorrectly|\bwrongly|\bnor|\bnot\s+equal\s+to"
    r"|\bnot\s+be|\bwrong\s+answer(?:\s+(?:is|was))?|\bincorrect\s+answer(?:\s+(?:is|was))?|\\neq?)"
    r"\s*:?\s*(?:\$\$|\$|\\\(|\\\[)?\s*$",
    re.IGNORECASE,
)
_AFTER_TRIGGERS = ("wrong", "incorrect", "false", "mistake", "error", "invalid", "not", "n't", "n\u2019t", "wait")
_BEFORE_TRIGGERS = ("not", "never", "isn", "instead", "rather", "incorrect", "wrong", "nor", "\\ne")
#: "... this contradicts ...", "so this is impossible", "we reject it": the response declares the box void.
_DISOWNED = re.compile(
    r"\b(?:this|that|it|which|the\s+(?:value|answer|result|root|solution|number))\s+(?:\w+\s+){0,2}?"
    r"(?:contradicts|is\s+(?:a\s+contradiction|impossible|extraneous|invalid|not\s+(?:possible|valid|allowed))"
    r"|leads\s+to\s+a\s+contradiction|(?:does\s+not|doesn't)\s+(?:work|satisfy|hold)"
    r"|(?:cannot|can't)\s+be\s+(?:the\s+answer|correct|right|true|valid|a\s+solution))"
    r"|\bwe\s+(?:must\s+)?reject\s+(?:it|this|that)\b",
    re.IGNORECASE,
)
# "$\boxed{5}$ or 7", "\boxed{5} (or maybe $7$)": a competing value offered right after the box. Words
# ("\boxed{MR=SRMC}, or marginal revenue equals ...") are an explanation, not an alternative.
_ALTERNATIVE_AFTER = re.compile(
    r"\s*\$*\s*(?:\\\]|\\\))?\s*[,;]?\s*\(?\s*(?:or|and/or)\s+(?:(?:maybe|possibly|perhaps|even)\s+)?"
    r"(\$[^$]{1,200}\$|\\\(.{1,200}?\\\)|[-+]?\.?\d[\d.,/]*)",
    re.IGNORECASE,
)
_MATH_DELIMS = re.compile(r"\$+|\\\(|\\\)|\\\[|\\\]|\*\*|__")
#: Text right before a box that makes it a format example, with nothing committing in between.
_EXAMPLE_BEFORE = re.compile(
    r"(?:\bfor\s+(?:example|instance)|\be\.g\.|\bsuch\s+as|\bin\s+the\s+form(?:at)?(?:\s+of)?|\bformat(?:ted)?"
    r"(?:\s+as)?|\blike\s+(?:this|so)|\bwould\s+write|\bshould\s+write|\bwrite\s+(?:it|your\s+(?:final\s+)?answer"
    r"|the\s+(?:final\s+)?answer)\s+(?:as|like)|\bput\s+(?:it|the\s+result|your\s+answer|the\s+answer)\s+"
    r"(?:as|in\s+a\s+box\s+as))[^.;!?\n]{0,60}$",
    re.IGNORECASE,
)
_COMMITTING = re.compile(r"\b(?:is|are|was|equals?|gives?|get|got|obtain(?:ed)?)\b|=", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"(?:\\text\{)?\s*(?:your\s+|the\s+|final\s+)*(?:answer|result|value|number|expression)\s*\}?|\\[lc]?dots|\.\.\.",
    re.IGNORECASE,
)
#: Between two boxes: words that retract the earlier one.
_RETRACTION = re.compile(
    r"\b(?:wait|hold\s+on|oops|actually|scratch\s+that|correction|correcting|on\s+(?:second|further)\s+thought"
    r"|on\s+reflection|mistakes?|(?:an?|my|in)\s+error|miscalculat\w*|miscount\w*|misread\w*|misappl\w*"
    r"|double[-\s]count\w*|forgot|overlooked|(?:is|was|'s|\u2019s)\s+(?:wrong|incorrect|not\s+(?:right"
    r"|correct))|(?:not|isn't|wasn't)\s+right|also\s+off|(?:let\s+me|let's|i\s+(?:will|need\s+to|should))\s+"
    r"(?:double[-\s]check|check|verify|reconsider|redo|recount|recompute|recalculate|re-?examine)|re-?(?:comput"
    r"|calculat|count|consider|do\b|doing|examin|evaluat|check)\w*|contradict\w*|extraneous|impossible"
    r"|reject\w*|should\s+(?:be|have\s+been)|(?:the\s+)?correct\s+(?:answer|value|result)\s+is)",
    re.IGNORECASE,
)
#: Between two boxes: words that offer the later box as another option, not as a replacement.
_ALSO = re.compile(
    r"\b(?:also\s+(?:works?|valid|a\s+solution|possible|correct|satisf\w+)|as\s+well|another\s+(?:solution|answer"
    r"|possibility|option|root|value)|both|alternatively|or\s+(?:maybe|possibly|perhaps))\b",
    re.IGNORECASE,
)


def _brace_pairs(text: str) -> dict[int, int]:
    """Map the index of every unescaped ``{`` to its closing ``}`` (unclosed ones are absent)."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for m in re.finditer(r"\\.|[{}]", text, re.DOTALL):
        token = m.group(0)
        if token == "{":
            stack.append(m.start())
        elif token == "}" and stack:
            pairs[stack.pop()] = m.start()
    return pairs


def find_boxes(text: str) -> list[Box]:
    """Every complete ``\\boxed{...}`` / ``\\boxed x`` in ``text`` as ``(start, end, content)``."""
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    pairs = _brace_pairs(text)
    boxes = []
    for m in _BOX.finditer(text):
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if text[j : j + 1] == "{":
            close = pairs.get(j)
            if close is None:
                continue  # truncated "\boxed{12" commits to nothing
            content, end = text[j + 1 : close], close + 1
        else:
            token = _BOX_TOKEN.match(text, j)
            if token is None:
                continue
            content, end = token.group(0), token.end()
        if content.strip():
            boxes.append((m.start(), end, content.strip()))
    return boxes


def last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` in ``text``, or ``None`` (no hedge checks)."""
    boxes = find_boxes(text)
    return boxes[-1][2] if boxes else None


def _is_example(text: str, box: Box) -> bool:
    """Whether the box only shows the answer format ("for example \\boxed{5}", ``\\boxed{\\text{answer}}``)."""
    start, _, content = box
    if _PLACEHOLDER.fullmatch(content.strip()):
        return True
    before = text[max(0, start - _WINDOW) : start]
    m = _EXAMPLE_BEFORE.search(before)
    return m is not None and _COMMITTING.search(before[m.end() :]) is None


def _rejected(text: str, box: Box, limit: int) -> bool:
    """Whether the response disowns the box ("... is wrong", "not ...", "this contradicts ...")."""
    start, end, _ = box
    after = text[end : min(end + _WINDOW, limit)]
    before = text[max(0, start - _WINDOW) : start]
    # Substring pre-checks keep thousands of boxes cheap: the regexes only run near a negative word.
    low_after, low_before = after.lower(), before.lower()
    if any(w in low_after for w in _AFTER_TRIGGERS) and _REJECTED_AFTER.match(after):
        return True
    if any(w in low_before for w in _BEFORE_TRIGGERS) and _REJECTED_BEFORE.search(before) is not None:
        return True
    sentence = text[end : min(end + 2 * _WINDOW, limit)]
    return _DISOWNED.search(sentence) is not None


def _retracts(gap: str) -> bool:
    """Whether the text between two boxes takes the earlier one back (and does not offer both)."""
    return _RETRACTION.search(gap) is not None and _ALSO.search(gap) is None


def _committed_boxes(text: str, boxes: list[Box]) -> list[Box] | None:
    """The boxes after the last retraction; ``None`` when the last box itself is disowned."""
    limits = [b[0] for b in boxes[1:]] + [len(text)]
    if _rejected(text, boxes[-1], limits[-1]):
        return None
    start = 0
    for i in range(len(boxes) - 1):
        if _rejected(text, boxes[i], limits[i]) or _retracts(text[boxes[i][1] : boxes[i + 1][0]]):
            start = i + 1
    return boxes[start:]


def _alternative_after(text: str, boxes: list[Box]) -> tuple[str, ...] | None:
    """A box followed by "or <another value>" that is not equivalent to it: both values, else ``None``."""
    from reasoning_gym.verifiers.math_answer.equivalence import answers_equivalent

    checked = 0
    for _, end, content in boxes:
        window = text[end : end + 3 * _WINDOW]
        m = _ALTERNATIVE_AFTER.match(window) if "or" in window.lower() else None
        if m is None:
            continue
        other = _MATH_DELIMS.sub(" ", m.group(1)).strip().rstrip(".,;")
        checked += 1
        if checked > MAX_DISTINCT_BOXES or (other and not answers_equivalent(other, content)):
            return (content, other)
    return None


def boxed_answer(text: str, where: str = "") -> Extraction | None:
    """The answer committed by the boxes of ``text``, or ``None`` when it has no box that is an answer.

    Args:
        text: The part of the response that counts (after ``</think>``, or inside ``<answer>``).
        where: Suffix for the reason (``" after </think>"``).

    Returns:
        An :class:`Extraction` (possibly a hedge), or ``None`` when every box is a format example.
    """
    boxes = [b for b in find_boxes(text) if not _is_example(text, b)]
    if not boxes:
        return None
    if len(boxes) > 8 * MAX_DISTINCT_BOXES and len({b[2] for b in boxes}) > 4 * MAX_DISTINCT_BOXES:
        return Extraction(None, f"hedge: {len(boxes)} boxed answers", tuple(b[2] for b in boxes[-4:]))
    kept = _committed_boxes(text, boxes)
    if kept is None:
        return Extraction(None, "hedge: the response rejects its own boxed answer")
    alternative = _alternative_after(text, kept)
    if alternative is not None:
        return Extraction(None, "hedge: an alternative follows the boxed answer", alternative)
    contents = [content for _, _, content in kept]
    # Distinct values in order of their last appearance, so that the final box stays last.
    last_seen = list(dict.fromkeys(reversed(contents)))[::-1]
    if len(last_seen) > 4 * MAX_DISTINCT_BOXES:  # box spam: do not even normalise it
        return Extraction(None, f"hedge: {len(last_seen)} different boxed answers", tuple(last_seen))
    by_key: dict[str, str] = {}
    for content in reversed(last_seen):
        by_key.setdefault(squash(clean(content)), content)
    values = list(by_key.values())[::-1]
    if len(values) > 1 and (len(values) > MAX_DISTINCT_BOXES or not all_equivalent(values)):
        return Extraction(None, f"hedge: {len(values)} different boxed answers", tuple(values))
    retracted = " (earlier boxes retracted)" if len(kept) < len(boxes) else ""
    return check_alternatives(contents[-1], f"boxed{where}{retracted}")
