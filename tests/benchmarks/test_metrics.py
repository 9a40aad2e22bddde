"""Metrics: pass@k against brute force, maj@k grouping through the verifier, bootstrap intervals."""

import itertools
import re

import numpy as np
import pytest

from reasoning_gym.benchmarks import pass_at_k
from reasoning_gym.benchmarks.metrics import (
    ProblemSamples,
    bootstrap_means,
    group_answers,
    majority_score,
    math_equivalence,
    per_problem_metrics,
    percentile_ci,
    summarize_benchmark,
)


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_brute_force_enumeration_of_subsets(n):
    for c in range(n + 1):
        outcomes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(itertools.combinations(outcomes, k))
            brute = sum(any(s) for s in subsets) / len(subsets)
            assert pass_at_k(n, c, k) == pytest.approx(brute, abs=1e-12), (n, c, k)


def test_pass_at_k_edge_values_and_large_n():
    assert pass_at_k(16, 0, 16) == 0.0
    assert pass_at_k(16, 1, 16) == 1.0
    assert pass_at_k(16, 4, 1) == 0.25  # pass@1 is the mean accuracy
    assert 0.0 < pass_at_k(1000, 3, 10) < 1.0  # exact integers, no overflow


@pytest.mark.parametrize(("n", "c", "k"), [(4, 5, 1), (4, -1, 1), (4, 2, 0), (4, 2, 5)])
def test_pass_at_k_rejects_impossible_arguments(n, c, k):
    with pytest.raises(ValueError, match=re.escape("pass_at_k needs 0 <= c <= n and 1 <= k <= n")):
        pass_at_k(n, c, k)


def test_maj_groups_frac12_and_0_5_as_one_answer_through_the_verifier():
    # Gold is 3: "\frac12" and "0.5" are the same wrong answer, so it wins the vote 2 to 1.
    wrong_majority = ProblemSamples(correct=(False, False, True), answers=("\\frac12", "0.5", "3"))
    groups = group_answers(wrong_majority, math_equivalence)
    assert groups[0] == groups[1] != groups[2]
    names, values = per_problem_metrics([wrong_majority], 3, equivalent=math_equivalence)
    assert values[0, names.index("maj@3")] == 0.0
    # Without equivalence the three answers tie, and the tie scores 1/3.
    _, exact = per_problem_metrics([wrong_majority], 3, equivalent=None)
    assert exact[0, names.index("maj@3")] == pytest.approx(1 / 3)


def test_correct_answers_are_one_vote_whatever_their_form():
    # Gold 1/2: both forms are correct, hence one class with 2 votes against "3".
    samples = ProblemSamples(correct=(True, True, False), answers=("\\frac12", "0.5", "3"))
    assert group_answers(samples, None) == [0, 0, 1]
    names, values = per_problem_metrics([samples], 3, equivalent=None)
    assert values[0, names.index("maj@3")] == 1.0
    assert values[0, names.index("maj@1")] == 1.0


def test_majority_ignores_missing_answers_and_splits_ties():
    assert majority_score([None, None]) == 0.0
    assert majority_score([None, 1, 0, 0]) == 1.0
    assert majority_score([0, 1]) == 0.5
    assert majority_score([1, 1, 0]) == 0.0


def test_math_equivalence_counts_a_failed_comparison_as_different():
    assert math_equivalence([("2", "2.0"), ("2", "3")]) == [True, False]
    assert math_equivalence([]) == []


def test_per_problem_metrics_columns():
    problems = [ProblemSamples((True, False, False, False), ("1", "2", "2", None))]
    names, values = per_problem_metrics(problems, 4, equivalent=None)
    row = dict(zip(names, values[0]))
    assert row["avg@4"] == 0.25 and row["pass@1"] == 0.25 and row["pass@4"] == 1.0
    assert row["pass@2"] == pytest.approx(pass_at_k(4, 1, 2))
    assert row["maj@1"] == 1.0 and row["maj@3"] == 0.0  # "2" twice beats "1" once
    with pytest.raises(ValueError, match="fewer than K=5"):
        per_problem_metrics(problems, 5, equivalent=None)


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    values = np.array([[1.0], [0.0], [1.0], [0.0], [1.0]] * 6)
    a, b = bootstrap_means(values, "x"), bootstrap_means(values, "x")
    assert np.array_equal(a, b)
    lo, hi = percentile_ci(a)[0]
    assert lo < values.mean() < hi
    assert not np.array_equal(a, bootstrap_means(values, "y"))  # independent streams per benchmark
    assert percentile_ci(bootstrap_means(np.ones((5, 1)), "z"))[0].tolist() == [1.0, 1.0]


def _record(p, s, reward, extracted, verifier="math", status=None):
    status = status or ("correct" if reward else "wrong" if extracted else "no_answer")
    verdict = {"verifier": verifier, "version": "v", "status": status}
    return {
        "problem_index": p,
        "sample_index": s,
        "reward": reward,
        "extracted": extracted,
        "status": status,
        "verdict": verdict,
        "response": "x" * 10,
        "response_tokens": 5,
        "finish_reason": "length" if s == 0 else "stop",
    }


def test_summarize_benchmark_counts_statuses_lengths_and_votes():
    records = [_record(0, 0, 1.0, "4"), _record(0, 1, 0.0, None), _record(1, 1, 0.0, "7"), _record(1, 0, 0.0, "7")]
    summary, draws = summarize_benchmark("b", records, 2)
    assert summary["problems"] == 2 and summary["samples_per_problem"] == 2
    assert summary["metrics"]["avg@2"]["value"] == 0.25
    assert summary["metrics"]["pass@2"]["value"] == 0.5
    assert summary["status_counts"] == {"correct": 1, "no_answer": 1, "wrong": 2}
    assert summary["truncated_fraction"] == 0.5 and summary["mean_response_tokens"] == 5.0
    assert summary["vote"] == "math-equivalence" and summary["verifiers"] == ["math v"]
    assert draws.shape == (1000,)
    code, _ = summarize_benchmark("c", [_record(0, 0, 1.0, "def f(): ...", verifier="code")], 1)
    assert code["vote"] == "none" and "maj@1" not in code["metrics"]


def test_equivalence_is_asked_once_for_all_problems():
    calls = []

    def equivalent(pairs):
        calls.append(list(pairs))
        return [{a, b} == {"0.5", "\\frac12"} for a, b in pairs]

    problems = [
        ProblemSamples((False, False, True), ("\\frac12", "0.5", "3")),
        ProblemSamples((False, False, False), ("0.5", "\\frac12", "7")),
        ProblemSamples((True, True), ("1", "1")),
    ]
    names, values = per_problem_metrics(problems, 2, equivalent=equivalent)
    assert len(calls) == 1 and sorted(calls[0]) == [("0.5", "\\frac12")]
    assert values[:, names.index("maj@2")].tolist() == [0.0, 0.0, 1.0]
