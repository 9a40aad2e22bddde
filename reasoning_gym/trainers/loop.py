"""The loop every trainer shares: setup, rollout, actor update, evaluation, logging, checkpoints.

A trainer module (``sppo``, ``ppo``, ``grpo``, ``rloo``, ``remax``) writes its config and one
``_train_step(run, step) -> metrics``; :func:`run_training` runs it::

    run = setup(config, dist, critic=...)   # SFT warm start, models, optimizers, envs; resume if asked
    log {"step": 0, eval/...}               # held-out accuracy before training
    for step in range(run.start_step, config.run.steps + 1):
        metrics = train_step(run, step)     # the algorithm
        add eval/... every config.eval.every steps and after the last one
        log metrics                         # metrics.jsonl, TensorBoard, progress bar
        checkpoint every config.run.save_every steps and after the last one
    write reward_curve.png

Every trainer config has the fields ``policy, env, rollout, actor_optim, clip, eval, sft, run, fsdp``; a
trainer with a critic also has ``critic, critic_optim``, and one that may use a reference policy has ``kl``.
Under ``torchrun`` every rank draws the same global batch, samples and scores its slice, and the episodes
are gathered back (:mod:`reasoning_gym.trainers.distributed`); one process runs the same code unwrapped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from reasoning_gym.rollout import SamplingParams, encode_prompt, make_engine
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.config import save_config
from reasoning_gym.trainers.distributed import Distributed, init_distributed
from reasoning_gym.trainers.episodes import (
    Episode,
    Scorer,
    make_env,
    make_source,
    response_logprobs_of,
    sample_episodes,
    status_counts,
)
from reasoning_gym.trainers.evaluation import Evaluator
from reasoning_gym.trainers.losses import clipped_pg_loss, kl_penalty, masked_mean, token_kl
from reasoning_gym.trainers.metrics import (
    MetricsLogger,
    TrainResult,
    mean_metrics,
    speed_metrics,
    timed,
    write_reward_curve,
)
from reasoning_gym.trainers.modeling import (
    PackedBatch,
    load_critic,
    load_policy,
    make_optimizer,
    minibatches,
    optimizer_step,
    pack_batch,
    response_logprobs,
    scheduled_lr,
    seed_everything,
    set_lr,
)
from reasoning_gym.trainers.sft import warm_start

__all__ = [
    "Run",
    "collect",
    "draw_prompts",
    "kl_shaped_rewards",
    "outcome_step",
    "pack_episodes",
    "policy_logprobs",
    "reference_kl",
    "rollout",
    "rollout_metrics",
    "run_training",
    "setup",
    "sync_engine",
    "update_actor",
    "update_critic",
]

StepFn = Callable[["Run", int], dict[str, Any]]
#: ``loss_fn(rows, mini) -> (loss, metrics)`` for this rank's ``rows`` of the mini-batch ``mini``.
CriticLossFn = Callable[[Tensor, Tensor], tuple[Tensor, dict[str, float]]]


@dataclass
class Run:
    """Everything a step needs, built once by :func:`setup`. ``critic*`` are None without a critic."""

    config: Any
    dist: Distributed
    policy: Any
    tokenizer: Any
    actor_opt: torch.optim.Optimizer
    engine: Any
    source: Any
    scorer: Scorer
    evaluator: Evaluator | None = None
    logger: MetricsLogger | None = None  # rank 0 only
    start_step: int = 1
    critic: Any = None
    critic_tokenizer: Any = None
    critic_opt: torch.optim.Optimizer | None = None
    reference: Any = None  # frozen initial policy, only when config.kl.coef > 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        """Where this rank's models live."""
        return self.dist.device


def run_training(config: Any, train_step: StepFn, *, critic: bool) -> TrainResult:
    """Set up, evaluate, run ``train_step`` for ``config.run.steps`` steps with logging and checkpoints.

    Args:
        config: A trainer config (see the module docstring for the fields it must have).
        train_step: The algorithm: ``train_step(run, step)`` does one step and returns its metrics.
        critic: Load ``config.critic`` and give it an optimizer.
    """
    with init_distributed(config.run.device) as dist:
        run = setup(config, dist, critic=critic)
        try:
            if run.start_step == 1 and run.evaluator is not None:
                _log(run, {"step": 0, **run.evaluator(run)})
            for step in range(run.start_step, config.run.steps + 1):
                lrs = _schedule(run, step)
                metrics = {"step": step, **train_step(run, step), **lrs}
                last = step == config.run.steps
                if run.evaluator is not None and (last or step % config.eval.every == 0):
                    metrics.update(run.evaluator(run))
                _log(run, metrics)
                if last or (config.run.save_every and step % config.run.save_every == 0):
                    save(run, step)
        finally:
            _close(run)
    return TrainResult(Path(config.run.output_dir), config.run.steps, run.history)


