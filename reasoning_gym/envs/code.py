r"""Code environments: HumanEval and MBPP, graded by running the program in the sandboxed code verifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reasoning_gym.envs.base import Problem
from reasoning_gym.envs.dataset import DatasetEnv, register_verifier
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["CODE_DATASETS", "CODE_INSTRUCTION", "CodeEnv", "code_spec"]

CODE_INSTRUCTION = (
    "Write a complete, self-contained Python solution (including any imports) in a single ```python code block."
)

#: Env id -> DatasetEnv keyword arguments.
CODE_DATASETS: dict[str, dict[str, Any]] = {
    "rg/HumanEval-v0": {
        "file_name": "humaneval.jsonl",
        "hub": {"path": "openai/openai_humaneval", "split": "test"},
        "fields": {
            "problem": "prompt", "answer": None, "id": "task_id", "solution": "canonical_solution",
            "extra": ("test", "entry_point"),
        },
        "style": "humaneval",
    },
    "rg/MBPP-v0": {
        "file_name": "mbpp_sanitized.jsonl",
        "hub": {"path": "google-research-datasets/mbpp", "name": "sanitized", "split": "train+test+validation+prompt",
                "adapter": "mbpp_sanitized"},
        "fields": {
            "problem": "prompt", "answer": None, "id": "task_id", "solution": "code",
            "extra": ("test_list", "test_setup_code"),
        },
        "style": "mbpp",
    },
}  # fmt: skip


def code_spec(problem: Problem) -> dict[str, Any]:
    """What the code verifier needs besides the response: ``tests``, ``entry_point`` and ``setup_code``.

    These are the keyword arguments of :func:`~reasoning_gym.verifiers.verify_code` (and of ``CodeTask``).
    """
    meta = problem.meta
    if "entry_point" in meta:  # HumanEval: check(candidate) code; the prompt's helpers are trusted setup
        return {"tests": meta["test"], "entry_point": meta["entry_point"], "setup_code": problem.question}
    # MBPP: a list of assert statements, with their imports as trusted setup
    return {"tests": list(meta["test_list"]), "entry_point": None, "setup_code": meta.get("test_setup_code", "")}


def _code_batch(problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
    from reasoning_gym.verifiers.code import CodeTask, verify_code_batch

    tasks = [CodeTask(r, **code_spec(p)) for p, r in zip(problems, responses, strict=True)]
    return verify_code_batch(tasks)


register_verifier("code", _code_batch)


class CodeEnv(DatasetEnv):
    r"""Write a Python program that passes hidden unit tests.

    Description:
        ``rg/HumanEval-v0`` (164 problems: complete a function from its signature and docstring) and
        ``rg/MBPP-v0`` (the 427 problems of the sanitized MBPP set; ``split="test"`` gives the standard 257).

    Observation:
        The task (HumanEval: the function stub in a code block; MBPP: the description and one example test)
        and the instruction to answer with one ```python code block.

    Action:
        The model's response. The last fenced Python block is the program (the whole response if there is
        no block).

    Reward:
        1.0 if and only if every test passes. The program runs in the sandbox of
        :func:`reasoning_gym.verifiers.verify_code`: values come back to the trusted parent, which compares
        them with the expected outputs; exit codes and printed markers are never trusted.
        ``info["verdict"]["status"]`` is one of passed, failed, timeout, memory, output_limit, syntax_error,
        no_code, sandbox_error, test_error (the task's own tests cannot run, e.g. a check without its helpers).

    Episode End:
        After the single ``step``.

    Arguments:
        split: MBPP only: ``"test"``, ``"train"``, ``"validation"`` or ``"prompt"`` (default: all 427).
        data_files: A local file in the layout of ``shared/data``.

    Version History:
        * v0: Initial release.
    """

    instruction = CODE_INSTRUCTION

    def __init__(self, *, style: str, split: str | None = None, **kwargs: Any) -> None:
        if style not in ("humaneval", "mbpp"):
            raise ValueError(f"style={style!r} is not valid; use 'humaneval' or 'mbpp'.")
        if split is not None:
            if style != "mbpp":
                raise ValueError("split= applies to rg/MBPP-v0 only; HumanEval has a single test set.")
            kwargs["where"] = {"split": split}
        self.style = style
        kwargs.setdefault("verifier", "code")
        super().__init__(**kwargs)
        if split is not None and len(self) == 0:
            raise ValueError(f"MBPP has no problems in split={split!r}; use test, train, validation or prompt.")

    def format_prompt(self, problem: Problem) -> str:
        """HumanEval shows the stub; MBPP shows the description and its first test (the function's name)."""
        if self.style == "humaneval":
            question = f"Complete the following Python function.\n\n```python\n{problem.question.rstrip()}\n```"
        else:
            question = f"{problem.question.strip()}\nYour code should pass this test:\n{problem.meta['test_list'][0]}"
        return f"{question}\n\n{self.instruction}"

    def oracle_response(self, problem: Problem) -> str:
        """The dataset's reference solution in a fenced block (HumanEval: the stub plus its body)."""
        code = problem.question + problem.solution if self.style == "humaneval" else problem.solution
        return f"Here is the solution.\n\n```python\n{code.rstrip()}\n```"
