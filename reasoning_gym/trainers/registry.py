"""A tiny name -> function registry with loud duplicates and helpful unknown names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from reasoning_gym.errors import unknown_name

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    """Maps names to functions that share one signature.

    Args:
        kind: What the entries are, e.g. ``"advantage estimator"``; used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, F] = {}

    def register(self, name: str) -> Callable[[F], F]:
        """Return a decorator that registers a function under ``name``.

        Raises:
            ValueError: If ``name`` is already registered (silent overwrites hide bugs).
        """

        def decorator(fn: F) -> F:
            if name in self._entries:
                raise ValueError(
                    f"{self.kind} {name!r} is already registered (by {self._entries[name].__qualname__}); "
                    "pick another name."
                )
            self._entries[name] = fn
            return fn

        return decorator

    def get(self, name: str) -> F:
        """Return the function registered under ``name``.

        Raises:
            reasoning_gym.errors.UnknownNameError: If no such name exists; the message lists the valid names.
        """
        try:
            return self._entries[name]
        except KeyError:
            raise unknown_name(self.kind, name, self._entries) from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries
