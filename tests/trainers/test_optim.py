"""AdamW construction, clipped steps that skip non-finite gradients, and learning-rate schedules."""

import math
import re

import pytest
import torch

from reasoning_gym.trainers.config import OptimConfig
from reasoning_gym.trainers.optim import make_optimizer, optimizer_step, scheduled_lr, set_lr


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
