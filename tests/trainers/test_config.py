"""Config dataclasses: validation messages, JSON round trip, and the generated command line."""

import json
import re
from dataclasses import dataclass, field

import pytest

from reasoning_gym.errors import ConfigError
from reasoning_gym.trainers.config import (
    EnvConfig,
    ModelConfig,
    OptimConfig,
    PPOClipConfig,
    RolloutConfig,
    RunConfig,
    build_parser,
    config_from_dict,
    config_to_dict,
    field_docs,
    load_config,
    parse_config,
    save_config,
)


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """A demo trainer config."""

    policy: ModelConfig = field(default_factory=ModelConfig)
    """The policy."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """The env."""
    rollout: RolloutConfig = field(default_factory=lambda: RolloutConfig(temperature=0.6))
    """Sampling."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Optimizer."""
    clip: PPOClipConfig = field(default_factory=PPOClipConfig)
    """Loss."""
    run: RunConfig = field(default_factory=RunConfig)
    """Run."""
    samples: int = 4
    """Samples per prompt."""


def test_nested_flags_override_only_what_is_given():
    config = parse_config(
        DemoConfig,
        [
            "--rollout.max_new_tokens", "12",
            "--optim.betas", "0.8", "0.95",
            "--clip.dual_clip", "none",
            "--env.kwargs", '{"split": "test", "size": 5}',
            "--run.resume",
            "--policy.dtype", "bfloat16",
            "--samples", "8",
        ],
    )  # fmt: skip
    assert config.rollout == RolloutConfig(temperature=0.6, max_new_tokens=12)  # the trainer's default is kept
    assert config.optim.betas == (0.8, 0.95) and config.clip.dual_clip is None
    assert config.env.kwargs == {"split": "test", "size": 5}
    assert config.run.resume is True and config.policy.dtype == "bfloat16" and config.samples == 8


def test_no_flags_gives_the_defaults():
    assert parse_config(DemoConfig, []) == DemoConfig()


def test_help_comes_from_attribute_docstrings_and_shows_defaults():
    assert field_docs(RolloutConfig)["top_p"] == "Nucleus sampling threshold (1.0 disables it)."
    text = build_parser(DemoConfig).format_help()
    assert "Samples per prompt. (default: 4)" in text
    assert "--rollout.temperature FLOAT" in text and "(default: 0.6)" in text
    assert "{float32,bfloat16}" in text


def test_bad_values_exit_with_argparse_errors(capsys):
    with pytest.raises(SystemExit):
        parse_config(DemoConfig, ["--policy.dtype", "float16"])
    assert "invalid choice: 'float16'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_config(DemoConfig, ["--rollout.top_p", "0"])
    assert "top_p must be in (0, 1], got 0.0; use 1.0 to disable it." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_config(DemoConfig, ["--rollout.temprature", "1"])


def test_config_file_then_flags(tmp_path):
    base = DemoConfig(samples=16, rollout=RolloutConfig(top_p=0.9))
    path = save_config(base, tmp_path)
    assert json.loads(path.read_text())["rollout"]["top_p"] == 0.9
    config = parse_config(DemoConfig, ["--config", str(path), "--rollout.temperature", "0.3"])
    assert config.samples == 16 and config.rollout.top_p == 0.9 and config.rollout.temperature == 0.3


def test_json_round_trip_keeps_tuples_and_nesting(tmp_path):
    config = DemoConfig(optim=OptimConfig(betas=(0.5, 0.6)))
    assert config_from_dict(DemoConfig, config_to_dict(config)) == config
    assert load_config(DemoConfig, save_config(config, tmp_path)) == config


def test_unknown_keys_in_a_config_file_are_named_with_a_suggestion():
    with pytest.raises(ConfigError, match=re.escape("Unknown config field 'rollout.temprature'. Did you mean")):
        config_from_dict(DemoConfig, {"rollout": {"temprature": 1.0}})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RolloutConfig(temperature=-1), "temperature must be >= 0"),
        (lambda: OptimConfig(lr=0), "lr must be positive"),
        (lambda: PPOClipConfig(dual_clip=1.0), "dual_clip must be > 1 or none"),
        (lambda: RunConfig(keep_last=0), "keep_last must be >= 1"),
        (lambda: ModelConfig(path=""), "give a folder, a hub id or 'tiny'"),
    ],
)
def test_validation_messages_say_what_to_change(make, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make()


def test_configs_are_frozen():
    with pytest.raises(AttributeError):
        RolloutConfig().temperature = 2.0


def test_get_trainer_lists_the_valid_names():
    from reasoning_gym.errors import UnknownNameError
    from reasoning_gym.trainers import get_trainer

    assert callable(get_trainer("sppo").main)
    with pytest.raises(UnknownNameError, match=re.escape("Did you mean 'sppo'")):
        get_trainer("spo")
