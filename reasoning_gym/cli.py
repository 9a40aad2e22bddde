"""The ``rgym`` command line: list and inspect environments, grade answers, export, check overlap, train, evaluate.

Each sub-command only parses arguments and calls the library; heavy imports happen inside the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _cmd_list(args: argparse.Namespace) -> int:
    import reasoning_gym as rg

    rows = []
    for env_id in rg.list_envs(args.namespace):
        size = "-"
        if args.sizes:
            try:
                size = str(len(rg.make(env_id).unwrapped))
            except TypeError:
                size = "unlimited"
            except Exception as exc:  # noqa: BLE001 - a listing must not die on one unavailable dataset.
                size = f"unavailable: {str(exc).split('. ')[0][:100]}"
        rows.append((env_id, size))
    width = max((len(r[0]) for r in rows), default=10)
    for env_id, size in rows:
        print(f"{env_id:<{width}}  {size}" if args.sizes else env_id)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import reasoning_gym as rg

    env = rg.make(args.env_id, **_parse_kwargs(args.kwarg))
    prompt, info = env.reset(seed=args.seed, options=None if args.index is None else {"index": args.index})
    problem = env.unwrapped.get_problem(info["index"])
    print(f"# {args.env_id}  problem {problem.id} (index {info['index']})\n")
    print(prompt)
    print(f"\n# gold answer\n{problem.answer}")
    if args.solution:
        print(f"\n# reference response\n{env.unwrapped.oracle_response(problem)}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from reasoning_gym.verifiers import verify_math

    response = sys.stdin.read() if args.response == "-" else args.response
    verdict = verify_math(response, args.gold, timeout_s=args.timeout_s)
    print(json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False))
    return 0 if verdict.correct else 1


def _cmd_export(args: argparse.Namespace) -> int:
    from reasoning_gym.integrations.export import export_env

    path, count = export_env(
        args.env_id,
        args.output,
        fmt=args.format,
        split=args.split,
        limit=args.limit,
        env_kwargs=_parse_kwargs(args.kwarg),
    )
    print(f"Wrote {count} problems of {args.env_id} to {path} ({args.format}).")
    return 0


def _cmd_contamination(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reasoning_gym.integrations.contamination import contamination_report

    report = contamination_report(
        args.train_envs,
        args.against,
        n=args.ngram,
        max_doc_freq=None if args.max_doc_freq == 0 else args.max_doc_freq,
        min_coverage=args.min_coverage,
    )
    print(report.to_text(max_pairs=args.max_pairs))
    if args.markdown:
        Path(args.markdown).write_text(report.to_markdown() + "\n", encoding="utf-8")
        print(f"\nWrote {args.markdown}")
    return 0


def _user_errors(name: str, command):
    """Run ``command``; a mistake (unknown id, bad value, missing extra) is one message and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        from reasoning_gym.errors import ReasoningGymError

        try:
            return command(args)
        except ReasoningGymError as err:
            if args.debug:
                raise
            print(f"rgym {name}: error: {err}", file=sys.stderr)
            return 2

    return run


def _parse_kwargs(pairs: Sequence[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--kwarg expects KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value  # A bare string such as split=test.
    return out


def _delegate(module: str, argv: Sequence[str]) -> int:
    import importlib

    return int(importlib.import_module(module).main(list(argv)) or 0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``rgym`` (``train`` and ``eval`` parse their own arguments)."""
    parser = argparse.ArgumentParser(prog="rgym", description="reasoning_gym: verifiable reasoning environments.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list registered environments")
    p.add_argument("--namespace", default=None, help="only ids of this namespace, e.g. rg")
    p.add_argument("--sizes", action="store_true", help="also load each env and print its number of problems")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("show", help="print a problem's prompt, gold answer and reference response")
    p.add_argument("env_id")
    p.add_argument("--index", type=int, default=None, help="problem index (default: drawn with --seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--solution", action="store_true", help="also print the reference response")
    p.add_argument("--kwarg", action="append", default=[], metavar="KEY=VALUE", help="env keyword argument")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("verify", help="grade one response against a gold answer with verify_math")
    p.add_argument("response", help="the response text, or - to read it from stdin")
    p.add_argument("--gold", required=True)
    p.add_argument("--timeout-s", type=float, default=10.0)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("export", help="write an env's problems as verl's parquet dataset or JSON Lines")
    p.add_argument("env_id")
    p.add_argument("--format", choices=("verl", "jsonl"), default="verl", help="verl (parquet) or jsonl")
    p.add_argument("--output", required=True, help="the file to write (.parquet for verl, .jsonl for jsonl)")
    p.add_argument("--split", default=None, help="train or test, for envs that take a split")
    p.add_argument("--limit", type=int, default=None, help="only the first N problems (procedural envs: 1000)")
    p.add_argument("--kwarg", action="append", default=[], metavar="KEY=VALUE", help="env keyword argument")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p.set_defaults(func=_user_errors("export", _cmd_export))

    p = sub.add_parser("contamination", help="find training problems that overlap benchmark problems")
    p.add_argument("train_envs", nargs="+", metavar="TRAIN_ENV")
    p.add_argument("--against", nargs="+", required=True, metavar="BENCH_ENV", help="benchmark env ids")
    p.add_argument("--ngram", type=int, default=13, help="words per n-gram (default 13)")
    p.add_argument("--max-doc-freq", type=int, default=10, help="ignore n-grams in more texts than this (0: keep all)")
    p.add_argument("--min-coverage", type=float, default=0.0, help="keep n-gram pairs from this coverage on")
    p.add_argument("--max-pairs", type=int, default=20, help="pairs printed per train/benchmark pair (0: all)")
    p.add_argument("--markdown", default=None, metavar="FILE", help="also write the report as Markdown")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p.set_defaults(func=_user_errors("contamination", _cmd_contamination))

    sub.add_parser("train", help="train a policy (rgym train --help)", add_help=False)
    sub.add_parser("eval", help="evaluate a model on a benchmark suite (rgym eval --help)", add_help=False)
    return parser


_DELEGATES = {"train": "reasoning_gym.trainers.cli", "eval": "reasoning_gym.benchmarks.cli"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rgym`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _DELEGATES:
        return _delegate(_DELEGATES[argv[0]], argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
