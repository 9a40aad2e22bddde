"""The rollout-engine protocol and the records it returns.

An engine receives prompts -- chat messages (``[{"role": "user", "content": ...}]``, rendered with the
engine's chat template) or plain strings (used verbatim) -- and returns, per sample, the prompt token ids,
the response token ids, the response text and each response token's log-prob under the sampling policy.
Trainers depend only on this protocol, so the HF and vLLM engines are interchangeable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["Message", "Prompt", "RolloutEngine", "Sample", "SamplingParams", "encode_prompt", "render_prompt"]

Message = Mapping[str, str]
#: Chat messages (rendered with the chat template, generation prompt added) or raw prompt text.
Prompt = str | Sequence[Message]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample.

    Attributes:
        temperature: Softmax temperature; 0 means greedy decoding.
        top_p: Nucleus sampling threshold (1.0 disables it). Top-k is always off.
        max_new_tokens: Maximum response length; generation also stops at an EOS token.
        n: Samples per prompt.
        seed: Seed for this call only (the caller's random state is left untouched), or ``None`` to draw
            from the current global random state.
    """

    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    n: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 is greedy), got {self.temperature}.")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}; use 1.0 to disable nucleus sampling.")
        if self.max_new_tokens < 1 or self.n < 1:
            raise ValueError(f"max_new_tokens and n must be >= 1, got {self.max_new_tokens} and {self.n}.")


@dataclass
class Sample:
    """One sampled response.

    Attributes:
        prompt_index: Position of its prompt in the ``prompts`` argument of ``generate``.
        prompt_ids: Token ids of the rendered prompt (no padding).
        response_ids: Token ids of the response, including the final EOS token when there is one.
        text: The response decoded without special tokens.
        logprobs: Log-prob of each response token at the sampling temperature (no top-p renormalisation), or
            None for an engine that samples from the trained model itself (the HF engine), where the trainer's
            own pass computes them.
        finish_reason: ``"stop"`` (EOS emitted) or ``"length"`` (hit ``max_new_tokens``).
    """

    prompt_index: int
    prompt_ids: list[int]
    response_ids: list[int]
    text: str
    logprobs: list[float] | None
    finish_reason: Literal["stop", "length"]


@runtime_checkable
class RolloutEngine(Protocol):
    """What a trainer needs from a generation backend."""

    tokenizer: Any

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Sample]:
        """Sample ``params.n`` responses per prompt; returns ``len(prompts) * n`` samples, prompt-major."""
        ...

    def load_weights(self, state_dict: Mapping[str, Any]) -> None:
        """Replace the policy weights the engine samples from (after an optimizer step)."""
        ...


def render_prompt(tokenizer: Any, prompt: Prompt) -> str:
    """Return the text a model sees for ``prompt``.

    Messages go through the tokenizer's chat template with the generation prompt appended. A tokenizer with
    no chat template (a base model) gets the message contents joined by blank lines.
    """
    if isinstance(prompt, str):
        return prompt
    messages = [dict(m) for m in prompt]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return "\n\n".join(m["content"] for m in messages) + "\n\n"


def encode_prompt(tokenizer: Any, prompt: Prompt) -> list[int]:
    """Token ids of :func:`render_prompt` (a chat template already contains its special tokens)."""
    text = render_prompt(tokenizer, prompt)
    templated = not isinstance(prompt, str) and bool(getattr(tokenizer, "chat_template", None))
    return list(tokenizer(text, add_special_tokens=not templated)["input_ids"])
