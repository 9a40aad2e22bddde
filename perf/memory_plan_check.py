"""Check the per-GPU memory planner (reasoning_gym.models.memory) against measured peaks on this CPU machine.

Each case trains one SPPO step (SmolLM2-135M-Instruct policy, the built-in tiny-qwen2 critic, float32, one
response of exactly the target length per prompt) in a fresh process, or under ``torchrun --standalone
--nproc_per_node 2`` (gloo; FSDP2 shards both models), and measures each rank's peak of live tensor bytes
(torch's CPU allocator, counted by a wrapping allocator; ``perf/memory_probe.py`` says why not RSS). The
planner gets the same config, ``device="cpu"``, and reads only the models' ``config.json``. The table
compares the step's peak (the largest rank's) with the planner's ``per_gpu_bytes``, then phase by phase.

Usage::

    python perf/memory_plan_check.py              # the full check (about 30 min on 2 cores), writes the report:
                                                  # docs/results/memory_plan.md
    python perf/memory_plan_check.py --quick      # tiny policy and critic, 32 tokens, 1 process (< 60 s)
    python perf/memory_plan_check.py --paper      # the planner's tables for the SPPO paper's GPU setups
    python perf/memory_plan_check.py --calibrate  # the activation and buffer formulas against micro-benchmarks
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import memory_calibration
import memory_probe

from reasoning_gym.models.memory import plan_memory
from reasoning_gym.models.memory_terms import gib

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "perf" / "configs"
PHASE_ORDER = ("rollout", "old_logprobs", "values", "critic_update", "actor_update")


@dataclass(frozen=True)
class Case:
    """One measured run."""

    procs: int
    tokens: int
    checkpointing: bool | None = None  # None: the model's default (on for SmolLM2)
    policy: str = "smollm2-135m"
    critic: str = "tiny-qwen2"


FULL = (
    Case(1, 128, checkpointing=False),
    Case(1, 512),
    Case(2, 128, checkpointing=False),
    Case(2, 512),
    Case(1, 512, checkpointing=False),
)
QUICK = (Case(1, 32, policy="tiny"),)


def make_config(case: Case, prompt: int, output_dir: str, *, prompts: int = 8, micro: int = 4):
    """The SPPO config of ``case``: ``prompts`` prompts of ``prompt`` tokens, one mini-batch, ``micro`` rows a pass."""
    from reasoning_gym.trainers.config import EnvConfig, ModelConfig, OptimConfig, RolloutConfig, RunConfig
    from reasoning_gym.trainers.sppo import SPPOConfig

    optim = {"mini_batch_size": prompts, "micro_batch_size": micro}
    return SPPOConfig(
        policy=ModelConfig(path=case.policy, gradient_checkpointing=case.checkpointing),
        critic=ModelConfig(path=case.critic),
        env=EnvConfig(id=memory_probe.ENV_ID, kwargs={}),
        rollout=RolloutConfig(
            temperature=1.0, max_new_tokens=case.tokens, max_prompt_tokens=prompt, batch_size=prompts
        ),
        actor_optim=OptimConfig(lr=1e-6, **optim),
        critic_optim=OptimConfig(lr=1e-5, **optim),
        run=RunConfig(output_dir=output_dir, steps=1, save_every=0, device="cpu"),
        prompts_per_step=prompts,
    )


def measure_case(case: Case, threads: int) -> dict[str, int]:
    """Run ``case`` in fresh process(es); the per-phase peaks of the rank with the highest step peak."""
    prompt = memory_probe.prompt_tokens(case.policy)
    with tempfile.TemporaryDirectory(prefix="memcheck-") as tmp:
        worker = [__file__, "--worker", "--result-dir", tmp, "--procs", str(case.procs), "--tokens", str(case.tokens)]
        worker += ["--policy", case.policy, "--critic", case.critic, "--prompt-tokens", str(prompt)]
        worker += [] if case.checkpointing is None else ["--checkpointing", str(case.checkpointing).lower()]
        launcher = [sys.executable]
        if case.procs > 1:
            launcher += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={case.procs}"]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        subprocess.run([*launcher, *worker], check=True, env=env, cwd=ROOT)
        ranks = [memory_probe.json.loads(p.read_text()) for p in sorted(Path(tmp).glob("rank*.json"))]
    if len(ranks) != case.procs:
        raise RuntimeError(f"expected {case.procs} rank results, got {len(ranks)}")
    return max((r["peaks"] for r in ranks), key=lambda peaks: peaks["step"])


def planned(case: Case):
    """The planner's plan for ``case`` (the same config the worker trains with)."""
    config = make_config(case, memory_probe.prompt_tokens(case.policy), "unused")
    return plan_memory(config, gpus=case.procs, device="cpu", gpu_memory_gib=24.0)


