"""Loss functions against hand-computed numbers."""

import math
import re

import pytest
import torch

from reasoning_gym.errors import UnknownNameError
from reasoning_gym.trainers.losses import (
    aggregate,
    bce_value_loss,
    clipped_pg_loss,
    get_kl_estimator,
    get_policy_loss,
    kl_penalty,
    micro_normalizer,
    token_bce_value_loss,
    value_loss,
)


def row(*xs):
    return torch.tensor([xs], dtype=torch.float32)


def logp_for_ratios(*ratios):
    """Current and old log-probs whose per-token ratio is ``ratios``."""
    old = torch.full((1, len(ratios)), -1.0)
    return (old + torch.log(row(*ratios))).requires_grad_(True), old


def test_positive_advantage_clips_high_ratios_only():
    logp, old = logp_for_ratios(1.5, 0.5, 1.1)
    loss, m = clipped_pg_loss(logp, old, row(1, 1, 1), torch.ones(1, 3))
    # per token: max(-1.5, -1.2) = -1.2, max(-0.5, -0.8) = -0.5, -1.1
    assert loss.item() == pytest.approx(-(1.2 + 0.5 + 1.1) / 3, abs=1e-6)
    assert m["actor/clipfrac"] == pytest.approx(1 / 3)
    assert m["actor/dual_clipfrac"] == 0


def test_negative_advantage_clips_low_ratios_and_dual_clip_caps():
    logp, old = logp_for_ratios(1.5, 0.5, 5.0)
    loss, m = clipped_pg_loss(logp, old, row(-1, -1, -1), torch.ones(1, 3))
    # per token: max(1.5, 1.2) = 1.5, max(0.5, 0.8) = 0.8, max(5, 1.2) = 5 capped at 3 by the dual clip
    assert loss.item() == pytest.approx((1.5 + 0.8 + 3.0) / 3, abs=1e-6)
    assert m["actor/dual_clipfrac"] == pytest.approx(1 / 3)
    loss, _ = clipped_pg_loss(logp, old, row(-1, -1, -1), torch.ones(1, 3), dual_clip=None)
    assert loss.item() == pytest.approx((1.5 + 0.8 + 5.0) / 3, abs=1e-5)


def test_sequence_advantage_broadcasts_and_padding_is_ignored():
    logp, old = logp_for_ratios(1.0, 1.0, 1.0)
    mask = torch.tensor([[1, 1, 0]])
    loss, _ = clipped_pg_loss(logp, old, torch.tensor([0.5]), mask)
    assert loss.item() == pytest.approx(-0.5)


def test_gradient_inside_the_clip_range_is_minus_advantage_times_ratio():
    logp, old = logp_for_ratios(1.1, 0.9)
    loss, _ = clipped_pg_loss(logp, old, row(2.0, -1.0), torch.ones(1, 2))
    loss.backward()
    torch.testing.assert_close(logp.grad, row(-2.0 * 1.1 / 2, 1.0 * 0.9 / 2))


def test_clipped_tokens_get_no_gradient():
    logp, old = logp_for_ratios(1.5, 0.5)
    loss, _ = clipped_pg_loss(logp, old, row(1.0, -1.0), torch.ones(1, 2))
    loss.backward()
    torch.testing.assert_close(logp.grad, torch.zeros(1, 2))


def test_huge_log_ratio_is_clamped_to_a_finite_loss():
    logp = torch.tensor([[100.0]], requires_grad=True)
    loss, _ = clipped_pg_loss(logp, torch.zeros(1, 1), row(-1.0), torch.ones(1, 1), dual_clip=None)
    assert loss.item() == pytest.approx(math.exp(20), rel=1e-5)


def test_dual_clip_must_exceed_one():
    logp, old = logp_for_ratios(1.0)
    with pytest.raises(ValueError, match=re.escape("dual_clip must be > 1")):
        clipped_pg_loss(logp, old, row(1.0), torch.ones(1, 1), dual_clip=0.5)


