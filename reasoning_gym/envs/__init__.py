"""Built-in environments, registered in Gymnasium's registry under the ``rg`` namespace.

This module only registers; envs are imported lazily through their string entry points. It never imports
torch.
"""

from reasoning_gym.envs.base import MATH_INSTRUCTION, Problem, ReasoningEnv, TextSpace
from reasoning_gym.envs.code import CODE_DATASETS
from reasoning_gym.envs.math import MATH_DATASETS
from reasoning_gym.registry import register_env

__all__ = ["MATH_INSTRUCTION", "Problem", "ReasoningEnv", "TextSpace"]

# ---- procedural: no download, unlimited problems, a reference solution for each -----------------------
register_env("rg/Arithmetic-v0", "reasoning_gym.envs.procedural.arithmetic:ArithmeticEnv")
register_env("rg/Countdown-v0", "reasoning_gym.envs.procedural.countdown:CountdownEnv")

# ---- math benchmarks and training sets (local files via REASONING_GYM_DATA_DIR, or the HF hub) ----------
for _env_id, _kwargs in MATH_DATASETS.items():
    register_env(_env_id, "reasoning_gym.envs.math:MathEnv", kwargs=_kwargs)

# ---- code (graded in the sandbox of the code verifier) -------------------------------------------------
for _env_id, _kwargs in CODE_DATASETS.items():
    register_env(_env_id, "reasoning_gym.envs.code:CodeEnv", kwargs=_kwargs)
