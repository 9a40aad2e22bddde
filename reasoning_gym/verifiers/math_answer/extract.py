"""Find the final answer a response commits to, and refuse hedged commitments.

Order of precedence: only the text after the last ``</think>`` counts when there is one; inside that region
the last ``\\boxed{...}`` / ``\\fbox{...}`` wins; without a box, the last explicit final-answer statement
("Final answer: ...", "The answer is ...", "Answer: ...", GSM8K's ``#### n``). A number that merely appears
in the reasoning is never taken as the answer.

Hedges are rejected here (``answer=None``, reason starting with ``"hedge:"``): several boxes with
non-equivalent values, alternatives ("2 or 3") inside the committed answer, or a box the response itself
calls wrong. The rejected candidates are kept in :attr:`Extraction.candidates` so that the grader can still
accept them when the gold answer itself is a list or an "or" statement.

All scanning is linear in the response length: one pass to pair braces, and regexes without nested
quantifiers.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

from reasoning_gym.verifiers.math_answer.normalize import clean, squash

#: More distinct boxed values than this is treated as a hedge without comparing them one by one.
MAX_DISTINCT_BOXES = 8
#: Longest final-answer statement we read (a real one is a line, not a page).
_MAX_STATEMENT = 1000
#: How far before/after a box we look for the response rejecting it.
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
    _AFTER_LEAD
    + _AFTER_FILLER
    + _AFTER_SUBJECT
    + _AFTER_VERDICT
    + r"|"
    + _AFTER_LEAD
    + r"(?:\((?:wrong|incorrect)\)|no,?\s+wait\b|wait,?\s+no\b|actually,?\s+no\b)",
    re.IGNORECASE,
)
_REJECTED_BEFORE = re.compile(
    r"(?:\bnot|\bnever|\bisn't|\binstead\s+of|\brather\s+than|\bincorrectly|\bwrongly|\bnor|\bnot\s+equal\s+to"
    r"|\bnot\s+be|\bwrong\s+answer(?:\s+(?:is|was))?|\bincorrect\s+answer(?:\s+(?:is|was))?|\\neq?)"
    r"\s*:?\s*(?:\$\$|\$|\\\(|\\\[)?\s*$",
    re.IGNORECASE,
)
_AFTER_TRIGGERS = ("wrong", "incorrect", "false", "mistake", "error", "invalid", "not", "n't", "n\u2019t", "wait")
_BEFORE_TRIGGERS = ("not", "never", "isn", "instead", "rather", "incorrect", "wrong", "nor", "\\ne")
# "$\boxed{5}$ or 7", "\boxed{5} (or maybe $7$)": a competing value offered right after the box. Words
# ("\boxed{MR=SRMC}, or marginal revenue equals ...") are an explanation, not an alternative.
_ALTERNATIVE_AFTER = re.compile(
    r"\s*\$*\s*(?:\\\]|\\\))?\s*[,;]?\s*\(?\s*(?:or|and/or)\s+(?:(?:maybe|possibly|perhaps|even)\s+)?"
    r"(\$[^$]{1,200}\$|\\\(.{1,200}?\\\)|[-+]?\.?\d[\d.,/]*)",
    re.IGNORECASE,
)
_HEDGE_WORDS = re.compile(r"\b(?:or|either|and/or)\b|\\lor(?![a-zA-Z])", re.IGNORECASE)

_STATEMENT = re.compile(
    r"final\s+answer\s*(?:\*\*|__)?\s*(?:is\b|:|=)\s*(?:\*\*|__)?\s*:?"
    r"|\banswer\s*(?:\*\*|__)?\s*(?:is\b|:)\s*(?:\*\*|__)?\s*:?"
    r"|(?:^|(?<=\s))####",
    re.IGNORECASE | re.MULTILINE,
)
#: A LaTeX command or ``\text{...}``-style word, removed before looking for prose words.
_LATEX_WORD = re.compile(r"\\[a-zA-Z]+")
#: A word of four or more letters: the statement is a sentence, not a bare answer.
_PROSE_WORD = re.compile(r"[a-zA-Z]{4,}")
_SENTENCE_END = re.compile(
    r"\.(?=\s|$)|[,;]?\s+(?:because|since|as\s+(?:the|it|we|this)|which|where|given|so\s+the|thus|hence)\b",
    re.IGNORECASE,
)
_MATH_DELIMS = re.compile(r"\$+|\\\(|\\\)|\\\[|\\\]|\*\*|__")


@dataclass(frozen=True)
class Extraction:
    """The answer a response committed to.

    Attributes:
        answer: The committed final answer, or ``None`` when there is none (or it was a hedge).
        reason: How it was found (``"boxed"``, ``"final statement"``, ...) or why not (``"hedge: ..."``).
        candidates: For hedges: the competing answers, in order, so a list-valued gold can still match.
    """

    answer: str | None
    reason: str
    candidates: tuple[str, ...] = ()

    @property
    def hedged(self) -> bool:
        """Whether the response was rejected as a hedge."""
        return self.reason.startswith("hedge:")


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


def _find_boxes(text: str) -> list[tuple[int, int, str]]:
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
    boxes = _find_boxes(text)
    return boxes[-1][2] if boxes else None


def _rejected(text: str, start: int, end: int) -> bool:
    """Whether the response itself disowns the box at ``text[start:end]`` ("... is wrong", "not ...")."""
    after = text[end : end + _WINDOW]
    before = text[max(0, start - _WINDOW) : start]
    # Substring pre-checks keep thousands of boxes cheap: the regexes only run near a negative word.
    low_after, low_before = after.lower(), before.lower()
    if any(w in low_after for w in _AFTER_TRIGGERS) and _REJECTED_AFTER.match(after):
        return True
    return any(w in low_before for w in _BEFORE_TRIGGERS) and _REJECTED_BEFORE.search(before) is not None


def _all_equivalent(values: list[str]) -> bool:
    """Whether every value is equivalent to the last one (several boxes of the same answer are fine)."""
    from reasoning_gym.verifiers.math_answer.equivalence import answers_equivalent

    last = values[-1]
    return all(answers_equivalent(v, last) for v in values[:-1])


def _alternative_after(text: str, boxes: list[tuple[int, int, str]]) -> tuple[str, ...] | None:
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


def _from_boxes(text: str, boxes: list[tuple[int, int, str]], where: str) -> Extraction:
    if any(_rejected(text, start, end) for start, end, _ in boxes):
        # A disowned box next to another box is still two competing answers; alone it commits to nothing.
        return Extraction(None, "hedge: the response rejects its own boxed answer")
    alternative = _alternative_after(text, boxes)
    if alternative is not None:
        return Extraction(None, "hedge: an alternative follows the boxed answer", alternative)
    kept = [content for _, _, content in boxes]
    # Distinct values in order of their last appearance, so that the final box stays last.
    last_seen = list(dict.fromkeys(reversed(kept)))[::-1]
    if len(last_seen) > 4 * MAX_DISTINCT_BOXES:  # box spam: do not even normalise it
        return Extraction(None, f"hedge: {len(last_seen)} different boxed answers", tuple(last_seen))
    by_key: dict[str, str] = {}
    for content in reversed(last_seen):
        by_key.setdefault(squash(clean(content)), content)
    values = list(by_key.values())[::-1]
    if len(values) > 1 and (len(values) > MAX_DISTINCT_BOXES or not _all_equivalent(values)):
        return Extraction(None, f"hedge: {len(values)} different boxed answers", tuple(values))
    return _check_alternatives(kept[-1], f"boxed{where}")


def _check_alternatives(answer: str, reason: str) -> Extraction:
    """Reject "2 or 3" / "either 2 or 3" / "2 and/or 3" inside the committed answer."""
    if _HEDGE_WORDS.search(answer):
        return Extraction(None, "hedge: alternatives ('or') in the answer", (answer,))
    return Extraction(answer, reason)


def _statement_text(text: str, start: int) -> str:
    """The answer text that follows a final-answer marker: the rest of its line, up to the sentence end."""
    line_end = text.find("\n", start)
    line = text[start : line_end if line_end >= 0 else len(text)]
    if not line.strip() and line_end >= 0:  # "The answer is:\n$$ 5 $$"
        following = text[line_end + 1 :].lstrip("\n")[:_MAX_STATEMENT]
        line = following.split("\n", 1)[0]
        if line.strip() in {"$$", "\\["}:
            rest = following.split("\n", 2)
            line = rest[1] if len(rest) > 1 else ""
    line = line[:_MAX_STATEMENT]
    cut = _SENTENCE_END.search(line)
    if cut:
        line = line[: cut.start()]
    line = _MATH_DELIMS.sub(" ", line)
    return re.sub(r"[\s.,;:!]+$", "", line).strip()


def _answer_like(statement: str) -> bool:
    """Whether a final statement's text is a bare answer ("22", "x = 5", "\\frac{1}{2}"), not a sentence.

    Prose ("The final answer is ...", "To solve it we add") is left out of the hedge check below: only the
    last statement counts for it, as before, so a sentence that merely starts with "Answer:" is no hedge.
    """
    bare = _LATEX_WORD.sub(" ", statement)
    return len(statement) <= 60 and _PROSE_WORD.search(bare) is None


def _from_statement(text: str) -> Extraction | None:
    # Only the last few statements are read: a page of "The answer is" costs no more than a handful.
    recent: collections.deque[re.Match[str]] = collections.deque(_STATEMENT.finditer(text), MAX_DISTINCT_BOXES + 1)
    if not recent:
        return None
    last = recent[-1]
    answer = _statement_text(text, last.end())
    if not answer:
        return None
    kind = "gsm8k ####" if last.group(0).lstrip().startswith("####") else "final statement"
    if _answer_like(answer):
        # "The answer is 20. ... Final answer: 22" commits to two values, as two different boxes do.
        earlier = [_statement_text(text, m.end()) for m in list(recent)[:-1]]
        values = list(dict.fromkeys([a for a in earlier if a and _answer_like(a)] + [answer]))
        if len(values) > 1 and not _all_equivalent(values):
            return Extraction(None, f"hedge: {len(values)} different final statements", tuple(values))
    return _check_alternatives(answer, kind)


def extract_answer(response: str) -> Extraction:
    """Extract the final answer a response commits to.

    Args:
        response: The full model response (reasoning included).

    Returns:
        An :class:`Extraction`; ``answer`` is ``None`` when nothing was committed or the commitment was a
        hedge (then ``reason`` starts with ``"hedge:"``).
    """
    text = response if isinstance(response, str) else ""
    where = ""
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
        where = " after </think>"
    elif "<think>" in text:
        return Extraction(None, "unterminated <think> block: no final answer")
    boxes = _find_boxes(text)
    if boxes:
        return _from_boxes(text, boxes, where)
    statement = _from_statement(text)
    if statement is not None:
        return statement
    return Extraction(None, f"no boxed answer or final-answer statement{where}")
