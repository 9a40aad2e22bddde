"""``rgym export``: write an env's problems as verl's RL dataset (parquet) or as JSON Lines.

Both formats hold the same rows (:func:`~reasoning_gym.integrations.verl.to_verl_row`): ``data_source`` (the
env id), ``prompt`` (chat messages), ``ability``, ``reward_model`` (``style: "rule"``, ``ground_truth``) and
``extra_info`` (index, env id, problem id, verifier and its version, env kwargs; the tests of code tasks).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError, require
from reasoning_gym.integrations.problems import iter_problems
from reasoning_gym.integrations.verl import to_verl_row

__all__ = ["FORMATS", "export_env", "export_rows", "write_rows"]

#: Output formats of ``rgym export``.
FORMATS = ("verl", "jsonl")


def export_rows(
    env_id: str, *, split: str | None = None, limit: int | None = None, env_kwargs: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The verl rows of the first ``limit`` problems of ``env_id`` (see :func:`~.problems.iter_problems`)."""
    kwargs = dict(env_kwargs or {})
    if split is not None:
        kwargs["split"] = split  # recorded, so that compute_score rebuilds the same env
    problems = iter_problems(env_id, split=split, limit=limit, env_kwargs=env_kwargs)
    return [to_verl_row(problem, kwargs) for problem in problems]


def write_rows(rows: list[dict[str, Any]], output: str | os.PathLike[str], fmt: str) -> Path:
    """Write rows as parquet (``fmt="verl"``) or JSON Lines (``fmt="jsonl"``); return the path.

    Raises:
        ConfigError: An unknown format, or a format that does not match the file's extension.
        MissingDependencyError: pyarrow is missing for parquet.
    """
    path = Path(output)
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    wanted = ".parquet" if fmt == "verl" else ".jsonl"
    if path.suffix != wanted:
        raise ConfigError(f"--format {fmt} writes {wanted} files; name the output like {path.with_suffix(wanted)}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if fmt == "verl":
        pa = require("pyarrow", "hub", "Writing verl's parquet datasets")
        pq = require("pyarrow.parquet", "hub", "Writing verl's parquet datasets")
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    else:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    os.replace(tmp, path)  # atomically: verl must never read half a file
    return path


def export_env(
    env_id: str,
    output: str | os.PathLike[str],
    *,
    fmt: str = "verl",
    split: str | None = None,
    limit: int | None = None,
    env_kwargs: Mapping[str, Any] | None = None,
) -> tuple[Path, int]:
    """Export ``env_id`` to ``output`` in format ``fmt``; return the path and the number of rows.

    Example:
        >>> export_env("rg/GSM8K-v0", "gsm8k.parquet")  # doctest: +SKIP
        (PosixPath('gsm8k.parquet'), 1319)
    """
    if fmt not in FORMATS:  # before reading a dataset
        raise ConfigError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    rows = export_rows(env_id, split=split, limit=limit, env_kwargs=env_kwargs)
    return write_rows(rows, output, fmt), len(rows)
