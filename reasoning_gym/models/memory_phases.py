"""The phases of one training step, per GPU, for the memory planner (:mod:`reasoning_gym.models.memory`).

:class:`Setup` reads a trainer config once (duck-typed: SPPO, PPO, GRPO, RLOO and ReMax configs all work) into
what the memory depends on; :func:`phase_peaks` adds up the parts of :mod:`reasoning_gym.models.memory_terms`
phase by phase. The dtype and wrapping rules mirror ``reasoning_gym.trainers.distributed.compute_dtype`` and
``needs_wrapping`` (re-stated here because models sit below trainers; a test checks that they agree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reasoning_gym.models import memory_terms as terms
from reasoning_gym.models.memory_terms import MicroBatchShape, ModelShape

__all__ = ["Setup", "compute_dtype_name", "dtype_bytes", "micro_shape", "phase_peaks", "train_peaks"]

_BYTES = {"float32": 4, "fp32": 4, "bfloat16": 2, "bf16": 2, "float16": 2, "fp16": 2}
_CANONICAL = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def dtype_bytes(name: str) -> int:
    """Bytes per element of a dtype name (``float32``, ``bfloat16``, ...)."""
    return _BYTES[str(name).removeprefix("torch.")]


def compute_dtype_name(fsdp: Any, device: str, weights: str) -> str:
    """The dtype forward and backward run in: ``fsdp.param_dtype``, ``auto`` being bfloat16 on CUDA only."""
    name = fsdp.param_dtype
    if name == "auto":
        name = "bfloat16" if device.startswith("cuda") else None
    return _CANONICAL.get(name, name) if name else weights


def micro_shape(optim: Any, rows: int, length: int, responses: int) -> tuple[MicroBatchShape, int]:
    """The worst-case micro-batch of a rank's ``rows`` rows of up to ``length`` tokens under ``optim``.

    Without a token budget it is ``micro_batch_size`` full-length rows; with one it is the budget (rows may be
    shorter than ``length``), or one row when a row is longer than the budget. Padded rows of different lengths
    get a padding mask; a packed micro-batch is one row with sdpa's block-diagonal mask (flash-attention, which
    packing picks on GPUs where it is installed, needs none: an over-estimate there).

    Returns:
        ``(shape, micro_batches)``: the shape, and how many micro-batches the rank's rows take at most.
    """
    budget = optim.max_tokens_per_micro_batch
    cap = optim.micro_batch_size if budget is None else max(1, budget // length)
    per = max(1, min(rows, cap))
    tokens = per * length if budget is None or budget < length else min(budget, rows * length)
    count = terms.ceil_div(rows, per)
    per = max(1, terms.ceil_div(tokens, length))
    responses = tokens * responses // length
    if optim.packing:  # one row: sdpa gets a [1, 1, T, T] block-diagonal mask
        return MicroBatchShape(tokens, 1, responses, True), count
    return MicroBatchShape(tokens, per, responses, per > 1), count


@dataclass
class Setup:
    """What one training run's memory depends on (built by :meth:`build` from a trainer config)."""

    config: Any
    gpus: int
    device: str
    gpu_memory: int
    policy: ModelShape
    critic: ModelShape | None
    token_critic: bool
    reference: bool
    weights: str
    compute: str
    wrapped: bool
    shard: int
    rows: int

    @classmethod
    def build(cls, config: Any, gpus: int, device: str, memory: int, shape_of: Callable[[str], ModelShape]) -> Setup:
        """Read ``config`` (model shapes through ``shape_of(path)``) for ``gpus`` processes on ``device``."""
        critic_config = getattr(config, "critic", None)
        kl = getattr(config, "kl", None)
        weights = config.policy.dtype
        compute = compute_dtype_name(config.fsdp, device, weights)
        wrapped = gpus > 1 or bool(config.fsdp.offload) or compute != weights
        return cls(
            config=config, gpus=gpus, device=device, gpu_memory=memory, policy=shape_of(config.policy.path),
            critic=shape_of(critic_config.path) if critic_config is not None else None,
            # PPO's critic reads prompt and response (it has a critic_loss); SPPO's reads the prompt only.
            token_critic=getattr(config, "critic_loss", None) is not None,
            reference=kl is not None and kl.coef > 0, weights=weights, compute=compute, wrapped=wrapped,
            shard=max(1, gpus // max(1, config.fsdp.replicate)) if wrapped else 1,
            rows=config.prompts_per_step * getattr(config, "num_generations", 1),
        )  # fmt: skip

    def c(self, weights: str) -> int:
        """Compute bytes of a model stored in ``weights``: the mixed-precision dtype when wrapped."""
        return dtype_bytes(self.compute if self.wrapped else weights)

    def per_rank(self, rows: int) -> int:
        """A rank's share of ``rows`` rows."""
        return max(1, rows // self.gpus)

    def notes(self) -> list[str]:
        """What is approximate about this plan."""
        notes = []
        for role, shape in (("policy", self.policy), ("critic", self.critic)):
            if shape is not None and shape.approximate:
                notes.append(f"{role} model type {shape.model_type!r} is counted with the Llama layout (approximate).")
        if self.config.rollout.engine == "vllm":
            when = "while it generates and syncs (it sleeps while the policy trains)" if _sleeps(self) else (
                "in every phase (no sleep mode)")  # fmt: skip
            notes.append(f"vLLM is counted as its gpu_memory_utilization share of the GPU {when}.")
        return notes

    def summary(self) -> list[str]:
        """Header lines of the plan's table."""
        c = self.config
        name = type(c).__name__.removesuffix("Config")
        lines = [
            f"Memory plan: {name}, {self.gpus} GPU(s) on {self.device}, {self.compute} compute, {self.weights} "
            f"weights, FSDP {'sharded over ' + str(self.shard) if self.wrapped else 'off'}"
            f"{', CPU offload' if c.fsdp.offload else ''}",
            f"  policy {c.policy.path}: {self.policy.params() / 1e9:.3f} B parameters ({self.policy.model_type}), "
            f"checkpointing {'on' if c.policy.checkpointing else 'off'}",
        ]
        if self.critic is not None:
            kind = "prompt+response" if self.token_critic else "prompt-only"
            lines.append(
                f"  critic {c.critic.path} ({kind}): {self.critic.params(critic=True) / 1e9:.3f} B parameters, "
                f"checkpointing {'on' if c.critic.checkpointing else 'off'}"
            )
        if self.reference:
            lines.append("  reference policy loaded (kl.coef > 0)")
        r = c.rollout
        lines.append(
            f"  {self.rows} rows per step, prompts <= {r.max_prompt_tokens} + responses <= {r.max_new_tokens} "
            f"tokens, rollout engine {r.engine} (batch {r.batch_size})"
        )
        return lines


def _states(s: Setup, shape: ModelShape, weights: str, *, critic: bool) -> dict[str, int]:
    """Sharded parameters, gradients and AdamW moments (stored in the weights' dtype) of one model."""
    params = shape.params(critic=critic) * dtype_bytes(weights) // s.shard
    return {"parameters": params, "gradients": params, "optimizer": 2 * params}


def _gathered(s: Setup, shape: ModelShape, c: int, *, critic: bool) -> dict[str, int]:
    """Compute-dtype copies FSDP gathers during a pass: the root group, and two blocks (or all of them)."""
    if not s.wrapped:
        return {"root": 0, "blocks": 0}
    blocks = 2 if s.config.fsdp.reshard_after_forward else shape.layers
    return {
        "root": c * shape.root_params(critic=critic),
        "blocks": c * min(blocks, shape.layers) * shape.block_params(),
    }


def train_peaks(
    s: Setup, shape: ModelShape, weights: str, micro: tuple[MicroBatchShape, int], *, ckpt: bool, critic: bool
) -> tuple[dict[str, int], int, int]:
    """Bytes beyond the persistent states at each moment a training micro-batch can peak.

    Args:
        s: The run.
        shape: The model trained.
        weights: Its weights' dtype.
        micro: ``(micro-batch, micro-batches per mini-batch on a rank)`` from :func:`micro_shape`.
        ckpt: Whether activation checkpointing is on.
        critic: Whether it is a critic (a value head instead of the fused log-prob output layer).

    Returns:
        ``(moments, activations, output_layer_buffers)``: the bytes at each moment, the most activations alive
        at once, and the fused output layer's backward buffers.
    """
    (mb, count), c, w = micro, s.c(weights), dtype_bytes(weights)
    acts = terms.train_activations(shape, c, mb, checkpointing=ckpt, critic=critic)
    grads = 0 if s.config.fsdp.offload else _states(s, shape, weights, critic=critic)["gradients"]
    earlier = grads if count > 1 else 0  # gradients of the mini-batch's earlier micro-batches
    head = 0 if critic else terms.head_backward_bytes(shape, c, mb.responses)
    out_layer = (shape.hidden + 1) if critic else shape.vocab * shape.hidden
    if s.wrapped:  # unsharded gradients live until FSDP reduce-scatters them (the root's at the very end)
        root = shape.root_params(critic=critic)
        reduce = dtype_bytes(s.config.fsdp.reduce_dtype or s.compute)
        sharded_root = 0 if s.config.fsdp.offload else root * w // s.shard
        before_root = grads if count > 1 else grads - sharded_root
        block = shape.block_params() * (c + (reduce if reduce != c else 0))
        first, last = earlier + c * out_layer, before_root + c * out_layer + block
        end = before_root + root * (c + reduce)
    else:  # plain .grad tensors
        first = earlier if count > 1 else out_layer * w
        # While the last block's MLP is differentiated only its down_proj gradient exists of its own, and an
        # untied embedding's gradient is made after it.
        pending = (shape.block_params() - shape.hidden * shape.intermediate) * w
        pending += 0 if shape.tied and not critic else shape.vocab * shape.hidden * w
        last = grads if count > 1 else grads - pending
        end = grads + (shape.vocab * shape.hidden * w if shape.tied and not critic else 0)
    # AdamW without fused kernels (on a CPU) makes about two temporaries of each parameter in turn.
    step = 2 * shape.largest_param() * w // s.shard if s.device == "cpu" else 0
    moments = {
        "output layer": acts["saved"] + head + earlier,
        "first block": acts["top"] + first,
        "last block": acts["bottom"] + last,
        "end of backward": end,
        "optimizer step": grads + step,
    }
    return moments, acts["top"], head


def phase_peaks(s: Setup) -> tuple[dict[str, int], dict[str, int], int]:
    """The parts (bytes per GPU), the peak of each phase, and the bytes offloaded to CPU memory per process."""
    config, offload = s.config, bool(s.config.fsdp.offload)
    states = {"": _states(s, s.policy, s.weights, critic=False)}
    if s.critic is not None:
        states["critic_"] = _states(s, s.critic, config.critic.dtype, critic=True)
    if s.reference:  # frozen: parameters only
        states["reference_"] = {"parameters": _states(s, s.policy, s.weights, critic=False)["parameters"]}
    parts = {f"{prefix}{key}": value for prefix, st in states.items() for key, value in st.items()}
    host = sum(parts.values()) if offload else 0
    parts = {key: 0 if offload else value for key, value in parts.items()}
    persistent = sum(value for key, value in parts.items() if not key.endswith("gradients"))
    phases: dict[str, int] = {}
    c = s.c(s.weights)
    policy_gathered = _gathered(s, s.policy, c, critic=False)
    parts["unsharded_weights"] = sum(policy_gathered.values())
    # After a pass without backward the trainer re-shards the root (Distributed.reshard), so nothing gathered
    # outlives its phase.
    engine = _engine(s, parts, c)
    _rollout(s, parts, phases, persistent + engine, c)
    persistent += 0 if _sleeps(s) else engine  # a sleeping engine frees its share while the policy trains
    _old_logprobs(s, phases, persistent, c, policy_gathered)
    if s.critic is not None:
        _critic(s, parts, phases, persistent)
    _actor(s, parts, phases, persistent + sum(policy_gathered.values()))
    if config.rollout.engine == "vllm":  # streamed: one full tensor (and its cast) at a time, engine awake
        largest = s.policy.largest_param()
        phases["weight_sync"] = persistent + (0 if not _sleeps(s) else engine) + largest * (
            dtype_bytes(s.weights) + c)  # fmt: skip
    return parts, phases, host


def _sleeps(s: Setup) -> bool:
    """Whether the vLLM engine frees its memory between generations (sleep mode exists on GPUs only)."""
    return s.config.rollout.engine == "vllm" and bool(getattr(s.config.rollout, "sleep", False)) and s.device == "cuda"


def _engine(s: Setup, parts: dict[str, int], c: int) -> int:
    """VLLM's share of the GPU (the HF engine samples from the policy itself: none)."""
    r = s.config.rollout
    if r.engine != "vllm":
        return 0
    share = getattr(r, "gpu_memory_utilization", None)
    rows = s.per_rank(s.rows)
    if share is not None:
        parts["vllm_engine"] = int(share * s.gpu_memory)
    else:
        kv = terms.kv_cache_bytes(s.policy, c, rows, r.max_prompt_tokens + r.max_new_tokens)
        parts["vllm_engine"] = c * s.policy.params() + kv
    return parts["vllm_engine"]


def _rollout(s: Setup, parts: dict[str, int], phases: dict[str, int], persistent: int, c: int) -> None:
    r = s.config.rollout
    # For the HF engine Distributed.unsharded gathers the whole policy; vLLM samples from its own copy.
    parts["rollout_weights"] = c * s.policy.params() if s.wrapped and r.engine == "hf" else 0
    extra = 0
    if r.engine == "hf":
        batch = min(r.batch_size, s.per_rank(s.rows))
        gen = terms.generation_peaks(s.policy, c, batch, r.max_prompt_tokens, r.max_new_tokens, top_p=r.top_p < 1)
        parts["kv_cache"] = terms.kv_cache_bytes(s.policy, c, batch, r.max_prompt_tokens + r.max_new_tokens)
        extra = max(gen.values())
        parts["generation_buffers"] = max(0, extra - parts["kv_cache"])
    phases["rollout"] = persistent + parts["rollout_weights"] + extra


def _old_logprobs(s: Setup, phases: dict[str, int], persistent: int, c: int, gathered: dict[str, int]) -> None:
    r, optim = s.config.rollout, s.config.actor_optim
    length = r.max_prompt_tokens + r.max_new_tokens
    mb, _ = micro_shape(optim, s.per_rank(s.rows), length, r.max_new_tokens)
    base = persistent + sum(gathered.values())
    phases["old_logprobs"] = base + terms.forward_peak(s.policy, c, mb, head="logprobs")
    if s.reference:  # the reference's root and blocks are gathered in place of the (re-sharded) policy's
        phases["ref_logprobs"] = base + terms.forward_peak(s.policy, c, mb, head="logprobs_plain")


def _critic(s: Setup, parts: dict[str, int], phases: dict[str, int], persistent: int) -> None:
    config, r = s.config, s.config.rollout
    c = s.c(config.critic.dtype)
    length = r.max_prompt_tokens + (r.max_new_tokens if s.token_critic else 0)
    responses = r.max_new_tokens if s.token_critic else 0
    gathered = sum(_gathered(s, s.critic, c, critic=True).values())
    values, _ = micro_shape(config.critic_optim, s.per_rank(s.rows), length, responses)
    phases["values"] = persistent + gathered + terms.forward_peak(s.critic, c, values, head="value")
    micro = micro_shape(config.critic_optim, s.per_rank(config.critic_optim.mini_batch_size), length, responses)
    moments, activations, _ = train_peaks(
        s, s.critic, config.critic.dtype, micro, ckpt=config.critic.checkpointing, critic=True
    )
    parts["critic_activations"] = activations
    phases["critic_update"] = persistent + gathered + max(moments.values())


def _actor(s: Setup, parts: dict[str, int], phases: dict[str, int], persistent: int) -> None:
    config, r = s.config, s.config.rollout
    length = r.max_prompt_tokens + r.max_new_tokens
    micro = micro_shape(config.actor_optim, s.per_rank(config.actor_optim.mini_batch_size), length, r.max_new_tokens)
    both = {ckpt: train_peaks(s, s.policy, s.weights, micro, ckpt=ckpt, critic=False) for ckpt in (False, True)}
    moments, activations, head = both[bool(config.policy.checkpointing)]
    parts["activations"] = activations
    parts["activations_without_checkpointing"] = both[False][1]
    parts["activations_with_checkpointing"] = both[True][1]
    parts["logprob_buffers"] = head
    phases["actor_update"] = persistent + max(moments.values())
