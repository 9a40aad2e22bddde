"""``rgym contamination``: which training problems overlap which benchmark problems.

Every training env is checked against all benchmark envs at once (one hash table of the benchmarks'
13-grams, one pass over the training problems), with the rule of :mod:`reasoning_gym.envs.overlap`: equal
normalised texts (``exact``), or at least one shared 13-gram that is not a template phrase (``ngram``;
found in more than 10 of the texts compared). ``coverage`` is the fraction of the benchmark problem's
13-grams that the training problem shares: near 1 is the same problem reworded or extended, near 0 a shared
sentence. The dataset envs' ``exclude_overlap_with=[...]`` drops exactly the training problems listed here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from reasoning_gym.envs.overlap import DEFAULT_MAX_DOC_FREQ, DEFAULT_NGRAM, OverlapIndex

__all__ = ["ContaminationReport", "OverlapPair", "contamination_report"]

#: Coverage from which an n-gram match counts as "most of the benchmark problem" in the table.
HIGH_COVERAGE = 0.5


@dataclass(frozen=True)
class OverlapPair:
    """One training problem that overlaps one benchmark problem."""

    train_env: str
    train_id: str
    bench_env: str
    bench_id: str
    kind: str
    shared: int
    coverage: float
    bench_text: str


@dataclass
class ContaminationReport:
    """The overlapping pairs of every training env and benchmark env, and how they were found."""

    train_envs: list[str]
    bench_envs: list[str]
    sizes: dict[str, int]
    pairs: list[OverlapPair]
    n: int = DEFAULT_NGRAM
    max_doc_freq: int | None = DEFAULT_MAX_DOC_FREQ
    min_coverage: float = 0.0
    seconds: float = 0.0
    load_seconds: float = field(default=0.0)

    def pairs_of(self, train_env: str, bench_env: str) -> list[OverlapPair]:
        """The pairs of one training env and one benchmark env."""
        return [p for p in self.pairs if p.train_env == train_env and p.bench_env == bench_env]

    def table_rows(self) -> list[list[str]]:
        """One row per training/benchmark pair: exact, n-gram and high-coverage pairs, problems hit on each side."""
        rows = []
        for train in self.train_envs:
            for bench in self.bench_envs:
                pairs = self.pairs_of(train, bench)
                exact = sum(p.kind == "exact" for p in pairs)
                ngram = [p for p in pairs if p.kind == "ngram"]
                high = sum(p.coverage >= HIGH_COVERAGE for p in ngram)
                hit_bench = len({p.bench_id for p in pairs})
                hit_train = len({p.train_id for p in pairs})
                rows.append([train, bench, str(exact), str(len(ngram)), str(high),
                             f"{hit_bench} / {self.sizes[bench]}", f"{hit_train} / {self.sizes[train]}"])  # fmt: skip
        return rows

    def to_text(self, max_pairs: int = 20) -> str:
        """The table, then the pairs of each training/benchmark pair (at most ``max_pairs`` each; 0: all)."""
        lines = [self._settings(), "", *_aligned([_HEADER, *self.table_rows()])]
        for train in self.train_envs:
            for bench in self.bench_envs:
                pairs = self.pairs_of(train, bench)
                if not pairs:
                    continue
                lines += ["", f"{train} x {bench}: {len(pairs)} overlapping pair(s)"]
                shown = pairs if max_pairs <= 0 else pairs[:max_pairs]
                lines += [f"  {_describe(p)}" for p in shown]
                if len(shown) < len(pairs):
                    lines.append(f"  ... {len(pairs) - len(shown)} more (--max-pairs 0 lists all)")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The table and every pair, as Markdown."""
        head = "| " + " | ".join(_HEADER) + " |\n|" + "---|" * 2 + "---:|" * (len(_HEADER) - 2)
        body = [
            "| " + " | ".join(f"`{c}`" if i < 2 else c for i, c in enumerate(row)) + " |" for row in self.table_rows()
        ]
        out = [f"_{self._settings()}_", "", head, *body, "", "## Pairs", ""]
        for train in self.train_envs:
            for bench in self.bench_envs:
                pairs = self.pairs_of(train, bench)
                if pairs:
                    out += [f"<details><summary>{train} x {bench}: {len(pairs)} pair(s)</summary>", "", "```"]
                    out += [_describe(p) for p in pairs] + ["```", "", "</details>", ""]
        return "\n".join(out)

    def _settings(self) -> str:
        templates = f"more than {self.max_doc_freq} texts" if self.max_doc_freq is not None else "none"
        return (
            f"{self.n}-grams of normalised words; template n-grams ignored: {templates}; min coverage "
            f"{self.min_coverage:g}; compared in {self.seconds:.1f} s after {self.load_seconds:.1f} s of loading"
        )


_HEADER = ["train env", "benchmark", "exact", f"{DEFAULT_NGRAM}-gram", f"of which >= {HIGH_COVERAGE:.0%} of the "
           "benchmark problem", "benchmark problems hit", "train problems hit"]  # fmt: skip


def _describe(p: OverlapPair) -> str:
    snippet = " ".join(p.bench_text.split())[:70]
    return f"{p.kind:<5} {p.train_id} ~ {p.bench_id}  shared {p.shared}, coverage {p.coverage:.2f}  | {snippet}"


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]


def _problems(env_id: str) -> list[tuple[str, str]]:
    """``(id, question)`` of every problem of a finite env."""
    from reasoning_gym.errors import ConfigError
    from reasoning_gym.integrations.problems import open_env

    env = open_env(env_id).unwrapped
    try:
        size = len(env)
    except TypeError:
        raise ConfigError(f"{env_id} is procedural (no fixed problem set); compare dataset envs.") from None
    return [(str(p.id), p.question) for p in map(env.get_problem, range(size))]


def contamination_report(
    train_envs: Sequence[str],
    bench_envs: Sequence[str],
    *,
    n: int = DEFAULT_NGRAM,
    max_doc_freq: int | None = DEFAULT_MAX_DOC_FREQ,
    min_coverage: float = 0.0,
) -> ContaminationReport:
    """Compare the problems of each training env with those of every benchmark env.

    Args:
        train_envs: Env ids of training sets.
        bench_envs: Env ids of benchmarks.
        n: Words per n-gram.
        max_doc_freq: N-grams in more than this many compared texts are templates and ignored (None: none).
        min_coverage: Keep an n-gram pair only from this coverage of the benchmark problem on.

    Raises:
        ConfigError: An env is procedural; UnknownNameError: an id is not registered.
    """
    start = time.perf_counter()
    bench = {env_id: _problems(env_id) for env_id in bench_envs}
    train = {env_id: _problems(env_id) for env_id in train_envs}
    loaded = time.perf_counter()
    owners = [(env_id, pid, text) for env_id, problems in bench.items() for pid, text in problems]
    index = OverlapIndex((text for _, _, text in owners), n=n)
    pairs = []
    for env_id, problems in train.items():
        found = index.overlaps([text for _, text in problems], max_doc_freq=max_doc_freq, min_coverage=min_coverage)
        for (pid, _), matches in zip(problems, found):
            for m in matches:
                bench_env, bench_id, text = owners[m.index]
                pairs.append(OverlapPair(env_id, pid, bench_env, bench_id, m.kind, m.shared, m.coverage, text))
    sizes = {env_id: len(problems) for env_id, problems in {**bench, **train}.items()}
    return ContaminationReport(
        list(train_envs), list(bench_envs), sizes, pairs, n, max_doc_freq, min_coverage,
        seconds=time.perf_counter() - loaded, load_seconds=loaded - start,
    )  # fmt: skip
