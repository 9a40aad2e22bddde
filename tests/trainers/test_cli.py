"""``rgym train``: every algorithm through the command line, on the procedural env and on GSM8K.

Generation is cut to a few tokens and evaluation to a few problems, so each run takes about a second; the
built-in envs are graded by the math verifier's worker pool, started once for the whole file.
"""

import json
from pathlib import Path

import pytest

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers import TRAINERS
from reasoning_gym.trainers.cli import main, parse_train_args
from reasoning_gym.trainers.presets import PRESETS
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
    cpu_demo = PRESETS["cpu-demo"]["sppo"]
    assert preset.env.kwargs == cpu_demo["env.kwargs"] and preset.sft.steps > 0 and preset.eval.every > 0
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


def test_unknown_algorithm_is_named_with_a_suggestion(capsys):
    assert main(["gpro"]) == 2
    assert "Did you mean 'grpo'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "name"), [(p, n) for p in sorted(PRESETS) for n in sorted(PRESETS[p])])
def test_every_preset_builds_a_valid_config_for_every_algorithm_it_covers(preset, name):
    from reasoning_gym.trainers import get_trainer

    config = parse_train_args(name, get_trainer(name).Config, ["--preset", preset])
    if preset == "cpu-demo":
        assert config.policy.path == "tiny" and config.rollout.max_new_tokens == 48 and config.sft.steps > 0
        return
    assert config.actor_optim.lr == 1e-6 and config.actor_optim.schedule == "constant"
    assert config.actor_optim.epochs == 1 and config.actor_optim.grad_clip == 1.0
    assert config.rollout.temperature == 0.6 and config.rollout.top_p == 1.0
    assert config.rollout.max_new_tokens == 8192 and config.sft.steps == 0
    assert config.actor_optim.max_tokens_per_micro_batch >= config.rollout.max_prompt_tokens + 8192
    seven = preset.startswith("paper-7b")
    assert config.rollout.max_prompt_tokens == (2048 if seven else 1024)
    assert config.prompts_per_step == (512 if seven else 256)
    assert config.actor_optim.weight_decay == (0.1 if seven else 0.01)
    assert config.fsdp.offload is seven  # the paper's 7B script offloads the actor


# algorithm -> what the paper's baseline scripts (and SPPO's) set, per preset size
PAPER_ALGORITHMS = {
    "sppo": lambda c, seven: c.critic_optim.lr == (1e-5 if seven else 5e-6) and not hasattr(c, "kl"),
    "ppo": lambda c, seven: c.critic_warmup == 50 and c.critic_optim.lr == 1e-5 and c.kl.coef == 0,
    "grpo": lambda c, seven: (
        c.num_generations == 8 and c.kl.coef == 0 and c.actor_optim.mini_batch_size == 8 * (32 if seven else 128)
    ),
    "rloo": lambda c, seven: c.num_generations == 5 and c.kl.coef == 0.001 and c.kl.in_reward,
    "remax": lambda c, seven: c.kl.coef == 0.001 and c.kl.in_reward,
}


@pytest.mark.parametrize("preset", ["paper-1.5b", "paper-7b"])
@pytest.mark.parametrize("name", sorted(PAPER_ALGORITHMS))
def test_paper_presets_carry_the_baseline_settings(preset, name):
    from reasoning_gym.trainers import get_trainer

    config = parse_train_args(name, get_trainer(name).Config, ["--preset", preset])
    assert PAPER_ALGORITHMS[name](config, preset == "paper-7b")


def test_presets_cover_every_algorithm_except_that_the_small_critic_needs_a_critic():
    assert {p: sorted(t) for p, t in PRESETS.items()} == {
        **{p: sorted(TRAINERS) for p in ("cpu-demo", "paper-1.5b", "paper-7b")},
        "paper-7b-small-critic": ["ppo", "sppo"],
    }


def test_a_real_model_without_a_preset_gets_the_paper_settings_and_is_its_own_critic(tmp_path, capsys):
    config = parse_train_args("sppo", SPPOConfig, ["--policy", "org/some-7b-model"])
    assert config.actor_optim.lr == 1e-6 and config.rollout.temperature == 0.6
    assert config.rollout.max_new_tokens == 8192 and config.critic.path == "org/some-7b-model"
    assert config.critic_optim.lr == 5e-6 and config.env.id == "rg/DAPOMath17k-v0"
    assert "using the paper-1.5b preset" in capsys.readouterr().err
    small = parse_train_args("sppo", SPPOConfig, ["--preset", "paper-7b-small-critic", "--policy", "my/7b"])
    assert small.policy.path == "my/7b" and small.critic.path == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    own = parse_train_args("sppo", SPPOConfig, ["--policy", "my/7b", "--critic", "my/critic"])
    assert own.critic.path == "my/critic"


