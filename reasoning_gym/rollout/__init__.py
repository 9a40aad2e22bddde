"""Rollout engines: turn prompts into sampled responses with token ids and log-probs.

:class:`~reasoning_gym.rollout.base.RolloutEngine` is the small protocol every trainer codes against;
:class:`~reasoning_gym.rollout.hf.HFEngine` implements it with ``transformers`` ``generate`` (the default,
and what CPU tests run); :mod:`reasoning_gym.rollout.vllm` is the optional vLLM backend (``rgym[vllm]``).
"""

from reasoning_gym.rollout.base import Prompt, RolloutEngine, Sample, SamplingParams, encode_prompt, render_prompt

__all__ = ["Prompt", "RolloutEngine", "Sample", "SamplingParams", "encode_prompt", "make_engine", "render_prompt"]


def make_engine(name: str, model, tokenizer, *, batch_size: int = 64, **options) -> RolloutEngine:
    """Create the rollout engine ``name`` (``"hf"`` or ``"vllm"``) sampling from ``model``.

    ``options`` are the vLLM engine's (``gpu_memory_utilization``, ``max_model_len``, ``sleep_mode``, ...; see
    :class:`~reasoning_gym.rollout.vllm.VLLMEngine`); the HF engine takes none.

    Raises:
        reasoning_gym.errors.UnknownNameError: For another name; the message lists the valid ones.
    """
    if name == "hf":
        from reasoning_gym.rollout.hf import HFEngine

        return HFEngine(model, tokenizer, batch_size=batch_size)
    if name == "vllm":
        from reasoning_gym.rollout.vllm import VLLMEngine

        return VLLMEngine(model, tokenizer, batch_size=batch_size, **options)
    from reasoning_gym.errors import unknown_name

    raise unknown_name("rollout engine", name, ["hf", "vllm"])
