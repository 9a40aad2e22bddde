"""Rollout throughput: generated tokens per second of the rollout engines on the same model and prompts.

For each batch size it times the HF engine (transformers ``generate``) on the same
prompts from an env, with one warm-up call first, and reports generated tokens per second, the mean
response length and the wall time per prompt. The vLLM engine is timed the same way when ``vllm`` is
importable; otherwise its row says that it is not installed and which extra installs it. The table is
printed, then (last) the vLLM / HF tokens-per-second ratio at the largest batch size, or HF's best rate
without vLLM.

Usage::

    python perf/rollout_throughput.py [--policy tiny|small|FOLDER] [--prompts 32] [--batch-sizes 1 4 16 32]
    python perf/rollout_throughput.py --quick    # 4 prompts, 8 tokens (CI)
    python perf/rollout_throughput.py --policy SMOLLM2_FOLDER --batch-sizes 32   # in the vLLM venv: HF vs vLLM
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import torch

from reasoning_gym.errors import MissingDependencyError
from reasoning_gym.models.loading import load_policy, load_tokenizer, resolve_model_path
from reasoning_gym.rollout import SamplingParams, make_engine
from reasoning_gym.trainers.config import ModelConfig
from reasoning_gym.trainers.episodes import PromptSource, make_env


def load_prompts(env_id: str, n: int) -> list:
    source = PromptSource(make_env(env_id, {"split": "train"}), seed=0)
    try:
        return [e.messages for e in source.next_batch(n)]
    finally:
        source.env.close()


def time_engine(engine, prompts: list, params: SamplingParams) -> dict[str, float]:
    """Generate once to warm up, then once timed; return tokens/s, mean response length and ms per prompt."""
    engine.generate(prompts[: min(len(prompts), 4)], params)
    start = time.perf_counter()
    samples = engine.generate(prompts, params)
    elapsed = time.perf_counter() - start
    tokens = sum(len(s.response_ids) for s in samples)
    return {"tok_s": tokens / elapsed, "length": tokens / len(samples), "ms_per_prompt": 1000 * elapsed / len(prompts)}


def vllm_row(args: argparse.Namespace, prompts: list, params: SamplingParams) -> tuple[str, float | None]:
    """The vLLM engine's table row and its tokens/s (None when vLLM is not available here)."""
    if importlib.util.find_spec("vllm") is None:
        return "| vllm | - | not installed: `pip install 'rgym[vllm]'` (the vllm extra) | | |", None
    try:  # vLLM loads the weights from the model folder itself; room for the longest prompt plus the response
        engine = make_engine(
            "vllm", resolve_model_path(args.policy), load_tokenizer(args.policy), batch_size=len(prompts),
            max_model_len=1024 + params.max_new_tokens,
        )  # fmt: skip
    except MissingDependencyError as err:
        return f"| vllm | - | installed, but the engine is not available: {err} | | |", None
    try:
        r = time_engine(engine, prompts, params)
    finally:
        engine.close()
    return f"| vllm | {len(prompts)} | {r['tok_s']:.0f} | {r['length']:.1f} | {r['ms_per_prompt']:.1f} |", r["tok_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", default="tiny", help="model: tiny, small or a Hugging Face folder")
    parser.add_argument("--env", default="rg/Countdown-v0", help="env id the prompts come from")
    parser.add_argument("--prompts", type=int, default=32, help="prompts per timed call")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 16, 32], help="engine batch sizes")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="response length limit")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (0 is greedy)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--quick", action="store_true", help="4 prompts, batch sizes 1 and 4, 8 tokens (CI)")
    args = parser.parse_args()
    if args.quick:
        args.prompts, args.batch_sizes, args.max_new_tokens = 4, [1, 4], 8
    torch.set_num_threads(args.threads)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    prompts = load_prompts(args.env, args.prompts)
    params = SamplingParams(temperature=args.temperature, max_new_tokens=args.max_new_tokens, seed=0)
    model, tokenizer = load_policy(ModelConfig(path=args.policy))
    rows, best, speeds = [], 0.0, {}
    for batch_size in args.batch_sizes:
        r = time_engine(make_engine("hf", model, tokenizer, batch_size=batch_size), prompts, params)
        best, speeds[batch_size] = max(best, r["tok_s"]), r["tok_s"]
        rows.append(f"| hf | {batch_size} | {r['tok_s']:.0f} | {r['length']:.1f} | {r['ms_per_prompt']:.1f} |")
        print(f"hf batch {batch_size}: {r['tok_s']:.0f} tokens/s", flush=True)
    row, vllm_speed = vllm_row(args, prompts, params)
    rows.append(row)
    print(
        f"\nRollout throughput: policy={args.policy} env={args.env} prompts={args.prompts} "
        f"max_new_tokens={args.max_new_tokens} temperature={args.temperature} threads={args.threads}\n"
    )
    print("| engine | batch size | generated tokens/s | mean response tokens | ms per prompt |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    if vllm_speed is None:
        print(f"\nbest hf generated tokens/s: {best:.0f}")
        return
    batch = max(args.batch_sizes)  # vLLM decodes all the prompts at once: compare with HF's largest batch
    ratio = vllm_speed / speeds[batch]
    print(f"\nvllm / hf generated tokens/s at batch {batch}: {vllm_speed:.0f} / {speeds[batch]:.0f} = {ratio:.2f}x")


if __name__ == "__main__":
    main()
