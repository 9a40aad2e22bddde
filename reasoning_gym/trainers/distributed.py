"""Data parallelism with FSDP2: process group, loading, sharding, mixed precision and gathers.

Run any trainer under ``torchrun`` to train on several processes (gloo on CPU, NCCL on CUDA)::

    torchrun --nproc_per_node 8 -m reasoning_gym.trainers.sppo --policy.path ... --fsdp.offload

How a trainer uses it, and why the result matches one process on the same global batch:

1. Loading (:meth:`Distributed.build`): only rank 0 reads the weights, into CPU memory; every rank builds a
   meta-device skeleton, shards it with :func:`apply_fsdp`, allocates its own shards and receives them from
   rank 0, one tensor at a time. No rank but 0 ever holds the full model.
2. Every rank draws the same global prompt batch (same seed, same cursor), samples and scores its contiguous
   slice (:meth:`Distributed.shard`), and :meth:`~Distributed.gather` rebuilds the global list of episodes
   on every rank. Forward passes over the rows follow a
   :class:`~reasoning_gym.models.batching.MicroPlan` that every rank computes alike: equal row counts per
   rank with balanced token loads, the same number of micro-batches everywhere.
3. Losses are normalized by the whole mini-batch, and :func:`apply_fsdp` makes FSDP *sum* gradients over
   ranks, so the reduced gradient is the full mini-batch gradient, as with one process.
4. Precision: weights and optimizer state stay in their stored dtype (float32); FSDP's
   ``MixedPrecisionPolicy`` gathers them in ``param_dtype`` (bfloat16 on GPUs by default) for compute and
   reduces gradients in ``reduce_dtype`` (float32). One process is wrapped too when it needs this (or CPU
   offload), in a one-process group that :func:`init_distributed` creates.
5. ``--fsdp.replicate R`` builds a 2-D mesh (HSDP): parameters are sharded within groups of ``world / R``
   processes (a node) and replicated across the groups, so the all-gathers stay inside a node.

Without ``torchrun`` and without mixed precision, :func:`init_distributed` returns a one-process
:class:`Distributed` whose methods are no-ops or plain local operations, so the very same loop runs
unwrapped. Only public torch APIs are used (``fully_shard``, ``FSDPModule``, ``DeviceMesh``,
``torch.distributed.checkpoint.state_dict``). FSDP1 is deliberately not supported: gathering its state dict
with CPU offload segfaults on CPU (docs/feasibility.md, section 3).
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as tdist
from torch import nn
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict, set_model_state_dict
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh
from torch.distributed.fsdp import FSDPModule

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.batching import MicroPlan
from reasoning_gym.trainers.config import FSDPConfig
from reasoning_gym.trainers.fsdp import (
    RESHARD_AFTER_FORWARD,
    apply_fsdp,
    compute_dtype,
    decoder_blocks,
    needs_wrapping,
    resolve_dtype,
)
from reasoning_gym.trainers.metrics import mean_metrics

__all__ = [
    "Distributed",
    "apply_fsdp",
    "compute_dtype",
    "decoder_blocks",
    "init_distributed",
    "needs_wrapping",
    "resolve_dtype",
]

T = TypeVar("T")


class Distributed:
    """This process's place in a data-parallel run, with the few collectives trainers need.

    Build it with :func:`init_distributed`. With ``world_size == 1`` every method works without a process group.

    Attributes:
        rank: This process's rank.
        world_size: Number of processes.
        local_rank: Rank on this machine (selects the CUDA device).
        device: Where this rank's model computes.
        mesh: The device mesh models are sharded over (None when models are not wrapped).
    """

    def __init__(
        self,
        rank: int = 0,
        world_size: int = 1,
        local_rank: int = 0,
        device: torch.device | str = "cpu",
        *,
        mesh: DeviceMesh | None = None,
        owns_group: bool = False,
    ) -> None:
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        self.device = torch.device(device)
        self.mesh = mesh
        self._owns_group = owns_group

    @property
    def enabled(self) -> bool:
        """True when more than one process trains together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only rank that writes files and prints."""
        return self.rank == 0

    def __enter__(self) -> Distributed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Destroy the process group if :func:`init_distributed` created it (a caller's group is left alone)."""
        if self._owns_group and tdist.is_initialized():
            # Wait for every rank first: rank 0 may still be writing the run's last files, and tearing the
            # gloo group down under a peer that is still connected can abort that peer at exit.
            tdist.barrier()
            tdist.destroy_process_group()
        self._owns_group = False

    # -- models -------------------------------------------------------------------------------------------

    def wrap(self, model: nn.Module, config: FSDPConfig | None = None) -> None:
        """Shard ``model`` with :func:`apply_fsdp` when this run shards (a mesh exists); do nothing otherwise.

        Call it before building the model's optimizer.
        """
        if self.mesh is None:
            return
        config = config or FSDPConfig()
        apply_fsdp(
            model,
            mesh=self.mesh,
            param_dtype=compute_dtype(config, self.device),
            reduce_dtype=config.reduce_dtype,
            reshard_after_forward=config.reshard_after_forward,
            offload=config.offload,
        )

    def build(self, load: Callable[[bool], nn.Module], config: FSDPConfig | None = None) -> nn.Module:
        """Load a model, shard it, and return it ready to train on :attr:`device`.

        Args:
            load: ``load(skeleton)`` returns the model: with real weights on the CPU (``skeleton=False``), or
                with every tensor on the meta device (``skeleton=True``).
            config: Sharding and precision.

        One process loads it directly. Several processes: rank 0 loads the weights into CPU memory, every rank
        shards a skeleton and allocates its own shards, and rank 0 sends each tensor in turn
        (``set_model_state_dict`` with ``broadcast_from_rank0``); buffers that checkpoints do not store (rotary
        frequencies) are sent too. Only rank 0 ever holds the full model.
        """
        config = config or FSDPConfig()
        # Loading must not move the global generator: only rank 0 initialises new weights (a critic's head), and
        # every rank must keep drawing the same mini-batch shuffles afterwards.
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            return self._build(load, config)

    def _build(self, load: Callable[[bool], nn.Module], config: FSDPConfig) -> nn.Module:
        if not self.enabled:
            model = load(False)
            model.to("cpu" if self.mesh is not None and config.offload else self.device)
            self.wrap(model, config)
            return model.to(self.device) if self.mesh is None else _buffers_to(model, self.device)
        source = load(False) if self.is_main else None
        model = load(True)
        self.wrap(model, config)
        model.to_empty(device="cpu" if config.offload else self.device)
        _buffers_to(model, self.device)
        full = source.state_dict() if source is not None else {}
        options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
        set_model_state_dict(model, full, options=options)
        self._broadcast_buffers(model, source)
        del source, full
        return model

    def _broadcast_buffers(self, model: nn.Module, source: nn.Module | None) -> None:
        """Send every buffer of rank 0's ``source`` (persistent or not) to the same buffer of each rank's model."""
        reference = dict(source.named_buffers()) if source is not None else {}
        for name, buffer in model.named_buffers():
            if self.is_main:
                buffer.copy_(reference[name].to(buffer.device, buffer.dtype))
            tdist.broadcast(buffer, src=0)

    @contextlib.contextmanager
    def unsharded(self, model: nn.Module) -> Iterator[None]:
        """Hold ``model``'s full parameters (in the compute dtype) on every rank for the block (for generation).

        ``generate`` runs a different number of forward passes on each rank (each stops when its own
        sequences end); gathering everything up front means those passes run no collective, so ranks never
        wait on each other, and no block is re-gathered for every new token.
        """
        modules = [m for m in model.modules() if isinstance(m, FSDPModule)] if self.mesh is not None else []
        for module in modules:
            module.set_reshard_after_forward(False, recurse=False)
            module.unshard()
        try:
            yield
        finally:
            for module in modules:
                module.reshard()
                module.set_reshard_after_forward(RESHARD_AFTER_FORWARD.get(module, True), recurse=False)

    def reshard(self, model: nn.Module) -> None:
        """Free ``model``'s gathered root parameters after no-grad passes.

        The root (embedding, final norm, output layer) is not resharded after its forward, because a backward
        needs it at once; after passes without a backward nothing else would free it (for a frozen reference
        model, never).
        """
        if isinstance(model, FSDPModule):
            model.reshard()

    def iter_full_tensors(self, model: nn.Module, *, dtype: torch.dtype | None = None) -> Iterator[tuple[str, Any]]:
        """``(name, full tensor)`` for each parameter and persistent buffer of ``model``, one at a time.

        All ranks must consume it in full and in step: each sharded tensor is gathered (a collective) only when
        it is asked for, on this rank's device, and cast to ``dtype``, so at most one full tensor exists at a
        time. Tied weights come once, under their first name (Hugging Face loaders re-tie them).
        """
        from reasoning_gym.trainers.checkpoint import full_tensors

        for name, tensor in full_tensors(model, self.device, to_cpu=False):
            yield name, tensor if dtype is None else tensor.to(dtype)

    def full_state_dict(self, model: nn.Module, *, every_rank: bool = False) -> dict[str, torch.Tensor]:
        """The full, unsharded weights. All ranks must call it.

        By default on CPU and on rank 0 only (other ranks get ``{}``). With ``every_rank`` each rank gets the
        full tensors on its own device, e.g. to load into its own rollout engine.
        """
        if self.mesh is None:
            return {k: v.detach() if every_rank else v.detach().cpu() for k, v in model.state_dict().items()}
        options = StateDictOptions(full_state_dict=True, cpu_offload=not every_rank)
        return get_model_state_dict(model, options=options)

    # -- data ---------------------------------------------------------------------------------------------

    def check_divisible(self, **sizes: int) -> None:
        """Check that every batch size splits evenly over the ranks.

        Raises:
            ConfigError: Naming the first size that does not, and how to fix it.
        """
        for name, size in sizes.items():
            if size % self.world_size:
                raise ConfigError(
                    f"{name} ({size}) must be divisible by the number of processes ({self.world_size}), so that "
                    f"every rank runs the same number of forward passes; change --{name} or --nproc_per_node."
                )

    def shard(self, items: Sequence[T]) -> Sequence[T]:
        """This rank's contiguous slice of ``items`` (a list or a tensor of row indices).

        Raises:
            ValueError: If ``len(items)`` is not a multiple of the world size.
        """
        if len(items) % self.world_size:
            raise ValueError(
                f"Cannot split {len(items)} rows evenly over {self.world_size} processes; make batch sizes "
                "multiples of the number of processes."
            )
        size = len(items) // self.world_size
        return items[self.rank * size : (self.rank + 1) * size]

    def gather(self, items: list[T]) -> list[T]:
        """Concatenate every rank's list in rank order (the inverse of :meth:`shard`); items must pickle."""
        if not self.enabled:
            return list(items)
        parts: list[list[T] | None] = [None] * self.world_size
        tdist.all_gather_object(parts, list(items))
        return [item for part in parts for item in part]

    def gather_rows(self, tensor: torch.Tensor) -> torch.Tensor:
        """Concatenate every rank's tensor along dim 0, in rank order; all ranks must pass the same shape."""
        if not self.enabled:
            return tensor
        local = tensor.contiguous().to(self.device)
        out = local.new_empty((local.shape[0] * self.world_size, *local.shape[1:]))
        tdist.all_gather_single(out, local)
        return out.to(tensor.device)

    def gather_planned(self, local: torch.Tensor, plan: MicroPlan, num_rows: int) -> torch.Tensor:
        """Every rank's rows of ``plan`` (``local`` holds this rank's, in ``plan.rank_rows`` order) in row order.

        Returns:
            ``[num_rows, ...]`` on every rank; rows outside the plan are zero.
        """
        gathered = self.gather_rows(local)
        order = torch.cat([plan.rank_rows(r) for r in range(self.world_size)])
        out = gathered.new_zeros((num_rows, *gathered.shape[1:]))
        out[order] = gathered
        return out

    def mean_metrics(self, metrics: dict[str, float]) -> dict[str, float]:
        """Average each metric over the ranks that report it (every rank gets the same result)."""
        if not self.enabled:
            return metrics
        return mean_metrics(self.gather([metrics]))

    def rollout_seed(self, seed: int, step: int, *, group: int | None = None) -> int:
        """A sampling seed distinct per (run seed, step, rank), so ranks draw different samples.

        ``group`` replaces the rank where several ranks sample together (a tensor-parallel engine). Sampling
        with its own seed leaves the global torch generator alone, so it stays identical across ranks
        (mini-batch shuffling draws from it) and a resumed run samples exactly what it would have.
        """
        return int(np.random.SeedSequence([seed, step, self.rank if group is None else group]).generate_state(1)[0])

    def barrier(self) -> None:
        """Wait for every rank (no-op with one process)."""
        if self.enabled:
            tdist.barrier()

    def print(self, *args: Any, **kwargs: Any) -> None:
        """``print`` on rank 0 only."""
        if self.is_main:
            print(*args, **kwargs)


