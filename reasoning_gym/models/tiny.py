"""Built-in tiny language models for offline runs and tests (``--policy.path tiny``).

A tiny model is a randomly initialised causal LM plus a byte-level BPE tokenizer trained here, in well under
a second, on math text like the procedural envs emit. It is saved as a normal Hugging Face folder (weights,
tokenizer, ChatML chat template, generation config), so every code path that loads a real model -- training,
the HF and vLLM rollout engines, checkpoint reload -- runs unchanged on it. It learns nothing useful on its
own; it exists so that the whole pipeline can be exercised without a download.

Two traps this module avoids, both found in transformers 5 (see docs/feasibility.md section 2):

* For ``model_type == "qwen2"``, ``AutoTokenizer`` always builds ``Qwen2Tokenizer``, which replaces the
  pre-tokenizer with Qwen's digit-splitting regex. A tokenizer trained with plain ByteLevel pre-tokenization
  would then give different ids after reloading. So Qwen2-style tiny models are trained with Qwen's own
  split regex (and NFC normaliser), and Llama-style ones use plain ByteLevel (Llama keeps the saved one).
* Tied input/output embeddings break vLLM's in-place weight reload, so ``tie_word_embeddings=False``.

Built models are cached under ``$REASONING_GYM_CACHE`` (default ``~/.cache/reasoning_gym``) in a folder whose
name hashes everything that determines the weights, and are written atomically (temp folder, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from reasoning_gym.errors import unknown_name

__all__ = [
    "CHATML_TEMPLATE",
    "TINY_MODELS",
    "TinySpec",
    "build_folder_atomically",
    "build_tiny_model",
    "tiny_corpus",
    "tiny_model_path",
    "train_tiny_tokenizer",
]

#: Bump when the corpus, tokenizer recipe or model construction changes, so stale caches are not reused.
TINY_FORMAT_VERSION = 2

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
#: Qwen2's pre-tokenizer split (transformers.models.qwen2.tokenization_qwen2.PRETOKENIZE_REGEX).
QWEN_SPLIT_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class TinySpec:
    """Shape of a built-in tiny model.

    Attributes:
        arch: ``"llama"`` or ``"qwen2"`` (Hugging Face ``model_type``).
        hidden_size: Width of the residual stream.
        num_layers: Number of decoder blocks.
        num_heads: Attention heads.
        num_kv_heads: Key/value heads (grouped-query attention when smaller than ``num_heads``).
        intermediate_size: Width of the MLP.
        vocab_size: Target BPE vocabulary size, special tokens included (the trainer may stop short).
        max_positions: Maximum sequence length.
    """

    arch: Literal["llama", "qwen2"]
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int = 2048


TINY_MODELS: dict[str, TinySpec] = {
    # The default for tests and offline smoke runs: 2 Llama blocks, ~0.4 M parameters.
    "tiny": TinySpec("llama", 128, 2, 4, 2, 256, 1024),
    # A different family, size and tokenizer, to test a critic that does not share the policy's vocabulary.
    "tiny-qwen2": TinySpec("qwen2", 64, 2, 4, 2, 128, 512),
    # A slightly bigger model for longer CPU runs (~2.5 M parameters).
    "small": TinySpec("llama", 256, 4, 8, 4, 768, 2048),
}


def tiny_corpus(num_lines: int = 4000, seed: int = 0) -> list[str]:
    """Return math text in the style of the procedural envs' prompts and reference solutions."""
    rng = random.Random(seed)
    lines = []
    for _ in range(num_lines):
        a, b, c = rng.randint(0, 999), rng.randint(1, 99), rng.randint(1, 12)
        op = rng.choice(["+", "-", "*"])
        value = {"+": a + b, "-": a - b, "*": a * b}[op]
        question = rng.choice(
            [
                f"What is {a} {op} {b}?",
                f"Compute ({a} {op} {b}) + {c}. Put the final answer in \\boxed{{}}.",
                f"Using the numbers {a}, {b} and {c}, make {value + c}. Use + - * / and each number once.",
            ]
        )
        answer = f"Let's think step by step. {a} {op} {b} = {value}. The answer is \\boxed{{{value}}}."
        lines.append(f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n")
    return lines + _env_texts(200)


def _env_texts(per_env: int) -> list[str]:
    """Prompts and solutions from the procedural envs, when they are installed (best effort)."""
    try:
        import gymnasium

        import reasoning_gym.envs  # noqa: F401  (registers the envs)
    except ImportError:
        return []
    texts = []
    for env_id in ("rg/Arithmetic-v0", "rg/Countdown-v0"):
        # The built-in lines above are enough on their own; env text only makes the vocabulary more
        # realistic, so any failure of an env under development must not stop a model from being built.
        try:
            env = gymnasium.make(env_id, split="train", size=per_env)
            for i in range(per_env):
                problem = env.unwrapped.get_problem(i)
                texts.append(f"{env.unwrapped.format_prompt(problem)}\n{problem.solution}")
        except Exception:
            continue
    return texts


def train_tiny_tokenizer(corpus: list[str], spec: TinySpec | str = "tiny"):
    """Train a byte-level BPE tokenizer on ``corpus`` for a tiny model of ``spec``; returns a transformers tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    spec = _spec(spec)
    tokenizer = Tokenizer(models.BPE())
    if spec.arch == "qwen2":  # must match what Qwen2Tokenizer rebuilds on load (module docstring)
        tokenizer.normalizer = normalizers.NFC()
        split = pre_tokenizers.Split(Regex(QWEN_SPLIT_REGEX), behavior="isolated", invert=False)
        byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([split, byte_level])
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        bos_token="<|endoftext|>",
        padding_side="left",
        chat_template=CHATML_TEMPLATE,
    )


def build_tiny_model(out_dir: str | os.PathLike, spec: TinySpec | str = "tiny", *, seed: int = 0) -> Path:
    """Build a tiny model and tokenizer and save them as a Hugging Face folder at ``out_dir``.

    Args:
        out_dir: Folder to write (created; existing files are overwritten).
        spec: A :class:`TinySpec` or the name of one in :data:`TINY_MODELS`.
        seed: Seed of the random weight initialisation.

    Returns:
        The folder, loadable with ``AutoModelForCausalLM`` / ``AutoTokenizer``.
    """
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig, LlamaConfig, Qwen2Config

    spec = _spec(spec)
    tokenizer = train_tiny_tokenizer(tiny_corpus(), spec)
    config_cls = {"llama": LlamaConfig, "qwen2": Qwen2Config}[spec.arch]
    ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = config_cls(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=False,  # vLLM's in-place reload breaks on tied embeddings
        **ids,
    )
    config.reasoning_gym_tiny = True  # kept in config.json: copies of it (warm starts, checkpoints) stay "tiny"
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config = GenerationConfig(**ids)
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def tiny_model_path(name: str = "tiny", cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder of the built-in tiny model ``name``, building and caching it on first use.

    Args:
        name: A key of :data:`TINY_MODELS`.
        cache_dir: Where to cache; default ``$REASONING_GYM_CACHE/models`` or ``~/.cache/reasoning_gym/models``.

    Raises:
        reasoning_gym.errors.UnknownNameError: If ``name`` is not a built-in tiny model.
    """
    spec = _spec(name)
    root = Path(cache_dir) if cache_dir else _default_cache() / "models"
    recipe = json.dumps([TINY_FORMAT_VERSION, asdict(spec), tiny_corpus()], sort_keys=True)
    final = root / f"{name}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"
    return build_folder_atomically(final, lambda tmp: build_tiny_model(tmp, spec))


def build_folder_atomically(final: Path, build: Callable[[Path], None]) -> Path:
    """Return the model folder ``final``, first running ``build(tmp)`` and renaming ``tmp`` to it if it is missing.

    A folder counts as complete when it has ``config.json``. The rename is atomic, so readers (other processes,
    other test workers) never see a half-written folder; losing the race to another builder is not an error.
    """
    if (final / "config.json").exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        build(tmp)
        os.rename(tmp, final)
    except OSError:
        if not (final / "config.json").exists():  # not a lost race with another process: a real error
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _spec(spec: TinySpec | str) -> TinySpec:
    if isinstance(spec, TinySpec):
        return spec
    if spec not in TINY_MODELS:
        raise unknown_name("tiny model", spec, TINY_MODELS)
    return TINY_MODELS[spec]


def _default_cache() -> Path:
    return Path(os.environ.get("REASONING_GYM_CACHE") or Path.home() / ".cache" / "reasoning_gym")
