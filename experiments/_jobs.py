"""Experiment jobs: the settings every method shares, the compared methods, one run as dotted ``rgym train`` flags.

A :class:`Job` is an algorithm plus the dotted flags of ``rgym train``; its run folder is named by a hash of
both, so equal jobs of different scripts share one run. The scripts import these modules by file name: Python
puts a script's folder on ``sys.path``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "docs" / "results"
DEFAULT_WORK = REPO / "runs" / "experiments"
#: The long-horizon env: a chain of 4 single-digit additions, reference solutions of ~50 policy tokens. The
#: ``rgym train`` preset uses 2 additions (~32 tokens). One wrong partial sum makes the answer wrong.
LONG_ENV = {"split": "train", "steps": 4, "digits": 1, "operations": "+"}
#: Colours of the methods in every plot, so that a method looks the same across figures.


@dataclass(frozen=True)
class Settings:
    """What every method of one experiment shares. The algorithms' own flags come from :func:`method_flags`.

    Attributes:
        policy: Policy model: ``tiny``, ``small`` (the built-in models) or a Hugging Face folder.
        env_kwargs: Keyword arguments of ``rg/Arithmetic-v0``.
        sft_steps: Steps of the supervised warm start. It is cached per seed, and every method starts from it.
        sft_lr: Learning rate of the warm start.
        steps: RL steps of a method with ``steps_factor`` 1 (GRPO); the others run ``steps * steps_factor``.
        prompts_per_step: Prompts per RL step, the same for every method.
        updates_per_step: Optimizer steps per RL step: each rollout batch is split into this many mini-batches.
        eval_every: Held-out evaluation every this many steps, times a method's ``eval_factor`` (and before
            the first step and after the last). ``steps`` must be a multiple of every method's interval, so
            that all methods are evaluated at step ``steps`` (the equal-steps comparison).
        eval_size: Held-out problems per evaluation, decoded greedily.
        temperature: Sampling temperature of the rollouts.
        max_new_tokens: Response length limit.
        actor_lr: Policy learning rate (AdamW, constant, no weight decay).
        critic_lr: Critic learning rate (SPPO and PPO).
        critic: Critic model of SPPO and PPO.
        ppo_critic_warmup: PPO's steps that train only the critic (the paper: 50 of 1000).
        micro_batch_size: Sequences per forward/backward pass.
    """

    policy: str = "tiny"
    env_kwargs: dict[str, Any] = field(default_factory=lambda: dict(LONG_ENV))
    sft_steps: int = 250
    sft_lr: float = 3e-3
    steps: int = 20
    prompts_per_step: int = 32
    updates_per_step: int = 2
    eval_every: int = 5
    eval_size: int = 200
    temperature: float = 0.3
    max_new_tokens: int = 80
    actor_lr: float = 1e-4
    critic_lr: float = 1e-3
    critic: str = "tiny"
    ppo_critic_warmup: int = 3
    micro_batch_size: int = 64

    def shared_flags(self) -> dict[str, Any]:
        """The dotted ``rgym train`` flags that every algorithm gets from these settings."""
        return {
            "policy.path": self.policy,
            "env.kwargs": self.env_kwargs,
            "sft.steps": self.sft_steps,
            "sft.lr": self.sft_lr,
            "rollout.temperature": self.temperature,
            "rollout.max_new_tokens": self.max_new_tokens,
            "actor_optim.lr": self.actor_lr,
            # Spelled out because the sppo preset of `rgym train` now differs (2 epochs, cosine decay):
            # every method here gets one pass and a constant lr, as in the committed results.
            "actor_optim.epochs": 1,
            "actor_optim.schedule": "constant",
            "actor_optim.weight_decay": 0.0,
            "actor_optim.micro_batch_size": self.micro_batch_size,
            "eval.every": self.eval_every,
            "eval.size": self.eval_size,
            "run.save_every": 0,
            "prompts_per_step": self.prompts_per_step,
        }


@dataclass(frozen=True)
class Method:
    """One compared method: a label, the trainer, and how many samples it generates per prompt.

    Attributes:
        label: Row name in tables and legends.
        algo: Trainer name (``sppo``, ``ppo``, ``grpo``, ``rloo``, ``remax``).
        samples_per_prompt: Responses generated per prompt and step (ReMax: 1 sampled + 1 greedy = 2).
        trained_per_prompt: Responses per prompt in the policy update (sets the actor's mini-batch size).
        flags: Extra dotted flags, on top of :func:`method_flags`.
        settings: Settings that differ from the experiment's, e.g. another policy or critic.
        steps_factor: The method runs ``settings.steps * steps_factor`` steps.
        eval_factor: The method is evaluated every ``settings.eval_every * eval_factor`` steps.
    """

    label: str
    algo: str
    samples_per_prompt: int = 1
    trained_per_prompt: int = 1
    flags: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    steps_factor: float = 1.0
    eval_factor: int = 1


#: The methods of the paper's Table 1 and Fig. 5, with the paper's group sizes. Here one GRPO (N=8) step
#: costs about 6x an SPPO step and 1.7x an RLOO step, so the cheaper methods train for more steps. Each then
#: gets roughly GRPO's training wall-clock (75-95% of it on the calibration CPU). They are evaluated less
#: often, so that the number of evaluations stays about the same. Every run is also evaluated at GRPO's last
#: step, which gives the equal-steps comparison.
SPPO = Method("SPPO (N=1)", "sppo", steps_factor=5, eval_factor=2)
GRPO = Method("GRPO (N=8)", "grpo", 8, 8, {"num_generations": 8})
RLOO = Method("RLOO (N=5)", "rloo", 5, 5, {"num_generations": 5}, steps_factor=1.5)
REMAX = Method("ReMax", "remax", 2, 1, steps_factor=5, eval_factor=2)
PPO = Method("PPO-GAE", "ppo", steps_factor=5, eval_factor=2)

#: The experiments' settings, calibrated so that time_to_target.py takes about 25 min on 2 cores.
FULL = Settings()
#: Smoke-test settings: a few steps, tiny batches, a 10-step warm start. The accuracies mean nothing.
QUICK = Settings(sft_steps=10, steps=1, prompts_per_step=4, eval_every=1, eval_size=8, max_new_tokens=24)


@dataclass(frozen=True)
class Job:
    """One training run: a method, a seed and the full list of dotted flags.

    Attributes:
        method: The method it belongs to.
        seed: ``run.seed``.
        flags: Every dotted flag of ``rgym train <algo>`` (``run.output_dir`` and ``run.seed`` excluded).
        samples_per_step: Responses generated per step, for the accuracy-against-samples curves.
    """

    method: Method
    seed: int
    flags: dict[str, Any]
    samples_per_step: int

    @property
    def steps(self) -> int:
        """The run's last step."""
        return int(self.flags["run.steps"])

    def folder(self, work_dir: Path) -> Path:
        """The run folder. Its name hashes everything that determines the run, so equal jobs share it."""
        recipe = json.dumps([self.method.algo, self.seed, self.flags], sort_keys=True, default=str)
        digest = hashlib.sha256(recipe.encode()).hexdigest()[:10]
        return work_dir / f"{self.method.algo}-seed{self.seed}-{digest}"

    def argv(self, output_dir: Path) -> list[str]:
        """The child's command line: ``ALGO --run.output_dir DIR --run.seed S --dotted.flag VALUE ...``."""
        # The experiments were set up on the CPU demo's settings, whatever the policy (SmolLM2 included).
        args = [
            self.method.algo,
            "--preset",
            "cpu-demo",
            "--run.output_dir",
            str(output_dir),
            "--run.seed",
            str(self.seed),
        ]
        for key, value in sorted(self.flags.items()):
            if isinstance(value, bool):
                args.append(f"--{key}" if value else f"--no-{key}")
            else:
                args += [f"--{key}", json.dumps(value) if isinstance(value, dict) else str(value)]
        return args


def method_flags(method: Method, settings: Settings) -> dict[str, Any]:
    """Every dotted flag of ``method`` under ``settings`` (the actor and critic step ``updates_per_step`` times)."""
    settings = dataclasses.replace(settings, **method.settings)
    flags = settings.shared_flags()
    flags["run.steps"] = max(1, round(settings.steps * method.steps_factor))
    flags["eval.every"] = settings.eval_every * method.eval_factor
    rows = settings.prompts_per_step * method.trained_per_prompt
    flags["actor_optim.mini_batch_size"] = max(1, rows // settings.updates_per_step)
    if method.algo in ("sppo", "ppo"):
        flags["critic.path"] = settings.critic
        flags["critic_optim.lr"] = settings.critic_lr
        flags["critic_optim.mini_batch_size"] = max(1, settings.prompts_per_step // settings.updates_per_step)
        flags["critic_optim.micro_batch_size"] = settings.micro_batch_size
    if method.algo == "ppo":
        flags["critic_warmup"] = settings.ppo_critic_warmup
    return {**flags, **method.flags}


def make_jobs(methods: Sequence[Method], settings: Settings, seeds: Sequence[int]) -> list[Job]:
    """One job per method and seed, seed-major so that every method has a run before any has three."""
    jobs = []
    for seed in seeds:
        for method in methods:
            flags = method_flags(method, settings)
            jobs.append(Job(method, seed, flags, flags["prompts_per_step"] * method.samples_per_prompt))
    return jobs
