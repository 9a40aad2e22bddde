"""``answer_extraction=`` on the envs: the mode decides the reward, ``info`` carries the reward under both modes."""

from __future__ import annotations

import pytest

import reasoning_gym as rg
from reasoning_gym.errors import ConfigError

# (env id, kwargs, response builder from the gold answer, expected {mode: reward})
CASES = [
    ("rg/GSM8K-v0", {}, lambda a: f"So Janet makes {a} dollars.", {"strict": 0.0, "flexible": 1.0}),
    ("rg/GSM8K-v0", {}, lambda a: f"The answer is {a}.", {"strict": 1.0, "flexible": 1.0}),
    ("rg/GSM8K-v0", {}, lambda a: f"<think>{a}</think>\nShe makes {a} dollars.", {"strict": 1.0, "flexible": 1.0}),
    ("rg/GSM8K-v0", {}, lambda a: "She makes some money, 3 or 4 dollars.", {"strict": 0.0, "flexible": 0.0}),
    ("rg/MATH500-v0", {}, lambda a: f"Thus the value is ${a}$.", {"strict": 0.0, "flexible": 1.0}),
    ("rg/Arithmetic-v0", {"split": "test"}, lambda a: f"The result is {a}.", {"strict": 0.0, "flexible": 1.0}),
    ("rg/Arithmetic-v0", {"split": "test"}, lambda a: f"\\boxed{{{a}}}", {"strict": 1.0, "flexible": 1.0}),
]


@pytest.mark.parametrize(("env_id", "kwargs", "respond", "rewards"), CASES)
@pytest.mark.parametrize("mode", [None, "strict", "flexible"])
def test_mode_decides_the_reward_and_info_has_both(env_id, kwargs, respond, rewards, mode, data_dir):
    env = rg.make(env_id, **kwargs, **({} if mode is None else {"answer_extraction": mode}))
    env.reset(options={"index": 3})
    problem = env.unwrapped.get_problem(3)
    _, reward, _, _, info = env.step(respond(problem.answer))
    assert env.unwrapped.answer_extraction == (mode or "strict")
    assert reward == rewards[mode or "strict"]
    assert info["extraction_rewards"] == rewards
    assert info["verdict"]["details"]["extraction"] == (mode or "strict")


@pytest.mark.parametrize(
    ("env_id", "kwargs", "error"),
    [
        ("rg/GSM8K-v0", {"answer_extraction": "loose"}, ConfigError),
        ("rg/HumanEval-v0", {"answer_extraction": "flexible"}, ConfigError),
        ("rg/Arithmetic-v0", {"answer_extraction": "loose"}, ValueError),
    ],
)
def test_invalid_modes_are_refused(env_id, kwargs, error, data_dir):
    with pytest.raises(error, match="answer_extraction"):
        rg.make(env_id, **kwargs)


def test_envs_without_extraction_modes_say_so(data_dir):
    assert rg.make("rg/HumanEval-v0").unwrapped.answer_extraction is None
    assert rg.make("rg/MBPP-v0").unwrapped.answer_extraction is None
