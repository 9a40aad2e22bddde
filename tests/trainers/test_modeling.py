"""Policy/critic loading, the packed batch layout and exact per-token log-probs."""

import math
import re
import shutil

import pytest
import torch
import transformers

from reasoning_gym.trainers.config import ModelConfig, OptimConfig
from reasoning_gym.trainers.modeling import (
    VALUE_HEAD_FILE,
    Critic,
    load_critic,
    load_policy,
    make_optimizer,
    optimizer_step,
    pack_batch,
    response_logprobs,
    scheduled_lr,
    set_lr,
)
from reasoning_gym.trainers.tiny import build_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny"), "tiny"))


@pytest.fixture(scope="module")
def tiny_qwen2(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-qwen2"), "tiny-qwen2"))


def test_loaded_models_train_without_dropout(tiny, tiny_qwen2, tmp_path):
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


def test_pack_batch_layout():
    batch = pack_batch([[1, 2, 3], [4]], [[5], [6, 7]], pad_id=0)
    assert batch.prompt_width == 3
    assert batch.input_ids.tolist() == [[1, 2, 3, 5, 0], [0, 0, 4, 6, 7]]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 1, 0], [0, 0, 1, 1, 1]]
    assert batch.response_mask.tolist() == [[1, 0], [1, 1]]
    assert batch.response_ids.tolist() == [[5, 0], [6, 7]]
    assert batch.select(torch.tensor([1])).input_ids.tolist() == [[0, 0, 4, 6, 7]]


def test_padded_logprobs_equal_unpadded_per_sequence_logprobs(tiny):
    model, _ = load_policy(ModelConfig(path=tiny))
    prompts, responses = [[11, 12, 13, 14, 15], [21, 22]], [[31, 32], [41, 42, 43, 44]]
    with torch.no_grad():
        padded = response_logprobs(model, pack_batch(prompts, responses, pad_id=3), temperature=0.7)
        for row, (p, r) in enumerate(zip(prompts, responses)):
            logits = model(torch.tensor([p + r])).logits[0, len(p) - 1 : -1] / 0.7
            expected = torch.log_softmax(logits, -1).gather(-1, torch.tensor(r)[:, None]).squeeze(-1)
            torch.testing.assert_close(padded[row, : len(r)], expected, atol=1e-5, rtol=1e-5)


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


def test_optimizer_step_skips_non_finite_gradients():
    layer = torch.nn.Linear(2, 1)
    before = layer.weight.detach().clone()
    optimizer = make_optimizer(layer, OptimConfig(lr=0.1, mini_batch_size=1, micro_batch_size=1))
    (layer(torch.tensor([[1.0, 2.0]])) * float("nan")).sum().backward()
    norm, stepped = optimizer_step(layer, optimizer, max_norm=1.0)
    assert math.isnan(norm) and not stepped
    assert torch.equal(layer.weight, before) and layer.weight.grad is None
    layer(torch.tensor([[1.0, 2.0]])).sum().backward()
    _, stepped = optimizer_step(layer, optimizer, max_norm=1.0)
    assert stepped and not torch.equal(layer.weight, before)


# (schedule, warmup, min ratio, step, total) -> lr as a fraction of the peak, computed by hand.
LR_CASES = [
    ("constant", 0, 0.0, 1, 10, 1.0),
    ("constant", 0, 0.0, 10, 10, 1.0),
    ("constant", 3, 0.0, 1, 10, 0.25),  # warm-up: step / (warmup + 1)
    ("constant", 3, 0.0, 3, 10, 0.75),
    ("constant", 3, 0.0, 4, 10, 1.0),
    ("linear", 0, 0.0, 5, 10, 0.5),
    ("linear", 0, 0.0, 10, 10, 0.0),
    ("linear", 0, 0.1, 10, 10, 0.1),
    ("linear", 0, 0.1, 5, 10, 0.55),
    ("linear", 2, 0.0, 6, 10, 0.5),  # decay spans the 8 steps after warm-up
    ("cosine", 0, 0.0, 5, 10, 0.5),
    ("cosine", 0, 0.0, 10, 10, 0.0),
    ("cosine", 0, 0.2, 10, 10, 0.2),
    ("cosine", 0, 0.0, 2, 8, (1 + math.cos(math.pi / 4)) / 2),
    ("cosine", 0, 0.0, 12, 10, 0.0),  # past the end (a longer resumed run) stays at the floor
]


@pytest.mark.parametrize(("schedule", "warmup", "floor", "step", "total", "fraction"), LR_CASES)
def test_scheduled_lr_matches_hand_computed_values(schedule, warmup, floor, step, total, fraction):
    config = OptimConfig(lr=2e-4, schedule=schedule, warmup_steps=warmup, min_lr_ratio=floor)
    assert scheduled_lr(config, step, total) == pytest.approx(2e-4 * fraction, abs=1e-15)


def test_set_lr_changes_every_parameter_group():
    a, b = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW([{"params": a.parameters()}, {"params": b.parameters(), "lr": 5.0}], lr=1.0)
    set_lr(optimizer, 0.125)
    assert [group["lr"] for group in optimizer.param_groups] == [0.125, 0.125]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("warmup_steps", -1, "warmup_steps"), ("min_lr_ratio", 1.5, "min_lr_ratio"), ("min_lr_ratio", -0.1, "[0, 1]")],
)
def test_invalid_schedule_settings_name_the_field(field, value, fragment):
    from reasoning_gym.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(fragment)):
        OptimConfig(**{field: value})
