"""Advantage estimators: pure tensor functions, no models, no state.

Outcome (sequence-level) estimators live in one registry and share one signature::

    fn(rewards: Tensor[B], group_ids: Tensor[B], *, baseline: Tensor[B] | None = None, **knobs) -> Tensor[B]

``group_ids[i]`` says which prompt sample ``i`` answers (samples of one prompt share an id); knobs are
keyword-only and are bound from a trainer's config with :func:`functools.partial`. The result is one number
per sequence; :func:`broadcast_to_tokens` spreads it over the response tokens.

Registered names: ``grpo`` (group mean/std), ``rloo`` (leave-one-out mean), ``remax`` (reward minus the
greedy-decode reward, passed as ``baseline=``) and ``sppo`` (reward minus the prompt-only critic's success
probability V(s_p), passed as ``baseline=``; arXiv 2604.08865 Eq. 1, deliberately not whitened).

Token-level GAE for classic PPO needs per-token values and so has a different signature; it is
:func:`gae_advantages`, outside the registry on purpose (one registry, one signature).

Every function returns a tensor without autograd history: advantages are targets, never differentiated.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from reasoning_gym.errors import UnknownNameError
from reasoning_gym.trainers.registry import Registry

__all__ = [
    "ADVANTAGES",
    "AdvantageFn",
    "broadcast_to_tokens",
    "gae_advantages",
    "get_advantage_fn",
    "kl_to_go",
    "masked_whiten",
    "outcome_token_rewards",
]

AdvantageFn = Callable[..., Tensor]
ADVANTAGES: Registry[AdvantageFn] = Registry("advantage estimator")


def get_advantage_fn(name: str) -> AdvantageFn:
    """Return the outcome advantage estimator registered as ``name`` (e.g. ``"grpo"``).

    Raises:
        reasoning_gym.errors.UnknownNameError: For an unknown name; the message lists the valid ones.
    """
    if name == "gae":
        raise UnknownNameError(
            "'gae' is token-level (it needs per-token critic values), so it is not an outcome estimator; call "
            "reasoning_gym.trainers.advantages.gae_advantages(token_rewards, values, mask, gamma=..., lam=...)."
        )
    return ADVANTAGES.get(name)


def _check_shapes(rewards: Tensor, group_ids: Tensor, baseline: Tensor | None) -> None:
    if rewards.dim() != 1:
        raise ValueError(f"rewards must be 1-D (one reward per sequence), got shape {tuple(rewards.shape)}.")
    if group_ids.shape != rewards.shape:
        raise ValueError(
            f"group_ids must have the shape of rewards {tuple(rewards.shape)}, got {tuple(group_ids.shape)}."
        )
    if baseline is not None and baseline.shape != rewards.shape:
        raise ValueError(
            f"baseline must have the shape of rewards {tuple(rewards.shape)}, got {tuple(baseline.shape)}."
        )


def _group_stats(rewards: Tensor, group_ids: Tensor, estimator: str) -> tuple[Tensor, Tensor, Tensor, int]:
    """Return per-sample (group sum, group size, group index) and the number of groups."""
    _, inverse, counts = torch.unique(group_ids, return_inverse=True, return_counts=True)
    if (counts < 2).any():  # verl quietly uses the raw reward (no baseline) there; we refuse
        lonely = torch.unique(group_ids[(counts < 2)[inverse]]).tolist()
        raise ValueError(
            f"{estimator} needs at least 2 samples per prompt, but groups {lonely[:5]} have 1; "
            "raise the number of samples per prompt (num_generations) to 2 or more."
        )
    sums = torch.zeros(len(counts), dtype=rewards.dtype, device=rewards.device)
    sums.index_add_(0, inverse, rewards)
    return sums[inverse], counts[inverse].to(rewards.dtype), inverse, len(counts)


@ADVANTAGES.register("grpo")
def grpo_advantages(
    rewards: Tensor,
    group_ids: Tensor,
    *,
    baseline: Tensor | None = None,
    scale_by_std: bool = True,
    eps: float = 1e-6,
) -> Tensor:
    """GRPO: ``(r - mean_g) / (std_g + eps)`` within each prompt group (std is the unbiased one).

    Args:
        rewards: One reward per sequence, shape ``[B]``.
        group_ids: Prompt id of each sequence, shape ``[B]``; every group needs at least 2 samples.
        baseline: Unused; accepted so every estimator has the same signature.
        scale_by_std: Divide by the group std (set False for Dr.GRPO-style mean-only centring).
        eps: Added to the std so that all-equal groups give 0 instead of 0/0.
    """
    _check_shapes(rewards, group_ids, baseline)
    rewards = rewards.detach().float()
    sums, counts, inverse, num_groups = _group_stats(rewards, group_ids, "grpo")
    centred = rewards - sums / counts
    if not scale_by_std:
        return centred
    squares = torch.zeros(num_groups, dtype=rewards.dtype, device=rewards.device)
    squares.index_add_(0, inverse, centred**2)
    std = (squares[inverse] / (counts - 1)).sqrt()
    return centred / (std + eps)


@ADVANTAGES.register("rloo")
def rloo_advantages(rewards: Tensor, group_ids: Tensor, *, baseline: Tensor | None = None) -> Tensor:
    """RLOO: each sample's reward minus the mean reward of the *other* samples of its prompt.

    Args:
        rewards: One reward per sequence, shape ``[B]``.
        group_ids: Prompt id of each sequence, shape ``[B]``; every group needs at least 2 samples.
        baseline: Unused; accepted so every estimator has the same signature.
    """
    _check_shapes(rewards, group_ids, baseline)
    rewards = rewards.detach().float()
    sums, counts, _, _ = _group_stats(rewards, group_ids, "rloo")
    return rewards - (sums - rewards) / (counts - 1)


def _require_baseline(name: str, baseline: Tensor | None, what: str) -> Tensor:
    if baseline is None:
        raise ValueError(f"the {name} advantage needs baseline= ({what}), but baseline=None was passed.")
    return baseline.detach().float()


@ADVANTAGES.register("remax")
def remax_advantages(rewards: Tensor, group_ids: Tensor, *, baseline: Tensor | None = None) -> Tensor:
    """ReMax: reward minus the reward of the greedy decode of the same prompt.

    Args:
        rewards: One reward per sampled sequence, shape ``[B]``.
        group_ids: Prompt id of each sequence; unused (the baseline is already per sample).
        baseline: The greedy response's reward for each sample's prompt, shape ``[B]``. Required.
    """
    _check_shapes(rewards, group_ids, baseline)
    base = _require_baseline("remax", baseline, "the greedy-decode reward of each sample's prompt")
    return rewards.detach().float() - base


@ADVANTAGES.register("sppo")
def sppo_advantages(rewards: Tensor, group_ids: Tensor, *, baseline: Tensor | None = None) -> Tensor:
    """SPPO: ``A = R - V(s_p)``, the reward minus the critic's success probability for the prompt.

    No whitening or clipping: the paper's advantage is exactly this difference, in (-1, 1) for 0/1 rewards.

    Args:
        rewards: One reward per sequence, shape ``[B]``, in [0, 1].
        group_ids: Prompt id of each sequence; unused (SPPO samples one response per prompt).
        baseline: ``V(s_p) = sigmoid(critic logit)`` for each sample's prompt, shape ``[B]``. Required.
    """
    _check_shapes(rewards, group_ids, baseline)
    value = _require_baseline("sppo", baseline, "V(s_p), the sigmoid of the critic's logit for each prompt")
    if value.numel() and (value.min() < 0 or value.max() > 1):
        raise ValueError(
            f"sppo baseline must be probabilities in [0, 1], got values in [{value.min():.3g}, "
            f"{value.max():.3g}]; pass torch.sigmoid(critic_logits), not the logits."
        )
    return rewards.detach().float() - value


def broadcast_to_tokens(advantages: Tensor, mask: Tensor) -> Tensor:
    """Give every valid response token its sequence's advantage: ``[B] -> [B, T]``, zero on padding."""
    return advantages[:, None] * mask.to(advantages.dtype)