def _schedule(run: Run, step: int) -> dict[str, float]:
    """Set this step's learning rates (``actor_optim``/``critic_optim`` schedules) and return them for the log."""
    lrs = {}
    for name, opt in (("actor", run.actor_opt), ("critic", run.critic_opt)):
        if opt is not None:
            lrs[f"{name}/lr"] = scheduled_lr(getattr(run.config, f"{name}_optim"), step, run.config.run.steps)
            set_lr(opt, lrs[f"{name}/lr"])
    return lrs


def _log(run: Run, metrics: dict[str, Any]) -> None:
    if run.logger is not None:
        run.logger.log(metrics)
    run.history.append(metrics)


def _close(run: Run) -> None:
    if hasattr(run.engine, "close"):  # a vLLM engine holds process-global state: only one may be open
        run.engine.close()
    run.scorer.close()
    run.source.close()
    if run.evaluator is not None:
        run.evaluator.close()
    if run.logger is not None:
        run.logger.close()
        title = f"{type(run.config).__name__.removesuffix('Config')} on {', '.join(run.config.env.ids)}"
        write_reward_curve(run.logger.path, run.logger.path.parent / "reward_curve.png", title=title)


# ---------------------------------------------------------------------------------------------------------
# Setup and checkpoints
# ---------------------------------------------------------------------------------------------------------


def setup(config: Any, dist: Distributed, *, critic: bool) -> Run:
    """Warm-start, load (and shard) models, build optimizers, envs and engine; restore a checkpoint if resuming."""
    _check_divisible(config, dist, critic)
    out = Path(config.run.output_dir)
    resume_from = ckpt.resume_point(out, config.run.resume)
    initial = warm_start(config, dist)  # before seeding: the cached warm start must not shift the RL seeds
    seed_everything(config.run.seed)
    policy, tokenizer = load_policy(_checkpointed(initial, resume_from, "policy"), dist.device)
    # The engine first: vLLM copies the weights from the unsharded model; HF keeps the (then sharded) object.
    engine = make_engine(config.rollout.engine, policy, tokenizer, batch_size=config.rollout.batch_size)
    dist.wrap(policy, config.fsdp)
    envs = [make_env(env_id, config.env.kwargs) for env_id in config.env.ids]
    run = Run(
        config, dist, policy, tokenizer, make_optimizer(policy, config.actor_optim), engine,
        source=make_source(envs, seed=config.run.seed, weights=config.env.weights or None),
        scorer=Scorer(_makers(config.env.ids, config.env.kwargs), config.env.num_workers),
        evaluator=Evaluator(config, envs) if config.eval.every else None,
    )  # fmt: skip
    if critic:
        run.critic, run.critic_tokenizer = load_critic(_checkpointed(config.critic, resume_from, "critic"), dist.device)
        dist.wrap(run.critic, config.fsdp)
        run.critic_opt = make_optimizer(run.critic, config.critic_optim)
    if getattr(config, "kl", None) is not None and config.kl.coef > 0:
        run.reference = _load_reference(initial, dist, config)
    if resume_from is not None:
        _restore(run, resume_from)
    if dist.is_main:
        save_config(config, out)
        resumed = run.start_step - 1 if resume_from is not None else None
        run.logger = MetricsLogger(out, resume_step=resumed, total_steps=config.run.steps)
    return run


def _check_divisible(config: Any, dist: Distributed, critic: bool) -> None:
    sizes = {"prompts_per_step": config.prompts_per_step}
    sizes["actor_optim.mini_batch_size"] = config.actor_optim.mini_batch_size
    if critic:
        sizes["critic_optim.mini_batch_size"] = config.critic_optim.mini_batch_size
    dist.check_divisible(**sizes)


def _checkpointed(model: Any, resume_from: Path | None, name: str) -> Any:
    """``model``'s config, pointing at the checkpoint's copy when resuming."""
    return model if resume_from is None else dataclasses.replace(model, path=str(resume_from / name))


