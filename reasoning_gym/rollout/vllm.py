"""vLLM rollout engine (optional ``vllm`` extra) -- not implemented yet.

The plan (see docs/feasibility.md section 4): run ``vllm.LLM`` in-process, request per-token logprobs, and
sync weights after each optimizer step with ``llm.collective_rpc("reload_weights", ...)``, which needs a
policy with untied embeddings (every built-in tiny model has them untied).
"""

from __future__ import annotations

from typing import Any

from reasoning_gym.errors import require

__all__ = ["VLLMEngine"]


class VLLMEngine:
    """Placeholder for the vLLM engine; constructing it raises a clear error.

    Raises:
        reasoning_gym.errors.MissingDependencyError: If vLLM is not installed (names the ``vllm`` extra).
        NotImplementedError: If it is installed: this backend is not written yet; use ``--rollout.engine hf``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require("vllm", "vllm", "The vLLM rollout engine (--rollout.engine vllm)")
        raise NotImplementedError(
            "The vLLM rollout engine is not implemented yet; use --rollout.engine hf (transformers generate)."
        )
