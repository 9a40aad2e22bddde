"""Acceptance on real data: every HumanEval and MBPP reference solution scores 1, broken variants score 0.

Data comes from ``REASONING_GYM_DATA_DIR`` (default: ``<repo>/../shared/data``), never from the repository.
HumanEval responses are the prompt plus the canonical solution in a fence, with the prompt as trusted setup
(its helpers, e.g. ``encode_cyclic``, are what some checks call). MBPP uses ``test_setup_code`` as setup.
"""

from __future__ import annotations

import ast
import json
import os
import warnings
from pathlib import Path

import pytest

from reasoning_gym.verifiers.code import CodeTask, build_plan, verify_code_batch

DATA_DIR = Path(os.environ.get("REASONING_GYM_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"))
BROKEN_BODIES = {"return_none": "None", "wrong_constant": "-987654321"}

pytestmark = pytest.mark.slow


def _load(name: str) -> list[dict]:
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"{path} not found: set REASONING_GYM_DATA_DIR to the shared data directory")
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def _fence(code: str) -> str:
    return f"```python\n{code}\n```"


def _humaneval_tasks(rows: list[dict], body: str | None) -> list[CodeTask]:
    tasks = []
    for row in rows:
        solution = row["canonical_solution"] if body is None else f"    return {body}\n"
        tasks.append(CodeTask(_fence(row["prompt"] + solution), row["test"], row["entry_point"], row["prompt"]))
    return tasks


def _with_body(code: str, names: tuple[str, ...], body: str) -> str:
    """The reference solution with the function under test reduced to ``return <body>``."""
    with warnings.catch_warnings():  # some references hold regexes with invalid escapes
        warnings.simplefilter("ignore")
        tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            node.body = [ast.parse(f"return {body}").body[0]]
    return ast.unparse(tree)


def _mbpp_tasks(rows: list[dict], body: str | None) -> list[CodeTask]:
    tasks = []
    for row in rows:
        code = row["code"]
        if body is not None:
            code = _with_body(code, build_plan(row["test_list"], None, row["test_setup_code"]).candidate_names, body)
        tasks.append(CodeTask(_fence(code), row["test_list"], None, row["test_setup_code"]))
    return tasks


def _failures(rows: list[dict], verdicts, want: float) -> list[str]:
    return [f"{r['task_id']}: {v.status} {v.reason[:150]}" for r, v in zip(rows, verdicts) if v.reward != want]


def test_humaneval_canonical_solutions_pass():
    rows = _load("humaneval.jsonl")
    verdicts = verify_code_batch(_humaneval_tasks(rows, None))
    assert not _failures(rows, verdicts, 1.0)
    judged = [r["task_id"] for r, v in zip(rows, verdicts) if v.details["judged"]]
    assert len(judged) <= 10, judged  # loops/helpers only: 6 of 164 today
    assert not any(v.details["weak"] for v in verdicts)


@pytest.mark.parametrize("body", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
def test_humaneval_broken_solutions_fail(body):
    rows = _load("humaneval.jsonl")
    assert not _failures(rows, verify_code_batch(_humaneval_tasks(rows, body)), 0.0)


def test_mbpp_reference_solutions_pass():
    rows = _load("mbpp_sanitized.jsonl")
    verdicts = verify_code_batch(_mbpp_tasks(rows, None))
    assert not _failures(rows, verdicts, 1.0)
    assert not any(v.details["weak"] for v in verdicts)


@pytest.mark.parametrize("body", BROKEN_BODIES.values(), ids=BROKEN_BODIES.keys())
def test_mbpp_broken_solutions_fail(body):
    rows = _load("mbpp_sanitized.jsonl")
    assert not _failures(rows, verify_code_batch(_mbpp_tasks(rows, body)), 0.0)
