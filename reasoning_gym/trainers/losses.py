"""Loss functions: pure tensor functions that return ``(loss, metrics)``.

* :func:`clipped_pg_loss` -- the PPO clipped surrogate with a per-token ratio, dual clip for negative
  advantages and a clamped log-ratio (verl's "vanilla" loss, used by SPPO, PPO, GRPO, RLOO and ReMax).
* :func:`value_loss` -- the clipped squared-error loss of a token-level PPO critic.
* :func:`token_bce_value_loss` -- the same critic trained with binary cross-entropy instead, ``V(s_t) =
  sigmoid(logit_t)`` against the return (the "PPO + BCE" control of arXiv 2604.08865 Fig. 4).
* :func:`bce_value_loss` -- SPPO's critic loss: binary cross-entropy between ``sigmoid(logit)`` at the last
  prompt token and the 0/1 outcome (arXiv 2604.08865 Eq. 2).
* :func:`kl_penalty` -- an optional KL term to a reference policy, with the estimator picked by name;
  :func:`token_kl` is its per-token value, for subtracting KL from the reward instead.

Shapes: per-token tensors are ``[B, T]`` over response tokens, with ``mask`` 1 on real response tokens.
Metric keys use one prefix scheme (``loss/...``, ``actor/...``, ``critic/...``) and plain floats.

Gradient accumulation: pass ``normalizer`` (the number of tokens, or sequences, in the whole mini-batch) and
each micro-batch returns ``sum / normalizer``; summing the micro-batch losses then gives the mini-batch's
exact mean, instead of a mean of means that over-weights short micro-batches. :func:`micro_normalizer` picks
the normalizer, and with ``"verl"`` gives that mean of means instead, as verl's dp_actor does. The ``loss/...``
metrics are always the batch's own mean, whatever the normalizer, so they can be averaged over micro-batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from reasoning_gym.trainers.registry import Registry

__all__ = [
    "KL_ESTIMATORS",
    "POLICY_LOSSES",
    "Aggregation",
    "LossAgg",
    "aggregate",
    "bce_value_loss",
    "clipped_pg_loss",
    "get_kl_estimator",
    "get_policy_loss",
    "kl_penalty",
    "masked_mean",
    "micro_normalizer",
    "token_bce_value_loss",
    "token_kl",
    "value_loss",
]

Aggregation = Literal["token_mean", "seq_mean_token_mean", "seq_mean_token_sum"]
PolicyLossFn = Callable[..., tuple[Tensor, dict[str, float]]]
POLICY_LOSSES: Registry[PolicyLossFn] = Registry("policy-loss function")
KL_ESTIMATORS: Registry[Callable[[Tensor, Tensor], Tensor]] = Registry("KL estimator")

#: exp() of a log-ratio beyond this overflows or makes the surrogate meaningless; verl clamps at 20 too.
LOG_RATIO_CLAMP = 20.0


def get_policy_loss(name: str) -> PolicyLossFn:
    """Return the policy loss registered as ``name`` (e.g. ``"clipped"``); unknown names list valid ones."""
    return POLICY_LOSSES.get(name)


def get_kl_estimator(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """Return the per-token KL estimator ``name`` (``"k1"``, ``"k2"`` or ``"k3"``)."""
    return KL_ESTIMATORS.get(name)


#: How micro-batch losses add up to a mini-batch's: see :func:`micro_normalizer`.
LossAgg = Literal["exact", "verl"]


def micro_normalizer(mode: LossAgg, *, mini_count: float, micro_count: float, micro_batches: int) -> float:
    """The denominator of one micro-batch's summed loss under gradient accumulation.

    Args:
        mode: ``"exact"``: the whole mini-batch's count, so the summed micro-batch gradients are the mini-batch
            mean's, however it is cut. ``"verl"``: the micro-batch's own count times the number of
            micro-batches, so they are the mean of the micro-batches' own means -- verl's dp_actor with a fixed
            micro-batch size (each micro-batch's mean loss divided by the gradient accumulation steps, then
            averaged over data-parallel ranks), which the SPPO paper's code runs. The two agree when every
            micro-batch holds the same count.
        mini_count: Tokens (or sequences, by the loss's aggregation) in the whole mini-batch, over all ranks.
        micro_count: Tokens (or sequences) in this micro-batch.
        micro_batches: Micro-batches in the mini-batch over all ranks (this rank's count times the ranks).
    """
    if mode == "exact":
        return max(float(mini_count), 1.0)
    if mode == "verl":
        return max(float(micro_count), 1.0) * micro_batches
    raise ValueError(f"Unknown loss_agg {mode!r}; use 'exact' or 'verl'.")


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``x`` over entries where ``mask`` is 1 (0 if there are none)."""
    mask = mask.to(x.dtype)
    return (x * mask).sum() / mask.sum().clamp(min=1)


def aggregate(
    per_token: Tensor, mask: Tensor, mode: Aggregation = "token_mean", *, normalizer: float | None = None
) -> Tensor:
    """Reduce a per-token loss ``[B, T]`` to a scalar.

    Args:
        per_token: Loss for every token.
        mask: 1 on tokens that count.
        mode: ``token_mean`` (every token weighs the same), ``seq_mean_token_mean`` (every sequence weighs the
            same) or ``seq_mean_token_sum`` (sum over a sequence's tokens, mean over sequences).
        normalizer: Denominator to use instead of this batch's own count -- tokens for ``token_mean``,
            sequences otherwise (see the module docstring on gradient accumulation).
    """
    mask = mask.to(per_token.dtype)
    if mode == "token_mean":
        total = (per_token * mask).sum()
        return total / (normalizer if normalizer is not None else mask.sum().clamp(min=1))
    if mode == "seq_mean_token_mean":
        per_seq = (per_token * mask).sum(-1) / mask.sum(-1).clamp(min=1)
    elif mode == "seq_mean_token_sum":
        per_seq = (per_token * mask).sum(-1)
    else:
        raise ValueError(
            f"Unknown aggregation {mode!r}; use 'token_mean', 'seq_mean_token_mean' or 'seq_mean_token_sum'."
        )
    return per_seq.sum() / (normalizer if normalizer is not None else max(per_seq.numel(), 1))


@POLICY_LOSSES.register("clipped")
def clipped_pg_loss(
    logp: Tensor,
    old_logp: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    dual_clip: float | None = 3.0,
    agg: Aggregation = "token_mean",
    normalizer: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """PPO clipped surrogate with a per-token ratio ``r_t = exp(logp - old_logp)``.

    Per token: ``max(-A r_t, -A clip(r_t, 1 - clip_low, 1 + clip_high))``, and for ``A < 0`` additionally
    capped at ``-A * dual_clip`` so that one huge ratio on a bad sample cannot dominate (dual-clip PPO).

    Args:
        logp: Log-probs of the response tokens under the current policy ``[B, T]`` (with grad).
        old_logp: Log-probs under the policy that sampled them ``[B, T]``.
        advantages: ``[B, T]``, or ``[B]`` for a sequence-level advantage broadcast to every token.
        mask: Response mask ``[B, T]``.
        clip_low: Lower clip range epsilon.
        clip_high: Upper clip range epsilon (equal to ``clip_low`` for symmetric PPO).
        dual_clip: Dual-clip constant ``c > 1``, or ``None`` to disable.
        agg: How to reduce per-token losses (see :func:`aggregate`).
        normalizer: Mini-batch token (or sequence) count for exact gradient accumulation.

    Returns:
        ``(loss, metrics)`` with ``loss/policy``, ``actor/clipfrac``, ``actor/dual_clipfrac``,
        ``actor/approx_kl`` and ``actor/ratio_mean``.
    """
    if dual_clip is not None and dual_clip <= 1.0:
        raise ValueError(f"dual_clip must be > 1 (the paper uses 3.0) or None to disable, got {dual_clip}.")
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand_as(logp)
    advantages = advantages.detach()
    log_ratio = (logp - old_logp.detach()).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = torch.maximum(unclipped, clipped)
    dual_hit = torch.zeros_like(per_token, dtype=torch.bool)
    if dual_clip is not None:
        cap = -advantages * dual_clip
        dual_hit = (advantages < 0) & (per_token > cap)
        per_token = torch.where(dual_hit, cap, per_token)
    loss = aggregate(per_token, mask, agg, normalizer=normalizer)
    with torch.no_grad():
        metrics = {
            "loss/policy": aggregate(per_token, mask, agg).item(),
            "actor/clipfrac": masked_mean((clipped > unclipped).float(), mask).item(),
            "actor/dual_clipfrac": masked_mean(dual_hit.float(), mask).item(),
            # k3 estimate of KL(old || new) from tokens sampled by old: (r - 1) - log r >= 0.
            "actor/approx_kl": masked_mean(torch.expm1(log_ratio) - log_ratio, mask).item(),
            "actor/ratio_mean": masked_mean(ratio, mask).item(),
        }
    return loss, metrics


def value_loss(
    values: Tensor,
    old_values: Tensor,
    returns: Tensor,
    mask: Tensor,
    *,
    clip: float | None = 0.2,
    agg: Aggregation = "token_mean",
    normalizer: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Clipped squared-error loss of a token-level PPO critic: ``0.5 * max((V - G)^2, (V_clip - G)^2)``.

    Args:
        values: Current critic values ``[B, T]`` (with grad).
        old_values: Values when the batch was collected ``[B, T]``; ``V_clip`` stays within ``clip`` of them.
        returns: Targets ``G_t`` ``[B, T]``, e.g. from
            :func:`~reasoning_gym.trainers.advantages.gae_advantages`.
        mask: Response mask ``[B, T]``.
        clip: Value clip range, or ``None`` for the plain squared error.
        agg: How to reduce per-token losses.
        normalizer: Mini-batch token (or sequence) count for exact gradient accumulation.
    """
    returns = returns.detach()
    squared = (values - returns) ** 2
    if clip is None:
        per_token, clip_hit = squared, torch.zeros_like(squared, dtype=torch.bool)
    else:
        old_values = old_values.detach()
        clipped_values = old_values + (values - old_values).clamp(-clip, clip)
        squared_clipped = (clipped_values - returns) ** 2
        per_token = torch.maximum(squared, squared_clipped)
        clip_hit = squared_clipped > squared
    loss = 0.5 * aggregate(per_token, mask, agg, normalizer=normalizer)
    with torch.no_grad():
        metrics = {
            "loss/value": 0.5 * aggregate(per_token, mask, agg).item(),
            "critic/vf_clipfrac": masked_mean(clip_hit.float(), mask).item(),
            "critic/value_mean": masked_mean(values, mask).item(),
        }
    return loss, metrics


def token_bce_value_loss(
    logits: Tensor,
    returns: Tensor,
    mask: Tensor,
    *,
    agg: Aggregation = "token_mean",
    normalizer: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Per-token binary cross-entropy of a token-level critic: ``V(s_t) = sigmoid(logit_t)`` against ``G_t``.

    With a 0/1 outcome reward and ``gamma = lambda = 1`` every return ``G_t`` is the reward itself, so this is
    SPPO's critic loss applied at every response position instead of once at the prompt. Returns outside
    [0, 1] (a KL penalty inside the reward can push them below 0) are clamped into it; returns strictly
    inside (``gamma < 1``, ``lambda < 1``) are soft targets, which binary cross-entropy accepts. There is no
    value clipping: a bounded sigmoid needs none, and SPPO's critic has none either.

    Args:
        logits: Critic logits ``[B, T]`` (with grad), one per response token.
        returns: Targets ``G_t`` ``[B, T]``, e.g. from
            :func:`~reasoning_gym.trainers.advantages.gae_advantages` on sigmoid values.
        mask: Response mask ``[B, T]``.
        agg: How to reduce per-token losses.
        normalizer: Mini-batch token (or sequence) count for exact gradient accumulation.

    Returns:
        ``(loss, metrics)`` with ``loss/value`` (the mean per-token cross-entropy), ``critic/value_mean``
        (mean ``sigmoid(logit)``) and ``critic/target_clampfrac`` (share of returns clamped into [0, 1]).
    """
    if logits.shape != returns.shape or logits.shape != mask.shape:
        shapes = f"{tuple(logits.shape)}, {tuple(returns.shape)} and {tuple(mask.shape)}"
        raise ValueError(f"logits, returns and mask must all be [B, T] of one shape; got {shapes}.")
    returns = returns.detach().to(logits.dtype)
    targets = returns.clamp(0.0, 1.0)
    per_token = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    loss = aggregate(per_token, mask, agg, normalizer=normalizer)
    with torch.no_grad():
        metrics = {
            "loss/value": aggregate(per_token, mask, agg).item(),
            "critic/value_mean": masked_mean(torch.sigmoid(logits), mask).item(),
            "critic/target_clampfrac": masked_mean((targets != returns).float(), mask).item(),
        }
    return loss, metrics


def bce_value_loss(
    logits: Tensor, targets: Tensor, *, normalizer: float | None = None
) -> tuple[Tensor, dict[str, float]]:
    """SPPO critic loss: binary cross-entropy with logits between ``V = sigmoid(logit)`` and the reward.

    Args:
        logits: Critic logit at the last prompt token, one per sequence ``[B]`` (with grad).
        targets: Outcome rewards in [0, 1], ``[B]``.
        normalizer: Mini-batch size for exact gradient accumulation (default: this batch's size).

    Returns:
        ``(loss, metrics)`` with ``loss/critic``, ``critic/value_mean`` (mean V) and ``critic/accuracy``
        (how often ``V > 0.5`` agrees with ``R > 0.5``).
    """
    if logits.shape != targets.shape or logits.dim() != 1:
        shapes = f"{tuple(logits.shape)} and {tuple(targets.shape)}"
        raise ValueError(f"logits and targets must both be 1-D [B] tensors of one shape; got {shapes}.")
    targets = targets.detach().to(logits.dtype)
    per_seq = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    loss = per_seq.sum() / (normalizer if normalizer is not None else max(per_seq.numel(), 1))
    with torch.no_grad():
        agree = ((logits > 0) == (targets > 0.5)).float()
        metrics = {
            "loss/critic": per_seq.mean().nan_to_num(0.0).item(),
            "critic/value_mean": torch.sigmoid(logits).mean().nan_to_num(0.0).item(),
            "critic/accuracy": agree.mean().nan_to_num(0.0).item(),
        }
    return loss, metrics


@KL_ESTIMATORS.register("k1")
def kl_k1(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """``log p - log p_ref``: unbiased for KL(p || p_ref), high variance, can be negative per token."""
    return logp - ref_logp


@KL_ESTIMATORS.register("k2")
def kl_k2(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """``0.5 (log p - log p_ref)^2``: non-negative, biased, low variance."""
    return 0.5 * (logp - ref_logp) ** 2


@KL_ESTIMATORS.register("k3")
def kl_k3(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """``exp(d) - d - 1`` with ``d = log p_ref - log p``: unbiased, non-negative (Schulman's k3)."""
    d = (ref_logp - logp).clamp(-LOG_RATIO_CLAMP, LOG_RATIO_CLAMP)
    return torch.expm1(d) - d


def kl_penalty(
    logp: Tensor,
    ref_logp: Tensor,
    mask: Tensor,
    *,
    coef: float,
    estimator: str = "k3",
    agg: Aggregation = "token_mean",
    normalizer: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """``coef`` times an estimate of KL(policy || reference), to add to the policy loss.

    Args:
        logp: Current policy log-probs ``[B, T]`` (with grad).
        ref_logp: Reference policy log-probs ``[B, T]``.
        mask: Response mask ``[B, T]``.
        coef: Weight of the penalty (beta).
        estimator: Name in :data:`KL_ESTIMATORS`.
        agg: How to reduce per-token values.
        normalizer: Mini-batch token (or sequence) count for exact gradient accumulation.
    """
    per_token = get_kl_estimator(estimator)(logp, ref_logp.detach())
    kl = aggregate(per_token, mask, agg, normalizer=normalizer)
    own_mean = aggregate(per_token.detach(), mask, agg).item()
    return coef * kl, {"actor/kl": own_mean, "loss/kl": coef * own_mean}


def token_kl(logp: Tensor, ref_logp: Tensor, mask: Tensor, *, estimator: str = "k1") -> Tensor:
    """Per-token KL estimate ``[B, T]`` between the sampling policy and the reference, zero on padding.

    For a KL penalty inside the reward (verl's ``use_kl_in_reward``): a sequence's reward becomes
    ``R - beta * token_kl(...).sum(-1)``, and token-level PPO subtracts ``beta * token_kl`` from each token's
    reward. No gradient flows through it.
    """
    with torch.no_grad():
        return get_kl_estimator(estimator)(logp.detach(), ref_logp.detach()) * mask.to(logp.dtype)
