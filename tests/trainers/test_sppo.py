"""SPPO end to end on CPU: tiny policy, tiny critic of another family, rg envs and a plain Gymnasium env."""

import dataclasses
import json
import math
import string

import gymnasium as gym
import pytest
import torch
from gymnasium import spaces
from safetensors.torch import load_file

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.loading import Critic, load_policy
from reasoning_gym.models.tiny import build_tiny_model
from reasoning_gym.trainers.config import EnvConfig, ModelConfig, OptimConfig, RolloutConfig, RunConfig, load_config
from reasoning_gym.trainers.sppo import SPPOConfig, main, train


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return str(build_tiny_model(root / "policy", "tiny")), str(build_tiny_model(root / "critic", "tiny-qwen2"))


class PlainAddEnv(gym.Env):
    """A plain Gymnasium env: no reasoning_gym base class, no info["messages"], no verdicts."""

    def __init__(self):
        self.observation_space = spaces.Text(max_length=100, min_length=0, charset=string.printable)
        self.action_space = spaces.Text(max_length=10_000, min_length=0, charset=string.printable)
        self._digit = None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        a, b = (int(x) for x in self.np_random.integers(0, 50, size=2))
        self._digit = str((a + b) % 10)  # lenient on purpose, so that a random policy earns some reward
        return f"What is {a} + {b}?", {}

    def step(self, action):
        return "", float(self._digit in action), True, False, {}


if "rgtest/PlainAdd-v0" not in gym.registry:
    gym.register("rgtest/PlainAdd-v0", entry_point=PlainAddEnv)


def tiny_config(tmp_path, models, **overrides):
    policy, critic = models
    fields = dict(
        policy=ModelConfig(path=policy),
        critic=ModelConfig(path=critic),
        env=EnvConfig(id="rg/Arithmetic-v0", kwargs={"split": "train"}),
        rollout=RolloutConfig(temperature=1.0, max_new_tokens=8),
        actor_optim=OptimConfig(lr=1e-3, mini_batch_size=2, micro_batch_size=1),
        critic_optim=OptimConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=2),
        run=RunConfig(output_dir=str(tmp_path / "run"), steps=2, save_every=0, seed=0),
        prompts_per_step=4,
    )
    return SPPOConfig(**{**fields, **overrides})


def read_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_sppo_trains_policy_and_a_critic_of_another_family(tmp_path, models):
    config = tiny_config(tmp_path, models)
    policy_before, _ = load_policy(config.policy)
    critic_before = Critic.from_pretrained(config.critic.path)
    result = train(config)

    run_dir = tmp_path / "run"
    assert result.last_step == 2 and [m["step"] for m in read_metrics(run_dir)] == [1, 2]
    for m in result.history:
        assert all(math.isfinite(m[k]) for k in ("loss/policy", "loss/critic", "actor/grad_norm", "reward/mean"))
        assert sum(v for k, v in m.items() if k.startswith("verdict/")) == 4  # every sample got a verdict
        assert {"time/generate", "time/score", "time/actor_update", "perf/tokens_per_s"} <= m.keys()
        assert "rollout/logprob_diff" not in m  # the HF engine leaves log-probs to the trainer
        assert m["actor/entropy"] > 0 and 0 < m["actor/padding_efficiency"] <= 1
        assert 0 <= m["reward/extraction_differs"] <= 1  # the math-graded env reports both extraction modes
    assert load_config(SPPOConfig, run_dir / "config.json") == config

    final = run_dir / "checkpoint-2"
    assert sorted(p.name for p in final.iterdir()) == ["critic", "policy", "state", "trainer_state.pt"]
    policy_after = load_file(final / "policy" / "model.safetensors")
    for name, before in policy_before.state_dict().items():
        assert not torch.equal(before, policy_after[name]), f"Policy parameter {name} has not changed."
    critic_after = Critic.from_pretrained(str(final / "critic"))
    assert type(critic_after.model).__name__ == "Qwen2ForTokenClassification"
    after = dict(critic_after.named_parameters())
    for name, before in critic_before.named_parameters():
        assert not torch.equal(before, after[name]), f"Critic parameter {name} has not changed."


