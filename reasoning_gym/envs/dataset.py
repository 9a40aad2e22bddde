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

__all__ = ["DatasetEnv", "VERIFIERS", "register_verifier", "resolve_verifier"]

BatchVerifier = Callable[[Sequence[Problem], Sequence[str]], list[Verdict]]


def _math_batch(problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
    from reasoning_gym.verifiers import verify_math_batch

    return verify_math_batch(list(responses), [p.answer for p in problems])


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
        render_mode: str | None = None,
    ) -> None:
        super().__init__(instruction=instruction, render_mode=render_mode)
        self._verify = resolve_verifier(verifier)
        self.verifier_name = verifier
        self.prompt_template = _check_template(prompt_template)
        field_map = FieldMap(**_tupled(fields or {}))
        rows, self.source = load_rows(data_files=data_files, file_name=file_name, hub=HubSource(**hub) if hub else None)
        if where:
            rows = [(n, row) for n, row in rows if all(row.get(k) == v for k, v in where.items())]
        self._problems = [Problem(**record) for record in rows_to_records(rows, field_map, self.source)]
        self.spec_fields = asdict(field_map)

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
        return self._verify([problem], [response])[0]

    def score_batch(self, problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
        """Grade many responses at once (in parallel worker processes for the built-in verifiers)."""
        return self._verify(problems, responses)


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
