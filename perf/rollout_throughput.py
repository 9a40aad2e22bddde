"""Rollout throughput: generated tokens per second of the rollout engines on the same model and prompts.

For each batch size it times the HF engine (transformers ``generate``) on the same
prompts from an env, with one warm-up call first, and reports generated tokens per second, the mean
response length and the wall time per prompt. The vLLM engine is timed the same way when ``vllm`` is
importable; otherwise its row says that it is not installed and which extra installs it. The table is
printed last.

Usage::

    python perf/rollout_throughput.py [--policy tiny|small|FOLDER] [--prompts 32] [--batch-sizes 1 4 16 32]
    python perf/rollout_throughput.py --quick    # 4 prompts, 8 tokens (CI)
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


def vllm_row(args: argparse.Namespace, prompts: list, params: SamplingParams) -> str:
    if importlib.util.find_spec("vllm") is None:
        return "| vllm | - | not installed: `pip install 'rgym[vllm]'` (the vllm extra) | | |"
    try:  # vLLM loads the weights from the model folder itself
        engine = make_engine(
            "vllm", resolve_model_path(args.policy), load_tokenizer(args.policy), batch_size=len(prompts)
        )
    except MissingDependencyError as err:
        return f"| vllm | - | installed, but the engine is not available: {err} | | |"
    try:
        r = time_engine(engine, prompts, params)
    finally:
        engine.close()
    return f"| vllm | {len(prompts)} | {r['tok_s']:.0f} | {r['length']:.1f} | {r['ms_per_prompt']:.1f} |"


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
    rows, best = [], 0.0
    for batch_size in args.batch_sizes:
        r = time_engine(make_engine("hf", model, tokenizer, batch_size=batch_size), prompts, params)
        best = max(best, r["tok_s"])
        rows.append(f"| hf | {batch_size} | {r['tok_s']:.0f} | {r['length']:.1f} | {r['ms_per_prompt']:.1f} |")
        print(f"hf batch {batch_size}: {r['tok_s']:.0f} tokens/s", flush=True)
    rows.append(vllm_row(args, prompts, params))
    print(
        f"\nRollout throughput: policy={args.policy} env={args.env} prompts={args.prompts} "
        f"max_new_tokens={args.max_new_tokens} temperature={args.temperature} threads={args.threads}\n"
    )
    print("| engine | batch size | generated tokens/s | mean response tokens | ms per prompt |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\nbest hf generated tokens/s: {best:.0f}")


if __name__ == "__main__":
    main()