def check(cases: tuple[Case, ...], threads: int) -> tuple[list[str], float]:
    """Measure and plan every case; the markdown table lines and the largest relative error."""
    lines = [
        "| processes | response tokens | checkpointing | measured peak (GiB) | planner estimate (GiB) | error |"
        " per phase, measured / planned (GiB) |",
        "|---:|---:|---|---:|---:|---:|---|",
    ]
    worst = 0.0
    for case in cases:
        start = time.perf_counter()
        measured, plan = measure_case(case, threads), planned(case)
        error = (plan.per_gpu_bytes - measured["step"]) / measured["step"]
        worst = max(worst, abs(error))
        phases = ", ".join(
            f"{name} {gib(measured.get(name, 0)):.3f} / {gib(plan.phases[name]):.3f}"
            for name in PHASE_ORDER
            if name in plan.phases
        )
        ckpt = "on" if make_config(case, 1, "unused").policy.checkpointing else "off"
        lines.append(
            f"| {case.procs} | {case.tokens} | {ckpt} | {gib(measured['step']):.3f} | {gib(plan.per_gpu_bytes):.3f} "
            f"| {100 * error:+.1f}% | {phases} |"
        )
        print(lines[-1], f"({time.perf_counter() - start:.0f} s)", flush=True)
    return lines, worst


