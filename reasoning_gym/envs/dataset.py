"""Environments over a fixed problem set read from a file or the Hugging Face hub.

:class:`DatasetEnv` is generic: which file, which fields, which verifier and which prompt template are
keyword arguments, so a new verifiable-reward environment is one call to
:func:`reasoning_gym.register_dataset_env` and needs no class.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from reasoning_gym.envs.base import Problem, ReasoningEnv
from reasoning_gym.envs.data import FieldMap, HubSource, load_rows, rows_to_records
from reasoning_gym.errors import ConfigError, unknown_name
from reasoning_gym.verifiers.verdict import Verdict

__all__ = [
    "DatasetEnv",
    "VERIFIERS",
    "drop_overlapping",
    "extraction_mode",
    "register_verifier",
    "resolve_verifier",
]

BatchVerifier = Callable[[Sequence[Problem], Sequence[str]], list[Verdict]]


def _math_batch(problems: Sequence[Problem], responses: Sequence[str], *, extraction: str = "strict") -> list[Verdict]:
    from reasoning_gym.verifiers import verify_math_batch

    return verify_math_batch(list(responses), [p.answer for p in problems], extraction=extraction)


#: Verifiers by name: each grades a batch of (problem, response) pairs and returns one verdict per pair.
VERIFIERS: dict[str, BatchVerifier] = {"math": _math_batch}


def register_verifier(name: str, fn: BatchVerifier) -> None:
    """Make ``fn(problems, responses) -> list[Verdict]`` available to dataset envs as ``verifier=name``."""
    if name in VERIFIERS and VERIFIERS[name] is not fn:
        raise ConfigError(f"A verifier named {name!r} is already registered; pick another name.")
    VERIFIERS[name] = fn


def resolve_verifier(name: str) -> BatchVerifier:
    """Look a verifier up by name, or import it from ``"package.module:function"``."""
    if name in VERIFIERS:
        return VERIFIERS[name]
    if ":" in name:
        import importlib

        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"Cannot import verifier {name!r}: {exc}. Use 'package.module:function'.") from exc
    raise unknown_name("verifier", name, VERIFIERS)


class DatasetEnv(ReasoningEnv):
    """A single-step env over a fixed list of problems, graded by a named verifier.

    Args:
        file_name: File name looked up in ``$REASONING_GYM_DATA_DIR``.
        hub: Hugging Face source as a dict of :class:`~reasoning_gym.envs.data.HubSource` fields.
        fields: Field names as a dict of :class:`~reasoning_gym.envs.data.FieldMap` fields.
        verifier: A name in ``VERIFIERS`` (``"math"``, ``"code"``) or ``"module:function"``.
        data_files: A local ``.jsonl``/``.json``/``.parquet`` file that overrides every other source.
        instruction: Text appended to every question; defaults to the math instruction.
        prompt_template: Optional template with ``{question}`` and ``{instruction}`` placeholders.
        where: Optional ``{field: value}`` filter applied to rows (e.g. ``{"split": "test"}``).
        exclude_overlap_with: Env ids of benchmarks (or a single id): problems whose text overlaps one of
            theirs (equal after normalisation, or a shared 13-gram that is not a template phrase; see
            :mod:`reasoning_gym.envs.overlap`) are dropped. ``self.excluded`` lists what was dropped and why.
        answer_extraction: ``"strict"`` (the default of extracting verifiers such as ``"math"``) or
            ``"flexible"`` (also the last value of the closing sentence when nothing is marked). Either way
            ``info["extraction_rewards"]`` holds the reward under both modes. Only for verifiers that take an
            ``extraction`` keyword; ``None`` for the others (``self.answer_extraction`` says which applies).
        render_mode: ``"ansi"`` or ``None``.
    """

    def __init__(
        self,
        *,
        file_name: str | None = None,
        hub: Mapping[str, Any] | None = None,
        fields: Mapping[str, Any] | None = None,
        verifier: str = "math",
        data_files: str | os.PathLike[str] | None = None,
        instruction: str | None = None,
        prompt_template: str | None = None,
        where: Mapping[str, Any] | None = None,
        exclude_overlap_with: str | Sequence[str] | None = None,
        answer_extraction: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(instruction=instruction, render_mode=render_mode)
        self._verify = resolve_verifier(verifier)
        self.verifier_name = verifier
        self.answer_extraction = extraction_mode(answer_extraction, self._verify, verifier)
        self.prompt_template = _check_template(prompt_template)
        field_map = FieldMap(**_tupled(fields or {}))
        rows, self.source = load_rows(data_files=data_files, file_name=file_name, hub=HubSource(**hub) if hub else None)
        if where:
            rows = [(n, row) for n, row in rows if all(row.get(k) == v for k, v in where.items())]
        self._problems = [Problem(**record) for record in rows_to_records(rows, field_map, self.source)]
        self.spec_fields = asdict(field_map)
        self.excluded: list[dict[str, Any]] = []
        if exclude_overlap_with:
            self._problems, self.excluded = drop_overlapping(self._problems, exclude_overlap_with, self.source)

    def __len__(self) -> int:
        return len(self._problems)

    def get_problem(self, index: int) -> Problem:
        """Return problem ``index`` of the file."""
        return self._problems[index]

    def format_prompt(self, problem: Problem) -> str:
        """Apply the prompt template, if any."""
        if self.prompt_template is None:
            return super().format_prompt(problem)
        return self.prompt_template.format(question=problem.question, instruction=self.instruction)

    def score(self, problem: Problem, response: str) -> Verdict:
        """Grade one response with the env's verifier."""
        return self.score_batch([problem], [response])[0]

    def score_batch(self, problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
        """Grade many responses at once (in parallel worker processes for the built-in verifiers)."""
        if self.answer_extraction is None:
            return self._verify(problems, responses)
        return self._verify(problems, responses, extraction=self.answer_extraction)  # type: ignore[call-arg]


def drop_overlapping(
    problems: Sequence[Problem], against: str | Sequence[str], source: str = "this env"
) -> tuple[list[Problem], list[dict[str, Any]]]:
    """Split ``problems`` into those that overlap none of the problems of the envs ``against``, and the rest.

    Returns:
        The kept problems, and one record per dropped problem: its id, the first benchmark problem it
        overlaps (env id and problem id) and how (``"exact"`` or ``"ngram"``).

    Raises:
        ConfigError: An id in ``against`` is not a finite env, or nothing would be left.
    """
    from reasoning_gym.envs.overlap import OverlapIndex
    from reasoning_gym.registry import make

    owners, texts = [], []
    for env_id in (against,) if isinstance(against, str) else tuple(against):
        bench = make(env_id).unwrapped
        try:
            size = len(bench)
        except TypeError:
            raise ConfigError(
                f"exclude_overlap_with={env_id!r} is procedural (no fixed problem set); name benchmark envs such "
                "as rg/MATH500-v0."
            ) from None
        for i in range(size):
            problem = bench.get_problem(i)
            owners.append((env_id, problem.id))
            texts.append(problem.question)
    kept, dropped = [], []
    for problem, matches in zip(problems, OverlapIndex(texts).overlaps([p.question for p in problems])):
        if not matches:
            kept.append(problem)
            continue
        env_id, bench_id = owners[matches[0].index]
        dropped.append({"problem_id": problem.id, "benchmark": env_id, "benchmark_problem_id": bench_id,
                        "kind": matches[0].kind})  # fmt: skip
    if not kept:
        raise ConfigError(f"{source}: every problem overlaps {against}; nothing would be left to train on.")
    return kept, dropped


def extraction_mode(mode: str | None, verify: Callable[..., Any], name: str) -> str | None:
    """The answer-extraction mode an env grades with: ``mode`` checked against what ``verify`` offers.

    Returns:
        ``mode``, or ``"strict"`` when it is ``None`` and the verifier takes an ``extraction`` keyword; ``None``
        for verifiers without extraction modes.

    Raises:
        ConfigError: ``mode`` is unknown, or given for a verifier that has no extraction modes.
    """
    import inspect

    try:
        takes = "extraction" in inspect.signature(verify).parameters
    except (TypeError, ValueError):  # a builtin or C callable: no keyword to pass
        takes = False
    if mode is None:
        return "strict" if takes else None
    if mode not in ("strict", "flexible"):
        raise ConfigError(f"answer_extraction={mode!r} is not valid; use 'strict' or 'flexible'.")
    if not takes:
        raise ConfigError(
            f"answer_extraction= applies to verifiers that extract an answer from text (math); verifier {name!r} "
            "takes no extraction keyword."
        )
    return mode


def _tupled(fields: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    if "extra" in fields:
        fields["extra"] = tuple(fields["extra"])
    unknown = set(fields) - {"problem", "answer", "id", "solution", "extra"}
    if unknown:
        raise ConfigError(f"Unknown field mapping keys {sorted(unknown)}; use problem, answer, id, solution, extra.")
    return fields


def _check_template(template: str | None) -> str | None:
    if template is None:
        return None
    if "{question}" not in template:
        raise ConfigError(
            f"prompt_template must contain '{{question}}' (and may contain '{{instruction}}'); got {template!r}."
        )
    try:
        template.format(question="", instruction="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"prompt_template {template!r} has an unknown placeholder ({exc}); only {{question}} and "
            "{instruction} are filled in. Double literal braces: '{{' and '}}'."
        ) from None
    return template
