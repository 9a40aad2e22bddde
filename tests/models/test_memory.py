"""Contract tests of the per-GPU memory planner (reasoning_gym.models.memory): no weights, only configs."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoModelForTokenClassification,
    LlamaConfig,
    MistralConfig,
    Qwen2Config,
    Qwen3Config,
)

from reasoning_gym.models.memory import MemoryPlan, plan_memory
from reasoning_gym.models.memory_phases import compute_dtype_name
from reasoning_gym.models.memory_terms import ModelShape
from reasoning_gym.trainers.config import FSDPConfig, apply_overrides
from reasoning_gym.trainers.distributed import compute_dtype, needs_wrapping
from reasoning_gym.trainers.grpo import GRPOConfig
from reasoning_gym.trainers.ppo import PPOConfig
from reasoning_gym.trainers.rloo import RLOOConfig
from reasoning_gym.trainers.sppo import SPPOConfig

SMALL = {"vocab_size": 320, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2}
HEADS = {"num_attention_heads": 4, "num_key_value_heads": 2}

# (name, config) pairs whose parameter count must match a model built from the same config.
ARCHITECTURES = [
    ("llama", LlamaConfig(**SMALL, **HEADS)),
    ("llama tied", LlamaConfig(**SMALL, **HEADS, tie_word_embeddings=True)),
    ("llama biases", LlamaConfig(**SMALL, **HEADS, attention_bias=True, mlp_bias=True)),
    ("llama head_dim", LlamaConfig(**SMALL, **HEADS, head_dim=32)),
    ("qwen2 untied", Qwen2Config(**SMALL, **HEADS, tie_word_embeddings=False)),
    ("qwen2 tied", Qwen2Config(**SMALL, **HEADS, tie_word_embeddings=True)),
    ("qwen3", Qwen3Config(**SMALL, **HEADS, head_dim=16)),
    ("mistral", MistralConfig(**SMALL, **HEADS)),
]

# A 1.5B Qwen2 like DeepSeek-R1-Distill-Qwen-1.5B, and a 7B one; built here, so no file is read.
QWEN_1_5B = Qwen2Config(
    vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
    num_key_value_heads=2, tie_word_embeddings=False,
)  # fmt: skip
QWEN_7B = Qwen2Config(
    vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
    num_key_value_heads=4, tie_word_embeddings=False,
)  # fmt: skip
MODELS = {"hub/qwen-1.5b": QWEN_1_5B, "hub/qwen-7b": QWEN_7B}


def sppo(**overrides: object) -> SPPOConfig:
    """The paper's 1.5B SPPO setup with a token budget; ``overrides`` are dotted paths."""
    base = {
        "policy.path": "hub/qwen-1.5b", "critic.path": "hub/qwen-1.5b", "prompts_per_step": 256,
        "actor_optim.mini_batch_size": 128, "critic_optim.mini_batch_size": 128, "rollout.max_new_tokens": 8192,
        "actor_optim.max_tokens_per_micro_batch": 16384, "critic_optim.max_tokens_per_micro_batch": 16384,
    }  # fmt: skip
    return apply_overrides(SPPOConfig, {**base, **overrides})


def plan(config: object, **kwargs: object) -> MemoryPlan:
    return plan_memory(config, model_configs=MODELS, **kwargs)


@pytest.mark.parametrize(("name", "config"), ARCHITECTURES, ids=[name for name, _ in ARCHITECTURES])
def test_parameter_counts_match_models_built_from_the_config(name: str, config: object) -> None:
    shape = ModelShape.from_config(config)
    with torch.device("meta"):
        causal = AutoModelForCausalLM.from_config(config)
        critic = AutoModelForTokenClassification.from_config(config.__class__(**config.to_dict(), num_labels=1))
    assert shape.params() == sum(p.numel() for p in causal.parameters())
    assert shape.params(critic=True) == sum(p.numel() for p in critic.parameters())
    assert not shape.approximate


