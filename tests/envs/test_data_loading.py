"""Dataset loading: local files, $REASONING_GYM_DATA_DIR, and the errors for malformed rows."""

from __future__ import annotations

import json

import pytest

import reasoning_gym as rg
from reasoning_gym.envs.dataset import DatasetEnv
from reasoning_gym.errors import ConfigError, DatasetFormatError, DatasetNotFoundError, UnknownNameError


def _write(tmp_path, lines, name="data.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "a", "problem": "1+1?", "answer": "2"})


@pytest.mark.parametrize(
    "lines, message",
    [
        ([GOOD, "{not json"], r"data.jsonl, line 2: not valid JSON"),
        ([GOOD, "[1, 2]"], r"data.jsonl, line 2: expected a JSON object, got list"),
        (
            [GOOD, json.dumps({"id": "b", "answer": "3"})],
            r"line 2: field 'problem' is missing. Fields present: answer, id",
        ),
        ([json.dumps({"id": "b", "problem": "x", "answer": ""})], r"line 1: field 'answer' is empty"),
        ([json.dumps({"id": "b", "problem": "x", "answer": ["2"]})], r"line 1: field 'answer' must be a string"),
        ([json.dumps({"id": "b", "problem": None, "answer": "2"})], r"line 1: field 'problem' is missing"),
        ([GOOD, GOOD], r"line 2: id 'a' repeats line 1"),
    ],
    ids=["bad-json", "not-object", "missing-field", "empty-answer", "list-answer", "null-problem", "duplicate-id"],
)
def test_malformed_rows_name_file_line_and_field(tmp_path, lines, message):
    path = _write(tmp_path, lines)
    with pytest.raises(DatasetFormatError, match=message):
        DatasetEnv(data_files=path)


def test_blank_lines_are_skipped_and_numbers_are_accepted_as_answers(tmp_path):
    path = _write(
        tmp_path, [json.dumps({"problem": "6*7?", "answer": 42}), "", json.dumps({"problem": "1?", "answer": 1})]
    )
    env = DatasetEnv(data_files=path)
    assert len(env) == 2 and env.get_problem(0).answer == "42" and env.get_problem(1).id == "2"


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        DatasetEnv(data_files=tmp_path / "nope.jsonl")
    path = tmp_path / "data.csv"
    path.write_text("problem,answer\n")
    with pytest.raises(DatasetFormatError, match="unknown dataset format '.csv'"):
        DatasetEnv(data_files=path)


def test_data_dir_without_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONING_GYM_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="has no 'aime24.jsonl'.*pass data_files="):
        rg.make("rg/AIME24-v0")


def test_data_files_keyword_overrides_the_data_dir(tmp_path):
    path = _write(tmp_path, [GOOD])
    env = rg.make("rg/MATH500-v0", data_files=str(path))
    assert len(env.unwrapped) == 1


def test_json_list_files(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"problem": "p", "answer": "1"}]))
    assert len(DatasetEnv(data_files=path)) == 1


def test_unknown_verifier_and_field_keys(tmp_path):
    path = _write(tmp_path, [GOOD])
    with pytest.raises(UnknownNameError, match="Unknown verifier 'maths'. Did you mean 'math'"):
        DatasetEnv(data_files=path, verifier="maths")
    with pytest.raises(ConfigError, match="Unknown field mapping keys"):
        DatasetEnv(data_files=path, fields={"question": "problem"})


def test_where_filter(tmp_path):
    lines = [json.dumps({"id": str(i), "problem": "p", "answer": "1", "split": s}) for i, s in enumerate("aab")]
    assert len(DatasetEnv(data_files=_write(tmp_path, lines), where={"split": "a"})) == 2


def test_shared_data_fields(data_dir):
    gsm = rg.make("rg/GSM8K-v0").unwrapped.get_problem(0)
    assert gsm.solution.rstrip().endswith(f"#### {gsm.answer}")
    math500 = rg.make("rg/MATH500-v0").unwrapped.get_problem(0)
    assert math500.id.startswith("test/") and "\\boxed" in math500.solution
    assert rg.make("rg/AIME25-v0").unwrapped.get_problem(0).solution is None
