"""Token rows, padded and packed micro-batches, and the micro-batch planner."""

import random

import pytest
import torch

from reasoning_gym.models.batching import TokenBatch, pad_left, plan_micro_batches, position_ids


def test_pad_left_and_positions_skip_padding():
    ids, mask = pad_left([[1, 2, 3], [4]], pad_id=0)
    assert ids.tolist() == [[1, 2, 3], [0, 0, 4]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert position_ids(mask).tolist() == [[0, 1, 2], [0, 0, 0]]


def test_token_batch_global_response_layout():
    batch = TokenBatch([[1, 2, 3], [4]], [[5], [6, 7]], pad_id=0)
    assert batch.width == 2 and len(batch) == 2
    assert batch.response_mask.tolist() == [[1, 0], [1, 1]]
    assert batch.response_ids.tolist() == [[5, 0], [6, 7]]
    assert batch.lengths.tolist() == [4, 3]


def test_padded_micro_batch_is_only_as_wide_as_its_own_rows():
    batch = TokenBatch([[1, 2, 3], [4], [8, 9]], [[5], [6, 7], [10, 11, 12, 13]], pad_id=0)
    micro = batch.micro(torch.tensor([0, 1]))
    assert micro.input_ids.tolist() == [[1, 2, 3, 5], [4, 6, 7, 0]]  # each sequence, then padding
    assert micro.attention_mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert micro.position_ids.tolist() == [[0, 1, 2, 3], [0, 1, 2, 2]]  # padding repeats a position
    assert micro.response_ids.tolist() == [[5, 0], [6, 7]] and micro.width == 2
    # Position P - 1 + t predicts response token t (flat index row * S + position); masked entries stay in the row.
    assert micro.predict_index.tolist() == [[2, 2], [4, 5]]
    assert micro.last_prompt_index.tolist() == [2, 4]
    assert micro.processed_tokens == 8 and not micro.packed


def test_packed_micro_batch_has_no_padding_and_restarting_positions():
    batch = TokenBatch([[1, 2, 3], [4]], [[5], [6, 7]], pad_id=0)
    micro = batch.micro(torch.tensor([0, 1]), packed=True)
    assert micro.packed and micro.attention_mask is None
    assert micro.input_ids.tolist() == [[1, 2, 3, 5, 4, 6, 7]]
    assert micro.position_ids.tolist() == [[0, 1, 2, 3, 0, 1, 2]]
    assert micro.predict_index.tolist() == [[2, 2], [4, 5]]  # the masked entry stays inside its sequence
    assert micro.last_prompt_index.tolist() == [2, 4]
    assert micro.processed_tokens == 7


def test_take_reads_the_same_positions_from_both_layouts():
    batch = TokenBatch([[1, 2, 3], [4], [5, 6]], [[7, 8, 9], [], [10]], pad_id=0)
    rows = torch.tensor([2, 0, 1])
    for packed in (False, True):
        micro = batch.micro(rows, packed=packed)
        # A fake per-position output: the input token itself, so "take" must return the token before each target.
        taken = micro.take(micro.input_ids) * micro.response_mask
        assert taken.tolist() == [[6, 0, 0], [3, 7, 8], [0, 0, 0]], packed
        assert micro.take_last_prompt(micro.input_ids).tolist() == [6, 3, 4]


def test_token_batch_refuses_empty_prompts_and_mismatched_lists():
    with pytest.raises(ValueError, match="empty prompt"):
        TokenBatch([[1], []], [[2], [3]], pad_id=0)
    with pytest.raises(ValueError, match="one per row"):
        TokenBatch([[1]], [[2], [3]], pad_id=0)


# ---------------------------------------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------------------------------------


def _cost(rows, lengths, packed):
    sizes = [int(lengths[r]) for r in rows]
    return sum(sizes) if packed else len(sizes) * max(sizes)


def _long_tailed(n, seed):
    rng = random.Random(seed)
    return torch.tensor([min(8192, max(16, int(rng.lognormvariate(7.6, 0.7)))) for _ in range(n)])


# (world size, max rows, max tokens, packed): the contracts below must hold for every case.
PLAN_CASES = [
    (1, 4, None, False),
    (2, 3, None, False),
    (1, None, 9000, False),
    (1, None, 9000, True),
    (2, None, 12000, False),
    (4, None, 16384, True),
    (4, 8, 16384, False),
    (3, None, 20000, True),
]


@pytest.mark.parametrize(("world", "max_rows", "max_tokens", "packed"), PLAN_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_plan_contracts(world, max_rows, max_tokens, packed, seed):
    lengths = _long_tailed(48, seed)
    rows = torch.randperm(48, generator=torch.Generator().manual_seed(seed))[:24]
    plan = plan_micro_batches(rows, lengths, world_size=world, max_rows=max_rows, max_tokens=max_tokens, packed=packed)
    counts = {len(plan.local(r)) for r in range(world)}
    assert len(counts) == 1  # every rank runs the same number of passes
    assert {len(plan.rank_rows(r)) for r in range(world)} == {24 // world}  # equal row counts
    every = torch.cat([plan.rank_rows(r) for r in range(world)])
    assert sorted(every.tolist()) == sorted(rows.tolist())  # each row exactly once
    for r in range(world):
        for micro in plan.local(r):
            assert len(micro) >= 1
            if max_rows is not None:
                assert len(micro) <= max_rows
            if max_tokens is not None and len(micro) > 1:
                assert _cost(micro.tolist(), lengths, packed) <= max_tokens
    # The plan is a pure function: every rank computes the same one.
    again = plan_micro_batches(rows, lengths, world_size=world, max_rows=max_rows, max_tokens=max_tokens, packed=packed)
    assert all(torch.equal(a, b) for r in range(world) for a, b in zip(plan.local(r), again.local(r)))


def test_ranks_get_balanced_token_loads():
    lengths = _long_tailed(512, 3)
    plan = plan_micro_batches(torch.arange(512), lengths, world_size=8, max_tokens=32768, packed=True)
    loads = [int(lengths[plan.rank_rows(r)].sum()) for r in range(8)]
    contiguous = [int(lengths[r * 64 : (r + 1) * 64].sum()) for r in range(8)]
    print(f"token loads per rank: balanced {min(loads)}-{max(loads)}, contiguous {min(contiguous)}-{max(contiguous)}")
    assert max(loads) / min(loads) < 1.02
    assert max(loads) / min(loads) < max(contiguous) / min(contiguous)


def test_a_row_longer_than_the_budget_goes_alone():
    lengths = torch.tensor([100, 30, 30, 20])
    plan = plan_micro_batches(torch.arange(4), lengths, max_tokens=64, packed=True)
    assert [m.tolist() for m in plan.local(0)] == [[0], [1, 2], [3]]


def test_padded_budget_counts_padding():
    lengths = torch.tensor([40, 39, 10, 10, 10, 10])
    plan = plan_micro_batches(torch.arange(6), lengths, max_tokens=80)
    assert [m.tolist() for m in plan.local(0)] == [[0, 1], [2, 3, 4, 5]]  # 2 x 40 and 4 x 10


def test_ranks_that_need_fewer_passes_split_their_largest_micro_batch():
    # Rank 0 gets rows 60 and 30 (2 x 60 > 100: two passes), rank 1 rows 50 and 45 (2 x 50 fits in one).
    plan = plan_micro_batches(torch.arange(4), torch.tensor([60, 50, 45, 30]), world_size=2, max_tokens=100)
    assert [[m.tolist() for m in plan.local(r)] for r in range(2)] == [[[0], [3]], [[1], [2]]]


def test_uneven_rows_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="multiples of the number of processes"):
        plan_micro_batches(torch.arange(5), torch.ones(5, dtype=torch.long), world_size=2)
