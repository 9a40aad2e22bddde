"""Named presets of ``rgym train``: the CPU demo, and the SPPO paper's GPU setups.

A preset is a set of dotted overrides (``{"actor_optim.lr": 1e-6, ...}``) applied to an algorithm's config
defaults, before ``--config`` and flags. ``rgym train --preset NAME`` picks one; without ``--preset`` the
built-in tiny models get ``cpu-demo`` and every other model ``paper-1.5b`` (a real model must never run with
the demo's learning rate of 3e-4 and 48 new tokens).

* ``cpu-demo`` -- a laptop-sized run on a built-in tiny model: SFT warm start on easy procedural arithmetic,
  then RL with held-out evaluation every 10 steps; learns in minutes on 2 CPU cores.
* ``paper-1.5b`` -- arXiv 2604.08865 section 4 for DeepSeek-R1-Distill-Qwen-1.5B (4 x A100): actor lr 1e-6
  constant, 1 epoch, weight decay 0.01, critic lr 5e-6, 256 prompts per step, mini-batch 128, temperature
  0.6, top-p 1.0, 8192 new tokens, prompts up to 1024 tokens, gradient clipping 1.0, no KL, no entropy.
* ``paper-7b`` -- the 7B run (4 x H100): weight decay 0.1, critic lr 1e-5, 512 prompts per step, mini-batch
  32, prompts up to 2048 tokens, actor CPU offload on (as in the paper's script), 200 steps.
* ``paper-7b-small-critic`` -- ``paper-7b`` with a DeepSeek-R1-Distill-Qwen-1.5B critic (the paper's best
  7B result, and 12.8 points less peak memory).

The critic of the paper presets is the policy's own model unless ``--critic`` names another. Baselines get
the paper's baseline settings: GRPO with N = 8, RLOO with N = 5 and ReMax, both with an in-reward KL of
0.001 (the paper's scripts), PPO with GAE and a 50-step critic warm-up. Mini-batches count responses, so
GRPO's and RLOO's are N times the prompt count the paper's verl scripts give (verl multiplies by N).
"""

from __future__ import annotations

from typing import Any

from reasoning_gym.errors import unknown_name
from reasoning_gym.models.config import is_tiny

__all__ = ["PAPER_MICRO_BATCH_TOKENS", "PRESETS", "default_preset", "preset_overrides"]

#: The demo's procedural env: two single-digit additions, with worked solutions for the SFT warm start.
DEMO_ENV_KWARGS = {"split": "train", "steps": 2, "digits": 1, "operations": "+"}

_DEMO: dict[str, Any] = {
    "policy.path": "tiny",
    "env.kwargs": DEMO_ENV_KWARGS,
    "sft.steps": 150,
    "sft.lr": 3e-3,
    "rollout.temperature": 0.3,
    "rollout.max_new_tokens": 48,
    "actor_optim.lr": 3e-4,
    "actor_optim.weight_decay": 0.0,
    "actor_optim.micro_batch_size": 64,
    "eval.every": 10,
    "eval.size": 200,
    "run.steps": 100,
    "run.save_every": 0,
}
_DEMO_CRITIC = {
    "critic.path": "tiny",
    "prompts_per_step": 128,
    "actor_optim.mini_batch_size": 64,
    "critic_optim.lr": 1e-3,
    "critic_optim.mini_batch_size": 64,
    "critic_optim.micro_batch_size": 64,
}
_CPU_DEMO: dict[str, dict[str, Any]] = {
    # Two passes over each batch and a cosine decay to 0: with one pass at a constant lr held-out accuracy
    # swung by up to 15 points between evaluations. A 300-step warm start and lr 1e-4: with 150 steps and
    # lr 3e-4 seeds ended between 70.5% and 86.5%, and a stronger start then collapsed at 3e-4 (0.89 -> 0.15).
    "sppo": {
        **_DEMO,
        **_DEMO_CRITIC,
        "sft.steps": 300,
        "actor_optim.lr": 1e-4,
        "actor_optim.epochs": 2,
        "actor_optim.schedule": "cosine",
        "run.steps": 150,
    },  # fmt: skip
    "ppo": {**_DEMO, **_DEMO_CRITIC, "critic_warmup": 5},
    "grpo": {**_DEMO, "prompts_per_step": 16, "actor_optim.mini_batch_size": 64},
    "rloo": {**_DEMO, "prompts_per_step": 24, "actor_optim.mini_batch_size": 60},
    "remax": {**_DEMO, "prompts_per_step": 128, "actor_optim.mini_batch_size": 64},
}
#: What cpu-demo sets that only fits its own env; ``--env`` drops these.
ENV_SPECIFIC = ("env.kwargs", "sft.steps")

#: Token budget of a forward/backward pass at paper scale: one 2048 + 8192-token sequence fits, and the padded
#: micro-batches of a long-tailed batch (median ~2k, some at 8k) waste < 10% (perf/padding_efficiency.py).
PAPER_MICRO_BATCH_TOKENS = 12288


