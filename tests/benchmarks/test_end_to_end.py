"""The built-in tiny model through ``rgym eval`` on every suite, on CPU, plus provenance and the Python APIs."""

import hashlib
import json
import re

import pytest

import reasoning_gym as rg
from reasoning_gym.benchmarks import SUITES, evaluate, evaluate_policy, scalar_metrics
from reasoning_gym.benchmarks.cli import main
from reasoning_gym.benchmarks.provenance import sha256_file
from reasoning_gym.errors import ConfigError
from reasoning_gym.models.tiny import tiny_model_path

CODE_ENVS = {"rg/HumanEval-v0", "rg/MBPP-v0"}
SMALL = ["--limit", "2", "--samples", "2", "--max-tokens", "16", "--no-progress"]


def runnable_suites():
    registered = set(rg.list_envs())
    return [name for name, s in SUITES.items() if {b.env_id for b in s.benchmarks} <= registered]


def test_code_suites_are_skipped_only_while_their_envs_are_missing():
    skipped = sorted(set(SUITES) - set(runnable_suites()))
    assert skipped in ([], ["code", "humaneval", "mbpp"])
    if skipped:
        assert not CODE_ENVS <= set(rg.list_envs())


def test_every_suite_runs_end_to_end_with_the_tiny_model(tmp_path, data_dir, capsys):
    for name in runnable_suites():
        out = tmp_path / name
        assert main(["--model", "tiny", "--suite", name, "--output", str(out), *SMALL]) == 0, name
        results = json.loads((out / "results.json").read_text())
        lines = (out / "samples.jsonl").read_text().splitlines()
        assert len(lines) == 2 * 2 * len(SUITES[name].benchmarks), name
        for bench in results["benchmarks"].values():
            assert bench["problems"] == 2 and bench["dataset"]["evaluated"] == 2
            assert set(bench["metrics"]) >= {"avg@2", "pass@1", "pass@2"}
            assert sum(bench["status_counts"].values()) == 4 and bench["mean_response_tokens"] <= 16
        assert (out / "report.png").stat().st_size > 1000 and "| benchmark |" in (out / "report.md").read_text()
    assert "avg@2" in capsys.readouterr().out


def test_results_carry_all_provenance(tmp_path, data_dir):
    kw = {"samples": 2, "limit": 2, "max_tokens": 8, "device": "cpu", "progress": False}
    results = evaluate("tiny", "aime24", output_dir=tmp_path, **kw)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(results))
    model = results["model"]
    folder = tiny_model_path("tiny")
    weights = {"model.safetensors": sha256_file(folder / "model.safetensors")}
    assert model["path"] == "tiny" and model["resolved_path"] == str(folder) and model["weight_files"] == weights
    assert (
        model["weights_sha256"]
        == hashlib.sha256(f"model.safetensors:{weights['model.safetensors']}\n".encode()).hexdigest()
    )
    assert model["dtype"] == "float32" and model["device"] == "cpu"
    dataset = results["benchmarks"]["aime24"]["dataset"]
    assert dataset["source"] == str(data_dir / "aime24.jsonl")
    assert dataset["file_sha256"] == "80df893d562a8738e7f1c43cc701487ee5d15fa89006c8d97f293326fb34a3cb"  # data README
    assert dataset["size"] == 30 and dataset["evaluated"] == 2 and len(dataset["problems_sha256"]) == 64
    assert results["settings"] == {
        "samples": 2,
        "temperature": 0.6,
        "top_p": 1.0,
        "max_tokens": 8,
        "limit": 2,
        "seed": 0,
        "batch_size": 64,
        "backend": "hf",
        "extraction": None,
    }
    side_by_side = results["benchmarks"]["aime24"]["extraction"]  # strict-match and flexible-extract
    assert side_by_side["mode"] == "strict" and set(side_by_side["strict"]) == {"avg@2", "pass@2"}
    assert 0 <= side_by_side["differ"] <= 4 and "## Answer extraction" in (tmp_path / "report.md").read_text()
    assert results["seed"] == 0 and results["bootstrap"] == {"resamples": 1000, "seed": 0, "confidence": 0.95}
    template = results["chat_template"]
    assert template["applied"] and "<|im_start|>" in template["template"]
    assert template["sha256"] == hashlib.sha256(template["template"].encode()).hexdigest()
    versions = results["versions"]
    assert versions["math_verifier"] == rg.verifiers.math_answer.MATH_VERIFIER_VERSION
    assert versions["reasoning_gym"] == rg.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", versions["date"])
    assert results["benchmarks"]["aime24"]["verifiers"] == [f"math {versions['math_verifier']}"]
    with pytest.raises(ConfigError, match=re.escape("settings.max_tokens: 8 in the folder, 9 now")):
        evaluate("tiny", "aime24", output_dir=tmp_path, **{**kw, "max_tokens": 9})


def test_evaluate_policy_runs_in_process_for_trainers(data_dir):
    from reasoning_gym.models.config import ModelConfig
    from reasoning_gym.models.loading import load_policy

    model, tokenizer = load_policy(ModelConfig(path="tiny"))
    results = evaluate_policy(model, tokenizer, "arithmetic", samples=2, limit=2, max_tokens=8, tag="step-3")
    assert model.training  # left as it was
    assert results["model"]["tag"] == "step-3" and results["settings"]["backend"] == "in-process:HFEngine"
    flat = scalar_metrics(results, prefix="val")
    assert set(flat) >= {"val/arithmetic/avg@2", "val/arithmetic/pass@2", "val/arithmetic/maj@2"}


def test_cli_errors_are_clear(tmp_path, capsys, data_dir):
    assert main(["--model", "tiny", "--suite", "aime24", "--output", str(tmp_path), "--backend", "vllm", *SMALL]) == 2
    assert "pip install 'rgym[vllm]'" in capsys.readouterr().err
    assert main(["--model", "tiny", "--suite", "aime42", "--output", str(tmp_path), *SMALL]) == 2
    assert re.search(r"Unknown suite 'aime42'. Did you mean .*'aime24'", capsys.readouterr().err)
    assert main(["--model", "tiny", "--suite", "aime24", "--output", str(tmp_path), "--backend", "tgi"]) == 2
    assert "Unknown backend 'tgi'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--suite", "aime24"])
    assert "--model, --output" in capsys.readouterr().err
    assert main(["--list-suites"]) == 0 and "paper" in capsys.readouterr().out


def test_compare_command_prints_both_runs(tmp_path, capsys, data_dir):
    for name, temperature in (("a", "0.6"), ("b", "1.0")):
        args = ["--model", "tiny", "--suite", "arithmetic", "--output", str(tmp_path / name), "--temperature"]
        assert main([*args, temperature, *SMALL]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "settings.temperature: 0.6 in A, 1.0 in B" in out and re.search(r"arithmetic\s+avg@2", out)
