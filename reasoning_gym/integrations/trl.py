"""TRL: an env as a ``datasets.Dataset`` with TRL's ``prompt`` column, and a reward function with TRL's signature.

Example:
    >>> from trl import GRPOConfig, GRPOTrainer  # doctest: +SKIP
    >>> from reasoning_gym.integrations.trl import reward_function, to_hf_dataset
    >>> trainer = GRPOTrainer(model=..., reward_funcs=reward_function("rg/GSM8K-v0"),
    ...                       train_dataset=to_hf_dataset("rg/GSM8KTrain-v0"), args=GRPOConfig(...))  # doctest: +SKIP

The reward function grades every completion with the env's own verifier (the math verifier in its worker
processes, the code verifier in its sandbox pool), the same verdicts our trainers and harness compute.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reasoning_gym.errors import ConfigError, require
from reasoning_gym.integrations.problems import iter_problems, open_env

__all__ = ["VerifierReward", "completion_text", "reward_function", "to_hf_dataset"]


def to_hf_dataset(env_id: str, split: str | None = None, limit: int | None = None, **env_kwargs: Any) -> Any:
    """The problems of ``env_id`` as a ``datasets.Dataset`` for TRL.

    Columns: ``prompt`` (conversational: a list with one user message), ``answer`` (the gold answer; empty for
    code), ``problem_id``, ``env_id`` and ``index`` (the problem's index, which the reward function grades by).

    Args:
        env_id: A registered env id, e.g. ``"rg/GSM8KTrain-v0"``.
        split: ``"train"`` or ``"test"`` for envs that take a split (procedural envs, MBPP).
        limit: Only the first ``limit`` problems (a procedural env gives 1000 when not set).
        **env_kwargs: Further keyword arguments of the env (e.g. ``steps=2`` for rg/Arithmetic-v0); pass the
            same ones to :func:`reward_function`.

    Raises:
        MissingDependencyError: The ``datasets`` package is missing.
    """
    datasets = require("datasets", "hub", "reasoning_gym.integrations.trl.to_hf_dataset")
    rows = [
        {"prompt": p.messages, "answer": p.answer, "problem_id": p.problem_id, "env_id": p.env_id, "index": p.index}
        for p in iter_problems(env_id, split=split, limit=limit, env_kwargs=env_kwargs)
    ]
    return datasets.Dataset.from_list(rows)


def completion_text(completion: Any) -> str:
    """The text of one TRL completion: a string, or conversational messages (their assistant contents joined)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    parts = []
    for message in completion:
        if message.get("role", "assistant") != "assistant":
            continue
        content = message.get("content") or ""
        if not isinstance(content, str):  # a list of typed parts: keep the text ones
            content = "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
        parts.append(content)
    return "\n".join(parts)


class VerifierReward:
    """A TRL reward function: ``reward(prompts, completions, index=[...], **columns) -> list[float]``.

    Each completion is graded, by the env's own verifier, against the problem its row's ``index`` names
    (the dataset's ``problem_id`` and ``env_id`` columns are checked, so rows of another env or of a
    differently built env fail loudly instead of being graded against the wrong problem).

    Attributes:
        env_id: The env whose verifier grades.
        status_counts: Verdict statuses of every completion graded so far (for logging).
        last_verdicts: The verdicts of the last call, in order.
    """

    def __init__(self, env_id: str, split: str | None = None, **env_kwargs: Any) -> None:
        self.env_id = env_id
        self.__name__ = "rgym_verdict"  # TRL logs rewards/<__name__>/mean
        self._env = open_env(env_id, split, env_kwargs).unwrapped
        self.status_counts: Counter[str] = Counter()
        self.last_verdicts: list[Any] = []
        self._lock = threading.Lock()

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        *,
        index: Sequence[int] | None = None,
        problem_id: Sequence[str] | None = None,
        env_id: Sequence[str] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        **_: Any,
    ) -> list[float]:
        """Grade ``completions`` (one per prompt); ``index`` etc. are the dataset's columns, repeated per completion."""
        if index is None:
            raise ConfigError(
                "The reward function needs the dataset's 'index' column (TRL passes every dataset column to reward "
                "functions); build the dataset with reasoning_gym.integrations.trl.to_hf_dataset."
            )
        if len(index) != len(completions):
            raise ValueError(f"got {len(completions)} completions but {len(index)} indices; pass one per completion.")
        problems = [self._problem(i, k, problem_id, env_id) for k, i in enumerate(index)]
        verdicts = self._env.score_batch(problems, [completion_text(c) for c in completions])
        batch = Counter(v.status for v in verdicts)
        with self._lock:
            self.status_counts.update(batch)
            self.last_verdicts = list(verdicts)
            seen = list(self.status_counts)
        if log_metric is not None:  # TRL averages each logged value over the step: log every known status
            for status in seen:
                log_metric(f"verdict/{status}", float(batch.get(status, 0)))
        return [float(v.reward) for v in verdicts]

    def _problem(self, i: int, k: int, problem_ids: Sequence[str] | None, env_ids: Sequence[str] | None) -> Any:
        if env_ids is not None and env_ids[k] != self.env_id:
            raise ConfigError(
                f"Row {k} comes from {env_ids[k]!r}, but this reward function grades {self.env_id!r}; use one reward "
                "function per env (or filter the dataset)."
            )
        problem = self._env.get_problem(int(i))
        if problem_ids is not None and str(problem.id) != str(problem_ids[k]):
            raise ConfigError(
                f"{self.env_id} problem {i} is {problem.id!r} here but {problem_ids[k]!r} in the dataset; build the "
                "reward function with the same split and env kwargs as to_hf_dataset."
            )
        return problem


def reward_function(env_id: str, split: str | None = None, **env_kwargs: Any) -> VerifierReward:
    """A TRL reward function that grades with ``env_id``'s verifier (pass what :func:`to_hf_dataset` got).

    The function keeps the verdict status counts (``.status_counts``) and, where TRL offers ``log_metric``,
    logs each status's count per step as ``verdict/<status>``.
    """
    return VerifierReward(env_id, split, **env_kwargs)
