"""``rgym train``: train a policy with SPPO, PPO, GRPO, RLOO or ReMax.

Usage::

    rgym train [ALGORITHM] [--preset NAME] [--env ID [--env ID ...]] [--policy MODEL] [--critic MODEL]
               [--steps N] [--seed S] [--save-every K] [--eval-every K] [--output DIR] [--resume]
               [--dry-run [--gpus N] [--gpu-memory GIB]] [--debug] [--config FILE] [--any.dotted.flag VALUE ...]

``ALGORITHM`` defaults to ``sppo``. Settings come from a named preset (:mod:`reasoning_gym.trainers.presets`),
then ``--config FILE``, then flags. Without ``--preset``, the built-in tiny models get ``cpu-demo`` (SFT
warm start on easy procedural arithmetic, then RL with held-out accuracy measured every few steps: ``rgym
train`` alone shows SPPO learning within minutes on 2 CPU cores) and every other model ``paper-1.5b`` (the
SPPO paper's settings). Every field of the algorithm's config has a dotted flag (``rgym train sppo --help``
lists them with the preset's values).

``--env`` replaces the preset's environment: the env kwargs fall back to ``{}`` and the SFT warm start is
off, unless ``--env.kwargs`` / ``--sft.steps`` are given too. Several ``--env`` draw prompts in turn
(``--env.weights`` draws them by weight).

``--decontaminate-against ID ...`` drops the training problems that overlap those benchmarks (it sets
``exclude_overlap_with`` in ``env.kwargs``; dataset envs only, see ``rgym contamination``).

``--dry-run`` trains nothing: it reads the models' ``config.json`` only (no weights), writes
``DIR/config.json`` and ``DIR/memory_plan.json`` and prints the per-GPU memory plan for ``--gpus`` GPUs of
``--gpu-memory`` GiB, with the flags that would make an oversized run fit.

A mistake (an unknown env id, an invalid value, a model that cannot be loaded, a run folder that already
holds checkpoints) prints one message that says what to change and exits with status 2; ``--debug`` shows
the traceback instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError, ReasoningGymError

__all__ = ["SHORTCUTS", "main", "parse_train_args", "preset_config"]

#: Short flags of ``rgym train``: flag -> (dotted config path, argparse keyword arguments).
SHORTCUTS: dict[str, tuple[str, dict[str, Any]]] = {
    "--policy": (
        "policy.path",
        {"metavar": "MODEL", "help": "policy: hub id, folder, tiny/tiny-qwen2/small or smollm2-135m"},
    ),
    "--critic": ("critic.path", {"metavar": "MODEL", "help": "critic backbone (sppo, ppo)"}),
    "--steps": ("run.steps", {"type": int, "metavar": "N", "help": "training steps"}),
    "--seed": ("run.seed", {"type": int, "metavar": "S", "help": "random seed"}),
    "--save-every": ("run.save_every", {"type": int, "metavar": "K", "help": "checkpoint every K steps"}),
    "--eval-every": ("eval.every", {"type": int, "metavar": "K", "help": "held-out evaluation every K steps"}),
    "--output": ("run.output_dir", {"metavar": "DIR", "help": "run folder (config, metrics, checkpoints, plot)"}),
    "--resume": (
        "run.resume",
        {"action": "store_true", "default": None, "help": "continue from DIR's last checkpoint"},
    ),
}
#: Flags that are not config fields: what they mean to ``rgym train``.
RUN_FLAGS = {
    "--preset NAME": "named settings: cpu-demo, paper-1.5b, paper-7b, paper-7b-small-critic",
    "--dry-run": "plan per-GPU memory from the models' config.json and exit (with --gpus, --gpu-memory)",
    "--sft-only": "run (or find in the cache) the supervised warm start, print its folder and exit",
    "--debug": "show the traceback of an error instead of one message",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rgym train``: pick the algorithm, build its config, train (or plan with ``--dry-run``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        return _main(argv)
    except (ReasoningGymError, FileExistsError) as err:  # the user's mistake: one message, no traceback
        if debug:
            raise
        print(f"rgym train: error: {err}", file=sys.stderr)
        return 2


def _main(argv: list[str]) -> int:
    from reasoning_gym.trainers import TRAINERS, get_trainer

    if argv and not argv[0].startswith("-"):
        name, argv = argv[0], argv[1:]
    elif any(a in ("-h", "--help") for a in argv):
        print(_overview(TRAINERS))
        return 0
    else:
        name = "sppo"
    module = get_trainer(name)
    sft_only = "--sft-only" in argv
    argv = [a for a in argv if a != "--sft-only"]
    config, plan = parse_train_args(name, module.Config, argv, with_plan=True)
    if plan is not None:
        return _dry_run(config, **plan)
    if sft_only:
        return _sft_only(config)
    module.train(config)
    return 0


def _sft_only(config: Any) -> int:
    from reasoning_gym.trainers.sft import warm_start

    if config.sft.steps == 0:
        raise ConfigError("--sft-only with sft.steps = 0: nothing to do; give the steps, e.g. --sft.steps 300.")
    print(warm_start(config).path)
    return 0


def preset_config(name: str, cls: type, *, preset: str = "cpu-demo", policy: str | None = None) -> Any:
    """``cls`` with ``preset``'s settings for algorithm ``name`` applied (``policy`` replaces its model)."""
    from reasoning_gym.trainers.config import apply_overrides
    from reasoning_gym.trainers.presets import preset_overrides

    return apply_overrides(cls, preset_overrides(preset, name, policy_path=policy))


