"""Per-GPU memory planner for a training run (``rgym train ... --dry-run``): will it fit, and if not, what to change.

:func:`plan_memory` reads only the models' ``config.json`` and models the memory of *this* implementation, per
GPU, phase by phase (rollout, old log-probs, reference log-probs, critic values, critic update, actor update):

* FSDP2 (``reasoning_gym.trainers.distributed``): parameters, gradients and AdamW's two moments are sharded
  over ``gpus / fsdp.replicate`` ranks in the weights' dtype, or live in CPU memory with ``--fsdp.offload``.
  During compute the root group (embedding, final norm, output layer) is gathered in the compute dtype for
  the whole pass (the trainer re-shards it after passes without backward); blocks are gathered two at a time
  (the running one and the prefetched one). Rollout gathers the whole policy. One process without mixed
  precision or offload is not wrapped at all.
* Passes over rows (``reasoning_gym.models.batching``): the worst-case micro-batch is ``max_tokens_per_micro_batch``
  tokens (or ``micro_batch_size`` rows of ``max_prompt_tokens + max_new_tokens``), capped by the rows a rank has.
* Activations, the fused log-prob buffers, HF generation and the KV cache:
  :mod:`reasoning_gym.models.memory_terms` (formulas and their calibration); phases:
  :mod:`reasoning_gym.models.memory_phases`.
* A training backward peaks either at its start (all activations, the output layer's buffers) or at its end
  (nearly all gradients); gradients of earlier micro-batches of the mini-batch are already there when a
  rank has more than one.

``perf/memory_plan_check.py`` compares the estimate with measured peaks on CPU (SmolLM2-135M, one and two
processes; docs/results/memory_plan.md). What is a guess rather than a measurement: on GPUs the caching
allocator fragments (reserved exceeds allocated by roughly 5-10%), and the CUDA context plus NCCL buffers take
about 1 GiB per process; ``fits`` therefore compares the estimate with ``(1 - MARGIN) * memory -
CUDA_RESERVE``. GPU kernels (flash or memory-efficient SDPA, fused AdamW) are assumed to keep the same saved
tensors as the CPU ones measured. Approximate: model types outside llama/mistral/qwen2/qwen3 (Llama's layout
is assumed), vLLM (only its share of the GPU, or its weights and KV cache, are counted), packed micro-batches
(counted with sdpa's block-diagonal mask, which flash-attention does without), and the optimizer step's
temporaries (none for fused AdamW on GPUs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from reasoning_gym.models.memory_phases import Setup, phase_peaks
from reasoning_gym.models.memory_terms import ModelShape, gib

__all__ = ["CUDA_RESERVE", "MARGIN", "MemoryPlan", "plan_memory"]

#: Fraction of GPU memory kept free for the caching allocator's fragmentation (a guess: 5-10% is typical).
MARGIN = 0.08
#: Bytes per process taken by the CUDA context and NCCL buffers, outside torch's allocator (a guess).
CUDA_RESERVE = 2**30


@dataclass
class MemoryPlan:
    """The estimated memory of one training run, per GPU (see the module docstring for what is modelled).

    Attributes:
        gpus: GPUs (processes) planned for.
        gpu_memory_bytes: Memory of each.
        parts: Bytes per GPU of each component (``parameters``, ``gradients``, ``optimizer``, ``activations``, ...).
        phases: Peak bytes per GPU in each phase of a step.
        per_gpu_bytes: The estimated peak, the largest phase.
        fits: Whether ``per_gpu_bytes`` fits in ``usable_bytes``.
        suggestions: Flags that make it fit, applied together in the order given (``--nproc_per_node N`` is
            torchrun's); empty when it fits. If even all of them do not suffice, they are what lowers it most.
        usable_bytes: ``gpu_memory_bytes`` less the fragmentation margin and the CUDA context.
        host_bytes: CPU memory per process for offloaded parameters, gradients and optimizer state.
        notes: What is approximate about this plan.
        summary: Header lines for :meth:`table` (models, dtypes, micro-batches).
    """

    gpus: int
    gpu_memory_bytes: int
    parts: dict[str, int]
    phases: dict[str, int]
    per_gpu_bytes: int
    fits: bool
    suggestions: list[str] = field(default_factory=list)
    usable_bytes: int = 0
    host_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-serialisable data (bytes, plus ``per_gpu_gib``)."""
        out = dataclasses.asdict(self)
        out["per_gpu_gib"] = round(gib(self.per_gpu_bytes), 3)
        return out

    def table(self) -> str:
        """A human-readable table of parts and phases in GiB, with the verdict and the suggestions."""
        lines = list(self.summary)
        lines += ["", f"{'part':<36}{'GiB/GPU':>10}"]
        lines += [f"{name:<36}{gib(value):>10.2f}" for name, value in self.parts.items()]
        lines += ["", f"{'phase':<36}{'peak GiB/GPU':>14}"]
        lines += [f"{name:<36}{gib(value):>14.2f}" for name, value in self.phases.items()]
        verdict = "fits" if self.fits else "does NOT fit"
        lines += [
            "",
            f"peak {gib(self.per_gpu_bytes):.2f} GiB per GPU; usable {gib(self.usable_bytes):.2f} of "
            f"{gib(self.gpu_memory_bytes):.2f} GiB: {verdict}",
        ]
        if self.host_bytes:
            lines.append(f"offloaded to CPU memory: {gib(self.host_bytes):.2f} GiB per process")
        if self.suggestions:
            lines.append("to make it fit: " + " ".join(self.suggestions))
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def plan_memory(
    config: Any,
    *,
    gpus: int = 1,
    gpu_memory_gib: float = 80.0,
    device: str = "cuda",
    model_configs: dict[str, object] | None = None,
) -> MemoryPlan:
    """Estimate the per-GPU memory of training with ``config`` on ``gpus`` GPUs of ``gpu_memory_gib`` GiB.

    Args:
        config: A resolved trainer config (SPPO, PPO, GRPO, RLOO or ReMax; read duck-typed).
        gpus: Processes (one per GPU), as launched by ``torchrun --nproc_per_node``.
        gpu_memory_gib: Memory per GPU.
        device: ``cuda`` or ``cpu`` (decides the compute dtype of ``--fsdp.param_dtype auto``).
        model_configs: Model path -> already loaded transformers config (skips reading ``config.json``).

    Returns:
        The plan; ``suggestions`` lists flags that make an oversized run fit.
    """
    plan = _plan(config, gpus, gpu_memory_gib, device, model_configs or {})
    if not plan.fits:
        plan.suggestions = _suggest(config, gpus, gpu_memory_gib, device, model_configs or {}, plan.per_gpu_bytes)
    return plan


def _plan(config: Any, gpus: int, memory_gib: float, device: str, configs: dict[str, object]) -> MemoryPlan:
    memory = int(memory_gib * 2**30)
    setup = Setup.build(config, gpus, device, memory, lambda path: _shape(path, configs))
    parts, phases, host = phase_peaks(setup)
    usable = int(memory * (1 - MARGIN)) - (CUDA_RESERVE if device.startswith("cuda") else 0)
    peak = max(phases.values())
    return MemoryPlan(
        gpus=gpus, gpu_memory_bytes=memory, parts=parts, phases=phases, per_gpu_bytes=peak, fits=peak <= usable,
        usable_bytes=usable, host_bytes=host, notes=setup.notes(), summary=setup.summary(),
    )  # fmt: skip


def _shape(path: str, configs: dict[str, object]) -> ModelShape:
    if path in configs:
        return ModelShape.from_config(configs[path])
    from reasoning_gym.models.loading import load_model_config

    return ModelShape.from_config(load_model_config(path))


# ---------------------------------------------------------------------------------------------------------
# Suggestions: re-plan with one change at a time, keep the changes that lower the peak, stop when it fits
# ---------------------------------------------------------------------------------------------------------


def _suggest(
    config: Any, gpus: int, memory_gib: float, device: str, configs: dict[str, object], peak: int
) -> list[str]:
    """Try the knobs in order (cheapest in speed first); keep each change that lowers the peak; stop when it fits."""
    flags: list[str] = []
    for knob in (_checkpointing, _micro_batches, _rollout_batch, _offload, _more_gpus):
        for dotted, values in knob(config, gpus):
            found = _best_value(config, gpus, memory_gib, device, configs, dotted, values)
            if found is None or found[1].per_gpu_bytes >= peak:
                continue
            (config, gpus), plan, index = found
            peak = plan.per_gpu_bytes
            flags.append(_flag(dotted, values[index]))
            if plan.fits:
                return flags
    return flags


def _best_value(
    config: Any, gpus: int, memory_gib: float, device: str, configs: dict[str, object], dotted: str, values: list
) -> tuple[tuple[Any, int], MemoryPlan, int] | None:
    """The first of ``values`` (largest first) that fits, else the one with the lowest peak."""
    best = None
    for index, value in enumerate(values):
        changed = _apply(config, gpus, dotted, value)
        plan = _plan(*changed, memory_gib, device, configs)
        if plan.fits:
            return changed, plan, index
        if best is None or plan.per_gpu_bytes < best[1].per_gpu_bytes:
            best = (changed, plan, index)
    return best


def _apply(config: Any, gpus: int, dotted: str, value: Any) -> tuple[Any, int]:
    if dotted == "nproc_per_node":
        return config, value
    return _replace(config, dotted, value), gpus


def _replace(config: Any, dotted: str, value: Any) -> Any:
    head, _, rest = dotted.partition(".")
    new = value if not rest else _replace(getattr(config, head), rest, value)
    return dataclasses.replace(config, **{head: new})


def _flag(dotted: str, value: Any) -> str:
    return f"--{dotted}" if value is True else f"--{dotted} {value}"


def _checkpointing(config: Any, gpus: int) -> list[tuple[str, list[Any]]]:
    names = ["policy"] + (["critic"] if getattr(config, "critic", None) is not None else [])
    return [(f"{n}.gradient_checkpointing", [True]) for n in names if not getattr(config, n).checkpointing]


def _micro_batches(config: Any, gpus: int) -> list[tuple[str, list[Any]]]:
    r = config.rollout
    knobs = []
    for name in ("actor_optim", "critic_optim"):
        optim = getattr(config, name, None)
        if optim is None:
            continue
        longest = r.max_prompt_tokens + r.max_new_tokens
        if optim.max_tokens_per_micro_batch is None:
            sizes = _halvings(optim.micro_batch_size, 1)
            knobs.append((f"{name}.micro_batch_size", sizes))
        else:
            knobs.append((f"{name}.max_tokens_per_micro_batch", _halvings(optim.max_tokens_per_micro_batch, longest)))
    return knobs


def _rollout_batch(config: Any, gpus: int) -> list[tuple[str, list[Any]]]:
    return [("rollout.batch_size", _halvings(config.rollout.batch_size, 1))]


def _offload(config: Any, gpus: int) -> list[tuple[str, list[Any]]]:
    return [] if config.fsdp.offload else [("fsdp.offload", [True])]


def _more_gpus(config: Any, gpus: int) -> list[tuple[str, list[Any]]]:
    sizes = [config.prompts_per_step, config.actor_optim.mini_batch_size]
    if getattr(config, "critic_optim", None) is not None:
        sizes.append(config.critic_optim.mini_batch_size)
    more = [n for n in (2, 4, 8, 16, 32, 64) if n > gpus and all(s % n == 0 for s in sizes)]
    return [("nproc_per_node", more)] if more else []


def _halvings(start: int, floor: int) -> list[int]:
    """``start / 2, start / 4, ...`` down to ``floor`` (inclusive), largest first."""
    values, value = [], start // 2
    while value > floor:
        values.append(value)
        value //= 2
    return [*values, floor] if start > floor else []
