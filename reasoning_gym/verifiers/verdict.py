"""The typed result every verifier returns.

A verdict is a small frozen record: the 0/1 reward, a status that says *why*, the answer the verifier
committed to (or ``None``), and the verifier's name and version so that every logged reward can be traced
back to the exact grading code that produced it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

#: Statuses of the math verifier.
MathStatus = Literal["correct", "wrong", "no_answer", "unparseable", "timeout", "error"]
#: Statuses of the code verifier.
CodeStatus = Literal[
    "passed",
    "failed",
    "timeout",
    "memory",
    "output_limit",
    "syntax_error",
    "no_code",
    "sandbox_error",
    "test_error",
]

#: Statuses that mean the verifier could not reach a decision on the merits (infrastructure or task data, not
#: model): ``test_error`` is a task whose trusted tests cannot run (e.g. HumanEval without its prompt's helpers).
UNDECIDED_STATUSES = frozenset({"timeout", "error", "sandbox_error", "test_error"})


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one response.

    Attributes:
        reward: 1.0 when the response is accepted, else 0.0.
        status: Why, e.g. ``"correct"``, ``"wrong"``, ``"no_answer"``, ``"timeout"`` (see ``MathStatus`` and
            ``CodeStatus``).
        extracted: The answer the response committed to, as text, or ``None`` when there was none.
        reason: A short human-readable explanation (empty when the status says it all).
        verifier: Name of the verifier that produced this verdict (``"math"``, ``"code"``, ...).
        version: Version of that verifier; bumped whenever a verdict could change.
        details: Extra JSON-serialisable facts (e.g. sandbox layer, per-test results).
    """

    reward: float
    status: str
    extracted: str | None = None
    reason: str = ""
    verifier: str = ""
    version: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        """Whether the reward is 1."""
        return self.reward >= 1.0

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as a plain JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from :meth:`to_dict` output."""
        return cls(**data)
