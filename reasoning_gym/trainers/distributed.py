"""Data-parallel training with FSDP2: process group, sharding, gathers and full-weight checkpoints.

Run any trainer under ``torchrun`` to train on several processes (gloo on CPU, NCCL on CUDA)::

    torchrun --nproc_per_node 2 -m reasoning_gym.trainers.sppo --run.output_dir runs/sppo-2p ...

Without ``torchrun`` (or with one process) :func:`init_distributed` returns a one-process
:class:`Distributed` whose methods are no-ops or plain local operations, so the very same training loop runs
unwrapped and needs no process group; the CPU tests cover both paths.

How a trainer uses it, and why the result matches one process on the same global batch:

1. Every rank draws the same global prompt batch (same seed, same cursor) and takes its contiguous slice
   with :meth:`Distributed.shard`; it samples and scores only that slice, then :meth:`~Distributed.gather`
   rebuilds the global list of episodes on every rank. Old log-probs and values are computed on each rank's
   slice of rows and reassembled with :meth:`~Distributed.gather_rows`.
2. Advantages and shuffled mini-batches are computed from global data and the global torch generator,
   which stays identical on all ranks because sampling uses its own per-rank seed
   (:meth:`~Distributed.rollout_seed`) and leaves the global generator untouched.
3. Each rank runs forward/backward on its slice of every mini-batch. Losses are normalized by the whole
   mini-batch (a number every rank knows), and :func:`apply_fsdp` makes FSDP *sum* gradients over ranks,
   so the reduced gradient is the full mini-batch gradient, as with one process.
4. Checkpoints gather full weights and optimizer states to rank 0 (:meth:`~Distributed.save_checkpoint`),
   which writes ordinary Hugging Face folders; they load on any number of processes.

The calls a trainer makes (``sppo.py`` is the worked example)::

    with init_distributed(config.run.device) as dist:              # in train(); tears the group down
        dist.check_divisible(prompts_per_step=..., ...)            # every rank must run as many passes
        dist.wrap(model, config.fsdp)                              # after loading, before make_optimizer
        with dist.unsharded(policy):                               # sample this rank's slice
            local = sample_episodes(engine, dist.shard(prompts), params_with_seed_from_rollout_seed)
        episodes = dist.gather(scored_local)                       # the global batch on every rank
        logp = dist.gather_rows(forward_on(dist.shard(all_rows)))  # no-grad per-row passes
        for rows in dist.shard(mini).split(micro): ...             # loss divided by the whole mini-batch
        metrics = dist.mean_metrics(metrics)                       # write files only if dist.is_main
        dist.save_checkpoint(..., {"optim": dist.optimizer_state_dict(model, opt), ...})

Only public torch APIs are used (``fully_shard``, ``FSDPModule``, ``torch.distributed.checkpoint.state_dict``).
FSDP1 is deliberately not supported: gathering its state dict with CPU offload segfaults on CPU
(docs/feasibility.md, section 3).
"""

from __future__ import annotations

import contextlib
import os
import warnings
import weakref
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as tdist
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh
from torch.distributed.fsdp import FSDPModule, MixedPrecisionPolicy, fully_shard

from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.config import FSDPConfig
from reasoning_gym.trainers.metrics import mean_metrics

__all__ = ["Distributed", "apply_fsdp", "decoder_blocks", "init_distributed", "resolve_dtype"]

T = TypeVar("T")

#: ``reshard_after_forward`` each module was sharded with, restored after :meth:`Distributed.unsharded`.
_RESHARD_AFTER_FORWARD: weakref.WeakKeyDictionary[nn.Module, bool] = weakref.WeakKeyDictionary()


def resolve_dtype(name: str | torch.dtype | None) -> torch.dtype | None:
    """Map a dtype name (``float32``, ``bfloat16``, ``float16`` or short forms) to a torch dtype; None stays None.

    Raises:
        ValueError: For any other name.
    """
    if name is None or isinstance(name, torch.dtype):
        return name
    match name:
        case "float32" | "fp32":
            return torch.float32
        case "bfloat16" | "bf16":
            return torch.bfloat16
        case "float16" | "fp16":
            return torch.float16
        case _:
            raise ValueError(f"Invalid FSDP dtype {name!r}; use float32, bfloat16 or float16 (or none).")


