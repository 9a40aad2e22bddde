"""Weights & Biases logging in offline mode (no network): a training run and an evaluation, read back from
the run file W&B writes."""

import glob
import json
import struct
import warnings

import pytest
from wandb.proto import wandb_internal_pb2

from reasoning_gym.benchmarks.api import evaluate
from reasoning_gym.errors import ConfigError
from reasoning_gym.integrations.tracking import parse_report_to
from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers.config import EnvConfig, ModelConfig, OptimConfig, RolloutConfig, RunConfig
from reasoning_gym.trainers.grpo import GRPOConfig, train
from reasoning_gym.trainers.metrics import read_metrics

BLOCK = 32768  # W&B run files are LevelDB-style logs: 32 KiB blocks of records with a 7-byte header each


def wandb_records(run_dir):
    """The decoded records of the one offline W&B run under ``run_dir``."""
    (path,) = glob.glob(str(run_dir / "wandb" / "offline-run-*" / "run-*.wandb"))
    data, pos, pending = open(path, "rb").read(), 7, b""
    assert data[:4] == b":W&B"
    while pos + 7 <= len(data):
        if BLOCK - pos % BLOCK < 7:  # a block's tail too short for a header is padding
            pos += BLOCK - pos % BLOCK
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        payload, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        pending = payload if kind in (1, 2) else pending + payload
        if kind in (1, 4):  # a full record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def _items(items):
    """``{key: value}`` of W&B items (keys with a slash are stored as ``nested_key``)."""
    return {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in items}


def history_and_config(run_dir):
    history, config, summary = [], {}, {}
    for record in wandb_records(run_dir):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            history.append(_items(record.history.item))
        elif kind == "run":
            config.update(_items(record.run.config.update))
        elif kind == "summary":
            summary.update(_items(record.summary.update))
    return history, config, summary


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")


@pytest.fixture(scope="module")
def train_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("wandb-train")
    config = GRPOConfig(
        policy=ModelConfig(path=str(tiny_model_path("tiny"))),
        env=EnvConfig(id="rg/Arithmetic-v0", kwargs={"steps": 1, "digits": 1, "operations": "+"}),
        rollout=RolloutConfig(temperature=1.0, max_new_tokens=6),
        actor_optim=OptimConfig(lr=1e-3, mini_batch_size=4),
        run=RunConfig(output_dir=str(out), steps=2, save_every=0, report_to="tensorboard,wandb"),
        prompts_per_step=2,
        num_generations=2,
    )
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        mp.setenv("WANDB_MODE", "offline")
        mp.setenv("WANDB_SILENT", "true")
        warnings.simplefilter("ignore")
        train(config)
    return out


def test_training_run_records_config_metrics_and_verdict_counts(train_run):
    history, config, summary = history_and_config(train_run)
    rows = [r for r in read_metrics(train_run / "metrics.jsonl") if "reward/mean" in r]
    assert [h["_step"] for h in history] == [r["step"] for r in rows] == [1, 2]
    for logged, row in zip(history, rows):
        assert logged["reward/mean"] == pytest.approx(row["reward/mean"])
        verdicts = {k: v for k, v in row.items() if k.startswith("verdict/")}
        assert verdicts and all(logged[k] == v for k, v in verdicts.items())
    assert config["run"]["report_to"] == "tensorboard,wandb" and config["env"]["id"] == "rg/Arithmetic-v0"
    totals = {k.removeprefix("verdict_total/"): v for k, v in summary.items() if k.startswith("verdict_total/")}
    assert sum(totals.values()) == 2 * 2 * 2  # steps x prompts x samples
    assert list((train_run / "tensorboard").glob("events.out.tfevents.*"))


def test_evaluation_records_metrics_and_verdict_counts(tmp_path):
    results = evaluate(
        "tiny", "gsm8k", output_dir=tmp_path, samples=2, limit=2, max_tokens=8, progress=False, report_to="wandb"
    )
    history, config, summary = history_and_config(tmp_path)
    (logged,) = history
    bench = results["benchmarks"]["gsm8k"]
    assert logged["eval/gsm8k/avg@2"] == pytest.approx(bench["metrics"]["avg@2"]["value"])
    assert {k: v for k, v in logged.items() if "/verdict/" in k} == {
        f"eval/gsm8k/verdict/{s}": n for s, n in bench["status_counts"].items()
    }
    assert config["settings"]["samples"] == 2 and summary["eval/gsm8k/avg@2"] == logged["eval/gsm8k/avg@2"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("tensorboard", ("tensorboard",)),
        ("tensorboard,wandb", ("tensorboard", "wandb")),
        (" WandB , tensorboard ", ("wandb", "tensorboard")),
        ("none", ()),
        ("", ()),
        (["wandb"], ("wandb",)),
    ],
)
def test_parse_report_to(value, expected):
    assert parse_report_to(value) == expected


@pytest.mark.parametrize("value", ["tensorbord", "none,wandb", "mlflow"])
def test_bad_report_to_fails_in_the_config(value):
    with pytest.raises(ConfigError, match="report_to"):
        RunConfig(report_to=value)
