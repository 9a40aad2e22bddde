"""strict-match vs flexible-extract in the harness: both reported side by side, either selectable as the main one."""

import pytest

from reasoning_gym.benchmarks import EvalSettings, run_suite, scalar_metrics
from reasoning_gym.benchmarks.extraction import extraction_lines, extraction_summary
from reasoning_gym.benchmarks.report import render_markdown
from reasoning_gym.benchmarks.suites import BenchmarkSpec, Suite
from reasoning_gym.errors import ConfigError

ARITH = Suite("t", (BenchmarkSpec("arith", "rg/Arithmetic-v0", {"split": "test", "size": 20}),))
MODEL = {"path": "scripted", "weights_sha256": None}


def settings(**kw):
    return EvalSettings(**{"samples": 2, "temperature": 0.6, "top_p": 1.0, "max_tokens": 8, "limit": 3, **kw})


def _record(problem, sample, strict, flexible):
    modes = {"strict": {"reward": strict}, "flexible": {"reward": flexible}}
    return {
        "problem_index": problem,
        "sample_index": sample,
        "verdict": {"details": {"extraction": "strict", "by_extraction": modes}},
    }


# (strict, flexible) rewards of the two samples of each of two problems -> expected avg@2 and differing samples
SUMMARIES = [
    ([[(1, 1), (0, 1)], [(0, 0), (0, 1)]], {"strict": 0.25, "flexible": 0.75}, 2),
    ([[(1, 1), (1, 1)], [(0, 0), (0, 0)]], {"strict": 0.5, "flexible": 0.5}, 0),
    ([[(0, 1), (0, 1)], [(0, 1), (0, 1)]], {"strict": 0.0, "flexible": 1.0}, 4),
]


@pytest.mark.parametrize(("rewards", "avg", "differ"), SUMMARIES)
def test_summary_counts_each_mode_and_the_differences(rewards, avg, differ):
    records = [_record(p, s, *r) for p, samples in enumerate(rewards) for s, r in enumerate(samples)]
    summary = extraction_summary("b", records, 2)
    assert {mode: summary[mode]["avg@2"]["value"] for mode in avg} == avg
    assert summary["differ"] == differ and summary["mode"] == "strict"


def test_records_without_modes_have_no_summary():
    code = {"problem_index": 0, "sample_index": 0, "verdict": {"details": {"layer": 1}}}
    assert extraction_summary("code", [code], 1) is None
    assert extraction_lines({"benchmarks": {"code": {"samples_per_problem": 1}}}) == []


@pytest.mark.parametrize("mode", ["strict", "flexible"])
def test_the_chosen_mode_drives_the_main_metrics_and_both_are_reported(scripted, mode):
    # Every response states the right result in a closing sentence and marks nothing: 0 strict, 1 flexible.
    import reasoning_gym as rg

    env = rg.make("rg/Arithmetic-v0", split="test", size=20).unwrapped
    answers = {env.format_prompt(env.get_problem(i)): env.get_problem(i).answer for i in range(3)}
    engine = scripted(lambda prompt, j: f"So the final result is {answers[prompt]}.")
    results = run_suite(engine, ARITH, settings(extraction=mode), model_info=MODEL, progress=False)
    bench = results["benchmarks"]["arith"]
    assert bench["metrics"]["avg@2"]["value"] == (1.0 if mode == "flexible" else 0.0)
    side = bench["extraction"]
    assert side["mode"] == mode and side["differ"] == 6
    assert side["strict"]["avg@2"]["value"] == 0.0 and side["flexible"]["avg@2"]["value"] == 1.0
    assert scalar_metrics(results)["eval/arith/extraction/differ"] == 6.0
    assert f"| arith | {mode} | 0.0 [0.0, 0.0] | 100.0 [100.0, 100.0] |" in render_markdown(results)


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="extraction="):
        settings(extraction="loose")
