"""Measured peaks of torch's CPU allocator, for ``perf/memory_plan_check.py``: one SPPO step, and calibration cases.

What is measured, and why: the planner (``reasoning_gym.models.memory``) estimates *tensor* memory, so this
measures tensor memory too. A small C++ extension (built once with ``torch.utils.cpp_extension.load_inline``,
about 20 s; it needs g++ and ninja) installs a CPU allocator that forwards to torch's default one and counts
the bytes of every block it hands out until that block is freed: the live tensor bytes of the process, on
every thread (gloo's too), with their peak, which can be reset around each phase. It is installed before any
model is loaded, so a step's peak is absolute: parameters, optimizer state, gradients, activations, buffers.
Peak RSS was not used: it also holds the Python heap, the imported libraries, the tokenizers, glibc's cached
free blocks and the model file's page cache, none of which the planner models, and subtracting a baseline
taken before loading would not remove what grows afterwards. (``torch.profiler``'s memory events measure
the same quantity, but keep about 1.5 KB per recorded op: several GB for a 512-token rollout.)

Two script-local patches make the measured run deterministic without editing the package: the HF engine
generates exactly ``max_new_tokens`` tokens (``min_new_tokens``: a pretrained model would stop early), and
each optimizer's AdamW moments are created before the step (an update with zero gradients and learning rate
0, which leaves the weights unchanged), so one step shows the steady state of step 2 onwards. Checkpoints
are not written.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from gymnasium import spaces

ENV_ID = "memcheck/LastDigit-v0"
#: The trainer's timing keys -> planner phase names.
PHASES = {
    "time/generate": "rollout",
    "time/old_logprobs": "old_logprobs",
    "time/ref_logprobs": "ref_logprobs",
    "time/values": "values",
    "time/critic_update": "critic_update",
    "time/actor_update": "actor_update",
}


class LastDigitEnv(gym.Env):
    """'What is a + b?' with two-digit a and b (so every prompt has the same token count); reward: last digit."""

    def __init__(self) -> None:
        self.observation_space = spaces.Text(max_length=100, min_length=0, charset=string.printable)
        self.action_space = spaces.Text(max_length=100_000, min_length=0, charset=string.printable)
        self._digit = "0"

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        a, b = (int(x) for x in self.np_random.integers(10, 50, size=2))
        self._digit = str((a + b) % 10)
        return f"What is {a} + {b}?", {}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        return "", float(self._digit in action), True, False, {}


def register_env() -> None:
    """Register :class:`LastDigitEnv` as :data:`ENV_ID` (idempotent)."""
    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point=LastDigitEnv)


def prompt_tokens(policy: str) -> int:
    """The longest prompt of :class:`LastDigitEnv` in ``policy``'s chat template, in tokens (all are equal)."""
    from reasoning_gym.models.loading import load_tokenizer
    from reasoning_gym.rollout import encode_prompt

    tokenizer, env = load_tokenizer(policy), LastDigitEnv()
    lengths = {len(encode_prompt(tokenizer, [{"role": "user", "content": env.reset(seed=i)[0]}])) for i in range(64)}
    return max(lengths)


# ---------------------------------------------------------------------------------------------------------
# Counting torch's CPU allocator
# ---------------------------------------------------------------------------------------------------------


_COUNTER_SOURCE = r"""
#include <torch/extension.h>
#include <c10/core/CPUAllocator.h>
#include <atomic>

namespace {
std::atomic<int64_t> live{0};
std::atomic<int64_t> high{0};

struct Block {  // the default allocator's block, and its size
  c10::DataPtr inner;
  int64_t bytes;
};

void release(void* context) {
  auto* block = static_cast<Block*>(context);
  live.fetch_sub(block->bytes);
  delete block;  // frees the inner block through the default allocator's deleter
}

struct CountingAllocator final : c10::Allocator {
  explicit CountingAllocator(c10::Allocator* base) : base(base) {}
  c10::DataPtr allocate(size_t n) override {
    c10::DataPtr inner = base->allocate(n);
    void* data = inner.get();
    c10::Device device = inner.device();
    auto* block = new Block{std::move(inner), static_cast<int64_t>(n)};
    int64_t now = live.fetch_add(block->bytes) + block->bytes;
    int64_t seen = high.load();
    while (now > seen && !high.compare_exchange_weak(seen, now)) {
    }
    return {data, block, &release, device};
  }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
  c10::Allocator* base;
};
}  // namespace

void install() {
  static CountingAllocator allocator(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(&allocator, /*priority=*/100);
}
int64_t current_bytes() { return live.load(); }
int64_t peak_bytes() { return high.load(); }
void set_peak(int64_t bytes) { high.store(bytes); }
"""


@functools.cache
def counter() -> Any:
    """The counting CPU allocator (built on first use, then installed for the rest of the process)."""
    from torch.utils.cpp_extension import load_inline

    try:
        module = load_inline(
            "rgym_cpu_allocator_counter", cpp_sources=_COUNTER_SOURCE,
            functions=["install", "current_bytes", "peak_bytes", "set_peak"],
        )  # fmt: skip
    except Exception as err:  # no compiler, no ninja, ...
        raise SystemExit(f"building the allocator counter failed ({err}); it needs g++ and ninja.") from err
    module.install()
    return module


