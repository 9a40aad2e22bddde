"""The description of a model to load: :class:`ModelConfig` (no torch import, so configs parse cheaply)."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path
from typing import Literal

from reasoning_gym.errors import ConfigError

__all__ = ["TINY_MODEL_NAMES", "ModelConfig", "is_tiny"]

#: The built-in tiny models (reasoning_gym.models.tiny.TINY_MODELS), named here without importing that module.
TINY_MODEL_NAMES = ("tiny", "tiny-qwen2", "small")


def is_tiny(path: str) -> bool:
    """Whether ``path`` is a built-in tiny model: its name, or a folder built from one (a copy, a warm start).

    The CPU-demo preset and the defaults for tiny models apply to those only. Folders are recognised by the
    ``reasoning_gym_tiny`` mark the builder writes into ``config.json``; nothing but that file is read.
    """
    if path in TINY_MODEL_NAMES:
        return True
    return _marked_tiny(os.path.abspath(os.path.expanduser(path)))


@functools.lru_cache(maxsize=256)
def _marked_tiny(folder: str) -> bool:
    config = Path(folder) / "config.json"
    try:
        return bool(json.loads(config.read_text()).get("reasoning_gym_tiny", False))
    except (OSError, ValueError, AttributeError):  # not a local folder, or not a model's config
        return False


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Which model to load and how."""

    path: str = "tiny"
    """Hugging Face folder or hub id, a built-in tiny model (tiny, tiny-qwen2, small), or smollm2-135m."""
    dtype: Literal["float32", "bfloat16"] = "float32"
    """Dtype of the stored weights and optimizer state. Keep float32 and let --fsdp.param_dtype bfloat16 compute
    in bf16 (the default on GPUs): AdamW on bfloat16 weights cannot apply updates as small as lr 1e-6."""
    gradient_checkpointing: bool | None = None
    """Recompute activations in the backward pass to save memory (none: on for every model but the built-in
    tiny ones)."""
    attn_implementation: str | None = None
    """Attention kernel: sdpa, eager, flash_attention_2, ... (none: flash_attention_2 when packing sequences and
    flash-attn is installed, else the transformers default)."""
    trust_remote_code: bool = False
    """Allow model code from the hub folder to run (only for models you trust)."""

    def __post_init__(self) -> None:
        if not self.path:
            raise ConfigError("model path is empty; give a folder, a hub id or 'tiny'.")

    @property
    def checkpointing(self) -> bool:
        """Whether gradient checkpointing is on (``gradient_checkpointing``, or the default for this model)."""
        return (not is_tiny(self.path)) if self.gradient_checkpointing is None else self.gradient_checkpointing

    def saved_at(self, path: str) -> ModelConfig:
        """These settings for a copy of the model saved at ``path`` (a warm start or a checkpoint).

        Gradient checkpointing is pinned to what it is for the original, so a tiny model's copy stays a tiny
        model's setup.
        """
        return dataclasses.replace(self, path=str(path), gradient_checkpointing=self.checkpointing)
