"""RLOO: REINFORCE Leave-One-Out, the mean reward of a prompt's other samples as each sample's baseline.

Paper: A. Ahmadian et al., "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human
Feedback in LLMs", arXiv:2402.14740 (2024); the estimator is W. Kool et al., "Buy 4 REINFORCE Samples, Get a
Baseline for Free!" (2019). A baseline of the SPPO paper (arXiv:2604.08865), run there with N = 5 and a KL
penalty of 0.001 inside the reward.

No critic: each prompt gets N responses and response i's advantage is
``A_i = R_i - mean_{j != i} R_j`` (:func:`~reasoning_gym.trainers.advantages.rloo_advantages`), an unbiased
baseline that does not use the sample's own reward. Unlike GRPO it is not divided by the group's std. The
advantage goes to every token of a clipped PPO loss with per-token ratios (eps 0.2, dual clip 3.0,
token-mean); with ``--kl.coef`` and ``--kl.in_reward``, ``beta * sum_t KL_t`` to the initial policy is
subtracted from each reward first, as in verl.

The loop around the step is shared with every trainer (:func:`reasoning_gym.trainers.loop.run_training`).
Runs on one process or FSDP2 under ``torchrun``; rollouts with transformers ``generate`` or vLLM
(``--rollout.engine vllm``); learning-rate schedules from ``--actor_optim.schedule``.

CPU, tiny models: ``rgym train rloo`` (the CPU preset), or ``python -m reasoning_gym.trainers.rloo
--run.steps 4 --prompts_per_step 4 --actor_optim.mini_batch_size 20 --rollout.max_new_tokens 32``.
Several processes: ``torchrun --nproc_per_node 2 -m reasoning_gym.trainers.rloo ...`` with the same flags.
Paper settings (1.5B): ``--prompts_per_step 256 --actor_optim.mini_batch_size 640 --kl.coef 0.001
--kl.estimator k1 --kl.in_reward --rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasoning_gym.trainers.advantages import rloo_advantages
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

__all__ = ["Config", "RLOOConfig", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class RLOOConfig(TrainerConfig):
    """RLOO (arXiv 2402.14740): N samples per prompt, each baselined by the mean reward of the other N - 1."""

    actor_optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-6, mini_batch_size=160))
    kl: KLConfig = field(default_factory=KLConfig)
    """Optional KL penalty towards the initial policy (the SPPO paper's RLOO: 0.001, in the reward)."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/rloo"))
    prompts_per_step: int = 32
    """Prompts per step; each gets num_generations responses."""
    num_generations: int = 5
    """Responses per prompt, N; at least 2 (the SPPO paper uses 5)."""

    def __post_init__(self) -> None:
        check(self.num_generations >= 2, f"RLOO needs num_generations >= 2, got {self.num_generations}.")
        rows = self.prompts_per_step * self.num_generations
        check_minibatch(rows, "prompts_per_step * num_generations", "actor_optim", self.actor_optim.mini_batch_size)


Config = RLOOConfig


def train(config: RLOOConfig) -> TrainResult:
    """Train ``config.policy`` with RLOO for ``config.run.steps`` steps; see the module docstring."""
    return run_training(config, _train_step, critic=False)


def _train_step(run: Run, step: int) -> dict[str, Any]:
    return outcome_step(run, step, rloo_advantages, n=run.config.num_generations)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into an :class:`RLOOConfig` and train."""
    train(parse_config(RLOOConfig, argv, prog="python -m reasoning_gym.trainers.rloo"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
