"""Advantage estimators against hand-computed numbers and slow reference loops."""

import math
import re

import pytest
import torch

from reasoning_gym.errors import UnknownNameError
from reasoning_gym.trainers.advantages import (
    ADVANTAGES,
    broadcast_to_tokens,
    gae_advantages,
    get_advantage_fn,
    kl_to_go,
    masked_whiten,
    outcome_token_rewards,
)


def t(*xs):
    return torch.tensor(xs, dtype=torch.float32)


def ids(*xs):
    return torch.tensor(xs, dtype=torch.long)


def test_registry_has_the_outcome_estimators():
    assert ADVANTAGES.names() == ["grpo", "remax", "rloo", "sppo"]


def test_unknown_estimator_lists_valid_names_and_suggests():
    with pytest.raises(UnknownNameError, match=re.escape("Did you mean 'grpo'")) as err:
        get_advantage_fn("grp")
    assert "grpo, remax, rloo, sppo" in str(err.value)


def test_gae_is_not_an_outcome_estimator_and_the_error_says_where_it_is():
    with pytest.raises(UnknownNameError, match=re.escape("call reasoning_gym.trainers.advantages.gae_advantages(")):
        get_advantage_fn("gae")


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):
        ADVANTAGES.register("grpo")(lambda r, g, **k: r)


def test_grpo_hand_computed():
    # group 0: mean 0.5, unbiased std sqrt(0.5); group 1: all equal -> 0 (not 0/0).
    adv = get_advantage_fn("grpo")(t(1, 0, 1, 1), ids(0, 0, 1, 1))
    s = 0.5 / math.sqrt(0.5)
    torch.testing.assert_close(adv, t(s, -s, 0, 0), atol=1e-5, rtol=0)
    # one group of three: centred [2/3, -1/3, -1/3], std sqrt((6/9) / 2) = 1/sqrt(3).
    adv = get_advantage_fn("grpo")(t(1, 0, 0), ids(7, 7, 7))
    torch.testing.assert_close(adv, t(2 / 3, -1 / 3, -1 / 3) * math.sqrt(3), atol=1e-5, rtol=0)


def test_grpo_without_std_only_centres():
    adv = get_advantage_fn("grpo")(t(1, 0, 0, 1), ids(3, 3, 5, 5), scale_by_std=False)
    torch.testing.assert_close(adv, t(0.5, -0.5, -0.5, 0.5))


def test_rloo_hand_computed():
    adv = get_advantage_fn("rloo")(t(1, 0, 0), ids(0, 0, 0))
    torch.testing.assert_close(adv, t(1.0, -0.5, -0.5))


@pytest.mark.parametrize("name", ["grpo", "rloo"])
def test_group_estimators_reject_single_sample_groups(name):
    with pytest.raises(ValueError, match=r"at least 2 samples per prompt, but groups \[9\]"):
        get_advantage_fn(name)(t(1, 0, 1), ids(0, 0, 9))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_group_estimators_match_a_reference_loop(seed):
    g = torch.Generator().manual_seed(seed)
    group_ids = torch.randint(0, 4, (40,), generator=g)
    group_ids = torch.cat([group_ids, torch.arange(4), torch.arange(4)])  # every group has >= 2
    rewards = torch.rand(len(group_ids), generator=g).round()
    grpo = get_advantage_fn("grpo")(rewards, group_ids)
    rloo = get_advantage_fn("rloo")(rewards, group_ids)
    for i in range(len(rewards)):
        same = rewards[group_ids == group_ids[i]]
        others = rewards[(group_ids == group_ids[i]) & (torch.arange(len(rewards)) != i)]
        assert grpo[i].item() == pytest.approx(((rewards[i] - same.mean()) / (same.std() + 1e-6)).item(), abs=1e-5)
        assert rloo[i].item() == pytest.approx((rewards[i] - others.mean()).item(), abs=1e-6)


def test_remax_subtracts_greedy_reward_and_requires_baseline():
    adv = get_advantage_fn("remax")(t(1, 0, 1), ids(0, 1, 2), baseline=t(1, 1, 0))
    torch.testing.assert_close(adv, t(0, -1, 1))
    with pytest.raises(ValueError, match=re.escape("needs baseline=")):
        get_advantage_fn("remax")(t(1, 0), ids(0, 1))


