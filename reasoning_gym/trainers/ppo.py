"""PPO with a token-level critic and GAE: the classic actor-critic baseline of the SPPO paper.

Paper: J. Schulman et al., "Proximal Policy Optimization Algorithms", arXiv:1707.06347 (2017), as applied to
language models by L. Ouyang et al., arXiv:2203.02155 (2022) and run in verl. The SPPO paper
(arXiv:2604.08865) uses it with GAE gamma = lambda = 1, critic learning rate 1e-5, 50 critic warm-up steps
and no KL, and argues its token-level credit assignment suffers from a "tail effect" on long reasoning.

The critic is a language model with a scalar head that reads the prompt *and* the response: ``V(s_t)`` is its
output at the position before response token ``t``, so it must use the policy's tokenizer. The 0/1 outcome
reward is placed on the last response token, and GAE turns rewards and values into per-token advantages
(with gamma = lambda = 1: ``A_t = R - V(s_t)``), whitened over the batch as in verl.

``--critic_loss bce`` is the paper's "PPO + BCE" control (Fig. 4): the same token-level critic and GAE, but
``V(s_t) = sigmoid(logit_t)`` trained with binary cross-entropy against the returns, as SPPO trains its
prompt-only critic; it tests whether the loss, rather than the sequence-level advantage, explains SPPO's gain.

One step: draw B prompts, sample one response each; old log-probs; values ``V(s_t)``; scores; token rewards
(minus ``beta * KL_t`` with ``--kl.coef`` and ``--kl.in_reward``); GAE advantages and returns; critic update
(clipped squared error, or cross-entropy, every step); actor update (clipped PPO with per-token ratios, eps
0.2, dual clip 3.0, token-mean; from step ``critic_warmup`` on, as in verl). The loop around it is
shared with every trainer (:func:`reasoning_gym.trainers.loop.run_training`).

Runs on one process or FSDP2 under ``torchrun``; rollouts with transformers ``generate`` or vLLM
(``--rollout.engine vllm``); learning-rate schedules from ``--actor_optim.schedule``.

CPU, tiny models: ``rgym train ppo`` (the CPU preset), or ``python -m reasoning_gym.trainers.ppo
--run.steps 4 --prompts_per_step 8 --actor_optim.mini_batch_size 4 --critic_optim.mini_batch_size 4
--rollout.max_new_tokens 32``. Several processes: ``torchrun --nproc_per_node 2 -m reasoning_gym.trainers.ppo
...``. Paper settings (1.5B): ``--prompts_per_step 256 --actor_optim.mini_batch_size 128
--critic_optim.mini_batch_size 256 --critic_optim.lr 1e-5 --critic_warmup 50 --rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.batching import MicroBatch, TokenBatch
from reasoning_gym.models.loading import load_tokenizer
from reasoning_gym.trainers.advantages import gae_advantages, masked_whiten, outcome_token_rewards
from reasoning_gym.trainers.config import (
    KLConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TrainerConfig,
    check,
    check_minibatch,
    parse_config,
)
from reasoning_gym.trainers.loop import Run, run_training
from reasoning_gym.trainers.losses import token_bce_value_loss, value_loss
from reasoning_gym.trainers.metrics import WEIGHT, TrainResult, timed
from reasoning_gym.trainers.steps import (
    collect,
    draw_prompts,
    forward_rows,
    reference_kl,
    rollout_metrics,
    step_speed,
    update_actor,
    update_critic,
)

__all__ = ["Config", "PPOConfig", "critic_outputs", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class PPOConfig(TrainerConfig):
    """PPO (arXiv 1707.06347) with a token-level critic over prompt and response, and GAE."""

    critic: ModelConfig = field(default_factory=ModelConfig)
    """Critic backbone: a causal LM with the policy's tokenizer; it gets a new scalar head."""
    critic_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-5, mini_batch_size=32))
    """Critic optimizer and batching."""
    critic_warmup: int = 0
    """The actor first updates at this (1-based) step; the steps before it train only the critic. As verl's
    ``critic_warmup``: 50 (the SPPO paper's PPO baseline) gives 49 critic-only steps; 0 and 1 give none."""
    value_clip: float | None = 0.5
    """Keep new values within this distance of the values at sampling time in the loss (none: no clip); mse only."""
    critic_loss: Literal["mse", "bce"] = "mse"
    """mse: V(s_t) is the critic's output, trained with the clipped squared error. bce: V(s_t) = sigmoid(output),
    trained with binary cross-entropy against the returns (the paper's PPO + BCE ablation; no value clip). A
    return outside [0, 1], which a KL penalty in the reward can cause, is clamped into it; gamma or lam below
    1 give soft targets inside [0, 1]."""
    gamma: float = 1.0
    """GAE discount."""
    lam: float = 1.0
    """GAE lambda."""
    whiten_advantages: bool = True
    """Normalise advantages to zero mean and unit variance over the batch's tokens (verl does)."""
    kl: KLConfig = field(default_factory=KLConfig)
    """Optional KL penalty towards the initial policy (off, as in the SPPO paper)."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/ppo"))
    prompts_per_step: int = 64
    """Prompts per step, one response each."""

    def __post_init__(self) -> None:
        for name in ("actor_optim", "critic_optim"):
            check_minibatch(self.prompts_per_step, "prompts_per_step", name, getattr(self, name).mini_batch_size)
        check(self.critic_warmup >= 0, f"critic_warmup must be >= 0, got {self.critic_warmup}.")
        check(
            0 <= self.gamma <= 1 and 0 <= self.lam <= 1,
            f"gamma and lam must be in [0, 1], got {self.gamma}, {self.lam}.",
        )


Config = PPOConfig


def train(config: PPOConfig) -> TrainResult:
    """Train ``config.policy`` with PPO for ``config.run.steps`` steps; see the module docstring.

    Raises:
        ConfigError: If the critic's tokenizer differs from the policy's (token values would not line up).
    """
    if load_tokenizer(config.critic.path).get_vocab() != load_tokenizer(config.policy.path).get_vocab():
        raise ConfigError(
            f"PPO's token-level critic must share the policy's tokenizer, but {config.critic.path!r} and "
            f"{config.policy.path!r} tokenize differently; use --critic.path {config.policy.path}."
        )
    return run_training(config, _train_step, critic=True)


def _train_step(run: Run, step: int) -> dict[str, Any]:
    config, times = run.config, {}
    data = collect(run, step, draw_prompts(run, config.prompts_per_step), times)
    batch = data.batch
    ref_logp, kl = reference_kl(run, batch, data.old_logp, times)
    with timed(times, "time/values"):
        values = _values(run, batch)
    token_rewards = outcome_token_rewards(data.rewards, batch.response_mask)
    if kl is not None and config.kl.in_reward:
        token_rewards = token_rewards - config.kl.coef * kl
    advantages, returns = gae_advantages(token_rewards, values, batch.response_mask, gamma=config.gamma, lam=config.lam)
    if config.whiten_advantages:
        advantages = masked_whiten(advantages, batch.response_mask)
    with timed(times, "time/critic_update"):
        metrics = _update_critic(run, batch, values, returns)
    if step >= config.critic_warmup:  # verl: the actor updates once critic_warmup <= global step
        with timed(times, "time/actor_update"):
            metrics.update(update_actor(run, batch, data.old_logp, advantages, ref_logp=ref_logp))
    return {
        **rollout_metrics(run, data, advantages),
        "critic/value_before_update": values[batch.response_mask.bool()].mean().item(),
        **metrics,
        **step_speed(batch, times),
    }


def critic_outputs(critic: Any, micro: MicroBatch) -> torch.Tensor:
    """A token-level critic's output ``[b, T_b]`` for each response token ``t``, at the position before it.

    It is ``V(s_t)`` itself for a critic trained with ``critic_loss="mse"`` and the logit of ``V(s_t)`` for
    one trained with ``"bce"``. ``micro`` must be on the critic's device.
    """
    return micro.take(critic(micro.input_ids, micro.attention_mask, micro.position_ids)).float()


def _token_values(run: Run, micro: MicroBatch) -> torch.Tensor:
    return critic_outputs(run.critic, micro)


def _values(run: Run, batch: TokenBatch) -> torch.Tensor:
    """``V(s_t)`` ``[B, T]`` of every response token (probabilities with ``critic_loss="bce"``), for GAE."""
    values = forward_rows(
        run, batch, run.config.critic_optim, lambda micro: _token_values(run, micro), width=batch.width
    )
    run.dist.reshard(run.critic)
    return torch.sigmoid(values) if run.config.critic_loss == "bce" else values


def _update_critic(run: Run, batch: TokenBatch, old_values: torch.Tensor, returns: torch.Tensor) -> dict[str, float]:
    """Clipped squared error (or cross-entropy) between ``V(s_t)`` and the GAE returns, token-mean per mini-batch."""
    packed = run.config.critic_optim.packing

    def loss_fn(rows: torch.Tensor, normalizer: float) -> tuple[torch.Tensor, dict[str, float]]:
        micro = batch.micro(rows, packed=packed).to(run.device)
        t = micro.width
        weight = {WEIGHT: float(micro.response_mask.sum())}  # token-mean metrics: weighted by tokens
        if run.config.critic_loss == "bce":
            targets = returns[rows, :t].to(run.device)
            loss, metrics = token_bce_value_loss(
                _token_values(run, micro), targets, micro.response_mask, normalizer=normalizer
            )
            return loss, {**metrics, **weight}
        loss, metrics = value_loss(
            _token_values(run, micro),
            old_values[rows, :t].to(run.device),
            returns[rows, :t].to(run.device),
            micro.response_mask,
            clip=run.config.value_clip,
            normalizer=normalizer,
        )
        return loss, {**metrics, **weight}

    return update_critic(run, batch.lengths, loss_fn, count=lambda rows: batch.response_mask[rows].sum().item())


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into a :class:`PPOConfig` and train."""
    train(parse_config(PPOConfig, argv, prog="python -m reasoning_gym.trainers.ppo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
