"""``rgym train``: every algorithm through the command line, on the procedural env and on GSM8K.

Generation is cut to a few tokens and evaluation to a few problems, so each run takes about a second; the
built-in envs are graded by the math verifier's worker pool, started once for the whole file.
"""

import json
from pathlib import Path

import pytest

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import TRAINERS
from reasoning_gym.trainers.cli import PRESETS, main, parse_train_args
from reasoning_gym.trainers.sppo import SPPOConfig

DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
TINY = str(tiny_model_path("tiny"))
#: Small batches for each algorithm (rows per step must split into mini-batches).
BATCH = {
    "sppo": ["--prompts_per_step", "2", "--actor_optim.mini_batch_size", "2", "--critic_optim.mini_batch_size", "2"],
    "ppo": ["--prompts_per_step", "2", "--actor_optim.mini_batch_size", "2", "--critic_optim.mini_batch_size", "2"],
    "grpo": ["--prompts_per_step", "1", "--num_generations", "2", "--actor_optim.mini_batch_size", "2"],
    "rloo": ["--prompts_per_step", "1", "--num_generations", "2", "--actor_optim.mini_batch_size", "2"],
    "remax": ["--prompts_per_step", "2", "--actor_optim.mini_batch_size", "2"],
}


def tiny_args(name, out):
    critic = ["--critic", TINY] if name in ("sppo", "ppo") else []
    return [
        name, "--policy", TINY, *critic, "--steps", "2", "--seed", "3", "--save-every", "1", "--eval-every", "1",
        "--output", str(out), "--eval.size", "2", "--rollout.max_new_tokens", "4", "--rollout.temperature", "1.0",
        *BATCH[name],
    ]  # fmt: skip


def read_rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_each_algorithm_trains_on_the_procedural_env(name, tmp_path):
    out = tmp_path / name
    args = tiny_args(name, out) + ["--env", "rg/Arithmetic-v0", "--env.kwargs", '{"steps": 1, "digits": 1}']
    assert main(args) == 0
    rows = read_rows(out)
    assert [r["step"] for r in rows] == [0, 1, 2] and all("eval/accuracy" in r for r in rows)
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    saved = json.loads((out / "config.json").read_text())
    assert saved["env"]["id"] == "rg/Arithmetic-v0" and saved["sft"]["steps"] == 0  # --env turns SFT off
    assert saved["env"]["kwargs"] == {"steps": 1, "digits": 1} and saved["run"]["seed"] == 3


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_each_algorithm_trains_on_gsm8k(name, tmp_path, monkeypatch):
    if not (DATA_DIR / "gsm8k_test.jsonl").exists():
        pytest.skip(f"no GSM8K file in {DATA_DIR}")
    monkeypatch.setenv("REASONING_GYM_DATA_DIR", str(DATA_DIR))
    out = tmp_path / name
    with pytest.warns(UserWarning, match="has no split argument"):
        assert main(tiny_args(name, out) + ["--env", "rg/GSM8K-v0", "--rollout.max_prompt_tokens", "4096"]) == 0
    rows = read_rows(out)
    assert [r["step"] for r in rows] == [0, 1, 2] and rows[-1]["reward/mean"] >= 0
    assert json.loads((out / "config.json").read_text())["env"] == {
        "id": "rg/GSM8K-v0", "kwargs": {}, "mix": [], "weights": [], "num_workers": 0,
    }  # fmt: skip


def test_mixed_envs_are_evaluated_separately(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONING_GYM_DATA_DIR", str(DATA_DIR))
    out = tmp_path / "mixed"
    args = tiny_args("grpo", out) + ["--env", "rg/Arithmetic-v0", "--env", "rg/Countdown-v0", "--steps", "1"]
    assert main(args) == 0
    last = read_rows(out)[-1]
    assert {"eval/rg/Arithmetic-v0/accuracy", "eval/rg/Countdown-v0/accuracy"} <= last.keys()


def test_the_preset_is_the_default_and_env_resets_its_env_part():
    preset = parse_train_args("sppo", SPPOConfig, [])
    assert preset.env.kwargs == PRESETS["sppo"]["env.kwargs"] and preset.sft.steps > 0 and preset.eval.every > 0
    other = parse_train_args("sppo", SPPOConfig, ["--env", "rg/GSM8K-v0", "--steps", "7"])
    assert other.env.id == "rg/GSM8K-v0" and other.env.kwargs == {} and other.sft.steps == 0
    assert other.run.steps == 7 and other.actor_optim.lr == preset.actor_optim.lr  # the rest of the preset stays
    kept = parse_train_args("sppo", SPPOConfig, ["--env", "rg/Arithmetic-v0", "--sft.steps", "5"])
    assert kept.sft.steps == 5


def test_config_file_replaces_the_preset(tmp_path):
    from reasoning_gym.trainers.config import save_config

    save_config(SPPOConfig(prompts_per_step=96), tmp_path)
    config = parse_train_args("sppo", SPPOConfig, ["--config", str(tmp_path / "config.json"), "--seed", "5"])
    assert config.prompts_per_step == 96 and config.sft.steps == 0 and config.run.seed == 5


def test_shortcut_and_dotted_flag_together_is_an_error(capsys):
    with pytest.raises(SystemExit):
        parse_train_args("sppo", SPPOConfig, ["--steps", "3", "--run.steps", "4"])
    assert "--run.steps and its shortcut were both given" in capsys.readouterr().err


def test_help_lists_algorithms_and_flags(capsys):
    assert main(["--help"]) == 0
    overview = capsys.readouterr().out
    assert all(f"  {name} " in overview for name in TRAINERS) and "--eval-every K" in overview
    with pytest.raises(SystemExit):
        main(["grpo", "--help"])
    flags = capsys.readouterr().out
    assert "--num_generations INT" in flags and "--env ID" in flags and "--kl.coef FLOAT" in flags
    assert "--critic" not in flags  # GRPO has no critic


def test_unknown_algorithm_is_named_with_a_suggestion():
    from reasoning_gym.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'grpo'"):
        main(["gpro"])
