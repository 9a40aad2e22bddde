"""GRPO: Group Relative Policy Optimization, a group of N samples per prompt as the baseline.

Paper: Z. Shao et al., "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language
Models", arXiv:2402.03300 (2024). A baseline of the SPPO paper (arXiv:2604.08865), run there with N = 8,
no KL term and verl's std-normalised advantages.

No critic: each prompt gets N responses, and a response's advantage is its reward standardised within its
group, ``A = (R - mean_group) / (std_group + eps)`` (:func:`~reasoning_gym.trainers.advantages.grpo_advantages`),
given to every token of a clipped PPO loss with per-token ratios (eps 0.2, dual clip 3.0, token-mean).
Groups whose rewards are all equal get A = 0 and teach nothing, which is why N must be large; the SPPO
paper reads this as an implicit Monte-Carlo estimate of the prompt's success rate (a bandit baseline).

One step: draw B prompts; sample N responses each; score; (optional KL: log-probs under the frozen initial
policy); group-standardised advantages; clipped-PPO update over mini-batches. The loop around it is shared
with every trainer (:func:`reasoning_gym.trainers.loop.run_training`).

Runs on one process or FSDP2 under ``torchrun``; rollouts with transformers ``generate`` or vLLM
(``--rollout.engine vllm``); learning-rate schedules from ``--actor_optim.schedule``. No dynamic sampling.

CPU, tiny models: ``rgym train grpo`` (the CPU preset), or ``python -m reasoning_gym.trainers.grpo
--run.steps 4 --prompts_per_step 4 --actor_optim.mini_batch_size 16 --rollout.max_new_tokens 32``.
Several processes: ``torchrun --nproc_per_node 2 -m reasoning_gym.trainers.grpo ...`` with the same flags.
Paper settings (1.5B): ``--prompts_per_step 256 --num_generations 8 --actor_optim.mini_batch_size 1024
--rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from reasoning_gym.trainers.advantages import grpo_advantages
from reasoning_gym.trainers.config import (
    KLConfig,
    OptimConfig,
    RunConfig,
    TrainerConfig,
    check,
    check_minibatch,
    parse_config,
)
from reasoning_gym.trainers.loop import Run, run_training
from reasoning_gym.trainers.metrics import TrainResult
from reasoning_gym.trainers.steps import outcome_step

__all__ = ["Config", "GRPOConfig", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class GRPOConfig(TrainerConfig):
    """GRPO (arXiv 2402.03300): N samples per prompt, advantages standardised within each prompt's group."""

    actor_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-6, mini_batch_size=256))
    kl: KLConfig = field(default_factory=KLConfig)
    """Optional KL penalty towards the initial policy (off, as in the SPPO paper)."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/grpo"))
    prompts_per_step: int = 32
    """Prompts per step; each gets num_generations responses."""
    num_generations: int = 8
    """Responses per prompt, N (the group); at least 2."""
    scale_by_std: bool = True
    """Divide by the group's std (turn off for Dr. GRPO-style mean-only centring)."""

    def __post_init__(self) -> None:
        check(
            self.num_generations >= 2, f"num_generations must be >= 2 for a group baseline, got {self.num_generations}."
        )
        rows = self.prompts_per_step * self.num_generations
        check_minibatch(rows, "prompts_per_step * num_generations", "actor_optim", self.actor_optim.mini_batch_size)


Config = GRPOConfig


def train(config: GRPOConfig) -> TrainResult:
    """Train ``config.policy`` with GRPO for ``config.run.steps`` steps; see the module docstring."""
    return run_training(config, _train_step, critic=False)


def _train_step(run: Run, step: int) -> dict[str, Any]:
    estimator = functools.partial(grpo_advantages, scale_by_std=run.config.scale_by_std)
    return outcome_step(run, step, estimator, n=run.config.num_generations)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into a :class:`GRPOConfig` and train."""
    train(parse_config(GRPOConfig, argv, prog="python -m reasoning_gym.trainers.grpo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
