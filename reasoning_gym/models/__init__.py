"""Model pieces that rollout engines, trainers and the benchmark harness share.

* :mod:`~reasoning_gym.models.loading`: :class:`ModelConfig`, loading the policy, the critic and tokenizers
  (or meta-device skeletons of them), and model-loading errors that say what to do;
* :mod:`~reasoning_gym.models.batching`: a step's token rows, micro-batches cut to a token budget, padded or
  packed, spread evenly over ranks;
* :mod:`~reasoning_gym.models.logprobs`: per-token log-probs without full-vocabulary logits;
* :mod:`~reasoning_gym.models.memory`: the per-GPU memory planner behind ``rgym train --dry-run``;
* :mod:`~reasoning_gym.models.tiny` and :mod:`~reasoning_gym.models.pretrained`: built-in models that need no
  download.

This layer sits above envs and verifiers and below rollout, trainers and benchmarks; it never imports them.
Torch and transformers are imported by the submodules, not here.
"""
