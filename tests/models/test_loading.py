"""Loading policies and critics (real or meta-device skeletons) and the errors a user gets for a bad model."""

import shutil
from pathlib import Path

import pytest
import torch
import transformers

from reasoning_gym.errors import ModelLoadError
from reasoning_gym.models.config import TINY_MODEL_NAMES, ModelConfig, is_tiny
from reasoning_gym.models.loading import (
    VALUE_HEAD_FILE,
    Critic,
    load_causal_lm,
    load_critic,
    load_critic_model,
    load_policy,
)
from reasoning_gym.models.tiny import TINY_MODELS, build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny"), "tiny"))


@pytest.fixture(scope="module")
def tiny_qwen2(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"), "tiny-qwen2"))


def test_tiny_names_match_the_built_in_models():
    assert set(TINY_MODEL_NAMES) == set(TINY_MODELS)
    assert is_tiny("tiny") and not is_tiny("Qwen/Qwen2.5-1.5B")


@pytest.mark.parametrize(
    ("path", "flag", "expected"),
    [("tiny", None, False), ("small", None, False), ("/models/qwen-7b", None, True), ("tiny", True, True),
     ("org/model", False, False)],
)  # fmt: skip
def test_gradient_checkpointing_is_on_by_default_for_real_models_only(path, flag, expected):
    config = ModelConfig(path=path, gradient_checkpointing=flag)
    assert config.checkpointing is expected
    # A copy saved elsewhere (warm start, checkpoint) keeps the original's setting.
    assert config.saved_at("/runs/x/checkpoint-3/policy").checkpointing is expected


def test_loaded_models_train_without_dropout(tiny_qwen2, tmp_path):
    config = transformers.AutoConfig.from_pretrained(tiny_qwen2)
    config.attention_dropout = 0.3
    shutil.copytree(tiny_qwen2, tmp_path, dirs_exist_ok=True)
    config.save_pretrained(tmp_path)
    policy, _ = load_policy(ModelConfig(path=str(tmp_path)))
    critic, _ = load_critic(ModelConfig(path=str(tmp_path)))
    for model in (policy, critic.model):
        assert model.training  # from_pretrained returns eval mode
        assert all(m.p == 0 for m in model.modules() if isinstance(m, torch.nn.Dropout))
        assert all(getattr(m, "attention_dropout", 0.0) == 0.0 for m in model.modules())


def test_checkpointing_is_enabled_non_reentrant(tiny):
    model = load_causal_lm(ModelConfig(path=tiny, gradient_checkpointing=True))
    assert any(getattr(m, "gradient_checkpointing", False) for m in model.modules())
    ids = torch.tensor([[5, 6, 7, 8]])
    model(ids).logits.sum().backward()  # runs; the reentrant variant would warn about inputs without grad
    assert model.lm_head.weight.grad is not None


@pytest.mark.parametrize("kind", ["policy", "critic"])
def test_skeletons_have_the_real_models_names_and_shapes_on_the_meta_device(tiny, tiny_qwen2, kind):
    config = ModelConfig(path=tiny if kind == "policy" else tiny_qwen2)
    load = load_causal_lm if kind == "policy" else load_critic_model
    real, skeleton = load(config), load(config, skeleton=True)
    shapes = {k: v.shape for k, v in real.state_dict().items()}
    assert {k: v.shape for k, v in skeleton.state_dict().items()} == shapes
    assert all(p.device.type == "meta" for p in skeleton.parameters())


def test_critic_uses_a_token_classification_head_with_its_own_tokenizer(tiny_qwen2, tmp_path):
    critic, tokenizer = load_critic(ModelConfig(path=tiny_qwen2))
    assert type(critic.model).__name__ == "Qwen2ForTokenClassification" and critic.value_head is None
    assert critic.model.dropout.p == 0.0  # the value must not be noisy in train mode
    assert type(tokenizer).__name__ == "Qwen2Tokenizer" and tokenizer.padding_side == "left"
    ids = tokenizer(["What is 2+2?", "7 * 8 ="], padding=True, return_tensors="pt")
    logits = critic(ids["input_ids"], ids["attention_mask"])
    assert logits.shape == ids["input_ids"].shape
    assert torch.sigmoid(logits[:, -1]).sub(0.5).abs().max() < 0.1  # a fresh head starts near V = 0.5
    critic.save_pretrained(tmp_path)
    reloaded = Critic.from_pretrained(str(tmp_path))
    torch.testing.assert_close(reloaded(ids["input_ids"], ids["attention_mask"]), logits)


def test_critic_falls_back_to_a_linear_head_and_saves_it(tiny, tmp_path, monkeypatch):
    def unsupported(*args, **kwargs):
        raise ValueError("Unrecognized configuration class for this kind of AutoModel")

    monkeypatch.setattr(transformers.AutoModelForTokenClassification, "from_pretrained", unsupported)
    critic = Critic.from_pretrained(tiny)
    assert critic.value_head is not None
    with torch.no_grad():
        critic.value_head.bias.fill_(0.25)
    ids, mask = torch.tensor([[0, 5, 6, 7]]), torch.tensor([[0, 1, 1, 1]])
    logits = critic(ids, mask)
    critic.save_pretrained(tmp_path)
    assert (tmp_path / VALUE_HEAD_FILE).exists()
    torch.testing.assert_close(Critic.from_pretrained(str(tmp_path))(ids, mask), logits)


def test_critic_value_ignores_left_padding(tiny_qwen2):
    critic, _ = load_critic(ModelConfig(path=tiny_qwen2))
    with torch.no_grad():
        alone = critic(torch.tensor([[5, 6, 7]]), torch.ones(1, 3, dtype=torch.long))[:, -1]
        padded = critic(torch.tensor([[0, 0, 5, 6, 7]]), torch.tensor([[0, 0, 1, 1, 1]]))[:, -1]
    torch.testing.assert_close(alone, padded, atol=1e-5, rtol=1e-5)


# (path, environment, what the one message must contain): each names the flag and the fix.
LOAD_ERRORS = [
    ("./no/such/folder", {}, ["policy folder './no/such/folder'", "--policy.path", "does not exist"]),
    ("/abs/missing-model", {}, ["does not exist", "Fix:"]),
    (
        "nobody-xyz/not-a-real-model-4242",
        {"HF_HUB_OFFLINE": "1"},
        ["nobody-xyz/not-a-real-model-4242", "offline", "huggingface-cli download", "--policy.path"],
    ),
]


@pytest.mark.parametrize(("path", "env", "fragments"), LOAD_ERRORS)
def test_unloadable_models_raise_one_error_that_says_what_to_do(path, env, fragments, monkeypatch):
    import huggingface_hub.constants

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: set its constant too, or it would try the network.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", bool(env.get("HF_HUB_OFFLINE")))
    with pytest.raises(ModelLoadError) as info:
        load_policy(ModelConfig(path=path))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_a_folder_without_weights_names_the_folder(tiny, tmp_path):
    (tmp_path / "config.json").write_text((Path(tiny) / "config.json").read_text())
    with pytest.raises(ModelLoadError, match=r"Could not load the critic from .*--critic.path"):
        load_critic(ModelConfig(path=str(tmp_path)))


@pytest.mark.parametrize("packed", [False, True])
def test_critic_values_of_a_micro_batch_equal_each_prompt_alone(tiny_qwen2, packed):
    """Packed rows need the model to honour their position ids (no KV cache, or transformers ignores them)."""
    from reasoning_gym.models.batching import TokenBatch

    critic, tokenizer = load_critic(ModelConfig(path=tiny_qwen2))
    prompts = [tokenizer(f"What is {a} + {b}?")["input_ids"] for a, b in [(1, 2), (13, 45), (7, 8), (22, 9)]]
    batch = TokenBatch(prompts, [[] for _ in prompts], tokenizer.pad_token_id)
    with torch.no_grad():
        micro = batch.micro(torch.arange(4), packed=packed)
        together = micro.take_last_prompt(critic(micro.input_ids, micro.attention_mask, micro.position_ids))
        alone = [critic(torch.tensor([p]), torch.ones(1, len(p), dtype=torch.long))[0, -1] for p in prompts]
    torch.testing.assert_close(together, torch.stack(alone), atol=1e-5, rtol=1e-5)
