r"""Benchmark metrics computed from one set of samples: avg@k, unbiased pass@k, maj@k and bootstrap CIs.

Every metric is first computed *per problem* and then averaged over problems, so that one bootstrap over
problems gives the confidence interval of every metric at once:

* ``avg@K``: the fraction of the K samples that are correct (mean accuracy; what papers call
  "pass@1 averaged over K samples").
* ``pass@k``: the unbiased estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on
  Code"), ``1 - C(n-c, k) / C(n, k)`` with n samples of which c are correct, for k = 1..K.
* ``maj@k``: majority vote over the committed (extracted) answers of the first k samples. Equivalent answers
  are one vote: every correct answer is equivalent to the gold and so to every other correct one, and wrong
  answers are grouped with an equivalence function (the math verifier's ``answers_equivalent`` for math, so
  ``\frac12`` and ``0.5`` are one answer). Samples without an answer do not vote. A tie between the top
  answers scores the mean correctness of the tied answers (the expected score of a random tie-break).
  For k < K, maj@k votes over the first k samples (sample-index order): one draw, not a subset average.

Confidence intervals are percentile bootstrap intervals over problems with a fixed seed.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "Equivalence",
    "ProblemSamples",
    "bootstrap_means",
    "group_answers",
    "math_equivalence",
    "majority_score",
    "pass_at_k",
    "per_problem_metrics",
    "percentile_ci",
    "suite_average",
    "summarize_benchmark",
]

#: Bootstrap settings (recorded in ``results.json``).
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
#: Above this many distinct wrong answers per problem, wrong answers are grouped by exact text only
#: (pairwise equivalence checks grow quadratically).
MAX_PAIRWISE_ANSWERS = 64

#: Decides many ``(a, b)`` answer pairs at once; returns one bool per pair.
Equivalence = Callable[[Sequence[tuple[str, str]]], list[bool]]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: the probability that at least one of k samples drawn from n (c correct) is correct.

    Args:
        n: Samples drawn for the problem.
        c: How many of them are correct.
        k: Budget, ``1 <= k <= n``.

    Returns:
        ``1 - C(n-c, k) / C(n, k)``, computed exactly with integers.

    Raises:
        ValueError: Unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}.")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


@dataclass(frozen=True)
class ProblemSamples:
    """The samples of one problem, in sample-index order.

    Attributes:
        correct: Whether each sample is correct.
        answers: Each sample's extracted answer (``None`` when it committed to none).
    """

    correct: tuple[bool, ...]
    answers: tuple[str | None, ...]


def _wrong_pairs(samples: ProblemSamples) -> tuple[list[str], list[tuple[int, int]]]:
    """Distinct wrong answers (sorted) and the index pairs among them that need an equivalence check."""
    wrong = sorted({a for a, ok in zip(samples.answers, samples.correct) if a is not None and not ok})
    if not 1 < len(wrong) <= MAX_PAIRWISE_ANSWERS:
        return wrong, []
    return wrong, [(i, j) for i in range(len(wrong)) for j in range(i + 1, len(wrong))]


def group_answers(samples: ProblemSamples, equivalent: Equivalence | None) -> list[int | None]:
    """Assign each sample the id of its answer class (``None`` for samples without an answer).

    Class 0 is "correct"; wrong answers are merged by exact text and then, when ``equivalent`` is given,
    by pairwise equivalence (union-find over the distinct texts).
    """
    wrong, pairs = _wrong_pairs(samples)
    parent = list(range(len(wrong)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if equivalent is not None and pairs:
        for (i, j), same in zip(pairs, equivalent([(wrong[i], wrong[j]) for i, j in pairs])):
            if same:
                parent[root(j)] = root(i)
    index = {text: 1 + root(i) for i, text in enumerate(wrong)}
    return [None if a is None else 0 if ok else index[a] for a, ok in zip(samples.answers, samples.correct)]


def _prefetched(problems: Sequence[ProblemSamples], equivalent: Equivalence) -> Equivalence:
    """Decide every pair of every problem in one call (one trip through the worker pool), then look up."""
    wanted = set()
    for p in problems:
        wrong, pairs = _wrong_pairs(p)
        wanted.update((wrong[i], wrong[j]) for i, j in pairs)
    ordered = sorted(wanted)
    known = dict(zip(ordered, equivalent(ordered)))
    return lambda pairs: [known[pair] for pair in pairs]


def majority_score(groups: Sequence[int | None]) -> float:
    """Majority-vote score of some samples' answer classes (class 0 is correct): 1, 0, or the tie-break expectation."""
    votes = Counter(g for g in groups if g is not None)
    if not votes:
        return 0.0
    top = max(votes.values())
    winners = [g for g, count in votes.items() if count == top]
    return sum(1.0 for g in winners if g == 0) / len(winners)


def per_problem_metrics(
    problems: Sequence[ProblemSamples], k_max: int, *, equivalent: Equivalence | None, vote: bool = True
) -> tuple[list[str], np.ndarray]:
    """Compute every metric for every problem.

    Args:
        problems: Samples of each problem; each has at least ``k_max`` samples.
        k_max: K, the number of samples per problem.
        equivalent: How wrong answers are grouped for maj@k (``None``: exact text only).
        vote: Whether to compute maj@k at all (meaningless for code, whose "answer" is a program).

    Returns:
        Metric names and a ``[problems, metrics]`` array; averaging a column over problems gives the metric.
    """
    names = [f"avg@{k_max}"] + [f"pass@{k}" for k in range(1, k_max + 1)]
    if vote:
        names += [f"maj@{k}" for k in range(1, k_max + 1)]
    if vote and equivalent is not None:
        equivalent = _prefetched([ProblemSamples(p.correct[:k_max], p.answers[:k_max]) for p in problems], equivalent)
    rows = []
    for p in problems:
        if len(p.correct) < k_max:
            raise ValueError(f"A problem has {len(p.correct)} samples, fewer than K={k_max}; the run is incomplete.")
        correct, n = p.correct[:k_max], k_max
        c = sum(correct)
        row = [c / n] + [pass_at_k(n, c, k) for k in range(1, k_max + 1)]
        if vote:
            groups = group_answers(ProblemSamples(correct, p.answers[:k_max]), equivalent)
            row += [majority_score(groups[:k]) for k in range(1, k_max + 1)]
        rows.append(row)
    return names, np.asarray(rows, dtype=float).reshape(len(rows), len(names))