def parse_train_args(name: str, cls: type, argv: list[str], *, with_plan: bool = False) -> Any:
    """Parse ``rgym train NAME`` arguments into a ``cls`` instance: preset, then config file, then flags.

    With ``with_plan`` returns ``(config, plan)``, where ``plan`` holds the ``--dry-run`` settings (or None).

    Raises:
        SystemExit: With a usage message for unknown flags or bad values.
        ConfigError: For an invalid config (``main`` prints it as one message).
    """
    from reasoning_gym.trainers.config import apply_overrides, build_parser
    from reasoning_gym.trainers.presets import default_preset, preset_overrides

    early = _early_flags(argv)
    preset = early.preset or default_preset(early.policy or "tiny")
    envs_given = "--env" in argv
    base = apply_overrides(cls, preset_overrides(preset, name, policy_path=early.policy, with_env=not envs_given))
    parser = build_parser(
        cls,
        prog=f"rgym train {name}",
        base=base,
        description=f"{_summary(name)}\n\nDefaults shown are the {preset} preset's.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_shortcuts(parser, cls)
    args = vars(parser.parse_args(argv))
    config_file, envs = args.pop("config"), args.pop("shortcut_env")
    against = args.pop("decontaminate_against")
    plan = {k: args.pop(k) for k in ("dry_run", "gpus", "gpu_memory")}
    args.pop("preset")
    overrides = _shortcut_overrides(parser, args)
    if envs:
        overrides.setdefault("env.id", envs[0])
        overrides.setdefault("env.mix", envs[1:])
        overrides.setdefault("env.kwargs", {})
        overrides.setdefault("sft.steps", 0)
    config = apply_overrides(cls, overrides, config_file=config_file, base=base)
    if against:  # after every other source of env.kwargs, so that it adds to them instead of being replaced
        kwargs = {**config.env.kwargs, "exclude_overlap_with": list(against)}
        config = dataclasses.replace(config, env=dataclasses.replace(config.env, kwargs=kwargs))
    if early.preset is None and config_file is None and preset != "cpu-demo":
        print(f"rgym train: {config.policy.path} is not a built-in tiny model: using the {preset} preset "
              "(--preset cpu-demo for the CPU demo's settings).", file=sys.stderr)  # fmt: skip
    dry = {"gpus": plan["gpus"], "gpu_memory": plan["gpu_memory"]} if plan["dry_run"] else None
    return (config, dry) if with_plan else config


def _early_flags(argv: list[str]) -> argparse.Namespace:
    """``--preset`` and the policy, read before the full parser (its defaults depend on them)."""
    early = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    early.add_argument("--preset", default=None)
    early.add_argument("--policy", "--policy.path", dest="policy", default=None)
    return early.parse_known_args(argv)[0]


def _add_shortcuts(parser: argparse.ArgumentParser, cls: type) -> None:
    fields = {f.name for f in dataclasses.fields(cls)}
    group = parser.add_argument_group("shortcuts", "Short forms of the most used dotted flags, and run flags.")
    group.add_argument(
        "--env", dest="shortcut_env", action="append", metavar="ID", default=[],
        help="env id to train on; repeat to mix envs (resets env.kwargs to {} and sft.steps to 0 unless given)",
    )  # fmt: skip
    group.add_argument(
        "--decontaminate-against", nargs="+", metavar="ID", default=None,
        help="drop training problems that overlap these benchmark envs (dataset envs; see rgym contamination)",
    )  # fmt: skip
    for flag, (dotted, kwargs) in SHORTCUTS.items():
        if dotted.split(".")[0] in fields:
            group.add_argument(flag, dest=f"shortcut:{dotted}", **{"default": None, **kwargs})
    group.add_argument("--preset", default=None, metavar="NAME", help=RUN_FLAGS["--preset NAME"])
    group.add_argument("--dry-run", action="store_true", help=RUN_FLAGS["--dry-run"])
    group.add_argument(
        "--gpus", type=int, default=int(os.environ.get("WORLD_SIZE", "1")), metavar="N",
        help="GPUs the --dry-run plans for (default: $WORLD_SIZE or 1)",
    )  # fmt: skip
    group.add_argument("--gpu-memory", type=float, default=80.0, metavar="GIB", help="memory per GPU (default 80)")


def _shortcut_overrides(parser: argparse.ArgumentParser, args: dict[str, Any]) -> dict[str, Any]:
    """Dotted overrides from parsed args: dotted flags as given, shortcuts mapped to their paths."""
    overrides = {k: v for k, v in args.items() if not k.startswith("shortcut:")}
    for key, value in args.items():
        if key.startswith("shortcut:") and value is not None:
            dotted = key.removeprefix("shortcut:")
            if dotted in overrides:
                parser.error(f"--{dotted} and its shortcut were both given; keep one.")
            overrides[dotted] = value
    return overrides


def _dry_run(config: Any, *, gpus: int, gpu_memory: float) -> int:
    """Write ``config.json`` and ``memory_plan.json`` into the output folder and print the plan; load no weights."""
    import json

    from reasoning_gym.models.memory import plan_memory
    from reasoning_gym.trainers.config import save_config

    if gpus < 1 or gpu_memory <= 0:
        raise ConfigError(f"--gpus must be >= 1 and --gpu-memory > 0, got {gpus} and {gpu_memory}.")
    out = Path(config.run.output_dir)
    plan = plan_memory(config, gpus=gpus, gpu_memory_gib=gpu_memory)
    save_config(config, out)
    (out / "memory_plan.json").write_text(json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n")
    print(plan.table())
    print(f"\nWrote {out / 'config.json'} and {out / 'memory_plan.json'} (dry run: nothing was trained).")
    return 0


def _summary(name: str) -> str:
    from reasoning_gym.trainers import get_trainer

    doc = get_trainer(name).__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else name


def _overview(trainers: dict[str, str]) -> str:
    lines = [__doc__.strip().split("\n\n", 1)[0], "", "usage: rgym train [ALGORITHM] [options]", "", "algorithms:"]
    for name in trainers:
        default = " (default)" if name == "sppo" else ""
        lines.append(f"  {name:<8}{_summary(name)}{default}")
    lines += ["", "options (rgym train ALGORITHM --help lists every flag):"]
    lines.append(f"  {'--env ID':<20}env id to train on; repeat to mix envs")
    lines.append("  --decontaminate-against ID ...  drop training problems that overlap these benchmark envs")
    for flag, (dotted, kwargs) in SHORTCUTS.items():
        shown = f"{flag} {kwargs['metavar']}" if "metavar" in kwargs else flag
        lines.append(f"  {shown:<20}{kwargs['help']} (--{dotted})")
    for flag, text in RUN_FLAGS.items():
        lines.append(f"  {flag:<20}{text}")
    lines.append(f"  {'--config FILE':<20}start from a saved config.json instead of the preset")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
