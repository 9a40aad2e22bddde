"""Batched classic-control tasks with a strictly binary terminal reward, and their noisy scripted controllers.

Helpers of ``classic_control.py`` (read its docstring first). Each task steps a whole batch of episodes at once
with numpy, using the equations and constants of the Gymnasium environment it names (the constants are read
from ``gymnasium.make(id).unwrapped``); :func:`check_against_gymnasium` replays random actions through both and
fails if they differ, so the batching cannot silently change the task. Gymnasium itself steps one episode at
a time in Python (only CartPole has a vectorised version), about 20x slower at these batch sizes.

A task's state is a float64 array ``[n, d]``. The reward is 1 for a success, else 0, given once at the end:

* ``cartpole``: CartPole-v1 for ``H`` = 200 steps; success iff it never falls (|x| > 2.4 or |theta| > 12 deg
  ends the episode as a failure) and the final |theta| <= 0.5 deg.
* ``mountaincar``: MountainCar-v0 for up to ``H`` = 1000 steps; success iff x >= 0.45 is reached (the episode
  ends there); x < 0.45 after ``H`` steps is a failure.
* ``pendulum``: Pendulum-v1 for ``H`` = 200 steps with the torque discretised to 5 actions {-2, -1, 0, 1, 2};
  success iff cos(theta) > 0.8 at the final step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

Array = np.ndarray
PENDULUM_TORQUES = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])


@dataclass(frozen=True)
class Task:
    """One task: its Gymnasium dynamics, success rule, observation features and scripted controller.

    Attributes:
        name: Short name used in file names and tables.
        gym_id: The Gymnasium environment whose dynamics and constants are used.
        horizon: H, the most steps of an episode.
        n_actions: Size of the discrete action space.
        batch: Trajectories per RL update (the SPPO paper's batch sizes, section 5.3).
        noise: Probability that the scripted controller takes a uniformly random action instead of its own.
        reset: ``(rng, n) -> state [n, d]``, Gymnasium's initial-state distribution.
        step: ``(state, actions) -> state``, one Gymnasium step for the whole batch.
        features: ``state -> [n, k]`` float32 policy inputs, scaled to O(1) by fixed constants.
        failed: ``state -> [n]`` bool, the episode ended early as a failure (CartPole falling).
        reached: ``state -> [n]`` bool, the episode ended early as a success (MountainCar at the goal).
        final_success: ``state -> [n]`` bool, success judged at the horizon.
        controller: ``state -> [n]`` int, the noiseless scripted action.
    """

    name: str
    gym_id: str
    horizon: int
    n_actions: int
    batch: int
    noise: float
    reset: Callable[[np.random.Generator, int], Array]
    step: Callable[[Array, Array], Array]
    features: Callable[[Array], Array]
    failed: Callable[[Array], Array]
    reached: Callable[[Array], Array]
    final_success: Callable[[Array], Array]
    controller: Callable[[Array], Array]


def _never(state: Array) -> Array:
    return np.zeros(len(state), dtype=bool)


# --------------------------------------------------------------------------------------------------------
# CartPole-v1 (Euler integrator, as Gymnasium's default)
# --------------------------------------------------------------------------------------------------------

_CP = gym.make("CartPole-v1").unwrapped
_CP_SCALE = np.array([2.4, 2.0, 0.05, 0.5])  # typical magnitudes: the precision task needs theta resolved finely
_CP_GAINS = np.array([0.0, 0.0, 1.0, 0.1])  # push towards the side the pole leans to, with some damping


def _cartpole_step(state: Array, actions: Array) -> Array:
    x, x_dot, theta, theta_dot = state.T
    force = np.where(actions == 1, _CP.force_mag, -_CP.force_mag)
    cos, sin = np.cos(theta), np.sin(theta)
    temp = (force + _CP.polemass_length * theta_dot**2 * sin) / _CP.total_mass
    theta_acc = (_CP.gravity * sin - cos * temp) / (_CP.length * (4.0 / 3.0 - _CP.masspole * cos**2 / _CP.total_mass))
    x_acc = temp - _CP.polemass_length * theta_acc * cos / _CP.total_mass
    tau = _CP.tau
    return np.stack([x + tau * x_dot, x_dot + tau * x_acc, theta + tau * theta_dot, theta_dot + tau * theta_acc], 1)


CARTPOLE = Task(
    name="cartpole",
    gym_id="CartPole-v1",
    horizon=200,
    n_actions=2,
    batch=64,
    noise=0.4,
    reset=lambda rng, n: rng.uniform(-0.05, 0.05, (n, 4)),
    step=_cartpole_step,
    features=lambda s: (s / _CP_SCALE).astype(np.float32),
    failed=lambda s: (np.abs(s[:, 0]) > _CP.x_threshold) | (np.abs(s[:, 2]) > _CP.theta_threshold_radians),
    reached=_never,
    final_success=lambda s: np.abs(s[:, 2]) <= np.deg2rad(0.5),
    controller=lambda s: (s @ _CP_GAINS > 0).astype(np.int64),
)

# --------------------------------------------------------------------------------------------------------
# MountainCar-v0
# --------------------------------------------------------------------------------------------------------

_MC = gym.make("MountainCar-v0").unwrapped
_MC_GOAL = 0.45


def _mountaincar_step(state: Array, actions: Array) -> Array:
    position, velocity = state.T
    velocity = velocity + (actions - 1) * _MC.force + np.cos(3 * position) * (-_MC.gravity)
    velocity = np.clip(velocity, -_MC.max_speed, _MC.max_speed)
    position = np.clip(position + velocity, _MC.min_position, _MC.max_position)
    velocity = np.where((position == _MC.min_position) & (velocity < 0), 0.0, velocity)
    return np.stack([position, velocity], 1)


MOUNTAINCAR = Task(
    name="mountaincar",
    gym_id="MountainCar-v0",
    horizon=1000,
    n_actions=3,
    batch=8,
    noise=0.95,
    reset=lambda rng, n: np.stack([rng.uniform(-0.6, -0.4, n), np.zeros(n)], 1),
    step=_mountaincar_step,
    features=lambda s: ((s - [-0.3, 0.0]) / [0.9, _MC.max_speed]).astype(np.float32),
    failed=_never,
    reached=lambda s: s[:, 0] >= _MC_GOAL,
    final_success=lambda s: s[:, 0] >= _MC_GOAL,
    # Pump energy: push the way the car already moves.
    controller=lambda s: np.where(s[:, 1] >= 0, 2, 0).astype(np.int64),
)

# --------------------------------------------------------------------------------------------------------
# Pendulum-v1, torque discretised to PENDULUM_TORQUES
# --------------------------------------------------------------------------------------------------------

_PD = gym.make("Pendulum-v1").unwrapped


def _pendulum_step(state: Array, actions: Array) -> Array:
    theta, theta_dot = state.T
    torque = PENDULUM_TORQUES[actions]
    gain = 3 * _PD.g / (2 * _PD.l) * np.sin(theta) + 3.0 / (_PD.m * _PD.l**2) * torque
    theta_dot = np.clip(theta_dot + gain * _PD.dt, -_PD.max_speed, _PD.max_speed)
    return np.stack([theta + theta_dot * _PD.dt, theta_dot], 1)


def _pendulum_controller(state: Array) -> Array:
    """Energy pumping towards the upright energy, and a PD controller once near the top."""
    theta = (state[:, 0] + np.pi) % (2 * np.pi) - np.pi
    theta_dot = state[:, 1]
    # Rod about its pivot: kinetic (1/2)(m l^2 / 3) w^2, potential m g (l/2) cos(theta); upright is m g l / 2.
    energy = theta_dot**2 / 6 * _PD.m * _PD.l**2 + _PD.m * _PD.g * _PD.l / 2 * np.cos(theta)
    direction = np.sign(theta_dot + 1e-9)
    swing = np.where(energy < _PD.m * _PD.g * _PD.l / 2, 2.0, -2.0) * direction
    torque = np.where(np.cos(theta) > 0.8, -(10 * theta + 2 * theta_dot), swing)
    return np.abs(PENDULUM_TORQUES[None, :] - np.clip(torque, -2, 2)[:, None]).argmin(1)


PENDULUM = Task(
    name="pendulum",
    gym_id="Pendulum-v1",
    horizon=200,
    n_actions=len(PENDULUM_TORQUES),
    batch=16,
    noise=0.7,
    reset=lambda rng, n: np.stack([rng.uniform(-np.pi, np.pi, n), rng.uniform(-1.0, 1.0, n)], 1),
    step=_pendulum_step,
    features=lambda s: np.stack([np.cos(s[:, 0]), np.sin(s[:, 0]), s[:, 1] / _PD.max_speed], 1).astype(np.float32),
    failed=_never,
    reached=_never,
    final_success=lambda s: np.cos(s[:, 0]) > 0.8,
    controller=_pendulum_controller,
)

TASKS = {task.name: task for task in (CARTPOLE, MOUNTAINCAR, PENDULUM)}


def scripted_actions(task: Task, state: Array, rng: np.random.Generator) -> Array:
    """The scripted controller's actions, each replaced by a uniformly random one with probability ``task.noise``."""
    actions = task.controller(state)
    random = rng.random(len(state)) < task.noise
    return np.where(random, rng.integers(0, task.n_actions, len(state)), actions)


def check_against_gymnasium(task: Task, steps: int = 60, episodes: int = 3, seed: int = 0) -> float:
    """Step Gymnasium's own environment and the batched copy with the same random actions; return the max error.

    Raises:
        AssertionError: If a state ever differs by more than 1e-6 (Gymnasium returns float32 observations).
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for episode in range(episodes):
        env = gym.make(task.gym_id).unwrapped
        env.reset(seed=seed + episode)
        state = np.array(env.state, dtype=np.float64)[None, :]
        for _ in range(steps):
            action = int(rng.integers(task.n_actions))
            gym_action = np.array([PENDULUM_TORQUES[action]]) if task.name == "pendulum" else action
            env.step(gym_action)
            state = task.step(state, np.array([action]))
            worst = max(worst, float(np.abs(np.asarray(env.state, dtype=np.float64) - state[0]).max()))
            if task.failed(state)[0] or task.reached(state)[0]:
                break
    assert worst < 1e-6, f"{task.name}: the batched dynamics differ from {task.gym_id} by {worst:.3g}"
    return worst