def decoder_blocks(model: nn.Module) -> list[nn.Module]:
    """The repeated transformer blocks of a Hugging Face model (the classes named in ``_no_split_modules``)."""
    names: set[str] = set()
    for module in model.modules():
        names.update(getattr(module, "_no_split_modules", None) or [])
    return [m for m in model.modules() if type(m).__name__ in names and m is not model]


def apply_fsdp(
    model: nn.Module,
    *,
    mesh: DeviceMesh,
    param_dtype: str | torch.dtype | None = None,
    reduce_dtype: str | torch.dtype | None = None,
    reshard_after_forward: bool = True,
) -> None:
    """Shard ``model`` in place with FSDP2: ``fully_shard`` on each decoder block, then on the root.

    Gradients are *summed* over ranks rather than averaged: trainers divide each rank's loss by the size (or
    token count) of the whole mini-batch, so the sum of the ranks' gradients is exactly the gradient one
    process computes on the whole mini-batch.

    Args:
        model: A Hugging Face model, or a module containing one (e.g. a critic); changed in place.
        mesh: One-dimensional device mesh over all ranks.
        param_dtype: Dtype of the all-gathered parameters used in forward and backward (mixed precision when
            it differs from the weights'); None keeps the weights' dtype.
        reduce_dtype: Dtype in which gradients are reduced; None uses ``param_dtype``.
        reshard_after_forward: Free each block's gathered parameters after its forward (less memory, one more
            all-gather in backward). The root is never resharded after forward: backward needs it at once.
    """
    policy = MixedPrecisionPolicy(param_dtype=resolve_dtype(param_dtype), reduce_dtype=resolve_dtype(reduce_dtype))
    blocks = decoder_blocks(model)
    if not blocks:
        warnings.warn(
            f"{type(model).__name__} declares no decoder blocks (_no_split_modules); FSDP shards it as one unit, "
            "so every forward gathers all of its parameters at once.",
            stacklevel=2,
        )
    for block in blocks:
        fully_shard(block, mesh=mesh, mp_policy=policy, reshard_after_forward=reshard_after_forward)
        _RESHARD_AFTER_FORWARD[block] = reshard_after_forward
    fully_shard(model, mesh=mesh, mp_policy=policy, reshard_after_forward=False)
    _RESHARD_AFTER_FORWARD[model] = False
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.set_gradient_divide_factor(1.0)
            # gloo has no PREMUL_SUM, which FSDP would otherwise use to apply the divide factor.
            module.set_force_sum_reduction_for_comms(True)


