"""Reproducible benchmark evaluation: suites, avg@k / pass@k / maj@k with bootstrap CIs, full provenance.

>>> from reasoning_gym.benchmarks import evaluate, pass_at_k
>>> pass_at_k(n=16, c=4, k=1)
0.25
>>> results = evaluate("tiny", "aime24", output_dir="out/tiny", samples=2, limit=2)  # doctest: +SKIP

The command line is ``rgym eval`` (:mod:`reasoning_gym.benchmarks.cli`). Importing this package does not
import torch; the model and engine are loaded only when an evaluation starts.
"""

from __future__ import annotations

from reasoning_gym.benchmarks.api import evaluate, evaluate_policy
from reasoning_gym.benchmarks.metrics import pass_at_k
from reasoning_gym.benchmarks.report import compare_results, load_results
from reasoning_gym.benchmarks.runner import EvalSettings, run_suite, scalar_metrics
from reasoning_gym.benchmarks.suites import SUITES, BenchmarkSpec, Sampling, Suite, get_suite

__all__ = [
    "SUITES",
    "BenchmarkSpec",
    "EvalSettings",
    "Sampling",
    "Suite",
    "compare_results",
    "evaluate",
    "evaluate_policy",
    "get_suite",
    "load_results",
    "pass_at_k",
    "run_suite",
    "scalar_metrics",
]
