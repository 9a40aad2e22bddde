"""to_hf_dataset and the TRL-signature reward function, called the way TRL calls them."""

import pytest

import reasoning_gym as rg
from reasoning_gym.errors import ConfigError
from reasoning_gym.integrations.trl import completion_text, reward_function, to_hf_dataset

KW = {"steps": 1, "digits": 1, "operations": "+"}


@pytest.fixture(scope="module")
def dataset():
    return to_hf_dataset("rg/Arithmetic-v0", limit=6, **KW)


def test_dataset_has_trls_conversational_prompt_and_our_columns(dataset):
    env = rg.make("rg/Arithmetic-v0", **KW).unwrapped
    assert dataset.column_names == ["prompt", "answer", "problem_id", "env_id", "index"]
    assert len(dataset) == 6
    for i, row in enumerate(dataset):
        problem = env.get_problem(i)
        assert row["prompt"] == [{"role": "user", "content": env.format_prompt(problem)}]
        assert (row["answer"], row["problem_id"], row["env_id"], row["index"]) == (
            problem.answer,
            problem.id,
            "rg/Arithmetic-v0",
            i,
        )


def test_a_procedural_env_gives_1000_problems_by_default():
    assert len(to_hf_dataset("rg/Arithmetic-v0", split="test")) == 1000


def _columns(dataset, repeat=1):
    """The keyword arguments TRL passes: every column but prompt, one entry per completion."""
    return {k: [v for v in dataset[k] for _ in range(repeat)] for k in ("answer", "problem_id", "env_id", "index")}


@pytest.mark.parametrize(
    "form",
    [
        lambda text: text,  # a text (non-conversational) completion
        lambda text: [{"role": "assistant", "content": text}],  # conversational
        lambda text: [{"role": "assistant", "content": [{"type": "text", "text": text}]}],  # typed parts
    ],
)
def test_reward_function_grades_every_completion_form(dataset, form):
    reward = reward_function("rg/Arithmetic-v0", **KW)
    golds = dataset["answer"]
    texts = [f"So the result is \\boxed{{{g if i % 2 == 0 else int(g) + 1}}}." for i, g in enumerate(golds)]
    rewards = reward(prompts=dataset["prompt"], completions=[form(t) for t in texts], **_columns(dataset))
    assert rewards == [1.0, 0.0] * 3
    assert dict(reward.status_counts) == {"correct": 3, "wrong": 3}
    assert [v.reward for v in reward.last_verdicts] == rewards


def test_reward_function_logs_status_counts_through_trls_log_metric(dataset):
    reward, logged = reward_function("rg/Arithmetic-v0", **KW), []
    columns = _columns(dataset)
    reward(dataset["prompt"], ["\\boxed{0}"] * 6, log_metric=lambda k, v: logged.append((k, v)), **columns)
    reward(dataset["prompt"], [""] * 6, log_metric=lambda k, v: logged.append((k, v)), **columns)
    assert logged == [("verdict/wrong", 6.0), ("verdict/wrong", 0.0), ("verdict/no_answer", 6.0)]


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"env_id": ["rg/GSM8K-v0"] * 6}, ConfigError, "one reward function per env"),
        ({"problem_id": ["train-999"] * 6}, ConfigError, "same split and env kwargs"),
        ({"index": None}, ConfigError, "'index' column"),
        ({"index": [0]}, ValueError, "one per completion"),
    ],
)
def test_reward_function_refuses_rows_it_cannot_grade(dataset, change, error, message):
    reward = reward_function("rg/Arithmetic-v0", **KW)
    with pytest.raises(error, match=message):
        reward(dataset["prompt"], ["\\boxed{1}"] * 6, **{**_columns(dataset), **change})


@pytest.mark.parametrize(
    "completion, text",
    [
        ("plain", "plain"),
        ({"role": "assistant", "content": "one"}, "one"),
        ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "a"),
        ([{"role": "assistant", "content": None}], ""),
    ],
)
def test_completion_text(completion, text):
    assert completion_text(completion) == text


def test_code_env_rewards_come_from_the_sandbox():
    dataset = to_hf_dataset("rg/MBPP-v0", limit=2)
    env = rg.make("rg/MBPP-v0").unwrapped
    oracle = [env.oracle_response(env.get_problem(i)) for i in range(2)]
    reward = reward_function("rg/MBPP-v0")
    assert reward(dataset["prompt"], [oracle[0], oracle[0]], **_columns(dataset)) == [1.0, 0.0]
    assert reward.last_verdicts[0].verifier == "code"
