"""Procedural environments: knobs, splits, reference solutions."""

from __future__ import annotations

import pytest

import reasoning_gym as rg
from reasoning_gym.envs.procedural.base import _bucket_is_test


@pytest.mark.parametrize("env_id", ["rg/Arithmetic-v0", "rg/Countdown-v0"])
def test_train_and_test_splits_are_disjoint(env_id):
    train = rg.make(env_id, split="train").unwrapped
    test = rg.make(env_id, split="test").unwrapped
    train_q = {train.get_problem(i).question for i in range(300)}
    test_q = {test.get_problem(i).question for i in range(300)}
    assert not train_q & test_q
    assert all(_bucket_is_test(q) for q in test_q) and not any(_bucket_is_test(q) for q in train_q)


@pytest.mark.parametrize("env_id", ["rg/Arithmetic-v0", "rg/Countdown-v0"])
def test_size_makes_a_finite_set(env_id):
    env = rg.make(env_id, size=5)
    assert len(env.unwrapped) == 5
    seen = {env.reset(seed=s)[1]["index"] for s in range(40)}
    assert seen <= set(range(5))
    with pytest.raises(TypeError, match="size=N"):
        len(rg.make(env_id).unwrapped)


@pytest.mark.parametrize(
    "kwargs, steps",
    [({"steps": 1, "digits": 1}, 1), ({"steps": 6, "digits": 3}, 6), ({"steps": 3, "operations": "+"}, 3)],
)
def test_arithmetic_solution_is_a_worked_chain(kwargs, steps):
    env = rg.make("rg/Arithmetic-v0", **kwargs).unwrapped
    for index in range(20):
        p = env.get_problem(index)
        lines = p.solution.splitlines()
        assert len(lines) == steps + 2  # start, one line per step, the boxed answer
        value = int(lines[0].split(": ")[1])
        for line in lines[1:-1]:  # each line recomputes correctly from the previous value
            expr, result = line.split(": ")[1].split(" = ")
            assert int(eval(expr)) == int(result) and expr.startswith(str(value))  # noqa: S307 - our own text
            value = int(result)
        assert lines[-1] == f"The final answer is \\boxed{{{value}}}." and p.answer == str(value)
        if kwargs.get("operations") == "+":
            assert "multiply" not in p.question and "subtract" not in p.question


@pytest.mark.parametrize(
    "kwargs, message",
    [({"steps": 0}, "steps=0 is out of range"), ({"digits": 12}, "digits=12"), ({"operations": "^"}, "operations"),
     ({"split": "dev"}, "split='dev'"), ({"size": 0}, "size=0 is out of range")],
)  # fmt: skip
def test_arithmetic_rejects_bad_knobs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rg.make("rg/Arithmetic-v0", **kwargs)


@pytest.mark.parametrize(
    "response, reward, status",
    [
        ("\\boxed{(3 + 5) * 2 - 1}", 1.0, "correct"),          # the reference form
        ("\\boxed{2 \\times (5 + 3) - 1 = 15}", 1.0, "correct"),  # LaTeX times and a trailing "= target"
        ("\\boxed{(3 + 5) * 2}", 0.0, "wrong"),                 # does not use every number
        ("\\boxed{(3 + 5) * 2 - 1 + 0}", 0.0, "wrong"),         # uses a number that was not given
        ("\\boxed{15}", 0.0, "wrong"),                          # the target itself is not an expression of the numbers
        ("\\boxed{__import__('os').system('true')}", 0.0, "unparseable"),  # never evaluated as Python
        ("\\boxed{2 ** 5 - 3 * 1}", 0.0, "unparseable"),        # powers are not allowed
        ("\\boxed{(3 + 5) * 2 - 1 / 0}", 0.0, "unparseable"),   # division by zero
        ("I could not find one.", 0.0, "no_answer"),
    ],
)  # fmt: skip
def test_countdown_verifier(response, reward, status):
    from reasoning_gym.verifiers.countdown import score_countdown

    verdict = score_countdown(response, [3, 5, 2, 1], 15)
    assert (verdict.reward, verdict.status) == (reward, status), verdict


def test_countdown_oracle_over_many_puzzles():
    env = rg.make("rg/Countdown-v0", numbers=5, max_number=50).unwrapped
    problems = [env.get_problem(i) for i in range(50)]
    verdicts = env.score_batch(problems, [env.oracle_response(p) for p in problems])
    assert all(v.correct for v in verdicts), [v for v in verdicts if not v.correct][:3]