def test_per_gpu_memory_shrinks_with_more_gpus() -> None:
    peaks = [plan(sppo(), gpus=gpus) for gpus in (1, 2, 4, 8)]
    for fewer, more in zip(peaks, peaks[1:]):
        assert more.per_gpu_bytes < fewer.per_gpu_bytes
        for part in ("parameters", "gradients", "optimizer", "critic_optimizer"):
            assert more.parts[part] < fewer.parts[part]


def test_offload_moves_parameters_gradients_and_optimizer_to_cpu() -> None:
    on_gpu, offloaded = plan(sppo(), gpus=4), plan(sppo(**{"fsdp.offload": True}), gpus=4)
    for part in ("parameters", "gradients", "optimizer", "critic_parameters", "critic_optimizer"):
        assert on_gpu.parts[part] > 0
        assert offloaded.parts[part] == 0
    assert offloaded.host_bytes == sum(
        on_gpu.parts[p] for p in on_gpu.parts if p.endswith(("parameters", "gradients", "optimizer"))
    )
    assert offloaded.phases["actor_update"] < on_gpu.phases["actor_update"]


@pytest.mark.parametrize("budget", [4096, 16384, None])
def test_checkpointing_lowers_activations(budget: int | None) -> None:
    overrides = {"actor_optim.max_tokens_per_micro_batch": budget, "actor_optim.micro_batch_size": 2}
    on = plan(sppo(**overrides, **{"policy.gradient_checkpointing": True}), gpus=4)
    off = plan(sppo(**overrides, **{"policy.gradient_checkpointing": False}), gpus=4)
    assert on.parts["activations_with_checkpointing"] < on.parts["activations_without_checkpointing"]
    assert on.parts["activations"] == on.parts["activations_with_checkpointing"]
    assert off.parts["activations"] == off.parts["activations_without_checkpointing"]
    assert on.phases["actor_update"] < off.phases["actor_update"]


def test_smaller_micro_batches_lower_the_actor_update() -> None:
    big = plan(sppo(**{"actor_optim.max_tokens_per_micro_batch": 65536}), gpus=4)
    small = plan(sppo(**{"actor_optim.max_tokens_per_micro_batch": 16384}), gpus=4)
    assert small.parts["activations"] < big.parts["activations"]
    assert small.phases["actor_update"] < big.phases["actor_update"]


def test_to_dict_is_json_with_the_verdict() -> None:
    result = plan(sppo(), gpus=4)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["per_gpu_bytes"] == result.per_gpu_bytes == max(result.phases.values())
    assert data["fits"] is True and result.suggestions == []
    assert {"rollout", "old_logprobs", "values", "critic_update", "actor_update"} == set(result.phases)
    table = result.table()
    assert "actor_update" in table and "fits" in table


def test_a_huge_model_on_a_small_gpu_gets_suggestions_that_lower_the_estimate() -> None:
    config = sppo(**{
        "policy.path": "hub/qwen-7b", "policy.gradient_checkpointing": False, "rollout.batch_size": 128,
        "actor_optim.max_tokens_per_micro_batch": 65536, "prompts_per_step": 64, "actor_optim.mini_batch_size": 64,
        "critic_optim.mini_batch_size": 64,
    })  # fmt: skip
    result = plan(config, gpus=1, gpu_memory_gib=24)
    assert not result.fits and result.suggestions
    assert all(flag.startswith("--") for flag in result.suggestions)
    assert result.suggestions[0] == "--policy.gradient_checkpointing"
    overrides, gpus = _parse_flags(result.suggestions)
    better = plan(apply_overrides(SPPOConfig, overrides, base=config), gpus=gpus, gpu_memory_gib=24)
    assert better.per_gpu_bytes < result.per_gpu_bytes


def _parse_flags(flags: list[str]) -> tuple[dict[str, object], int]:
    overrides, gpus = {}, 1
    for flag in flags:
        name, _, value = flag.removeprefix("--").partition(" ")
        if name == "nproc_per_node":
            gpus = int(value)
        else:
            overrides[name] = True if not value else int(value)
    return overrides, gpus


