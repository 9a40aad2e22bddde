"""Loading problem sets from local files or the Hugging Face hub.

Resolution order for a dataset env:
  1. ``data_files=`` passed to ``make`` (a ``.jsonl``, ``.json`` or ``.parquet`` path);
  2. ``$REASONING_GYM_DATA_DIR/<file name>`` when that variable is set (the layout of ``shared/data``);
  3. the Hugging Face hub dataset (needs the ``hub`` extra and network access).

Every row is validated: a malformed row raises :class:`~reasoning_gym.errors.DatasetFormatError` naming the
file, the line and the field, with the fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reasoning_gym.errors import DatasetFormatError, DatasetNotFoundError, require

__all__ = ["DATA_DIR_ENV", "FieldMap", "HubSource", "load_rows", "read_table", "rows_to_records"]

#: Environment variable naming a folder of local dataset files.
DATA_DIR_ENV = "REASONING_GYM_DATA_DIR"


@dataclass(frozen=True)
class FieldMap:
    """Which fields of a row hold the id, the problem, the answer and the reference solution.

    ``id`` and ``solution`` are optional: without ``id`` the row number is used, without ``solution`` the
    oracle response is the boxed answer. ``answer`` may be ``None`` for datasets whose gold is not a single
    string (code tasks keep their tests in ``extra`` fields).
    """

    problem: str = "problem"
    answer: str | None = "answer"
    id: str | None = "id"
    solution: str | None = "solution"
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class HubSource:
    """Where a dataset lives on the Hugging Face hub, and how its rows map to ours.

    Attributes:
        path: Dataset repository id, e.g. ``"HuggingFaceH4/MATH-500"``.
        split: Split to load.
        name: Configuration name, if the dataset has several.
        adapter: Name of a function in ``HUB_ADAPTERS`` that turns a hub row into our field names.
    """

    path: str
    split: str
    name: str | None = None
    adapter: str | None = None


def _gsm8k(row: Mapping[str, Any]) -> dict[str, Any]:
    solution = str(row["answer"])
    final = solution.rsplit("####", 1)[-1].strip().replace(",", "")
    return {"problem": row["question"], "answer": final, "solution": solution}


def _question_answer(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "problem": row.get("problem", row.get("question")), "answer": str(row["answer"])}


def _math500(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "id": row["unique_id"]}


def _answer_only(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row.get("id"), "problem": row["problem"], "answer": str(row["answer"])}


def _aime25(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": row.get("problem_idx"), "problem": row["problem"], "answer": str(row["answer"])}


def _math_boxed(row: Mapping[str, Any]) -> dict[str, Any]:
    # The MATH train split on the hub keeps the answer inside the solution's last \boxed{...}.
    solution = str(row["solution"])
    start = solution.rfind("\\boxed{")
    answer, depth = None, 0
    for i in range(start + len("\\boxed"), len(solution) if start >= 0 else 0):
        depth += {"{": 1, "}": -1}.get(solution[i], 0)
        if depth == 0:
            answer = solution[start + len("\\boxed{") : i]
            break
    return {"problem": row["problem"], "answer": answer, "solution": solution}


def _mbpp_sanitized(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "test_setup_code": "\n".join(row.get("test_imports") or [])}


def _dapo_processed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"problem": row["prompt"], "answer": str(row["solution"])}


#: Hub row adapters by name (see :class:`HubSource`).
HUB_ADAPTERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "gsm8k": _gsm8k,
    "math500": _math500,
    "answer_only": _answer_only,
    "aime25": _aime25,
    "math_boxed": _math_boxed,
    "mbpp_sanitized": _mbpp_sanitized,
    "question_answer": _question_answer,
    "dapo_processed": _dapo_processed,
}


def read_table(path: str | os.PathLike[str]) -> list[tuple[int, dict[str, Any]]]:
    """Read a JSON Lines, JSON (list of objects) or Parquet file into ``(line_number, row)`` pairs.

    Raises:
        DatasetNotFoundError: The file does not exist.
        DatasetFormatError: A line is not a JSON object, or the format is unknown.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"Dataset file {str(path)!r} does not exist. Check the path (or ${DATA_DIR_ENV}).")
    stat = path.stat()
    return list(_read_table_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=32)
def _read_table_cached(path: str, _mtime: int, _size: int) -> tuple[tuple[int, dict[str, Any]], ...]:
    suffix = "".join(Path(path).suffixes[-2:]) if path.endswith(".gz") else Path(path).suffix
    if suffix == ".jsonl":
        return tuple(_read_jsonl(path))
    if suffix == ".json":
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, list):
            raise DatasetFormatError(f"{path}: expected a JSON list of objects, got {type(data).__name__}.")
        return tuple((i + 1, _as_object(row, path, i + 1)) for i, row in enumerate(data))
    if suffix == ".parquet":
        pq = require("pyarrow.parquet", "hub", "Reading Parquet datasets")
        rows = pq.read_table(path).to_pylist()
        return tuple((i + 1, row) for i, row in enumerate(rows))
    raise DatasetFormatError(f"{path}: unknown dataset format {suffix!r}; use .jsonl, .json or .parquet.")