def test_normalizer_makes_micro_batches_sum_to_the_token_mean():
    g = torch.Generator().manual_seed(0)
    logp, old = torch.randn(4, 5, generator=g) * 0.1 - 1, torch.full((4, 5), -1.0)
    adv = torch.randn(4, generator=g)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]])
    full, _ = clipped_pg_loss(logp, old, adv, mask)
    parts = [
        clipped_pg_loss(logp[s], old[s], adv[s], mask[s], normalizer=mask.sum().item())[0]
        for s in (slice(0, 1), slice(1, 4))
    ]
    assert (parts[0] + parts[1]).item() == pytest.approx(full.item(), abs=1e-6)


# (mode, mini-batch count, micro-batch count, micro-batches over all ranks) -> normalizer, by hand.
NORMALIZER_CASES = [
    ("exact", 40, 10, 4, 40.0),
    ("verl", 40, 10, 4, 40.0),  # equal micro-batches: the two agree
    ("verl", 40, 4, 2, 8.0),
    ("exact", 0, 0, 1, 1.0),  # an empty mini-batch never divides by zero
    ("verl", 0, 0, 3, 3.0),
]


@pytest.mark.parametrize(("mode", "mini", "micro", "parts", "expected"), NORMALIZER_CASES)
def test_micro_normalizer_hand_computed(mode, mini, micro, parts, expected):
    assert micro_normalizer(mode, mini_count=mini, micro_count=micro, micro_batches=parts) == expected


def test_micro_normalizer_rejects_unknown_modes():
    with pytest.raises(ValueError, match="Unknown loss_agg 'mean'; use 'exact' or 'verl'"):
        micro_normalizer("mean", mini_count=1, micro_count=1, micro_batches=1)


@pytest.mark.parametrize(("mode", "expected"), [("exact", -(2 + 3) / 4), ("verl", (-2 + -1) / 2)])
def test_loss_agg_over_uneven_micro_batches_hand_computed(mode, expected):
    # Ratio 1 everywhere, so each token's loss is -A. Micro-batch 1: one token, A = 2; micro-batch 2: three
    # tokens, A = 1. exact: the token-mean of all four tokens; verl: the mean of the two micro-batch means.
    micros = [
        (torch.full((1, 1), -1.0), row(2.0), torch.ones(1, 1)),
        (torch.full((1, 3), -1.0), row(1.0), torch.ones(1, 3)),
    ]
    total = 0.0
    for logp, adv, mask in micros:
        normalizer = micro_normalizer(mode, mini_count=4, micro_count=mask.sum().item(), micro_batches=2)
        total += clipped_pg_loss(logp, logp.clone(), adv, mask, normalizer=normalizer)[0].item()
    assert total == pytest.approx(expected)


def test_aggregation_modes():
    x = row(1, 2, 3, 4).view(2, 2)
    mask = torch.tensor([[1, 1], [1, 0]])
    assert aggregate(x, mask, "token_mean").item() == pytest.approx(6 / 3)
    assert aggregate(x, mask, "seq_mean_token_mean").item() == pytest.approx((1.5 + 3) / 2)
    assert aggregate(x, mask, "seq_mean_token_sum").item() == pytest.approx((3 + 3) / 2)
    with pytest.raises(ValueError, match="Unknown aggregation 'sum'"):
        aggregate(x, mask, "sum")


def test_value_loss_clips_around_old_values():
    loss, m = value_loss(row(0.5), row(0.0), row(1.0), torch.ones(1, 1), clip=0.2)
    # unclipped (0.5 - 1)^2 = 0.25, clipped (0.2 - 1)^2 = 0.64; 0.5 * max = 0.32
    assert loss.item() == pytest.approx(0.32)
    assert m["critic/vf_clipfrac"] == 1.0
    loss, _ = value_loss(row(0.5), row(0.0), row(1.0), torch.ones(1, 1), clip=None)
    assert loss.item() == pytest.approx(0.125)


