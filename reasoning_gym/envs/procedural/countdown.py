r"""The Countdown numbers game: reach a target with + - * / using each given number once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reasoning_gym.envs.base import Problem
from reasoning_gym.envs.procedural.base import ProceduralEnv, Split, check_int
from reasoning_gym.verifiers.countdown import verify_countdown_batch
from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["CountdownEnv"]

COUNTDOWN_INSTRUCTION = (
    "Use each of the given numbers exactly once, with +, -, * and / and parentheses, to reach the target. "
    "Think step by step, then put the final expression within \\boxed{}."
)


def _strip_outer_parens(expr: str) -> str:
    """Drop one pair of parentheses around the whole expression (not those of "(a) - (b)")."""
    if not (expr.startswith("(") and expr.endswith(")")):
        return expr
    depth = 0
    for i, ch in enumerate(expr):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(expr) - 1:
            return expr
    return expr[1:-1]


class CountdownEnv(ProceduralEnv):
    r"""Combine the given numbers with + - * / into an expression equal to the target.

    Description:
        "Numbers: 3, 7, 25, 8. Target: 182." Any expression that uses each number exactly once and
        evaluates exactly (fractions allowed along the way) to the target is correct, so there are usually
        many right answers: the verifier evaluates, it never compares with one reference. Puzzles are built
        backwards from a random expression over the numbers, so each is solvable; that expression is the
        reference solution.

    Observation:
        The numbers, the target and the instruction to answer with an expression in ``\boxed{}``.

    Action:
        The model's response; the committed expression is the last ``\boxed{}`` (``\times``, ``\div`` and
        a trailing ``= target`` are accepted).

    Reward:
        1.0 if the expression uses exactly the given numbers and equals the target, else 0.0.

    Episode End:
        After the single ``step``.

    Arguments:
        numbers: How many numbers (default 4, at least 2).
        max_number: Numbers are drawn from 1..max_number (default 25).
        max_target: Targets lie in 1..max_target (default 200).
        split, size: See :class:`ProceduralEnv`.

    Version History:
        * v0: Initial release.
    """

    instruction = COUNTDOWN_INSTRUCTION

    def __init__(
        self,
        *,
        numbers: int = 4,
        max_number: int = 25,
        max_target: int = 200,
        split: Split = "train",
        size: int | None = None,
        instruction: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(split=split, size=size, instruction=instruction, render_mode=render_mode)
        check_int("numbers", numbers, 2, 8)
        check_int("max_number", max_number, 2, 1000)
        check_int("max_target", max_target, 1)
        self.numbers, self.max_number, self.max_target = numbers, max_number, max_target

    def _combine(self, rng: np.random.Generator, values: list[int]) -> tuple[int, str] | None:
        exprs = [(v, str(v)) for v in values]
        while len(exprs) > 1:
            (a, ea), (b, eb) = exprs.pop(int(rng.integers(len(exprs)))), exprs.pop(int(rng.integers(len(exprs))))
            options = [(a + b, f"({ea} + {eb})"), (a * b, f"{ea} * {eb}")]
            options += [(a - b, f"({ea} - {eb})")] if a > b else [(b - a, f"({eb} - {ea})")] if b > a else []
            options += [(a // b, f"{ea} / {eb}")] if b > 1 and a % b == 0 else []
            exprs.append(options[int(rng.integers(len(options)))])
        value, expr = exprs[0]
        if not 1 <= value <= self.max_target:
            return None
        return value, _strip_outer_parens(expr)

    def generate(self, rng: np.random.Generator) -> Problem:
        """Draw numbers and a random expression over them; its value is the target."""
        for _ in range(200):
            values = [int(v) for v in rng.integers(1, self.max_number + 1, size=self.numbers)]
            built = self._combine(rng, list(values))
            if built is not None:
                target, expr = built
                question = f"Numbers: {', '.join(map(str, values))}. Target: {target}."
                solution = f"One way is {expr} = {target}.\nThe final answer is \\boxed{{{expr}}}."
                return Problem("", question, expr, solution, {"numbers": values, "target": target})
        raise RuntimeError(f"No Countdown puzzle with target <= {self.max_target}; raise max_target.")

    def oracle_response(self, problem: Problem) -> str:
        """The reference solution (the expression the puzzle was built from)."""
        return problem.solution or f"\\boxed{{{problem.answer}}}"

    def score(self, problem: Problem, response: str) -> Verdict:
        """Evaluate the committed expression."""
        return self.score_batch([problem], [response])[0]

    def score_batch(self, problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
        """Evaluate many responses in the verifier worker pool."""
        puzzles = [(p.meta["numbers"], p.meta["target"]) for p in problems]
        return verify_countdown_batch(list(responses), puzzles)
