"""rgym contamination on the real training sets and benchmarks, and rgym train --decontaminate-against."""

import time

import pytest

import reasoning_gym as rg
from reasoning_gym.cli import main
from reasoning_gym.envs.overlap import normalize_text
from reasoning_gym.errors import ConfigError
from reasoning_gym.integrations.contamination import contamination_report
from reasoning_gym.trainers import get_trainer
from reasoning_gym.trainers.cli import parse_train_args
from reasoning_gym.trainers.episodes import make_env

BENCHMARKS = ["rg/MATH500-v0", "rg/AIME24-v0", "rg/AIME25-v0", "rg/AMC23-v0", "rg/MinervaMath-v0", "rg/GSM8K-v0"]


@pytest.fixture(scope="module")
def dapo_report(data_dir):
    start = time.perf_counter()
    report = contamination_report(["rg/DAPOMath17k-v0"], BENCHMARKS)
    return report, time.perf_counter() - start


def test_dapo_against_every_benchmark_takes_under_a_minute(dapo_report):
    report, seconds = dapo_report
    assert report.sizes["rg/DAPOMath17k-v0"] == 17398 and seconds < 60


def test_exact_pairs_are_equal_texts_and_ngram_pairs_are_not(dapo_report):
    report, _ = dapo_report
    dapo = rg.make("rg/DAPOMath17k-v0").unwrapped
    texts = {dapo.get_problem(i).id: dapo.get_problem(i).question for i in range(len(dapo))}
    exact = [p for p in report.pairs if p.kind == "exact"]
    assert exact  # DAPO-Math-17k holds MATH500 and AMC23 problems verbatim
    for pair in report.pairs:
        same = normalize_text(texts[pair.train_id]) == normalize_text(pair.bench_text)
        assert same is (pair.kind == "exact")
        assert pair.kind == "exact" or (pair.shared >= 1 and 0 < pair.coverage <= 1)


def test_table_rows_count_the_pairs(dapo_report):
    report, _ = dapo_report
    rows = {(r[0], r[1]): r for r in report.table_rows()}
    assert len(rows) == len(BENCHMARKS)
    for bench in BENCHMARKS:
        pairs = report.pairs_of("rg/DAPOMath17k-v0", bench)
        row = rows[("rg/DAPOMath17k-v0", bench)]
        assert int(row[2]) + int(row[3]) == len(pairs)
        assert row[5] == f"{len({p.bench_id for p in pairs})} / {report.sizes[bench]}"


def test_decontaminate_against_removes_exactly_the_overlapping_problems(data_dir):
    against = ["rg/MATH500-v0", "rg/AMC23-v0"]
    config = parse_train_args(
        "grpo", get_trainer("grpo").Config, ["--env", "rg/DAPOMath17k-v0", "--decontaminate-against", *against]
    )
    assert config.env.kwargs == {"exclude_overlap_with": against}
    env = make_env(config.env.id, config.env.kwargs).unwrapped  # how every trainer makes its envs
    kept = {env.get_problem(i).id for i in range(len(env))}
    overlapping = {p.train_id for p in contamination_report(["rg/DAPOMath17k-v0"], against).pairs}
    full = rg.make("rg/DAPOMath17k-v0").unwrapped
    assert overlapping and not overlapping & kept
    assert kept | overlapping == {full.get_problem(i).id for i in range(len(full))}
    assert {e["problem_id"] for e in env.excluded} == overlapping


def test_decontaminating_a_procedural_env_is_one_clear_error():
    with pytest.raises(ConfigError, match="only dataset envs"):
        make_env("rg/Arithmetic-v0", {"exclude_overlap_with": ["rg/MATH500-v0"]})


def test_cli_prints_pairs_and_writes_markdown(tmp_path, capsys, data_dir):
    md = tmp_path / "contamination.md"
    argv = ["contamination", "rg/GSM8KTrain-v0", "--against", "rg/GSM8K-v0", "--max-pairs", "1", "--markdown", str(md)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    report = contamination_report(["rg/GSM8KTrain-v0"], ["rg/GSM8K-v0"])
    pairs = report.pairs_of("rg/GSM8KTrain-v0", "rg/GSM8K-v0")
    assert f"rg/GSM8KTrain-v0 x rg/GSM8K-v0: {len(pairs)} overlapping pair(s)" in out
    assert f"... {len(pairs) - 1} more" in out
    text = md.read_text()
    assert "| `rg/GSM8KTrain-v0` | `rg/GSM8K-v0` |" in text and all(p.train_id in text for p in pairs)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rg/Arithmetic-v0", "--against", "rg/MATH500-v0"], "procedural"),
        (["rg/GSM8KTrain-v0", "--against", "rg/NoSuch-v0"], "Unknown environment id"),
    ],
)
def test_cli_mistakes_are_one_message_and_exit_2(capsys, argv, message):
    assert main(["contamination", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rgym contamination: error:") and message in err
