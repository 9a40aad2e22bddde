"""Suites: built-in protocols, env-id and file suites, and errors that say what to fix."""

import json
import re

import pytest

import reasoning_gym as rg
from reasoning_gym.benchmarks.suites import (
    SUITES,
    BenchmarkSpec,
    Suite,
    check_registered,
    get_suite,
    load_suite_file,
    open_benchmark,
)
from reasoning_gym.errors import ConfigError, UnknownNameError

CODE_ENVS = {"rg/HumanEval-v0", "rg/MBPP-v0"}


def test_paper_suite_is_the_paper_protocol():
    paper = SUITES["paper"]
    assert [b.env_id for b in paper.benchmarks] == [
        "rg/AIME24-v0",
        "rg/AIME25-v0",
        "rg/AMC23-v0",
        "rg/MATH500-v0",
        "rg/MinervaMath-v0",
    ]
    s = paper.sampling
    assert (s.samples, s.temperature, s.top_p, s.max_tokens) == (16, 0.6, 1.0, 8192)
    for name in ("aime24", "aime25", "amc23", "math500", "minerva"):
        assert SUITES[name].sampling == s and len(SUITES[name].benchmarks) == 1
    assert [b.env_id for b in SUITES["code"].benchmarks] == ["rg/HumanEval-v0", "rg/MBPP-v0"]


def test_procedural_suites_use_a_fixed_test_set(data_dir):
    env, n = open_benchmark(SUITES["countdown"].benchmarks[0], limit=3)
    assert n == 3 and env.split == "test" and len(env) == 200


def test_env_id_suite_fixes_a_procedural_problem_set():
    suite = get_suite("rg/Arithmetic-v0")
    assert suite.benchmarks == (BenchmarkSpec("arithmetic", "rg/Arithmetic-v0", {"split": "test", "size": 200}),)


def test_unknown_suite_lists_suites_and_suggests():
    with pytest.raises(UnknownNameError, match=re.escape("Did you mean 'math500'")) as err:
        get_suite("math50")
    assert "paper" in str(err.value)


def test_code_suite_fails_clearly_while_the_code_envs_are_missing(monkeypatch):
    without_code = [e for e in rg.list_envs() if e not in CODE_ENVS]
    monkeypatch.setattr(rg, "list_envs", lambda namespace=None: without_code)
    with pytest.raises(UnknownNameError, match=re.escape("needs env 'rg/HumanEval-v0', which is not registered")):
        check_registered(SUITES["code"])


def test_unregistered_env_in_a_suite_is_named_with_suggestions():
    suite = Suite("x", (BenchmarkSpec("n", "rg/AIME42-v0"),))
    with pytest.raises(UnknownNameError, match=re.escape("(benchmark 'n') needs env 'rg/AIME42-v0'")) as err:
        check_registered(suite)
    assert "Did you mean" in str(err.value) and "rg/AIME24-v0" in str(err.value)


@pytest.mark.parametrize("fmt", ["json", "toml", "yaml"])
def test_suite_files(tmp_path, fmt, data_dir):
    text = {
        "json": json.dumps(
            {
                "name": "mine",
                "samples": 3,
                "max_tokens": 64,
                "benchmarks": [{"env_id": "rg/Countdown-v0", "kwargs": {"split": "test", "size": 5}}, "rg/AIME24-v0"],
            }
        ),
        "toml": 'name = "mine"\nsamples = 3\nmax_tokens = 64\n'
        '[[benchmarks]]\nenv_id = "rg/Countdown-v0"\nkwargs = {split = "test", size = 5}\n'
        '[[benchmarks]]\nenv_id = "rg/AIME24-v0"\n',
        "yaml": "name: mine\nsamples: 3\nmax_tokens: 64\nbenchmarks:\n"
        "  - {env_id: rg/Countdown-v0, kwargs: {split: test, size: 5}}\n  - rg/AIME24-v0\n",
    }[fmt]
    path = tmp_path / f"suite.{fmt}"
    path.write_text(text)
    suite = get_suite(str(path))
    assert suite.name == "mine" and suite.sampling.samples == 3 and suite.sampling.max_tokens == 64
    assert suite.sampling.temperature == 0.6  # unspecified fields keep the paper protocol
    assert [(b.name, b.env_id, dict(b.kwargs)) for b in suite.benchmarks] == [
        ("countdown", "rg/Countdown-v0", {"split": "test", "size": 5}),
        ("aime24", "rg/AIME24-v0", {}),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"benchmarks": [], "name": "x"}, '"benchmarks" must be a non-empty list'),
        ({"benchmarks": ["rg/AIME24-v0"], "temprature": 1}, "unknown key(s) ['temprature']"),
        ({"benchmarks": [{"env": "rg/AIME24-v0"}]}, "benchmarks[0]: expected an env id"),
        ({"benchmarks": ["rg/AIME24-v0", "rg/AIME24-v0"]}, "repeated benchmark names"),
        ({"benchmarks": ["rg/AIME24-v0"], "samples": 0}, "samples and max_tokens must be >= 1"),
    ],
)
def test_bad_suite_files_say_what_to_fix(tmp_path, content, message, data_dir):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_suite_file(path)


def test_unparseable_suite_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = ")
    with pytest.raises(ConfigError, match="cannot parse TOML"):
        get_suite(str(path))
    with pytest.raises(ConfigError, match="does not exist"):
        get_suite(str(tmp_path / "missing.json"))


def test_procedural_benchmark_without_size_is_refused():
    spec = BenchmarkSpec("c", "rg/Countdown-v0", {"split": "test"})
    with pytest.raises(ConfigError, match=re.escape('"kwargs": {"split": "test", "size": N}')):
        open_benchmark(spec)
    with pytest.raises(ConfigError, match="lists no benchmarks"):
        Suite("empty", ())
