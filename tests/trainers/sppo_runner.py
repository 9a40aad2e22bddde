"""Run a trainer's command line in a subprocess with a cheap, deterministic Gymnasium env registered.

The built-in envs grade in a verifier worker pool whose start-up (importing sympy in fresh processes) costs
several seconds on a loaded 2-core machine; subprocess tests use this env instead. Usage (also under
``torchrun``): ``python tests/trainers/sppo_runner.py [ALGORITHM] --env.id rgtest/LastDigit-v0 --env.kwargs '{}' ...``
(ALGORITHM defaults to sppo).
"""

import string
import sys

import gymnasium as gym
from gymnasium import spaces

ENV_ID = "rgtest/LastDigit-v0"


class LastDigitEnv(gym.Env):
    """'What is a + b?'; reward 1 when the last digit of the sum appears anywhere in the response."""

    def __init__(self):
        self.observation_space = spaces.Text(max_length=100, min_length=0, charset=string.printable)
        self.action_space = spaces.Text(max_length=10_000, min_length=0, charset=string.printable)
        self._digit = None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        a, b = (int(x) for x in self.np_random.integers(0, 50, size=2))
        self._digit = str((a + b) % 10)  # lenient on purpose, so that a random policy earns some reward
        return f"What is {a} + {b}?", {}

    def step(self, action):
        return "", float(self._digit in action), True, False, {}


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=LastDigitEnv)


if __name__ == "__main__":
    from reasoning_gym.trainers import TRAINERS, get_trainer

    args = sys.argv[1:]
    name = args.pop(0) if args and args[0] in TRAINERS else "sppo"
    sys.exit(get_trainer(name).main(args))
