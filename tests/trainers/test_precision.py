"""Mixed precision on one process: float32 master weights and optimizer state, bfloat16 compute.

At the paper's learning rate of 1e-6, AdamW's first step moves every weight by about 1e-6. A float32 weight
keeps such a change; a bfloat16 weight of typical size (ulp ~1e-4) rounds it away. So the fp32-master run
must change nearly every weight that has a gradient, and a pure-bf16 run almost none.
"""

import pytest
import torch
from safetensors.torch import load_file
from sppo_runner import ENV_ID

from reasoning_gym.models.tiny import tiny_model_path
from reasoning_gym.trainers.config import FSDPConfig, parse_config
from reasoning_gym.trainers.distributed import compute_dtype, needs_wrapping
from reasoning_gym.trainers.sppo import SPPOConfig, train


def one_step(out, *flags):
    args = [
        "--policy.path", str(tiny_model_path("tiny")), "--critic.path", str(tiny_model_path("tiny-qwen2")),
        "--env.id", ENV_ID, "--env.kwargs", "{}", "--prompts_per_step", "8", "--actor_optim.mini_batch_size", "8",
        "--critic_optim.mini_batch_size", "8", "--actor_optim.lr", "1e-6", "--rollout.max_new_tokens", "12",
        "--rollout.temperature", "1.0", "--run.steps", "1", "--run.device", "cpu", "--run.output_dir", str(out), *flags,
    ]  # fmt: skip
    return train(parse_config(SPPOConfig, args))


def changed_fraction(out):
    before = load_file(tiny_model_path("tiny") / "model.safetensors")
    after = load_file(out / "checkpoint-1" / "policy" / "model.safetensors")
    # Against the initial weights in the run's own dtype: loading into bf16 rounds them before any update.
    changed = sum((before[k].to(after[k].dtype) != after[k]).sum().item() for k in before)
    return changed / sum(v.numel() for v in before.values()), {v.dtype for v in after.values()}


@pytest.mark.parametrize(
    ("device", "param_dtype", "weights", "expected", "wrapped"),
    [
        ("cuda", "auto", torch.float32, torch.bfloat16, True),  # the GPU default: mixed precision, one process too
        ("cpu", "auto", torch.float32, None, False),  # CPUs compute in the weights' dtype and stay unwrapped
        ("cpu", "bfloat16", torch.float32, torch.bfloat16, True),
        ("cpu", "float32", torch.float32, torch.float32, False),
        ("cuda", "bfloat16", torch.bfloat16, torch.bfloat16, False),  # pure bf16: nothing for FSDP to do
    ],
)
def test_compute_dtype_and_wrapping_rules(device, param_dtype, weights, expected, wrapped):
    config = FSDPConfig(param_dtype=param_dtype)
    assert compute_dtype(config, device) == expected
    assert needs_wrapping(config, device, weights) is wrapped
    assert needs_wrapping(FSDPConfig(param_dtype=param_dtype, offload=True), device, weights)


def test_bf16_compute_on_one_process_updates_the_float32_master_weights_at_lr_1e_6(tmp_path):
    result = one_step(tmp_path / "mixed", "--fsdp.param_dtype", "bfloat16")
    fraction, dtypes = changed_fraction(tmp_path / "mixed")
    print(f"mixed precision: {fraction:.1%} of the policy's weights changed")
    assert dtypes == {torch.float32} and fraction > 0.5
    assert torch.isfinite(torch.tensor(result.history[-1]["loss/policy"]))


def test_pure_bf16_weights_lose_updates_at_lr_1e_6(tmp_path):
    with pytest.warns(UserWarning, match="cannot apply updates"):
        one_step(tmp_path / "pure", "--policy.dtype", "bfloat16", "--fsdp.param_dtype", "bfloat16")
    fraction, dtypes = changed_fraction(tmp_path / "pure")
    print(f"pure bf16: {fraction:.1%} of the policy's weights changed")
    assert dtypes == {torch.bfloat16} and fraction < 0.1
