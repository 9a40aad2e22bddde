"""``rgym eval``: evaluate a model on a benchmark suite, and ``rgym eval compare`` two finished runs.

Examples::

    rgym eval --model tiny --suite aime24 --samples 2 --limit 2 --max-tokens 16 --output out/tiny
    rgym eval --model deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B --suite paper --output out/r1-1.5b
    rgym eval --model ./my_suite_model --suite my_suite.toml --output out/mine
    rgym eval compare out/base out/sppo
    rgym eval --list-suites

Re-running the same command with the same ``--output`` resumes an interrupted run. A mistake (unknown suite,
model that cannot be loaded, ...) prints one message and exits with 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``rgym eval`` (``rgym eval compare`` has its own)."""
    p = argparse.ArgumentParser(
        prog="rgym eval",
        description="Evaluate a model on a benchmark suite (resumable). See also: rgym eval compare DIR_A DIR_B.",
    )
    p.add_argument("--model", help="Hugging Face folder, hub id, or a built-in tiny model (tiny)")
    p.add_argument("--suite", help="suite name (--list-suites), registered env id, or a .json/.toml/.yaml file")
    p.add_argument("--output", help="run folder for results.json, samples.jsonl, report.md, report.png")
    p.add_argument("--samples", type=int, default=None, help="K, responses per problem (default: the suite's)")
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: the suite's)")
    p.add_argument("--top-p", type=float, default=None, help="nucleus threshold (default: the suite's)")
    p.add_argument("--max-tokens", type=int, default=None, help="max new tokens (default: the suite's)")
    p.add_argument("--limit", type=int, default=None, help="only the first L problems of each benchmark")
    p.add_argument(
        "--extraction",
        choices=("strict", "flexible"),
        default=None,
        help="answer extraction of the main metrics for math envs (default: each env's own, strict); "
        "the report shows both modes side by side",
    )
    p.add_argument("--backend", default="hf", help="rollout engine: hf (default) or vllm (needs rgym[vllm])")
    p.add_argument("--seed", type=int, default=0, help="run seed (default 0)")
    p.add_argument("--batch-size", type=int, default=64, help="sequences per generation call (default 64)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:1, ...")
    p.add_argument("--dtype", default="auto", help="auto (bfloat16 on CUDA, float32 on CPU), float32, bfloat16")
    p.add_argument("--trust-remote-code", action="store_true", help="allow model code from the hub folder to run")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--report-to", default=None, metavar="NAME", help="wandb: also log to a W&B run in --output (rgym[wandb])"
    )
    p.add_argument("--list-suites", action="store_true", help="list the built-in suites and exit")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one message")
    return p


def _list_suites() -> int:
    from reasoning_gym.benchmarks.suites import SUITES

    width = max(len(n) for n in SUITES)
    for name, suite in SUITES.items():
        s = suite.sampling
        envs = ", ".join(b.env_id for b in suite.benchmarks)
        print(f"{name:<{width}}  K={s.samples} T={s.temperature} top-p={s.top_p} max={s.max_tokens}  {envs}")
    return 0


def _compare(argv: Sequence[str]) -> int:
    from reasoning_gym.benchmarks.report import compare_results, load_results

    p = argparse.ArgumentParser(prog="rgym eval compare", description="Compare two finished evaluation runs.")
    p.add_argument("dir_a")
    p.add_argument("dir_b")
    args = p.parse_args(argv)
    print(compare_results(load_results(args.dir_a), load_results(args.dir_b), args.dir_a, args.dir_b))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from reasoning_gym.benchmarks.api import evaluate
    from reasoning_gym.benchmarks.report import render_markdown

    results = evaluate(
        args.model,
        args.suite,
        output_dir=args.output,
        samples=args.samples,
        temperature=args.temperature,
        top_p=args.top_p,
        max_tokens=args.max_tokens,
        limit=args.limit,
        extraction=args.extraction,
        backend=args.backend,
        seed=args.seed,
        batch_size=args.batch_size,
        device=args.device,
        dtype=args.dtype,
        trust_remote_code=args.trust_remote_code,
        progress=not args.no_progress,
        report_to=args.report_to,
    )
    print(render_markdown(results).split("\n## Provenance")[0].rstrip())
    print(f"\nWrote {args.output}/results.json, samples.jsonl, report.md, report.png")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rgym eval`` (called by the top-level ``rgym`` with the arguments after ``eval``)."""
    from reasoning_gym.errors import ReasoningGymError

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        if argv and argv[0] == "compare":
            return _compare(argv[1:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.list_suites:
            return _list_suites()
        missing = [f"--{k}" for k in ("model", "suite", "output") if not getattr(args, k)]
        if missing:
            parser.error(f"the following arguments are required: {', '.join(missing)} (or use --list-suites)")
        return _evaluate(args)
    except ReasoningGymError as exc:  # the user's mistake: one message (--debug shows the traceback)
        if debug:
            raise
        print(f"rgym eval: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\nrgym eval: interrupted. Finished samples are saved; re-run the same command to resume.",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