def test_sppo_is_reward_minus_value_without_whitening():
    values = t(0.25, 0.9, 0.5)
    adv = get_advantage_fn("sppo")(t(1, 0, 1), ids(0, 1, 2), baseline=values)
    torch.testing.assert_close(adv, t(0.75, -0.9, 0.5))  # a whitened version would not keep these values


def test_sppo_rejects_logits_and_missing_baseline():
    with pytest.raises(ValueError, match=re.escape("pass torch.sigmoid(critic_logits)")):
        get_advantage_fn("sppo")(t(1, 0), ids(0, 1), baseline=t(2.5, -1.0))
    with pytest.raises(ValueError, match=re.escape("V(s_p)")):
        get_advantage_fn("sppo")(t(1, 0), ids(0, 1))


def test_advantages_carry_no_gradient():
    values = torch.tensor([0.3, 0.6], requires_grad=True)
    adv = get_advantage_fn("sppo")(t(1, 0), ids(0, 1), baseline=values)
    assert not adv.requires_grad


def test_shape_errors_say_what_was_expected():
    with pytest.raises(ValueError, match=re.escape("group_ids must have the shape of rewards (3,)")):
        get_advantage_fn("rloo")(t(1, 0, 1), ids(0, 0))


def test_broadcast_and_outcome_token_rewards():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 0, 0]])
    torch.testing.assert_close(broadcast_to_tokens(t(0.5, -1, 2), mask), t(0.5, 0.5, 0, -1, -1, -1, 0, 0, 0).view(3, 3))
    torch.testing.assert_close(outcome_token_rewards(t(1, 2, 3), mask), t(0, 1, 0, 0, 0, 2, 0, 0, 0).view(3, 3))


def test_gae_with_gamma_lambda_one_is_return_minus_value():
    mask = torch.tensor([[1, 1, 1, 0]])
    values = t(0.2, 0.5, 0.9, 0.7).view(1, 4)  # the padded value must be ignored
    adv, ret = gae_advantages(outcome_token_rewards(t(1), mask), values, mask)
    torch.testing.assert_close(adv, t(0.8, 0.5, 0.1, 0).view(1, 4))
    torch.testing.assert_close(ret, t(1, 1, 1, 0).view(1, 4))


def test_gae_discounted_hand_computed():
    # gamma=0.5, lam=1: deltas are [0.05, -0.05, 0.1]; advantages [0.05, 0.0, 0.1]; returns are discounted R.
    mask = torch.tensor([[1, 1, 1]])
    adv, ret = gae_advantages(t(0, 0, 1).view(1, 3), t(0.2, 0.5, 0.9).view(1, 3), mask, gamma=0.5)
    torch.testing.assert_close(adv, t(0.05, 0.0, 0.1).view(1, 3))
    torch.testing.assert_close(ret, t(0.25, 0.5, 1.0).view(1, 3))


def test_gae_lambda_zero_is_one_step_td():
    mask = torch.ones(1, 3)
    adv, _ = gae_advantages(t(0, 0, 1).view(1, 3), t(0.2, 0.5, 0.9).view(1, 3), mask, gamma=1.0, lam=0.0)
    torch.testing.assert_close(adv, t(0.3, 0.4, 0.1).view(1, 3))


def test_masked_whiten_ignores_padding():
    x = t(1, 2, 3, 100).view(1, 4)
    mask = torch.tensor([[1, 1, 1, 0]])
    w = masked_whiten(x, mask)
    assert w[0, 3] == 0
    assert w[0, :3].mean().item() == pytest.approx(0, abs=1e-6)
    # The unbiased variance, as verl: sum of squares / (n - 1) = 1.
    assert (w[0, :3] ** 2).sum().item() / 2 == pytest.approx(1, abs=1e-4)


