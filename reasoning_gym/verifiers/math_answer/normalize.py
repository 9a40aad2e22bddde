"""String-level normalisation of a final math answer.

Everything here is cheap, deterministic string surgery: no sympy. The goal is that two spellings of the same
answer (``\\dfrac12`` and ``\\frac{1}{2}``, ``30^\\circ`` and ``30``, ``\\text{ Monday }`` and ``monday``) map
to the same text, so that most comparisons never need a computer-algebra system. Every regex used here is
either anchored or free of nested quantifiers, so the cost stays linear in the input length.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reasoning_gym.verifiers.math_answer.forms import post_clean, pre_clean
from reasoning_gym.verifiers.math_answer.words import is_wordy, word_key, words_to_number

__all__ = [
    "EMPTY",
    "braces_balanced",
    "clean",
    "is_wordy",
    "matching_brace",
    "squash",
    "unwrap_command",
    "word_key",
    "words_to_number",
]

# --- brace helpers -----------------------------------------------------------------------------------------


def matching_brace(s: str, start: int) -> int:
    """Return the index of the ``}`` closing the ``{`` at ``s[start]``, or -1 when it is never closed.

    Escaped braces (``\\{``, ``\\}``) do not count, because they are literal set braces in LaTeX.
    """
    depth = 0
    i = start
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def braces_balanced(s: str) -> bool:
    """Whether the unescaped ``{``/``}`` in ``s`` are balanced (a cheap sanity check before parsing)."""
    depth = 0
    for token in re.findall(r"\\.|[{}]", s):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def unwrap_command(s: str, names: str, keep: bool = True) -> str:
    """Replace every ``\\name{content}`` (``name`` matching the alternation ``names``) by its content.

    With ``keep=False`` the whole group is dropped instead. Unclosed groups are left alone.
    """
    pattern = re.compile(r"\\(?:" + names + r")(?![a-zA-Z])\s*\{")
    out: list[str] = []
    pos = 0
    for _ in range(len(s)):  # bounded: each round consumes at least one group
        m = pattern.search(s, pos)
        if m is None:
            break
        end = matching_brace(s, m.end() - 1)
        if end < 0:
            break
        out.append(s[pos : m.start()])
        if keep:
            out.append(s[m.end() : end])
        pos = end + 1
    out.append(s[pos:])
    return "".join(out)


# --- cleaning tables ---------------------------------------------------------------------------------------

_UNICODE = {
    "\u2212": "-",  # minus sign
    "\u2013": "-",
    "\u00d7": "\\times ",
    "\u00b7": "\\cdot ",
    "\u22c5": "\\cdot ",
    "\u03c0": "\\pi ",
    "\u221e": "\\infty ",
    "\u221a": "\\sqrt",
    "\u2205": "\\emptyset ",
    "\u2264": "\\le ",
    "\u2265": "\\ge ",
    "\u2260": "\\ne ",
    "\u00b1": "\\pm ",
    "\u2248": "\\approx ",
    "\u00b0": "",  # degree sign
    "\u00a0": " ",
}

# Simple textual rewrites, applied in order. Why each: spacing commands carry no meaning; \left/\right only
# size delimiters; \dfrac/\tfrac are typographic variants; degree marks are dropped because the answer to
# "what is the angle" is the same number with or without them.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"\\(?:left|right)\.", ""),
    (r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)(?![a-zA-Z])", ""),
    (r"\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])", ""),
    (r"(?<!\\)\\[!,;:> ]|\\quad(?![a-zA-Z])|\\qquad(?![a-zA-Z])|~", " "),
    (r"\\[dtc]frac(?![a-zA-Z])", r"\\frac"),
    (r"\\[dt]binom(?![a-zA-Z])", r"\\binom"),
    (r"\\leqslant|\\leq(?![a-zA-Z])", r"\\le "),
    (r"\\geqslant|\\geq(?![a-zA-Z])", r"\\ge "),
    (r"\\neq(?![a-zA-Z])", r"\\ne "),
    (r"<=", r"\\le "),
    (r">=", r"\\ge "),
    (r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])", ""),
    (r"\^\s*\{\s*\}", ""),
    (r"\\infin(?![a-zA-Z])|\+\s*\\infty", r"\\infty"),
    (r"\\varnothing(?![a-zA-Z])", r"\\emptyset"),
    (r"(?<!\\)\\%", "%"),
    (r"(?<!\\)\\\$|\$", ""),
    (r"\\mathbb\s*\{?\s*R\s*\}?|^\\R$|^all real numbers$|^all reals$", r"(-\\infty,\\infty)"),
    (r"\\(?:mathrm|textrm|text|mbox)\s*\{\s*(?:degrees?|deg)\s*\}", ""),
)
_REWRITES_COMPILED = tuple((re.compile(p), r) for p, r in _REWRITES)

_TEXT_CMDS = (
    r"text|textbf|textit|textrm|textup|textsf|texttt|mathrm|mathbf|mathit|mathsf|mathtt|mbox|hbox"
    r"|boldsymbol|bm|emph|textnormal|mathnormal|underline"
)

# A trailing unit written as text: "5 \text{ cm}^2", "1.6 \mathrm{~cm}", "4.5e33 \mathrm{ergs} \mathrm{s}^{-1}".
_TRAILING_TEXT_UNIT = re.compile(
    r"(?<=[\d}).\s])\s*\\(?:text|mbox|mathrm|textrm|rm|textnormal)\s*\{\s*[a-zA-Z][a-zA-Z .~/]*\}"
    r"(?:\s*\^\s*(?:\{\s*-?\d\s*\}|-?\d))?\s*$"
)
# Plain unit words at the end; only multi-letter words, because "2.2 \tau" or "\frac{37}{4} m" are answers.
_UNIT_WORDS = (
    r"cm|mm|km|meters?|metres?|inch(?:es)?|in\.|feet|foot|ft|yards?|miles?|units?|square\s+units?"
    r"|sq\.?\s*(?:units?|ft|feet|in|cm|m)|degrees?|dollars?|cents?|seconds?|secs?|minutes?|mins?|hours?|hrs?"
    r"|days?|weeks?|months?|years?|mph|kg|grams?|pounds?|lbs?|liters?|litres?|gallons?|people|students?"
    r"|ways?|times|points?|percent|marbles|apples|cookies|pages|books|tickets"
)
_TRAILING_UNIT_WORD = re.compile(
    r"(?<=[\d})])\s*(?:" + _UNIT_WORDS + r")(?:\s*\^\s*\{?\s*\d\s*\}?)?\s*$", re.IGNORECASE
)

_GREEK = (
    "alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu|xi|rho|sigma"
    "|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi|Sigma|Phi|Psi|Omega"
)
# "x = 5", "k=-3", "x_1 = 4", "\theta = 30", "x \in [-2, 7]", "x \approx 1.41": the variable name is not
# part of the answer. Only a lone variable qualifies, so "5x - 7y + 4 = 0" or "y = 2x + 3" keep their lhs
# unless the same kind of prefix is also stripped from the other side.
_ONE_VAR = r"(?:[a-zA-Z]|\\(?:" + _GREEK + r"))(?:_\{?[a-zA-Z0-9]+\}?)?"
# "(a, b) = (1, 4)": a tuple of variables assigned a tuple of values is the tuple of values.
_ASSIGN = re.compile(
    r"^(?:" + _ONE_VAR + r"(?:\([a-z]\))?|\(\s*" + _ONE_VAR + r"(?:\s*,\s*" + _ONE_VAR + r")+\s*\))\s*"
    r"(?:=|\\in(?![a-zA-Z])|\\approx(?![a-zA-Z]))\s*"
)

_EMPTY_WORDS = frozenset(
    {
        "\\emptyset",
        "\\{\\}",
        "{}",
        "\\{ \\}",
        "none",
        "no solution",
        "no solutions",
        "no real solution",
        "no real solutions",
        "no real roots",
        "no roots",
        "no such number",
        "empty set",
        "the empty set",
        "there is no solution",
        "there are no solutions",
        "no values",
        "no value",
        "nosolution",
    }
)

EMPTY = "\\emptyset"


def _strip_delimiters(s: str) -> str:
    """Drop surrounding ``$``, ``\\(``/``\\)``, ``\\[``/``\\]`` and a trailing full stop or comma."""
    for _ in range(4):  # a handful of nested wrappers at most
        before = s
        s = s.strip()
        if s.startswith("$$") and s.endswith("$$") and len(s) >= 4:
            s = s[2:-2]
        elif s.startswith("$") and s.endswith("$") and len(s) >= 2:
            s = s[1:-1]
        elif (s.startswith("\\(") and s.endswith("\\)")) or (s.startswith("\\[") and s.endswith("\\]")):
            s = s[2:-2]
        s = s.strip()
        s = re.sub(r"(?:(?<!\\)[.,;:])+$", "", s).strip()
        if s == before:
            break
    return s


def _frac_shorthand(s: str) -> str:
    r"""Expand ``\frac12``, ``\frac 34``, ``\frac9{19}``, ``\frac{270}7`` and ``\sqrt2`` to braced form."""
    s = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac\s*(\d)\s*\{", r"\\frac{\1}{", s)
    s = re.sub(r"\\frac\s*\{([^{}]*)\}\s*(\d)", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\frac\s*([a-zA-Z])\s*([a-zA-Z0-9])", r"\\frac{\1}{\2}", s)
    s = re.sub(r"\\sqrt\s*(\d+|[a-zA-Z])(?![a-zA-Z])", r"\\sqrt{\1}", s)
    return s


def _strip_units(s: str) -> str:
    """Remove trailing unit annotations, repeatedly (``\\mathrm{ergs} \\mathrm{s}^{-1}`` has two)."""
    for _ in range(4):
        new = _TRAILING_TEXT_UNIT.sub("", s)
        new = _TRAILING_UNIT_WORD.sub("", new).rstrip()
        if not new or new == s:
            break
        s = new
    return s


def _strip_assignment(s: str) -> str:
    """Drop a leading ``x =`` / ``x \\in`` when the right-hand side is a plain value (no further ``=``)."""
    m = _ASSIGN.match(s)
    if m is None:
        return s
    rest = s[m.end() :]
    if not rest or "=" in rest or re.search(r"\\[lg]e(?![a-zA-Z])|[<>]", rest):
        return s
    return rest


def _canonical_empty(s: str) -> str:
    """Map the many spellings of "no solution" to ``\\emptyset``."""
    low = re.sub(r"\s+", " ", s.lower()).strip()
    return EMPTY if low in _EMPTY_WORDS or low.replace(" ", "") in {"\\{\\}", "{}"} else s


@lru_cache(maxsize=8192)
def clean(answer: str, strip_assignment: bool = True) -> str:
    """Normalise one final answer to a canonical LaTeX-ish string.

    The result keeps meaningful single spaces (``\\sin x``, ``no solution``) so that it can still be handed to
    a LaTeX parser; use :func:`squash` for an equality key.

    Args:
        answer: The raw committed answer (contents of a box or a final-answer line).
        strip_assignment: Drop a leading ``x =`` (off when the other side is a general equation).

    Returns:
        The cleaned answer (never ``None``; may be empty).
    """
    s = pre_clean(answer)
    for bad, good in _UNICODE.items():
        if bad in s:
            s = s.replace(bad, good)
    s = _strip_delimiters(s)
    s = unwrap_command(s, "boxed|fbox")
    # Invisible or purely decorative markup: \phantom{7} shows nothing, \color{red}{5} shows 5.
    s = unwrap_command(s, "phantom|hphantom|vphantom", keep=False)
    s = unwrap_command(s, "color", keep=False)
    s = unwrap_command(s, "textcolor|colorbox", keep=False)
    for pattern, repl in _REWRITES_COMPILED:
        s = pattern.sub(repl, s)
    s = _strip_units(s)
    s = unwrap_command(s, _TEXT_CMDS)
    s = unwrap_command(s, "operatorname")
    s = re.sub(r"\s+", " ", s).strip()
    s = _strip_delimiters(s)
    s = _frac_shorthand(s)
    s = post_clean(_strip_units(s))
    if strip_assignment:
        s = _strip_assignment(s)
    s = _canonical_empty(s)
    return s


@lru_cache(maxsize=8192)
def squash(s: str) -> str:
    """Equality key: drop every space that does not separate two letters (``2 x`` == ``2x``)."""
    return re.sub(r"(?<![a-zA-Z])\s+|\s+(?![a-zA-Z])", "", s)
