"""What a run leaves behind: config.json, metrics.jsonl, TensorBoard events, the reward-curve PNG and
checkpoints whose policy and critic load with ``from_pretrained``."""

import json
import sys
import warnings

import pytest
import torch
from sppo_runner import ENV_ID
from transformers import AutoModelForCausalLM

from reasoning_gym.models.loading import Critic
from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import metrics as metrics_module
from reasoning_gym.trainers.config import (
    EnvConfig,
    EvalConfig,
    ModelConfig,
    OptimConfig,
    RolloutConfig,
    RunConfig,
    load_config,
)
from reasoning_gym.trainers.metrics import MetricsLogger, read_metrics, write_reward_curve
from reasoning_gym.trainers.sppo import SPPOConfig, train

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = SPPOConfig(
        policy=ModelConfig(path=str(tiny_model_path("tiny"))),
        critic=ModelConfig(path=str(tiny_model_path("tiny-qwen2"))),
        env=EnvConfig(id=ENV_ID, kwargs={}),
        rollout=RolloutConfig(temperature=1.0, max_new_tokens=6),
        actor_optim=OptimConfig(lr=1e-3, mini_batch_size=2),
        critic_optim=OptimConfig(lr=1e-3, mini_batch_size=2),
        eval=EvalConfig(every=1, size=3),
        run=RunConfig(output_dir=str(out), steps=2, save_every=1),
        prompts_per_step=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plain env has no test split: evaluated on training problems
        train(config)
    return out, config


def test_config_and_metrics_are_written(run_dir):
    out, config = run_dir
    assert load_config(SPPOConfig, out / "config.json") == config
    rows = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert set(rows[0]) == {"step", "eval/accuracy", "eval/response_length", "time/eval"}
    assert all("eval/accuracy" in r and "reward/mean" in r for r in rows[1:])


def test_reward_curve_png_is_written(run_dir):
    out, _ = run_dir
    assert (out / "reward_curve.png").read_bytes()[:8] == PNG_MAGIC


def test_tensorboard_events_are_written(run_dir):
    pytest.importorskip("tensorboard")
    out, _ = run_dir
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))


def test_checkpoints_load_with_from_pretrained(run_dir):
    out, _ = run_dir
    for step in (1, 2):
        folder = out / f"checkpoint-{step}"
        policy = AutoModelForCausalLM.from_pretrained(folder / "policy")
        assert all(torch.isfinite(p).all() for p in policy.parameters())
        critic = Critic.from_pretrained(str(folder / "critic"))
        assert type(critic.model).__name__ == "Qwen2ForTokenClassification"


def test_missing_tensorboard_warns_once_and_logging_goes_on(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # makes the import fail
    monkeypatch.setattr(metrics_module, "_warned_no_tensorboard", False)
    with pytest.warns(UserWarning, match="TensorBoard logging is off"):
        logger = MetricsLogger(tmp_path, quiet=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MetricsLogger(tmp_path / "again", quiet=True)  # no second warning
    logger.log({"step": 1, "reward/mean": 0.5})
    logger.close()
    assert read_metrics(tmp_path / "metrics.jsonl") == [{"step": 1, "reward/mean": 0.5}]


def test_reward_curve_handles_runs_without_evaluation(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s, "reward/mean": s / 10}) + "\n" for s in range(1, 6)))
    assert write_reward_curve(path, tmp_path / "curve.png").read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    ("dicts", "expected"),
    [
        ([{"a": 1.0}, {"a": 3.0}], {"a": 2.0}),  # unweighted: a plain mean
        ([{"a": 1.0, "_weight": 1.0}, {"a": 4.0, "_weight": 3.0}], {"a": 3.25, "_weight": 4.0}),
        ([{"a": 2.0, "_weight": 2.0}, {"g": 5.0}, {"g": 7.0}], {"a": 2.0, "g": 6.0, "_weight": 2.0}),
        # Two ranks' merged dicts: the rank with more tokens counts more, as the whole batch's mean would.
        ([{"loss": 0.5, "_weight": 30.0}, {"loss": 1.0, "_weight": 10.0}], {"loss": 0.625, "_weight": 40.0}),
    ],
)
def test_mean_metrics_weights_micro_batches_by_their_size(dicts, expected):
    from reasoning_gym.trainers.metrics import mean_metrics

    assert mean_metrics(dicts) == pytest.approx(expected)
