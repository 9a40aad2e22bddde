"""ReMax: REINFORCE with the reward of the greedy response as the baseline.

Paper: Z. Li et al., "ReMax: A Simple, Effective, and Efficient Reinforcement Learning Method for Aligning
Large Language Models", arXiv:2310.10505 (ICML 2024). A baseline of the SPPO paper (arXiv:2604.08865), run
there with verl's ReMax and a KL penalty of 0.001 inside the reward.

No critic and one sample per prompt: each prompt is also decoded greedily, and the sampled response's
advantage is ``A = R - R_greedy`` (:func:`~reasoning_gym.trainers.advantages.remax_advantages`). The greedy
response only provides the baseline; it is never trained on. The advantage goes to every token of a clipped
PPO loss with per-token ratios (eps 0.2, dual clip 3.0, token-mean). With ``--kl.coef`` and
``--kl.in_reward`` the KL to the initial policy shapes the sampled response's token rewards, as in verl: each
token gets ``A_t = R - beta * sum_{t' >= t} KL_t' - R_greedy`` (the KL from that token to the end); the greedy
baseline is not shaped.

One step: draw B prompts; sample one response each and decode one greedily; score both; A = R - R_greedy;
clipped-PPO update. The loop around it is shared with every trainer
(:func:`reasoning_gym.trainers.loop.run_training`).

Runs on one process or FSDP2 under ``torchrun``; rollouts with transformers ``generate`` or vLLM
(``--rollout.engine vllm``); learning-rate schedules from ``--actor_optim.schedule``.

CPU, tiny models: ``rgym train remax`` (the CPU preset), or ``python -m reasoning_gym.trainers.remax
--run.steps 4 --prompts_per_step 8 --actor_optim.mini_batch_size 4 --rollout.max_new_tokens 32``.
Several processes: ``torchrun --nproc_per_node 2 -m reasoning_gym.trainers.remax ...`` with the same flags.
Paper settings (1.5B): ``--prompts_per_step 256 --actor_optim.mini_batch_size 128 --kl.coef 0.001
--kl.estimator k1 --kl.in_reward --rollout.max_new_tokens 8192``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from reasoning_gym.trainers.advantages import remax_advantages
from reasoning_gym.trainers.config import (
    KLConfig,
    RolloutConfig,
    RunConfig,
    TrainerConfig,
    check_minibatch,
    parse_config,
)
from reasoning_gym.trainers.episodes import Episode
from reasoning_gym.trainers.loop import Run, run_training
from reasoning_gym.trainers.metrics import TrainResult
from reasoning_gym.trainers.steps import outcome_step, rollout

__all__ = ["Config", "ReMaxConfig", "main", "train"]


@dataclass(frozen=True, kw_only=True)
class ReMaxConfig(TrainerConfig):
    """ReMax (arXiv 2310.10505): one sample per prompt, baselined by the reward of the greedy response."""

    rollout: RolloutConfig = field(default_factory=lambda: RolloutConfig(temperature=0.6))
    """Sampling of the trained response (the baseline response is always greedy)."""
    kl: KLConfig = field(default_factory=KLConfig)
    """Optional KL penalty towards the initial policy (the SPPO paper's ReMax: 0.001, in the reward)."""
    run: RunConfig = field(default_factory=lambda: RunConfig(output_dir="runs/remax"))
    prompts_per_step: int = 64
    """Prompts per step; each gets one sampled and one greedy response."""

    def __post_init__(self) -> None:
        check_minibatch(self.prompts_per_step, "prompts_per_step", "actor_optim", self.actor_optim.mini_batch_size)


Config = ReMaxConfig


def train(config: ReMaxConfig) -> TrainResult:
    """Train ``config.policy`` with ReMax for ``config.run.steps`` steps; see the module docstring."""
    return run_training(config, _train_step, critic=False)


def _train_step(run: Run, step: int) -> dict[str, Any]:
    return outcome_step(run, step, remax_advantages, n=1, baseline_fn=_greedy_rewards, kl_to_go_in_reward=True)


def _greedy_rewards(run: Run, step: int, prompts: list[Episode], times: dict[str, float]) -> torch.Tensor:
    """The reward of each prompt's greedy response, ``[num_prompts]``, in prompt order (the baseline)."""
    greedy = rollout(run, step, prompts, times, greedy=True)
    return torch.tensor([e.reward for e in greedy], dtype=torch.float32)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: parse ``argv`` into a :class:`ReMaxConfig` and train."""
    train(parse_config(ReMaxConfig, argv, prog="python -m reasoning_gym.trainers.remax"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
