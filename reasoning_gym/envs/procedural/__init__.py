"""Procedurally generated environments: unlimited problems, no download, a reference solution for each."""

from reasoning_gym.envs.procedural.arithmetic import ArithmeticEnv
from reasoning_gym.envs.procedural.base import ProceduralEnv
from reasoning_gym.envs.procedural.countdown import CountdownEnv

__all__ = ["ArithmeticEnv", "CountdownEnv", "ProceduralEnv"]
