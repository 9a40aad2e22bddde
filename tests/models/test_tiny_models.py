"""Built-in tiny models: tokenizers survive a save/reload, configs are what vLLM and the trainers need."""

import re

import pytest
from transformers import AutoModelForCausalLM, AutoTokenizer

from reasoning_gym.errors import UnknownNameError
from reasoning_gym.models.tiny import build_tiny_model, tiny_corpus, tiny_model_path, train_tiny_tokenizer

TEXTS = [
    "What is 123 + 4567? The answer is \\boxed{4690}.",
    "Using the numbers 3, 7 and 25, make 100.\n\nPlease reason step by step.",
    "  spaces,\ttabs and unicode: é, π ≈ 3.14159 — done",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
]


@pytest.mark.parametrize("name, tokenizer_class", [("tiny", "TokenizersBackend"), ("tiny-qwen2", "Qwen2Tokenizer")])
def test_tokenization_round_trips_through_save_pretrained(tmp_path, name, tokenizer_class):
    trained = train_tiny_tokenizer(tiny_corpus(), name)
    build_tiny_model(tmp_path, name)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    # transformers 5 swaps in Qwen2Tokenizer (and its pre-tokenizer) for qwen2 models: ids must still agree.
    assert type(reloaded).__name__ == tokenizer_class
    for text in TEXTS:
        assert reloaded(text)["input_ids"] == trained(text)["input_ids"], text
        assert reloaded.decode(reloaded(text)["input_ids"]) == text


def test_tiny_model_folder_is_a_normal_hf_model(tmp_path):
    build_tiny_model(tmp_path, "tiny")
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    assert model.config.model_type == "llama"
    assert model.config.tie_word_embeddings is False  # vLLM's in-place weight reload needs untied embeddings
    assert model.config.hidden_size <= 128 and model.config.num_hidden_layers == 2
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer.eos_token == "<|im_end|>" and model.generation_config.eos_token_id == tokenizer.eos_token_id
    assert tokenizer.pad_token == "<|pad|>" and tokenizer.padding_side == "left"
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "2+2?"}], add_generation_prompt=True, tokenize=False
    )
    assert rendered == "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"


def test_the_qwen2_tiny_model_differs_from_the_default(tmp_path):
    build_tiny_model(tmp_path / "a", "tiny")
    build_tiny_model(tmp_path / "b", "tiny-qwen2")
    a, b = (AutoModelForCausalLM.from_pretrained(tmp_path / x).config for x in "ab")
    assert (a.model_type, b.model_type) == ("llama", "qwen2")
    assert a.hidden_size != b.hidden_size and a.vocab_size != b.vocab_size


def test_tiny_model_path_builds_once_then_reuses_the_cache(tmp_path):
    first = tiny_model_path("tiny", cache_dir=tmp_path)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert tiny_model_path("tiny", cache_dir=tmp_path) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temp folders left behind


def test_building_is_deterministic(tmp_path):
    import torch
    from safetensors.torch import load_file

    build_tiny_model(tmp_path / "a", "tiny", seed=3)
    build_tiny_model(tmp_path / "b", "tiny", seed=3)
    a, b = (load_file(tmp_path / x / "model.safetensors") for x in "ab")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_unknown_tiny_model_lists_the_valid_names(tmp_path):
    with pytest.raises(UnknownNameError, match=re.escape("Valid tiny models: small, tiny, tiny-qwen2")):
        tiny_model_path("tiny-gpt", cache_dir=tmp_path)
