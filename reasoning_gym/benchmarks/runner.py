"""Run a suite: sample K responses per problem through a rollout engine, grade them, write the results.

Samples are drawn in chunks of whole problems (``batch_size // K`` problems, all K samples each). Each chunk
has its own seed, derived from the run seed, the benchmark and the chunk's first problem, so a resumed run
draws exactly what an uninterrupted run would have drawn (given the same hardware and software), and a
chunk whose samples were partly lost is re-drawn with the same seed and only its missing samples kept.

Three entry points:

* :func:`~reasoning_gym.benchmarks.api.evaluate`: a model path, hub id or ``"tiny"`` (what ``rgym eval``
  calls).
* :func:`~reasoning_gym.benchmarks.api.evaluate_policy`: a model already in memory (a trainer's policy), for
  evaluation every N steps; :func:`scalar_metrics` flattens its result into loggable floats.
* :func:`run_suite`: any :class:`~reasoning_gym.rollout.RolloutEngine` (both of the above end here).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reasoning_gym.benchmarks.extraction import extraction_scalars, extraction_summary
from reasoning_gym.benchmarks.metrics import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CONFIDENCE,
    suite_average,
    summarize_benchmark,
)
from reasoning_gym.benchmarks.provenance import chat_template_info, dataset_fingerprint, software_versions
from reasoning_gym.benchmarks.store import SAMPLES_FILE, RunLock, SampleLog, check_settings, write_text_atomic
from reasoning_gym.benchmarks.suites import BenchmarkSpec, Suite, check_registered, get_suite, open_benchmark
from reasoning_gym.errors import ConfigError

__all__ = ["EvalSettings", "run_identity", "run_suite", "scalar_metrics"]

#: Bump when the layout of ``samples.jsonl``/``results.json`` or the chunk seeding changes.
FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvalSettings:
    """Everything that decides which samples are drawn (all recorded; a resume must match them).

    Attributes:
        samples: K, responses per problem.
        temperature: Sampling temperature (0 = greedy).
        top_p: Nucleus threshold (1.0 = off); top-k is always off.
        max_tokens: Maximum new tokens per response.
        limit: Evaluate only the first ``limit`` problems of each benchmark (``None``: all).
        seed: Run seed; chunk seeds derive from it.
        batch_size: Sequences per generation call (fixes the chunking, hence the random draws).
        backend: Rollout engine, ``"hf"`` or ``"vllm"``.
        extraction: Answer extraction of the main metrics for envs that have modes (math): ``"strict"`` or
            ``"flexible"``; ``None`` keeps each env's own (``strict`` unless its kwargs say otherwise). Both
            modes are reported side by side either way.
    """

    samples: int
    temperature: float
    top_p: float
    max_tokens: int
    limit: int | None = None
    seed: int = 0
    batch_size: int = 64
    backend: str = "hf"
    extraction: str | None = None

    def __post_init__(self) -> None:
        if self.samples < 1 or self.max_tokens < 1 or self.batch_size < 1:
            raise ConfigError(
                f"samples, max_tokens and batch_size must be >= 1, got {self.samples}, {self.max_tokens}, "
                f"{self.batch_size}."
            )
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be >= 1 (or None for every problem), got {self.limit}.")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ConfigError(f"Need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}.")
        if self.extraction not in (None, "strict", "flexible"):
            raise ConfigError(f"extraction={self.extraction!r} is not valid; use 'strict' or 'flexible' (or None).")

    @classmethod
    def for_suite(cls, suite: Suite, **overrides: Any) -> EvalSettings:
        """The suite's default sampling with the non-``None`` ``overrides`` applied."""
        base = dataclasses.asdict(suite.sampling)
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(overrides) - fields
        if unknown:
            raise TypeError(f"Unknown evaluation setting(s) {sorted(unknown)}; valid: {sorted(fields)}.")
        return cls(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


def _chunk_seed(seed: int, benchmark: str, start: int) -> int:
    digest = hashlib.sha256(f"{seed}/{benchmark}/{start}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _sample_chunk(engine: Any, env: Any, bench: BenchmarkSpec, indices: list[int], missing: set, s: EvalSettings):
    """Draw K samples for each problem of ``indices``; grade and return the records of the ``missing`` ones."""
    from reasoning_gym.rollout import SamplingParams, render_prompt

    messages = [env.reset(options={"index": i})[1]["messages"] for i in indices]
    params = SamplingParams(
        temperature=s.temperature,
        top_p=s.top_p,
        max_new_tokens=s.max_tokens,
        n=s.samples,
        seed=_chunk_seed(s.seed, bench.name, indices[0]),
    )
    drawn, count = engine.generate(messages, params), Counter()
    kept = []
    for x in drawn:  # the k-th sample of a prompt has sample index k
        i = indices[x.prompt_index]
        if (i, count[i]) in missing:
            kept.append((i, count[i], x))
        count[i] += 1
    verdicts = env.score_batch([env.get_problem(i) for i, _, _ in kept], [x.text for _, _, x in kept])
    prompts = {i: render_prompt(engine.tokenizer, m) for i, m in zip(indices, messages)}
    return [
        {
            "benchmark": bench.name,
            "env_id": bench.env_id,
            "problem_index": i,
            "problem_id": env.get_problem(i).id,
            "sample_index": k,
            "prompt": prompts[i],
            "response": x.text,
            "extracted": v.extracted,
            "reward": float(v.reward),
            "status": v.status,
            "verdict": v.to_dict(),
            "finish_reason": x.finish_reason,
            "response_tokens": len(x.response_ids),
        }
        for (i, k, x), v in zip(kept, verdicts)
    ]


def _run_benchmark(engine: Any, env: Any, bench: BenchmarkSpec, n: int, s: EvalSettings, log: SampleLog, bar) -> None:
    done = log.done(bench.name)
    per_chunk = max(1, s.batch_size // s.samples)
    for start in range(0, n, per_chunk):
        indices = list(range(start, min(n, start + per_chunk)))
        missing = {(i, k) for i in indices for k in range(s.samples)} - done
        if missing:
            bar.set_postfix_str(bench.name, refresh=False)
            log.append(_sample_chunk(engine, env, bench, indices, missing, s))
            bar.update(len(missing))


def run_identity(suite: Suite, settings: EvalSettings, model_path: str | None) -> dict[str, Any]:
    """The part of a run's ``settings.json`` known before the model is loaded (checked early on resume)."""
    return {
        "format_version": FORMAT_VERSION,
        "suite": suite.to_dict(),
        "settings": dataclasses.asdict(settings),
        "model": {"path": model_path},
        "verifier_version": software_versions()["math_verifier"],
    }


def run_suite(
    engine: Any,
    suite: Suite | str,
    settings: EvalSettings,
    *,
    model_info: Mapping[str, Any],
    output_dir: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate ``engine`` on every benchmark of ``suite``; resume from ``output_dir`` when it holds a run.

    Args:
        engine: A rollout engine (``generate(prompts, SamplingParams)`` and a ``tokenizer``).
        suite: A :class:`Suite` or a name for :func:`~reasoning_gym.benchmarks.suites.get_suite`.
        settings: Sampling and run settings.
        model_info: Model provenance (``path``, ``weights_sha256``, ``dtype``, ...); its ``path``,
            ``weights_sha256`` and ``dtype`` must match on resume.
        output_dir: Folder for ``samples.jsonl``, ``results.json`` and the reports; ``None`` keeps
            everything in memory.
        progress: Show a tqdm progress bar with ETA (on stderr).

    Returns:
        The content of ``results.json``.
    """
    suite = get_suite(suite) if isinstance(suite, str) else suite
    check_registered(suite)
    opened = {b.name: open_benchmark(b, settings.limit) for b in suite.benchmarks}
    for env, _ in opened.values():  # envs without extraction modes (code, countdown) have None here
        if settings.extraction is not None and getattr(env, "answer_extraction", None) is not None:
            env.answer_extraction = settings.extraction
    fingerprint = {
        **run_identity(suite, settings, model_info.get("path")),
        "model": {k: model_info.get(k) for k in ("path", "weights_sha256", "dtype", "tag")},
        "chat_template_sha256": chat_template_info(engine.tokenizer)["sha256"],
    }
    if output_dir is None:
        return _run(engine, suite, settings, opened, SampleLog(None), progress, fingerprint, model_info, None)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    with RunLock(out):
        check_settings(out, fingerprint)
        log = SampleLog(out / SAMPLES_FILE)
        return _run(engine, suite, settings, opened, log, progress, fingerprint, model_info, out)


def _run(engine, suite, settings, opened, log, progress, fingerprint, model_info, out) -> dict[str, Any]:
    from tqdm.auto import tqdm

    total = sum(n for _, n in opened.values()) * settings.samples
    with tqdm(total=total, initial=len(log), desc=f"eval {suite.name}", unit="sample", disable=not progress) as bar:
        for bench in suite.benchmarks:
            env, n = opened[bench.name]
            _run_benchmark(engine, env, bench, n, settings, log, bar)
    results = _results(suite, settings, opened, log, fingerprint, model_info, chat_template_info(engine.tokenizer))
    if out is not None:
        from reasoning_gym.benchmarks.report import write_reports

        write_text_atomic(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        write_reports(out, results)
    return results


def _results(suite, settings, opened, log, fingerprint, model_info, template) -> dict[str, Any]:
    benchmarks, draws, values = {}, {}, {}
    key = f"avg@{settings.samples}"
    for bench in suite.benchmarks:
        env, n = opened[bench.name]
        summary, draws[bench.name] = summarize_benchmark(bench.name, log.records(bench.name), settings.samples)
        values[bench.name] = summary["metrics"][key]["value"]
        meta = {"env_id": bench.env_id, "env_kwargs": dict(bench.kwargs), "dataset": dataset_fingerprint(env, n)}
        extraction = extraction_summary(bench.name, log.records(bench.name), settings.samples)
        benchmarks[bench.name] = {**meta, **summary, **({"extraction": extraction} if extraction else {})}
    return {
        "format_version": FORMAT_VERSION,
        "suite": suite.to_dict(),
        "settings": dataclasses.asdict(settings),
        "model": dict(model_info),
        "chat_template": template,
        "seed": settings.seed,
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED, "confidence": CONFIDENCE},
        "versions": software_versions(),
        "fingerprint_sha256": hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest(),
        "benchmarks": benchmarks,
        "average": {key: suite_average(draws, values)} if len(benchmarks) > 1 else {},
    }


def scalar_metrics(results: Mapping[str, Any], prefix: str = "eval") -> dict[str, float]:
    """Flatten results into ``{"eval/<benchmark>/<metric>": value}`` (plus ``eval/average/avg@K``) for loggers.

    Math benchmarks add ``eval/<benchmark>/extraction/{strict,flexible}/{avg,pass}@K`` and ``.../differ``.
    """
    out = {f"{prefix}/average/{m}": v["value"] for m, v in results.get("average", {}).items() if v}
    for name, bench in results["benchmarks"].items():
        out.update({f"{prefix}/{name}/{m}": v["value"] for m, v in bench["metrics"].items()})
        out[f"{prefix}/{name}/mean_response_tokens"] = bench["mean_response_tokens"]
        out[f"{prefix}/{name}/truncated_fraction"] = bench["truncated_fraction"]
    return {**out, **extraction_scalars(results, prefix)}
