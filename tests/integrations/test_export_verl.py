"""rgym export (verl parquet, JSON Lines) and verl's compute_score with our verifiers.

The schema checked here is the one verl documents for its RL datasets (docs "Prepare Data for Post-Training"
and examples/data_preprocess/gsm8k.py): data_source, prompt (chat messages), ability, reward_model with
style and ground_truth, extra_info. tests/integrations/test_verl_dataset.py loads the same file with verl's
own RLHFDataset where verl is installed (.ci/verl).
"""

import json

import pyarrow.parquet as pq
import pytest

import reasoning_gym as rg
from reasoning_gym.cli import main
from reasoning_gym.errors import ConfigError
from reasoning_gym.integrations.export import export_env, export_rows
from reasoning_gym.integrations.verl import VERL_COLUMNS, compute_score, grade, verdict_counts
from reasoning_gym.verifiers.math_answer import MATH_VERIFIER_VERSION

EXTRA_KEYS = {"index", "env_id", "problem_id", "verifier", "verifier_version", "env_kwargs"}


@pytest.fixture(scope="module")
def gsm8k_parquet(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("export") / "gsm8k.parquet"
    assert main(["export", "rg/GSM8K-v0", "--format", "verl", "--output", str(out)]) == 0
    return out


def test_verl_parquet_has_exactly_the_documented_fields(gsm8k_parquet):
    table = pq.read_table(gsm8k_parquet)
    assert tuple(table.schema.names) == VERL_COLUMNS
    rows = table.to_pylist()
    env = rg.make("rg/GSM8K-v0").unwrapped
    assert len(rows) == len(env) == 1319
    for i, row in enumerate(rows[:50]):
        problem = env.get_problem(i)
        assert row["data_source"] == "rg/GSM8K-v0" and row["ability"] == "math"
        assert row["prompt"] == [{"role": "user", "content": env.format_prompt(problem)}]
        assert row["reward_model"] == {"style": "rule", "ground_truth": problem.answer}
        assert set(row["extra_info"]) == EXTRA_KEYS
        assert row["extra_info"]["index"] == i and row["extra_info"]["problem_id"] == problem.id
        assert row["extra_info"]["verifier"] == "math"
        assert row["extra_info"]["verifier_version"] == MATH_VERIFIER_VERSION


def test_jsonl_export_holds_the_same_rows(tmp_path, gsm8k_parquet):
    out = tmp_path / "gsm8k.jsonl"
    assert main(["export", "rg/GSM8K-v0", "--format", "jsonl", "--limit", "5", "--output", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines == pq.read_table(gsm8k_parquet).to_pylist()[:5]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rg/GSM8K-v0", "--split", "test"], "has no split"),
        (["rg/GSM8K-v0", "--format", "jsonl"], "writes .jsonl files"),  # output named .parquet
        (["rg/NoSuch-v0"], "Unknown environment id"),
        (["rg/Arithmetic-v0", "--limit", "0"], "limit must be >= 1"),
    ],
)
def test_export_mistakes_are_one_message_and_exit_2(tmp_path, capsys, argv, message):
    assert main(["export", *argv, "--output", str(tmp_path / "out.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rgym export: error:") and message in err and "Traceback" not in err


def _row(env_id, index=0, **kwargs):
    (row,) = [r for r in export_rows(env_id, limit=index + 1, **kwargs) if r["extra_info"]["index"] == index]
    return row


def _score(row, response):
    return compute_score(row["data_source"], response, row["reward_model"]["ground_truth"], row["extra_info"])


def _oracle(env_id, index=0, **kwargs):
    env = rg.make(env_id, **kwargs.get("env_kwargs", {})).unwrapped
    return env.oracle_response(env.get_problem(index))


@pytest.mark.parametrize(
    "env_id, kwargs, response, reward",
    [
        ("rg/GSM8K-v0", {}, "Natalia sold ... so the answer is \\boxed{18}.", 1.0),  # problem 0's gold is 18
        ("rg/GSM8K-v0", {}, "The answer is \\boxed{17}.", 0.0),
        ("rg/GSM8K-v0", {}, "no answer here", 0.0),
        ("rg/MATH500-v0", {}, None, 1.0),  # the oracle response
        ("rg/Arithmetic-v0", {"split": "test"}, None, 1.0),
        ("rg/HumanEval-v0", {}, None, 1.0),
        ("rg/HumanEval-v0", {}, "```python\ndef has_close_elements(numbers, threshold):\n    return False\n```", 0.0),
        ("rg/MBPP-v0", {}, None, 1.0),
        ("rg/MBPP-v0", {}, "```python\ndef similar_elements(a, b):\n    return ()\n```", 0.0),
        ("rg/Countdown-v0", {}, None, 1.0),  # graded by the env itself, rebuilt from extra_info
        ("rg/Countdown-v0", {}, "\\boxed{1 + 1}", 0.0),
    ],
)
def test_compute_score_uses_the_envs_verifier(env_id, kwargs, response, reward):
    row = _row(env_id, split=kwargs.get("split"))
    if response is None:
        response = _oracle(env_id, env_kwargs=kwargs)
    assert _score(row, response) == reward
    env = rg.make(env_id, **kwargs).unwrapped
    assert grade(row["data_source"], response, row["reward_model"]["ground_truth"], row["extra_info"]) == env.score(
        env.get_problem(0), response
    )  # the same verdict, not only the same reward


def test_code_rows_carry_the_code_verifiers_setup():
    row = _row("rg/HumanEval-v0")
    assert row["ability"] == "code"
    assert set(row["extra_info"]["code"]) == {"check", "asserts", "entry_point", "setup_code"}
    assert row["extra_info"]["code"]["entry_point"] == "has_close_elements"
    mbpp = _row("rg/MBPP-v0")["extra_info"]["code"]
    assert mbpp["check"] == "" and len(mbpp["asserts"]) == 3


@pytest.mark.parametrize(
    "data_source, extra_info, response, gold, reward",
    [
        ("rg/GSM8K-v0", None, "\\boxed{18}", "18", 1.0),  # no extra_info: the env's verifier (math)
        ("openai/gsm8k", None, "#### 72", "72", 1.0),  # not one of our envs: graded as math
        ("openai/gsm8k", {}, "\\boxed{7}", "72", 0.0),
    ],
)
def test_compute_score_without_our_extra_info(data_source, extra_info, response, gold, reward):
    assert compute_score(data_source, response, gold, extra_info) == reward


def test_compute_score_counts_verdicts_and_refuses_a_mismatched_row():
    verdict_counts(reset=True)
    compute_score("openai/gsm8k", "\\boxed{1}", "1")
    compute_score("openai/gsm8k", "\\boxed{2}", "1")
    compute_score("openai/gsm8k", "", "1")
    assert verdict_counts() == {"correct": 1, "no_answer": 1, "wrong": 1}
    row = _row("rg/Countdown-v0")
    with pytest.raises(ConfigError, match="differ"):
        _score({**row, "extra_info": {**row["extra_info"], "problem_id": "train-999"}}, "\\boxed{1}")
    with pytest.raises(ConfigError, match="extra_info\\['code'\\]"):
        compute_score("rg/MBPP-v0", "x", "", {"verifier": "code"})


def test_export_env_returns_the_path_and_count(tmp_path):
    path, count = export_env("rg/Arithmetic-v0", tmp_path / "a.parquet", split="test", limit=7)
    rows = pq.read_table(path).to_pylist()
    assert count == len(rows) == 7
    assert json.loads(rows[0]["extra_info"]["env_kwargs"]) == {"split": "test"}
    assert rows[0]["extra_info"]["problem_id"] == "test-0"
