"""Atomic checkpoints: ``DIR/checkpoint-STEP/`` with one Hugging Face folder per model plus trainer state.

Layout::

    DIR/checkpoint-STEP/policy/        model + tokenizer, loadable with from_pretrained
    DIR/checkpoint-STEP/critic/        (trainers with a critic)
    DIR/checkpoint-STEP/trainer_state.pt   step, optimizer states, RNG states, data cursor

A checkpoint is written into a hidden temporary folder and then renamed into place, so an interrupted save
never leaves a folder that looks complete; :func:`latest_checkpoint` only ever sees finished ones.
"""

from __future__ import annotations

import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = [
    "latest_checkpoint",
    "load_trainer_state",
    "resume_point",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
]

_NAME = re.compile(r"^checkpoint-(\d+)$")
STATE_FILE = "trainer_state.pt"


def save_checkpoint(
    output_dir: str | os.PathLike,
    step: int,
    models: dict[str, tuple[Any, Any]],
    state: dict[str, Any],
    *,
    keep_last: int | None = None,
) -> Path:
    """Save ``models`` (name -> ``(model, tokenizer)``) and ``state`` as ``output_dir/checkpoint-STEP``.

    Args:
        output_dir: The run folder.
        step: The step just finished.
        models: Objects with ``save_pretrained``; each tokenizer is saved next to its model.
        state: Trainer state for ``torch.save`` (optimizer states, RNG states, data cursor, ...).
        keep_last: Afterwards delete all but the newest this many checkpoints (``None`` keeps all).

    Returns:
        The checkpoint folder.
    """
    output_dir = Path(output_dir)
    final = output_dir / f"checkpoint-{step}"
    tmp = output_dir / f".tmp-checkpoint-{step}"
    shutil.rmtree(tmp, ignore_errors=True)  # left over from a crash during an earlier save
    tmp.mkdir(parents=True)
    for name, (model, tokenizer) in models.items():
        model.save_pretrained(tmp / name)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp / name)
    torch.save({**state, "step": step}, tmp / STATE_FILE)
    old = output_dir / f".old-checkpoint-{step}"
    if final.exists():  # re-saving a step: move the old copy aside first, delete it only once replaced
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
    if keep_last is not None:
        for old in _checkpoints(output_dir)[:-keep_last]:
            shutil.rmtree(old)
    return final


def latest_checkpoint(output_dir: str | os.PathLike) -> Path | None:
    """The finished checkpoint with the highest step in ``output_dir``, or ``None``."""
    found = _checkpoints(Path(output_dir))
    return found[-1] if found else None


def resume_point(output_dir: str | os.PathLike, resume: bool) -> Path | None:
    """The checkpoint to resume from, or ``None`` for a fresh run.

    Raises:
        FileExistsError: If ``output_dir`` holds checkpoints but ``resume`` is False (a fresh run there would
            mix two runs' metrics and checkpoints).
    """
    latest = latest_checkpoint(output_dir)
    if latest is not None and not resume:
        raise FileExistsError(
            f"{output_dir} already holds checkpoints (latest {latest.name}); pass --run.resume to continue that "
            "run, or choose a new --run.output_dir."
        )
    return latest


def load_trainer_state(checkpoint: str | os.PathLike) -> dict[str, Any]:
    """Load the ``trainer_state.pt`` of a checkpoint folder."""
    # weights_only=False: the file holds numpy RNG state, and it is our own file, never downloaded.
    return torch.load(Path(checkpoint) / STATE_FILE, map_location="cpu", weights_only=False)


def rng_state() -> dict[str, Any]:
    """Every global random state a run draws from (Python, NumPy, torch, and CUDA when present)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore random states saved by :func:`rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _checkpoints(output_dir: Path) -> list[Path]:
    if not output_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in output_dir.iterdir() if p.is_dir() and (m := _NAME.match(p.name))]
    return [p for _, p in sorted(found)]