def _makers(ids: tuple[str, ...], kwargs: dict[str, Any]) -> list[Callable[[], Any]]:
    return [lambda env_id=env_id: make_env(env_id, kwargs) for env_id in ids]


def _load_reference(initial: Any, dist: Distributed, config: Any) -> Any:
    """The frozen starting policy (after the SFT warm start) that the KL penalty pulls towards."""
    reference, _ = load_policy(initial, dist.device)
    reference.requires_grad_(False)
    dist.wrap(reference, config.fsdp)
    return reference


def save(run: Run, step: int) -> None:
    """Checkpoint the policy (and critic), optimizer states, data cursor and random states as ``checkpoint-STEP``."""
    state = {
        # Full states keyed by parameter name: a checkpoint resumes on any number of processes.
        "actor_optimizer": run.dist.optimizer_state_dict(run.policy, run.actor_opt),
        "data": run.source.state_dict(),
        "rng": ckpt.rng_state(),  # the global generators are identical on every rank
    }
    models = {"policy": (run.policy, run.tokenizer)}
    if run.critic is not None:
        state["critic_optimizer"] = run.dist.optimizer_state_dict(run.critic, run.critic_opt)
        models["critic"] = (run.critic, run.critic_tokenizer)
    run.dist.save_checkpoint(run.config.run.output_dir, step, models, state, keep_last=run.config.run.keep_last)


def _restore(run: Run, resume_from: Path) -> None:
    state = ckpt.load_trainer_state(resume_from)
    run.dist.load_optimizer_state_dict(run.policy, run.actor_opt, state["actor_optimizer"])
    if run.critic is not None:
        run.dist.load_optimizer_state_dict(run.critic, run.critic_opt, state["critic_optimizer"])
    run.source.load_state_dict(state["data"])
    ckpt.set_rng_state(state["rng"])
    run.start_step = state["step"] + 1


# ---------------------------------------------------------------------------------------------------------
# Rollout and the actor update
# ---------------------------------------------------------------------------------------------------------


def draw_prompts(run: Run, n: int) -> list[Episode]:
    """The next ``n`` prompts of the global batch (the same on every rank); too-long prompts are skipped."""
    limit = run.config.rollout.max_prompt_tokens
    return run.source.next_batch(n, keep=lambda messages: len(encode_prompt(run.tokenizer, messages)) <= limit)


def rollout(
    run: Run, step: int, prompts: list[Episode], times: dict[str, float], *, n: int = 1, greedy: bool = False
) -> list[Episode]:
    """Sample ``n`` responses per prompt (or decode greedily) and score them; returns the global episode list.

    Each rank samples and scores its slice of ``prompts`` with its own seed, then the slices are gathered.
    Seconds spent are added to ``times["time/generate"]`` and ``times["time/score"]``.
    """
    r = run.config.rollout
    seed = run.dist.rollout_seed(run.config.run.seed, step)
    params = SamplingParams(0.0 if greedy else r.temperature, r.top_p, r.max_new_tokens, n=n, seed=seed)
    with timed(times, "time/generate"), run.dist.unsharded(run.policy):
        local = sample_episodes(run.engine, run.dist.shard(prompts), params)
    with timed(times, "time/score"):
        run.scorer.score(local)
        return run.dist.gather(local)


def collect(
    run: Run, step: int, prompts: list[Episode], times: dict[str, float], *, n: int = 1
) -> tuple[list[Episode], PackedBatch, Tensor, Tensor]:
    """Sample and score ``n`` responses per prompt, pack them, and compute their log-probs under the policy.

    Returns:
        ``(episodes, batch, rewards [B], old_logp [B, T])``; ``old_logp`` is the denominator of the PPO ratio.
    """
    # Every rank draws the same global batch, samples and scores its own slice of it, then gathers.
    episodes = rollout(run, step, prompts, times, n=n)
    batch, rewards = pack_episodes(run, episodes)
    with timed(times, "time/old_logprobs"):
        old_logp = policy_logprobs(run, batch)
    return episodes, batch, rewards, old_logp


def pack_episodes(run: Run, episodes: list[Episode]) -> tuple[PackedBatch, Tensor]:
    """The episodes as a :class:`PackedBatch` of policy tokens, and their rewards ``[B]``."""
    samples = [e.sample for e in episodes]
    batch = pack_batch([s.prompt_ids for s in samples], [s.response_ids for s in samples], run.tokenizer.pad_token_id)
    return batch, torch.tensor([e.reward for e in episodes], dtype=torch.float32)


