"""``ast.parse`` that threads can call at the same time.

CPython 3.11 keeps the depth counter of its AST-object converter in interpreter-wide state, so two threads
parsing at once can make a valid parse fail with ``SystemError: AST constructor recursion depth mismatch``
(python/cpython#106905; seen here when ``verify_code_batch``'s threads planned HumanEval tests). Verifiers are
called from threads (the code verifier's own pool, users' thread pools), so every parse in them goes through
one lock. Parses are short (milliseconds), so the lock costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading
import warnings
from typing import Literal

__all__ = ["compile_quietly", "parse_python"]

_LOCK = threading.Lock()


def parse_python(source: str, mode: Literal["exec", "eval"] = "exec", *, quiet: bool = False) -> ast.AST:
    """``ast.parse(source, mode=mode)`` under a process-wide lock.

    Args:
        source: Python source.
        mode: ``"exec"`` for a module, ``"eval"`` for one expression.
        quiet: Hide the ``SyntaxWarning``s of the parse (test data often holds regexes with invalid escapes).
            ``warnings.catch_warnings`` swaps process-wide filters, so it, too, runs under the lock.

    Raises:
        SyntaxError: As ``ast.parse``.
    """
    with _LOCK:
        if not quiet:
            return ast.parse(source, mode=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, mode=mode)


def compile_quietly(source: str, filename: str, mode: Literal["exec", "eval"]) -> object:
    """``compile(source, filename, mode, dont_inherit=True)`` with its ``SyntaxWarning``s hidden, under the lock.

    Raises:
        SyntaxError, ValueError: As ``compile``.
    """
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, filename, mode, dont_inherit=True)
