"""Supervised warm start: fine-tune the policy on an env's reference solutions before RL.

RL with a 0/1 reward learns only from responses that are sometimes right, and a randomly initialised tiny
model never is. A few hundred steps of supervised fine-tuning on the procedural envs' worked solutions
(``Problem.solution``, which the verifier accepts) give a policy that is right some of the time, which RL
can then improve.

Data: prompts are drawn exactly like RL prompts (same envs, same chat template), each followed by its
reference solution and the tokenizer's EOS token. The loss is the mean negative log-likelihood of the
response tokens only (token-mean); AdamW at a constant learning rate, no weight decay, gradient norm
clipped to 1.0.

Cache: the fine-tuned model is saved under ``$REASONING_GYM_CACHE/sft/<hash>`` (default
``~/.cache/reasoning_gym/sft``), where the hash covers the model, the env ids and kwargs, the SFT settings
and the seed; a second run with the same settings loads it at once. Under ``torchrun`` rank 0 trains and
the other ranks wait for the cached folder.

Run it on its own: ``rgym train sppo --sft-only --sft.steps 300`` prints the folder of the warm-started
model (the flags are those of the trainer's config).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.batching import TokenBatch
from reasoning_gym.models.loading import load_policy, resolve_model_path
from reasoning_gym.models.logprobs import response_logprobs
from reasoning_gym.models.tiny import _default_cache, build_folder_atomically
from reasoning_gym.rollout import encode_prompt
from reasoning_gym.trainers.config import ModelConfig, OptimConfig
from reasoning_gym.trainers.episodes import Episode, make_env, make_source
from reasoning_gym.trainers.optim import make_optimizer, optimizer_step

__all__ = ["SFT_FORMAT_VERSION", "sft_cache_dir", "train_sft", "warm_start"]

#: Bump when the data, loss or saved layout changes, so stale warm starts are not reused.
SFT_FORMAT_VERSION = 1
#: Sequences per forward/backward pass; gradients accumulate over the rest of the batch.
MICRO_BATCH = 16


def warm_start(config: Any, dist: Any = None) -> ModelConfig:
    """Return the model config RL starts from: ``config.policy``, or its SFT warm start when ``config.sft.steps``.

    Args:
        config: A trainer config (its ``policy``, ``env``, ``sft``, ``rollout`` and ``run`` fields are used).
        dist: The run's :class:`~reasoning_gym.trainers.distributed.Distributed`; rank 0 trains, the others wait.

    Returns:
        ``config.policy`` with ``path`` pointing at the fine-tuned folder (unchanged without SFT).
    """
    if config.sft.steps == 0:
        return config.policy
    out = sft_cache_dir(config) if config.sft.cache else Path(config.run.output_dir) / "sft"
    reuse = config.sft.cache and (out / "config.json").exists()
    if dist is None or dist.is_main:
        if reuse:
            print(f"SFT warm start: reusing {out} (cached)", flush=True)
        else:
            train_sft(config, out, device=dist.device if dist is not None else "cpu")
    if dist is not None:
        dist.barrier()
    return config.policy.saved_at(out)


def sft_cache_dir(config: Any) -> Path:
    """The cache folder of ``config``'s warm start: a hash of everything that determines its weights."""
    sft = dataclasses.asdict(config.sft)
    sft.pop("cache")
    recipe = {
        "version": SFT_FORMAT_VERSION,
        "model": _model_fingerprint(config.policy),
        "env": {"ids": config.env.ids, "kwargs": config.env.kwargs, "weights": config.env.weights},
        "sft": sft,
        "seed": config.run.seed,
        "max_new_tokens": config.rollout.max_new_tokens,
    }
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]
    return _default_cache() / "sft" / digest


def _model_fingerprint(model: ModelConfig) -> dict[str, Any]:
    """The model's resolved path and dtype, plus file sizes and times for a local folder (retrained in place)."""
    path = resolve_model_path(model.path)
    files = {}
    if Path(path).is_dir():
        for f in sorted(Path(path).iterdir()):
            if f.is_file():
                stat = f.stat()
                files[f.name] = [stat.st_size, stat.st_mtime_ns]
    return {"path": str(Path(path).resolve()) if files else path, "dtype": model.dtype, "files": files}