@torch.no_grad()
def policy_logprobs(run: Run, batch: PackedBatch, *, model: Any = None) -> Tensor:
    """Log-probs ``[B, T]`` of the sampled tokens under ``model`` (default: the current policy).

    Under the policy they are the "old" log-probs of the PPO ratio; under ``run.reference`` the KL target.
    Each rank computes its slice of the rows; every rank gets the whole tensor.
    """
    model = run.policy if model is None else model
    rows = run.dist.shard(torch.arange(batch.input_ids.shape[0])).split(run.config.actor_optim.micro_batch_size)
    temperature = run.config.rollout.temperature
    parts = [response_logprobs(model, batch.select(r).to(run.device), temperature=temperature) for r in rows]
    return run.dist.gather_rows(torch.cat(parts).cpu())


def kl_shaped_rewards(run: Run, rewards: Tensor, kl: Tensor | None) -> Tensor:
    """``R - beta * sum_t KL_t`` when the KL penalty goes into the reward; ``rewards`` unchanged otherwise."""
    if kl is None or not run.config.kl.in_reward:
        return rewards
    return rewards - run.config.kl.coef * kl.sum(-1)


def reference_kl(run: Run, batch: PackedBatch, old_logp: Tensor, times: dict[str, float]) -> tuple[Any, Any]:
    """``(ref_logp, per-token KL of the sampled tokens)`` with a reference policy, else ``(None, None)``."""
    if run.reference is None:
        return None, None
    with timed(times, "time/ref_logprobs"):
        ref_logp = policy_logprobs(run, batch, model=run.reference)
    return ref_logp, token_kl(old_logp, ref_logp, batch.response_mask, estimator=run.config.kl.estimator)


def update_actor(
    run: Run, batch: PackedBatch, old_logp: Tensor, advantages: Tensor, *, ref_logp: Tensor | None = None
) -> dict[str, float]:
    """Clipped PPO with per-token ratios over shuffled mini-batches and epochs (``config.actor_optim``).

    ``advantages`` is ``[B]`` (one per sequence, given to each of its tokens) or ``[B, T]`` (per token).
    With ``ref_logp`` and a KL coefficient not applied in the reward, ``coef * KL`` is added to the loss.
    """
    optim, clip, logs = run.config.actor_optim, run.config.clip, []
    kl = getattr(run.config, "kl", None)
    in_loss = ref_logp is not None and not kl.in_reward
    for mini in minibatches(len(advantages), optim.mini_batch_size, epochs=optim.epochs):
        mask = batch.response_mask[mini]
        # Normalized by the whole mini-batch, so the gradients summed over ranks are the mini-batch's.
        normalizer = mask.sum().clamp(min=1).item() if clip.agg == "token_mean" else len(mini)
        for rows in run.dist.shard(mini).split(optim.micro_batch_size):
            micro = batch.select(rows).to(run.device)
            logp = response_logprobs(run.policy, micro, temperature=run.config.rollout.temperature)
            loss, metrics = clipped_pg_loss(
                logp, old_logp[rows].to(run.device), advantages[rows].to(run.device), micro.response_mask,
                clip_low=clip.clip_low, clip_high=clip.clip_high, dual_clip=clip.dual_clip, agg=clip.agg,
                normalizer=normalizer,
            )  # fmt: skip
            if in_loss:
                kl_loss, kl_metrics = kl_penalty(
                    logp, ref_logp[rows].to(run.device), micro.response_mask, coef=kl.coef,
                    estimator=kl.estimator, agg=clip.agg, normalizer=normalizer,
                )  # fmt: skip
                loss, metrics = loss + kl_loss, {**metrics, **kl_metrics}
            loss.backward()
            logs.append(metrics)
        norm, stepped = optimizer_step(run.policy, run.actor_opt, optim.grad_clip)
        logs.append({"actor/grad_norm": norm, "actor/skipped_steps": float(not stepped)})
    sync_engine(run)
    return run.dist.mean_metrics(mean_metrics(logs))


def sync_engine(run: Run) -> None:
    """Load the updated policy weights into the rollout engine when it samples from its own copy (vLLM).

    The HF engine generates with the policy object itself, so there is nothing to copy.
    """
    if getattr(run.engine, "model", None) is run.policy:
        return
    run.engine.load_weights(run.dist.full_state_dict(run.policy, every_rank=True))


