"""What every procedural env shares: deterministic problems by index, and disjoint train/test splits."""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np

from reasoning_gym.envs.base import Problem, ReasoningEnv

__all__ = ["ProceduralEnv", "Split", "check_int"]

Split = Literal["train", "test"]
_SPLIT_SALT = {"train": 0x7A11, "test": 0x7E57}
#: One problem text in ``_TEST_BUCKETS`` is test-only, the rest train-only, so the splits never overlap.
_TEST_BUCKETS = 10


def _bucket_is_test(text: str) -> bool:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % _TEST_BUCKETS == 0


def check_int(name: str, value: object, low: int, high: int | None = None) -> None:
    """Raise a ValueError naming the knob unless ``value`` is an int in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name}={value!r} is out of range; use an int in {bounds}.")


class ProceduralEnv(ReasoningEnv):
    """A :class:`ReasoningEnv` whose problem ``i`` is generated from a seed derived from ``(split, i)``.

    Subclasses implement :meth:`generate`. Problem texts are hashed into buckets: a text lands in exactly
    one split, so held-out evaluation on ``split="test"`` never sees a training problem.

    Args:
        split: ``"train"`` or ``"test"``.
        size: ``None`` for an unlimited stream (``reset()`` draws any index), or ``N`` for the fixed problem
            set ``0..N-1`` (then ``len(env.unwrapped) == N``).
        instruction: Overrides the instruction appended to each question.
        render_mode: ``"ansi"`` or ``None``.
    """

    #: Upper bound of the index space of an unlimited stream.
    _MAX_INDEX = 2**31 - 1

    def __init__(
        self,
        *,
        split: Split = "train",
        size: int | None = None,
        instruction: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(instruction=instruction, render_mode=render_mode)
        if split not in _SPLIT_SALT:
            raise ValueError(f"split={split!r} is not valid; use 'train' or 'test'.")
        if size is not None:
            check_int("size", size, 1)
        self.split, self.size = split, size

    def generate(self, rng: np.random.Generator) -> Problem:
        """Draw one problem from ``rng``; its ``id`` is filled in by :meth:`get_problem`."""
        raise NotImplementedError

    def __len__(self) -> int:
        if self.size is None:
            return super().__len__()
        return self.size

    def sample_index(self, rng: np.random.Generator) -> int:
        """Uniform over ``0..size-1``, or over the whole index space of an unlimited stream."""
        return int(rng.integers(self.size if self.size is not None else self._MAX_INDEX))

    def get_problem(self, index: int) -> Problem:
        """Generate problem ``index`` of this split (the same on every machine and every call)."""
        rng = np.random.default_rng([_SPLIT_SALT[self.split], index])
        want_test = self.split == "test"
        for _ in range(1000):  # About one draw in ten lands in the test buckets, so this ends fast.
            problem = self.generate(rng)
            if _bucket_is_test(problem.question) == want_test:
                return Problem(
                    f"{self.split}-{index}", problem.question, problem.answer, problem.solution, problem.meta
                )
        raise RuntimeError(
            f"{type(self).__name__} could not generate a {self.split} problem for index {index}; "
            "its settings allow too few distinct problems. Increase digits/steps/numbers."
        )
