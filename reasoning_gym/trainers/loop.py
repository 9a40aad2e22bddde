"""The loop every trainer shares: setup, held-out evaluation, logging, checkpoints.

A trainer module (``sppo``, ``ppo``, ``grpo``, ``rloo``, ``remax``) writes its config and one
``_train_step(run, step) -> metrics`` (from the pieces in :mod:`reasoning_gym.trainers.steps`);
:func:`run_training` runs it::

    run = setup(config, dist, critic=...)   # SFT warm start, models, optimizers, envs; resume if asked
    log {"step": 0, eval/...}               # held-out accuracy before training
    for step in range(run.start_step, config.run.steps + 1):
        metrics = train_step(run, step)     # the algorithm
        add eval/... every config.eval.every steps and after the last one
        log metrics                         # metrics.jsonl, TensorBoard, progress bar
        checkpoint every config.run.save_every steps and after the last one
    write reward_curve.png

Every trainer config has the fields ``policy, env, rollout, actor_optim, clip, eval, sft, run, fsdp``; a
trainer with a critic also has ``critic, critic_optim``, and one that may use a reference policy has ``kl``.
Under ``torchrun`` every rank draws the same global batch, samples and scores its slice, and the episodes
are gathered back (:mod:`reasoning_gym.trainers.distributed`); one process runs the same code, sharded in a
one-process group only when it computes in bfloat16 or offloads.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from reasoning_gym.errors import ConfigError
from reasoning_gym.models.config import ModelConfig
from reasoning_gym.models.loading import load_causal_lm, load_critic_model, load_tokenizer, resolve_model_path
from reasoning_gym.rollout import make_engine
from reasoning_gym.trainers import checkpoint as ckpt
from reasoning_gym.trainers.config import save_config
from reasoning_gym.trainers.distributed import Distributed, compute_dtype, init_distributed, needs_wrapping
from reasoning_gym.trainers.episodes import Scorer, make_env, make_source
from reasoning_gym.trainers.evaluation import Evaluator
from reasoning_gym.trainers.metrics import MetricsLogger, TrainResult, write_reward_curve
from reasoning_gym.trainers.optim import make_optimizer, resolve_device, scheduled_lr, seed_everything, set_lr
from reasoning_gym.trainers.sft import warm_start

__all__ = ["Run", "close", "describe", "run_training", "save", "setup"]

StepFn = Callable[["Run", int], dict[str, Any]]


@dataclass
class Run:
    """Everything a step needs, built once by :func:`setup`. ``critic*`` are None without a critic."""

    config: Any
    dist: Distributed
    policy: Any
    tokenizer: Any
    actor_opt: torch.optim.Optimizer
    engine: Any
    source: Any
    scorer: Scorer
    evaluator: Evaluator | None = None
    logger: MetricsLogger | None = None  # rank 0 only
    start_step: int = 1
    critic: Any = None
    critic_tokenizer: Any = None
    critic_opt: torch.optim.Optimizer | None = None
    reference: Any = None  # frozen initial policy, only when config.kl.coef > 0
    engine_stale: bool = True  # the engine's own weight copy (vLLM) lags the policy: load it before sampling
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        """Where this rank's models compute."""
        return self.dist.device


def run_training(config: Any, train_step: StepFn, *, critic: bool) -> TrainResult:
    """Set up, evaluate, run ``train_step`` for ``config.run.steps`` steps with logging and checkpoints.

    Args:
        config: A trainer config (see the module docstring for the fields it must have).
        train_step: The algorithm: ``train_step(run, step)`` does one step and returns its metrics.
        critic: Load ``config.critic`` and give it an optimizer.
    """
    if config.policy.dtype == "bfloat16":
        warnings.warn(
            "--policy.dtype bfloat16 keeps the weights and AdamW state in bfloat16, which cannot apply updates "
            "as small as lr 1e-6 (they round away); keep float32 weights and compute in bf16 with "
            "--fsdp.param_dtype bfloat16 (the default on GPUs).",
            stacklevel=2,
        )
    device = resolve_device(config.run.device)
    one = needs_wrapping(config.fsdp, device, getattr(torch, config.policy.dtype))
    with init_distributed(str(device), config.fsdp, shard_one_process=one) as dist:
        run = setup(config, dist, critic=critic)
        try:
            if run.start_step == 1 and run.evaluator is not None:
                _log(run, {"step": 0, **run.evaluator(run)})
            for step in range(run.start_step, config.run.steps + 1):
                lrs = _schedule(run, step)
                metrics = {"step": step, **train_step(run, step), **lrs}
                last = step == config.run.steps
                if run.evaluator is not None and (last or step % config.eval.every == 0):
                    metrics.update(run.evaluator(run))
                _log(run, metrics)
                if last or (config.run.save_every and step % config.run.save_every == 0):
                    save(run, step)
        finally:
            close(run)
    return TrainResult(Path(config.run.output_dir), config.run.steps, run.history)


