"""The runner with a scripted engine: scores, files, resume without duplicates, refusals, reports."""

import json
import re

import pytest

import reasoning_gym as rg
from reasoning_gym.benchmarks import EvalSettings, compare_results, load_results, run_suite, scalar_metrics
from reasoning_gym.benchmarks.store import RunLock, SampleLog
from reasoning_gym.benchmarks.suites import BenchmarkSpec, Suite
from reasoning_gym.errors import ConfigError

ARITH = BenchmarkSpec("arith", "rg/Arithmetic-v0", {"split": "test", "size": 50})
SUITE = Suite("t", (ARITH, BenchmarkSpec("count", "rg/Countdown-v0", {"split": "test", "size": 50})))
MODEL = {"path": "scripted", "weights_sha256": None}


def settings(**kw):
    return EvalSettings(**{"samples": 3, "temperature": 0.6, "top_p": 1.0, "max_tokens": 8, "limit": 4, **kw})


@pytest.fixture(scope="module")
def oracle():
    answers = {}
    for spec in SUITE.benchmarks:
        env = rg.make(spec.env_id, **spec.kwargs).unwrapped
        for i in range(len(env)):
            p = env.get_problem(i)
            answers[env.format_prompt(p)] = env.oracle_response(p)
    return answers


def keys(path):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [(r["benchmark"], r["problem_index"], r["sample_index"]) for r in lines]


def test_oracle_scores_100_and_a_mixed_policy_gets_each_metric_right(scripted, oracle, tmp_path):
    results = run_suite(scripted(lambda t, j: oracle[t]), SUITE, settings(), model_info=MODEL, progress=False)
    assert {n: b["metrics"]["avg@3"]["value"] for n, b in results["benchmarks"].items()} == {"arith": 1.0, "count": 1.0}
    assert results["average"]["avg@3"]["value"] == 1.0
    # Right on the first sample only, "0" twice otherwise: avg 1/3, pass@3 = 1, the wrong "0" wins the vote.
    mixed = scripted(lambda t, j: oracle[t] if j == 0 else "\\boxed{0}")
    m = run_suite(mixed, Suite("a", (ARITH,)), settings(), model_info=MODEL, progress=False)["benchmarks"]["arith"]
    assert m["metrics"]["avg@3"]["value"] == pytest.approx(1 / 3, abs=1e-6)
    assert m["metrics"]["pass@1"]["value"] == pytest.approx(1 / 3, abs=1e-6)
    assert m["metrics"]["pass@3"]["value"] == 1.0 and m["metrics"]["maj@3"]["value"] == 0.0
    assert m["metrics"]["maj@1"]["value"] == 1.0
    assert m["status_counts"] == {"correct": 4, "wrong": 8}
    assert m["vote"] == "math-equivalence"


def test_files_resume_without_duplicates_and_refuse_other_settings(scripted, tmp_path):
    engine = scripted(lambda t, j: "no idea")
    first = run_suite(engine, SUITE, settings(batch_size=6), model_info=MODEL, output_dir=tmp_path, progress=False)
    assert {p.name for p in tmp_path.iterdir()} >= {"results.json", "samples.jsonl", "report.md", "report.png"}
    assert sorted(keys(tmp_path / "samples.jsonl")) == [
        (b, p, s) for b in ("arith", "count") for p in range(4) for s in range(3)
    ]
    assert [n for n, _ in engine.calls] == [2, 2, 2, 2]  # 6 // K = 2 problems per chunk
    assert len({params.seed for _, params in engine.calls}) == 4
    assert first["benchmarks"]["arith"]["status_counts"] == {"no_answer": 12}

    again = scripted(lambda t, j: "no idea")
    second = run_suite(again, SUITE, settings(batch_size=6), model_info=MODEL, output_dir=tmp_path, progress=False)
    assert again.calls == [] and len(keys(tmp_path / "samples.jsonl")) == 24
    assert second["benchmarks"] == first["benchmarks"]

    with pytest.raises(ConfigError, match=re.escape("settings.top_p: 1.0 in the folder, 0.9 now")):
        run_suite(again, SUITE, settings(batch_size=6, top_p=0.9), model_info=MODEL, output_dir=tmp_path)


