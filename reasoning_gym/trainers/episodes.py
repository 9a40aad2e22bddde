"""From environment to scored episodes: drawing prompts, sampling responses, scoring them.

Shared by every trainer. It relies only on the plain Gymnasium API -- ``reset(seed=..., options=...)`` and
``step(text)`` -- plus ``info.get("messages")`` when an env provides a chat form of its prompt (otherwise the
prompt string becomes one user message), so envs written against plain Gymnasium work with every trainer.

* :class:`PromptSource` draws problems reproducibly. A finite env (one with ``len(env.unwrapped)``) is walked
  in a fresh shuffled order each epoch through ``reset(options={"index": i})``; a procedural env is reset
  with a new seed per problem. Each problem is remembered as a :class:`ProblemKey`, and its cursor can be
  checkpointed. :class:`MixedPromptSource` draws from several envs in turn or by weight
  (:func:`make_source` picks the right one).
* :class:`Scorer` grades responses. Each sample is scored on its own env copy by resetting to the sample's
  key and stepping with the response, so G samples of one prompt are scored independently. ``num_workers``
  threads each own one env copy; the math verifier hands work to worker processes, so threads do run in
  parallel.
"""

from __future__ import annotations

import dataclasses
import inspect
import queue
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from reasoning_gym.rollout.base import Message, RolloutEngine, Sample, SamplingParams

__all__ = [
    "Episode",
    "MixedPromptSource",
    "ProblemKey",
    "PromptSource",
    "Scorer",
    "accepts_split",
    "fixed_keys",
    "make_env",
    "make_source",
    "response_logprobs_of",
    "sample_episodes",
    "status_counts",
]


def make_env(env_id: str, kwargs: dict[str, Any] | None = None) -> gym.Env:
    """Create an env by id through reasoning_gym's registry (any Gymnasium-registered id works).

    Raises:
        reasoning_gym.errors.ConfigError: If the env does not take one of ``kwargs`` (says which to change).
    """
    import reasoning_gym
    from reasoning_gym.errors import ConfigError

    try:
        return reasoning_gym.make(env_id, **(kwargs or {}))
    except TypeError as err:
        if "unexpected keyword argument" not in str(err):
            raise
        if "exclude_overlap_with" in str(err):
            raise ConfigError(
                f"{env_id} cannot drop overlapping problems (exclude_overlap_with, --decontaminate-against): only "
                "dataset envs such as rg/DAPOMath17k-v0 can; leave it out for this env."
            ) from err
        raise ConfigError(
            f"{env_id} does not accept the env kwargs {kwargs} ({err}); set --env.kwargs (or --eval.kwargs) to "
            "arguments it takes, e.g. '{}'."
        ) from err


def accepts_split(env: gym.Env) -> bool:
    """Whether the env's class takes a ``split`` argument (then ``split="test"`` gives held-out problems)."""
    import inspect

    return "split" in inspect.signature(type(env.unwrapped).__init__).parameters


