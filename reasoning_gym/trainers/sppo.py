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

Simplified here: rollouts with transformers ``generate``, constant learning rates. Under ``torchrun`` the
policy and critic are sharded with FSDP2 and each process samples, scores and trains on its slice of the
global batch (:mod:`reasoning_gym.trainers.distributed`); one process runs the same loop unwrapped.

Run it on CPU with the built-in tiny models (learns nothing, exercises everything):
    python -m reasoning_gym.trainers.sppo --run.output_dir runs/sppo-tiny --run.steps 4 \\
        --prompts_per_step 8 --actor_optim.mini_batch_size 4 --critic_optim.mini_batch_size 4 \\
        --rollout.max_new_tokens 32 --critic.path tiny-qwen2
The same on 2 processes (gloo on CPU, NCCL on GPUs): ``torchrun --nproc_per_node 2 -m
reasoning_gym.trainers.sppo ...`` with the same flags; the global batch stays ``prompts_per_step``.
Paper settings for a 1.5B policy: ``--prompts_per_step 256 --actor_optim.mini_batch_size 128
--critic_optim.mini_batch_size 128 --critic_optim.lr 5e-6 --rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from reasoning_gym.rollout import SamplingParams, encode_prompt, make_engine
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.advantages import get_advantage_fn
from reasoning_gym.trainers.config import (
    EnvConfig,
    FSDPConfig,
    ModelConfig,
    OptimConfig,
    PPOClipConfig,
    RolloutConfig,
    RunConfig,
    check,
    parse_config,
    save_config,
)
from reasoning_gym.trainers.distributed import Distributed, init_distributed
from reasoning_gym.trainers.episodes import (
    Episode,
    PromptSource,
    Scorer,
    make_env,
    response_logprobs_of,
    sample_episodes,
    status_counts,
)
from reasoning_gym.trainers.losses import bce_value_loss, clipped_pg_loss, masked_mean
from reasoning_gym.trainers.metrics import MetricsLogger, TrainResult, mean_metrics, speed_metrics, timed
from reasoning_gym.trainers.modeling import (
    PackedBatch,
    load_critic,
    load_policy,
    make_optimizer,
    minibatches,
    optimizer_step,
    pack_batch,
    pad_left,
    response_logprobs,
    seed_everything,
)

