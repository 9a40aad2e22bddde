"""Exceptions raised by reasoning_gym.

Every error says what was wrong, where, and how to fix it. Errors about model output never appear here:
model output gets a recorded :class:`~reasoning_gym.verifiers.verdict.Verdict`, not an exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from gymnasium.error import ResetNeeded

__all__ = [
    "ConfigError",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "MissingDependencyError",
    "ModelLoadError",
    "ReasoningGymError",
    "ResetNeeded",
    "UnknownNameError",
    "VerifierUnavailableError",
    "close_matches",
]


class ReasoningGymError(Exception):
    """Base class of every error raised by reasoning_gym."""


class UnknownNameError(ReasoningGymError, KeyError):
    """An env id, verifier, estimator, loss or suite name that is not registered."""

    def __str__(self) -> str:  # KeyError would repr() the message and add quotes.
        return str(self.args[0]) if self.args else ""


class ConfigError(ReasoningGymError, ValueError):
    """An invalid configuration value."""


class DatasetNotFoundError(ReasoningGymError, FileNotFoundError):
    """A dataset file or hub dataset that cannot be found."""


class DatasetFormatError(ReasoningGymError, ValueError):
    """A malformed dataset row; the message names the file, the line and the field."""


class MissingDependencyError(ReasoningGymError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


class ModelLoadError(ReasoningGymError, OSError):
    """A model, critic or tokenizer that cannot be loaded (missing folder, hub unreachable, unknown architecture)."""


class VerifierUnavailableError(ReasoningGymError, RuntimeError):
    """A verifier could not start its workers or sandbox (fail closed: never score zeros instead)."""


def close_matches(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """Return up to ``n`` candidates that look like ``name`` (case-insensitive)."""
    candidates = list(candidates)
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]


def unknown_name(kind: str, name: str, valid: Iterable[str]) -> UnknownNameError:
    """Build an :class:`UnknownNameError` that lists close matches and the valid names."""
    valid = sorted(valid)
    near = close_matches(name, valid)
    hint = f" Did you mean {', '.join(repr(m) for m in near)}?" if near else ""
    return UnknownNameError(f"Unknown {kind} {name!r}.{hint} Valid {kind}s: {', '.join(valid) or '(none)'}.")


def require(module: str, extra: str, purpose: str):
    """Import ``module`` or raise :class:`MissingDependencyError` naming the pip extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{purpose} needs the optional package {module!r}, which is not installed. "
            f"Install it with: pip install 'rgym[{extra}]'"
        ) from exc