def train_sft(config: Any, out_dir: str | os.PathLike, *, device: torch.device | str = "cpu") -> dict[str, float]:
    """Fine-tune ``config.policy`` on reference solutions and save it (with its tokenizer) to ``out_dir``.

    The folder is written atomically (temporary folder, then rename).

    Returns:
        ``{"sft/loss_first", "sft/loss_last", "sft/seconds"}``, also saved as ``out_dir/sft.json``.

    Raises:
        ConfigError: If an env has no reference solutions (then use ``--sft.steps 0``).
    """
    start = time.perf_counter()
    torch.manual_seed(config.run.seed)
    policy, tokenizer = load_policy(config.policy, device)
    optimizer = make_optimizer(policy, OptimConfig(lr=config.sft.lr, weight_decay=0.0))
    envs = [make_env(env_id, config.env.kwargs) for env_id in config.env.ids]
    # Its own seed stream, so SFT prompts differ from the RL prompts drawn with run.seed.
    source = make_source(envs, seed=config.run.seed + 7919, weights=config.env.weights or None)
    losses = []
    try:
        for _ in range(config.sft.steps):
            episodes = source.next_batch(config.sft.batch_size)
            examples = [_example(envs, tokenizer, e, config.rollout.max_new_tokens) for e in episodes]
            losses.append(_sft_step(policy, optimizer, tokenizer, examples, device))
    finally:
        source.close()
    metrics = {"sft/loss_first": losses[0], "sft/loss_last": losses[-1], "sft/seconds": time.perf_counter() - start}
    _save_atomically(policy, tokenizer, metrics, Path(out_dir))
    print(
        f"SFT warm start: {config.sft.steps} steps, loss {losses[0]:.3f} -> {losses[-1]:.3f} in "
        f"{metrics['sft/seconds']:.0f}s; saved to {out_dir}",
        flush=True,
    )
    return metrics


def _example(envs: list, tokenizer: Any, episode: Episode, max_tokens: int) -> tuple[list[int], list[int]]:
    """Prompt ids and reference-solution ids (ending in EOS) of one problem."""
    env = envs[episode.key.env]
    _, info = env.reset(**episode.key.reset_kwargs())
    getter = getattr(env.unwrapped, "get_problem", None)
    problem = getter(info["index"]) if getter is not None and "index" in info else None
    if problem is None or not getattr(problem, "solution", None):
        raise ConfigError(
            f"The SFT warm start needs reference solutions, but {env.spec.id if env.spec else env} has none for "
            f"its problems; use an env with worked solutions (e.g. rg/Arithmetic-v0) or --sft.steps 0."
        )
    response = tokenizer(problem.solution + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    return encode_prompt(tokenizer, episode.messages), response[:max_tokens]


def _sft_step(policy: Any, optimizer: Any, tokenizer: Any, examples: list, device: Any) -> float:
    """One optimizer step of token-mean NLL over the response tokens of ``examples``."""
    batch = TokenBatch([p for p, _ in examples], [r for _, r in examples], tokenizer.pad_token_id)
    tokens = batch.response_mask.sum().clamp(min=1).item()
    total = 0.0
    for rows in torch.arange(len(examples)).split(MICRO_BATCH):
        micro = batch.micro(rows).to(device)
        logp = response_logprobs(policy, micro)
        # Summed, then divided by the whole batch's tokens: the exact token-mean over all micro-batches.
        loss = -(logp * micro.response_mask).sum() / tokens
        loss.backward()
        total += loss.item()
    optimizer_step(policy, optimizer, 1.0)
    return total


def _save_atomically(policy: Any, tokenizer: Any, metrics: dict[str, float], out: Path) -> None:
    def write(tmp: Path) -> None:
        policy.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / "sft.json").write_text(json.dumps(metrics, indent=2) + "\n")

    if out.exists():  # an uncached run's own folder, retrained
        shutil.rmtree(out)
    build_folder_atomically(out, write)
