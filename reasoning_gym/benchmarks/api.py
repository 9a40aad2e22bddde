"""The two ways to evaluate a model: from a path (:func:`evaluate`) or in-process (:func:`evaluate_policy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasoning_gym.benchmarks.provenance import weights_fingerprint
from reasoning_gym.benchmarks.runner import EvalSettings, run_identity, run_suite
from reasoning_gym.benchmarks.store import precheck_settings
from reasoning_gym.benchmarks.suites import Suite, check_registered, get_suite
from reasoning_gym.errors import ConfigError, unknown_name

__all__ = ["BACKENDS", "evaluate", "evaluate_policy", "report_to_wandb"]

#: Rollout backends of ``rgym eval --backend`` (both through :func:`reasoning_gym.rollout.make_engine`).
BACKENDS = ("hf", "vllm")


def evaluate(
    model: str,
    suite: Suite | str,
    *,
    output_dir: str | Path | None,
    samples: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    limit: int | None = None,
    extraction: str | None = None,
    backend: str = "hf",
    seed: int = 0,
    batch_size: int = 64,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    progress: bool = True,
    report_to: str | None = None,
) -> dict[str, Any]:
    """Evaluate a model on a suite and write ``results.json``, ``samples.jsonl`` and the reports.

    Example:
        >>> results = evaluate("tiny", "aime24", output_dir="out/tiny-aime24", samples=2, limit=2,
        ...                    max_tokens=16)  # doctest: +SKIP
        >>> results["benchmarks"]["aime24"]["metrics"]["avg@2"]  # doctest: +SKIP

    Args:
        model: A Hugging Face folder, a hub id, or a built-in tiny model (``"tiny"``).
        suite: A suite name, env id, suite file, or :class:`Suite`.
        output_dir: The run folder (resumed when it already holds this run); ``None``: in memory only.
        samples: K, responses per problem (default: the suite's).
        temperature: Sampling temperature (default: the suite's).
        top_p: Nucleus threshold (default: the suite's).
        max_tokens: Maximum new tokens (default: the suite's).
        limit: Only the first ``limit`` problems of each benchmark.
        extraction: Answer extraction of the main metrics, ``"strict"`` or ``"flexible"`` (default: each env's
            own); both modes are reported side by side in ``results["benchmarks"][name]["extraction"]``.
        backend: ``"hf"`` (transformers) or ``"vllm"`` (needs the ``vllm`` extra).
        seed: Run seed.
        batch_size: Sequences per generation call.
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        dtype: ``"auto"`` (bfloat16 on CUDA, float32 on CPU), ``"float32"`` or ``"bfloat16"``.
        trust_remote_code: Allow model code from the hub folder to run.
        progress: Show a progress bar.
        report_to: ``"wandb"`` also logs the settings, every metric and the verdict counts to a W&B run in
            ``output_dir`` (needs the ``wandb`` extra); ``None`` or ``"none"``: only the files.

    Returns:
        The content of ``results.json``.
    """
    from reasoning_gym.integrations.tracking import parse_report_to

    reporters = parse_report_to(report_to, allowed=("wandb",))  # a typo fails before any work
    suite = get_suite(suite) if isinstance(suite, str) else suite
    check_registered(suite)  # before spending minutes on loading a model
    if backend not in BACKENDS:
        raise unknown_name("backend", backend, BACKENDS)
    settings = EvalSettings.for_suite(
        suite,
        samples=samples,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        limit=limit,
        extraction=extraction,
        seed=seed,
        batch_size=batch_size,
        backend=backend,
    )
    if output_dir is not None:  # refuse a mismatched resume before spending minutes on loading a model
        precheck_settings(Path(output_dir), run_identity(suite, settings, model))
    engine, model_info = _load_engine(model, backend, device, dtype, batch_size, trust_remote_code)
    results = run_suite(engine, suite, settings, model_info=model_info, output_dir=output_dir, progress=progress)
    if "wandb" in reporters:
        report_to_wandb(results, output_dir)
    return results


def report_to_wandb(results: dict[str, Any], output_dir: str | Path | None) -> None:
    """Log an evaluation to a W&B run: its settings as the config, every metric and each benchmark's verdict counts."""
    from reasoning_gym.benchmarks.runner import scalar_metrics
    from reasoning_gym.integrations.tracking import WandbRun

    config = {k: results[k] for k in ("suite", "settings", "model", "versions", "seed") if k in results}
    metrics = scalar_metrics(results)
    for name, bench in results["benchmarks"].items():
        metrics.update({f"eval/{name}/verdict/{status}": n for status, n in bench["status_counts"].items()})
    run = WandbRun(Path(output_dir or "."), config, job_type="eval")
    run.log(metrics, step=0)
    run.summarize(metrics)
    run.finish()


def _load_engine(model: str, backend: str, device: str, dtype: str, batch_size: int, trust_remote_code: bool):
    """Build the rollout engine for ``model`` and return it with the model's provenance."""
    from reasoning_gym.models.loading import load_tokenizer, resolve_model_path
    from reasoning_gym.rollout import make_engine

    resolved = resolve_model_path(model)
    if backend == "vllm":  # the vLLM engine loads its own weights from the folder
        engine = make_engine("vllm", resolved, load_tokenizer(model, trust_remote_code=trust_remote_code))
        return engine, {**weights_fingerprint(model, resolved), "dtype": dtype, "device": "vllm"}
    import torch

    from reasoning_gym.models.loading import ModelConfig, load_policy

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        dtype = "bfloat16" if device.startswith("cuda") else "float32"
    if dtype not in ("float32", "bfloat16"):
        raise ConfigError(f"dtype={dtype!r} is not supported; use 'auto', 'float32' or 'bfloat16'.")
    config = ModelConfig(path=model, dtype=dtype, gradient_checkpointing=False, trust_remote_code=trust_remote_code)
    policy, tokenizer = load_policy(config, device, what="model")  # a ModelLoadError says what to do
    policy.eval()
    engine = make_engine("hf", policy, tokenizer, batch_size=batch_size)
    info = {**weights_fingerprint(model, resolved), "dtype": dtype, "device": str(device)}
    if str(device).startswith("cuda"):
        info["device_name"] = torch.cuda.get_device_name(torch.device(device))
    return engine, info


def evaluate_policy(
    model: Any,
    tokenizer: Any,
    suite: Suite | str,
    *,
    engine: Any = None,
    output_dir: str | Path | None = None,
    samples: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    limit: int | None = None,
    extraction: str | None = None,
    seed: int = 0,
    batch_size: int = 64,
    model_name: str | None = None,
    tag: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Evaluate a model held in memory (a trainer's policy), e.g. every N training steps.

    Example:
        >>> from reasoning_gym.benchmarks import evaluate_policy, scalar_metrics
        >>> if step % eval_every == 0:  # doctest: +SKIP
        ...     metrics.update(scalar_metrics(evaluate_policy(policy, tokenizer, "aime24", samples=4,
        ...                                                   engine=engine, tag=f"step-{step}")))

    The same seed is used at every call, so successive evaluations draw with the same random numbers and
    differences between steps are less noisy. Weights are not hashed (too slow to do every N steps):
    pass ``tag`` (e.g. ``"step-100"``), and a new ``output_dir`` per evaluation if you keep the files.

    Args:
        model: The causal LM (left in the train/eval mode it was in).
        tokenizer: Its tokenizer (its chat template renders the prompts).
        suite: A suite name, env id, suite file, or :class:`Suite`.
        engine: A rollout engine to reuse (e.g. the trainer's); default: an ``HFEngine`` over ``model``.
        output_dir: Where to write the run's files; ``None`` keeps them in memory.
        samples: K (default: the suite's).
        temperature: Sampling temperature (default: the suite's).
        top_p: Nucleus threshold (default: the suite's).
        max_tokens: Maximum new tokens (default: the suite's).
        limit: Only the first ``limit`` problems of each benchmark.
        extraction: Answer extraction of the main metrics, ``"strict"`` or ``"flexible"`` (default: each env's
            own); both modes are reported side by side in ``results["benchmarks"][name]["extraction"]``.
        seed: Run seed.
        batch_size: Sequences per generation call.
        model_name: Name recorded as the model path (default: the model config's ``_name_or_path``).
        tag: Free-form label of these weights (e.g. the training step), recorded and checked on resume.
        progress: Show a progress bar.

    Returns:
        The content of ``results.json``; :func:`~reasoning_gym.benchmarks.runner.scalar_metrics` flattens it.
    """
    suite = get_suite(suite) if isinstance(suite, str) else suite
    if engine is None:
        from reasoning_gym.rollout.hf import HFEngine

        engine = HFEngine(model, tokenizer, batch_size=batch_size)
    settings = EvalSettings.for_suite(
        suite,
        samples=samples,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        limit=limit,
        extraction=extraction,
        seed=seed,
        batch_size=batch_size,
        backend=f"in-process:{type(engine).__name__}",
    )
    return run_suite(
        engine,
        suite,
        settings,
        model_info=_policy_info(model, model_name, tag),
        output_dir=output_dir,
        progress=progress,
    )


def _policy_info(model: Any, model_name: str | None, tag: str | None) -> dict[str, Any]:
    """Provenance of an in-memory model (its weights are not hashed)."""
    first = next(iter(model.parameters()), None)
    return {
        "path": model_name or getattr(getattr(model, "config", None), "_name_or_path", None) or type(model).__name__,
        "weights_sha256": None,
        "dtype": str(first.dtype).removeprefix("torch.") if first is not None else None,
        "device": str(first.device) if first is not None else None,
        "tag": tag,
        "note": "in-process policy; weights not hashed",
    }
