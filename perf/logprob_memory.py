"""Peak memory and time of per-token log-probs with gradients: full-vocabulary logits vs the fused chunked path.

One response of ``--tokens`` positions (default 8192) under an output layer of ``--vocab`` x ``--hidden``
(default Qwen2.5-1.5B's 152,064 x 1536), at temperature 0.6, forward and backward (gradients w.r.t. the
hidden states and the output weight, with a random upstream gradient as a policy loss would give):

- ``old``: what the trainers did until the fused path replaced it (the formula is kept here, the package no
  longer has it): full logits ``hidden @ W.T``, a float32 copy, an out-of-place division by the temperature,
  then ``gather - logsumexp``;
- ``new``: :func:`reasoning_gym.models.logprobs.linear_logprobs` (output layer and log-softmax in one
  operation over chunks of positions, with its own backward that recomputes each chunk's logits).

Inputs are bfloat16, as under mixed precision on GPUs (``--dtype float32`` for full precision). Each method
runs in a fresh child process (this script re-invoked with ``--child METHOD``), so that one's peak never
hides the other's. Peak extra memory is the child's peak resident set (``ru_maxrss``, its high-water mark
reset just before the computation) minus its resident set just before the computation, with the inputs
allocated and written and a tiny warm-up run done (kernel loading and thread pools are no method's memory);
both peaks include the gradients w.r.t. the hidden states and W. The time is that same single run's. A
second, profiled run gives the peak of live tensor bytes from the profiler's allocation records
(``--no-live`` skips it). The children save their log-probs and gradients, and the two methods are checked
against each other (relative norms of the differences in bfloat16), plus an in-process float32 check at a
small size, where they must agree to ~1e-5 of the largest value. A child that runs out of ``--limit-gib``
(address space beyond its size before the run) reports so instead of leaving the machine's OOM killer to
pick a victim.

The table is printed last, then the old/new ratio of the peak extra memory. Usage::

    python perf/logprob_memory.py [--quick] [--dtype bfloat16|float32] [--tokens 8192] [--vocab 152064]
        [--hidden 1536] [--threads N] [--limit-gib 20]

The full size takes about 4 minutes on 2 CPU cores and 19 GiB of memory at its peak (the old method).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor

# torch is imported inside the functions that need it: a child's ru_maxrss starts at its parent's peak (exec
# carries the high-water mark over), and the parent that spawns the children should stay small.

METHODS = ("old", "new")
GIB = 2**30
TEMPERATURE = 0.6
#: Quick runs keep several chunks per response (as the full size has) by shrinking the chunk to 1 MiB.
QUICK = {"tokens": 512, "vocab": 8192, "hidden": 64, "chunk_bytes": 2**20}
#: The in-process float32 check: small enough for the old method, several chunks for the new one.
CHECK = {"tokens": 384, "vocab": 4096, "hidden": 96, "chunk": 100}


def old_logprobs(hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float) -> Tensor:
    """The trainers' former formula: full logits, a float32 copy, divided out of place, gather - logsumexp."""
    import torch

    logits = torch.nn.functional.linear(hidden, weight)  # what the model's nn.Linear output layer computed
    logits = logits.float()
    logits = logits / temperature
    return logits.gather(-1, targets[:, None]).squeeze(-1) - torch.logsumexp(logits, dim=-1)


def new_logprobs(hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float, chunk: int | None) -> Tensor:
    """The package's fused, chunked output layer + log-softmax."""
    from reasoning_gym.models.logprobs import linear_logprobs

    logp, _ = linear_logprobs(hidden, weight, targets, temperature=temperature, bias=None, chunk=chunk)
    return logp


def make_inputs(tokens: int, vocab: int, hidden: int, dtype: Any, seed: int = 0) -> dict[str, Tensor]:
    """Seeded hidden states, output weight, targets and upstream gradient (the same in every process)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    # Scales give logits with a standard deviation of ~2 before the temperature, like a trained LM head's.
    h = (torch.randn(tokens, hidden, generator=gen) * 3.0).to(dtype).requires_grad_()
    w = (torch.randn(vocab, hidden, generator=gen) * (0.7 / hidden**0.5)).to(dtype).requires_grad_()
    targets = torch.randint(vocab, (tokens,), generator=gen)
    upstream = torch.randn(tokens, generator=gen)
    return {"hidden": h, "weight": w, "targets": targets, "upstream": upstream}


def run_method(method: str, inputs: dict[str, Tensor], chunk: int | None) -> Tensor:
    """Forward and backward of ``(logp * upstream).sum()``; returns the (detached) log-probs."""
    h, w, targets = inputs["hidden"], inputs["weight"], inputs["targets"]
    if method == "old":
        logp = old_logprobs(h, w, targets, TEMPERATURE)
    else:
        logp = new_logprobs(h, w, targets, TEMPERATURE, chunk)
    (logp * inputs["upstream"]).sum().backward()
    return logp.detach()


def _rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _vm_size_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak_rss() -> bool:
    """Reset the kernel's resident high-water mark (Linux >= 4.0), which ru_maxrss reports, to the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_live_bytes(trace: Path) -> int | None:
    """Peak of the profiler's running total of allocated bytes (counted from the start of profiling)."""
    events = json.loads(trace.read_text()).get("traceEvents", [])
    totals = [e["args"]["Total Allocated"] for e in events if e.get("name") == "[memory]" and "args" in e]
    return max(totals, default=None)


