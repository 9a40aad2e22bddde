"""Per-token log-probs of sampled responses, without ever holding full-vocabulary logits.

A naive log-prob pass materialises logits ``[tokens, vocab]``, copies them to float32, divides by the
temperature into another copy and keeps them for backward: for one 8192-token response and a 152,064-token
vocabulary that is 2.3 GiB of bf16 logits plus 4.6 GiB per fp32 copy. Here the output layer and the
log-softmax are one operation (:func:`linear_logprobs`) that walks the response positions in chunks: each
chunk's logits are made in float32, divided by the temperature in place, reduced to the chosen token's
log-prob (and, on request, the entropy) and dropped. Backward recomputes each chunk's logits from the saved
hidden states, so memory stays at one chunk's logits whatever the response length (verl's fused linear
for PPO and Liger's fused linear cross-entropy work the same way).

:func:`response_logprobs` runs it inside the model's own forward: the model's output layer is asked, for
the duration of the call, to return log-probs of the requested positions instead of logits. The forward
therefore still goes through the model's root module (FSDP's hooks, gradient checkpointing, mixed precision
all apply), and only positions that predict a response token reach the output layer. Models that rescale
their logits after the output layer (soft-capping, logit scales) take a plain path instead: their logits
come out of the model as usual and only the log-softmax is chunked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from reasoning_gym.models.batching import MicroBatch

__all__ = ["CHUNK_BYTES", "chunk_rows", "linear_logprobs", "logprobs_from_logits", "response_logprobs"]

#: Bytes of one chunk's float32 logits; 512 MiB is ~880 positions of a 152k vocabulary.
CHUNK_BYTES = 512 * 2**20
#: Config attributes of models that transform logits after the output layer (the fused path would skip it).
_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier_scale")


def chunk_rows(vocab_size: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Positions per chunk so that one chunk's float32 logits take about ``chunk_bytes``."""
    return max(1, chunk_bytes // (4 * vocab_size))


def _chunk_logits(hidden: Tensor, weight: Tensor, bias: Tensor | None, temperature: float) -> Tensor:
    """Float32 logits of one chunk, divided by the temperature in place."""
    logits = nn.functional.linear(hidden, weight, bias).float()
    if temperature != 1.0:
        logits.div_(temperature)
    return logits


class _LinearLogProbs(torch.autograd.Function):
    """``log_softmax(hidden @ weight.T + bias) / T`` at ``targets``, chunk by chunk; see :func:`linear_logprobs`."""

    @staticmethod
    def forward(ctx, hidden, weight, bias, targets, temperature, chunk, with_entropy):  # noqa: D102
        out = hidden.new_empty(hidden.shape[0], dtype=torch.float32)
        entropy = hidden.new_empty(hidden.shape[0] if with_entropy else 0, dtype=torch.float32)
        for start in range(0, hidden.shape[0], chunk):
            end = start + chunk
            logits = _chunk_logits(hidden[start:end], weight, bias, temperature)
            lse = torch.logsumexp(logits, dim=-1)
            out[start:end] = logits.gather(-1, targets[start:end, None]).squeeze(-1) - lse
            if with_entropy:  # H = lse - sum_j p_j z_j
                entropy[start:end] = lse - (torch.softmax(logits, dim=-1) * logits).sum(-1)
        ctx.save_for_backward(hidden, weight, bias, targets)
        ctx.temperature, ctx.chunk = temperature, chunk
        ctx.mark_non_differentiable(entropy)
        return out, entropy

    @staticmethod
    def backward(ctx, grad_out, _grad_entropy):  # noqa: D102
        hidden, weight, bias, targets = ctx.saved_tensors
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        grad_hidden = torch.empty_like(hidden) if need_hidden else None
        # Accumulated over chunks in float32, whatever the weight's dtype, so that chunking loses nothing.
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_weight else None
        grad_bias = torch.zeros(weight.shape[0], dtype=torch.float32, device=weight.device) if need_bias else None
        for start in range(0, hidden.shape[0], ctx.chunk):
            end = start + ctx.chunk
            h, g = hidden[start:end], grad_out[start:end].float()
            # d logp_t / d z_j = (1[j = t] - p_j) / T, built in place in the recomputed logits' buffer.
            probs = torch.softmax(_chunk_logits(h, weight, bias, ctx.temperature), dim=-1)
            grad_logits = probs.mul_(-g[:, None])
            grad_logits[torch.arange(h.shape[0], device=h.device), targets[start:end]] += g
            if ctx.temperature != 1.0:
                grad_logits.div_(ctx.temperature)
            if grad_bias is not None:
                grad_bias += grad_logits.sum(0)
            if grad_weight is not None:
                grad_weight.addmm_(grad_logits.t(), h.float())
            if grad_hidden is not None:
                grad_hidden[start:end] = grad_logits.to(weight.dtype) @ weight
        grad_weight = grad_weight.to(weight.dtype) if grad_weight is not None else None
        grad_bias = grad_bias.to(bias.dtype) if grad_bias is not None else None
        return grad_hidden, grad_weight, grad_bias, None, None, None, None


def linear_logprobs(
    hidden: Tensor,
    weight: Tensor,
    targets: Tensor,
    *,
    bias: Tensor | None = None,
    temperature: float = 1.0,
    chunk: int | None = None,
    with_entropy: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Log-probs of ``targets`` under ``softmax((hidden @ weight.T + bias) / temperature)``, in chunks.

    Args:
        hidden: ``[N, H]`` hidden states (one per predicted token).
        weight: ``[V, H]`` output layer.
        targets: ``[N]`` token ids.
        bias: ``[V]`` output bias, if the layer has one.
        temperature: Sampling temperature (0 and 1 both mean 1: greedy responses are scored at 1).
        chunk: Positions per chunk (default: :func:`chunk_rows` of the vocabulary).
        with_entropy: Also return each position's entropy (no gradient flows through it).

    Returns:
        ``(logp [N] float32, entropy [N] or None)``; gradients reach ``hidden``, ``weight`` and ``bias``.
    """
    temperature = 1.0 if temperature <= 0 else float(temperature)
    chunk = chunk or chunk_rows(weight.shape[0])
    logp, entropy = _LinearLogProbs.apply(hidden, weight, bias, targets, temperature, chunk, with_entropy)
    return logp, (entropy if with_entropy else None)


def logprobs_from_logits(
    logits: Tensor, targets: Tensor, *, temperature: float = 1.0, chunk: int | None = None, with_entropy: bool = False
) -> tuple[Tensor, Tensor | None]:
    """Log-probs of ``targets`` from logits ``[N, V]`` that already exist (chunked float32 log-softmax).

    The plain path for models whose logits cannot be fused with the output layer; the full logits stay in
    the model's dtype and only one chunk at a time is in float32.
    """
    temperature = 1.0 if temperature <= 0 else float(temperature)
    chunk = chunk or chunk_rows(logits.shape[-1])
    parts, entropies = [], []
    for start in range(0, logits.shape[0], chunk):
        z = logits[start : start + chunk].float()
        z = z / temperature if temperature != 1.0 else z  # out of place: autograd needs the float() output
        lse = torch.logsumexp(z, dim=-1)
        parts.append(z.gather(-1, targets[start : start + chunk, None]).squeeze(-1) - lse)
        if with_entropy:
            with torch.no_grad():
                entropies.append(lse - (torch.softmax(z, dim=-1) * z).sum(-1))
    empty = logits.new_zeros(0, dtype=torch.float32)
    logp = torch.cat(parts) if parts else empty
    return logp, ((torch.cat(entropies) if entropies else empty) if with_entropy else None)


def response_logprobs(
    model: nn.Module, micro: MicroBatch, *, temperature: float = 1.0, with_entropy: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Log-probs ``[b, T_b]`` of each response token of ``micro`` under ``model`` at ``temperature``.

    Zero where ``micro.response_mask`` is 0. With ``with_entropy`` returns ``(logp, entropy)``, both
    ``[b, T_b]``; the entropy carries no gradient.
    """
    real = micro.response_mask.bool()
    index, targets = micro.predict_index[real], micro.response_ids[real]
    inputs = {"input_ids": micro.input_ids, "attention_mask": micro.attention_mask}
    inputs.update(position_ids=micro.position_ids, use_cache=False)
    if _fusable(model):
        extra: dict[str, Any] = {}
        with _head_returns_logprobs(model, micro.input_ids.numel(), index, targets, temperature, with_entropy, extra):
            logp = model(**inputs).logits
        entropy = extra.get("entropy")
    else:
        logits = model(**inputs).logits
        logp, entropy = logprobs_from_logits(
            logits.reshape(-1, logits.shape[-1])[index], targets, temperature=temperature, with_entropy=with_entropy
        )
    out = _scatter(logp, real)
    return (out, _scatter(entropy, real)) if with_entropy else out


def _scatter(values: Tensor, mask: Tensor) -> Tensor:
    out = values.new_zeros(mask.shape)
    return out.masked_scatter(mask, values)


def _fusable(model: nn.Module) -> bool:
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    config = getattr(model, "config", None)
    if not isinstance(head, nn.Linear) or config is None:
        return False
    return not any(getattr(config, name, None) not in (None, 1.0, 0.0) for name in _LOGIT_TRANSFORMS)


@contextlib.contextmanager
def _head_returns_logprobs(
    model: nn.Module,
    positions: int,
    index: Tensor,
    targets: Tensor,
    temperature: float,
    with_entropy: bool,
    extra: dict[str, Any],
) -> Iterator[None]:
    """Make the output layer return the log-probs of ``targets`` at ``index`` for the duration of the block."""
    head = model.get_output_embeddings()
    previous = head.__dict__.get("forward")

    def forward(hidden: Tensor) -> Tensor:
        flat = hidden.reshape(-1, hidden.shape[-1])
        if flat.shape[0] != positions:
            raise RuntimeError(
                f"{type(model).__name__} passed only {flat.shape[0]} positions to its output layer; "
                "reasoning_gym needs all of them (the model must accept logits_to_keep=0)."
            )
        logp, entropy = linear_logprobs(
            flat[index], head.weight, targets, bias=head.bias, temperature=temperature, with_entropy=with_entropy
        )
        extra["entropy"] = entropy
        return logp

    head.forward = forward
    try:
        yield
    finally:
        if previous is None:
            del head.forward
        else:
            head.forward = previous