def test_bce_value_loss_hand_computed():
    logits = torch.tensor([0.0, math.log(3.0)], requires_grad=True)  # V = 0.5 and 0.75
    loss, m = bce_value_loss(logits, torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx((math.log(2) + math.log(4)) / 2, abs=1e-6)
    assert m["critic/value_mean"] == pytest.approx(0.625)
    assert m["critic/accuracy"] == 0.0
    loss.backward()  # d/dlogit BCE = (sigmoid - target) / B
    torch.testing.assert_close(logits.grad, torch.tensor([(0.5 - 1) / 2, 0.75 / 2]))


def test_bce_value_loss_rejects_per_token_logits():
    with pytest.raises(ValueError, match=re.escape("must both be 1-D")):
        bce_value_loss(torch.zeros(2, 3), torch.zeros(2))


def test_token_bce_value_loss_hand_computed():
    logits = torch.tensor([[0.0, math.log(3.0), 5.0]], requires_grad=True)  # V = 0.5, 0.75, ~0.99
    mask = torch.tensor([[1, 1, 0]])
    loss, m = token_bce_value_loss(logits, row(1.0, 0.0, 1.0), mask)
    # -log 0.5 and -log(1 - 0.75) on the two real tokens; the padded third is ignored
    assert loss.item() == pytest.approx((math.log(2) + math.log(4)) / 2, abs=1e-6)
    assert m["loss/value"] == pytest.approx(loss.item())
    assert m["critic/value_mean"] == pytest.approx(0.625)
    assert m["critic/target_clampfrac"] == 0.0
    loss.backward()  # d/dlogit BCE = (sigmoid - target) / tokens, 0 on padding
    torch.testing.assert_close(logits.grad, torch.tensor([[(0.5 - 1) / 2, 0.75 / 2, 0.0]]))


def test_token_bce_value_loss_clamps_returns_into_0_1_and_takes_soft_targets():
    logits = torch.zeros(1, 3)  # V = 0.5 everywhere
    loss, m = token_bce_value_loss(logits, row(-0.2, 1.5, 0.25), torch.ones(1, 3), normalizer=6)
    # targets 0, 1, 0.25: BCE(0.5, y) = log 2 for any y; summed over 3 tokens, divided by the normalizer 6
    assert loss.item() == pytest.approx(3 * math.log(2) / 6, abs=1e-6)
    assert m["loss/value"] == pytest.approx(math.log(2), abs=1e-6)  # the batch's own mean
    assert m["critic/target_clampfrac"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=re.escape("must all be [B, T] of one shape")):
        token_bce_value_loss(torch.zeros(2), torch.zeros(2), torch.ones(2, 1))


def test_kl_estimators_hand_computed():
    logp, ref = torch.tensor([-1.0]), torch.tensor([-2.0])
    assert get_kl_estimator("k1")(logp, ref).item() == pytest.approx(1.0)
    assert get_kl_estimator("k2")(logp, ref).item() == pytest.approx(0.5)
    assert get_kl_estimator("k3")(logp, ref).item() == pytest.approx(math.exp(-1))
    loss, m = kl_penalty(row(-1.0, -1.0), row(-2.0, -1.0), torch.ones(1, 2), coef=0.1, estimator="k1")
    assert loss.item() == pytest.approx(0.05)
    assert m["actor/kl"] == pytest.approx(0.5)


def test_unknown_loss_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match=re.escape("Valid policy-loss functions: clipped")):
        get_policy_loss("ppo")
    with pytest.raises(UnknownNameError, match=re.escape("Valid KL estimators: k1, k2, k3")):
        get_kl_estimator("k4")


def test_token_kl_for_a_kl_penalty_in_the_reward_hand_computed():
    from reasoning_gym.trainers.losses import token_kl

    logp = torch.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    ref = torch.tensor([[-1.5, -2.0, -3.0]])
    mask = torch.tensor([[1, 1, 0]])
    k1 = token_kl(logp, ref, mask)  # log p - log p_ref on real tokens: [0.5, 0.0], padding 0
    assert torch.allclose(k1, torch.tensor([[0.5, 0.0, 0.0]])) and not k1.requires_grad
    k3 = token_kl(logp, ref, mask, estimator="k3")  # exp(d) - d - 1 with d = ref - logp = -0.5
    assert k3[0, 0].item() == pytest.approx(math.exp(-0.5) + 0.5 - 1)
