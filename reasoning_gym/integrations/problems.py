"""An env's problems as plain records: chat prompt, gold answer, ids and what the verifier needs.

The common ground of the verl export and the TRL dataset. Prompts come from ``env.reset(options={"index":
i})`` (``info["messages"]``), exactly what our own trainers and harness send to a model, so a model trained
elsewhere sees the same prompts it is evaluated on here.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reasoning_gym.errors import ConfigError

__all__ = [
    "DEFAULT_PROCEDURAL_SIZE",
    "ExportedProblem",
    "iter_problems",
    "open_env",
    "problem_count",
    "verifier_identity",
]

#: Problems taken from a procedural env (which has no fixed size) when no limit is given.
DEFAULT_PROCEDURAL_SIZE = 1000


@dataclass(frozen=True)
class ExportedProblem:
    """One problem of an env, ready to be written out.

    Attributes:
        index: The problem's index in the env (``env.reset(options={"index": index})`` shows it again).
        env_id: The env's id.
        problem_id: The problem's stable id.
        messages: The chat prompt (one user message).
        answer: The gold answer (empty for code tasks, whose gold is their tests).
        verifier: Name of the env's verifier (``"math"``, ``"code"``, ``"countdown"``, ...).
        verifier_version: Its version, as recorded in every verdict.
        code: For code tasks, ``tests``, ``entry_point`` and ``setup_code`` of the code verifier; else None.
    """

    index: int
    env_id: str
    problem_id: str
    messages: list[dict[str, str]]
    answer: str
    verifier: str
    verifier_version: str
    code: dict[str, Any] | None = None


def open_env(env_id: str, split: str | None = None, env_kwargs: Mapping[str, Any] | None = None) -> Any:
    """Make ``env_id`` (with ``split`` where the env takes one) and return the Gymnasium env.

    Raises:
        UnknownNameError: The id is not registered.
        ConfigError: ``split`` was given to an env without splits, or the env is not a reasoning_gym env.
    """
    import reasoning_gym

    kwargs = dict(env_kwargs or {})
    if split is not None:
        cls = _env_class(env_id)
        if cls is None or "split" not in inspect.signature(cls.__init__).parameters:
            raise ConfigError(
                f"{env_id} has no split= argument; its problem set is fixed by its id (e.g. rg/GSM8KTrain-v0 "
                "for GSM8K's training split). Leave --split out."
            )
        kwargs["split"] = split
    env = reasoning_gym.make(env_id, **kwargs)
    if not hasattr(env.unwrapped, "get_problem") or not hasattr(env.unwrapped, "score_batch"):
        raise ConfigError(
            f"{env_id} is a plain Gymnasium env; exporting needs a reasoning_gym env (get_problem and score)."
        )
    return env


def _env_class(env_id: str) -> type | None:
    import gymnasium as gym
    from gymnasium.envs.registration import load_env_creator

    entry = gym.registry[env_id].entry_point
    cls = load_env_creator(entry) if isinstance(entry, str) else entry
    return cls if isinstance(cls, type) else None


def verifier_identity(env: Any) -> tuple[str, str]:
    """The name and version of an env's verifier, read from the verdict of an empty response to problem 0."""
    unwrapped = env.unwrapped
    verdict = unwrapped.score(unwrapped.get_problem(0), "")
    return verdict.verifier or type(unwrapped).__name__, verdict.version


def problem_count(env: Any, limit: int | None) -> int:
    """How many problems to take: all of a finite env (or ``limit``), ``limit`` or the default of a procedural one."""
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}.")
    try:
        size = len(env.unwrapped)
    except TypeError:  # procedural: unlimited
        return limit if limit is not None else DEFAULT_PROCEDURAL_SIZE
    return size if limit is None else min(size, limit)


def iter_problems(
    env_id: str, *, split: str | None = None, limit: int | None = None, env_kwargs: Mapping[str, Any] | None = None
) -> Iterator[ExportedProblem]:
    """Yield the first ``limit`` problems of ``env_id`` (all of a finite env; 1000 of a procedural one).

    Raises:
        ConfigError: ``split`` does not apply, or ``limit`` is not positive.
    """
    from reasoning_gym.envs.code import code_spec

    env = open_env(env_id, split, env_kwargs)
    verifier, version = verifier_identity(env)
    unwrapped = env.unwrapped
    for index in range(problem_count(env, limit)):
        prompt, info = env.reset(options={"index": index})
        problem = unwrapped.get_problem(index)
        yield ExportedProblem(
            index=index,
            env_id=env_id,
            problem_id=str(problem.id),
            messages=list(info.get("messages") or [{"role": "user", "content": prompt}]),
            answer=problem.answer,
            verifier=verifier,
            verifier_version=version,
            code=code_spec(problem) if verifier == "code" else None,
        )
