"""The transformers rollout engine: shapes, EOS handling, exact log-probs, seeding, clean sampling settings."""

import importlib.util
import re

import pytest
import torch

from reasoning_gym.errors import MissingDependencyError
from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import load_policy
from reasoning_gym.models.tiny import build_tiny_model
from reasoning_gym.rollout import RolloutEngine, SamplingParams, encode_prompt
from reasoning_gym.rollout.hf import HFEngine

PROMPTS = [
    [{"role": "user", "content": "What is 2 + 2?"}],
    "Compute 3 * 7 =",
    [{"role": "user", "content": "Using the numbers 3, 7 and 25, make 100. Show your work."}],
]


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    return load_policy(ModelConfig(path=str(build_tiny_model(tmp_path_factory.mktemp("tiny"), "tiny"))))


@pytest.fixture
def engine(policy):
    model, tokenizer = policy
    return HFEngine(model, tokenizer, batch_size=4)


def test_engine_satisfies_the_protocol(engine):
    assert isinstance(engine, RolloutEngine)


def test_generate_returns_n_samples_per_prompt_in_prompt_order(engine):
    samples = engine.generate(PROMPTS, SamplingParams(max_new_tokens=6, n=3, seed=0))
    assert [s.prompt_index for s in samples] == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # 9 samples over 3 chunks of 4
    for s in samples:
        assert s.prompt_ids == encode_prompt(engine.tokenizer, PROMPTS[s.prompt_index])
        assert 1 <= len(s.response_ids) <= 6
        assert s.logprobs is None  # the trainer computes them in its own pass
        assert s.text == engine.tokenizer.decode(s.response_ids, skip_special_tokens=True)
        assert s.finish_reason == ("stop" if s.response_ids[-1] in engine.eos_ids else "length")


def test_chat_prompts_use_the_chat_template_and_strings_are_verbatim(engine):
    tok = engine.tokenizer
    assert (
        tok.decode(encode_prompt(tok, PROMPTS[0]))
        == "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n"
    )
    assert tok.decode(encode_prompt(tok, "Compute 3 * 7 =")) == "Compute 3 * 7 ="


def test_generate_runs_no_forward_pass_after_sampling(engine, monkeypatch):
    """The engine's old log-prob pass over the whole chunk is gone: the trainer recomputes them anyway."""
    calls = []
    original = engine.model.forward
    monkeypatch.setattr(engine.model, "forward", lambda *a, **k: calls.append(k.get("use_cache")) or original(*a, **k))
    samples = engine.generate(PROMPTS, SamplingParams(temperature=0.6, max_new_tokens=8, seed=1))
    steps = max(len(s.response_ids) for s in samples)
    assert len(calls) <= steps  # one forward per generated token (per chunk), nothing more
    assert all(s.logprobs is None for s in samples)


def test_seeded_calls_are_reproducible_and_leave_global_rng_alone(engine):
    params = SamplingParams(max_new_tokens=8, n=2, seed=7)
    torch.manual_seed(123)
    first = engine.generate(PROMPTS, params)
    after = torch.rand(1)
    torch.manual_seed(123)
    second = engine.generate(PROMPTS, params)
    assert [s.response_ids for s in first] == [s.response_ids for s in second]
    assert torch.equal(torch.rand(1), after)


def greedy_reference(model, prompt_ids, steps):
    ids = list(prompt_ids)
    with torch.no_grad():
        for _ in range(steps):
            ids.append(int(model(torch.tensor([ids])).logits[0, -1].argmax()))
    return ids[len(prompt_ids) :]


def test_greedy_ignores_the_models_own_generation_defaults(policy):
    model, tokenizer = policy
    saved = model.generation_config
    model.generation_config = saved.__class__(**saved.to_dict())
    model.generation_config.repetition_penalty = 5.0  # would change greedy output if it leaked through
    model.generation_config.no_repeat_ngram_size = 1
    try:
        engine = HFEngine(model, tokenizer)
        sample = engine.generate(PROMPTS[:1], SamplingParams(temperature=0, max_new_tokens=10))[0]
    finally:
        model.generation_config = saved
    expected = greedy_reference(model, sample.prompt_ids, 10)
    cut = next((i + 1 for i, t in enumerate(expected) if t in engine.eos_ids), len(expected))
    assert sample.response_ids == expected[:cut]


def test_generation_stops_at_any_eos_token_and_keeps_it(policy):
    model, tokenizer = policy
    first = HFEngine(model, tokenizer).generate(PROMPTS[:1], SamplingParams(temperature=0, max_new_tokens=5))[0]
    saved = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, first.response_ids[0]]
    try:
        engine = HFEngine(model, tokenizer)
        sample = engine.generate(PROMPTS[:1], SamplingParams(temperature=0, max_new_tokens=5))[0]
    finally:
        model.generation_config.eos_token_id = saved
    assert sample.response_ids == first.response_ids[:1] and sample.finish_reason == "stop"


def test_load_weights_replaces_the_sampled_weights(policy, tmp_path):
    model, tokenizer = policy
    other, _ = load_policy(ModelConfig(path=str(build_tiny_model(tmp_path, "tiny", seed=1))))
    engine = HFEngine(other, tokenizer)
    engine.load_weights(model.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values()))


def test_vllm_engine_names_the_extra_when_missing():
    pytest.importorskip("torch")
    from reasoning_gym.rollout.vllm import VLLMEngine

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed: tests/rollout/test_vllm_engine.py tests the engine itself")
    with pytest.raises(MissingDependencyError, match=re.escape("pip install 'rgym[vllm]'")):
        VLLMEngine("tiny", None)


def test_sampling_params_validate():
    with pytest.raises(ValueError, match="top_p must be in"):
        SamplingParams(top_p=0)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        SamplingParams(temperature=-1)
