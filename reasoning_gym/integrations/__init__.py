"""Bridges to other RL stacks and tools: verl, TRL, Weights & Biases, and the train/benchmark overlap check.

* :mod:`~reasoning_gym.integrations.export` -- an env's problems as verl's RL parquet (or JSON Lines);
  ``rgym export``.
* :mod:`~reasoning_gym.integrations.verl` -- ``compute_score`` for verl's ``custom_reward_function``.
* :mod:`~reasoning_gym.integrations.trl` -- ``to_hf_dataset`` and ``reward_function`` for TRL's trainers.
* :mod:`~reasoning_gym.integrations.contamination` -- ``rgym contamination``: which training problems
  overlap which benchmark problems.
* :mod:`~reasoning_gym.integrations.tracking` -- the ``report_to`` setting and the W&B run of trainers and
  the harness.

Every module grades with the env's own verifier, so training elsewhere and evaluating here use the same
rewards. Each heavy dependency (pyarrow, datasets, wandb) is imported only when used, and a missing one says
which extra installs it. Nothing here imports torch.
"""