# (values, mask, whitened) by hand, with the unbiased variance (n - 1 in the denominator).
WHITEN_CASES = [
    ([1, 2, 3, 100], [1, 1, 1, 0], [-1, 0, 1, 0]),  # mean 2, var (1 + 0 + 1) / 2 = 1
    ([0, 4], [1, 1], [-(2**-0.5), 2**-0.5]),  # mean 2, var (4 + 4) / 1 = 8, 2 / sqrt(8)
    ([5, 7, 9], [0, 1, 0], [0, 0, 0]),  # a single entry: zeros, where verl raises
]


@pytest.mark.parametrize(("values", "mask", "expected"), WHITEN_CASES)
def test_masked_whiten_hand_computed(values, mask, expected):
    w = masked_whiten(t(*values).view(1, -1), torch.tensor([mask]))
    torch.testing.assert_close(w, t(*expected).view(1, -1), atol=1e-4, rtol=0)


def _verl_gae_whitened(rewards, values, mask, gamma, lam):
    """verl's compute_gae_advantage_return and masked_whiten (verl 0.8.0), written out as its formulas."""
    mask = mask.float()
    next_value = last = torch.zeros(rewards.shape[0])
    backwards = []
    for step in reversed(range(rewards.shape[1])):
        delta = rewards[:, step] + gamma * next_value - values[:, step]
        new_last = delta + gamma * lam * last
        next_value = values[:, step] * mask[:, step] + (1 - mask[:, step]) * next_value
        last = new_last * mask[:, step] + (1 - mask[:, step]) * last
        backwards.append(last)
    adv = torch.stack(backwards[::-1], dim=1)
    n = mask.sum()
    mean = (adv * mask).sum() / (n + 1e-8)
    var = ((adv - mean) ** 2 * mask).sum() / (n + 1e-8) * n / (n - 1)
    return (adv - mean) * torch.rsqrt(var + 1e-8)


@pytest.mark.parametrize(("seed", "gamma", "lam"), [(0, 1.0, 1.0), (1, 1.0, 0.95), (2, 0.99, 0.9)])
def test_whitened_gae_equals_verls_formula(seed, gamma, lam):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([7, 3, 1, 5])
    mask = (torch.arange(7)[None] < lengths[:, None]).long()
    values = torch.rand(4, 7, generator=g)
    rewards = outcome_token_rewards((torch.rand(4, generator=g) > 0.5).float(), mask)
    adv, _ = gae_advantages(rewards, values, mask, gamma=gamma, lam=lam)
    ours = masked_whiten(adv, mask)
    reference = _verl_gae_whitened(rewards, values, mask, gamma, lam)
    torch.testing.assert_close(ours[mask.bool()], reference[mask.bool()], atol=1e-6, rtol=0)


def test_kl_to_go_hand_computed():
    kl = t(0.1, 0.2, 0.3, 9.0, -0.2, 0.4, 9.0, 9.0).view(2, 4)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    expected = t(0.6, 0.5, 0.3, 0.0, 0.2, 0.4, 0.0, 0.0).view(2, 4)
    torch.testing.assert_close(kl_to_go(kl, mask), expected, atol=1e-6, rtol=0)


def test_remax_with_kl_in_reward_matches_verls_reward_to_go():
    # verl: token rewards = R on the last token - beta * KL_t; returns summed to go; A_t = return_t - baseline.
    kl = t(0.1, 0.2, 0.3, 0.4, -0.1, 0.0).view(2, 3)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    rewards, greedy, beta = t(1.0, 0.0), t(0.0, 1.0), 0.5
    ours = broadcast_to_tokens(get_advantage_fn("remax")(rewards, ids(0, 1), baseline=greedy), mask)
    ours = ours - beta * kl_to_go(kl, mask)
    # by hand: row 0 = 1 - 0.5 * [0.6, 0.5, 0.3]; row 1 = 0 - 1 - 0.5 * [0.3, -0.1] on its two tokens
    expected = t(0.7, 0.75, 0.85, -1.15, -0.95, 0.0).view(2, 3)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=0)
    shaped = outcome_token_rewards(rewards, mask) - beta * kl * mask
    verl = shaped.flip(-1).cumsum(-1).flip(-1) - greedy[:, None] * mask
    torch.testing.assert_close(ours, verl, atol=1e-6, rtol=0)
