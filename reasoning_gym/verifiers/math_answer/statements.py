r"""Answers committed in words: final statements, headings, answer tags, option letters, the closing sentence.

* ``<answer>...</answer>`` (the R1-Zero template; an unterminated last tag counts too, since generation often
  stops at the closing tag): its box, its bare answer, or the last value of its sentence.
* "Final answer: ...", "The answer is ...", "Answer: ...", GSM8K's ``#### n``, a "Final Answer" heading
  with the answer on the next line, "The correct option is (C)", "Option (C) is correct". When the
  statement is a sentence ("Final Answer: The train travels 240 miles."), its closing value is the answer.
* The closing sentence: the last value of the last sentence that has one (after ``</think>`` in strict mode,
  anywhere in flexible mode). A sentence that offers alternatives ("either 2 or 3") is a hedge.

The closing value of a sentence is what follows its last "is"/"equals"/"="/":" when that is a bare answer,
else its last math span or number. All regexes are linear; only bounded tails of the text are scanned.
"""

from __future__ import annotations

import collections
import re

from reasoning_gym.verifiers.math_answer.committed import (
    MAX_DISTINCT_BOXES,
    Extraction,
    all_equivalent,
    check_alternatives,
)

__all__ = ["answer_like", "closing_sentence_answer", "sentence_value", "statement_answer", "tag_answer", "tag_region"]

#: Longest final-answer statement we read (a real one is a line, not a page).
_MAX_STATEMENT = 1000
#: How much of the end of a response the closing sentence is looked for in.
_MAX_TAIL = 2000
#: Sentences without a value skipped at the end ("I hope this helps!").
_SKIPPED_SENTENCES = 3

_STATEMENT = re.compile(
    r"final\s+answer\s*(?:\*\*|__)?\s*(?:is\b|:|=)\s*(?:\*\*|__)?\s*:?"
    r"|\banswer\s*(?:\*\*|__)?\s*(?:is\b|:)\s*(?:\*\*|__)?\s*:?"
    r"|(?:correct|right|best)\s+(?:option|choice)\s*(?:is\b|:)\s*:?"
    r"|^[ \t]*(?:#+[ \t]*|\*\*|__)?[ \t]*final\s+answer[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*(?=\n)"
    r"|(?:^|(?<=\s))####",
    re.IGNORECASE | re.MULTILINE,
)
_OPTION_IS_CORRECT = re.compile(
    r"\b(?:option|choice)\s*\(?\s*([A-E])\s*\)?\s+is\s+(?:the\s+)?(?:correct|right)\b", re.IGNORECASE
)
_OPTION_WORD = re.compile(r"^(?:option|choice)\s*(?=\(?[A-E]\b)", re.IGNORECASE)
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
#: A LaTeX command or ``\text{...}``-style word, removed before looking for prose words.
_LATEX_WORD = re.compile(r"\\[a-zA-Z]+")
#: A word of four or more letters: the statement is a sentence, not a bare answer.
_PROSE_WORD = re.compile(r"[a-zA-Z]{4,}")
_SENTENCE_END = re.compile(
    r"\.(?=\s|$)|[,;]?\s+(?:because|since|as\s+(?:the|it|we|this)|which|where|given|so\s+the|thus|hence)\b",
    re.IGNORECASE,
)
_MATH_DELIMS = re.compile(r"\$+|\\\(|\\\)|\\\[|\\\]|\*\*|__")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_NUMBER = re.compile(r"(?<![\w.\\])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?%?(?![\w])")
_COPULA = re.compile(
    r"\b(?:is|are|was|were|equals?|equal\s+to|be|becomes?|gives?|get|gets|got|yields?|comes\s+to|totals?)\b"
    r"|=|:|\\approx(?![a-zA-Z])",
    re.IGNORECASE,
)
_SENTENCE_HEDGE = re.compile(r"\b(?:or|either|between|and/or)\b|\\lor(?![a-zA-Z])", re.IGNORECASE)


def answer_like(statement: str) -> bool:
    """Whether a statement's text is a bare answer ("22", "x = 5", "\\frac{1}{2}"), not a sentence."""
    bare = _LATEX_WORD.sub(" ", statement)
    return len(statement) <= 60 and _PROSE_WORD.search(bare) is None


def _statement_text(text: str, start: int) -> str:
    """The answer text that follows a final-answer marker: the rest of its line, up to the sentence end."""
    line_end = text.find("\n", start)
    line = text[start : line_end if line_end >= 0 else len(text)]
    if not line.strip() and line_end >= 0:  # "The answer is:\n$$ 5 $$", "**Final Answer**\n42"
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