def test_verl_loss_aggregation_differs_from_exact_only_where_micro_batch_counts_differ(tmp_path, models):
    # One step from the same seed samples the same batch. The actor cuts its 4 responses into micro-batches of
    # 3 and 1, so verl's mean of micro-batch token-means weighs tokens unlike the exact token-mean: the policies
    # differ. The critic's micro-batches hold 2 prompts each, so its two modes give the same weights.
    weights = {}
    for mode in ("exact", "verl"):
        config = tiny_config(tmp_path / mode, models, run=RunConfig(output_dir=str(tmp_path / mode), steps=1))
        actor = OptimConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=3, loss_agg=mode)
        critic = OptimConfig(lr=1e-3, mini_batch_size=4, micro_batch_size=2, loss_agg=mode)
        result = train(dataclasses.replace(config, actor_optim=actor, critic_optim=critic))
        assert all(math.isfinite(m["loss/policy"]) and math.isfinite(m["loss/critic"]) for m in result.history)
        final = tmp_path / mode / "checkpoint-1"
        weights[mode] = (
            load_file(final / "policy" / "model.safetensors"),
            dict(Critic.from_pretrained(str(final / "critic")).named_parameters()),
        )
    (policy_exact, critic_exact), (policy_verl, critic_verl) = weights["exact"], weights["verl"]
    assert any(not torch.equal(policy_exact[k], policy_verl[k]) for k in policy_exact)
    for name, value in critic_exact.items():
        torch.testing.assert_close(value, critic_verl[name], atol=1e-6, rtol=0)


def test_sppo_works_with_a_plain_gymnasium_env(tmp_path, models):
    config = tiny_config(tmp_path, models, env=EnvConfig(id="rgtest/PlainAdd-v0", kwargs={}, num_workers=2))
    result = train(config)
    rewards = [m["reward/mean"] for m in result.history]
    assert all(0 <= r <= 1 for r in rewards)
    assert all(
        set(k for k in m if k.startswith("verdict/")) <= {"verdict/correct", "verdict/wrong"} for m in result.history
    )
    assert all(math.isfinite(m["loss/policy"]) and math.isfinite(m["loss/critic"]) for m in result.history)


def test_resuming_reproduces_an_uninterrupted_run(tmp_path, models):
    env = EnvConfig(id="rgtest/PlainAdd-v0", kwargs={})
    straight = tiny_config(tmp_path / "a", models, env=env, run=RunConfig(output_dir=str(tmp_path / "a"), steps=3))
    train(straight)
    first = tiny_config(tmp_path / "b", models, env=env, run=RunConfig(output_dir=str(tmp_path / "b"), steps=2))
    train(first)
    with pytest.raises(FileExistsError, match="pass --run.resume"):
        train(first)
    resumed = tiny_config(
        tmp_path / "b", models, env=env, run=RunConfig(output_dir=str(tmp_path / "b"), steps=3, resume=True)
    )
    train(resumed)

    a, b = (load_file(tmp_path / x / "checkpoint-3" / "policy" / "model.safetensors") for x in "ab")
    assert all(torch.equal(a[k], b[k]) for k in a)
    metrics_a, metrics_b = read_metrics(tmp_path / "a"), read_metrics(tmp_path / "b")
    assert [m["step"] for m in metrics_b] == [1, 2, 3]
    same = [k for k in metrics_a[-1] if not k.startswith(("time/", "perf/"))]
    assert {k: metrics_a[-1][k] for k in same} == {k: metrics_b[-1][k] for k in same}


def test_command_line_entry_point(tmp_path, models):
    policy, critic = models
    out = tmp_path / "cli"
    argv = [
        "--policy.path", policy, "--critic.path", critic, "--env.id", "rgtest/PlainAdd-v0", "--env.kwargs", "{}",
        "--prompts_per_step", "2", "--actor_optim.mini_batch_size", "2", "--critic_optim.mini_batch_size", "2",
        "--rollout.max_new_tokens", "4", "--run.steps", "1", "--run.output_dir", str(out),
    ]  # fmt: skip
    assert main(argv) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["rollout"]["max_new_tokens"] == 4 and saved["rollout"]["temperature"] == 0.6
    assert (out / "checkpoint-1" / "policy" / "config.json").exists()


def test_batch_sizes_are_validated_with_the_fix_in_the_message():
    with pytest.raises(ConfigError, match=r"must be a multiple of actor_optim.mini_batch_size \(3\)"):
        SPPOConfig(prompts_per_step=8, actor_optim=OptimConfig(mini_batch_size=3, micro_batch_size=1))


def test_learning_rate_schedule_is_applied_and_logged(tmp_path, models):
    actor = OptimConfig(lr=1e-3, schedule="linear", min_lr_ratio=0.5, mini_batch_size=2, micro_batch_size=1)
    critic = OptimConfig(lr=1e-3, warmup_steps=2, mini_batch_size=4, micro_batch_size=2)
    config = tiny_config(tmp_path, models, actor_optim=actor, critic_optim=critic,
                         run=RunConfig(output_dir=str(tmp_path / "run"), steps=3, save_every=0, seed=0))  # fmt: skip
    rows = train(config).history
    assert [m["actor/lr"] for m in rows] == pytest.approx([1e-3 * f for f in (5 / 6, 4 / 6, 3 / 6)])
    assert [m["critic/lr"] for m in rows] == pytest.approx([1e-3 / 3, 2e-3 / 3, 1e-3])