@contextlib.contextmanager
def window(peaks: dict[str, int], name: str) -> Iterator[None]:
    """Record into ``peaks[name]`` the highest live tensor bytes while the block runs (windows may nest)."""
    count = counter()
    outer = count.peak_bytes()
    count.set_peak(count.current_bytes())
    try:
        yield
    finally:
        inner = count.peak_bytes()
        peaks[name] = max(peaks.get(name, 0), inner)
        count.set_peak(max(outer, inner))


def measure(fn: Callable[[], Any]) -> int:
    """Peak tensor bytes that ``fn()`` allocates on top of what is alive when it starts."""
    peaks: dict[str, int] = {}
    base = counter().current_bytes()
    with window(peaks, "fn"):
        fn()
    return peaks["fn"] - base


# ---------------------------------------------------------------------------------------------------------
# One SPPO step, measured (in a fresh process, or one per rank under torchrun)
# ---------------------------------------------------------------------------------------------------------


def run_step(config: Any, result_dir: str) -> None:
    """Run one SPPO step of ``config``; write this rank's peak live tensor bytes (per phase) to ``rankR.json``."""
    counter()  # before any model exists, so that every tensor is counted
    from reasoning_gym.trainers import loop, sppo

    register_env()
    peaks: dict[str, int] = {}
    with _patched(peaks):
        loop.run_training(config, _recorded(sppo._train_step, peaks), critic=True)
    rank = int(os.environ.get("RANK", "0"))
    Path(result_dir, f"rank{rank}.json").write_text(json.dumps({"rank": rank, "peaks": peaks}))


def _recorded(step: Callable[[Any, int], dict], peaks: dict[str, int]) -> Callable[[Any, int], dict]:
    def wrapped(run: Any, number: int) -> dict:
        with window(peaks, "step"):
            return step(run, number)

    return wrapped


@contextlib.contextmanager
def _patched(peaks: dict[str, int]) -> Iterator[None]:
    """Fixed-length generation, primed optimizers, phase ranges around the trainer's timers, no checkpoints."""
    from reasoning_gym.rollout import hf
    from reasoning_gym.trainers import loop, sppo, steps

    saved = {
        (hf, "HFEngine"): hf.HFEngine,
        (loop, "make_optimizer"): loop.make_optimizer,
        (loop, "save"): loop.save,
        (steps, "timed"): steps.timed,
        (sppo, "timed"): sppo.timed,
    }
    hf.HFEngine = _fixed_length(hf.HFEngine)
    loop.make_optimizer = _primed(loop.make_optimizer)
    loop.save = lambda run, step: None
    steps.timed = sppo.timed = _phase_timed(steps.timed, peaks)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def _fixed_length(engine: type) -> type:
    class FixedLengthEngine(engine):
        """Generates exactly ``max_new_tokens`` tokens (EOS is suppressed until then)."""

        def _generate_chunk(self, jobs: list, params: Any) -> list:
            generate = self.model.generate
            self.model.generate = functools.partial(generate, min_new_tokens=params.max_new_tokens)
            try:
                return super()._generate_chunk(jobs, params)
            finally:
                del self.model.generate

    return FixedLengthEngine


def _primed(make_optimizer: Callable) -> Callable:
    def make(model: torch.nn.Module, config: Any) -> torch.optim.Optimizer:
        optimizer = make_optimizer(model, config)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        for p in params:
            p.grad = torch.zeros_like(p)
        rates = [group["lr"] for group in optimizer.param_groups]
        for group in optimizer.param_groups:
            group["lr"] = 0.0  # AdamW with lr 0 changes no weight, but allocates both moments
        optimizer.step()
        for group, lr in zip(optimizer.param_groups, rates):
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        return optimizer

    return make


def _phase_timed(timed: Callable, peaks: dict[str, int]) -> Callable:
    @contextlib.contextmanager
    def phase_timed(times: dict[str, float], key: str) -> Iterator[None]:
        with window(peaks, PHASES.get(key, key)), timed(times, key):
            yield

    return phase_timed


# ---------------------------------------------------------------------------------------------------------
# Calibration: the planner's formulas against single passes of random-weight models built from configs
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
            measured = measure(lambda: _train_pass(model, micro))
            model.zero_grad(set_to_none=True)
            predicted = _train_formula(shape, weights, mb, ckpt)
            yield f"{spec[0]} {weights} train, checkpointing {'on' if ckpt else 'off'}, {_describe(mb)}", measured, predicted
    model.eval()
    c = 4 if dtype == torch.float32 else 2
    micro, mb = _micro_batch(4, 32, 224)
    with torch.no_grad():
        measured = measure(lambda: _logprobs(model, micro, entropy=True))
    yield f"{spec[0]} {weights} forward with entropy, {_describe(mb)}", measured, terms.forward_peak(shape, c, mb, head="logprobs")
    for batch, prompt, new in ((8, 40, 64), (4, 200, 16)):
        measured = measure(lambda: _generate(model, batch, prompt, new))
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
            input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=True,
            temperature=0.6, top_k=0, pad_token_id=0, eos_token_id=1,
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
    peaks = train_peaks(setup, shape, weights, (mb, 1), ckpt=ckpt, critic=False)
    return max(v for k, v in peaks.items() if not k.startswith("_") and k != "optimizer step")
