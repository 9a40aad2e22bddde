"""Pure, in-process grading of final math answers (boxed / final-statement extraction + equivalence)."""

from reasoning_gym.verifiers.math_answer.equivalence import answers_equivalent
from reasoning_gym.verifiers.math_answer.extract import extract_answer
from reasoning_gym.verifiers.math_answer.grader import MATH_VERIFIER_VERSION, score_math

__all__ = ["MATH_VERIFIER_VERSION", "answers_equivalent", "extract_answer", "score_math"]
