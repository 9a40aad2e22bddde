"""Chunked, fused log-probs equal the naive full-vocabulary computation, in value and in gradient."""

import pytest
import torch

from reasoning_gym.models.batching import TokenBatch
from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import load_causal_lm
from reasoning_gym.models.logprobs import chunk_rows, linear_logprobs, logprobs_from_logits, response_logprobs
from reasoning_gym.models.tiny import build_tiny_model

TOL = 1e-5


def naive(hidden, weight, bias, targets, temperature):
    """The old computation: full logits, a float32 copy divided by T, log-softmax, gather."""
    logits = torch.nn.functional.linear(hidden, weight, bias).float()
    if temperature not in (0, 1):
        logits = logits / temperature
    return logits.gather(-1, targets[:, None]).squeeze(-1) - torch.logsumexp(logits, -1)


# (positions, hidden, vocab, temperature, chunk, bias)
CASES = [
    (1, 8, 5, 1.0, None, False),
    (37, 16, 101, 0.6, 4, False),
    (37, 16, 101, 0.6, 37, True),
    (64, 32, 257, 1.3, 5, True),
    (10, 8, 11, 0.0, 3, False),  # greedy responses are scored at temperature 1
    (0, 8, 11, 0.6, 3, False),  # a micro-batch with no response token at all
]


@pytest.mark.parametrize(("n", "h", "v", "temperature", "chunk", "with_bias"), CASES)
def test_fused_values_and_gradients_equal_the_naive_ones(n, h, v, temperature, chunk, with_bias):
    gen = torch.Generator().manual_seed(n + v)
    hidden = torch.randn(n, h, generator=gen, requires_grad=True)
    weight = torch.randn(v, h, generator=gen, requires_grad=True)
    bias = torch.randn(v, generator=gen, requires_grad=True) if with_bias else None
    targets = torch.randint(0, v, (n,), generator=gen)
    upstream = torch.randn(n, generator=gen)
    params = [t for t in (hidden, weight, bias) if t is not None]

    ours, _ = linear_logprobs(hidden, weight, targets, bias=bias, temperature=temperature, chunk=chunk)
    (ours * upstream).sum().backward()
    grads = [t.grad.clone() for t in params]
    for t in params:
        t.grad = None
    reference = naive(hidden, weight, bias, targets, temperature)
    (reference * upstream).sum().backward()
    torch.testing.assert_close(ours, reference, atol=TOL, rtol=TOL)
    for got, t in zip(grads, params):
        torch.testing.assert_close(got, t.grad, atol=TOL, rtol=TOL)


