"""Verifiers: pure, total functions from a response to a typed :class:`Verdict`.

They never raise on model output; deadlines are enforced in worker processes.
"""

from __future__ import annotations

from typing import Any

from reasoning_gym.verifiers.math_answer.api import verify_math, verify_math_batch
from reasoning_gym.verifiers.verdict import UNDECIDED_STATUSES, Verdict

__all__ = [
    "CodeTask",
    "SandboxUnavailableError",
    "UNDECIDED_STATUSES",
    "Verdict",
    "verify_code",
    "verify_code_batch",
    "verify_math",
    "verify_math_batch",
]


def __getattr__(name: str) -> Any:
    # The code verifier (and its sandbox probing) loads only when asked for.
    if name in ("verify_code", "verify_code_batch", "CodeTask", "SandboxUnavailableError"):
        from reasoning_gym.verifiers import code

        return getattr(code, name)
    raise AttributeError(f"module 'reasoning_gym.verifiers' has no attribute {name!r}")
