"""Optimisation helpers every trainer shares: AdamW, learning-rate schedules, clipped steps, mini-batches."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor, nn

from reasoning_gym.trainers.config import OptimConfig

__all__ = [
    "make_optimizer",
    "minibatches",
    "optimizer_step",
    "resolve_device",
    "scheduled_lr",
    "seed_everything",
    "set_lr",
]


def minibatches(num_rows: int, size: int, *, epochs: int = 1) -> Iterator[Tensor]:
    """Row indices of shuffled mini-batches of ``size`` rows, ``epochs`` passes (the last one may be short).

    Every pass draws a new order. verl's dp_actor instead splits the (once shuffled) batch in order, the same
    mini-batches in every epoch; with one epoch, the SPPO paper's setting, the two are alike in distribution.
    Shuffling draws from torch's global generator, which checkpoints save and restore.
    """
    for _ in range(epochs):
        order = torch.randperm(num_rows)
        yield from order.split(size)


def resolve_device(name: str) -> torch.device:
    """``"auto"`` means CUDA when available, else CPU; anything else is passed to ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(model: nn.Module, config: OptimConfig) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters, with the config's learning rate, betas and weight decay.

    On CUDA the fused implementation runs (one kernel for all parameters); it needs every parameter on the
    GPU, so a CPU-offloaded model gets the default one.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    fused = bool(params) and all(p.device.type == "cuda" for p in params)
    return torch.optim.AdamW(
        params, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay, fused=fused or None
    )


def scheduled_lr(config: OptimConfig, step: int, total_steps: int) -> float:
    """Learning rate of training step ``step`` (1-based) of ``total_steps`` under ``config``'s schedule.

    Linear warm-up over the first ``warmup_steps`` steps, then constant, or a linear or cosine decay that
    reaches ``min_lr_ratio * lr`` at the last step. A pure function of the step, so a resumed run needs no
    scheduler state to continue on the same curve.
    """
    if step <= config.warmup_steps:
        return config.lr * step / (config.warmup_steps + 1)
    if config.schedule == "constant":
        return config.lr
    span = max(total_steps - config.warmup_steps, 1)
    progress = min((step - config.warmup_steps) / span, 1.0)
    shape = 1.0 - progress if config.schedule == "linear" else 0.5 * (1.0 + math.cos(math.pi * progress))
    return config.lr * (config.min_lr_ratio + (1.0 - config.min_lr_ratio) * shape)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate of every parameter group of ``optimizer``."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def optimizer_step(model: nn.Module, optimizer: torch.optim.Optimizer, max_norm: float) -> tuple[float, bool]:
    """Clip gradients and step; a non-finite gradient norm skips the step instead of poisoning the weights.

    Returns:
        ``(grad_norm, stepped)``.
    """
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    if hasattr(norm, "full_tensor"):  # a DTensor when the model is sharded with FSDP
        norm = norm.full_tensor()
    norm = norm.item()
    stepped = math.isfinite(norm)
    if stepped:
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return norm, stepped
