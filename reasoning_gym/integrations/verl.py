"""verl: the RL dataset row of a problem, and ``compute_score`` for ``custom_reward_function``.

verl reads prompts from a parquet file with the columns ``data_source``, ``prompt`` (chat messages),
``ability``, ``reward_model`` (``{"style": "rule", "ground_truth": ...}``) and ``extra_info``, and scores each
response with ``compute_score(data_source, solution_str, ground_truth, extra_info)``. Point verl at ours::

    custom_reward_function.path=pkg://reasoning_gym.integrations.verl custom_reward_function.name=compute_score

Math is graded by :func:`~reasoning_gym.verifiers.verify_math` against ``ground_truth``; code by the
sandboxed :func:`~reasoning_gym.verifiers.verify_code` with the tests carried in ``extra_info["code"]``; any
other verifier (e.g. Countdown's) by the env itself, rebuilt from ``extra_info`` (``env_id``, ``index``,
``env_kwargs``). The verdicts are the ones our trainers and harness compute: same code, same version.
"""

from __future__ import annotations

import functools
import json
import threading
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

from reasoning_gym.errors import ConfigError
from reasoning_gym.integrations.problems import ExportedProblem
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["VERL_COLUMNS", "compute_score", "grade", "to_verl_row", "verdict_counts"]

#: The top-level columns of verl's RL dataset, in order.
VERL_COLUMNS = ("data_source", "prompt", "ability", "reward_model", "extra_info")

_counts: Counter[str] = Counter()
_lock = threading.Lock()
_warned_versions: set[tuple[str, str]] = set()


def to_verl_row(problem: ExportedProblem, env_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One row of verl's RL dataset for ``problem`` (``data_source`` is the env id)."""
    extra: dict[str, Any] = {
        "index": problem.index,
        "env_id": problem.env_id,
        "problem_id": problem.problem_id,
        "verifier": problem.verifier,
        "verifier_version": problem.verifier_version,
        "env_kwargs": json.dumps(dict(env_kwargs or {}), sort_keys=True),
    }
    ground_truth = problem.answer
    if problem.code is not None:
        tests = problem.code["tests"]
        extra["code"] = {
            "check": tests if isinstance(tests, str) else "",
            "asserts": [] if isinstance(tests, str) else list(tests),
            "entry_point": problem.code["entry_point"] or "",
            "setup_code": problem.code["setup_code"],
        }
        ground_truth = tests if isinstance(tests, str) else "\n".join(tests)  # readable; grading uses extra_info
    return {
        "data_source": problem.env_id,
        "prompt": problem.messages,
        "ability": "code" if problem.verifier == "code" else "math",
        "reward_model": {"style": "rule", "ground_truth": ground_truth},
        "extra_info": extra,
    }


def compute_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: Mapping[str, Any] | None = None, **_: Any
) -> float:
    """The reward function for verl: the env's verdict on ``solution_str`` as a 0/1 reward.

    Args:
        data_source: The row's ``data_source`` (an env id for rows written by ``rgym export``).
        solution_str: The decoded response.
        ground_truth: ``reward_model.ground_truth`` (the gold answer for math).
        extra_info: The row's ``extra_info``; says which verifier grades the row and, for code, carries the
            tests. Rows without it are graded by the verifier of the env ``data_source`` names, or as math.
        **_: Further keyword arguments verl may pass (``reward_kwargs``); ignored.

    Returns:
        1.0 for an accepted response, else 0.0. Verdict statuses are counted (:func:`verdict_counts`).
    """
    verdict = grade(data_source, solution_str, ground_truth, extra_info)
    return float(verdict.reward)


def grade(
    data_source: str, solution_str: str, ground_truth: str, extra_info: Mapping[str, Any] | None = None
) -> Verdict:
    """The full :class:`Verdict` behind :func:`compute_score` (same arguments)."""
    info = dict(extra_info or {})
    verifier = info.get("verifier") or _default_verifier(data_source)
    if verifier == "math":
        from reasoning_gym.verifiers import verify_math

        verdict = verify_math(str(solution_str), str(ground_truth))
    elif verifier == "code":
        verdict = _grade_code(solution_str, info, data_source)
    else:
        verdict = _grade_with_env(solution_str, info, data_source)
    with _lock:
        _counts[verdict.status] += 1
    _warn_on_new_version(info.get("verifier_version"), verdict)
    return verdict


def verdict_counts(reset: bool = False) -> dict[str, int]:
    """Verdict statuses counted by :func:`compute_score` in this process so far (``reset`` clears them)."""
    with _lock:
        counts = dict(sorted(_counts.items()))
        if reset:
            _counts.clear()
    return counts


def _grade_code(solution_str: str, info: Mapping[str, Any], data_source: str) -> Verdict:
    from reasoning_gym.verifiers import verify_code

    code = info.get("code")
    if not isinstance(code, Mapping):
        raise ConfigError(
            f"A code row of {data_source!r} has no extra_info['code'] (tests, entry point, setup code); "
            "write the dataset with `rgym export ENV_ID --format verl`."
        )
    asserts = code.get("asserts")  # a list, or a numpy array once verl has batched the rows
    tests = code.get("check") or [str(a) for a in (asserts if asserts is not None else [])]
    return verify_code(
        str(solution_str), tests, entry_point=code.get("entry_point") or None, setup_code=code.get("setup_code") or ""
    )


def _grade_with_env(solution_str: str, info: Mapping[str, Any], data_source: str) -> Verdict:
    env_id = info.get("env_id") or data_source
    if "index" not in info:
        raise ConfigError(
            f"Rows of {env_id!r} are graded by the env itself and need extra_info['index'] (and 'env_kwargs'); "
            "write the dataset with `rgym export`."
        )
    env = _env(env_id, str(info.get("env_kwargs") or "{}"))
    problem = env.get_problem(int(info["index"]))
    if info.get("problem_id") is not None and str(problem.id) != str(info["problem_id"]):
        raise ConfigError(
            f"{env_id} problem {info['index']} is {problem.id!r} here but {info['problem_id']!r} in the dataset; "
            "the env's data or settings differ from those of the export. Re-export, or use the same data files."
        )
    return env.score(problem, str(solution_str))


@functools.lru_cache(maxsize=16)
def _env(env_id: str, env_kwargs: str) -> Any:
    import reasoning_gym

    return reasoning_gym.make(env_id, **json.loads(env_kwargs)).unwrapped


@functools.lru_cache(maxsize=64)
def _default_verifier(data_source: str) -> str:
    """The verifier of the env ``data_source`` names; math for anything else (verl's own math datasets)."""
    import reasoning_gym
    from reasoning_gym.integrations.problems import open_env, verifier_identity

    if data_source not in reasoning_gym.list_envs():
        return "math"
    return verifier_identity(open_env(data_source))[0]


def _warn_on_new_version(exported: str | None, verdict: Verdict) -> None:
    if not exported or not verdict.version or exported == verdict.version:
        return
    key = (exported, verdict.version)
    if key not in _warned_versions:
        _warned_versions.add(key)
        warnings.warn(
            f"The dataset was exported with verifier {verdict.verifier} {exported}, but {verdict.version} grades "
            "it now: rewards may differ from those of the export. Re-export to record the new version.",
            stacklevel=3,
        )
