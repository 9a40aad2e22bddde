"""Pick the program out of a model response: the last fenced Python block, else the whole response."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
_OPEN_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*(python3?|py)[ \t]*\n(.*)\Z", re.DOTALL | re.MULTILINE | re.I)
_PYTHON_TAGS = {"python", "python3", "py", "py3"}


def extract_code(response: str) -> str:
    """Return the code to run for ``response``.

    The last fenced block tagged ``python``/``py`` wins; failing that the last untagged fenced block; a
    final ``python`` fence that was opened but never closed (a truncated answer) counts too. A response
    without any fence is taken whole. Returns ``""`` when there is nothing but whitespace.
    """
    if not response or not response.strip():
        return ""
    blocks = [(m.group(2).lower(), m.group(3), m.end()) for m in _FENCE.finditer(response)]
    tagged = [b for b in blocks if b[0] in _PYTHON_TAGS]
    last_end = blocks[-1][2] if blocks else 0
    tail = _OPEN_FENCE.search(response, last_end)
    if tail is not None:
        return tail.group(3).strip("\n")
    if tagged:
        return tagged[-1][1].strip("\n")
    untagged = [b for b in blocks if not b[0]]
    if untagged:
        return untagged[-1][1].strip("\n")
    if blocks:
        return ""  # only blocks in other languages: no Python here
    return response.strip("\n")