def update_critic(run: Run, num_rows: int, loss_fn: CriticLossFn) -> dict[str, float]:
    """Train ``run.critic`` over shuffled mini-batches and epochs of ``num_rows`` rows (``config.critic_optim``).

    ``loss_fn`` computes the loss of one micro-batch, normalized by the whole mini-batch so that the summed
    micro-batch (and rank) gradients are the mini-batch's.
    """
    optim, logs = run.config.critic_optim, []
    for mini in minibatches(num_rows, optim.mini_batch_size, epochs=optim.epochs):
        for rows in run.dist.shard(mini).split(optim.micro_batch_size):  # this rank's part of the mini-batch
            loss, metrics = loss_fn(rows, mini)
            loss.backward()
            logs.append(metrics)
        norm, stepped = optimizer_step(run.critic, run.critic_opt, optim.grad_clip)
        logs.append({"critic/grad_norm": norm, "critic/skipped_steps": float(not stepped)})
    return run.dist.mean_metrics(mean_metrics(logs))


#: ``baseline_fn(run, step, prompts, times) -> Tensor[num_prompts]``: a per-prompt reward baseline.
BaselineFn = Callable[[Run, int, list[Episode], dict[str, float]], Tensor]


def outcome_step(
    run: Run, step: int, advantage_fn: Callable[..., Tensor], *, n: int, baseline_fn: BaselineFn | None = None
) -> dict[str, Any]:
    """One step of a critic-free outcome-reward trainer (GRPO, RLOO, ReMax).

    Samples ``n`` responses per prompt, scores them, optionally subtracts ``beta * KL`` from the rewards
    (``kl.in_reward``), computes one advantage per response with ``advantage_fn(rewards, group_ids,
    baseline=...)`` (group ids say which prompt a response answers; ``baseline_fn`` gives a per-prompt
    baseline, e.g. ReMax's greedy reward) and runs the clipped-PPO update.
    """
    config, times = run.config, {}
    prompts = draw_prompts(run, config.prompts_per_step)
    episodes, batch, rewards, old_logp = collect(run, step, prompts, times, n=n)
    ref_logp, kl = reference_kl(run, batch, old_logp, times)
    groups = torch.tensor([e.group for e in episodes])
    baseline = None if baseline_fn is None else baseline_fn(run, step, prompts, times)[groups]
    advantages = advantage_fn(kl_shaped_rewards(run, rewards, kl), groups, baseline=baseline)
    with timed(times, "time/actor_update"):
        actor_metrics = update_actor(run, batch, old_logp, advantages, ref_logp=ref_logp)
    extra = {} if baseline is None else {"reward/baseline_mean": baseline.mean().item()}
    tokens, generated = batch.attention_mask.sum().item(), batch.response_mask.sum().item()
    return {
        **rollout_metrics(run, episodes, batch, old_logp, advantages),
        **extra,
        **actor_metrics,
        **speed_metrics(times, tokens=tokens, generated=generated),
    }


def rollout_metrics(
    run: Run, episodes: list[Episode], batch: PackedBatch, old_logp: Tensor, advantages: Tensor
) -> dict[str, float]:
    """What every trainer logs about a batch: reward, verdicts, lengths, advantages, sampler/trainer agreement."""
    engine_logp = response_logprobs_of(episodes, old_logp.shape[1])
    lengths = batch.response_mask.sum(-1).float()
    if advantages.dim() == 1:
        adv_mean, adv_abs = advantages.mean().item(), advantages.abs().mean().item()
    else:
        adv_mean = masked_mean(advantages, batch.response_mask).item()
        adv_abs = masked_mean(advantages.abs(), batch.response_mask).item()
    return {
        "reward/mean": sum(e.reward for e in episodes) / len(episodes),
        **status_counts(episodes),
        "response/length_mean": lengths.mean().item(),
        "response/truncated_frac": sum(e.sample.finish_reason == "length" for e in episodes) / len(episodes),
        "advantage/mean": adv_mean,
        "advantage/abs_mean": adv_abs,
        # Sampler vs trainer log-probs of the same tokens: ~0 for the HF engine; watch it for other engines.
        "rollout/logprob_diff": masked_mean((engine_logp - old_logp).abs(), batch.response_mask).item(),
        "prompts/skipped": float(run.source.skipped),
    }
