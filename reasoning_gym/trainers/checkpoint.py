"""Checkpoints: sharded training state plus Hugging Face folders, written atomically.

Layout of ``DIR/checkpoint-STEP/``::

    state/              torch.distributed.checkpoint: the weights and optimizer state of every trained model,
                        one file per rank holding that rank's shards (plus .metadata); loads on any number of
                        processes (DCP reshards on load)
    policy/             Hugging Face folder (weights, config, tokenizer), loadable with from_pretrained
    critic/             (trainers with a critic)
    trainer_state.pt    step, data cursor and random states (small; written by rank 0)

Nothing is gathered in one place: each rank writes its own shards of the training state, and the Hugging
Face folders are streamed: one full tensor at a time is gathered and rank 0 writes them out in
safetensors files of at most ``MAX_SHARD_BYTES`` (with ``model.safetensors.index.json`` when there are
several), so no rank ever holds a full model and its optimizer state at once.

A checkpoint is written into a hidden temporary folder and renamed into place once every rank has
finished, so an interrupted save never leaves a folder that looks complete; :func:`latest_checkpoint` only
ever sees finished ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.tensor import DTensor

__all__ = [
    "MAX_SHARD_BYTES",
    "export_hf",
    "full_tensors",
    "latest_checkpoint",
    "load_checkpoint",
    "load_trainer_state",
    "resume_point",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
]

_NAME = re.compile(r"^checkpoint-(\d+)$")
STATE_FILE = "trainer_state.pt"
STATE_DIR = "state"
#: Largest safetensors file of an exported Hugging Face folder (what rank 0 buffers at a time).
MAX_SHARD_BYTES = 2 * 2**30

#: ``name -> (model, optimizer, tokenizer)``: what a checkpoint holds for each trained model.
Trained = dict[str, tuple[nn.Module, torch.optim.Optimizer, Any]]


def save_checkpoint(
    output_dir: str | os.PathLike,
    step: int,
    dist: Any,
    trained: Trained,
    extra: dict[str, Any],
    *,
    keep_last: int | None = None,
) -> Path:
    """Save the trained models, their optimizers and ``extra`` as ``output_dir/checkpoint-STEP``. All ranks call it.

    Args:
        output_dir: The run folder (shared by all ranks).
        step: The step just finished.
        dist: The run's :class:`~reasoning_gym.trainers.distributed.Distributed`.
        trained: Each model's name, module (sharded or not), optimizer and tokenizer.
        extra: Small picklable trainer state (data cursor, random states); rank 0's copy is saved.
        keep_last: Afterwards delete all but the newest this many checkpoints (``None`` keeps all).

    Returns:
        The checkpoint folder.
    """
    output_dir = Path(output_dir)
    final, tmp = output_dir / f"checkpoint-{step}", output_dir / f".tmp-checkpoint-{step}"
    if dist.is_main:
        shutil.rmtree(tmp, ignore_errors=True)  # left over from a crash during an earlier save
        tmp.mkdir(parents=True)
    dist.barrier()
    state = {name: _training_state(model, optim) for name, (model, optim, _) in trained.items()}
    with _one_process_is_fine():
        dcp.save(state, checkpoint_id=str(tmp / STATE_DIR))
    for name, (model, _, tokenizer) in trained.items():
        export_hf(model, tmp / name, dist, tokenizer=tokenizer)
    if dist.is_main:
        torch.save({**extra, "step": step}, tmp / STATE_FILE)
        _replace(tmp, final)
        if keep_last is not None:
            for old in _checkpoints(output_dir)[:-keep_last]:
                shutil.rmtree(old)
    dist.barrier()
    return final


def load_checkpoint(checkpoint: str | os.PathLike, trained: dict[str, tuple[nn.Module, torch.optim.Optimizer]]) -> dict:
    """Load the training state of ``checkpoint`` into ``trained`` models and optimizers; return its extra state.

    Works on any number of processes and with sharded or plain models, whatever the saving run used.
    """
    checkpoint = Path(checkpoint)
    state = {name: _training_state(model, optim) for name, (model, optim) in trained.items()}
    with _one_process_is_fine():
        dcp.load(state, checkpoint_id=str(checkpoint / STATE_DIR))
    for name, (model, optim) in trained.items():
        set_model_state_dict(model, state[name]["model"])
        set_optimizer_state_dict(model, optim, state[name]["optim"])
    return load_trainer_state(checkpoint)


@contextlib.contextmanager
def _one_process_is_fine() -> Iterator[None]:
    """Silence DCP's warning that it runs without a process group: one unwrapped process is a normal run."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="torch.distributed is disabled")
        yield


def _training_state(model: nn.Module, optim: torch.optim.Optimizer) -> dict[str, Any]:
    """Sharded state dicts keyed by parameter name, so a checkpoint loads on any number of processes."""
    return {"model": get_model_state_dict(model), "optim": get_optimizer_state_dict(model, optim)}


def load_trainer_state(checkpoint: str | os.PathLike) -> dict[str, Any]:
    """Load the ``trainer_state.pt`` (step, data cursor, random states) of a checkpoint folder."""
    # weights_only=False: the file holds numpy RNG state, and it is our own file, never downloaded.
    return torch.load(Path(checkpoint) / STATE_FILE, map_location="cpu", weights_only=False)


