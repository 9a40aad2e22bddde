"""Contracts every registered environment must satisfy (run over the whole registry)."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

import reasoning_gym as rg

ALL_ENVS = rg.list_envs()
BUILTIN = [e for e in ALL_ENVS if e.startswith("rg/")]
# A garbage response is a decided failure on the merits, never an infrastructure status (timeout, error).
DECIDED_FAILURES = {"wrong", "no_answer", "unparseable", "failed", "no_code", "syntax_error"}
GARBAGE = ["", "I don't know.", "\\boxed{}", "The answer is probably somewhere between 1 and 1000.", "\x00\x01\ufffd"]


@pytest.fixture(scope="module", params=BUILTIN)
def env(request, data_dir):
    env = rg.make(request.param)
    yield env
    env.close()


def _indices(env, n=3):
    try:
        size = len(env.unwrapped)
    except TypeError:
        return [0, 1, 12345]
    return sorted({0, size // 2, size - 1})[:n]


def test_registry_has_the_documented_envs():
    expected = {
        "rg/MATH500-v0", "rg/AIME24-v0", "rg/AIME25-v0", "rg/AMC23-v0", "rg/MinervaMath-v0", "rg/GSM8K-v0",
        "rg/GSM8KTrain-v0", "rg/MATHTrain-v0", "rg/DAPOMath17k-v0", "rg/Arithmetic-v0", "rg/Countdown-v0",
    }  # fmt: skip
    assert expected <= set(BUILTIN)


def test_check_env(env):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # A checker warning is a contract failure too.
        check_env(env.unwrapped, skip_render_check=True)


def test_single_step_contract(env):
    prompt, info = env.reset(seed=7)
    assert isinstance(prompt, str) and prompt
    assert info["messages"] == [{"role": "user", "content": prompt}]
    assert env.unwrapped.instruction in prompt
    obs, reward, terminated, truncated, info = env.step("no idea")
    assert (terminated, truncated) == (True, False)
    assert type(terminated) is bool and type(truncated) is bool
    assert reward in (0.0, 1.0)
    assert set(info) >= {"verdict", "problem_id", "answer", "index"}
    assert {"reward", "status", "extracted", "verifier", "version"} <= set(info["verdict"])
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step("again")


def test_reset_is_deterministic(env):
    first = env.reset(seed=123)
    assert env.reset(seed=123) == first
    index = _indices(env)[-1]
    assert env.reset(options={"index": index}) == env.reset(seed=99, options={"index": index})


def test_oracle_scores_one(env):
    base = env.unwrapped
    for index in _indices(env):
        env.reset(options={"index": index})
        _, reward, *_, info = env.step(base.oracle_response(base.get_problem(index)))
        assert reward == 1.0, (index, info["verdict"])


@pytest.mark.parametrize("garbage", GARBAGE, ids=["empty", "no-idea", "empty-box", "hedge-range", "control-chars"])
def test_garbage_scores_zero(env, garbage):
    env.reset(options={"index": _indices(env)[0]})
    _, reward, *_, info = env.step(garbage)
    assert reward == 0.0
    assert info["verdict"]["status"] in DECIDED_FAILURES


def test_prompt_in_observation_space(env):
    for index in _indices(env):
        prompt, _ = env.reset(options={"index": index})
        assert env.observation_space.contains(prompt)


def test_batch_scoring_matches_step(env):
    base = env.unwrapped
    problems = [base.get_problem(i) for i in _indices(env)]
    responses = [base.oracle_response(p) for p in problems] + ["wrong"]
    verdicts = base.score_batch(problems + problems[:1], responses)
    assert [v.reward for v in verdicts] == [1.0] * len(problems) + [0.0]


@pytest.mark.parametrize(
    "env_id, size",
    [("rg/MATH500-v0", 500), ("rg/AIME24-v0", 30), ("rg/AIME25-v0", 30), ("rg/AMC23-v0", 40),
     ("rg/MinervaMath-v0", 272), ("rg/GSM8K-v0", 1319), ("rg/GSM8KTrain-v0", 7473), ("rg/MATHTrain-v0", 7470),
     ("rg/DAPOMath17k-v0", 17398)],
)  # fmt: skip
def test_dataset_sizes(env_id, size, data_dir):
    assert len(rg.make(env_id).unwrapped) == size


def test_index_out_of_range_is_a_clear_error(data_dir):
    env = rg.make("rg/AIME24-v0")
    with pytest.raises(IndexError, match=r"options\['index'\]=30 is out of range; this env has problems 0..29"):
        env.reset(options={"index": 30})
    with pytest.raises(ValueError, match="unknown options"):
        env.reset(options={"idx": 3})


def test_non_string_action_is_a_type_error():
    env = rg.make("rg/Arithmetic-v0")
    env.reset(seed=0)
    with pytest.raises(TypeError, match="response text"):
        env.unwrapped.step(42)


def test_works_with_gymnasium_make_and_vector_envs():
    env = gym.make("rg/Arithmetic-v0", steps=2)
    prompt, _ = env.reset(seed=3)
    assert "Step 2" in prompt


@pytest.mark.parametrize("env_id", ["rg/HumanEval-v0", "rg/MBPP-v0"])
def test_code_verdicts_in_info_are_deterministic(env_id, data_dir):
    env = rg.make(env_id)
    infos = []
    for _ in range(2):
        env.reset(options={"index": 3})
        infos.append(env.step(env.unwrapped.oracle_response(env.unwrapped.get_problem(3)))[-1])
    assert infos[0] == infos[1] and infos[0]["verdict"]["status"] == "passed"
