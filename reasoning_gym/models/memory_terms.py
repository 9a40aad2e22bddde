"""Byte counts of one decoder LM in our training step: parameters, saved activations, log-prob and KV buffers.

The planner (:mod:`reasoning_gym.models.memory`) adds these up per phase. Everything here is a pure function
of the model's ``config.json`` dimensions and is exact where the code path is deterministic (parameter
counts) or calibrated where it depends on which tensors autograd keeps (activations).

Saved tensors of one decoder block (Llama/Qwen2/Mistral under SDPA, per token; ``c`` = bytes of the compute
dtype, ``H`` hidden, ``I`` MLP width, ``nh``/``nkv`` heads, ``d`` head size), without checkpointing:

* each of the 2 RMSNorms keeps its input upcast to float32 (``4H``; in float32 that is the input itself), the
  normalised value before the weight (``cH``, for the weight's gradient) and its output (``cH``, the input
  of the next projections): ``2 * (4H + 2cH)``;
* attention keeps what SDPA's backward needs: the rotated query (``c nh d``), key and value (``2c kv d``, with
  ``kv = nh`` when a padding mask makes transformers repeat them, else ``nkv``), the output (``c nh d``, also
  the input of ``o_proj``; under a padding mask it is copied once more, another ``c nh d``) and the float32
  log-sum-exp (``4 nh``); rotary cos/sin (``2c d`` per token) are shared by all blocks;
* the MLP keeps ``gate`` (input of SiLU), ``silu(gate)`` and ``up`` (the product's operands) and the product
  (input of ``down_proj``): ``4cI``;
* Qwen3's q/k RMSNorms add ``(4 + 2c) d (nh + nkv)`` (not measured).

With activation checkpointing (transformers' non-reentrant ``GradientCheckpointingLayer``) a block keeps only
its input (``cH``) and recomputes the rest, one block at a time, in backward. Outside the blocks the final
norm keeps ``4H + cH`` per token, and the fused log-prob keeps the gathered hidden states of the response
positions (``cH`` each).

Calibration (re-run with ``python perf/memory_plan_check.py --calibrate``; results in
docs/results/memory_plan.md): random-weight Llama and Qwen2 configs built with
``AutoModelForCausalLM.from_config``, float32 and bfloat16 on CPU, peaks of live tensor bytes counted at
torch's CPU allocator. The per-block formula above matched the measured bytes per block and token to within 8
bytes (in float32: 19,752 measured against 19,744 for a 256-wide Llama block), so the constants fitted to the
measurements are only :data:`TOKEN_OVERHEAD` (index tensors), which moment of the backward peaks (located by
the op running at the peak: the first chunk of the fused output-layer backward, with recomputed float32 logits
and their softmax, ``8 k V``; or the MLP backward of a block, two ``[T, I]`` gradients and one ``[T, H]``), the
no-grad working set of a block and the sampling buffers of ``generate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KNOWN_MODEL_TYPES",
    "TOKEN_OVERHEAD",
    "MicroBatchShape",
    "ModelShape",
    "forward_peak",
    "generation_peaks",
    "head_backward_bytes",
    "kv_cache_bytes",
    "train_activations",
]

#: Architectures whose parameter and activation layout is modelled exactly; others use the Llama formula.
KNOWN_MODEL_TYPES = ("llama", "mistral", "qwen2", "qwen3")
#: Bytes per token outside the blocks besides the hidden states: input ids, position ids, masks' indices
#: (measured: 22 bytes per token on CPU; rounded up).
TOKEN_OVERHEAD = 24
#: Bytes of one chunk of float32 logits in the fused log-prob (reasoning_gym.models.logprobs.CHUNK_BYTES;
#: duplicated so that planning imports no torch).
CHUNK_BYTES = 512 * 2**20


@dataclass(frozen=True)
class ModelShape:
    """The dimensions of a decoder-only LM that decide its memory, read from its ``config.json``."""

    model_type: str
    vocab: int
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    tied: bool
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    qk_norm: bool = False

    @classmethod
    def from_config(cls, config: Any) -> ModelShape:
        """Read a transformers config (or anything with the same attributes)."""
        config = config.get_text_config() if hasattr(config, "get_text_config") else config
        kind = getattr(config, "model_type", "unknown")
        hidden, heads = config.hidden_size, config.num_attention_heads
        attention_bias = bool(getattr(config, "attention_bias", False))
        return cls(
            model_type=kind,
            vocab=config.vocab_size,
            hidden=hidden,
            intermediate=config.intermediate_size,
            layers=config.num_hidden_layers,
            heads=heads,
            kv_heads=getattr(config, "num_key_value_heads", None) or heads,
            head_dim=getattr(config, "head_dim", None) or hidden // heads,
            tied=bool(getattr(config, "tie_word_embeddings", False)),
            qkv_bias=kind == "qwen2" or attention_bias,  # Qwen2 always has q/k/v biases
            o_bias=attention_bias and kind != "qwen2",
            mlp_bias=bool(getattr(config, "mlp_bias", False)),
            qk_norm=kind == "qwen3",
        )

    @property
    def approximate(self) -> bool:
        """True for architectures outside :data:`KNOWN_MODEL_TYPES` (counted with the Llama formula)."""
        return self.model_type not in KNOWN_MODEL_TYPES

    def block_params(self) -> int:
        """Parameters of one decoder block."""
        h, d, q, kv = self.hidden, self.head_dim, self.heads * self.head_dim, self.kv_heads * self.head_dim
        attention = h * q + 2 * h * kv + q * h + self.qkv_bias * (q + 2 * kv) + self.o_bias * h
        mlp = 3 * h * self.intermediate + self.mlp_bias * (2 * self.intermediate + h)
        return attention + mlp + 2 * h + self.qk_norm * 2 * d

    def root_params(self, *, critic: bool = False) -> int:
        """Parameters outside the blocks (embedding, final norm, output layer or value head): FSDP's root group."""
        head = self.hidden + 1 if critic else (0 if self.tied else self.vocab * self.hidden)
        return self.vocab * self.hidden + self.hidden + head

    def params(self, *, critic: bool = False) -> int:
        """All parameters: a causal LM, or a critic (the backbone without the LM head, plus a hidden -> 1 head)."""
        return self.layers * self.block_params() + self.root_params(critic=critic)

    def largest_param(self) -> int:
        """Elements of the largest single weight (the embedding): bounds per-tensor optimizer temporaries."""
        return max(self.vocab * self.hidden, self.hidden * self.intermediate)

    # -- activations, bytes per token ------------------------------------------------------------------

    def block_saved(self, c: int, *, repeated_kv: bool) -> int:
        """Bytes per token one block keeps for backward without checkpointing (module docstring)."""
        h, d = self.hidden, self.head_dim
        kv = self.heads if repeated_kv else self.kv_heads
        norms = 2 * (4 * h + 2 * c * h)
        # Under a padding mask SDPA's output is copied once more before o_proj (measured).
        attention = c * d * (2 * self.heads + 2 * kv + repeated_kv * self.heads) + 4 * self.heads + 8
        qk_norm = self.qk_norm * (4 + 2 * c) * d * (self.heads + self.kv_heads)
        return norms + attention + 4 * c * self.intermediate + qk_norm

    def block_backward(self, c: int, *, repeated_kv: bool) -> int:
        """Bytes per token of gradients alive at once while one block is differentiated (calibrated)."""
        kv = self.heads if repeated_kv else self.kv_heads
        mlp = 2 * self.intermediate + self.hidden
        attention = self.head_dim * (self.heads + 2 * kv) + self.hidden
        return c * max(mlp, attention)

    def block_forward(self, c: int, *, repeated_kv: bool) -> int:
        """Bytes per token alive at once inside one block's forward without autograd (calibrated)."""
        kv = self.heads if repeated_kv else self.kv_heads
        mlp = 3 * self.intermediate + 2 * self.hidden
        attention = self.head_dim * (3 * self.heads + 2 * kv) + 2 * self.hidden
        return c * max(mlp, attention) + 8 * self.hidden  # + the norms' float32 upcasts

    def top_saved(self, c: int, *, critic: bool = False) -> int:
        """Bytes per token kept outside the blocks: final norm, rotary cos/sin (and a value head's input)."""
        extra = c * self.hidden if critic else 0
        return 4 * self.hidden + c * self.hidden + 2 * c * self.head_dim + TOKEN_OVERHEAD + extra


