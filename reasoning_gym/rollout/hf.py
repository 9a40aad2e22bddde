"""Rollout engine on ``transformers`` ``generate``: batched, left-padded, stops at EOS.

Sampling uses exactly the requested temperature and top-p: the model's own ``generation_config`` (which
for many hub models sets top-k, repetition penalties, ...) is swapped out for the duration of the call, and
top-k is disabled. The engine returns no log-probs (``Sample.logprobs`` is None): it samples from the very
model the trainer trains, so the trainer's own log-prob pass over the responses gives them exactly, and a
second full-vocabulary pass here would only cost memory (a whole generate chunk at once) and time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from reasoning_gym.models.batching import pad_left
from reasoning_gym.rollout.base import Prompt, Sample, SamplingParams, encode_prompt

__all__ = ["HFEngine", "eos_token_ids"]


def eos_token_ids(model: nn.Module, tokenizer: Any) -> list[int]:
    """All token ids that end a response: the tokenizer's EOS plus the generation config's."""
    ids = set()
    for source in (tokenizer.eos_token_id, getattr(getattr(model, "generation_config", None), "eos_token_id", None)):
        if source is not None:
            ids.update(source if isinstance(source, list | tuple) else [source])
    if not ids:
        raise ValueError("The tokenizer and the model's generation config define no EOS token; set eos_token.")
    return sorted(ids)


class HFEngine:
    """Generate with a Hugging Face causal LM held in this process.

    The engine samples from the very model object it is given, so when that object is the policy being
    trained, updated weights are used right away and :meth:`load_weights` is never needed.

    Args:
        model: A causal LM (``AutoModelForCausalLM``).
        tokenizer: Its tokenizer; its chat template renders message prompts.
        batch_size: Sequences per ``generate`` call (bounds memory; samples are chunked transparently).
    """

    def __init__(self, model: nn.Module, tokenizer: Any, *, batch_size: int = 64) -> None:
        if tokenizer.pad_token_id is None:
            raise ValueError("The tokenizer has no pad token; set tokenizer.pad_token (e.g. to its EOS token).")
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.eos_ids = eos_token_ids(model, tokenizer)

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: SamplingParams,
        *,
        on_done: Callable[[list[Sample]], Any] | None = None,
    ) -> list[Sample]:
        """Sample ``params.n`` responses for each prompt; returns them prompt-major.

        ``on_done`` receives each chunk's samples as soon as the chunk is generated (e.g. to score them while
        the next chunk generates).
        """
        prompt_ids = [encode_prompt(self.tokenizer, p) for p in prompts]
        jobs = [(i, ids) for i, ids in enumerate(prompt_ids) for _ in range(params.n)]
        samples: list[Sample] = []
        with self._seeded(params.seed), self._clean_generation_config():
            for start in range(0, len(jobs), self.batch_size):
                chunk = self._generate_chunk(jobs[start : start + self.batch_size], params)
                samples.extend(chunk)
                if on_done is not None:
                    on_done(chunk)
        return samples

    def load_weights(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Copy ``state_dict`` into the model (only needed when the engine holds its own copy)."""
        self.model.load_state_dict(dict(state_dict))

    @torch.no_grad()
    def _generate_chunk(self, jobs: list[tuple[int, list[int]]], params: SamplingParams) -> list[Sample]:
        device = next(self.model.parameters()).device
        input_ids, attention_mask = pad_left([ids for _, ids in jobs], self.tokenizer.pad_token_id)
        sampling = {"do_sample": True, "temperature": params.temperature, "top_p": params.top_p, "top_k": 0}
        was_training = self.model.training
        self.model.eval()
        try:
            out = self.model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                max_new_tokens=params.max_new_tokens,
                eos_token_id=self.eos_ids,
                pad_token_id=self.tokenizer.pad_token_id,
                **(sampling if params.temperature > 0 else {"do_sample": False}),
            )
            responses = [self._cut_at_eos(row) for row in out[:, input_ids.shape[1] :].tolist()]
        finally:
            self.model.train(was_training)
        return [
            Sample(
                prompt_index=index,
                prompt_ids=ids,
                response_ids=response,
                text=self.tokenizer.decode(response, skip_special_tokens=True),
                logprobs=None,
                finish_reason="stop" if response and response[-1] in self.eos_ids else "length",
            )
            for (index, ids), response in zip(jobs, responses)
        ]

    def _cut_at_eos(self, tokens: list[int]) -> list[int]:
        """Keep tokens up to and including the first EOS (``generate`` pads finished rows after it)."""
        for position, token in enumerate(tokens):
            if token in self.eos_ids:
                return tokens[: position + 1]
        return tokens

    @contextlib.contextmanager
    def _clean_generation_config(self) -> Iterator[None]:
        """Hide the model's generation defaults so only the requested sampling settings apply."""
        from transformers import GenerationConfig

        saved = self.model.generation_config
        self.model.generation_config = GenerationConfig(
            bos_token_id=getattr(saved, "bos_token_id", None),
            eos_token_id=self.eos_ids,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        try:
            yield
        finally:
            self.model.generation_config = saved

    @contextlib.contextmanager
    def _seeded(self, seed: int | None) -> Iterator[None]:
        if seed is None:
            yield
            return
        device = next(self.model.parameters()).device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            yield
