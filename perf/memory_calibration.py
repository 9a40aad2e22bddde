"""Calibration of the memory planner's formulas: single passes of random-weight models, measured on CPU.

``python perf/memory_plan_check.py --calibrate`` prints the table; the full check puts it into
docs/results/memory_plan.md. Each case builds a model from a config (``AutoModelForCausalLM.from_config``,
random weights), runs one pass the way the trainers do (a training micro-batch through the fused log-prob and
its backward, a no-grad log-prob pass with entropy, HF ``generate`` on left-padded prompts), measures the
peak of live tensor bytes above what existed before (``memory_probe.measure``) and puts the planner's own
formula next to it (``reasoning_gym.models.memory_terms`` and ``memory_phases.train_peaks``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import torch
from memory_probe import counter, measure

# ---------------------------------------------------------------------------------------------------------

#: (name, architecture, hidden, intermediate, layers, heads, kv heads, head dim, vocab): small random models;
#: the last one has SmolLM2-135M's block and vocabulary with 2 blocks.
CALIBRATION_MODELS = (
    ("llama-small", "llama", 256, 1376, 3, 8, 2, 32, 4096),
    ("qwen2-small", "qwen2", 128, 352, 2, 4, 2, 32, 8192),
    ("smollm2-shaped", "llama", 576, 1536, 2, 9, 3, 64, 49152),
)


def calibration_table() -> list[str]:
    """Markdown rows: each case's measured peak (MiB, allocator) next to the planner's formula."""
    torch.set_num_threads(1)
    counter()  # installed before the models are built
    rows = ["| case | measured (MiB) | formula (MiB) | error |", "|---|---:|---:|---:|"]
    errors = []
    for dtype in (torch.float32, torch.bfloat16):
        for spec in CALIBRATION_MODELS:
            for name, measured, predicted in _calibrate_model(spec, dtype):
                errors.append(abs(predicted - measured) / measured)
                rows.append(f"| {name} | {measured / 2**20:.2f} | {predicted / 2**20:.2f} | "
                            f"{100 * (predicted - measured) / measured:+.1f}% |")  # fmt: skip
    rows.append(f"\nlargest calibration error: {100 * max(errors):.1f}% over {len(errors)} cases")
    return rows


def _random_model(spec: tuple, dtype: torch.dtype, checkpointing: bool) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    from reasoning_gym.models.loading import prepare_for_training
    from reasoning_gym.models.memory_terms import ModelShape

    _, arch, hidden, inter, layers, heads, kv, head_dim, vocab = spec
    config = {"llama": LlamaConfig, "qwen2": Qwen2Config}[arch](
        vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv, head_dim=head_dim, tie_word_embeddings=False,
    )  # fmt: skip
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    prepare_for_training(model, checkpointing)
    return model, ModelShape.from_config(config)


def _calibrate_model(spec: tuple, dtype: torch.dtype) -> Iterator[tuple[str, int, int]]:
    from reasoning_gym.models import memory_terms as terms

    weights = str(dtype).removeprefix("torch.")
    for ckpt in (False, True):
        model, shape = _random_model(spec, dtype, ckpt)
        for rows, prompt, new in ((4, 32, 224), (1, 16, 1000)):
            micro, mb = _micro_batch(rows, prompt, new)
            measured = measure(functools.partial(_train_pass, model, micro))
            model.zero_grad(set_to_none=True)
            predicted = _train_formula(shape, weights, mb, ckpt)
            yield (
                f"{spec[0]} {weights} train, checkpointing {'on' if ckpt else 'off'}, {_describe(mb)}",
                measured,
                predicted,
            )
    model.eval()
    c = 4 if dtype == torch.float32 else 2
    micro, mb = _micro_batch(4, 32, 224)
    with torch.no_grad():
        measured = measure(functools.partial(_logprobs, model, micro, entropy=True))
    yield (
        f"{spec[0]} {weights} forward with entropy, {_describe(mb)}",
        measured,
        terms.forward_peak(shape, c, mb, head="logprobs"),
    )
    for batch, prompt, new in ((8, 40, 64), (4, 200, 16)):
        measured = measure(functools.partial(_generate, model, batch, prompt, new))
        predicted = max(terms.generation_peaks(shape, c, batch, prompt, new, top_p=False).values())
        yield f"{spec[0]} {weights} generate {batch} x ({prompt} + {new}), padded", measured, predicted


def _micro_batch(rows: int, prompt: int, new: int) -> tuple[Any, Any]:
    """Rows of slightly different lengths (a padding mask, as in real batches) unless there is only one."""
    from reasoning_gym.models.batching import TokenBatch
    from reasoning_gym.models.memory_terms import MicroBatchShape

    lengths = [prompt] + [prompt - 1] * (rows - 1)
    batch = TokenBatch([[5] * n for n in lengths], [[7] * new] * rows, 0)
    return batch.micro(torch.arange(rows)), MicroBatchShape(rows * (prompt + new), rows, rows * new, rows > 1)


def _describe(mb: Any) -> str:
    return f"{mb.rows} row(s), {mb.tokens} tokens"


def _train_pass(model: Any, micro: Any) -> None:
    _logprobs(model, micro, entropy=False).sum().backward()


def _logprobs(model: Any, micro: Any, *, entropy: bool) -> Any:
    from reasoning_gym.models.logprobs import response_logprobs

    return response_logprobs(model, micro, with_entropy=entropy)


def _generate(model: Any, batch: int, prompt: int, new: int) -> None:
    ids = torch.randint(10, 100, (batch, prompt))
    mask = torch.ones_like(ids)
    mask[1:, :5] = 0  # left padding
    with torch.no_grad():
        model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=new, do_sample=True, temperature=0.6, top_k=0,
            pad_token_id=0, eos_token_id=[],  # no EOS: every row runs to max_new_tokens
        )  # fmt: skip


def _train_formula(shape: Any, weights: str, mb: Any, ckpt: bool) -> int:
    """The planner's training-pass peak for one micro-batch of an unwrapped model (no optimizer step here)."""
    from types import SimpleNamespace

    from reasoning_gym.models.memory_phases import Setup, train_peaks

    fsdp = SimpleNamespace(offload=False, reduce_dtype="float32", reshard_after_forward=True)
    setup = Setup(
        config=SimpleNamespace(fsdp=fsdp), gpus=1, device="cpu", gpu_memory=0, policy=shape, critic=None,
        token_critic=False, reference=False, weights=weights, compute=weights, wrapped=False, shard=1, rows=mb.rows,
    )  # fmt: skip
    moments, _, _ = train_peaks(setup, shape, weights, (mb, 1), ckpt=ckpt, critic=False)
    return max(v for k, v in moments.items() if k != "optimizer step")