# ---------------------------------------------------------------------------------------------------------
# Hugging Face folders, streamed
# ---------------------------------------------------------------------------------------------------------


def export_hf(
    model: nn.Module,
    out_dir: str | os.PathLike,
    dist: Any,
    *,
    tokenizer: Any = None,
    max_shard_bytes: int = MAX_SHARD_BYTES,
) -> None:
    """Write ``model`` as a Hugging Face folder, gathering one tensor at a time. All ranks call it.

    ``model`` is a ``transformers`` model or a :class:`~reasoning_gym.models.loading.Critic` (whose inner
    model becomes the folder, its fallback value head ``value_head.safetensors``).
    """
    from reasoning_gym.models.loading import VALUE_HEAD_FILE, Critic

    inner, prefix = (model.model, "model.") if isinstance(model, Critic) else (model, "")
    out_dir = Path(out_dir)
    writer = _ShardWriter(out_dir, max_shard_bytes) if dist.is_main else None
    head: dict[str, torch.Tensor] = {}
    for key, tensor in full_tensors(model, dist.device):
        if writer is None:
            continue
        if key.startswith(prefix):
            writer.add(key.removeprefix(prefix), tensor)
        else:  # the Critic's fallback value head
            head[key.removeprefix("value_head.")] = tensor
    if writer is None:
        return
    writer.close()
    if head:
        from safetensors.torch import save_file

        save_file(head, str(out_dir / VALUE_HEAD_FILE))
    inner.config.save_pretrained(out_dir)
    if getattr(inner, "generation_config", None) is not None and inner.can_generate():
        inner.generation_config.save_pretrained(out_dir)
    if tokenizer is not None:
        tokenizer.save_pretrained(out_dir)


def full_tensors(model: nn.Module, device: torch.device, *, to_cpu: bool = True) -> Iterator[tuple[str, torch.Tensor]]:
    """``(key, full tensor)`` for each distinct state-dict entry, on the CPU (or ``device``).

    Each sharded tensor is gathered (a collective) only when the iteration reaches it.
    """
    seen: set[int] = set()
    for key, value in model.state_dict().items():
        tensor = _owner(model, key, value)
        if id(tensor) in seen:  # tied weights (one parameter under two names): transformers re-ties them on load
            continue
        seen.add(id(tensor))
        tensor = tensor.detach()
        if isinstance(tensor, DTensor):
            if tensor.device.type != device.type:  # offloaded shards travel through the compute device
                local = tensor.to_local().to(device)
                tensor = DTensor.from_local(
                    local, tensor.device_mesh, tensor.placements, shape=tensor.shape, stride=tensor.stride(),
                    run_check=False,
                )  # fmt: skip
            tensor = tensor.full_tensor()
        yield key, tensor.detach().to("cpu").contiguous() if to_cpu else tensor.detach()


def _owner(model: nn.Module, key: str, value: torch.Tensor) -> torch.Tensor:
    """The parameter or buffer behind a state-dict entry (state_dict() returns fresh views of shared tensors)."""
    try:
        return model.get_parameter(key)
    except AttributeError:
        try:
            return model.get_buffer(key)
        except AttributeError:
            return value


class _ShardWriter:
    """Buffers tensors and writes them as numbered safetensors files of at most ``max_bytes`` each."""

    def __init__(self, out_dir: Path, max_bytes: int) -> None:
        self.out_dir, self.max_bytes = out_dir, max_bytes
        out_dir.mkdir(parents=True, exist_ok=True)
        self.pending: dict[str, torch.Tensor] = {}
        self.pending_bytes, self.files, self.weight_map, self.total = 0, [], {}, 0

    def add(self, key: str, tensor: torch.Tensor) -> None:
        size = tensor.numel() * tensor.element_size()
        if self.pending and self.pending_bytes + size > self.max_bytes:
            self._flush()
        self.pending[key] = tensor
        self.pending_bytes += size
        self.total += size

    def _flush(self) -> None:
        from safetensors.torch import save_file

        name = f"part-{len(self.files) + 1:05d}.safetensors"
        save_file(self.pending, str(self.out_dir / name), metadata={"format": "pt"})
        self.files.append(name)
        self.weight_map.update(dict.fromkeys(self.pending, name))
        self.pending, self.pending_bytes = {}, 0

    def close(self) -> None:
        """Write the last file and name the files the way ``from_pretrained`` expects."""
        if self.pending or not self.files:
            self._flush()
        if len(self.files) == 1:
            os.replace(self.out_dir / self.files[0], self.out_dir / "model.safetensors")
            return
        renamed = {old: f"model-{i:05d}-of-{len(self.files):05d}.safetensors" for i, old in enumerate(self.files, 1)}
        for old, new in renamed.items():
            os.replace(self.out_dir / old, self.out_dir / new)
        index = {
            "metadata": {"total_size": self.total},
            "weight_map": {k: renamed[v] for k, v in self.weight_map.items()},
        }
        (self.out_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------------------------------------------
# Finding checkpoints, random states
# ---------------------------------------------------------------------------------------------------------


def _replace(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an existing ``final`` (re-saving a step) is moved aside and deleted after."""
    old = final.with_name(f".old-{final.name}")
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


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