def test_a_torn_last_line_is_dropped_and_its_sample_drawn_again(scripted, tmp_path):
    suite = Suite("a", (ARITH,))
    run_suite(scripted(lambda t, j: "x"), suite, settings(), model_info=MODEL, output_dir=tmp_path, progress=False)
    path = tmp_path / "samples.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]) + lines[-2][:30])  # lost the last sample, the one before is cut short
    engine = scripted(lambda t, j: "x")
    run_suite(engine, suite, settings(), model_info=MODEL, output_dir=tmp_path, progress=False)
    assert len(engine.calls) == 1  # only the chunk that lost samples is drawn again (same seed)
    assert sorted(keys(path)) == [("arith", p, s) for p in range(4) for s in range(3)]
    assert path.read_text().endswith("\n")


def test_a_corrupt_middle_line_names_file_and_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"benchmark": "a", "problem_index": 0, "sample_index": 0}\nnot json\n')
    with pytest.raises(Exception, match=re.escape("samples.jsonl, line 2: not valid JSON")):
        SampleLog(path)


def test_a_second_run_on_the_same_folder_is_refused(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(ConfigError, match="Another evaluation is writing to"):
            RunLock(tmp_path).__enter__()


def test_in_memory_runs_and_scalar_metrics(scripted, oracle):
    results = run_suite(scripted(lambda t, j: oracle[t]), SUITE, settings(), model_info=MODEL, progress=False)
    flat = scalar_metrics(results)
    assert flat["eval/arith/avg@3"] == 1.0 and flat["eval/count/pass@3"] == 1.0
    assert flat["eval/average/avg@3"] == 1.0 and "eval/arith/maj@3" in flat
    assert all(isinstance(v, float) for v in flat.values())


def test_compare_shows_both_runs_the_difference_and_overlap(scripted, oracle, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_suite(scripted(lambda t, j: "x"), SUITE, settings(), model_info=MODEL, output_dir=a, progress=False)
    run_suite(scripted(lambda t, j: oracle[t]), SUITE, settings(temperature=1.0), model_info=MODEL, output_dir=b)
    text = compare_results(load_results(a), load_results(b), "a", "b")
    assert "settings.temperature: 0.6 in A, 1.0 in B" in text
    assert re.search(r"arith\s+avg@3\s+0\.0 \[0\.0, 0\.0\]\s+100\.0 \[100\.0, 100\.0\]\s+\+100\.0\s+NO", text)
    assert re.search(r"average\s+avg@3\s+.*\+100\.0\s+NO", text)
    report = (a / "report.md").read_text()
    assert "| arith | 4 | 0.0 [0.0, 0.0] |" in report and "## Provenance" in report
    with pytest.raises(ConfigError, match="is not a finished evaluation"):
        load_results(tmp_path)


def test_report_warns_when_the_verifier_could_not_decide(scripted):
    from reasoning_gym.benchmarks.report import render_markdown

    results = run_suite(scripted(lambda t, j: "x"), Suite("a", (ARITH,)), settings(), model_info=MODEL, progress=False)
    assert "Warning" not in render_markdown(results)
    results["benchmarks"]["arith"]["status_counts"] = {"no_answer": 10, "timeout": 2}
    assert "could not decide some samples (arith 2: timeout or error)" in render_markdown(results)


@pytest.mark.skipif(
    not {"rg/HumanEval-v0", "rg/MBPP-v0"} <= set(rg.list_envs()), reason="the code envs are not registered"
)
def test_code_suite_scores_programs_and_does_not_vote(scripted, data_dir):
    from reasoning_gym.benchmarks import get_suite

    suite = get_suite("code")
    oracle = {}
    for spec in suite.benchmarks:
        env = rg.make(spec.env_id).unwrapped
        for i in range(3):
            oracle[env.format_prompt(env.get_problem(i))] = env.oracle_response(env.get_problem(i))
    engine = scripted(lambda t, j: oracle[t] if j == 0 else "```python\nprint(1)\n```")
    results = run_suite(engine, suite, settings(samples=2, limit=3), model_info=MODEL, progress=False)
    for bench in results["benchmarks"].values():
        assert bench["metrics"]["avg@2"]["value"] == 0.5 and bench["metrics"]["pass@2"]["value"] == 1.0
        assert bench["vote"] == "none" and "maj@2" not in bench["metrics"]
        assert bench["status_counts"] == {"failed": 3, "passed": 3}
