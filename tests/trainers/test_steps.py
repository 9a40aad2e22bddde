"""The actor update gives the same gradient however a mini-batch is cut: rows, token budgets, padded or packed."""

from types import SimpleNamespace

import pytest
import torch

from reasoning_gym.models.batching import TokenBatch
from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import load_causal_lm
from reasoning_gym.trainers.config import OptimConfig, PPOClipConfig, RolloutConfig
from reasoning_gym.trainers.distributed import Distributed
from reasoning_gym.trainers.steps import forward_rows, policy_logprobs, update_actor

TOL = 1e-5


@pytest.fixture(scope="module")
def rows():
    gen = torch.Generator().manual_seed(0)
    lengths = [(3, 9), (7, 2), (2, 14), (5, 5), (9, 1), (4, 11)]  # (prompt, response) tokens: a ragged batch
    prompts = [torch.randint(5, 200, (p,), generator=gen).tolist() for p, _ in lengths]
    responses = [torch.randint(5, 200, (r,), generator=gen).tolist() for _, r in lengths]
    return TokenBatch(prompts, responses, pad_id=3)


def fake_run(optim: OptimConfig):
    """Just what update_actor reads: a policy, an optimizer (SGD lr 1: the step is minus the gradient)."""
    torch.manual_seed(0)
    policy = load_causal_lm(ModelConfig(path="tiny"))
    config = SimpleNamespace(actor_optim=optim, clip=PPOClipConfig(), rollout=RolloutConfig(temperature=0.7))
    run = SimpleNamespace(config=config, dist=Distributed(), policy=policy, device=torch.device("cpu"))
    run.actor_opt, run.engine = torch.optim.SGD(policy.parameters(), lr=1.0), SimpleNamespace(model=policy)
    return run


def step_delta(batch: TokenBatch, optim: OptimConfig) -> dict[str, torch.Tensor]:
    run = fake_run(optim)
    before = {k: v.detach().clone() for k, v in run.policy.named_parameters()}
    noise = torch.randn(batch.response_mask.shape, generator=torch.Generator().manual_seed(1))
    old_logp = policy_logprobs(run, batch) + 0.3 * noise  # ratios off 1, so some tokens clip
    advantages = torch.linspace(-1.0, 1.0, len(batch))
    metrics = update_actor(run, batch, old_logp, advantages)
    assert metrics["actor/clipfrac"] > 0  # the clip is exercised, not only the linear part
    return {k: v.detach() - before[k] for k, v in run.policy.named_parameters()}


CUTS = {
    "one row per pass": {"micro_batch_size": 1},
    "three rows per pass": {"micro_batch_size": 3},
    "token budget, padded": {"max_tokens_per_micro_batch": 40},
    "token budget, packed": {"max_tokens_per_micro_batch": 40, "packing": True},
    "one packed pass": {"max_tokens_per_micro_batch": 10_000, "packing": True},
}


@pytest.mark.parametrize("cut", sorted(CUTS))
def test_every_cut_gives_the_gradient_of_the_whole_mini_batch(rows, cut):
    base = dict(lr=1.0, grad_clip=1e9, mini_batch_size=len(rows), epochs=1)
    whole = step_delta(rows, OptimConfig(**base, micro_batch_size=len(rows)))
    delta = step_delta(rows, OptimConfig(**base, **CUTS[cut]))
    assert max(v.abs().max().item() for v in whole.values()) > 1e-3  # the step moved the weights
    for name, value in delta.items():
        torch.testing.assert_close(value, whole[name], atol=TOL, rtol=1e-4, msg=name)


@pytest.mark.parametrize("packed", [False, True])
def test_forward_rows_returns_rows_in_order_whatever_the_plan(rows, packed):
    run = fake_run(OptimConfig(max_tokens_per_micro_batch=30, packing=packed))
    lengths = forward_rows(run, rows, run.config.actor_optim, lambda micro: micro.response_mask.sum(-1))
    assert lengths.tolist() == rows.response_lengths.tolist()
    per_token = forward_rows(run, rows, run.config.actor_optim, lambda m: m.response_ids.float(), width=rows.width)
    assert torch.equal(per_token.long() * rows.response_mask, rows.response_ids * rows.response_mask)


def test_padding_efficiency_is_logged_and_packing_removes_padding(rows):
    base = dict(lr=1e-3, mini_batch_size=len(rows))
    padded = update_actor_metrics(rows, OptimConfig(**base, micro_batch_size=len(rows)))
    packed = update_actor_metrics(rows, OptimConfig(**base, max_tokens_per_micro_batch=100, packing=True))
    real = int(rows.lengths.sum())
    assert padded["actor/padding_efficiency"] == pytest.approx(real / (len(rows) * int(rows.lengths.max())))
    assert packed["actor/padding_efficiency"] == 1.0


def update_actor_metrics(batch, optim):
    run = fake_run(optim)
    return update_actor(run, batch, policy_logprobs(run, batch), torch.zeros(len(batch)))