@dataclass(frozen=True)
class MicroBatchShape:
    """One forward/backward pass over a micro-batch.

    Attributes:
        tokens: Positions the pass computes (padding included).
        rows: Rows (sequences) in it.
        responses: Positions that predict a response token (reach the output layer).
        mask: Whether transformers builds a padding (or packing) mask for it.
    """

    tokens: int
    rows: int
    responses: int
    mask: bool

    @property
    def mask_bytes(self) -> int:
        """The boolean ``[rows, 1, S, S]`` attention mask (``S`` = tokens per row)."""
        return self.rows * (self.tokens // max(self.rows, 1)) ** 2 if self.mask else 0


def chunk_rows(vocab: int) -> int:
    """Positions per chunk of the fused log-prob (reasoning_gym.models.logprobs.chunk_rows)."""
    return max(1, CHUNK_BYTES // (4 * vocab))


def head_forward_bytes(shape: ModelShape, c: int, responses: int, *, entropy: bool) -> int:
    """Peak of the fused output layer in forward.

    One chunk's float32 logits plus logsumexp's temporary (or the entropy's softmax and product), and the
    gathered hidden states of the response positions.
    """
    k = min(responses, chunk_rows(shape.vocab))
    return (12 if entropy else 8) * k * shape.vocab + c * responses * shape.hidden


def head_backward_bytes(shape: ModelShape, c: int, responses: int) -> int:
    """Peak of the fused output layer's backward.

    A chunk's recomputed float32 logits and their softmax, the float32 ``[V, H]`` weight-gradient accumulator
    (and its cast to the compute dtype at the end), and the gradient of the gathered hidden states.
    """
    k = min(responses, chunk_rows(shape.vocab))
    accumulator = 4 * shape.vocab * shape.hidden
    cast = c * shape.vocab * shape.hidden if c != 4 else 0
    return max(8 * k * shape.vocab, cast) + accumulator + c * responses * shape.hidden


def train_activations(
    shape: ModelShape, c: int, micro: MicroBatchShape, *, checkpointing: bool, critic: bool = False
) -> dict[str, int]:
    """Activation bytes of one training micro-batch at the moments its backward can peak.

    Returns:
        ``saved``: what the forward keeps (when the output layer's backward starts); ``top``: that plus the
        first block's backward (its recomputation with checkpointing, and the gradients it makes), the most
        activations alive at once; ``bottom``: what is left while the last block is differentiated. None
        includes the output layer's buffers (:func:`head_backward_bytes`) or parameter gradients.
    """
    t, repeated = micro.tokens, micro.mask
    per_block = shape.block_saved(c, repeated_kv=repeated)
    kept = c * shape.hidden if checkpointing else per_block
    recompute = per_block if checkpointing else 0
    transient = shape.block_backward(c, repeated_kv=repeated)
    gathered = 0 if critic else c * micro.responses * shape.hidden
    saved = t * (shape.layers * kept + shape.top_saved(c, critic=critic)) + gathered + micro.mask_bytes
    top = saved + t * (recompute + transient)
    bottom = t * (kept + recompute + transient + 2 * c * shape.head_dim + TOKEN_OVERHEAD) + micro.mask_bytes
    return {"saved": saved, "top": top, "bottom": bottom}


def forward_peak(shape: ModelShape, c: int, micro: MicroBatchShape, *, head: str) -> int:
    """Peak activation bytes of a forward pass without autograd (old log-probs, reference, values).

    Args:
        shape: The model.
        c: Bytes per element of the compute dtype.
        micro: The micro-batch.
        head: ``"logprobs"`` (fused log-probs with entropy), ``"logprobs_plain"`` (without) or ``"value"``.
    """
    t = micro.tokens
    rope = 2 * c * shape.head_dim + TOKEN_OVERHEAD
    blocks = t * (rope + shape.block_forward(c, repeated_kv=micro.mask)) + micro.mask_bytes
    if head == "value":
        return blocks
    top = t * (rope + 2 * c * shape.hidden) + micro.mask_bytes  # the final norm's input and output
    return max(blocks, top + head_forward_bytes(shape, c, micro.responses, entropy=head == "logprobs"))


def kv_cache_bytes(shape: ModelShape, c: int, sequences: int, length: int) -> int:
    """Keys and values of every block for ``sequences`` sequences of ``length`` tokens."""
    return 2 * shape.layers * sequences * length * shape.kv_heads * shape.head_dim * c


def generation_peaks(
    shape: ModelShape, c: int, sequences: int, prompt: int, new: int, *, top_p: bool
) -> dict[str, int]:
    """Peak bytes of HF ``generate`` (KV cache included) in its two regimes.

    ``prefill``: the prompts' keys and values, one block's forward over the left-padded prompts (keys and values
    repeated to every head under the padding mask) and the ``[B, 1, P, P]`` mask. ``decode``: the full cache plus
    the larger of two moments: sampling (the last position's logits in the model dtype and four ``[B, V]``
    float32 tensors: this token's float32 copy and temperature-scaled scores, its probabilities and the previous
    token's, which the loop keeps until it reassigns them; top-p adds a sort, its int64 indices, a softmax and
    a cumulative sum), or ``torch.cat`` growing one block's keys while the previous token's three float32
    buffers are still alive.
    """
    full = kv_cache_bytes(shape, c, sequences, prompt + new)
    tokens = sequences * prompt
    prefill = kv_cache_bytes(shape, c, sequences, prompt) + tokens * shape.block_forward(c, repeated_kv=True)
    logits = sequences * shape.vocab
    sampling = logits * (c + 16 + (24 if top_p else 0))
    growing = full // max(2 * shape.layers, 1) + 12 * logits
    return {"prefill": prefill + sequences * prompt**2, "decode": full + max(sampling, growing)}


def ceil_div(a: int, b: int) -> int:
    """``ceil(a / b)`` for positive integers."""
    return -(-a // b) if b else 0


def gib(n: float) -> float:
    """Bytes to GiB."""
    return n / 2**30 if math.isfinite(n) else n