def test_built_in_tiny_models_and_their_copies_keep_the_demo():
    demo = parse_train_args("sppo", SPPOConfig, [])
    assert parse_train_args("sppo", SPPOConfig, ["--policy", TINY]).actor_optim == demo.actor_optim  # its folder
    from reasoning_gym.trainers.grpo import GRPOConfig

    assert parse_train_args("grpo", GRPOConfig, ["--policy", "small"]).rollout.max_new_tokens == 48


# ---------------------------------------------------------------------------------------------------------
# Mistakes: one message, exit code 2, no traceback (--debug shows it)
# ---------------------------------------------------------------------------------------------------------

MISTAKES = [
    (["--env", "rg/Nope-v0", "--steps", "1"], "Unknown environment id 'rg/Nope-v0'"),
    (["--actor_optim.lr", "-1"], "--actor_optim: lr must be positive"),
    (["--policy", "./no/such/model", "--steps", "1"], "policy folder './no/such/model' (--policy.path) does not exist"),
    (["--preset", "paper-13b"], "Unknown preset 'paper-13b'"),
    (["--prompts_per_step", "10", "--actor_optim.mini_batch_size", "4"], "must be a multiple of"),
    (["--critic_optim.loss_agg", "mean"], "--critic_optim.loss_agg: invalid choice: 'mean'"),
]


@pytest.mark.parametrize(("argv", "message"), MISTAKES)
def test_mistakes_print_one_message_and_exit_2(argv, message, tmp_path, capfd):
    try:
        code = main([*argv, "--output", str(tmp_path / "run")])
    except SystemExit as exit_:  # argparse exits by itself
        code = exit_.code
    assert code == 2
    err = capfd.readouterr().err
    # Config mistakes say "rgym train: error:"; argparse's own (a bad choice) name the algorithm's parser.
    errors = [line for line in err.splitlines() if line.startswith("rgym train") and ": error:" in line]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err


def test_a_hub_model_that_cannot_be_fetched_offline_is_one_message(tmp_path, capfd, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    argv = ["--preset", "cpu-demo", "--policy", "nobody-xyz/not-a-model-4242", "--output", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capfd.readouterr().err
    assert "huggingface-cli download nobody-xyz/not-a-model-4242" in err and "Traceback" not in err


def test_a_run_folder_with_checkpoints_is_refused_with_the_fix(tmp_path, capfd):
    (tmp_path / "run" / "checkpoint-3").mkdir(parents=True)
    assert main(["--output", str(tmp_path / "run"), "--steps", "1"]) == 2
    assert "pass --run.resume" in capfd.readouterr().err


def test_debug_shows_the_traceback():
    from reasoning_gym.errors import UnknownNameError

    with pytest.raises(UnknownNameError):
        main(["--preset", "paper-13b", "--debug"])


def test_dry_run_plans_a_real_model_from_its_config_alone(tmp_path, capsys):
    folder = Path(__file__).resolve().parents[2] / "perf" / "configs" / "deepseek-r1-distill-qwen-1.5b"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json"]  # no weights to read
    out = tmp_path / "plan"
    assert main(["sppo", "--policy", str(folder), "--dry-run", "--gpus", "4", "--output", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["actor_optim"]["lr"] == 1e-6 and saved["rollout"]["temperature"] == 0.6
    assert saved["rollout"]["max_new_tokens"] == 8192 and saved["critic"]["path"] == str(folder)
    plan = json.loads((out / "memory_plan.json").read_text())
    assert plan["fits"] is True and plan["per_gpu_bytes"] > 10 * 2**30 and plan["gpus"] == 4
    printed = capsys.readouterr().out
    assert "actor_update" in printed and "fits" in printed and not list(out.glob("checkpoint-*"))
    assert main(["sppo", "--policy", str(folder), "--dry-run", "--gpu-memory", "8", "--output", str(out)]) == 0
    small = json.loads((out / "memory_plan.json").read_text())
    assert small["fits"] is False and small["suggestions"]  # one 8 GiB GPU: says which flags would help


def test_sft_only_prints_the_warm_started_folder_and_trains_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REASONING_GYM_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["sppo", "--policy", TINY, "--sft.steps", "2", "--sft.batch_size", "2", "--output", str(out), "--sft-only"]
    assert main(args) == 0
    folder = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert (folder / "config.json").exists() and folder.is_relative_to(tmp_path / "cache")
    assert not (out / "metrics.jsonl").exists()  # no RL step ran


def test_sft_only_without_sft_steps_is_one_error(tmp_path, capsys):
    assert main(["sppo", "--policy", TINY, "--sft.steps", "0", "--output", str(tmp_path), "--sft-only"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "--sft.steps 300" in err and "Traceback" not in err
