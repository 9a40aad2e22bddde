"""SPPO: Sequence-Level PPO with a decoupled, prompt-only critic.

Paper: T. Wang, Y. Li et al., "SPPO: Sequence-Level PPO for Long-Horizon Reasoning Tasks", arXiv:2604.08865
(ACL 2026). Not "Self-Play Preference Optimization".

Reasoning with a verifiable 0/1 reward is treated as a contextual bandit: the prompt is the context and the
whole response one action. A critic that sees only the prompt predicts V(s_p) = P(the current policy solves
it), and the advantage A = R - V(s_p) is given to every response token of a clipped PPO loss. One sample
per prompt suffices, where GRPO needs a group of N > 1.

One step, in the order of the official code:
  1. draw B prompts and sample one response each;
  2. recompute the responses' log-probs under the policy (the "old" policy of the PPO ratio);
  3. V(s_p) = sigmoid(critic logit at the last prompt token); the critic re-tokenizes the prompt with its
     own tokenizer, so it may be smaller than the policy or of another family;
  4. score the responses with the env's verifier: R in {0, 1};
  5. A = R - V(s_p): no gradient, no whitening, from the critic *before* it sees this batch;
  6. critic update: binary cross-entropy with logits against R;
  7. actor update: clipped PPO with per-token ratios (eps 0.2, dual clip 3.0, log-ratio clamped to +-20),
     token-mean, gradient norm clipped to 1.0.
No KL penalty, no entropy bonus, no reference model.

Rollouts with transformers ``generate`` or vLLM (``--rollout.engine vllm``). Under ``torchrun`` the
policy and critic are sharded with FSDP2 and each process samples, scores and trains on its slice of the
global batch (:mod:`reasoning_gym.trainers.distributed`); one process runs the same loop unwrapped.

The loop around the step (SFT warm start, held-out evaluation, metrics.jsonl, TensorBoard, checkpoints,
resuming) is shared by every trainer: :func:`reasoning_gym.trainers.loop.run_training`.

``rgym train`` runs SPPO on a CPU-sized preset (a tiny policy warm-started by SFT on easy arithmetic) that
learns in minutes. Run it on CPU with the built-in tiny models (learns nothing, exercises everything):
    python -m reasoning_gym.trainers.sppo --run.output_dir runs/sppo-tiny --run.steps 4 \\
        --prompts_per_step 8 --actor_optim.mini_batch_size 4 --critic_optim.mini_batch_size 4 \\
        --rollout.max_new_tokens 32 --critic.path tiny-qwen2
The same on 2 processes (gloo on CPU, NCCL on GPUs): ``torchrun --nproc_per_node 2 -m
reasoning_gym.trainers.sppo ...`` with the same flags; the global batch stays ``prompts_per_step``.
Paper settings for a 1.5B policy: ``--prompts_per_step 256 --actor_optim.mini_batch_size 128
--critic_optim.mini_batch_size 128 --critic_optim.lr 5e-6 --rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import torch

from reasoning_gym.models.batching import MicroBatch, TokenBatch
from reasoning_gym.rollout import encode_prompt
from reasoning_gym.trainers.advantages import get_advantage_fn
from reasoning_gym.trainers.config import (
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainerConfig,
    check_minibatch,
    parse_config,
)
from reasoning_gym.trainers.episodes import Episode
from reasoning_gym.trainers.loop import Run, run_training
from reasoning_gym.trainers.losses import bce_value_loss
from reasoning_gym.trainers.metrics import TrainResult, timed
from reasoning_gym.trainers.steps import (
    collect,
    draw_prompts,
    forward_rows,
    rollout_metrics,
    step_speed,
    update_actor,
    update_critic,
)

__all__ = ["Config", "SPPOConfig", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class SPPOConfig(TrainerConfig):
    """Sequence-Level PPO (arXiv 2604.08865): prompt-only critic, A = R - V(s_p), clipped token-ratio loss."""

    critic: ModelConfig = field(default_factory=ModelConfig)
    """Critic backbone: any causal LM; it gets a new scalar head and keeps its own tokenizer."""
    critic_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=5e-6, mini_batch_size=32))
    """Critic optimizer and batching."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/sppo"))
    prompts_per_step: int = 64
    """Prompts per step, one response each (the paper: 256 for a 1.5B policy, 512 for 7B)."""

    def __post_init__(self) -> None:
        for name in ("actor_optim", "critic_optim"):
            check_minibatch(self.prompts_per_step, "prompts_per_step", name, getattr(self, name).mini_batch_size)


Config = SPPOConfig


def train(config: SPPOConfig) -> TrainResult:
    """Train ``config.policy`` with SPPO for ``config.run.steps`` steps; see the module docstring."""
    return run_training(config, _train_step, critic=True)


def _train_step(run: Run, step: int) -> dict[str, Any]:
    config, times = run.config, {}
    # One response per prompt; old_logp: the sampling policy's log-probs, the denominator of the PPO ratio.
    data = collect(run, step, draw_prompts(run, config.prompts_per_step), times)
    with timed(times, "time/values"):
        prompts = _critic_inputs(run, data.episodes)
        values = torch.sigmoid(forward_rows(run, prompts, config.critic_optim, functools.partial(_prompt_logits, run)))
        run.dist.reshard(run.critic)
    # The advantage uses the critic *before* it learns from this batch's rewards.
    advantages = get_advantage_fn("sppo")(data.rewards, torch.arange(len(data.episodes)), baseline=values)
    with timed(times, "time/critic_update"):
        critic_metrics = _update_critic(run, prompts, data.rewards)
    with timed(times, "time/actor_update"):
        actor_metrics = update_actor(run, data.batch, data.old_logp, advantages)
    return {
        **rollout_metrics(run, data, advantages),
        "critic/value_before_update": values.mean().item(),
        **critic_metrics,
        **actor_metrics,
        **step_speed(data.batch, times),
    }


def _critic_inputs(run: Run, episodes: list[Episode]) -> TokenBatch:
    """The prompts re-tokenized with the critic's own tokenizer (rows without responses)."""
    limit = run.config.rollout.max_prompt_tokens
    ids = [encode_prompt(run.critic_tokenizer, e.messages)[-limit:] for e in episodes]
    return TokenBatch(ids, [[] for _ in ids], run.critic_tokenizer.pad_token_id)


def _prompt_logits(run: Run, micro: MicroBatch) -> torch.Tensor:
    """The critic's logit at each row's last prompt token, ``[b]``: V(s_p) = sigmoid of it."""
    logits = run.critic(micro.input_ids, micro.attention_mask, micro.position_ids)
    return micro.take_last_prompt(logits).float()


def _update_critic(run: Run, prompts: TokenBatch, rewards: torch.Tensor) -> dict[str, float]:
    """Binary cross-entropy between sigmoid(logit at the last prompt token) and the 0/1 reward."""
    packed = run.config.critic_optim.packing

    def loss_fn(rows: torch.Tensor, normalizer: float) -> tuple[torch.Tensor, dict[str, float]]:
        logits = _prompt_logits(run, prompts.micro(rows, packed=packed).to(run.device))
        return bce_value_loss(logits, rewards[rows].to(run.device), normalizer=normalizer)

    return update_critic(run, prompts.lengths, loss_fn)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into an :class:`SPPOConfig` and train."""
    train(parse_config(SPPOConfig, argv, prog="python -m reasoning_gym.trainers.sppo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