class Distributed:
    """This process's place in a data-parallel run, with the few collectives trainers need.

    Build it with :func:`init_distributed`. With ``world_size == 1`` every method works without a process group.

    Attributes:
        rank: This process's rank.
        world_size: Number of processes.
        local_rank: Rank on this machine (selects the CUDA device).
        device: Where this rank's model lives.
        mesh: The one-dimensional device mesh (None with one process).
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
        """Shard ``model`` with :func:`apply_fsdp` when several processes train; do nothing with one.

        Call it after the model is on :attr:`device` and before building its optimizer.
        """
        if not self.enabled:
            return
        config = config or FSDPConfig()
        apply_fsdp(
            model,
            mesh=self.mesh,
            param_dtype=config.param_dtype,
            reduce_dtype=config.reduce_dtype,
            reshard_after_forward=config.reshard_after_forward,
        )

    @contextlib.contextmanager
    def unsharded(self, model: nn.Module) -> Iterator[None]:
        """Hold ``model``'s full parameters on every rank for the block (for generation).

        ``generate`` runs a different number of forward passes on each rank (each stops when its own
        sequences end); gathering everything up front means those passes run no collective, so ranks never
        wait on each other, and no block is re-gathered for every new token.
        """
        modules = [m for m in model.modules() if isinstance(m, FSDPModule)] if self.enabled else []
        for module in modules:
            module.set_reshard_after_forward(False, recurse=False)
            module.unshard()
        try:
            yield
        finally:
            for module in modules:
                module.reshard()
                module.set_reshard_after_forward(_RESHARD_AFTER_FORWARD.get(module, True), recurse=False)

    def full_state_dict(self, model: nn.Module, *, every_rank: bool = False) -> dict[str, torch.Tensor]:
        """The full, unsharded weights. All ranks must call it.

        By default on CPU and on rank 0 only (other ranks get ``{}``), for saving. With ``every_rank`` each
        rank gets the full tensors on its own device, e.g. to load into its own rollout engine.
        """
        if not self.enabled:
            return {k: v.detach() if every_rank else v.detach().cpu() for k, v in model.state_dict().items()}
        options = StateDictOptions(full_state_dict=True, cpu_offload=not every_rank)
        return get_model_state_dict(model, options=options)

    def optimizer_state_dict(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        """The optimizer's full state keyed by parameter name (rank 0; ``{}`` elsewhere). All ranks must call it.

        Keys are parameter names rather than positions, so a checkpoint resumes on any number of processes.
        """
        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return get_optimizer_state_dict(model, optimizer, options=options)

    def load_optimizer_state_dict(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any]
    ) -> None:
        """Load a state saved by :meth:`optimizer_state_dict` (every rank passes the full state)."""
        set_optimizer_state_dict(model, optimizer, state, options=StateDictOptions(full_state_dict=True))

    def save_checkpoint(
        self,
        output_dir: str | os.PathLike,
        step: int,
        models: dict[str, tuple[nn.Module, Any]],
        state: dict[str, Any],
        *,
        keep_last: int | None = None,
    ) -> None:
        """:func:`~reasoning_gym.trainers.checkpoint.save_checkpoint` with full weights gathered to rank 0.

        Every rank must call it (the gathers are collectives); only rank 0 writes, and the others wait until
        the checkpoint is complete. ``state`` must already hold full optimizer states
        (:meth:`optimizer_state_dict`).
        """
        if not self.enabled:
            ckpt.save_checkpoint(output_dir, step, models, state, keep_last=keep_last)
            return
        gathered = {name: (_FullWeights(m, self.full_state_dict(m)), tok) for name, (m, tok) in models.items()}
        if self.is_main:
            ckpt.save_checkpoint(output_dir, step, gathered, state, keep_last=keep_last)
        self.barrier()

    # -- data ---------------------------------------------------------------------------------------------

    def check_divisible(self, **sizes: int) -> None:
        """Check that every batch size splits evenly over the ranks.

        Raises:
            ValueError: Naming the first size that does not, and how to fix it.
        """
        for name, size in sizes.items():
            if size % self.world_size:
                raise ValueError(
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

    def mean_metrics(self, metrics: dict[str, float]) -> dict[str, float]:
        """Average each metric over the ranks that report it (every rank gets the same result)."""
        if not self.enabled:
            return metrics
        return mean_metrics(self.gather([metrics]))

    def rollout_seed(self, seed: int, step: int) -> int:
        """A sampling seed distinct per (run seed, step, rank), so ranks draw different samples.

        Sampling with its own seed leaves the global torch generator alone, so it stays identical across
        ranks (mini-batch shuffling draws from it) and a resumed run samples exactly what it would have.
        """
        return int(np.random.SeedSequence([seed, step, self.rank]).generate_state(1)[0])

    def barrier(self) -> None:
        """Wait for every rank (no-op with one process)."""
        if self.enabled:
            tdist.barrier()

    def print(self, *args: Any, **kwargs: Any) -> None:
        """``print`` on rank 0 only."""
        if self.is_main:
            print(*args, **kwargs)


class _FullWeights:
    """A model plus its gathered full state dict; ``save_pretrained`` writes those weights."""

    def __init__(self, model: nn.Module, state_dict: dict[str, torch.Tensor]) -> None:
        self.model, self.state_dict = model, state_dict

    def save_pretrained(self, out_dir: str | os.PathLike) -> None:
        self.model.save_pretrained(out_dir, state_dict=self.state_dict)


def init_distributed(device: str = "auto") -> Distributed:
    """Join the ``torchrun`` process group, or describe a single process when not launched by it.

    Reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``. With more than one process it initializes the default
    group (NCCL for CUDA, gloo for CPU) unless the caller already did, and builds a 1-D device mesh.

    Args:
        device: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda`` or ``cuda:N``; under ``torchrun``
            ``cuda`` means ``cuda:LOCAL_RANK``.

    Returns:
        A :class:`Distributed`; use it as a context manager (or call ``close``) to tear the group down.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if world_size <= 1:
        return Distributed(device=dev)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank if dev.index is None else dev.index)
        torch.cuda.set_device(dev)
    owns = not tdist.is_initialized()
    if owns:
        tdist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    mesh = init_device_mesh(dev.type, (world_size,))
    return Distributed(rank, world_size, local_rank, dev, mesh=mesh, owns_group=owns)