@dataclass(frozen=True)
class ProblemKey:
    """How to reset an env to one problem again: by ``index`` (finite envs) or by ``seed``.

    ``env`` says which env of a :class:`MixedPromptSource` (0 for a single env).
    """

    index: int | None = None
    seed: int | None = None
    env: int = 0

    def reset_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``env.reset`` that reproduce this problem."""
        if self.index is not None:
            return {"options": {"index": self.index}}
        return {"seed": self.seed}


@dataclass
class Episode:
    """One prompt and, once sampled and scored, its response and reward.

    Attributes:
        key: The problem, reproducible with ``env.reset(**key.reset_kwargs())``.
        prompt: The observation ``reset`` returned.
        messages: Chat form of the prompt (``info["messages"]`` or one user message).
        group: Index of the prompt within its batch (samples of one prompt share it).
        sample: The sampled response, with token ids and log-probs.
        reward: The env's reward.
        status: The verdict status (``info["verdict"]["status"]``); envs without verdicts get ``"correct"``
            for reward >= 1 and ``"wrong"`` otherwise.
        info: The ``info`` dict ``step`` returned.
    """

    key: ProblemKey
    prompt: str
    messages: list[Message]
    group: int = 0
    sample: Sample | None = None
    reward: float = 0.0
    status: str = ""
    info: dict[str, Any] = field(default_factory=dict)


class PromptSource:
    """Draws problems from an env reproducibly; ``state_dict`` / ``load_state_dict`` checkpoint its cursor.

    Args:
        env: The env to draw from (it is reset once per drawn problem).
        seed: Seeds both the shuffling of finite envs and the per-problem seeds of procedural ones.
    """

    def __init__(self, env: gym.Env, *, seed: int = 0) -> None:
        self.env = env
        self.seed = seed
        try:
            self.size: int | None = len(env.unwrapped)
        except TypeError:  # procedural: no fixed number of problems
            self.size = None
        self.epoch, self.position, self.skipped = 0, 0, 0
        self._order: tuple[int, np.ndarray] | None = None  # (epoch, shuffled indices) cache

    def next_batch(self, n: int, keep: Callable[[list[Message]], bool] | None = None) -> list[Episode]:
        """Return ``n`` fresh episodes; prompts for which ``keep(messages)`` is False are skipped and counted.

        Raises:
            RuntimeError: If far more prompts were rejected than accepted (e.g. all are too long).
        """
        episodes: list[Episode] = []
        rejected = 0
        while len(episodes) < n:
            key = self._next_key()
            prompt, info = self.env.reset(**key.reset_kwargs())
            messages = list(info.get("messages") or [{"role": "user", "content": prompt}])
            if keep is not None and not keep(messages):
                rejected += 1
                if rejected > 10 * n + (self.size or 0):
                    raise RuntimeError(
                        f"{rejected} prompts were rejected while drawing a batch of {n} (e.g. longer than "
                        "max_prompt_tokens); raise --rollout.max_prompt_tokens or use another env."
                    )
                continue
            episodes.append(Episode(key=key, prompt=prompt, messages=messages, group=len(episodes)))
        self.skipped += rejected
        return episodes

    def _next_key(self) -> ProblemKey:
        if self.size is None:
            self.position += 1
            # A hash of (seed, draw number): distinct, reproducible seeds that do not overlap across runs.
            return ProblemKey(seed=int(np.random.SeedSequence([self.seed, self.position]).generate_state(1)[0]))
        if self.position >= self.size:
            self.epoch, self.position = self.epoch + 1, 0
        if self._order is None or self._order[0] != self.epoch:
            self._order = (self.epoch, np.random.default_rng([self.seed, self.epoch]).permutation(self.size))
        self.position += 1
        return ProblemKey(index=int(self._order[1][self.position - 1]))

    def state_dict(self) -> dict[str, int]:
        """The cursor: epoch, position within it, and prompts skipped so far."""
        return {"epoch": self.epoch, "position": self.position, "skipped": self.skipped}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restore a cursor saved by :meth:`state_dict`."""
        self.epoch, self.position, self.skipped = state["epoch"], state["position"], state["skipped"]

    def close(self) -> None:
        """Close the env."""
        self.env.close()