def _buffers_to(model: nn.Module, device: torch.device) -> nn.Module:
    """Move buffers (never sharded or offloaded by FSDP) to the compute device."""
    for module in model.modules():
        for name, buffer in module.named_buffers(recurse=False):
            if buffer is not None and buffer.device != device:
                module._buffers[name] = buffer.to(device)
    return model


def init_distributed(
    device: str = "auto", config: FSDPConfig | None = None, *, shard_one_process: bool = False
) -> Distributed:
    """Join the ``torchrun`` process group, or describe a single process when not launched by it.

    Reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``. With more than one process it initializes the default
    group (NCCL for CUDA, gloo for CPU) unless the caller already did, with ``config.timeout_minutes``, and
    builds the device mesh (2-D for ``config.replicate > 1``).

    Args:
        device: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``; under ``torchrun``
            ``cuda`` means ``cuda:LOCAL_RANK``.
        config: Sharding settings (mesh shape, timeout).
        shard_one_process: Wrap models even in a single process (mixed precision or CPU offload): a
            one-process group is created for FSDP's mesh.

    Returns:
        A :class:`Distributed`; use it as a context manager (or call ``close``) to tear the group down.

    Raises:
        ConfigError: If ``config.replicate`` does not divide the number of processes.
    """
    config = config or FSDPConfig()
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    if world_size <= 1 and not shard_one_process:
        return Distributed(device=dev)
    if world_size % config.replicate:
        raise ConfigError(
            f"--fsdp.replicate {config.replicate} must divide the number of processes ({world_size}); use the "
            "number of nodes (each node then holds one full copy of the sharded model)."
        )
    owns = not tdist.is_initialized()
    if owns:
        backend = "nccl" if dev.type == "cuda" else "gloo"
        timeout = datetime.timedelta(minutes=config.timeout_minutes)
        if world_size <= 1:  # a private one-process group: no rendezvous, no port
            tdist.init_process_group(backend, store=tdist.HashStore(), rank=0, world_size=1, timeout=timeout)
        else:
            tdist.init_process_group(backend, timeout=timeout)
    if config.replicate > 1:
        shape, names = (config.replicate, world_size // config.replicate), ("replicate", "shard")
        mesh = init_device_mesh(dev.type, shape, mesh_dim_names=names)
    else:
        mesh = init_device_mesh(dev.type, (max(world_size, 1),))
    return Distributed(rank, max(world_size, 1), local_rank, dev, mesh=mesh, owns_group=owns)
