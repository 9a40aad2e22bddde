"""PPO, GRPO, RLOO and ReMax end to end on CPU: tiny models, two steps, finite losses, every weight moves.

The env is the lenient plain-Gymnasium ``rgtest/LastDigit-v0`` (no verifier worker pool to start), so a
random tiny policy earns some reward and every estimator sees non-zero advantages.
"""

import math
import re

import pytest
import torch
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.loading import Critic, load_policy
from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import get_trainer
from reasoning_gym.trainers.config import EnvConfig, KLConfig, ModelConfig, OptimConfig, RolloutConfig, RunConfig

TINY = str(tiny_model_path("tiny"))
FAST = dict(
    policy=ModelConfig(path=TINY),
    env=EnvConfig(id=ENV_ID, kwargs={}),
    rollout=RolloutConfig(temperature=1.0, max_new_tokens=8),
    actor_optim=OptimConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=4),
)
CASES = {
    "ppo": dict(
        critic=ModelConfig(path=TINY), critic_optim=OptimConfig(lr=1e-3, mini_batch_size=4), prompts_per_step=4
    ),
    "grpo": dict(prompts_per_step=2, num_generations=4),
    "rloo": dict(prompts_per_step=2, num_generations=4),
    "remax": dict(prompts_per_step=4),
}
LOSS_KEYS = ("loss/policy", "actor/grad_norm", "reward/mean", "advantage/abs_mean")


def make_config(name, tmp_path, **overrides):
    fields = {**FAST, **CASES[name], "run": RunConfig(output_dir=str(tmp_path / name), steps=2, save_every=0)}
    return get_trainer(name).Config(**{**fields, **overrides})


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_steps_give_finite_losses_and_change_every_weight(name, tmp_path):
    config = make_config(name, tmp_path)
    before = {k: v.clone() for k, v in load_policy(config.policy)[0].state_dict().items()}
    result = get_trainer(name).train(config)

    assert [m["step"] for m in result.history] == [1, 2]
    for metrics in result.history:
        assert all(math.isfinite(metrics[k]) for k in LOSS_KEYS), metrics
    after = load_file(tmp_path / name / "checkpoint-2" / "policy" / "model.safetensors")
    for key, value in before.items():
        assert not torch.equal(value, after[key]), f"Policy parameter {key} has not changed."


def test_ppo_trains_its_token_level_critic(tmp_path):
    config = make_config("ppo", tmp_path)
    critic_before = dict(Critic.from_pretrained(TINY).named_parameters())
    result = get_trainer("ppo").train(config)
    assert all(math.isfinite(m["loss/value"]) and 0 <= m["critic/vf_clipfrac"] <= 1 for m in result.history)
    after = dict(Critic.from_pretrained(str(tmp_path / "ppo" / "checkpoint-2" / "critic")).named_parameters())
    for key, value in critic_before.items():
        assert not torch.equal(value, after[key]), f"Critic parameter {key} has not changed."


def test_ppo_with_a_bce_critic_trains_it_and_keeps_values_in_0_1(tmp_path):
    config = make_config("ppo", tmp_path, critic_loss="bce")
    critic_before = dict(Critic.from_pretrained(TINY).named_parameters())
    result = get_trainer("ppo").train(config)
    for metrics in result.history:
        assert math.isfinite(metrics["loss/value"]) and math.isfinite(metrics["loss/policy"]), metrics
        assert 0 < metrics["critic/value_before_update"] < 1  # sigmoid values, not raw outputs
        assert "critic/vf_clipfrac" not in metrics  # no value clip with BCE
    after = dict(Critic.from_pretrained(str(tmp_path / "ppo" / "checkpoint-2" / "critic")).named_parameters())
    for key, value in critic_before.items():
        assert not torch.equal(value, after[key]), f"Critic parameter {key} has not changed."


@pytest.mark.parametrize(("warmup", "actor_steps"), [(3, []), (2, [2])])
def test_ppo_critic_warmup_counts_steps_as_verl_does(tmp_path, warmup, actor_steps):
    # verl updates the actor once critic_warmup <= the 1-based step: warm-up 2 leaves one critic-only step.
    config = make_config("ppo", tmp_path, critic_warmup=warmup)
    before = load_policy(config.policy)[0].state_dict()
    result = get_trainer("ppo").train(config)
    assert all("loss/value" in m for m in result.history)
    assert [m["step"] for m in result.history if "loss/policy" in m] == actor_steps
    after = load_file(tmp_path / "ppo" / "checkpoint-2" / "policy" / "model.safetensors")
    assert all(torch.equal(before[k], after[k]) for k in before) == (not actor_steps)


def test_ppo_rejects_a_critic_with_another_tokenizer(tmp_path):
    config = make_config("ppo", tmp_path, critic=ModelConfig(path=str(tiny_model_path("tiny-qwen2"))))
    with pytest.raises(ConfigError, match="must share the policy's tokenizer"):
        get_trainer("ppo").train(config)


@pytest.mark.parametrize("in_reward", [False, True])
def test_kl_to_the_initial_policy_is_logged(tmp_path, in_reward):
    config = make_config("rloo", tmp_path, kl=KLConfig(coef=0.1, in_reward=in_reward))
    result = get_trainer("rloo").train(config)
    for metrics in result.history:
        assert math.isfinite(metrics["loss/policy"])
        assert ("actor/kl" in metrics) is not in_reward  # in the reward, the KL is not a loss term
    assert "time/ref_logprobs" in result.history[0]


