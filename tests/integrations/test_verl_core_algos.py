"""Our estimators and losses against verl's own core_algos on identical tensors (verl 0.8.0).

The SPPO paper's baselines ran in verl, so ours must compute what verl computes: SPPO's advantage and loss,
PPO's whitened GAE, ReMax with the KL in the reward, RLOO and GRPO, and verl's micro-batch loss aggregation
(``--actor_optim.loss_agg verl``). Skipped where verl cannot be imported (the main CI venv: verl pins
numpy<2); ``.ci/verl`` runs it in a venv with verl installed and fails if it was skipped.
"""

import numpy as np
import pytest
import torch

try:
    from verl.trainer.ppo import core_algos
    from verl.utils import torch_functional as verl_F
except ImportError as exc:
    pytest.skip(f"verl is not importable here ({exc}); .ci/verl runs this file", allow_module_level=True)

from reasoning_gym.trainers.advantages import (
    broadcast_to_tokens,
    gae_advantages,
    get_advantage_fn,
    kl_to_go,
    masked_whiten,
    outcome_token_rewards,
)
from reasoning_gym.trainers.losses import clipped_pg_loss, micro_normalizer

SEEDS = [0, 1, 2]


def batch(seed, rows=6, width=9):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, width + 1, (rows,), generator=g)
    mask = (torch.arange(width)[None] < lengths[:, None]).float()
    rewards = (torch.rand(rows, generator=g) > 0.5).float()
    return g, mask, rewards


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("gamma", "lam"), [(1.0, 1.0), (1.0, 0.95), (0.99, 0.9)])
def test_whitened_gae_equals_verl(seed, gamma, lam):
    g, mask, rewards = batch(seed)
    values = torch.rand(mask.shape, generator=g)
    token_rewards = outcome_token_rewards(rewards, mask)
    ours, returns = gae_advantages(token_rewards, values, mask, gamma=gamma, lam=lam)
    ours = masked_whiten(ours, mask)
    theirs, their_returns = core_algos.compute_gae_advantage_return(token_rewards, values, mask, gamma, lam)
    valid = mask.bool()
    torch.testing.assert_close(ours[valid], theirs[valid], atol=1e-6, rtol=0)
    torch.testing.assert_close(returns[valid], their_returns[valid], atol=1e-6, rtol=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_masked_whiten_equals_verl(seed):
    g, mask, _ = batch(seed)
    x = torch.randn(mask.shape, generator=g)
    torch.testing.assert_close(masked_whiten(x, mask)[mask.bool()], verl_F.masked_whiten(x, mask)[mask.bool()])


@pytest.mark.parametrize("seed", SEEDS)
def test_remax_with_kl_in_the_reward_equals_verl(seed):
    g, mask, rewards = batch(seed)
    logp, ref = -torch.rand(mask.shape, generator=g), -torch.rand(mask.shape, generator=g)
    greedy, beta = (torch.rand(len(rewards), generator=g) > 0.5).float(), 0.001 * (seed + 1) * 100
    kl = (logp - ref) * mask  # verl's k1 ("kl") penalty
    ours = broadcast_to_tokens(get_advantage_fn("remax")(rewards, torch.arange(len(rewards)), baseline=greedy), mask)
    ours = ours - beta * kl_to_go(kl, mask)
    shaped = core_algos.compute_rewards(outcome_token_rewards(rewards, mask), logp, ref, beta)
    theirs, _ = core_algos.compute_remax_outcome_advantage(shaped, greedy, mask)
    torch.testing.assert_close(ours * mask, theirs * mask, atol=1e-6, rtol=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["grpo", "rloo"])
def test_group_estimators_equal_verl(seed, name):
    g = torch.Generator().manual_seed(seed)
    groups = torch.arange(4).repeat_interleave(5)
    rewards = (torch.rand(len(groups), generator=g) > 0.5).float()
    mask = torch.ones(len(groups), 3)
    ours = get_advantage_fn(name)(rewards, groups)
    fn = core_algos.compute_grpo_outcome_advantage if name == "grpo" else core_algos.compute_rloo_outcome_advantage
    theirs, _ = fn(outcome_token_rewards(rewards, mask), mask, np.array(groups.tolist()))
    torch.testing.assert_close(ours, theirs[:, 0], atol=1e-5, rtol=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_verl_loss_aggregation_equals_verls_micro_batch_token_mean_over_grad_accumulation(seed):
    # verl's dp_actor at a fixed micro-batch size: each micro-batch's token-mean divided by the number of
    # micro-batches (its gradient accumulation), summed. Ours: micro_normalizer("verl").
    g, mask, _ = batch(seed, rows=8)
    old = -torch.rand(mask.shape, generator=g)
    logp = old + 0.3 * torch.randn(mask.shape, generator=g)
    adv = torch.randn(mask.shape[0], generator=g)
    micros = [slice(0, 3), slice(3, 4), slice(4, 8)]
    ours = theirs = 0.0
    for rows in micros:
        m = mask[rows]
        normalizer = micro_normalizer("verl", mini_count=mask.sum(), micro_count=m.sum(), micro_batches=len(micros))
        ours += clipped_pg_loss(logp[rows], old[rows], adv[rows], m, dual_clip=3.0, normalizer=normalizer)[0]
        ratio = torch.exp(logp[rows] - old[rows])
        a = adv[rows, None].expand_as(ratio)
        clipped = torch.maximum(-a * ratio, -a * ratio.clamp(0.8, 1.2))
        per_token = torch.where(a < 0, torch.minimum(clipped, -a * 3.0), clipped)
        theirs += core_algos.agg_loss(per_token, m, "token-mean") / len(micros)
    torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)