def test_reads_only_config_json(tmp_path) -> None:
    folder = tmp_path / "model"
    QWEN_1_5B.save_pretrained(folder)  # writes config.json and nothing else
    assert [p.name for p in folder.iterdir()] == ["config.json"]
    config = sppo(**{"policy.path": str(folder), "critic.path": str(folder)})
    assert plan_memory(config, gpus=4).per_gpu_bytes == plan(sppo(), gpus=4).per_gpu_bytes


@pytest.mark.parametrize(
    ("cls", "overrides", "phases"),
    [
        (SPPOConfig, {}, {"rollout", "old_logprobs", "values", "critic_update", "actor_update"}),
        (
            PPOConfig,
            {"kl.coef": 0.001},
            {"rollout", "old_logprobs", "ref_logprobs", "values", "critic_update", "actor_update"},
        ),
        (GRPOConfig, {"num_generations": 8}, {"rollout", "old_logprobs", "actor_update"}),
        (RLOOConfig, {"kl.coef": 0.001}, {"rollout", "old_logprobs", "ref_logprobs", "actor_update"}),
    ],
    ids=["sppo", "ppo+kl", "grpo", "rloo+kl"],
)
def test_each_trainer_gets_its_phases(cls: type, overrides: dict, phases: set[str]) -> None:
    paths = {"policy.path": "hub/qwen-1.5b", "prompts_per_step": 16, "actor_optim.mini_batch_size": 16}
    if "critic" in {f.name for f in cls.__dataclass_fields__.values()}:
        paths |= {"critic.path": "hub/qwen-1.5b", "critic_optim.mini_batch_size": 16}
    result = plan(apply_overrides(cls, {**paths, **overrides}), gpus=2)
    assert set(result.phases) == phases
    assert ("reference_parameters" in result.parts) == ("ref_logprobs" in phases)


def test_ppo_critic_reads_responses_and_sppo_critic_only_prompts() -> None:
    common = {"policy.path": "hub/qwen-1.5b", "critic.path": "hub/qwen-1.5b", "prompts_per_step": 16}
    common |= {"actor_optim.mini_batch_size": 16, "critic_optim.mini_batch_size": 16, "rollout.max_new_tokens": 4096}
    ppo = plan(apply_overrides(PPOConfig, common), gpus=2)
    sppo_plan = plan(apply_overrides(SPPOConfig, common), gpus=2)
    assert ppo.parts["critic_activations"] > sppo_plan.parts["critic_activations"]


def test_a_sleeping_vllm_engine_is_counted_only_while_it_generates_and_syncs() -> None:
    hf = plan(sppo(), gpus=4)
    awake = plan(sppo(**{"rollout.engine": "vllm", "rollout.sleep": False}), gpus=4)
    asleep = plan(sppo(**{"rollout.engine": "vllm"}), gpus=4)  # sleep mode is on by default
    share = awake.parts["vllm_engine"]
    assert share == int(0.5 * 80 * 2**30) and "weight_sync" in awake.phases
    assert awake.phases["actor_update"] - hf.phases["actor_update"] == share  # held through training
    assert asleep.phases["actor_update"] == hf.phases["actor_update"]  # freed while the policy trains
    assert asleep.phases["rollout"] >= share and asleep.phases["weight_sync"] >= share
    # vLLM samples from its own copy: no gathered policy in the rollout, unlike the HF engine.
    assert asleep.parts["rollout_weights"] == 0 < hf.parts["rollout_weights"]
    assert any("sleeps while the policy trains" in note for note in asleep.notes)


@pytest.mark.parametrize("param_dtype", ["auto", "float32", "bfloat16", None])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("weights", ["float32", "bfloat16"])
def test_dtype_rules_mirror_the_trainers(param_dtype: str | None, device: str, weights: str) -> None:
    fsdp = FSDPConfig(param_dtype=param_dtype)
    expected = compute_dtype(fsdp, device) or getattr(torch, weights)
    assert compute_dtype_name(fsdp, device, weights) == str(expected).removeprefix("torch.")
    config = sppo(**{"fsdp.param_dtype": param_dtype, "policy.dtype": weights})
    one = plan(config, gpus=1, device=device)
    wrapped = needs_wrapping(fsdp, device, getattr(torch, weights))
    assert (one.parts["unsharded_weights"] > 0) == wrapped
