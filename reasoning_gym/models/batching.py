"""Batch layout: a step's sequences, micro-batches cut to a token budget, padded or packed.

A step's rows (prompt token ids + response token ids, one row per sampled response) live in a
:class:`TokenBatch` that every rank holds in full. Per-token tensors of the step (old log-probs, advantages,
values) are ``[B, T]``: row ``i``'s response token ``t`` at column ``t``, right-padded to the step's longest
response ``T``, with :attr:`TokenBatch.response_mask` marking real tokens.

Forward passes run on :class:`MicroBatch` es, built for a few rows at a time and only as wide as *those*
rows need:

* padded: each row is ``prompt + response`` followed by padding, ``b`` rows as wide as the micro-batch's
  longest sequence (so the padding is exactly ``b * longest - real tokens``), position ids ``0, 1, ...``;
* packed: every row's tokens concatenated into one row, with position ids that restart at 0 for each
  sequence and no attention mask; transformers then attends within each sequence only (a block-diagonal
  mask for sdpa/eager, variable-length kernels for flash-attention), so no token is padding.

Both give the same per-token outputs; :meth:`MicroBatch.take` reads the ``[b, T_b]`` response positions out
of either layout. :func:`plan_micro_batches` decides which rows go to which rank and micro-batch: rows are
spread over ranks with equal counts and near-equal token loads, then cut into micro-batches of at most
``max_tokens`` processed tokens (or ``max_rows`` rows), every rank running the same number of passes, as
FSDP needs.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "MicroBatch",
    "MicroPlan",
    "TokenBatch",
    "pad_left",
    "plan_micro_batches",
    "position_ids",
]


def position_ids(attention_mask: Tensor) -> Tensor:
    """Positions that skip left padding (the same rule ``generate`` uses)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def pad_left(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Left-pad token id lists to ``(input_ids, attention_mask)``, both ``[B, max_len]``."""
    width = max((len(s) for s in sequences), default=0)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        if seq:
            ids[i, width - len(seq) :] = torch.as_tensor(list(seq), dtype=torch.long)
            mask[i, width - len(seq) :] = 1
    return ids, mask


@dataclass
class MicroBatch:
    """The model inputs of a few rows of a :class:`TokenBatch`, padded or packed.

    Attributes:
        rows: Which rows of the step these are, ``[b]``.
        input_ids: ``[R, S]``: ``b`` padded rows, or one packed row (``R == 1``).
        attention_mask: ``[R, S]``; None when packed (the position ids separate the sequences).
        position_ids: ``[R, S]``.
        response_ids: ``[b, T_b]`` response tokens, right-padded to the longest response of these rows.
        response_mask: ``[b, T_b]``, 1 on real response tokens.
        predict_index: ``[b, T_b]`` flat index into a forward output viewed as ``[R * S, ...]``: the position
            whose output predicts response token ``t`` (an arbitrary valid index where the mask is 0).
        last_prompt_index: ``[b]`` flat index of each row's last prompt token.
    """

    rows: Tensor
    input_ids: Tensor
    attention_mask: Tensor | None
    position_ids: Tensor
    response_ids: Tensor
    response_mask: Tensor
    predict_index: Tensor
    last_prompt_index: Tensor

    @property
    def packed(self) -> bool:
        """Whether the rows are packed into one padding-free row."""
        return self.attention_mask is None

    @property
    def width(self) -> int:
        """``T_b``, the longest response among these rows."""
        return self.response_mask.shape[1]

    @property
    def processed_tokens(self) -> int:
        """Token positions a forward pass computes, padding included."""
        return self.input_ids.numel()

    def take(self, output: Tensor) -> Tensor:
        """The ``[b, T_b, ...]`` entries of a per-position ``output`` ``[R, S, ...]`` that predict response tokens."""
        return output.reshape(-1, *output.shape[2:])[self.predict_index]

    def take_last_prompt(self, output: Tensor) -> Tensor:
        """The ``[b, ...]`` entries of ``output`` ``[R, S, ...]`` at each row's last prompt token."""
        return output.reshape(-1, *output.shape[2:])[self.last_prompt_index]

    def to(self, device: torch.device | str) -> MicroBatch:
        """Move every tensor to ``device``."""
        move = {k: (v.to(device) if isinstance(v, Tensor) else v) for k, v in self.__dict__.items()}
        return MicroBatch(**move)


class TokenBatch:
    """A step's rows: prompt and response token ids (every rank holds all of them).

    Args:
        prompts: Token ids of each row's prompt (non-empty).
        responses: Token ids of each row's response (may be empty).
        pad_id: The id that fills padding (always masked out).
    """

    def __init__(self, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], pad_id: int) -> None:
        if len(prompts) != len(responses):
            raise ValueError(f"got {len(prompts)} prompts for {len(responses)} responses; give one per row.")
        if any(len(p) == 0 for p in prompts):
            raise ValueError("a row has an empty prompt; every prompt needs at least one token (e.g. BOS).")
        self.prompts = [list(p) for p in prompts]
        self.responses = [list(r) for r in responses]
        self.pad_id = pad_id
        self.response_lengths = torch.tensor([len(r) for r in self.responses], dtype=torch.long)
        self.prompt_lengths = torch.tensor([len(p) for p in self.prompts], dtype=torch.long)
        width = int(self.response_lengths.max()) if len(self.responses) else 0
        self.response_mask = (torch.arange(width)[None, :] < self.response_lengths[:, None]).long()

    def __len__(self) -> int:
        return len(self.prompts)

    @property
    def width(self) -> int:
        """``T``: the longest response of the step (the width of ``[B, T]`` per-token tensors)."""
        return self.response_mask.shape[1]

    @property
    def lengths(self) -> Tensor:
        """``[B]`` tokens per row, prompt plus response."""
        return self.prompt_lengths + self.response_lengths

    @property
    def response_ids(self) -> Tensor:
        """``[B, T]`` response tokens, right-padded."""
        ids = torch.full((len(self), self.width), self.pad_id, dtype=torch.long)
        for i, r in enumerate(self.responses):
            ids[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
        return ids

    def micro(self, rows: Tensor, *, packed: bool = False) -> MicroBatch:
        """The inputs of ``rows``, padded (each to these rows' own widths) or packed into one row."""
        rows = torch.as_tensor(rows, dtype=torch.long).reshape(-1)
        prompts = [self.prompts[i] for i in rows.tolist()]
        responses = [self.responses[i] for i in rows.tolist()]
        return (
            _packed(rows, prompts, responses, self.pad_id) if packed else _padded(rows, prompts, responses, self.pad_id)
        )


def _right_padded(responses: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    width = max((len(r) for r in responses), default=0)
    ids = torch.full((len(responses), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(responses), width), dtype=torch.long)
    for i, r in enumerate(responses):
        ids[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return ids, mask


def _padded(rows: Tensor, prompts: list[list[int]], responses: list[list[int]], pad_id: int) -> MicroBatch:
    sequences = [p + r for p, r in zip(prompts, responses)]
    input_ids, attention_mask = _right_padded(sequences, pad_id)
    response_ids, response_mask = _right_padded(responses, pad_id)
    seq = input_ids.shape[1]
    last_prompt = torch.arange(len(rows)) * seq + torch.tensor([len(p) for p in prompts]) - 1
    # Position P - 1 + t of a row predicts its response token t; masked entries just stay inside the row.
    predict = last_prompt[:, None] + torch.arange(response_ids.shape[1])[None, :]
    predict = torch.where(response_mask.bool(), predict, last_prompt[:, None])
    return MicroBatch(
        rows, input_ids, attention_mask, position_ids(attention_mask), response_ids, response_mask,
        predict_index=predict, last_prompt_index=last_prompt,
    )  # fmt: skip


def _packed(rows: Tensor, prompts: list[list[int]], responses: list[list[int]], pad_id: int) -> MicroBatch:
    sequences = [p + r for p, r in zip(prompts, responses)]
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    starts = torch.cumsum(lengths, 0) - lengths
    input_ids = torch.tensor([t for s in sequences for t in s], dtype=torch.long)[None, :]
    positions = torch.cat([torch.arange(n) for n in lengths.tolist()])[None, :]
    response_ids, response_mask = _right_padded(responses, pad_id)
    last_prompt = starts + torch.tensor([len(p) for p in prompts]) - 1
    predict = last_prompt[:, None] + torch.arange(response_ids.shape[1])[None, :]
    predict = torch.where(response_mask.bool(), predict, last_prompt[:, None])  # stay inside this sequence
    return MicroBatch(
        rows, input_ids, None, positions, response_ids, response_mask,
        predict_index=predict, last_prompt_index=last_prompt,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Planning: which rows go to which rank and micro-batch
# ---------------------------------------------------------------------------------------------------------


@dataclass
class MicroPlan:
    """Rows of a (mini-)batch assigned to ranks and cut into micro-batches.

    Attributes:
        per_rank: ``per_rank[r]`` is rank ``r``'s list of micro-batches (row index tensors); every rank has the
            same number of micro-batches and the same number of rows.
    """

    per_rank: list[list[Tensor]]

    def local(self, rank: int) -> list[Tensor]:
        """Rank ``rank``'s micro-batches."""
        return self.per_rank[rank]

    def rank_rows(self, rank: int) -> Tensor:
        """All of rank ``rank``'s rows, in micro-batch order."""
        return torch.cat(self.per_rank[rank]) if self.per_rank[rank] else torch.zeros(0, dtype=torch.long)

    @property
    def num_micro_batches(self) -> int:
        """Micro-batches per rank."""
        return len(self.per_rank[0])


def plan_micro_batches(
    rows: Tensor,
    lengths: Tensor,
    *,
    world_size: int = 1,
    max_rows: int | None = None,
    max_tokens: int | None = None,
    packed: bool = False,
) -> MicroPlan:
    """Spread ``rows`` over ``world_size`` ranks and cut each rank's share into micro-batches.

    Every rank gets ``len(rows) / world_size`` rows, chosen so that the ranks' token totals are close (longest
    rows first, each to the least loaded rank that still has room). Each rank's rows are then grouped, longest
    first, into micro-batches of at most ``max_tokens`` processed tokens (padded: rows x longest row; packed:
    the sum of lengths; a single longer row goes alone) or, without a budget, of at most ``max_rows`` rows.
    Padded micro-batches are exactly ``rows x longest`` wide (responses follow their prompts directly), so
    that cost is what a forward pass processes.
    Ranks that need fewer micro-batches split their largest ones, so that every rank runs the same number of
    forward passes (FSDP's collectives would otherwise wait forever).

    The plan is a pure function of its arguments: every rank computes the same plan without communicating.

    Args:
        rows: Row indices of the (mini-)batch.
        lengths: ``[B]`` tokens of every row of the step, indexed by row.
        world_size: Number of ranks.
        max_rows: Rows per micro-batch when there is no token budget (None: no limit).
        max_tokens: Processed tokens per micro-batch (None: count rows instead).
        packed: Whether micro-batches will be packed (cost = sum of lengths) or padded (rows x longest).

    Raises:
        ValueError: If ``len(rows)`` is not a multiple of ``world_size``.
    """
    rows = torch.as_tensor(rows, dtype=torch.long).reshape(-1)
    if len(rows) % world_size:
        raise ValueError(
            f"Cannot split {len(rows)} rows evenly over {world_size} processes; make batch sizes multiples of "
            "the number of processes."
        )
    sizes = {int(r): int(lengths[r]) for r in rows.tolist()}
    shares = _balance(list(sizes), sizes, world_size)
    groups = [_group(share, sizes, max_rows, max_tokens, packed) for share in shares]
    count = max(len(g) for g in groups)
    for g in groups:
        _split_until(g, count, sizes, packed)
    return MicroPlan([[torch.tensor(m, dtype=torch.long) for m in g] for g in groups])


def _balance(rows: list[int], sizes: dict[int, int], world_size: int) -> list[list[int]]:
    """Equal-count shares with close token totals: longest first, to the least loaded rank with room."""
    if world_size == 1:
        return [list(rows)]
    capacity = len(rows) // world_size
    shares: list[list[int]] = [[] for _ in range(world_size)]
    heap = [(0, rank) for rank in range(world_size)]
    for row in sorted(rows, key=lambda r: (-sizes[r], r)):
        load, rank = heapq.heappop(heap)
        shares[rank].append(row)
        if len(shares[rank]) < capacity:
            heapq.heappush(heap, (load + sizes[row], rank))
    return shares


def _cost(group: list[int], sizes: dict[int, int], packed: bool) -> int:
    if not group:
        return 0
    return sum(sizes[r] for r in group) if packed else len(group) * max(sizes[r] for r in group)


def _group(
    share: list[int], sizes: dict[int, int], max_rows: int | None, max_tokens: int | None, packed: bool
) -> list[list[int]]:
    """Cut one rank's rows into micro-batches, longest rows first."""
    ordered = sorted(share, key=lambda r: (-sizes[r], r))
    if max_tokens is None:
        step = max_rows or max(len(ordered), 1)
        return [ordered[i : i + step] for i in range(0, len(ordered), step)]
    groups: list[list[int]] = []
    for row in ordered:
        # First fit: packed groups take any row that fits; padded ones only the open (last) group, since rows
        # arrive longest first and a group's cost is its row count times its first row's length.
        targets = groups if packed else groups[-1:]
        for group in targets:
            if _cost([*group, row], sizes, packed) <= max_tokens and (max_rows is None or len(group) < max_rows):
                group.append(row)
                break
        else:
            groups.append([row])
    return groups


def _split_until(groups: list[list[int]], count: int, sizes: dict[int, int], packed: bool) -> None:
    """Split the costliest splittable micro-batch in two until there are ``count`` of them (in place)."""
    while len(groups) < count:
        splittable = [i for i, g in enumerate(groups) if len(g) > 1]
        if not splittable:  # fewer rows than passes: cannot happen with equal row counts per rank
            raise ValueError(f"cannot make {count} micro-batches out of {sum(map(len, groups))} rows")
        i = max(splittable, key=lambda k: _cost(groups[k], sizes, packed))
        group = groups.pop(i)
        half = len(group) // 2
        groups[i:i] = [group[:half], group[half:]]
