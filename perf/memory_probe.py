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
0, which leaves the weights unchanged), so one step shows the steady state of step 2 onwards. Weights that
transformers maps zero-copy from the safetensors file are copied into allocator memory at load (a GPU run
holds them in device memory too), and checkpoints are not written.
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
        """A new problem."""
        super().reset(seed=seed)
        a, b = (int(x) for x in self.np_random.integers(10, 50, size=2))
        self._digit = str((a + b) % 10)
        return f"What is {a} + {b}?", {}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        """Score ``action``: 1 when the sum's last digit appears in it."""
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
#include <mutex>
#include <unordered_map>
#include <utility>

namespace {
std::atomic<int64_t> live{0};
std::atomic<int64_t> high{0};
std::mutex mutex;
// Every live block: the default allocator's DataPtr (which frees it) and its size, by data pointer. The
// pointer is also the context, as raw_allocate() requires.
std::unordered_map<void*, std::pair<c10::DataPtr, int64_t>> blocks;

void release(void* data) {
  c10::DataPtr inner;
  int64_t bytes = 0;
  {
    std::lock_guard<std::mutex> guard(mutex);
    auto it = blocks.find(data);
    if (it == blocks.end()) return;
    inner = std::move(it->second.first);
    bytes = it->second.second;
    blocks.erase(it);
  }
  live.fetch_sub(bytes);
}  // `inner` goes out of scope here and frees the block

struct CountingAllocator final : c10::Allocator {
  explicit CountingAllocator(c10::Allocator* base) : base(base) {}
  c10::DataPtr allocate(size_t n) override {
    c10::DataPtr inner = base->allocate(n);
    void* data = inner.get();
    if (n == 0 || data == nullptr) return inner;
    c10::Device device = inner.device();
    {
      std::lock_guard<std::mutex> guard(mutex);
      blocks.emplace(data, std::make_pair(std::move(inner), static_cast<int64_t>(n)));
    }
    int64_t now = live.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
    int64_t seen = high.load();
    while (now > seen && !high.compare_exchange_weak(seen, now)) {
    }
    return {data, data, &release, device};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
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
        (loop, "load_causal_lm"): loop.load_causal_lm,
        (loop, "load_critic_model"): loop.load_critic_model,
        (steps, "timed"): steps.timed,
        (sppo, "timed"): sppo.timed,
    }
    hf.HFEngine = _fixed_length(hf.HFEngine)
    loop.make_optimizer = _primed(loop.make_optimizer)
    loop.save = lambda run, step: None
    loop.load_causal_lm, loop.load_critic_model = _owned(loop.load_causal_lm), _owned(loop.load_critic_model)
    steps.timed = sppo.timed = _phase_timed(steps.timed, peaks)
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def _owned(load: Callable) -> Callable:
    """``load``, with weights copied into allocator memory when transformers maps them from the file.

    A float32 safetensors file is loaded zero-copy on CPU; a GPU run holds the weights in device memory, so
    they are counted here as allocated tensors too.
    """

    def loaded(*args: Any, **kwargs: Any) -> torch.nn.Module:
        model = load(*args, **kwargs)
        with torch.no_grad():
            for tensor in [*model.parameters(), *model.buffers()]:
                if tensor.device.type == "cpu" and not tensor.untyped_storage().resizable():
                    tensor.data = tensor.data.clone()
        return model

    return loaded


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