def _read_jsonl(path: str):
    with open(path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetFormatError(
                    f"{path}, line {line_no}: not valid JSON ({exc.msg} at column {exc.colno}). "
                    "Each line must be one JSON object; fix or delete that line."
                ) from None
            yield line_no, _as_object(row, path, line_no)


def _as_object(row: Any, path: str, line_no: int) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise DatasetFormatError(
            f"{path}, line {line_no}: expected a JSON object, got {type(row).__name__}. Each row must be an object."
        )
    return row


def _text_field(row: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    if key not in row or row[key] is None:
        if required:
            present = ", ".join(sorted(map(str, row))) or "(no fields)"
            raise DatasetFormatError(
                f"{where}: field {key!r} is missing. Fields present: {present}. "
                f"Fix the row, or point the env at the right field (e.g. problem_field=/answer_field=)."
            )
        return None
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise DatasetFormatError(
            f"{where}: field {key!r} must be a string (or a number), got {type(value).__name__}: {str(value)[:80]!r}."
        )
    text = str(value)
    if required and not text.strip():
        raise DatasetFormatError(f"{where}: field {key!r} is empty. Every problem needs a non-empty {key!r}.")
    return text


def rows_to_records(rows: list[tuple[int, dict[str, Any]]], fields: FieldMap, source: str) -> list[dict[str, Any]]:
    """Validate rows and map them to records with keys ``id``, ``question``, ``answer``, ``solution``, ``meta``.

    Raises:
        DatasetFormatError: A required field is missing, empty or of the wrong type; or an id repeats.
    """
    records, seen = [], {}
    for line_no, row in rows:
        where = f"{source}, line {line_no}"
        record = {
            "question": _text_field(row, fields.problem, where, required=True),
            "answer": _text_field(row, fields.answer, where, required=True) if fields.answer else "",
            "solution": _text_field(row, fields.solution, where, required=False) if fields.solution else None,
            "meta": {k: row[k] for k in fields.extra if k in row},
        }
        rid = _text_field(row, fields.id, where, required=False) if fields.id else None
        record["id"] = rid if rid is not None else str(line_no - 1)
        if record["id"] in seen:
            raise DatasetFormatError(
                f"{where}: id {record['id']!r} repeats line {seen[record['id']]}; ids must be unique."
            )
        seen[record["id"]] = line_no
        missing = [k for k in fields.extra if k not in row]
        if missing:
            raise DatasetFormatError(f"{where}: field(s) {missing} missing; this env needs them.")
        records.append(record)
    if not records:
        raise DatasetFormatError(f"{source}: no rows. A dataset needs at least one problem.")
    return records


def load_rows(
    *, data_files: str | os.PathLike[str] | None, file_name: str | None, hub: HubSource | None
) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """Find and read a dataset; return its rows and a description of where they came from."""
    if data_files is not None:
        return read_table(data_files), str(data_files)
    data_dir = os.environ.get(DATA_DIR_ENV)
    if data_dir and file_name:
        path = Path(data_dir) / file_name
        if not path.is_file():
            raise DatasetNotFoundError(
                f"${DATA_DIR_ENV}={data_dir!r} has no {file_name!r}. Put the file there, unset "
                f"{DATA_DIR_ENV} to use the Hugging Face hub, or pass data_files=."
            )
        return read_table(path), str(path)
    if hub is None:
        raise DatasetNotFoundError(
            f"No data source: set ${DATA_DIR_ENV} to a folder containing {file_name!r}, or pass data_files=."
        )
    return _load_hub(hub), f"hf://{hub.path}" + (f"/{hub.name}" if hub.name else "") + f"[{hub.split}]"


def _load_hub(hub: HubSource) -> list[tuple[int, dict[str, Any]]]:
    datasets = require("datasets", "hub", f"Loading {hub.path} from the Hugging Face hub")
    try:
        ds = datasets.load_dataset(hub.path, hub.name, split=hub.split)
    except Exception as exc:  # noqa: BLE001 - the hub raises many types; we add the fix.
        raise DatasetNotFoundError(
            f"Could not load {hub.path!r} (config {hub.name!r}, split {hub.split!r}) from the Hugging Face hub: "
            f"{type(exc).__name__}: {exc}. Offline? Set ${DATA_DIR_ENV} to a folder of local files, "
            "or pass data_files=."
        ) from exc
    adapter = HUB_ADAPTERS[hub.adapter] if hub.adapter else dict
    return [(i + 1, adapter(row)) for i, row in enumerate(ds)]
