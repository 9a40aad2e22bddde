"""The pieces of a training step every trainer shares: rollout, forward passes over rows, updates, metrics.

Forward passes over a step's rows never run on the whole batch at once. Each pass (old log-probs, values,
the actor and critic updates) follows a :class:`~reasoning_gym.models.batching.MicroPlan` built from the
model's ``OptimConfig``: rows spread over ranks with balanced token loads, cut into micro-batches of at
most ``max_tokens_per_micro_batch`` tokens (or ``micro_batch_size`` rows), each padded only to its own
longest row or packed without padding. Losses divide by the whole mini-batch's token (or row) count, so
the gradient is the mini-batch's exact token-mean whatever the cut.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from reasoning_gym.models.batching import MicroBatch, MicroPlan, TokenBatch, plan_micro_batches
from reasoning_gym.models.logprobs import response_logprobs
from reasoning_gym.rollout import SamplingParams, encode_prompt
from reasoning_gym.trainers.advantages import broadcast_to_tokens, kl_to_go
from reasoning_gym.trainers.config import OptimConfig
from reasoning_gym.trainers.episodes import Episode, response_logprobs_of, sample_episodes, status_counts
from reasoning_gym.trainers.losses import clipped_pg_loss, kl_penalty, masked_mean, micro_normalizer, token_kl
from reasoning_gym.trainers.metrics import WEIGHT, mean_metrics, speed_metrics, timed
from reasoning_gym.trainers.optim import minibatches, optimizer_step

if TYPE_CHECKING:
    from reasoning_gym.trainers.loop import Run

__all__ = [
    "Rollouts",
    "collect",
    "draw_prompts",
    "forward_rows",
    "generation",
    "kl_shaped_rewards",
    "micro_normalizers",
    "micro_plan",
    "outcome_step",
    "own_weights",
    "policy_logprobs",
    "reference_kl",
    "rollout",
    "rollout_metrics",
    "sync_engine",
    "token_batch",
    "update_actor",
    "update_critic",
]

#: ``loss_fn(micro_rows, normalizer) -> (loss, metrics)``: the loss of this rank's ``micro_rows``, summed and
#: divided by ``normalizer`` (see :func:`micro_normalizers`).
CriticLossFn = Callable[[Tensor, float], tuple[Tensor, dict[str, float]]]


@dataclass
class Rollouts:
    """A step's scored samples and what the policy says about them.

    Attributes:
        episodes: One scored episode per sampled response, on every rank.
        batch: Their token rows.
        rewards: ``[B]`` rewards.
        old_logp: ``[B, T]`` log-probs under the sampling policy (the PPO ratio's denominator).
        entropy: ``[B, T]`` the policy's entropy at each response position.
    """

    episodes: list[Episode]
    batch: TokenBatch
    rewards: Tensor
    old_logp: Tensor
    entropy: Tensor


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
    group, groups, first = tensor_parallel_place(run)
    seed = run.dist.rollout_seed(run.config.run.seed, step, group=group)
    params = SamplingParams(0.0 if greedy else r.temperature, r.top_p, r.max_new_tokens, n=n, seed=seed)
    shard = prompts[group * len(prompts) // groups : (group + 1) * len(prompts) // groups]
    pending: list[Future] = []
    # Finished responses go to the verifier while the rest are generating (a tensor-parallel group's ranks
    # sample the same responses: its first rank alone scores and keeps them).
    overlap = run.device.type == "cuda" if r.overlap_scoring is None else r.overlap_scoring
    early = (lambda episodes: pending.append(run.scorer.submit(episodes))) if overlap and first else None
    with generation(run, times):
        local = sample_episodes(run.engine, shard, params, on_done=early)
    local = local if first else []
    with timed(times, "time/score"):  # what scoring adds after generation ends
        if early is None:
            run.scorer.score(local)
        for future in pending:
            future.result()  # re-raises a scoring error
        return run.dist.gather(local)


def tensor_parallel_place(run: Run) -> tuple[int, int, bool]:
    """This rank's data-parallel rollout group, the number of groups, and whether it is its group's first rank.

    Tensor-parallel vLLM engines span ``rollout.tensor_parallel_size`` ranks, which sample the same prompts
    together; with any other engine every rank is a group of its own.
    """
    size = run.config.rollout.tensor_parallel_size if run.config.rollout.engine == "vllm" else 1
    return run.dist.rank // size, run.dist.world_size // size, run.dist.rank % size == 0


@contextlib.contextmanager
def generation(run: Run, times: dict[str, float]) -> Iterator[None]:
    """Ready the engine for sampling and put it back afterwards (time in ``times["time/generate"]``).

    The HF engine samples from the policy itself: its parameters are gathered for the block. An engine with
    its own weights (vLLM) needs no gathered policy: it gets the current weights if they changed (streamed,
    ``time/weight_sync``), samples, and goes to sleep again (its weights are then discarded).
    """
    if own_weights(run):
        if run.engine_stale:
            with timed(times, "time/weight_sync"):
                sync_engine(run)
        try:
            with timed(times, "time/generate"):
                yield
        finally:
            if hasattr(run.engine, "sleep"):  # engines with a sleep mode (any RolloutEngine is welcome here)
                run.engine.sleep()
            run.engine_stale = run.engine_stale or bool(getattr(run.engine, "asleep", ()))
        return
    with timed(times, "time/generate"), run.dist.unsharded(run.policy):
        yield


def own_weights(run: Run) -> bool:
    """Whether the rollout engine samples from a copy of the weights of its own (vLLM) rather than the policy."""
    return getattr(run.engine, "model", None) is not run.policy


def collect(run: Run, step: int, prompts: list[Episode], times: dict[str, float], *, n: int = 1) -> Rollouts:
    """Sample and score ``n`` responses per prompt, and compute their log-probs and entropy under the policy."""
    episodes = rollout(run, step, prompts, times, n=n)
    batch = token_batch(run, episodes)
    with timed(times, "time/old_logprobs"):
        old_logp, entropy = policy_logprobs(run, batch, with_entropy=True)
    rewards = torch.tensor([e.reward for e in episodes], dtype=torch.float32)
    return Rollouts(episodes, batch, rewards, old_logp, entropy)


def token_batch(run: Run, episodes: list[Episode]) -> TokenBatch:
    """The episodes' prompts and responses as policy-token rows."""
    samples = [e.sample for e in episodes]
    return TokenBatch([s.prompt_ids for s in samples], [s.response_ids for s in samples], run.tokenizer.pad_token_id)


def micro_plan(run: Run, rows: Tensor, lengths: Tensor, optim: OptimConfig) -> MicroPlan:
    """How ``rows`` are spread over the ranks and cut into micro-batches under ``optim``'s limits."""
    budget = optim.max_tokens_per_micro_batch
    return plan_micro_batches(
        rows, lengths, world_size=run.dist.world_size, max_rows=None if budget else optim.micro_batch_size,
        max_tokens=budget, packed=optim.packing,
    )  # fmt: skip


def micro_normalizers(
    run: Run, optim: OptimConfig, mini: Tensor, plan: list[Tensor], count: Callable[[Tensor], float]
) -> list[float]:
    """The loss denominator of each of this rank's micro-batches ``plan`` of the mini-batch ``mini``.

    ``count(rows)`` is what the loss averages over in ``rows`` (tokens or sequences); ``optim.loss_agg`` picks
    how micro-batch losses add up (:func:`micro_normalizer`), so that the gradients summed over micro-batches
    and ranks are the mini-batch's.
    """
    mini_count, parts = count(mini), len(plan) * run.dist.world_size
    return [
        micro_normalizer(optim.loss_agg, mini_count=mini_count, micro_count=count(rows), micro_batches=parts)
        for rows in plan
    ]


@torch.no_grad()
def forward_rows(
    run: Run, batch: TokenBatch, optim: OptimConfig, fn: Callable[[MicroBatch], Tensor], *, width: int | None = None
) -> Tensor:
    """``fn`` over every row of ``batch``, micro-batch by micro-batch, each rank its share; all rows on every rank.

    Args:
        run: The run.
        batch: The rows.
        optim: Whose micro-batch limits and packing apply.
        fn: Maps a micro-batch (on the run's device) to ``[b, T_b, ...]`` per-token or ``[b, ...]`` per-row outputs.
        width: For per-token outputs, the step's ``T`` to right-pad each micro-batch's ``T_b`` to.

    Returns:
        ``[B, ...]`` on the CPU, in row order.
    """
    plan = micro_plan(run, torch.arange(len(batch)), batch.lengths, optim)
    parts = []
    for rows in plan.local(run.dist.rank):
        out = fn(batch.micro(rows, packed=optim.packing).to(run.device)).float()
        if width is not None:
            out = torch.nn.functional.pad(out, (0, 0) * (out.dim() - 2) + (0, width - out.shape[1]))
        parts.append(out.cpu())
    return run.dist.gather_planned(torch.cat(parts), plan, len(batch))


def policy_logprobs(
    run: Run, batch: TokenBatch, *, model: Any = None, with_entropy: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Log-probs ``[B, T]`` of the sampled tokens under ``model`` (default: the current policy).

    Under the policy they are the "old" log-probs of the PPO ratio; under ``run.reference`` the KL target.
    With ``with_entropy`` also the policy's entropy at each position, ``[B, T]``.
    """
    model = run.policy if model is None else model
    temperature = run.config.rollout.temperature

    def fn(micro: MicroBatch) -> Tensor:
        out = response_logprobs(model, micro, temperature=temperature, with_entropy=with_entropy)
        return torch.stack(out, dim=-1) if with_entropy else out

    out = forward_rows(run, batch, run.config.actor_optim, fn, width=batch.width)
    run.dist.reshard(model)
    return (out[..., 0], out[..., 1]) if with_entropy else out


def kl_shaped_rewards(run: Run, rewards: Tensor, kl: Tensor | None) -> Tensor:
    """``R - beta * sum_t KL_t`` when the KL penalty goes into the reward; ``rewards`` unchanged otherwise."""
    if kl is None or not run.config.kl.in_reward:
        return rewards
    return rewards - run.config.kl.coef * kl.sum(-1)


def reference_kl(run: Run, batch: TokenBatch, old_logp: Tensor, times: dict[str, float]) -> tuple[Any, Any]:
    """``(ref_logp, per-token KL of the sampled tokens)`` with a reference policy, else ``(None, None)``."""
    if run.reference is None:
        return None, None
    with timed(times, "time/ref_logprobs"):
        ref_logp = policy_logprobs(run, batch, model=run.reference)
    return ref_logp, token_kl(old_logp, ref_logp, batch.response_mask, estimator=run.config.kl.estimator)


def update_actor(
    run: Run, batch: TokenBatch, old_logp: Tensor, advantages: Tensor, *, ref_logp: Tensor | None = None
) -> dict[str, float]:
    """Clipped PPO with per-token ratios over shuffled mini-batches and epochs (``config.actor_optim``).

    ``advantages`` is ``[B]`` (one per sequence, given to each of its tokens) or ``[B, T]`` (per token).
    With ``ref_logp`` and a KL coefficient not applied in the reward, ``coef * KL`` is added to the loss.
    """
    optim, clip, logs = run.config.actor_optim, run.config.clip, []
    kl = getattr(run.config, "kl", None)
    in_loss = ref_logp is not None and not kl.in_reward
    real = processed = 0

    def count(rows: Tensor) -> float:  # what the loss averages over: tokens, or sequences
        return batch.response_mask[rows].sum().item() if clip.agg == "token_mean" else len(rows)

    for mini in minibatches(len(batch), optim.mini_batch_size, epochs=optim.epochs):
        plan = micro_plan(run, mini, batch.lengths, optim).local(run.dist.rank)
        for rows, normalizer in zip(plan, micro_normalizers(run, optim, mini, plan, count)):
            micro = batch.micro(rows, packed=optim.packing).to(run.device)
            t, mask = micro.width, micro.response_mask
            logp = response_logprobs(run.policy, micro, temperature=run.config.rollout.temperature)
            adv = advantages[rows] if advantages.dim() == 1 else advantages[rows, :t]
            loss, metrics = clipped_pg_loss(
                logp, old_logp[rows, :t].to(run.device), adv.to(run.device), mask, clip_low=clip.clip_low,
                clip_high=clip.clip_high, dual_clip=clip.dual_clip, agg=clip.agg, normalizer=normalizer,
            )  # fmt: skip
            if in_loss:
                kl_loss, kl_metrics = kl_penalty(
                    logp, ref_logp[rows, :t].to(run.device), mask, coef=kl.coef, estimator=kl.estimator,
                    agg=clip.agg, normalizer=normalizer,
                )  # fmt: skip
                loss, metrics = loss + kl_loss, {**metrics, **kl_metrics}
            loss.backward()
            logs.append({**metrics, WEIGHT: float(mask.sum())})  # per-micro-batch means, weighted by tokens
            real, processed = real + int(batch.lengths[rows].sum()), processed + micro.processed_tokens
        norm, stepped = optimizer_step(run.policy, run.actor_opt, optim.grad_clip)
        logs.append({"actor/grad_norm": norm, "actor/skipped_steps": float(not stepped)})
    run.engine_stale = True  # an engine with its own weights gets the new ones before it samples again
    efficiency = {"actor/padding_efficiency": real / max(processed, 1)}
    merged = run.dist.mean_metrics({**mean_metrics(logs), **efficiency})
    merged.pop(WEIGHT, None)
    return merged


def sync_engine(run: Run) -> None:
    """Stream the policy's current weights into an engine with its own copy (vLLM), one tensor at a time.

    Every rank gathers each full tensor from its FSDP shards in turn (a collective), casts it to the engine's
    dtype on its device and hands it to its engine's in-place reload, so no rank ever holds the whole state
    dict. Nothing to do for the HF engine, which samples from the policy itself.
    """
    if own_weights(run):
        dtype = getattr(torch, getattr(run.engine, "dtype", "float32"))
        run.engine.load_weights(run.dist.iter_full_tensors(run.policy, dtype=dtype))
    run.engine_stale = False


def update_critic(
    run: Run, lengths: Tensor, loss_fn: CriticLossFn, *, count: Callable[[Tensor], float] = len
) -> dict[str, float]:
    """Train ``run.critic`` over shuffled mini-batches and epochs of rows of ``lengths`` tokens (``critic_optim``).

    ``loss_fn(rows, normalizer)`` computes the loss of one micro-batch as its sum divided by ``normalizer``,
    which :func:`micro_normalizer` picks under ``critic_optim.loss_agg`` from ``count`` (what the loss averages
    over in some rows: rows by default, or tokens), so that the summed micro-batch (and rank) gradients are the
    mini-batch's.
    """
    optim, logs = run.config.critic_optim, []
    for mini in minibatches(len(lengths), optim.mini_batch_size, epochs=optim.epochs):
        plan = micro_plan(run, mini, lengths, optim).local(run.dist.rank)
        for rows, normalizer in zip(plan, micro_normalizers(run, optim, mini, plan, count)):
            loss, metrics = loss_fn(rows, normalizer)
            loss.backward()
            logs.append({WEIGHT: float(len(rows)), **metrics})  # a loss_fn may weigh by tokens instead
        norm, stepped = optimizer_step(run.critic, run.critic_opt, optim.grad_clip)
        logs.append({"critic/grad_norm": norm, "critic/skipped_steps": float(not stepped)})
    merged = run.dist.mean_metrics(mean_metrics(logs))
    merged.pop(WEIGHT, None)
    return merged


#: ``baseline_fn(run, step, prompts, times) -> Tensor[num_prompts]``: a per-prompt reward baseline.
BaselineFn = Callable[["Run", int, list[Episode], dict[str, float]], Tensor]


def outcome_step(
    run: Run,
    step: int,
    advantage_fn: Callable[..., Tensor],
    *,
    n: int,
    baseline_fn: BaselineFn | None = None,
    kl_to_go_in_reward: bool = False,
) -> dict[str, Any]:
    """One step of a critic-free outcome-reward trainer (GRPO, RLOO, ReMax).

    Samples ``n`` responses per prompt, scores them, optionally subtracts ``beta * KL`` from the rewards
    (``kl.in_reward``), computes one advantage per response with ``advantage_fn(rewards, group_ids,
    baseline=...)`` (group ids say which prompt a response answers; ``baseline_fn`` gives a per-prompt
    baseline, e.g. ReMax's greedy reward) and runs the clipped-PPO update.

    The KL in the reward is the whole response's ``beta * sum_t KL_t`` (GRPO and RLOO, which compare whole
    responses), or, with ``kl_to_go_in_reward``, per token: ``A_t = A - beta * sum_{t' >= t} KL_t'`` (ReMax,
    whose returns verl sums to go over KL-shaped token rewards; the baseline is not shaped).
    """
    config, times = run.config, {}
    prompts = draw_prompts(run, config.prompts_per_step)
    data = collect(run, step, prompts, times, n=n)
    ref_logp, kl = reference_kl(run, data.batch, data.old_logp, times)
    groups = torch.tensor([e.group for e in data.episodes])
    baseline = None if baseline_fn is None else baseline_fn(run, step, prompts, times)[groups]
    if kl is not None and config.kl.in_reward and kl_to_go_in_reward:
        mask = data.batch.response_mask
        advantages = advantage_fn(data.rewards, groups, baseline=baseline)
        advantages = broadcast_to_tokens(advantages, mask) - config.kl.coef * kl_to_go(kl, mask)
    else:
        advantages = advantage_fn(kl_shaped_rewards(run, data.rewards, kl), groups, baseline=baseline)
    with timed(times, "time/actor_update"):
        actor_metrics = update_actor(run, data.batch, data.old_logp, advantages, ref_logp=ref_logp)
    extra = {} if baseline is None else {"reward/baseline_mean": baseline.mean().item()}
    return {**rollout_metrics(run, data, advantages), **extra, **actor_metrics, **step_speed(data.batch, times)}


def step_speed(batch: TokenBatch, times: dict[str, float]) -> dict[str, float]:
    """Times and throughputs of a step (all tokens per step-second, generated tokens per generate-second)."""
    return speed_metrics(times, tokens=int(batch.lengths.sum()), generated=int(batch.response_lengths.sum()))


def rollout_metrics(run: Run, data: Rollouts, advantages: Tensor) -> dict[str, float]:
    """What every trainer logs about a batch: reward, verdicts, lengths, entropy, advantages, sampler agreement."""
    episodes, mask = data.episodes, data.batch.response_mask
    if advantages.dim() == 1:
        adv_mean, adv_abs = advantages.mean().item(), advantages.abs().mean().item()
    else:
        adv_mean, adv_abs = masked_mean(advantages, mask).item(), masked_mean(advantages.abs(), mask).item()
    metrics = {
        "reward/mean": sum(e.reward for e in episodes) / len(episodes),
        **status_counts(episodes),
        "response/length_mean": data.batch.response_lengths.float().mean().item(),
        "response/truncated_frac": sum(e.sample.finish_reason == "length" for e in episodes) / len(episodes),
        "actor/entropy": masked_mean(data.entropy, mask).item(),
        "advantage/mean": adv_mean,
        "advantage/abs_mean": adv_abs,
        "prompts/skipped": float(run.source.skipped),
    }
    # Share of samples whose reward depends on the answer-extraction mode (strict vs flexible): a policy that
    # has not learnt the answer format yet. Only envs graded by an answer-extracting verifier report it.
    modes = [e.info["extraction_rewards"] for e in episodes if e.info.get("extraction_rewards")]
    if modes:
        metrics["reward/extraction_differs"] = sum(len(set(m.values())) > 1 for m in modes) / len(episodes)
    if all(e.sample.logprobs is not None for e in episodes):
        # Sampler vs trainer log-probs of the same tokens (engines that sample from their own weights copy).
        engine_logp = response_logprobs_of(episodes, data.old_logp.shape[1])
        metrics["rollout/logprob_diff"] = masked_mean((engine_logp - data.old_logp).abs(), mask).item()
    return metrics