class MixedPromptSource:
    """Draws each prompt from one of several envs: in turn (round robin), or at random with ``weights``.

    Each env has its own :class:`PromptSource`; episodes carry the env's position in ``key.env``, which is
    how a :class:`Scorer` built with the same envs grades them.

    Args:
        envs: The envs to draw from.
        seed: Seeds each env's source and the weighted choice.
        weights: Relative weight of each env; ``None`` or empty takes the envs in turn.
    """

    def __init__(self, envs: Sequence[gym.Env], *, seed: int = 0, weights: Sequence[float] | None = None) -> None:
        if weights and len(weights) != len(envs):
            raise ValueError(f"got {len(weights)} weights for {len(envs)} envs; give one weight per env.")
        seeds = [int(np.random.SeedSequence([seed, i]).generate_state(1)[0]) for i in range(len(envs))]
        self.sources = [PromptSource(env, seed=s) for env, s in zip(envs, seeds)]
        self.seed, self.draws = seed, 0
        self.weights = np.asarray(weights, dtype=float) / np.sum(weights) if weights else None

    @property
    def skipped(self) -> int:
        """Prompts skipped so far, over all envs."""
        return sum(s.skipped for s in self.sources)

    def next_batch(self, n: int, keep: Callable[[list[Message]], bool] | None = None) -> list[Episode]:
        """Return ``n`` fresh episodes, each from the env whose turn (or weighted draw) it is."""
        episodes = []
        for _ in range(n):
            self.draws += 1
            if self.weights is None:
                which = (self.draws - 1) % len(self.sources)
            else:  # a function of (seed, draw number), so a resumed run draws the same envs
                which = int(np.random.default_rng([self.seed, self.draws]).choice(len(self.sources), p=self.weights))
            (episode,) = self.sources[which].next_batch(1, keep)
            key = dataclasses.replace(episode.key, env=which)
            episodes.append(dataclasses.replace(episode, key=key, group=len(episodes)))
        return episodes

    def state_dict(self) -> dict[str, Any]:
        """Every env's cursor and the number of draws so far."""
        return {"draws": self.draws, "sources": [s.state_dict() for s in self.sources]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore cursors saved by :meth:`state_dict`."""
        self.draws = state["draws"]
        for source, sub in zip(self.sources, state["sources"], strict=True):
            source.load_state_dict(sub)

    def close(self) -> None:
        """Close every env."""
        for source in self.sources:
            source.close()


def make_source(
    envs: Sequence[gym.Env], *, seed: int = 0, weights: Sequence[float] | None = None
) -> PromptSource | MixedPromptSource:
    """A :class:`PromptSource` for one env, a :class:`MixedPromptSource` for several."""
    if len(envs) == 1:
        return PromptSource(envs[0], seed=seed)
    return MixedPromptSource(envs, seed=seed, weights=weights)


def fixed_keys(env: gym.Env, size: int, *, salt: int = 0xE7A1) -> list[ProblemKey]:
    """The same ``size`` problems of ``env`` on every call: its first indices, or fixed seeds if procedural.

    A finite env smaller than ``size`` gives all of its problems.
    """
    try:
        return [ProblemKey(index=i) for i in range(min(size, len(env.unwrapped)))]
    except TypeError:  # procedural
        return [ProblemKey(seed=int(np.random.SeedSequence([salt, i]).generate_state(1)[0])) for i in range(size)]


class Scorer:
    """Scores responses by resetting an env copy to each episode's problem and stepping with the response.

    Args:
        make: Creates one env copy (called once per worker); a list of makers for episodes of several envs,
            indexed by ``episode.key.env``.
        num_workers: Threads scoring in parallel; 0 scores in the calling thread.
    """

    def __init__(self, make: Callable[[], gym.Env] | Sequence[Callable[[], gym.Env]], num_workers: int = 0) -> None:
        makers = list(make) if isinstance(make, Sequence) else [make]
        self._envs: queue.Queue[list[gym.Env]] = queue.Queue()
        for _ in range(max(num_workers, 1)):
            self._envs.put([m() for m in makers])
        self._pool = ThreadPoolExecutor(num_workers, thread_name_prefix="score") if num_workers else None
        self._background: ThreadPoolExecutor | None = None  # submit()'s thread when there is no pool

    def submit(self, episodes: Sequence[Episode]) -> Future:
        """Score ``episodes`` in the background (while more are being generated); the future holds no value.

        Uses the worker threads, or one background thread when ``num_workers`` is 0; the math and code
        verifiers grade in worker processes, so background scoring really runs beside generation.
        """
        if self._pool is None and self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="score")
        return (self._pool or self._background).submit(self.score_sequentially, list(episodes))

    def score_sequentially(self, episodes: Sequence[Episode]) -> None:
        """Score ``episodes`` one after the other in the calling thread."""
        for episode in episodes:
            self._score_one(episode)

    def score(self, episodes: Sequence[Episode]) -> None:
        """Fill in ``reward``, ``status`` and ``info`` of each episode (whose ``sample`` must be set)."""
        if self._pool is None:
            for episode in episodes:
                self._score_one(episode)
        else:
            list(self._pool.map(self._score_one, episodes))  # list() re-raises worker exceptions

    def _score_one(self, episode: Episode) -> None:
        if episode.sample is None:
            raise ValueError("Episode has no sample to score; generate a response first.")
        envs = self._envs.get()
        try:
            env = envs[episode.key.env]
            env.reset(**episode.key.reset_kwargs())
            _, reward, _, _, info = env.step(episode.sample.text)
        finally:
            self._envs.put(envs)
        episode.reward, episode.info = float(reward), dict(info)
        verdict = info.get("verdict")
        status = verdict.get("status") if isinstance(verdict, dict) else None
        episode.status = status or ("correct" if reward >= 1 else "wrong")

    def close(self) -> None:
        """Stop the threads and close every env copy."""
        for pool in (self._pool, self._background):
            if pool is not None:
                pool.shutdown()
        while not self._envs.empty():
            for env in self._envs.get():
                env.close()


def sample_episodes(
    engine: RolloutEngine,
    prompts: Sequence[Episode],
    params: SamplingParams,
    *,
    on_done: Callable[[list[Episode]], Any] | None = None,
) -> list[Episode]:
    """Sample ``params.n`` responses per prompt episode; returns one episode per sample, prompt-major.

    Samples of one prompt share its ``key`` and ``group``, which is what group-baseline estimators need.
    ``on_done`` receives episodes as soon as the engine finishes them (engines whose ``generate`` takes an
    ``on_done`` callback report early; others once, at the end); the same objects are returned.
    """
    made: dict[int, Episode] = {}

    def finished(samples: list[Sample]) -> None:
        episodes = [dataclasses.replace(prompts[s.prompt_index], sample=s) for s in samples]
        made.update({id(s): e for s, e in zip(samples, episodes)})
        if on_done is not None and episodes:
            on_done(episodes)

    messages = [p.messages for p in prompts]
    if on_done is not None and "on_done" in inspect.signature(engine.generate).parameters:
        samples = engine.generate(messages, params, on_done=finished)
    else:
        samples = engine.generate(messages, params)
        finished(samples)
    return [made[id(s)] for s in samples]


def response_logprobs_of(episodes: Sequence[Episode], width: int) -> torch.Tensor:
    """The sampler's log-probs as a right-padded ``[B, width]`` tensor (zeros on padding)."""
    out = torch.zeros(len(episodes), width)
    for row, episode in enumerate(episodes):
        out[row, : len(episode.sample.logprobs)] = torch.tensor(episode.sample.logprobs)
    return out


def status_counts(episodes: Sequence[Episode]) -> dict[str, int]:
    """``{"verdict/<status>": count}`` over the episodes."""
    return {f"verdict/{status}": n for status, n in sorted(Counter(e.status for e in episodes).items())}
