"""FSDP2 sharding and precision: which dtype to compute in, whether to wrap, and wrapping a model.

Weights and optimizer state stay in their stored dtype (float32); FSDP's ``MixedPrecisionPolicy`` gathers
them in the compute dtype (bfloat16 on GPUs by default) for forward and backward and reduces gradients in
``reduce_dtype`` (float32). :func:`apply_fsdp` shards each decoder block and then the root, optionally with
parameters, gradients and optimizer state offloaded to CPU memory, over a 1-D mesh or a 2-D ``(replicate,
shard)`` mesh (HSDP). Only public torch APIs are used (``fully_shard``, ``FSDPModule``, ``DeviceMesh``).
"""

from __future__ import annotations

import warnings
import weakref

import torch
from torch import nn
from torch.distributed.device_mesh import DeviceMesh
from torch.distributed.fsdp import CPUOffloadPolicy, FSDPModule, MixedPrecisionPolicy, OffloadPolicy, fully_shard

from reasoning_gym.trainers.config import FSDPConfig

__all__ = ["RESHARD_AFTER_FORWARD", "apply_fsdp", "compute_dtype", "decoder_blocks", "needs_wrapping", "resolve_dtype"]

#: ``reshard_after_forward`` each module was sharded with (restored after gathering it for generation).
RESHARD_AFTER_FORWARD: weakref.WeakKeyDictionary[nn.Module, bool] = weakref.WeakKeyDictionary()


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


def compute_dtype(config: FSDPConfig, device: torch.device | str) -> torch.dtype | None:
    """The dtype forward and backward run in: ``param_dtype``, with ``auto`` meaning bfloat16 on CUDA only."""
    if config.param_dtype == "auto":
        return torch.bfloat16 if torch.device(device).type == "cuda" else None
    return resolve_dtype(config.param_dtype)


def needs_wrapping(config: FSDPConfig, device: torch.device | str, weights_dtype: torch.dtype) -> bool:
    """Whether one process must be wrapped with FSDP too: compute in another dtype than the weights, or offload."""
    dtype = compute_dtype(config, device)
    return config.offload or (dtype is not None and dtype != weights_dtype)


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
    offload: bool = False,
) -> None:
    """Shard ``model`` in place with FSDP2: ``fully_shard`` on each decoder block, then on the root.

    Gradients are *summed* over ranks rather than averaged: trainers divide each rank's loss by the size (or
    token count) of the whole mini-batch, so the sum of the ranks' gradients is exactly the gradient one
    process computes on the whole mini-batch.

    Args:
        model: A Hugging Face model, or a module containing one (e.g. a critic); changed in place. It may be a
            meta-device skeleton (then allocate it with ``to_empty`` and load weights afterwards).
        mesh: Device mesh: 1-D (shard over all ranks) or 2-D ``(replicate, shard)`` for HSDP.
        param_dtype: Dtype of the all-gathered parameters used in forward and backward (mixed precision when
            it differs from the weights'); None keeps the weights' dtype.
        reduce_dtype: Dtype in which gradients are reduced; None uses ``param_dtype``.
        reshard_after_forward: Free each block's gathered parameters after its forward (less memory, one more
            all-gather in backward). The root is never resharded after forward: backward needs it at once.
        offload: Keep the sharded parameters, gradients and optimizer state in CPU memory.
    """
    policy = MixedPrecisionPolicy(param_dtype=resolve_dtype(param_dtype), reduce_dtype=resolve_dtype(reduce_dtype))
    placement: OffloadPolicy = CPUOffloadPolicy(pin_memory=mesh.device_type == "cuda") if offload else OffloadPolicy()
    blocks = decoder_blocks(model)
    if not blocks:
        warnings.warn(
            f"{type(model).__name__} declares no decoder blocks (_no_split_modules); FSDP shards it as one unit, "
            "so every forward gathers all of its parameters at once.",
            stacklevel=2,
        )
    for block in blocks:
        fully_shard(
            block, mesh=mesh, mp_policy=policy, offload_policy=placement, reshard_after_forward=reshard_after_forward
        )
        RESHARD_AFTER_FORWARD[block] = reshard_after_forward
    fully_shard(model, mesh=mesh, mp_policy=policy, offload_policy=placement, reshard_after_forward=False)
    RESHARD_AFTER_FORWARD[model] = False
    for module in model.modules():
        if isinstance(module, FSDPModule):
            module.set_gradient_divide_factor(1.0)
            # gloo has no PREMUL_SUM, which FSDP would otherwise use to apply the divide factor.
            module.set_force_sum_reduction_for_comms(True)