def test_remax_logs_its_greedy_baseline(tmp_path):
    result = get_trainer("remax").train(make_config("remax", tmp_path))
    assert all(0 <= m["reward/baseline_mean"] <= 1 for m in result.history)


@pytest.mark.parametrize(
    "name, overrides, message",
    [
        ("grpo", dict(num_generations=1), "num_generations must be >= 2"),
        ("rloo", dict(num_generations=3), "prompts_per_step * num_generations (6) must be a multiple of"),
        ("remax", dict(prompts_per_step=6), "prompts_per_step (6) must be a multiple of actor_optim.mini_batch_size"),
    ],
)
def test_config_errors_say_what_to_change(tmp_path, name, overrides, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_config(name, tmp_path, **overrides)


class PositionCritic(torch.nn.Module):
    """A fake critic whose 'value' at each position is the position's column number."""

    def forward(self, input_ids, attention_mask, positions=None):
        return torch.arange(input_ids.shape[1], dtype=torch.float32).expand(input_ids.shape[0], -1)


def test_ppo_values_are_read_one_position_before_each_response_token():
    from types import SimpleNamespace

    from reasoning_gym.models.batching import TokenBatch
    from reasoning_gym.trainers.ppo import _token_values

    batch = TokenBatch([[1, 2, 3], [4]], [[5, 6], [7, 8]], pad_id=0)  # prompts of 3 and 1 tokens
    for packed in (False, True):
        values = _token_values(SimpleNamespace(critic=PositionCritic()), batch.micro(torch.arange(2), packed=packed))
        # V(s_t) for response token t is the output at position P + t - 1 of its sequence: the state before t.
        expected = [[2.0, 3.0], [0.0, 1.0]] if not packed else [[2.0, 3.0], [5.0, 6.0]]
        assert values.tolist() == expected


def test_kl_in_the_reward_subtracts_beta_times_the_summed_token_kl():
    from types import SimpleNamespace

    from reasoning_gym.trainers.steps import kl_shaped_rewards

    rewards, kl = torch.tensor([1.0, 0.0]), torch.tensor([[0.2, 0.4, 0.0], [1.0, 0.0, 0.0]])
    run = SimpleNamespace(config=SimpleNamespace(kl=KLConfig(coef=0.5, in_reward=True)))
    assert torch.allclose(kl_shaped_rewards(run, rewards, kl), torch.tensor([1.0 - 0.3, 0.0 - 0.5]))
    run.config.kl = KLConfig(coef=0.5, in_reward=False)  # a loss term instead: rewards untouched
    assert torch.equal(kl_shaped_rewards(run, rewards, kl), rewards)
    assert torch.equal(kl_shaped_rewards(run, rewards, None), rewards)


@pytest.mark.parametrize("name", ["remax", "rloo"])
def test_kl_in_the_reward_is_summed_to_go_per_token_for_remax_and_whole_for_rloo(name, tmp_path, monkeypatch):
    import importlib

    from reasoning_gym.trainers import steps
    from reasoning_gym.trainers.advantages import broadcast_to_tokens, kl_to_go

    module, seen = importlib.import_module(f"reasoning_gym.trainers.{name}"), {}
    estimator, real_kl, real_update = getattr(module, f"{name}_advantages"), steps.reference_kl, steps.update_actor

    def spy_estimator(rewards, groups, **kwargs):
        seen["rewards"], seen["sequence_adv"] = rewards, estimator(rewards, groups, **kwargs)
        return seen["sequence_adv"]

    def spy_kl(*args, **kwargs):
        out = real_kl(*args, **kwargs)
        seen["kl"] = out[1]
        return out

    def spy_update(run, batch, old_logp, advantages, **kwargs):
        seen["adv"], seen["mask"] = advantages, batch.response_mask
        return real_update(run, batch, old_logp, advantages, **kwargs)

    monkeypatch.setattr(module, f"{name}_advantages", spy_estimator)
    monkeypatch.setattr(steps, "reference_kl", spy_kl)
    monkeypatch.setattr(steps, "update_actor", spy_update)
    beta = 0.5
    get_trainer(name).train(make_config(name, tmp_path, kl=KLConfig(coef=beta, in_reward=True, estimator="k1")))
    # Step 2 (the last one recorded): the policy has moved, so the sampled tokens' KL to the reference is not 0.
    kl, mask, adv = seen["kl"], seen["mask"], seen["adv"]
    assert (kl * mask).abs().sum() > 0
    if name == "remax":  # verl: A_t = R - beta * sum_{t' >= t} KL_t' - R_greedy, the rewards unshaped
        assert set(seen["rewards"].tolist()) <= {0.0, 1.0}
        expected = broadcast_to_tokens(seen["sequence_adv"], mask) - beta * kl_to_go(kl, mask)
        torch.testing.assert_close(adv, expected, atol=1e-6, rtol=0)
    else:  # one advantage per response, from R - beta * sum_t KL_t
        assert adv.dim() == 1
        raw = seen["rewards"] + beta * (kl * mask).sum(-1)
        torch.testing.assert_close(raw, raw.round(), atol=1e-5, rtol=0)