def outcome_token_rewards(rewards: Tensor, mask: Tensor) -> Tensor:
    """Place each sequence's outcome reward on its last valid response token (``[B] -> [B, T]``).

    Args:
        rewards: One reward per sequence, shape ``[B]``.
        mask: Response mask ``[B, T]`` (1 for response tokens, right-padded with 0s).
    """
    lengths = mask.long().sum(-1)
    token_rewards = torch.zeros(mask.shape, dtype=torch.float32, device=mask.device)
    has_tokens = lengths > 0  # an empty response has nowhere to put its reward
    rows = torch.arange(mask.shape[0], device=mask.device)[has_tokens]
    token_rewards[rows, lengths[has_tokens] - 1] = rewards.detach().float()[has_tokens]
    return token_rewards


def gae_advantages(
    token_rewards: Tensor, values: Tensor, mask: Tensor, *, gamma: float = 1.0, lam: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Generalised advantage estimation over response tokens (for token-level PPO).

    With ``gamma = lam = 1`` and an outcome reward on the last token this reduces to ``A_t = R - V(s_t)``,
    the setting of the PPO baseline in the SPPO paper.

    Args:
        token_rewards: Per-token rewards ``[B, T]`` (see :func:`outcome_token_rewards`).
        values: Critic values ``V(s_t)`` ``[B, T]``, for the state *before* token ``t`` is emitted.
        mask: Response mask ``[B, T]``; valid tokens must come first (right padding).
        gamma: Discount factor.
        lam: GAE lambda.

    Returns:
        ``(advantages, returns)``, both ``[B, T]`` and zero on padding; ``returns = advantages + values``.
    """
    mask = mask.to(torch.float32)
    # Zeroing values and rewards on padding makes the value "after" the last token 0, as at a terminal.
    rewards = token_rewards.detach().float() * mask
    values = values.detach().float() * mask
    advantages = torch.zeros_like(values)
    running = torch.zeros_like(values[:, 0])
    for t in reversed(range(values.shape[1])):
        next_value = values[:, t + 1] if t + 1 < values.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = delta + gamma * lam * running
        advantages[:, t] = running
    advantages = advantages * mask
    return advantages, (advantages + values) * mask


def masked_whiten(x: Tensor, mask: Tensor, *, eps: float = 1e-8) -> Tensor:
    """Normalise ``x`` to zero mean and unit variance over the valid (mask == 1) entries; zero elsewhere.

    The variance is the unbiased one (``n - 1`` in the denominator), as in verl's ``masked_whiten``, so PPO's
    whitened advantages equal verl's. Where verl raises on a single valid entry, this returns zeros.
    """
    mask = mask.to(x.dtype)
    count = mask.sum()
    mean = (x * mask).sum() / count.clamp(min=1)
    var = (((x - mean) * mask) ** 2).sum() / (count - 1).clamp(min=1)
    return (x - mean) * torch.rsqrt(var + eps) * mask


def kl_to_go(kl: Tensor, mask: Tensor) -> Tensor:
    """Per-token KL summed from each token to the end of its response: ``sum_{t' >= t} KL_t'``, ``[B, T]``.

    With the KL penalty in a ReMax reward, each token's return is ``R - beta * kl_to_go``, as verl shapes the
    token rewards (``R`` on the last token minus ``beta * KL_t`` on every token) and then sums them to go.
    """
    kl = kl.detach().float() * mask.to(torch.float32)
    return kl.flip(-1).cumsum(-1).flip(-1)
