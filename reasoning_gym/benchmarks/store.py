"""The output folder of an evaluation: append-only ``samples.jsonl``, ``settings.json`` and a run lock.

Resumability rests on three rules:

* every finished batch of samples is appended in one ``write`` and then flushed and ``fsync``-ed, so a
  ``kill -9`` loses at most the batch being generated;
* a line cut short by a crash (no trailing newline) is dropped on the next start, and samples already on
  disk are never generated again, so re-running with the same folder gives exactly one line per
  (benchmark, problem, sample index);
* ``settings.json`` is written before the first sample; a later run into the same folder with different
  settings is refused with the list of differences, so one folder never mixes two protocols.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError, ReasoningGymError

__all__ = [
    "RunLock",
    "SampleLog",
    "check_settings",
    "precheck_settings",
    "settings_differences",
    "write_text_atomic",
]

SAMPLES_FILE = "samples.jsonl"
SETTINGS_FILE = "settings.json"
LOCK_FILE = ".lock"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class SampleLog:
    """Samples of one evaluation, in memory and (when ``path`` is given) in an append-only JSON Lines file.

    Args:
        path: The ``samples.jsonl`` file, or ``None`` to keep samples in memory only (no resume).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._records: dict[tuple[str, int, int], dict[str, Any]] = {}
        if path is not None and path.exists():
            for record in self._read(path):
                self._records.setdefault(_key(record), record)

    def __len__(self) -> int:
        return len(self._records)

    @staticmethod
    def _read(path: Path) -> list[dict[str, Any]]:
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # A batch cut short by a crash: drop the partial last line for good.
            with open(path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
        records = []
        for line_no, line in enumerate(data[:end].decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ReasoningGymError(
                    f"{path}, line {line_no}: not valid JSON ({exc.msg}). The file was edited or corrupted; "
                    "delete that line (its sample will be generated again) or use a new --output folder."
                ) from None
        return records

    def done(self, benchmark: str) -> set[tuple[int, int]]:
        """``(problem_index, sample_index)`` pairs of ``benchmark`` already recorded."""
        return {(p, s) for b, p, s in self._records if b == benchmark}

    def records(self, benchmark: str) -> list[dict[str, Any]]:
        """Records of ``benchmark`` sorted by problem index, then sample index."""
        keys = sorted(k for k in self._records if k[0] == benchmark)
        return [self._records[k] for k in keys]

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        """Record new samples durably (one write, flush, fsync); already-recorded keys are skipped."""
        fresh = [r for r in records if _key(r) not in self._records]
        if not fresh:
            return
        if self.path is not None:
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        for r in fresh:
            self._records[_key(r)] = r


def _key(record: Mapping[str, Any]) -> tuple[str, int, int]:
    return str(record["benchmark"]), int(record["problem_index"]), int(record["sample_index"])


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def settings_differences(old: Mapping[str, Any], new: Mapping[str, Any], *, partial: bool = False) -> list[str]:
    """Human-readable differences between two nested settings dicts (``"a.b: 1 in the folder, 2 now"``).

    With ``partial=True`` only the keys present in ``new`` are compared.
    """
    flat_old, flat_new = _flatten(json.loads(json.dumps(old))), _flatten(json.loads(json.dumps(new)))
    lines = []
    for key in sorted(set(flat_new) if partial else set(flat_old) | set(flat_new)):
        a, b = flat_old.get(key, "(absent)"), flat_new.get(key, "(absent)")
        if a != b:
            lines.append(f"{key}: {_short(a)} in the folder, {_short(b)} now")
    return lines


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _refuse(out_dir: Path, diffs: list[str]) -> ConfigError:
    return ConfigError(
        f"{out_dir} holds an evaluation with different settings, so it cannot be resumed:\n  - "
        + "\n  - ".join(diffs)
        + "\nRe-run with the folder's settings to resume it, or pass a new --output folder."
    )


def precheck_settings(out_dir: Path, settings: Mapping[str, Any]) -> None:
    """Refuse early (e.g. before loading a model) if the folder's run differs in any key given here.

    Raises:
        ConfigError: A key of ``settings`` has another value in the folder's ``settings.json``.
    """
    path = out_dir / SETTINGS_FILE
    if path.exists():
        diffs = settings_differences(json.loads(path.read_text(encoding="utf-8")), settings, partial=True)
        if diffs:
            raise _refuse(out_dir, diffs)


def check_settings(out_dir: Path, settings: Mapping[str, Any]) -> bool:
    """Write ``settings.json``, or check that the folder's existing one matches ``settings``.

    Returns:
        ``True`` when the folder already held a run with these settings (a resume).

    Raises:
        ConfigError: The folder holds a run with other settings; the message lists every difference.
    """
    path = out_dir / SETTINGS_FILE
    if not path.exists():
        if (out_dir / SAMPLES_FILE).exists():
            raise ConfigError(
                f"{out_dir} has {SAMPLES_FILE} but no {SETTINGS_FILE}, so its settings are unknown; "
                "use a new --output folder."
            )
        write_text_atomic(path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")
        return False
    old = json.loads(path.read_text(encoding="utf-8"))
    diffs = settings_differences(old, settings)
    if diffs:
        raise _refuse(out_dir, diffs)
    return True


class RunLock:
    """An exclusive lock on the output folder, so two runs never append to the same ``samples.jsonl``."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_FILE
        self._fh: Any = None

    def __enter__(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # Not POSIX: no lock, as before.
            return self
        self._fh = open(self.path, "a+")
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            raise ConfigError(
                f"Another evaluation is writing to {self.path.parent}; wait for it to finish, or use another "
                "--output folder."
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()