def test_gradcheck_in_double_precision():
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(6, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(9, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(9, generator=gen, dtype=torch.float64, requires_grad=True)
    targets = torch.randint(0, 9, (6,), generator=gen)

    def f(hidden, weight, bias):
        return linear_logprobs(hidden, weight, targets, bias=bias, temperature=0.7, chunk=4)[0].double()

    # The kernel computes in float32 whatever the inputs, hence the loose tolerance.
    assert torch.autograd.gradcheck(f, (hidden, weight, bias), eps=1e-3, atol=1e-3, rtol=1e-2)


def test_entropy_matches_the_softmax_entropy():
    gen = torch.Generator().manual_seed(1)
    hidden, weight = torch.randn(20, 8, generator=gen), torch.randn(50, 8, generator=gen)
    targets = torch.randint(0, 50, (20,), generator=gen)
    _, entropy = linear_logprobs(hidden, weight, targets, temperature=0.6, chunk=7, with_entropy=True)
    probs = torch.softmax(hidden @ weight.T / 0.6, -1)
    expected = -(probs * probs.log()).sum(-1)
    torch.testing.assert_close(entropy, expected, atol=TOL, rtol=TOL)


def test_bfloat16_weights_accumulate_their_gradient_in_float32():
    gen = torch.Generator().manual_seed(2)
    hidden = torch.randn(300, 16, generator=gen).bfloat16().requires_grad_()
    weight = torch.randn(40, 16, generator=gen).bfloat16().requires_grad_()
    targets = torch.randint(0, 40, (300,), generator=gen)
    logp, _ = linear_logprobs(hidden, weight, targets, chunk=7)
    logp.sum().backward()
    assert logp.dtype == torch.float32 and weight.grad.dtype == torch.bfloat16
    exact_hidden, exact_weight = hidden.detach().float().requires_grad_(), weight.detach().float().requires_grad_()
    naive(exact_hidden, exact_weight, None, targets, 1.0).sum().backward()
    # Only the bf16 matmul inputs and the final cast round: the 43 chunks do not add up rounding errors.
    rel = (weight.grad.float() - exact_weight.grad).norm() / exact_weight.grad.norm()
    assert rel < 1e-2


def test_plain_path_for_existing_logits_is_chunked_and_exact():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(30, 70, generator=gen, requires_grad=True)
    targets = torch.randint(0, 70, (30,), generator=gen)
    ours, entropy = logprobs_from_logits(logits, targets, temperature=0.6, chunk=8, with_entropy=True)
    expected = torch.log_softmax(logits / 0.6, -1).gather(-1, targets[:, None]).squeeze(-1)
    torch.testing.assert_close(ours, expected)
    assert entropy.shape == (30,) and not entropy.requires_grad


def test_chunk_rows_bounds_a_chunks_logits():
    assert chunk_rows(152_064) * 152_064 * 4 <= 512 * 2**20 < (chunk_rows(152_064) + 1) * 152_064 * 4
    assert chunk_rows(10**12) == 1


# ---------------------------------------------------------------------------------------------------------
# Through a real model: padded, trimmed and packed micro-batches against one sequence at a time
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["tiny", "tiny-qwen2"])
def model(request, tmp_path_factory):
    path = build_tiny_model(tmp_path_factory.mktemp(request.param), request.param)
    return load_causal_lm(ModelConfig(path=str(path)))


ROWS = ([[11, 12, 13, 14, 15], [21, 22], [31, 32, 33]], [[41, 42], [51, 52, 53, 54], [61]])


def one_at_a_time(model, temperature):
    """The reference: each sequence alone, unpadded, through the model's own logits."""
    out = []
    for p, r in zip(*ROWS):
        logits = model(torch.tensor([p + r])).logits[0, len(p) - 1 : -1].float()
        logits = logits / temperature if temperature not in (0, 1) else logits
        out.append(torch.log_softmax(logits, -1).gather(-1, torch.tensor(r)[:, None]).squeeze(-1))
    return out


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_model_logprobs_equal_per_sequence_logprobs_with_gradients(model, packed, temperature):
    batch = TokenBatch(*ROWS, pad_id=3)
    micro = batch.micro(torch.arange(3), packed=packed)
    logp = response_logprobs(model, micro, temperature=temperature)
    (logp * micro.response_mask).sum().backward()
    ours = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    expected = one_at_a_time(model, temperature)
    sum(e.sum() for e in expected).backward()
    for row, e in enumerate(expected):
        torch.testing.assert_close(logp[row, : len(e)], e, atol=TOL, rtol=TOL)
    assert (logp[micro.response_mask == 0] == 0).all()
    for name, p in model.named_parameters():
        torch.testing.assert_close(ours[name], p.grad, atol=TOL, rtol=1e-4, msg=name)
    model.zero_grad()


def test_entropy_through_the_model(model):
    micro = TokenBatch(*ROWS, pad_id=3).micro(torch.arange(3))
    with torch.no_grad():
        logp, entropy = response_logprobs(model, micro, with_entropy=True)
    assert entropy.shape == logp.shape and (entropy[micro.response_mask == 1] > 0).all()


def test_the_output_layer_is_restored_after_the_call(model):
    head = model.get_output_embeddings()
    micro = TokenBatch(*ROWS, pad_id=3).micro(torch.arange(3))
    with torch.no_grad():
        response_logprobs(model, micro)
    assert "forward" not in head.__dict__
    assert model(torch.tensor([[1, 2, 3]])).logits.shape[-1] == head.weight.shape[0]


def test_models_that_rescale_logits_take_the_plain_path(model, monkeypatch):
    micro = TokenBatch(*ROWS, pad_id=3).micro(torch.arange(3))
    with torch.no_grad():
        fused = response_logprobs(model, micro)
        monkeypatch.setattr(model.config, "final_logit_softcapping", 30.0, raising=False)
        plain = response_logprobs(model, micro)  # this model ignores the attribute: same numbers, other path
    torch.testing.assert_close(fused, plain, atol=TOL, rtol=TOL)