def sentence_value(sentence: str) -> tuple[str | None, bool]:
    """The value a sentence ends on, and whether the sentence hedges (``(value, hedged)``)."""
    if _SENTENCE_HEDGE.search(sentence):
        return None, True
    copulas = list(_COPULA.finditer(sentence))
    if copulas:
        tail = _MATH_DELIMS.sub(" ", sentence[copulas[-1].end() :])
        tail = re.sub(r"[\s.,;:!?]+$", "", tail).strip()
        if tail and answer_like(tail) and re.search(r"[\d\\]|^[a-zA-Z]$|[a-zA-Z][\^_+*/-]", tail):
            return tail, False
    spans = [(m.start(), next(g for g in m.groups() if g is not None)) for m in _MATH_SPAN.finditer(sentence)]
    outside = _MATH_SPAN.sub(lambda m: " " * len(m.group(0)), sentence)
    numbers = [(m.start(), m.group(0)) for m in _NUMBER.finditer(outside)]
    found = sorted(spans + numbers)
    return (found[-1][1].strip(), False) if found else (None, False)


def closing_sentence_answer(text: str, reason: str) -> Extraction | None:
    """The last value of the closing sentence of ``text`` (``None`` when no recent sentence has one)."""
    tail = text[-_MAX_TAIL:]
    sentences = [s for s in _SENTENCE_BREAK.split(tail) if s.strip()]
    for sentence in sentences[::-1][: _SKIPPED_SENTENCES + 1]:
        value, hedged = sentence_value(sentence)
        if hedged:
            return Extraction(None, "hedge: alternatives in the closing sentence", (sentence.strip()[:200],))
        if value:
            return check_alternatives(value, reason)
    return None


def _resolve(statement: str, reason: str) -> Extraction:
    """A statement's text as an answer: bare as written, or the closing value of its sentence.

    A sentence without any value ("Final Answer: Evelyn") is kept as written, for text answers.
    """
    statement = _OPTION_WORD.sub("", statement)
    if answer_like(statement):
        return check_alternatives(statement, reason)
    value, hedged = sentence_value(statement)
    if hedged:
        return Extraction(None, "hedge: alternatives in the final statement", (statement[:200],))
    if value is None:
        return check_alternatives(statement, reason)
    return check_alternatives(value, f"{reason} (closing value)")


def statement_answer(text: str) -> Extraction | None:
    """The answer of the last explicit final-answer statement of ``text``, or ``None`` when there is none."""
    # Only the last few statements are read: a page of "The answer is" costs no more than a handful.
    recent: collections.deque[re.Match[str]] = collections.deque(_STATEMENT.finditer(text), MAX_DISTINCT_BOXES + 1)
    options = collections.deque(_OPTION_IS_CORRECT.finditer(text, max(0, len(text) - _MAX_TAIL)), maxlen=1)
    option = options[0] if options else None
    if option is not None and (not recent or recent[-1].end() <= option.start()):
        return Extraction(f"({option.group(1).upper()})", "correct option")
    if not recent:
        return None
    last = recent[-1]
    answer = _statement_text(text, last.end())
    if not answer:
        return None
    kind = "gsm8k ####" if last.group(0).lstrip().startswith("####") else "final statement"
    if answer_like(answer):
        # "The answer is 20. ... Final answer: 22" commits to two values, as two different boxes do.
        earlier = [_statement_text(text, m.end()) for m in list(recent)[:-1]]
        values = list(dict.fromkeys([a for a in earlier if a and answer_like(a)] + [answer]))
        if len(values) > 1 and not all_equivalent(values):
            return Extraction(None, f"hedge: {len(values)} different final statements", tuple(values))
    return _resolve(answer, kind)


def tag_region(text: str) -> str | None:
    """Content of the last ``<answer>`` tag (to ``</answer>`` or, if unterminated, to the end), else ``None``."""
    last = collections.deque(_ANSWER_OPEN.finditer(text), maxlen=1)
    if not last:
        return None
    opened = last[0]
    close = _ANSWER_CLOSE.search(text, opened.end())
    return text[opened.end() : close.start() if close else min(len(text), opened.end() + _MAX_STATEMENT)]


def tag_answer(content: str) -> Extraction:
    """The answer inside an ``<answer>`` tag without a box: bare, or the closing value of its sentence."""
    statement = _MATH_DELIMS.sub(" ", content).strip()
    statement = re.sub(r"[\s.,;:!]+$", "", statement).strip()
    if not statement:
        return Extraction(None, "empty <answer> tag")
    return _resolve(statement, "answer tag")
