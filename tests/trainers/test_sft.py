"""The SFT warm start: it teaches the tiny policy the easy procedural env, and it is cached on disk."""

import dataclasses
import re

import gymnasium as gym
import pytest
import torch
from sppo_runner import ENV_ID

import reasoning_gym as rg
from reasoning_gym.errors import ConfigError
from reasoning_gym.models.loading import load_policy
from reasoning_gym.rollout import SamplingParams, make_engine
from reasoning_gym.trainers import sft
from reasoning_gym.trainers.cli import preset_config
from reasoning_gym.trainers.config import EnvConfig, SFTConfig, apply_overrides
from reasoning_gym.trainers.sppo import SPPOConfig


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONING_GYM_CACHE", str(tmp_path / "cache"))


def held_out_accuracy(model_config, env_kwargs, n=50):
    policy, tokenizer = load_policy(model_config)
    engine = make_engine("hf", policy, tokenizer)
    env = rg.make("rg/Arithmetic-v0", **{**env_kwargs, "split": "test"})
    prompts = [env.reset(options={"index": i})[1]["messages"] for i in range(n)]
    samples = engine.generate(prompts, SamplingParams(temperature=0.0, max_new_tokens=48))
    rewards = []
    for i, sample in enumerate(samples):
        env.reset(options={"index": i})
        rewards.append(env.step(sample.text)[1])
    return sum(rewards) / n


def test_warm_start_teaches_the_tiny_policy_the_easy_env():
    config = apply_overrides(SPPOConfig, {"sft.steps": 100, "run.seed": 0}, base=preset_config("sppo", SPPOConfig))
    kwargs = config.env.kwargs
    assert held_out_accuracy(config.policy, kwargs) == 0  # a random tiny model is never right
    warmed = sft.warm_start(config)
    assert warmed.path != config.policy.path
    assert held_out_accuracy(warmed, kwargs) >= 0.15  # measured: 0.3 (greedy, held-out split)


def test_the_cache_is_reused_and_keyed_by_settings(monkeypatch):
    base = preset_config("sppo", SPPOConfig)
    config = dataclasses.replace(base, sft=SFTConfig(steps=2, batch_size=2))
    first = sft.warm_start(config)
    assert (sft.sft_cache_dir(config) / "sft.json").exists()

    def no_training(*args, **kwargs):
        raise AssertionError("the cached warm start should have been reused")

    monkeypatch.setattr(sft, "train_sft", no_training)
    assert sft.warm_start(config) == first
    assert sft.warm_start(dataclasses.replace(config, sft=SFTConfig(steps=0))) == config.policy
    other_seed = dataclasses.replace(config, run=dataclasses.replace(config.run, seed=1))
    other_env = dataclasses.replace(config, env=dataclasses.replace(config.env, kwargs={"steps": 3}))
    assert len({sft.sft_cache_dir(c) for c in (config, other_seed, other_env)}) == 3


def test_envs_without_reference_solutions_are_refused():
    config = dataclasses.replace(
        preset_config("sppo", SPPOConfig), env=EnvConfig(id=ENV_ID, kwargs={}), sft=SFTConfig(steps=1)
    )
    assert ENV_ID in gym.registry
    with pytest.raises(
        ConfigError, match=re.escape("use an env with worked solutions (e.g. rg/Arithmetic-v0) or --sft.steps 0")
    ):
        sft.warm_start(config)


def test_sft_loss_is_the_token_mean_over_response_tokens_only():
    config = preset_config("sppo", SPPOConfig)
    policy, tokenizer = load_policy(config.policy)
    optimizer = torch.optim.SGD(policy.parameters(), lr=0.0)
    examples = [([5, 6, 7], [8, 9]), ([5], [8, 9, 10, 11])]
    loss = sft._sft_step(policy, optimizer, tokenizer, examples, "cpu")
    from reasoning_gym.models.batching import TokenBatch
    from reasoning_gym.models.logprobs import response_logprobs

    micro = TokenBatch([p for p, _ in examples], [r for _, r in examples], tokenizer.pad_token_id).micro([0, 1])
    with torch.no_grad():
        logp = response_logprobs(policy, micro)
    assert loss == pytest.approx(-(logp * micro.response_mask).sum().item() / 6, rel=1e-5)