def _schedule(run: Run, step: int) -> dict[str, float]:
    """Set this step's learning rates (``actor_optim``/``critic_optim`` schedules) and return them for the log."""
    lrs = {}
    for name, opt in (("actor", run.actor_opt), ("critic", run.critic_opt)):
        if opt is not None:
            lrs[f"{name}/lr"] = scheduled_lr(getattr(run.config, f"{name}_optim"), step, run.config.run.steps)
            set_lr(opt, lrs[f"{name}/lr"])
    return lrs


def _log(run: Run, metrics: dict[str, Any]) -> None:
    if run.logger is not None:
        run.logger.log(metrics)
    run.history.append(metrics)


def close(run: Run) -> None:
    """Close the engine, scorers, envs and logger of ``run`` and draw its reward curve (rank 0)."""
    if hasattr(run.engine, "close"):  # a vLLM engine holds process-global state: only one may be open
        run.engine.close()
    run.scorer.close()
    run.source.close()
    if run.evaluator is not None:
        run.evaluator.close()
    if run.logger is not None:
        run.logger.close()
        title = f"{type(run.config).__name__.removesuffix('Config')} on {', '.join(run.config.env.ids)}"
        write_reward_curve(run.logger.path, run.logger.path.parent / "reward_curve.png", title=title)


# ---------------------------------------------------------------------------------------------------------
# Setup and checkpoints
# ---------------------------------------------------------------------------------------------------------


def setup(config: Any, dist: Distributed, *, critic: bool) -> Run:
    """Warm-start, load (and shard) models, build optimizers, envs and engine; restore a checkpoint if resuming."""
    _check_divisible(config, dist, critic)
    out = Path(config.run.output_dir)
    resume_from = ckpt.resume_point(out, config.run.resume)
    if dist.device.type == "cuda":  # TF32 for the float32 matmuls that remain (bf16 does the bulk)
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    envs = [make_env(env_id, config.env.kwargs) for env_id in config.env.ids]  # an unknown id fails before loading
    initial = _attention(warm_start(config, dist), config.actor_optim.packing, dist.device)
    seed_everything(config.run.seed)  # after the warm start: a cached one must not shift the RL seeds
    source = initial if resume_from is None else initial.saved_at(resume_from / "policy")
    tokenizer = load_tokenizer(source.path, trust_remote_code=source.trust_remote_code, what="policy")
    # vLLM first, while the GPU is empty (it checks its memory share against free memory), then asleep.
    engine = _vllm_engine(config, source, tokenizer, dist) if config.rollout.engine == "vllm" else None
    policy = dist.build(lambda skeleton: load_causal_lm(source, skeleton=skeleton), config.fsdp)
    engine = engine or make_engine("hf", policy, tokenizer, batch_size=config.rollout.batch_size)
    run = Run(
        config, dist, policy, tokenizer, make_optimizer(policy, config.actor_optim), engine,
        source=make_source(envs, seed=config.run.seed, weights=config.env.weights or None),
        scorer=Scorer(_makers(config.env.ids, config.env.kwargs), config.env.num_workers),
        evaluator=Evaluator(config, envs) if config.eval.every else None,
    )  # fmt: skip
    if critic:
        spec = _attention(config.critic, config.critic_optim.packing, dist.device)
        spec = spec if resume_from is None else spec.saved_at(resume_from / "critic")
        run.critic = dist.build(lambda skeleton: load_critic_model(spec, skeleton=skeleton), config.fsdp)
        run.critic_tokenizer = load_tokenizer(spec.path, trust_remote_code=spec.trust_remote_code, what="critic")
        run.critic_opt = make_optimizer(run.critic, config.critic_optim)
    if getattr(config, "kl", None) is not None and config.kl.coef > 0:
        run.reference = dist.build(lambda skeleton: load_causal_lm(initial, skeleton=skeleton), config.fsdp)
        run.reference.requires_grad_(False)
    if resume_from is not None:
        _restore(run, resume_from)
    if dist.is_main:
        save_config(config, out)
        print(describe(config, dist), flush=True)
        resumed = run.start_step - 1 if resume_from is not None else None
        run.logger = MetricsLogger(out, resume_step=resumed, total_steps=config.run.steps)
    return run


def _vllm_engine(config: Any, source: ModelConfig, tokenizer: Any, dist: Distributed) -> Any:
    """A vLLM engine on the policy's folder, made for colocation: its settings, its device, then asleep.

    Under torchrun every rank builds its own engine with vLLM's ``external_launcher`` executor; ranks form
    tensor-parallel groups of ``rollout.tensor_parallel_size``. The weights go asleep at once (sleep mode
    frees them), so the first rollout loads the policy's current weights into it.
    """
    r = config.rollout
    if dist.world_size % r.tensor_parallel_size:
        raise ConfigError(
            f"--rollout.tensor_parallel_size {r.tensor_parallel_size} must divide the number of processes "
            f"({dist.world_size}); use a divisor of the GPUs per node."
        )
    options = {
        "batch_size": r.batch_size,
        "dtype": r.dtype,
        "max_model_len": r.max_model_len or r.max_prompt_tokens + r.max_new_tokens,
        "tensor_parallel_size": r.tensor_parallel_size,
        "sleep_mode": r.sleep,
        "external_launcher": dist.enabled,
        "seed": config.run.seed + dist.rank // r.tensor_parallel_size,  # the same within a tensor-parallel group
        "kv_cache_memory_bytes": r.kv_cache_memory_bytes,
    }
    if dist.device.type == "cuda":
        options["gpu_memory_utilization"] = r.gpu_memory_utilization
    engine = make_engine("vllm", resolve_model_path(source.path), tokenizer, **options)
    engine.sleep()
    return engine