def child(args: argparse.Namespace) -> None:
    """Measure one method in this (fresh) process; print one JSON line and save its outputs to ``--save``."""
    import torch

    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    # A tiny warm-up first: the first matmul and autograd pass load kernels and start thread pools (~30 MiB),
    # a one-off that is neither method's memory.
    for method in METHODS:
        run_method(method, make_inputs(4, 256, args.hidden, dtype), 2)
    inputs = make_inputs(args.tokens, args.vocab, args.hidden, dtype)
    chunk = None
    if args.chunk_bytes:
        from reasoning_gym.models.logprobs import chunk_rows

        chunk = chunk_rows(args.vocab, args.chunk_bytes)
    # An address-space limit turns an allocation that would not fit into a RuntimeError we can report.
    limit = _vm_size_bytes() + int(args.limit_gib * GIB)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    result: dict[str, Any] = {"method": args.child, "status": "ok", "peak_reset": _reset_peak_rss()}
    baseline = _rss_bytes()
    try:
        start = time.perf_counter()
        logp = run_method(args.child, inputs, chunk)
        result["time"] = time.perf_counter() - start
    except RuntimeError as err:  # the allocator's "can't allocate memory" under the address-space limit
        result.update(status="out of memory", error=str(err).splitlines()[0][:200])
        logp = None
    result["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    if logp is not None:
        torch.save(
            {"logp": logp, "grad_hidden": inputs["hidden"].grad, "grad_weight": inputs["weight"].grad}, args.save
        )
        if args.live:
            result["live"] = _profiled_peak(args.child, inputs, chunk, Path(args.save).with_suffix(".trace.json"))
    print(json.dumps(result), flush=True)


def _profiled_peak(method: str, inputs: dict[str, Tensor], chunk: int | None, trace: Path) -> int | None:
    """Peak live tensor bytes of a second run under the profiler (which slows the first run's timing down)."""
    from torch.profiler import ProfilerActivity, profile

    for key in ("hidden", "weight"):
        inputs[key].grad = None  # the first run's gradients would otherwise be accumulated into, not allocated
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        run_method(method, inputs, chunk)
    prof.export_chrome_trace(str(trace))
    try:
        return _peak_live_bytes(trace)
    finally:
        trace.unlink()


def spawn(method: str, args: argparse.Namespace, save: Path) -> dict[str, Any]:
    """Run ``method`` in a fresh interpreter; its result dict (with ``status`` saying whether it finished)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", method, "--save", str(save)]
    cmd += ["--tokens", str(args.tokens), "--vocab", str(args.vocab), "--hidden", str(args.hidden)]
    cmd += ["--dtype", args.dtype, "--threads", str(args.threads), "--limit-gib", str(args.limit_gib)]
    if args.chunk_bytes:
        cmd += ["--chunk-bytes", str(args.chunk_bytes)]
    if not args.live:
        cmd.append("--no-live")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode == 0 and lines:
        return json.loads(lines[-1])
    # Killed from outside (OOM killer: -9) or crashed: say so rather than make up numbers.
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
    return {"method": method, "status": f"failed (exit {proc.returncode}): {tail}"}


def compare_saved(old: Path, new: Path, dtype: str) -> list[str]:
    """Lines comparing the two children's log-probs and gradients."""
    import torch

    a, b = torch.load(old), torch.load(new)
    lines = []
    for key in ("logp", "grad_hidden", "grad_weight"):
        x, y = a[key].double(), b[key].double()
        rel = ((x - y).norm() / y.norm().clamp(min=1e-30)).item()
        lines.append(f"{key}: max abs diff {(x - y).abs().max().item():.3g}, relative norm of diff {rel:.3g}")
    if dtype == "float32":  # no bfloat16 rounding to hide behind: the same tolerance as the small check
        worst = max(((a[k].double() - b[k].double()).abs().max() / b[k].double().abs().max()).item() for k in a)
        verdict = "agree" if worst <= 1e-5 else "DISAGREE"
        lines.append(f"float32: {verdict} (largest max abs diff / max abs value {worst:.2g})")
    return lines


def check_float32() -> str:
    """Old and new in float32 at a small size, in this process: they must agree to ~1e-5 of the largest value."""
    import torch

    results, threads = [], torch.get_num_threads()
    # One thread: a multi-threaded matmul may split its sums differently from call to call under load (seen
    # in CI: 1e-5 instead of 1e-6), which is noise in the summation order, not a difference between methods.
    torch.set_num_threads(1)
    try:
        for method in METHODS:
            inputs = make_inputs(CHECK["tokens"], CHECK["vocab"], CHECK["hidden"], torch.float32, seed=1)
            logp = run_method(method, inputs, CHECK["chunk"])
            results.append((logp, inputs["hidden"].grad, inputs["weight"].grad))
    finally:
        torch.set_num_threads(threads)
    diffs = [((x - y).abs().max() / y.abs().max()).item() for x, y in zip(*results)]
    if max(diffs) > 1e-5:
        raise SystemExit(f"old and new disagree in float32: relative max abs diffs {diffs}")
    size = f"{CHECK['tokens']} tokens, vocab {CHECK['vocab']}, hidden {CHECK['hidden']}, chunk {CHECK['chunk']}"
    return f"float32 check ({size}): max abs diff / max abs value of logp, grad hidden, grad W: " + ", ".join(
        f"{d:.2g}" for d in diffs
    )


def _gib(value: float | None) -> str:
    return "-" if value is None else f"{value / GIB:.3f}"


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        "| method | dtype | tokens | vocab | peak extra memory (GiB) | peak live tensors (GiB) | time (s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r["status"] == "ok":
            cells = f"{_gib(r['peak'])} | {_gib(r.get('live'))} | {r['time']:.2f}"
        else:
            # It asked for more than its limit (the failed allocation itself was never resident).
            cells = f">{_gib(max(r.get('peak', 0), args.limit_gib * GIB))} ({r['status']}) | - | -"
        lines.append(f"| {r['method']} | {args.dtype} | {args.tokens} | {args.vocab} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a few seconds), same table")
    parser.add_argument("--tokens", type=int, default=8192, help="response positions")
    parser.add_argument("--vocab", type=int, default=152064, help="vocabulary size (Qwen2.5's by default)")
    parser.add_argument("--hidden", type=int, default=1536, help="hidden size (Qwen2.5-1.5B's by default)")
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default="bfloat16", help="hidden and W dtype")
    parser.add_argument("--chunk-bytes", type=int, default=None, help="new method's chunk (default: the package's)")
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=threads, help="torch threads per child (OMP_NUM_THREADS)")
    parser.add_argument("--limit-gib", type=float, default=20.0, help="memory a child may add before giving up")
    parser.add_argument(
        "--no-live", dest="live", action="store_false", help="skip the profiled second run (peak live tensors)"
    )
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory(prefix="logprob-memory-") as tmp:
        saved = {m: Path(tmp) / f"{m}.pt" for m in METHODS}
        results = []
        for method in METHODS:
            results.append(spawn(method, args, saved[method]))
            print(f"{method}: {results[-1]}", flush=True)
        checks = (
            compare_saved(saved["old"], saved["new"], args.dtype) if all(p.exists() for p in saved.values()) else []
        )
    checks.append(check_float32())
    if not all(r.get("peak_reset", True) for r in results):  # then ru_maxrss may hold an earlier, larger peak
        checks.append("WARNING: could not reset the peak RSS (/proc/self/clear_refs); peaks may be overstated")
    old, new = results
    print(
        f"\nLog-probs + backward of one response at temperature {TEMPERATURE}: {args.tokens} tokens, vocab "
        f"{args.vocab}, hidden {args.hidden}, {args.dtype}, {args.threads} threads, one fresh process each\n"
    )
    print("\n".join(checks) + "\n")
    print(table(results, args))
    if new["status"] != "ok":
        raise SystemExit(f"the new method did not finish: {new['status']}")
    # An old run that ran out of memory needed more than its limit: the ratio is then a lower bound.
    old_peak = old["peak"] if old["status"] == "ok" else max(old.get("peak", 0), args.limit_gib * GIB)
    bound = "" if old["status"] == "ok" else ">="
    print(f"\nlogprob peak memory ratio (old/new): {bound}{old_peak / new['peak']:.1f}")


if __name__ == "__main__":
    main()
