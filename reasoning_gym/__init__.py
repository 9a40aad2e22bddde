"""reasoning_gym: a verifier-centric reasoning gym with pluggable RL trainers for LLMs.

>>> import reasoning_gym as rg
>>> env = rg.make("rg/Arithmetic-v0")
>>> prompt, info = env.reset(seed=0)
>>> obs, reward, terminated, truncated, info = env.step("... \\boxed{42}")

Importing this package registers the built-in environments; it never imports torch.
"""

__version__ = "0.1.0"

from reasoning_gym import envs as envs  # noqa: E402 - registers the built-in envs.
from reasoning_gym.registry import list_envs, make, register_dataset_env, register_env  # noqa: E402

__all__ = ["__version__", "list_envs", "make", "register_dataset_env", "register_env"]