def _attention(model: ModelConfig, packing: bool, device: torch.device) -> ModelConfig:
    """flash-attention 2 for packed micro-batches on a GPU when it is installed and no kernel was chosen."""
    if model.attn_implementation or not packing or device.type != "cuda":
        return model
    if importlib.util.find_spec("flash_attn") is None:
        return model  # sdpa with the block-diagonal mask transformers builds from the position ids
    return dataclasses.replace(model, attn_implementation="flash_attention_2")


def describe(config: Any, dist: Distributed) -> str:
    """The resolved settings that matter most, one line each (printed at the start of every run)."""
    c, a, r = config, config.actor_optim, config.rollout
    dtype = compute_dtype(config.fsdp, dist.device) or getattr(torch, c.policy.dtype)
    lines = [
        f"{type(c).__name__.removesuffix('Config')} on {', '.join(c.env.ids)}: {c.run.steps} steps of "
        f"{c.prompts_per_step} prompts, {dist.world_size} process(es) on {dist.device.type}",
        f"  policy {c.policy.path} ({c.policy.dtype} weights, {str(dtype).removeprefix('torch.')} compute, "
        f"checkpointing {'on' if c.policy.checkpointing else 'off'})",
        f"  actor: lr {a.lr:g} {a.schedule}, {a.epochs} epoch(s), weight decay {a.weight_decay:g}, mini-batch "
        f"{a.mini_batch_size}, {_micro(a)}",
        f"  sampling: temperature {r.temperature:g}, top-p {r.top_p:g}, {r.max_new_tokens} new tokens, prompts "
        f"<= {r.max_prompt_tokens} tokens, engine {r.engine}",
    ]
    if getattr(c, "critic", None) is not None:
        o = c.critic_optim
        lines.append(f"  critic {c.critic.path}: lr {o.lr:g} {o.schedule}, mini-batch {o.mini_batch_size}, {_micro(o)}")
    if getattr(c, "kl", None) is not None and c.kl.coef > 0:
        lines.append(f"  KL {c.kl.coef:g} ({c.kl.estimator}, {'in reward' if c.kl.in_reward else 'in loss'})")
    f = c.fsdp
    offload = "on" if f.offload else "off"
    lines.append(f"  fsdp: offload {offload}, replicate {f.replicate}, timeout {f.timeout_minutes:g} min")
    lines.append(f"  output {c.run.output_dir} (config.json holds every setting)")
    return "\n".join(lines)


def _micro(optim: Any) -> str:
    budget = optim.max_tokens_per_micro_batch
    cut = f"<= {budget} tokens" if budget else f"{optim.micro_batch_size} rows"
    return f"micro-batches of {cut}{', packed' if optim.packing else ''}"


def _check_divisible(config: Any, dist: Distributed, critic: bool) -> None:
    sizes = {"prompts_per_step": config.prompts_per_step}
    sizes["actor_optim.mini_batch_size"] = config.actor_optim.mini_batch_size
    if critic:
        sizes["critic_optim.mini_batch_size"] = config.critic_optim.mini_batch_size
    dist.check_divisible(**sizes)


def _makers(ids: tuple[str, ...], kwargs: dict[str, Any]) -> list[Callable[[], Any]]:
    return [lambda env_id=env_id: make_env(env_id, kwargs) for env_id in ids]


def save(run: Run, step: int) -> None:
    """Checkpoint the policy (and critic), optimizer states, data cursor and random states as ``checkpoint-STEP``."""
    trained = {"policy": (run.policy, run.actor_opt, run.tokenizer)}
    if run.critic is not None:
        trained["critic"] = (run.critic, run.critic_opt, run.critic_tokenizer)
    # The global generators are identical on every rank; rank 0's copy is the one saved.
    extra = {"data": run.source.state_dict(), "rng": ckpt.rng_state()}
    ckpt.save_checkpoint(run.config.run.output_dir, step, run.dist, trained, extra, keep_last=run.config.run.keep_last)


def _restore(run: Run, resume_from: Path) -> None:
    trained = {"policy": (run.policy, run.actor_opt)}
    if run.critic is not None:
        trained["critic"] = (run.critic, run.critic_opt)
    state = ckpt.load_checkpoint(resume_from, trained)
    run.source.load_state_dict(state["data"])
    ckpt.set_rng_state(state["rng"])
    run.start_step = state["step"] + 1