def worker(args: argparse.Namespace) -> None:
    """One rank of one case (``--worker``): train one profiled step, write the peaks."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    ckpt = None if args.checkpointing is None else args.checkpointing == "true"
    case = Case(args.procs, args.tokens, ckpt, args.policy, args.critic)
    with tempfile.TemporaryDirectory(prefix="memcheck-run-") as out:
        memory_probe.run_step(make_config(case, args.prompt_tokens, out), args.result_dir)


def paper_plans() -> list[tuple[str, str]]:
    """``(title, plan.table())`` for the SPPO paper's setups: the repository's presets, with local config.json."""
    from reasoning_gym.trainers.config import apply_overrides
    from reasoning_gym.trainers.presets import preset_overrides
    from reasoning_gym.trainers.sppo import SPPOConfig

    small, big = (
        os.path.relpath(CONFIGS / name) for name in ("deepseek-r1-distill-qwen-1.5b", "deepseek-r1-distill-qwen-7b")
    )
    setups = [
        ("paper-1.5b: DeepSeek-R1-Distill-Qwen-1.5B policy and critic, 4 x A100 80GB", "paper-1.5b", small, {}),
        ("paper-7b-small-critic: 7B policy, 1.5B critic, CPU offload, 4 x H100 80GB", "paper-7b-small-critic", big,
         {"critic.path": small}),
        ("paper-7b: 7B policy and critic, CPU offload, 4 x H100 80GB", "paper-7b", big, {}),
        ("paper-7b-small-critic without CPU offload, 4 x H100 80GB", "paper-7b-small-critic", big,
         {"critic.path": small, "fsdp.offload": False}),
    ]  # fmt: skip
    out = []
    for title, preset, policy, extra in setups:
        overrides = {**preset_overrides(preset, "sppo", policy_path=policy), **extra}
        config = apply_overrides(SPPOConfig, overrides)
        out.append((title, plan_memory(config, gpus=4, gpu_memory_gib=80.0, device="cuda").table()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny models, 32 tokens, 1 process (< 60 s)")
    parser.add_argument("--paper", action="store_true", help="print the planner's tables for the paper's setups")
    parser.add_argument("--calibrate", action="store_true", help="formulas vs micro-benchmarks on random models")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process (1 on a shared machine)")
    parser.add_argument("--out", default=None, help="markdown report (full check default: docs/results/memory_plan.md)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    for flag in ("--result-dir", "--policy", "--critic", "--checkpointing"):
        parser.add_argument(flag, default=None, help=argparse.SUPPRESS)
    for flag in ("--procs", "--tokens", "--prompt-tokens"):
        parser.add_argument(flag, type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    if args.paper:
        for title, table in paper_plans():
            print(f"## {title}\n\n{table}\n")
        return 0
    if args.calibrate:
        print("\n".join(memory_calibration.calibration_table()))
        return 0
    lines, worst = check(QUICK if args.quick else FULL, args.threads)
    print("\n" + "\n".join(lines))
    summary = f"planner error: max |estimate - measured| / measured = {100 * worst:.1f}%"
    out = args.out or (None if args.quick else str(ROOT / "docs" / "results" / "memory_plan.md"))
    if out:
        command = "python " + " ".join(shlex.quote(a) for a in ["perf/memory_plan_check.py", *(argv or sys.argv[1:])])
        write_report(Path(out), command, lines, summary, quick=args.quick)
        print(f"\nwrote {out}")
    print(summary)
    return 0


def write_report(path: Path, command: str, lines: list[str], summary: str, *, quick: bool) -> None:
    """The markdown report: command, machine, the check's table, the calibration and the paper setups' plans."""
    import torch
    import transformers

    prompt = memory_probe.prompt_tokens(FULL[0].policy)
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20 if Path("/proc/meminfo").exists() else 0
    text = [
        "# Memory planner vs measured peaks",
        "",
        f"Produced by `{command}` on a {os.cpu_count()}-core CPU machine with {memory:.0f} GiB of RAM and no GPU "
        f"(torch {torch.__version__}, transformers {transformers.__version__}). "
        "The planner is `reasoning_gym.models.memory.plan_memory`; `rgym train ... --dry-run` prints its table.",
        "",
        "## Planner vs measured peaks (CPU, float32)",
        "",
        "One SPPO step per row, in a fresh process (or 2 under `torchrun --standalone --nproc_per_node 2`, gloo, "
        f"FSDP2 sharding both models): SmolLM2-135M-Instruct policy, tiny-qwen2 critic, 8 prompts of {prompt} tokens, "
        "one response of exactly the given length each, one mini-batch of 8, micro-batches of 4 rows. Measured: "
        "the step's peak of live tensor bytes (torch's CPU allocator, counted by a wrapping allocator; the largest "
        "rank's), with AdamW's moments already allocated as from step 2 on. Planned: `plan_memory(config, "
        "gpus=processes, device='cpu')`, from the models' config.json only.",
        "",
        *lines,
        "",
        f"`{summary}`",
        "",
        RESIDUAL_TEXT,
    ]
    if not quick:
        text += ["", "## Calibration of the activation and buffer formulas", "", CALIBRATION_TEXT, ""]
        text += memory_calibration.calibration_table()
        text += ["", "## Planner tables for the SPPO paper's setups", "", PAPER_TEXT]
        for title, table in paper_plans():
            text += ["", f"### {title}", "", "```text", table, "```"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")


RESIDUAL_TEXT = (
    "Where the differences come from: the planner plans for rows of different lengths, whose padding mask makes "
    "transformers repeat keys and values to every head before SDPA and copy its output once more; the check's "
    "rows all have the same length (fixed-size prompts, responses of exactly the target length), so there is "
    "no mask. That costs one block's worth with checkpointing (recomputed one block at a time) and every "
    "block's without it: the +3% to +6% of the rows with checkpointing off. The rollout phases differ by the "
    "`min_new_tokens` processor the check adds. The actor update peaks, except with two processes and "
    "checkpointing on: there sharding has halved the parameters and AdamW state, and the old log-probs pass "
    "(a rank's 4 rows at once, with the entropy's float32 logits buffers) is the highest."
)
CALIBRATION_TEXT = (
    "`python perf/memory_plan_check.py --calibrate` re-runs this: single passes of random-weight models built "
    "with `AutoModelForCausalLM.from_config` (a training micro-batch through the fused log-prob and backward, "
    "a no-grad log-prob pass with entropy, HF `generate` on left-padded prompts), each peak measured with the "
    "counting allocator, next to the planner's formula (`reasoning_gym/models/memory_terms.py` documents the "
    "saved tensors it counts). The formulas were derived from the saved tensors and then checked against these "
    "measurements; what was fitted to them is the 24 bytes per token of index tensors, which moment of the "
    "backward peaks (the output layer's first chunk or a block's MLP backward), the no-grad working set of a "
    "block and the sampling buffers of `generate`. The largest differences are the bfloat16 prefill of "
    "`generate` (the float32 upcasts in the norms are counted in full) and checkpointed passes of the small "
    "models, whose last block frees its recomputed activations as its backward proceeds."
)
PAPER_TEXT = (
    "`python perf/memory_plan_check.py --paper`: the repository's presets (`reasoning_gym/trainers/presets.py`: "
    "bf16 compute on CUDA over float32 master weights and AdamW state, gradient checkpointing on, micro-batches "
    "of at most 12288 tokens, HF rollout in batches of 64 (1.5B) or 32 (7B)), with the models read from the "
    "public config.json files kept in `perf/configs/`. These are estimates, not GPU measurements; the GPU-only "
    "terms (allocator fragmentation, CUDA context) are the margins described in the planner's docstring."
)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
