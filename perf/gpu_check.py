"""GPU check: the paper-scale training path on one GPU, with no download, against the memory planner.

Builds random-initialised models from the Qwen2.5-1.5B and Qwen2.5-7B shapes kept in ``perf/configs/`` (their
public ``config.json`` files; no weights are fetched) and runs SPPO steps through the trainer's own code
(``loop.setup``, ``sppo._train_step``) at 2k and 8k response tokens, with the paper presets' settings (bf16
compute over float32 master weights, gradient checkpointing, 16k-token micro-batches). For each run it prints
the peak GPU memory (``torch.cuda.max_memory_allocated``), the step's time split, tokens per second and the
planner's estimate (``reasoning_gym.models.memory.plan_memory``) side by side.

What runs, within 8 minutes on one H100:

* ``1.5b``: the full Qwen2.5-1.5B shape as policy and critic (the paper's 1.5B pairing). Step 1 of the 2k run
  samples with the HF engine (transformers ``generate``, random weights run to the length limit); the other
  steps take responses of exactly the target length from a scripted engine, because HF decoding at 8k
  tokens takes minutes per call (the vLLM engine is the GPU rollout path; see docs/results/gpu_check.md).
* ``7b``: the Qwen2.5-7B shape (width, heads, 152k vocabulary) with 4 of its 28 decoder blocks, paired with the
  1.5B critic and CPU offload as in the paper's 7B run: a full 7B policy's float32 weights and AdamW state
  (122 GB) fit neither one GPU nor the host's memory; per-block memory and the vocabulary-sized buffers are
  what this measures, and the planner plans the same truncated model.

Needs, besides the repository: PyTorch with CUDA, transformers >= 5.16, safetensors, tokenizers, numpy, sympy,
tqdm (all in the GPU image), and gymnasium + farama-notifications, carried as wheels (README: "GPU check").
``--device cpu --quick`` runs a scaled-down version anywhere (CI runs it).

Usage::

    python perf/gpu_check.py                      # on a GPU
    python perf/gpu_check.py --device cpu --quick  # scaled down, any machine
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import string
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from gymnasium import spaces

from reasoning_gym.models.memory import plan_memory
from reasoning_gym.models.tiny import CHATML_TEMPLATE, tiny_corpus, train_tiny_tokenizer
from reasoning_gym.rollout.base import Sample, SamplingParams, encode_prompt
from reasoning_gym.trainers import loop, sppo
from reasoning_gym.trainers.config import apply_overrides
from reasoning_gym.trainers.distributed import init_distributed, needs_wrapping
from reasoning_gym.trainers.presets import preset_overrides

CONFIGS = Path(__file__).resolve().parent / "configs"
ENV_ID = "gpucheck/Echo-v0"


class EchoEnv(gym.Env):
    """A prompt of random words; reward 1 when the response is non-empty (grading must cost nothing here)."""

    def __init__(self) -> None:
        self.observation_space = spaces.Text(max_length=4000, min_length=0, charset=string.printable)
        self.action_space = spaces.Text(max_length=10**7, min_length=0, charset=string.printable)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[str, dict]:  # noqa: D102
        super().reset(seed=seed)
        words = " ".join(
            str(int(x)) for x in self.np_random.integers(0, 1000, size=int(self.np_random.integers(40, 200)))
        )
        return f"Add these numbers and think step by step: {words}", {}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:  # noqa: D102
        return "", float(bool(action)), True, False, {}


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=EchoEnv)


class ScriptedEngine:
    """Responses of exactly ``max_new_tokens`` random tokens (no EOS), so the training phases run at full length."""

    def __init__(self, tokenizer: Any, vocab_size: int) -> None:
        self.tokenizer, self.vocab_size = tokenizer, vocab_size

    def generate(self, prompts: list, params: SamplingParams) -> list[Sample]:
        """``params.n`` responses of random tokens per prompt, seeded by ``params.seed``."""
        rng = random.Random(params.seed)
        eos = set(self.tokenizer.all_special_ids)
        out = []
        for index, prompt in enumerate(prompts):
            ids = encode_prompt(self.tokenizer, prompt)
            for _ in range(params.n):
                response = [t for t in (rng.randrange(self.vocab_size) for _ in range(params.max_new_tokens))]
                response = [t if t not in eos else t + 1 for t in response]
                out.append(Sample(index, ids, response, "x", None, "length"))
        return out

    def load_weights(self, state_dict: Any) -> None:
        """Nothing to load: the responses do not depend on the weights."""


# ---------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------


def build_model(shape: str, out: Path, *, layers: int | None, quick: bool, device: str) -> Path:
    """A random-initialised causal LM of ``perf/configs/<shape>`` (bf16 weights on disk) with a local tokenizer."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(CONFIGS / shape)
    if layers is not None:
        config.num_hidden_layers = layers
    if quick:  # the same architecture, scaled down to run anywhere in seconds
        config.update({"hidden_size": 128, "intermediate_size": 256, "num_attention_heads": 4,
                       "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 2048})  # fmt: skip
    if getattr(config, "layer_types", None):  # one entry per block: keep it in step with the block count
        config.layer_types = config.layer_types[: config.num_hidden_layers]
    tokenizer = train_tiny_tokenizer(tiny_corpus(600), "tiny-qwen2")  # ids < its ~1k vocabulary: valid anywhere
    tokenizer.chat_template = CHATML_TEMPLATE
    config.update({"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                   "pad_token_id": tokenizer.pad_token_id})  # fmt: skip
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    del model
    return out


# ---------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------


def run_config(policy: Path, critic: Path, preset: str, tokens: int, out: Path, args: argparse.Namespace):
    overrides = preset_overrides(preset, "sppo", policy_path=str(policy))
    overrides.update({
        "critic.path": str(critic), "env.id": ENV_ID, "env.kwargs": {}, "prompts_per_step": args.prompts,
        "actor_optim.mini_batch_size": args.prompts, "critic_optim.mini_batch_size": args.prompts,
        "rollout.max_new_tokens": tokens, "rollout.batch_size": args.prompts, "run.steps": 2,
        "run.save_every": 0, "run.keep_last": None, "run.output_dir": str(out), "run.device": args.device,
    })  # fmt: skip
    if args.quick:
        overrides.update(
            {"actor_optim.max_tokens_per_micro_batch": 256, "critic_optim.max_tokens_per_micro_batch": 256}
        )
    return apply_overrides(sppo.SPPOConfig, overrides)


def measure(config: Any, *, real_generation: bool) -> list[dict[str, float]]:
    """Two SPPO steps; step 1 samples with the HF engine when ``real_generation``, the rest are scripted."""
    device = torch.device(config.run.device)
    shard = needs_wrapping(config.fsdp, device, getattr(torch, config.policy.dtype))
    rows = []
    with init_distributed(config.run.device, config.fsdp, shard_one_process=shard) as dist:
        run = loop.setup(config, dist, critic=True)
        hf_engine = run.engine
        try:
            for step in (1, 2):
                run.engine = (
                    hf_engine
                    if real_generation and step == 1
                    else ScriptedEngine(run.tokenizer, run.policy.config.vocab_size)
                )
                with _peak(device) as peak:
                    metrics = sppo._train_step(run, step)
                rows.append({**metrics, "peak_gib": peak["gib"], "real_generation": run.engine is hf_engine})
        finally:
            run.engine = hf_engine
            loop.close(run)
    return rows


@contextlib.contextmanager
def _peak(device: torch.device) -> Iterator[dict[str, float]]:
    """The whole step's peak allocated memory on a GPU (``timed`` resets the counter per phase)."""
    out = {"gib": float("nan")}
    if device.type != "cuda":
        yield out
        return
    peaks = []
    original = torch.cuda.reset_peak_memory_stats

    def reset(*a: Any, **k: Any) -> None:  # keep the running maximum across the per-phase resets
        peaks.append(torch.cuda.max_memory_allocated())
        original(*a, **k)

    torch.cuda.reset_peak_memory_stats = reset
    original()
    try:
        yield out
    finally:
        torch.cuda.reset_peak_memory_stats = original
        out["gib"] = max([*peaks, torch.cuda.max_memory_allocated()]) / 2**30


#: Phases of a step: (trainer timing/memory key, planner phase).
PHASES = {
    "generate": "rollout",
    "old_logprobs": "old_logprobs",
    "values": "values",
    "critic_update": "critic_update",
    "actor_update": "actor_update",
}


def report(label: str, config: Any, rows: list[dict[str, float]], gpu_gib: float, device: str) -> tuple[str, str]:
    """The summary row of a run and its per-phase row (measured / planned GiB, from the step's own metrics)."""
    plan = plan_memory(config, gpus=1, gpu_memory_gib=gpu_gib, device=device)
    step = rows[-1]  # the second step: no one-off costs
    training = max(v for k, v in plan.phases.items() if k not in ("rollout", "weight_sync")) / 2**30
    times = " / ".join(f"{step.get(f'time/{p}', 0.0):.2f}" for p in PHASES)
    rollout = "HF" if rows[0]["real_generation"] else "scripted"
    summary = (
        f"| {label} | {config.rollout.max_new_tokens} | {rollout} | {max(r['peak_gib'] for r in rows):.2f} | "
        f"{plan.per_gpu_bytes / 2**30:.2f} | {training:.2f} | {step['time/step']:.2f} | {times} | "
        f"{step['perf/tokens_per_s']:.0f} | {rows[0].get('perf/gen_tokens_per_s', 0):.0f} |"
    )
    phases = []
    for key, planned in PHASES.items():
        measured = max(r.get(f"memory/{key}_gib", float("nan")) for r in rows)
        phases.append(f"{key} {measured:.2f} / {plan.phases.get(planned, 0) / 2**30:.2f}")
    return summary, f"| {label} | {config.rollout.max_new_tokens} | {rollout} | {', '.join(phases)} |"


def vllm_check(folder: Path, tokens: int, prompts: int, device: str) -> list[str]:
    """The colocated vLLM engine, when vLLM imports: start-up, sleep, streamed sync, generate, wake/sleep.

    One generate at ``tokens`` tokens; the device memory in use after each stage (``torch.cuda.mem_get_info``:
    vLLM's allocator is not torch's, so ``max_memory_allocated`` does not see it).
    """
    from reasoning_gym.errors import MissingDependencyError
    from reasoning_gym.models.loading import load_tokenizer
    from reasoning_gym.rollout.vllm import VLLMEngine, import_vllm

    try:
        import_vllm()
    except MissingDependencyError as err:
        return [f"vLLM section skipped: {str(err).split('. ')[0]}."]
    from transformers import AutoModelForCausalLM

    def used() -> float:
        if not device.startswith("cuda"):
            return float("nan")
        free, total = torch.cuda.mem_get_info()
        return (total - free) / 2**30

    rows, start = [], time.perf_counter()
    engine = VLLMEngine(folder, load_tokenizer(str(folder)), batch_size=prompts, max_model_len=2048 + tokens,
                        gpu_memory_utilization=0.5, sleep_mode=True, kv_cache_memory_bytes=None)  # fmt: skip
    rows.append(("start-up", time.perf_counter() - start, used()))
    start = time.perf_counter()
    engine.sleep()
    rows.append(("sleep (weights and KV cache freed)", time.perf_counter() - start, used()))
    policy = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16).to(device)
    start = time.perf_counter()
    engine.load_weights((name, tensor.detach().clone()) for name, tensor in policy.state_dict().items())
    rows.append(("wake weights + streamed sync", time.perf_counter() - start, used()))
    del policy
    start = time.perf_counter()
    params = SamplingParams(temperature=0.6, max_new_tokens=tokens, seed=0)
    samples = engine.generate([[{"role": "user", "content": f"Count to {i}."}] for i in range(prompts)], params)
    seconds = time.perf_counter() - start
    generated = sum(len(s.response_ids) for s in samples)
    rows.append((f"generate {prompts} x {tokens} tokens ({generated / seconds:.0f} tokens/s)", seconds, used()))
    start = time.perf_counter()
    engine.sleep()
    engine.wake_up()
    engine.sleep()
    rows.append(("sleep, wake, sleep", time.perf_counter() - start, used()))
    engine.close()
    lines = ["| vLLM stage | seconds | device memory in use (GiB) |", "|---|---:|---:|"]
    return lines + [f"| {stage} | {s:.2f} | {gib:.2f} |" for stage, s, gib in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    parser.add_argument("--quick", action="store_true", help="scaled-down models and lengths (runs anywhere)")
    parser.add_argument("--prompts", type=int, default=None, help="prompts per step (default 8; quick 4)")
    parser.add_argument("--only", choices=["1.5b", "7b"], default=None, help="run one model shape only")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("no CUDA device here; run with --device cpu --quick for the scaled-down check")
    args.prompts = args.prompts or (4 if args.quick else 8)
    lengths = (16, 32) if args.quick else (2048, 8192)
    gpu_gib = torch.cuda.get_device_properties(0).total_memory / 2**30 if args.device.startswith("cuda") else 80.0
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    lines, phase_lines, dump, start, vllm_lines = [], [], [], time.perf_counter(), []
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        root = Path(tmp)
        small = build_model("qwen2.5-1.5b", root / "m1.5b", layers=None, quick=args.quick, device=args.device)
        try:  # first, on an empty GPU: the engine checks its memory share against what is free
            vllm_lines = vllm_check(small, lengths[-1], args.prompts, args.device)
        except Exception as err:  # noqa: BLE001 - the training check below must still run and report
            vllm_lines = [f"vLLM section failed: {type(err).__name__}: {err}"]
        shapes = {"1.5b": (small, "paper-1.5b"), "7b": (None, "paper-7b-small-critic")}
        for name in [args.only] if args.only else ["1.5b", "7b"]:
            policy, preset = shapes[name]
            if policy is None:
                policy = build_model("qwen2.5-7b", root / "m7b", layers=4, quick=args.quick, device=args.device)
            for tokens in lengths:
                config = run_config(policy, small, preset, tokens, root / f"run-{name}-{tokens}", args)
                rows = measure(config, real_generation=name == "1.5b" and tokens == lengths[0])
                label = f"{name}{' (4 of 28 blocks)' if name == '7b' else ''}"
                summary, phases = report(label, config, rows, gpu_gib, args.device)
                lines.append(summary)
                phase_lines.append(phases)
                dump.append({"model": name, "tokens": tokens, "rows": rows})
                print(summary, flush=True)
    device_name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"\nGPU check on {device_name} ({gpu_gib:.0f} GiB), torch {torch.__version__}, {args.prompts} prompts/step\n")
    print("| model | response tokens | rollout | peak GiB (measured) | peak GiB (planner) | planner, training phases | "
          "step s | generate / old logp / values / critic / actor s | tokens/s | generated tokens/s |")  # fmt: skip
    print("|---|---:|---|---:|---:|---:|---:|---|---:|---:|")
    print("\n".join(lines))
    print("\nPer phase, measured / planned GiB (a scripted rollout holds no KV cache: its generate row is not")
    print("comparable with the planner's HF rollout)\n")
    print("| model | response tokens | rollout | phases |\n|---|---:|---|---|")
    print("\n".join(phase_lines))
    print("\n" + "\n".join(vllm_lines))
    if args.json:
        Path(args.json).write_text(json.dumps(dump, indent=1, default=float))
    print(f"\ngpu check finished in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