def _paper(prompts: int, mini: int, prompt_tokens: int, weight_decay: float, steps: int) -> dict[str, Any]:
    """Settings every algorithm shares at paper scale (section 4 of the paper, verl defaults where silent)."""
    return {
        "env.id": "rg/DAPOMath17k-v0",
        "env.kwargs": {},
        "sft.steps": 0,
        "rollout.temperature": 0.6,
        "rollout.top_p": 1.0,
        "rollout.max_new_tokens": 8192,
        "rollout.max_prompt_tokens": prompt_tokens,
        "rollout.batch_size": 64 if prompt_tokens <= 1024 else 32,
        "prompts_per_step": prompts,
        "actor_optim.lr": 1e-6,
        "actor_optim.schedule": "constant",
        "actor_optim.warmup_steps": 0,
        "actor_optim.epochs": 1,
        "actor_optim.weight_decay": weight_decay,
        "actor_optim.grad_clip": 1.0,
        "actor_optim.mini_batch_size": mini,
        "actor_optim.max_tokens_per_micro_batch": PAPER_MICRO_BATCH_TOKENS,
        "eval.every": 0,  # evaluate checkpoints with `rgym eval --suite paper` (Avg@16 at 8k tokens)
        "run.steps": steps,
        "run.save_every": 20,
        "run.keep_last": 3,
    }


def _paper_algorithms(base: dict[str, Any], critic_lr: float, ppo_critic_mini: int) -> dict[str, dict[str, Any]]:
    mini, critic = (
        base["actor_optim.mini_batch_size"],
        {"critic_optim.max_tokens_per_micro_batch": PAPER_MICRO_BATCH_TOKENS},
    )
    in_reward_kl = {"kl.coef": 0.001, "kl.in_reward": True}
    return {
        "sppo": {**base, **critic, "critic_optim.lr": critic_lr, "critic_optim.mini_batch_size": mini},
        "ppo": {**base, **critic, "critic_optim.lr": 1e-5, "critic_optim.mini_batch_size": ppo_critic_mini,
                "critic_warmup": 50, "gamma": 1.0, "lam": 1.0},
        "grpo": {**base, "num_generations": 8, "actor_optim.mini_batch_size": 8 * mini},
        "rloo": {**base, **in_reward_kl, "num_generations": 5, "actor_optim.mini_batch_size": 5 * mini},
        "remax": {**base, **in_reward_kl},
    }  # fmt: skip


_PAPER_1_5B = {
    **_paper(prompts=256, mini=128, prompt_tokens=1024, weight_decay=0.01, steps=1000),
    "policy.path": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B",
}
_PAPER_7B = {
    **_paper(prompts=512, mini=32, prompt_tokens=2048, weight_decay=0.1, steps=200),
    "policy.path": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "fsdp.offload": True,
}

#: Preset name -> algorithm -> dotted overrides.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "cpu-demo": _CPU_DEMO,
    "paper-1.5b": _paper_algorithms(_PAPER_1_5B, critic_lr=5e-6, ppo_critic_mini=256),
    "paper-7b": _paper_algorithms(_PAPER_7B, critic_lr=1e-5, ppo_critic_mini=32),
    "paper-7b-small-critic": {
        name: {**overrides, "critic.path": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"}
        for name, overrides in _paper_algorithms(_PAPER_7B, critic_lr=1e-5, ppo_critic_mini=32).items()
        if name in ("sppo", "ppo")
    },
}


def default_preset(policy_path: str) -> str:
    """``cpu-demo`` for the built-in tiny models, ``paper-1.5b`` for every other model."""
    return "cpu-demo" if is_tiny(policy_path) else "paper-1.5b"


def preset_overrides(
    preset: str, algorithm: str, *, policy_path: str | None = None, with_env: bool = True
) -> dict[str, Any]:
    """The dotted overrides of ``preset`` for ``algorithm``.

    Args:
        preset: A :data:`PRESETS` name.
        algorithm: ``sppo``, ``ppo``, ``grpo``, ``rloo`` or ``remax``.
        policy_path: The policy the run trains, if given on the command line (a paper preset otherwise
            trains the paper's model); a paper preset's critic defaults to the policy.
        with_env: Keep the preset's env-specific entries (the caller drops them when ``--env`` is given).

    Raises:
        reasoning_gym.errors.UnknownNameError: For an unknown preset, or one that has no settings for the
            algorithm (``paper-7b-small-critic`` is for algorithms with a critic).
    """
    if preset not in PRESETS:
        raise unknown_name("preset", preset, PRESETS)
    table = PRESETS[preset]
    if algorithm not in table:
        raise unknown_name(f"algorithm for preset {preset}", algorithm, table)
    overrides = dict(table[algorithm])
    if preset != "cpu-demo":
        overrides["policy.path"] = policy_path or overrides["policy.path"]
        if algorithm in ("sppo", "ppo"):
            overrides.setdefault("critic.path", overrides["policy.path"])
    if not with_env:
        drop = ENV_SPECIFIC if preset == "cpu-demo" else ("env.id", "env.kwargs")
        overrides = {k: v for k, v in overrides.items() if k not in drop}
    return overrides
