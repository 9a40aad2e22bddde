r"""Multi-step integer arithmetic with a worked, step-by-step reference solution."""

from __future__ import annotations

import numpy as np

from reasoning_gym.envs.base import Problem
from reasoning_gym.envs.procedural.base import ProceduralEnv, Split, check_int
from reasoning_gym.verifiers import verify_math_batch
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["ArithmeticEnv"]

_WORDS = {"+": "add", "-": "subtract", "*": "multiply by"}


class ArithmeticEnv(ProceduralEnv):
    r"""Follow a chain of arithmetic operations from a starting number to the final result.

    Description:
        "Start with 47. Step 1: add 38. Step 2: multiply by 7. Step 3: subtract 59. What is the final
        result?" The answer is only right if every step is, so the reward is sparse and the horizon grows
        with ``steps``: the long-horizon, sparse-reward setting of the SPPO paper at toy scale. Every problem
        has a reference solution that works through one line per step and ends in ``\boxed{result}``.

    Observation:
        The question and the math instruction (reason step by step, answer in ``\boxed{}``).

    Action:
        The model's response; the committed answer is extracted as in ``verify_math``.

    Reward:
        1.0 if the committed answer equals the exact integer result, else 0.0.

    Episode End:
        After the single ``step``.

    Arguments:
        steps: Number of operations after the starting number (default 4).
        digits: Digits of the starting number and of added/subtracted operands (default 2).
        mul_digits: Digits of multipliers (default 1), so that results stay readable.
        operations: Which of ``"+-*"`` may appear (default all three).
        split: ``"train"`` or ``"test"`` (disjoint problem texts).
        size: ``None`` for an unlimited stream, or ``N`` for a fixed set of N problems.
        answer_extraction: ``"strict"`` (default) or ``"flexible"``, as for ``verify_math``; the reward under
            both modes is in ``info["extraction_rewards"]``.

    Version History:
        * v0: Initial release.
    """

    def __init__(
        self,
        *,
        steps: int = 4,
        digits: int = 2,
        mul_digits: int = 1,
        operations: str = "+-*",
        split: Split = "train",
        size: int | None = None,
        answer_extraction: str = "strict",
        instruction: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(split=split, size=size, instruction=instruction, render_mode=render_mode)
        if answer_extraction not in ("strict", "flexible"):
            raise ValueError(f"answer_extraction={answer_extraction!r} is not valid; use 'strict' or 'flexible'.")
        self.answer_extraction = answer_extraction
        check_int("steps", steps, 1, 64)
        check_int("digits", digits, 1, 9)
        check_int("mul_digits", mul_digits, 1, 4)
        if not operations or set(operations) - set(_WORDS):
            raise ValueError(f"operations={operations!r} is not valid; use a non-empty subset of '+-*'.")
        self.steps, self.digits, self.mul_digits = steps, digits, mul_digits
        self.operations = "".join(sorted(set(operations), key="+-*".index))

    def _operand(self, rng: np.random.Generator, op: str) -> int:
        digits = self.mul_digits if op == "*" else self.digits
        low = 2 if op == "*" else 1  # Multiplying by 0 or 1 would make a step trivial.
        return int(rng.integers(max(low, 10 ** (digits - 1)), 10**digits))

    def generate(self, rng: np.random.Generator) -> Problem:
        """Draw a starting number and ``steps`` operations; work them out for the reference solution."""
        value = int(rng.integers(10 ** (self.digits - 1), 10**self.digits))
        question = [f"Start with {value}."]
        lines = [f"Start: {value}"]
        for step in range(1, self.steps + 1):
            op = self.operations[int(rng.integers(len(self.operations)))]
            operand = self._operand(rng, op)
            new = value + operand if op == "+" else value - operand if op == "-" else value * operand
            question.append(f"Step {step}: {_WORDS[op]} {operand}.")
            lines.append(f"Step {step}: {value} {op} {operand} = {new}")
            value = new
        question.append("What is the final result?")
        lines.append(f"The final answer is \\boxed{{{value}}}.")
        return Problem("", " ".join(question), str(value), "\n".join(lines))

    def score(self, problem: Problem, response: str) -> Verdict:
        """Grade with the math verifier (exact integer)."""
        return self.score_batch([problem], [response])[0]

    def score_batch(self, problems, responses) -> list[Verdict]:  # noqa: D102 - documented on the base class.
        answers = [p.answer for p in problems]
        return verify_math_batch(list(responses), answers, extraction=self.answer_extraction)
