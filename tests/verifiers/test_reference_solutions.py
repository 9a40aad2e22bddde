"""Acceptance on real data: each dataset's own reference solutions are accepted, other problems' golds are not."""

from __future__ import annotations

import pytest

import reasoning_gym as rg
from reasoning_gym.verifiers import verify_math_batch

# (env id, minimum accepted share of own solutions, maximum accepted share against a shifted gold)
CASES = [("rg/MATH500-v0", 0.995, 0.005), ("rg/MinervaMath-v0", 0.995, 0.005), ("rg/GSM8K-v0", 1.0, 0.005)]


@pytest.mark.parametrize("env_id, min_own, max_shifted", CASES)
def test_reference_solutions(env_id, min_own, max_shifted, data_dir):
    env = rg.make(env_id).unwrapped
    problems = [env.get_problem(i) for i in range(len(env))]
    solutions = [p.solution for p in problems]
    own = verify_math_batch(solutions, [p.answer for p in problems], timeout_s=20)
    shifted_golds = [problems[(i + 1) % len(problems)].answer for i in range(len(problems))]
    # Neighbouring problems can share an answer; those pairs are not a false accept.
    keep = [i for i, p in enumerate(problems) if p.answer.strip() != shifted_golds[i].strip()]
    shifted = verify_math_batch([solutions[i] for i in keep], [shifted_golds[i] for i in keep], timeout_s=20)

    rejected = [(problems[i].id, v.status, v.extracted, problems[i].answer) for i, v in enumerate(own) if not v.correct]
    assert sum(v.correct for v in own) / len(own) >= min_own, rejected[:10]
    assert not [v for v in own if v.status in ("timeout", "error")], "reference solutions must be decided"
    accepted = [(problems[keep[j]].id, v.extracted) for j, v in enumerate(shifted) if v.correct]
    assert len(accepted) / len(shifted) <= max_shifted, accepted[:10]