__all__ = ["SPPOConfig", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class SPPOConfig:
    """Sequence-Level PPO (arXiv 2604.08865): prompt-only critic, A = R - V(s_p), clipped token-ratio loss."""

    policy: ModelConfig = field(default_factory=ModelConfig)
    """The policy to train."""
    critic: ModelConfig = field(default_factory=ModelConfig)
    """Critic backbone: any causal LM; it gets a new scalar head and keeps its own tokenizer."""
    env: EnvConfig = field(default_factory=lambda: EnvConfig(kwargs={"split": "train"}))
    """Where prompts come from and how responses are scored."""
    rollout: RolloutConfig = field(default_factory=lambda: RolloutConfig(temperature=0.6))
    """Sampling (the paper samples at temperature 0.6)."""
    actor_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-6, mini_batch_size=32))
    """Policy optimizer and batching."""
    critic_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=5e-6, mini_batch_size=32))
    """Critic optimizer and batching."""
    clip: PPOClipConfig = field(default_factory=PPOClipConfig)
    """The clipped policy loss."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/sppo"))
    """Steps, seed, output folder, checkpoints."""
    fsdp: FSDPConfig = field(default_factory=FSDPConfig)
    """Sharding when launched with torchrun on several processes."""
    prompts_per_step: int = 64
    """Prompts per step, one response each (the paper: 256 for a 1.5B policy, 512 for 7B)."""

    def __post_init__(self) -> None:
        for name in ("actor_optim", "critic_optim"):
            size = getattr(self, name).mini_batch_size
            check(
                size <= self.prompts_per_step and self.prompts_per_step % size == 0,
                f"prompts_per_step ({self.prompts_per_step}) must be a multiple of {name}.mini_batch_size "
                f"({size}); change --{name}.mini_batch_size or --prompts_per_step.",
            )


@dataclass
class _Run:
    """Everything a step needs, built once by :func:`_setup`."""

    config: SPPOConfig
    dist: Distributed
    device: torch.device
    policy: Any
    tokenizer: Any
    critic: Any
    critic_tokenizer: Any
    actor_opt: torch.optim.Optimizer
    critic_opt: torch.optim.Optimizer
    engine: Any
    source: PromptSource
    scorer: Scorer
    logger: MetricsLogger | None  # rank 0 only
    start_step: int


def train(config: SPPOConfig) -> TrainResult:
    """Train ``config.policy`` with SPPO for ``config.run.steps`` steps; see the module docstring."""
    history = []
    with init_distributed(config.run.device) as dist:
        run = _setup(config, dist)
        try:
            for step in range(run.start_step, config.run.steps + 1):
                metrics = {"step": step, **_train_step(run, step)}
                if run.logger is not None:
                    run.logger.log(metrics)
                history.append(metrics)
                if step == config.run.steps or (config.run.save_every and step % config.run.save_every == 0):
                    _save(run, step)
        finally:
            run.scorer.close()
            run.source.env.close()
    return TrainResult(Path(config.run.output_dir), config.run.steps, history)


def _train_step(run: _Run, step: int) -> dict[str, Any]:
    config, times = run.config, {}
    with timed(times, "time/generate"):
        # Every rank draws the same global batch, then samples its own slice of it.
        prompts = run.source.next_batch(config.prompts_per_step, keep=lambda m: _prompt_fits(run, m))
        seed = run.dist.rollout_seed(config.run.seed, step)
        params = SamplingParams(
            config.rollout.temperature, config.rollout.top_p, config.rollout.max_new_tokens, seed=seed
        )
        with run.dist.unsharded(run.policy):
            local = sample_episodes(run.engine, run.dist.shard(prompts), params)
    with timed(times, "time/score"):
        run.scorer.score(local)
        episodes = run.dist.gather(local)
    samples = [e.sample for e in episodes]
    pad_id = run.tokenizer.pad_token_id
    batch = pack_batch([s.prompt_ids for s in samples], [s.response_ids for s in samples], pad_id)
    rewards = torch.tensor([e.reward for e in episodes], dtype=torch.float32)
    with timed(times, "time/old_logprobs"):
        old_logp = _policy_logprobs(run, batch)
    with timed(times, "time/values"):
        prompt_ids, prompt_mask = _critic_inputs(run, episodes)
        values = torch.sigmoid(_critic_logits(run, prompt_ids, prompt_mask))
    # The advantage uses the critic *before* it learns from this batch's rewards.
    advantages = get_advantage_fn("sppo")(rewards, torch.arange(len(episodes)), baseline=values)
    with timed(times, "time/critic_update"):
        critic_metrics = _update_critic(run, prompt_ids, prompt_mask, rewards)
    with timed(times, "time/actor_update"):
        actor_metrics = _update_actor(run, batch, old_logp, advantages)
    tokens, generated = batch.attention_mask.sum().item(), batch.response_mask.sum().item()
    return {
        **_batch_metrics(run, episodes, batch, old_logp, values, advantages),
        **critic_metrics,
        **actor_metrics,
        **speed_metrics(times, tokens=tokens, generated=generated),
    }


def _prompt_fits(run: _Run, messages: list) -> bool:
    return len(encode_prompt(run.tokenizer, messages)) <= run.config.rollout.max_prompt_tokens


@torch.no_grad()
def _policy_logprobs(run: _Run, batch: PackedBatch) -> torch.Tensor:
    """Log-probs of the sampled tokens under the current policy, the denominator of the PPO ratio.

    Each rank computes its slice of the rows; the result is the whole ``[B, T]`` tensor on every rank.
    """
    rows = run.dist.shard(torch.arange(batch.input_ids.shape[0])).split(run.config.actor_optim.micro_batch_size)
    temperature = run.config.rollout.temperature
    parts = [response_logprobs(run.policy, batch.select(r).to(run.device), temperature=temperature) for r in rows]
    return run.dist.gather_rows(torch.cat(parts).cpu())


def _critic_inputs(run: _Run, episodes: list[Episode]) -> tuple[torch.Tensor, torch.Tensor]:
    """The prompts re-tokenized with the critic's own tokenizer, left-padded (the last column is s_p's end)."""
    limit = run.config.rollout.max_prompt_tokens
    ids = [encode_prompt(run.critic_tokenizer, e.messages)[-limit:] for e in episodes]
    return pad_left(ids, run.critic_tokenizer.pad_token_id)


@torch.no_grad()
def _critic_logits(run: _Run, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    rows = run.dist.shard(torch.arange(ids.shape[0])).split(run.config.critic_optim.micro_batch_size)
    logits = [run.critic(ids[r].to(run.device), mask[r].to(run.device))[:, -1] for r in rows]
    return run.dist.gather_rows(torch.cat(logits).float().cpu())


def _update_critic(run: _Run, ids: torch.Tensor, mask: torch.Tensor, rewards: torch.Tensor) -> dict[str, float]:
    """Binary cross-entropy between sigmoid(logit at the last prompt token) and the 0/1 reward."""
    optim, logs = run.config.critic_optim, []
    for mini in minibatches(len(rewards), optim.mini_batch_size, epochs=optim.epochs):
        for rows in run.dist.shard(mini).split(optim.micro_batch_size):  # this rank's part of the mini-batch
            logits = run.critic(ids[rows].to(run.device), mask[rows].to(run.device))[:, -1].float()
            loss, metrics = bce_value_loss(logits, rewards[rows].to(run.device), normalizer=len(mini))
            loss.backward()
            logs.append(metrics)
        norm, stepped = optimizer_step(run.critic, run.critic_opt, optim.grad_clip)
        logs.append({"critic/grad_norm": norm, "critic/skipped_steps": float(not stepped)})
    return run.dist.mean_metrics(mean_metrics(logs))


def _update_actor(run: _Run, batch: PackedBatch, old_logp: torch.Tensor, advantages: torch.Tensor) -> dict[str, float]:
    """Clipped PPO on per-token ratios, every token of a response sharing its sequence advantage."""
    optim, clip, logs = run.config.actor_optim, run.config.clip, []
    for mini in minibatches(len(advantages), optim.mini_batch_size, epochs=optim.epochs):
        mask = batch.response_mask[mini]
        # Normalized by the whole mini-batch, so the gradients summed over ranks are the mini-batch's.
        normalizer = mask.sum().clamp(min=1).item() if clip.agg == "token_mean" else len(mini)
        for rows in run.dist.shard(mini).split(optim.micro_batch_size):
            micro = batch.select(rows).to(run.device)
            logp = response_logprobs(run.policy, micro, temperature=run.config.rollout.temperature)
            loss, metrics = clipped_pg_loss(
                logp,
                old_logp[rows].to(run.device),
                advantages[rows].to(run.device),
                micro.response_mask,
                clip_low=clip.clip_low,
                clip_high=clip.clip_high,
                dual_clip=clip.dual_clip,
                agg=clip.agg,
                normalizer=normalizer,
            )
            loss.backward()
            logs.append(metrics)
        norm, stepped = optimizer_step(run.policy, run.actor_opt, optim.grad_clip)
        logs.append({"actor/grad_norm": norm, "actor/skipped_steps": float(not stepped)})
    return run.dist.mean_metrics(mean_metrics(logs))


def _batch_metrics(
    run: _Run,
    episodes: list[Episode],
    batch: PackedBatch,
    old_logp: torch.Tensor,
    values: torch.Tensor,
    advantages: torch.Tensor,
) -> dict[str, float]:
    engine_logp = response_logprobs_of(episodes, old_logp.shape[1])
    lengths = batch.response_mask.sum(-1).float()
    return {
        "reward/mean": sum(e.reward for e in episodes) / len(episodes),
        **status_counts(episodes),
        "response/length_mean": lengths.mean().item(),
        "response/truncated_frac": sum(e.sample.finish_reason == "length" for e in episodes) / len(episodes),
        "critic/value_before_update": values.mean().item(),
        "advantage/mean": advantages.mean().item(),
        "advantage/abs_mean": advantages.abs().mean().item(),
        # Sampler vs trainer log-probs of the same tokens: ~0 for the HF engine; watch it for other engines.
        "rollout/logprob_diff": masked_mean((engine_logp - old_logp).abs(), batch.response_mask).item(),
        "prompts/skipped": float(run.source.skipped),
    }


def _setup(config: SPPOConfig, dist: Distributed) -> _Run:
    """Load (and shard) models, optimizers, env and engine; restore a checkpoint when resuming."""
    dist.check_divisible(
        prompts_per_step=config.prompts_per_step,
        **{"actor_optim.mini_batch_size": config.actor_optim.mini_batch_size},
        **{"critic_optim.mini_batch_size": config.critic_optim.mini_batch_size},
    )
    out = Path(config.run.output_dir)
    resume_from = ckpt.resume_point(out, config.run.resume)
    seed_everything(config.run.seed)
    device = dist.device
    policy_cfg, critic_cfg = config.policy, config.critic
    if resume_from is not None:
        policy_cfg = dataclasses.replace(policy_cfg, path=str(resume_from / "policy"))
        critic_cfg = dataclasses.replace(critic_cfg, path=str(resume_from / "critic"))
    policy, tokenizer = load_policy(policy_cfg, device)
    dist.wrap(policy, config.fsdp)
    engine = make_engine(config.rollout.engine, policy, tokenizer, batch_size=config.rollout.batch_size)
    critic, critic_tokenizer = load_critic(critic_cfg, device)
    dist.wrap(critic, config.fsdp)
    actor_opt, critic_opt = make_optimizer(policy, config.actor_optim), make_optimizer(critic, config.critic_optim)
    source = PromptSource(make_env(config.env.id, config.env.kwargs), seed=config.run.seed)
    scorer = Scorer(lambda: make_env(config.env.id, config.env.kwargs), config.env.num_workers)
    start_step = 1
    if resume_from is not None:
        state = ckpt.load_trainer_state(resume_from)
        dist.load_optimizer_state_dict(policy, actor_opt, state["actor_optimizer"])
        dist.load_optimizer_state_dict(critic, critic_opt, state["critic_optimizer"])
        source.load_state_dict(state["data"])
        ckpt.set_rng_state(state["rng"])
        start_step = state["step"] + 1
    logger = None
    if dist.is_main:
        save_config(config, out)
        logger = MetricsLogger(out, resume_step=start_step - 1 if resume_from is not None else None)
    return _Run(
        config, dist, device, policy, tokenizer, critic, critic_tokenizer, actor_opt, critic_opt, engine, source,
        scorer, logger, start_step,
    )  # fmt: skip


def _save(run: _Run, step: int) -> None:
    state = {
        # Full states keyed by parameter name: a checkpoint resumes on any number of processes.
        "actor_optimizer": run.dist.optimizer_state_dict(run.policy, run.actor_opt),
        "critic_optimizer": run.dist.optimizer_state_dict(run.critic, run.critic_opt),
        "data": run.source.state_dict(),
        "rng": ckpt.rng_state(),  # the global generators are identical on every rank
    }
    models = {"policy": (run.policy, run.tokenizer), "critic": (run.critic, run.critic_tokenizer)}
    run.dist.save_checkpoint(run.config.run.output_dir, step, models, state, keep_last=run.config.run.keep_last)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into an :class:`SPPOConfig` and train."""
    train(parse_config(SPPOConfig, argv, prog="python -m reasoning_gym.trainers.sppo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
