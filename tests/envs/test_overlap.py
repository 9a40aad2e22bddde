"""Overlap of problem texts (reasoning_gym.envs.overlap) and dataset envs' exclude_overlap_with."""

import json

import pytest

import reasoning_gym as rg
from reasoning_gym.envs.overlap import OverlapIndex, normalize_text, word_ngrams, words
from reasoning_gym.errors import ConfigError

LONG = "A farmer has seventeen sheep and all but nine of them run away through a hole in the old fence"


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("What is $\\frac{1}{2}$ of 10?", "what is \\frac{1}{2} of 10", True),  # case, dollars, punctuation
        ("Find $x$ if \\left( x + 1 \\right) = 3.", "Find x if (x+1)=3", True),  # layout-only LaTeX
        ("Compute \\dfrac{3}{4}.", "Compute \\frac{3}{4}", True),
        ("Ｆｉｎｄ  x", "find x", True),  # NFKC full-width letters, repeated spaces
        ("What is 12 + 3?", "What is 12 + 4?", False),
        ("Compute \\frac12", "Compute 1/2", False),  # different notation stays different
    ],
)
def test_normalisation(a, b, same):
    assert (normalize_text(a) == normalize_text(b)) is same


@pytest.mark.parametrize(
    "text, n, count",
    [("a b c d", 2, 3), ("a b c d", 4, 1), ("a b c", 4, 0), ("a b a b a b", 2, 2), ("", 1, 0)],
)
def test_word_ngrams_are_distinct_runs(text, n, count):
    assert len(word_ngrams(words(text), n)) == count


BENCH = [
    LONG + ". How many are left?",  # 0
    "What is the sum of the first one hundred positive integers that are divisible by three?",  # 1
    "Solve x + 1 = 2.",  # 2: shorter than 13 words, can only match exactly
]


@pytest.mark.parametrize(
    "query, expected",
    [
        (LONG + ". How many are left?", [(0, "exact")]),
        ("Story time! " + LONG + ". How many sheep stay in the field?", [(0, "ngram")]),
        ("solve x+1=2", [(2, "exact")]),
        ("Solve x + 1 = 3.", []),
        ("What is the sum of the first one hundred odd integers?", []),  # 9 shared words < 13
        ("", []),
    ],
)
def test_index_finds_exact_and_ngram_matches(query, expected):
    found = OverlapIndex(BENCH).overlaps([query])[0]
    assert [(m.index, m.kind) for m in found] == expected


def test_coverage_is_the_share_of_the_indexed_texts_ngrams():
    index = OverlapIndex([LONG])
    (match,) = index.overlaps([" ".join(LONG.split()[:14]) + " and more words after it"])[0]
    assert match.shared == 2 and match.coverage == pytest.approx(2 / len(word_ngrams(words(LONG))))
    assert index.overlaps([" ".join(LONG.split()[:14])], min_coverage=0.5) == [[]]


def test_template_phrases_are_ignored_but_can_be_kept():
    template = "where m and n are relatively prime positive integers find m plus n"
    bench = [f"A box holds {k} red balls and the chance is m over n {template}" for k in (3,)]
    train = [f"Problem {k}: a coin is tossed and the chance is m over n {template}" for k in range(11)]
    index = OverlapIndex(bench)
    assert all(found == [] for found in index.overlaps(train))  # in 12 texts: a template, not a leak
    assert all(found for found in index.overlaps(train, max_doc_freq=None))
    assert all(found for found in index.overlaps(train[:5]))  # in 6 texts only: still counted


@pytest.mark.parametrize("kwargs", [{"n": 0}])
def test_bad_settings_fail(kwargs):
    with pytest.raises(ValueError):
        OverlapIndex(BENCH, **kwargs)
    with pytest.raises(ValueError, match="min_coverage"):
        OverlapIndex(BENCH).overlaps(["x"], min_coverage=2)


@pytest.fixture(scope="module")
def bench_and_train(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("overlap")
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "".join(json.dumps({"id": f"b{i}", "problem": t, "answer": "1"}) + "\n" for i, t in enumerate(BENCH))
    )
    train_texts = [BENCH[0], "Story: " + LONG + "?", "Solve x + 1 = 3.", "An unrelated question about primes."]
    train = tmp_path / "train.jsonl"
    train.write_text(
        "".join(json.dumps({"id": f"t{i}", "problem": t, "answer": "1"}) + "\n" for i, t in enumerate(train_texts))
    )
    for name, path in (("Bench", bench), ("Train", train)):
        env_id = f"overlaptest/{name}-v0"
        if env_id not in rg.list_envs():
            rg.register_dataset_env(env_id, data_files=path, id_field="id")
    return "overlaptest/Bench-v0", train


def test_exclude_overlap_with_drops_overlapping_problems(bench_and_train):
    bench_id, train = bench_and_train
    env = rg.make("overlaptest/Train-v0", data_files=str(train), exclude_overlap_with=[bench_id]).unwrapped
    assert [env.get_problem(i).id for i in range(len(env))] == ["t2", "t3"]
    assert [(e["problem_id"], e["benchmark_problem_id"], e["kind"]) for e in env.excluded] == [
        ("t0", "b0", "exact"),
        ("t1", "b0", "ngram"),
    ]
    assert len(rg.make("overlaptest/Train-v0", data_files=str(train)).unwrapped) == 4


@pytest.mark.parametrize(
    "against, message",
    [("rg/Arithmetic-v0", "procedural"), ("overlaptest/Train-v0", "nothing would be left")],
)
def test_exclude_overlap_with_errors(bench_and_train, against, message):
    _, train = bench_and_train
    with pytest.raises(ConfigError, match=message):
        rg.make("overlaptest/Train-v0", data_files=str(train), exclude_overlap_with=against)
