"""Held-out evaluation during training: accuracy on a fixed problem set, logged as ``eval/accuracy``.

The problems are the same in every evaluation and every run with the same settings (the first indices of a
finite env, fixed seeds of a procedural one; :func:`~reasoning_gym.trainers.episodes.fixed_keys`), decoded
greedily by default, so the curve measures the policy and not the draw. Under ``torchrun`` each rank
decodes a strided share and the episodes are gathered.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import torch

from reasoning_gym.rollout import SamplingParams
from reasoning_gym.trainers.episodes import Episode, Scorer, accepts_split, fixed_keys, make_env, sample_episodes
from reasoning_gym.trainers.metrics import timed
from reasoning_gym.trainers.steps import generation, tensor_parallel_place

__all__ = ["Evaluator"]


class Evaluator:
    """Accuracy on a fixed set of held-out problems, decoded greedily (``config.eval``), sharded over ranks.

    Without ``eval.id`` each training env is evaluated on ``split="test"`` when its class takes a ``split``
    argument (the procedural envs: disjoint from training), else on the same env (with a warning).

    Call it with a :class:`~reasoning_gym.trainers.loop.Run` to evaluate the run's current policy.

    Args:
        config: The trainer config.
        train_envs: The training envs (one per ``config.env.ids``), to check for a split argument.
    """

    def __init__(self, config: Any, train_envs: list[Any]) -> None:
        self.config = config
        if config.eval.id is not None:
            specs = [(config.eval.id, dict(config.eval.kwargs or {}))]
        else:
            specs = [(i, self._held_out_kwargs(i, e)) for i, e in zip(config.env.ids, train_envs)]
        self.names = [env_id for env_id, _ in specs]
        envs = [make_env(env_id, kwargs) for env_id, kwargs in specs]
        self.episodes = [e for which, env in enumerate(envs) for e in self._episodes(env, which)]
        for env in envs:
            env.close()
        self.scorer = Scorer([lambda i=i, k=k: make_env(i, k) for i, k in specs])

    def _held_out_kwargs(self, env_id: str, env: Any) -> dict[str, Any]:
        if self.config.eval.kwargs is not None:
            return dict(self.config.eval.kwargs)
        if accepts_split(env):
            return {**self.config.env.kwargs, "split": "test"}
        warnings.warn(
            f"{env_id} has no split argument, so eval/accuracy is measured on training problems; give a "
            "held-out env with --eval.id.",
            stacklevel=3,
        )
        return dict(self.config.env.kwargs)

    def _episodes(self, env: Any, which: int) -> list[Episode]:
        episodes = []
        for key in fixed_keys(env, self.config.eval.size):
            key = dataclasses.replace(key, env=which)
            prompt, info = env.reset(**key.reset_kwargs())
            messages = list(info.get("messages") or [{"role": "user", "content": prompt}])
            episodes.append(Episode(key=key, prompt=prompt, messages=messages))
        return episodes

    @torch.no_grad()
    def __call__(self, run: Any) -> dict[str, float]:
        """Generate, score and return ``eval/accuracy`` (plus ``eval/<env id>/accuracy`` for several envs)."""
        cfg, times, inner = self.config.eval, {}, {}
        params = SamplingParams(cfg.temperature, 1.0, cfg.max_new_tokens or self.config.rollout.max_new_tokens, seed=0)
        with timed(times, "time/eval"):
            # Strided, not contiguous, shards: any number of problems splits over any number of ranks.
            group, groups, first = tensor_parallel_place(run)
            local = self.episodes[group::groups]
            with generation(run, inner):  # its own keys: the step's time/generate must not be overwritten
                local = sample_episodes(run.engine, local, params)
            local = local if first else []
            self.scorer.score(local)
            episodes = run.dist.gather(local)
        metrics = {"eval/accuracy": _mean([e.reward for e in episodes])}
        metrics["eval/response_length"] = _mean([len(e.sample.response_ids) for e in episodes])
        if len(self.names) > 1:
            for which, name in enumerate(self.names):
                metrics[f"eval/{name}/accuracy"] = _mean([e.reward for e in episodes if e.key.env == which])
        inner = {k.replace("/", "/eval_", 1): v for k, v in inner.items() if k.startswith("time/weight_sync")}
        return {**metrics, **times, **inner}

    def close(self) -> None:
        """Close the scoring envs."""
        self.scorer.close()


def _mean(values: list[float]) -> float:
    return sum(values) / max(len(values), 1)
