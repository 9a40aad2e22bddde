"""The batched numpy tasks of experiments/classic_control_tasks.py: Gymnasium's dynamics and the success rules."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))
import classic_control_tasks as cct  # noqa: E402

CARTPOLE, MOUNTAINCAR, PENDULUM = (cct.TASKS[name] for name in ("cartpole", "mountaincar", "pendulum"))


@pytest.mark.parametrize("name", list(cct.TASKS))
def test_batched_dynamics_agree_with_gymnasium(name):
    assert cct.check_against_gymnasium(cct.TASKS[name], steps=100, episodes=4, seed=3) < 1e-6


@pytest.mark.parametrize("name", list(cct.TASKS))
def test_a_batch_steps_each_episode_as_if_alone(name):
    task = cct.TASKS[name]
    rng = np.random.default_rng(0)
    state, actions = task.reset(rng, 5), rng.integers(0, task.n_actions, 5)
    together = task.step(state, actions)
    alone = np.concatenate([task.step(state[i : i + 1], actions[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-12)


def test_cartpole_success_needs_the_pole_within_half_a_degree_at_the_end():
    half = np.deg2rad(0.5)
    states = np.array([[0, 0, 0, 0], [0, 0, 0.99 * half, 0], [0, 0, -0.99 * half, 0], [0, 0, 1.01 * half, 0]])
    assert CARTPOLE.final_success(states).tolist() == [True, True, True, False]


def test_cartpole_fails_when_the_pole_falls_or_the_cart_leaves():
    states = np.array([[0, 0, 0, 0], [2.5, 0, 0, 0], [-2.5, 0, 0, 0], [0, 0, np.deg2rad(13), 0], [0, 0, -0.3, 0]])
    assert CARTPOLE.failed(states).tolist() == [False, True, True, True, True]
    assert not CARTPOLE.reached(states).any()


def test_mountaincar_succeeds_on_reaching_x_045():
    states = np.array([[0.45, 0.0], [0.5, 0.01], [0.449, 0.07], [-0.5, 0.0]])
    assert MOUNTAINCAR.reached(states).tolist() == [True, True, False, False]
    assert MOUNTAINCAR.final_success(states).tolist() == [True, True, False, False]
    assert not MOUNTAINCAR.failed(states).any()


def test_pendulum_success_is_final_cos_theta_above_08():
    limit = np.arccos(0.8)
    states = np.array(
        [[0.0, 0.0], [0.99 * limit, 5.0], [-0.99 * limit, 0], [1.01 * limit, 0], [np.pi, 0], [2 * np.pi, 0]]
    )
    assert PENDULUM.final_success(states).tolist() == [True, True, True, False, False, True]
    assert not PENDULUM.failed(states).any() and not PENDULUM.reached(states).any()


@pytest.mark.parametrize("name", list(cct.TASKS))
def test_noiseless_controller_solves_the_task(name):
    """The scripted controller must succeed without noise, or behaviour cloning would have nothing to copy."""
    task = cct.TASKS[name]
    rng = np.random.default_rng(0)
    state = task.reset(rng, 64)
    active, success = np.ones(64, dtype=bool), np.zeros(64, dtype=bool)
    for _ in range(task.horizon):
        state = np.where(active[:, None], task.step(state, task.controller(state)), state)
        reached = active & task.reached(state)
        success |= reached
        active &= ~(reached | task.failed(state))
    success |= active & task.final_success(state)
    assert success.all()
