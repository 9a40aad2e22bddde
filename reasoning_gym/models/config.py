"""The description of a model to load: :class:`ModelConfig` (no torch import, so configs parse cheaply)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from reasoning_gym.errors import ConfigError

__all__ = ["TINY_MODEL_NAMES", "ModelConfig", "is_tiny"]

#: The built-in tiny models (reasoning_gym.models.tiny.TINY_MODELS), named here without importing that module.
TINY_MODEL_NAMES = ("tiny", "tiny-qwen2", "small")


def is_tiny(path: str) -> bool:
    """Whether ``path`` names a built-in tiny model (the CPU-demo preset is made for those only)."""
    return path in TINY_MODEL_NAMES


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
