"""RL trainers for language models on reasoning_gym environments.

Each algorithm is one readable module with a frozen config dataclass, ``train(config)`` and ``main(argv)``;
the shared pieces are small, pure and tested: :mod:`~reasoning_gym.trainers.advantages`,
:mod:`~reasoning_gym.trainers.losses`, :mod:`~reasoning_gym.trainers.episodes` (prompts, rollout, scoring),
:mod:`~reasoning_gym.trainers.modeling` (policy and critic models, log-probs),
:mod:`~reasoning_gym.trainers.loop` (the training loop every algorithm shares: setup, rollout, actor
update, held-out evaluation, logging), :mod:`~reasoning_gym.trainers.sft` (supervised warm start),
:mod:`~reasoning_gym.trainers.config`, :mod:`~reasoning_gym.trainers.checkpoint` and
:mod:`~reasoning_gym.trainers.distributed` (FSDP2 data parallelism under ``torchrun``; one process runs the
same loop unwrapped).

Torch and transformers are imported only when a trainer module is loaded (the ``train`` extra), so
``import reasoning_gym.trainers`` and :func:`get_trainer` of an unknown name stay cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reasoning_gym.errors import unknown_name

__all__ = ["TRAINERS", "get_trainer"]

#: Algorithm name -> module providing ``Config`` (its ``<Name>Config``), ``train(config)`` and ``main(argv)``.
TRAINERS: dict[str, str] = {
    "sppo": "reasoning_gym.trainers.sppo",
    "ppo": "reasoning_gym.trainers.ppo",
    "grpo": "reasoning_gym.trainers.grpo",
    "rloo": "reasoning_gym.trainers.rloo",
    "remax": "reasoning_gym.trainers.remax",
}


def get_trainer(name: str) -> ModuleType:
    """Import and return the trainer module for ``name`` (e.g. ``get_trainer("sppo").main(argv)``).

    Raises:
        reasoning_gym.errors.UnknownNameError: For an unknown name; the message lists the valid ones.
    """
    if name not in TRAINERS:
        raise unknown_name("trainer", name, TRAINERS)
    return importlib.import_module(TRAINERS[name])