def bootstrap_means(values: np.ndarray, key: str, *, resamples: int = BOOTSTRAP_RESAMPLES) -> np.ndarray:
    """Means of ``values`` (``[problems, metrics]``) over bootstrap resamples of the problems.

    The generator is seeded from :data:`BOOTSTRAP_SEED` and ``key`` (the benchmark name), so intervals are
    reproducible and independent across benchmarks.

    Returns:
        ``[resamples, metrics]``.
    """
    rng = np.random.default_rng([BOOTSTRAP_SEED, zlib.crc32(key.encode("utf-8"))])
    n = values.shape[0]
    if n == 0:
        return np.zeros((resamples, values.shape[1]))
    idx = rng.integers(0, n, size=(resamples, n))
    return values[idx].mean(axis=1)


def percentile_ci(draws: np.ndarray, confidence: float = CONFIDENCE) -> np.ndarray:
    """Percentile interval of bootstrap draws (``[resamples, metrics]``); returns ``[metrics, 2]``."""
    tail = (1.0 - confidence) / 2 * 100
    return np.percentile(draws, [tail, 100 - tail], axis=0).T


def math_equivalence(pairs: Sequence[tuple[str, str]], *, timeout_s: float = 5.0) -> list[bool]:
    """Decide answer pairs with the math verifier's ``answers_equivalent``, in its deadline worker pool.

    A pair counts as equivalent when either order is judged equivalent (the checker treats its second
    argument as the reference). A comparison that times out or fails counts as "not equivalent", so a
    pathological answer can split a vote but never hang the evaluation.
    """
    from reasoning_gym.verifiers.pool import get_pool

    if not pairs:
        return []
    pool = get_pool()
    forward = pool.map(_EQUIVALENCE_TARGET, [tuple(p) for p in pairs], timeout_s)
    same = [o.kind == "ok" and bool(o.value) for o in forward]
    retry = [i for i, s in enumerate(same) if not s]
    backward = pool.map(_EQUIVALENCE_TARGET, [(pairs[i][1], pairs[i][0]) for i in retry], timeout_s)
    for i, o in zip(retry, backward):
        same[i] = o.kind == "ok" and bool(o.value)
    return same


_EQUIVALENCE_TARGET = "reasoning_gym.verifiers.math_answer.equivalence:answers_equivalent"


def summarize_benchmark(name: str, records: Sequence[Mapping[str, Any]], k: int) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of one benchmark from its sample records (as written to ``samples.jsonl``).

    The vote rule follows the verifier: math answers are grouped by mathematical equivalence, code is not
    voted on (a program is not an answer), anything else is grouped by exact text.

    Returns:
        The benchmark's summary dict and the bootstrap draws of its ``avg@k`` (for suite averages).
    """
    by_problem: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r["problem_index"], r["sample_index"])):
        by_problem[r["problem_index"]].append(r)
    verifiers = sorted({f"{r['verdict'].get('verifier', '')} {r['verdict'].get('version', '')}" for r in records})
    kinds = {r["verdict"].get("verifier") for r in records}
    vote = "none" if "code" in kinds else "math-equivalence" if kinds == {"math"} else "exact"
    problems = [
        ProblemSamples(tuple(r["reward"] >= 1.0 for r in rs), tuple(r["extracted"] for r in rs))
        for rs in by_problem.values()
    ]
    names, values = per_problem_metrics(
        problems, k, equivalent=math_equivalence if vote == "math-equivalence" else None, vote=vote != "none"
    )
    draws = bootstrap_means(values, name)
    ci = percentile_ci(draws)
    summary = {
        "problems": len(problems),
        "samples_per_problem": k,
        "metrics": {m: _metric(values[:, j].mean() if len(values) else 0.0, ci[j]) for j, m in enumerate(names)},
        "vote": vote,
        "verifiers": verifiers,
        "status_counts": dict(sorted(Counter(r["status"] for r in records).items())),
        "mean_response_tokens": _mean([r["response_tokens"] for r in records]),
        "mean_response_chars": _mean([len(r["response"]) for r in records]),
        "truncated_fraction": _mean([r["finish_reason"] == "length" for r in records]),
    }
    return summary, draws[:, 0]


def suite_average(avg_draws: Mapping[str, np.ndarray], values: Mapping[str, float]) -> dict[str, Any]:
    """Unweighted mean over benchmarks (the paper's "Avg" column) with a stratified bootstrap interval."""
    if not values:
        return {}
    draws = np.mean(np.stack(list(avg_draws.values())), axis=0)[:, None]
    return _metric(float(np.mean(list(values.values()))), percentile_ci(draws)[0])


def _metric(value: float, ci: Sequence[float]) -> dict[str, float]:
    return {"value": round(float(value), 6), "ci_low": round(float(ci[0]), 6), "ci_high": round(float(ci[1]), 6)}


def _mean(xs: Sequence[float]) -> float:
    return round(float(np.mean(xs)), 4) if len(xs) else 0.0
