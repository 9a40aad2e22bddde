"""The one base class of every reasoning_gym environment.

An environment here is a single-step contextual bandit: ``reset()`` shows a prompt, ``step(response)``
grades the whole response with a verifier, the reward is 0 or 1, and the episode ends. The single-step
semantics live in :class:`ReasoningEnv` and nowhere else; a concrete env only says how to get problem ``i``
(:meth:`ReasoningEnv.get_problem`) and how to grade a response (:meth:`ReasoningEnv.score`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from reasoning_gym.verifiers.verdict import Verdict

__all__ = ["MATH_INSTRUCTION", "Problem", "ReasoningEnv", "TextSpace"]

#: The instruction appended to every math problem (the usual one of Qwen2.5-Math / DeepSeek-R1 evaluations).
MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."

#: Characters that ``TextSpace.sample`` draws from; ``contains`` accepts any text regardless.
_SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " \n"


class TextSpace(spaces.Text):
    """A ``Text`` space that contains any ``str`` up to ``max_length`` characters.

    Gymnasium's ``Text`` only contains strings over its charset (alphanumeric by default) and of at least
    ``min_length=1`` characters; model output is arbitrary unicode and may be empty, so membership here is
    just "a string that is not absurdly long". ``sample()`` still draws from a printable charset.
    """

    def __init__(self, max_length: int = 1_000_000, *, seed: int | None = None) -> None:
        super().__init__(max_length=max_length, min_length=0, charset=_SAMPLE_CHARSET, seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """Sample a short random printable string (long samples would only slow down env checks)."""
        length = int(self.np_random.integers(0, 64))
        chars = self.np_random.choice(list(_SAMPLE_CHARSET), size=length)
        return "".join(chars.tolist())

    def contains(self, x: Any) -> bool:
        """Return True for any ``str`` of at most ``max_length`` characters."""
        return isinstance(x, str) and len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length})"


@dataclass(frozen=True)
class Problem:
    """One problem of an environment.

    Attributes:
        id: Stable identifier (dataset id, or a procedural id such as ``"arith-train-17"``).
        question: The problem statement, without the instruction.
        answer: The gold answer the verifier compares with.
        solution: A reference solution that the verifier accepts (for supervised warm starts and oracle
            tests), or ``None`` when the dataset has none.
        meta: Extra JSON-serialisable fields (subject, level, entry point, tests, ...).
    """

    id: str
    question: str
    answer: str
    solution: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


class ReasoningEnv(gym.Env[str, str]):
    """Base class: single-step episodes over a set (finite or procedural) of verifiable problems.

    Subclasses implement :meth:`get_problem` and :meth:`score`, and either ``__len__`` (finite problem
    sets) or :meth:`sample_index` (procedural ones). Everything else (seeding, options, info, the
    one-step contract, rendering) is implemented once here.

    ``reset(seed=None, options=None)`` returns ``(prompt, info)``:
      - ``options={"index": i}`` selects problem ``i`` deterministically;
      - otherwise a problem is drawn from ``self.np_random`` (``reset(seed=s)`` is reproducible);
      - ``info`` has ``problem_id``, ``index`` and ``messages`` (the chat form of the prompt).

    ``step(response)`` returns ``("", reward, True, False, info)`` with ``info["verdict"]`` (the verdict as
    a plain dict), ``info["problem_id"]``, ``info["index"]`` and ``info["answer"]`` (the gold answer); envs
    graded by an answer-extracting verifier (math) add ``info["extraction_rewards"]``, the reward under each
    extraction mode (``{"strict": 0.0, "flexible": 1.0}``).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 1}
    #: Default instruction appended to the question; environments override it.
    instruction: ClassVar[str] = MATH_INSTRUCTION

    def __init__(self, *, instruction: str | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode={render_mode!r} is not supported; use one of {self.metadata['render_modes']}."
            )
        self.render_mode = render_mode
        if instruction is not None:
            self.instruction = instruction
        self.observation_space = TextSpace()
        self.action_space = TextSpace()
        self._problem: Problem | None = None
        self._index: int | None = None
        self._awaiting_step = False

    # ---- what subclasses provide ----------------------------------------------------------------------
    def get_problem(self, index: int) -> Problem:
        """Return problem ``index`` (deterministic)."""
        raise NotImplementedError

    def score(self, problem: Problem, response: str) -> Verdict:
        """Grade ``response`` to ``problem``; must never raise on model output."""
        raise NotImplementedError

    def sample_index(self, rng: np.random.Generator) -> int:
        """Draw the index of a problem; finite envs draw uniformly."""
        return int(rng.integers(len(self)))

    def __len__(self) -> int:
        raise TypeError(
            f"{type(self).__name__} is procedural and has no fixed number of problems; "
            "pass size=N to make a finite problem set."
        )

    # ---- shared behaviour -----------------------------------------------------------------------------
    def format_prompt(self, problem: Problem) -> str:
        """The prompt shown to the model: the question, a blank line, the instruction."""
        return f"{problem.question}\n\n{self.instruction}" if self.instruction else problem.question

    def oracle_response(self, problem: Problem) -> str:
        """A response that must score 1: the reference solution, or the boxed gold answer."""
        return problem.solution if problem.solution else f"The final answer is $\\boxed{{{problem.answer}}}$."

    def score_batch(self, problems: Sequence[Problem], responses: Sequence[str]) -> list[Verdict]:
        """Grade many responses; verifiers with worker pools override this to run them in parallel."""
        return [self.score(p, r) for p, r in zip(problems, responses)]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start an episode: pick a problem and return its prompt and info."""
        super().reset(seed=seed)
        options = options or {}
        unknown = set(options) - {"index"}
        if unknown:
            raise ValueError(f"reset() got unknown options {sorted(unknown)}; the only option is 'index'.")
        if "index" in options:
            index = self._check_index(options["index"])
        else:
            index = self.sample_index(self.np_random)
        self._problem, self._index = self.get_problem(index), index
        self._awaiting_step = True
        prompt = self.format_prompt(self._problem)
        info = {
            "problem_id": self._problem.id,
            "index": index,
            "messages": [{"role": "user", "content": prompt}],
        }
        return prompt, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Grade the response; the episode always ends here."""
        if not self._awaiting_step or self._problem is None:
            raise ResetNeeded(f"{type(self).__name__}: each episode is one step; call reset() before step() (again).")
        if not isinstance(action, str):
            raise TypeError(f"step() takes the response text (str), got {type(action).__name__}.")
        self._awaiting_step = False
        verdict = self.score(self._problem, action)
        info = {
            "verdict": verdict.to_dict(),
            "problem_id": self._problem.id,
            "index": self._index,
            "answer": self._problem.answer,
        }
        by_mode = verdict.details.get("by_extraction")
        if by_mode:  # the reward under each answer-extraction mode (format learning shows where they differ)
            info["extraction_rewards"] = {mode: float(v["reward"]) for mode, v in by_mode.items()}
        return "", float(verdict.reward), True, False, info

    def render(self) -> str | None:
        """With ``render_mode="ansi"``, return the current prompt as text."""
        if self.render_mode != "ansi":
            return None
        return "" if self._problem is None else self.format_prompt(self._problem)

    def _check_index(self, index: Any) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"options['index'] must be an int, got {type(index).__name__}.")
        index = int(index)
        try:
            size = len(self)
        except TypeError:
            size = None
        if index < 0 or (size is not None and index >= size):
            bound = f"0..{size - 1}" if size is not None else ">= 0"
            raise IndexError(f"options['index']={index} is out of range; this env has problems {bound}.")
        return index
