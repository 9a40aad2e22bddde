"""Public entry points: :func:`verify_code` and :func:`verify_code_batch`."""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ..verdict import Verdict
from .asserts import TestPlan, build_plan
from .extract import extract_code
from .job import JobRequest, RunOutcome
from .judge import VERSION, JudgeProcess, Scorer
from .pool import WorkerPool
from .sandbox import SandboxSettings, sandbox_python

#: Programs larger than this are not run (a model that writes a megabyte of code has not answered).
MAX_CODE_CHARS = 512 * 1024

_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


@dataclass(frozen=True)
class CodeTask:
    """One item for :func:`verify_code_batch` (same meaning as the arguments of :func:`verify_code`)."""

    response: str
    tests: str | Sequence[str]
    entry_point: str | None = None
    setup_code: str = ""
    timeout_s: float = 10.0
    memory_mb: int = 1024


def get_pool(settings: SandboxSettings | None = None) -> WorkerPool:
    """The process-wide worker pool, started on first use (probing layers; fails closed).

    Raises:
        SandboxUnavailableError: No isolation layer could start.
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and _POOL.owner_pid != os.getpid():
            _POOL = None  # we are a forked copy of the process that owns it: its workers are not ours to use
        if _POOL is None:
            _POOL = WorkerPool(settings)
        return _POOL


def shutdown_pool() -> None:
    """Stop the process-wide pool (it restarts on the next call)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and _POOL.owner_pid == os.getpid():
            _POOL.close()
        _POOL = None


atexit.register(shutdown_pool)


def verify_code(
    response: str,
    tests: str | Sequence[str],
    *,
    entry_point: str | None = None,
    setup_code: str = "",
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
    pool: WorkerPool | None = None,
) -> Verdict:
    """Run the program in ``response`` against ``tests`` in the sandbox and judge it in this process.

    Args:
        response: Model output; the last fenced Python block is run (the whole text if there is none).
        tests: HumanEval-style check code (``def check(candidate): ...``, needs ``entry_point``) or a list
            of MBPP-style ``assert`` statements.
        entry_point: Name of the function under test (inferred from MBPP-style asserts when omitted).
        setup_code: Trusted code the tests rely on: MBPP ``test_setup_code``/imports, or a HumanEval prompt
            (its helpers are trusted; its stub of ``entry_point`` is ignored).
        timeout_s: Wall-clock limit for loading the program and running all tests.
        memory_mb: Address-space limit of the test process.
        pool: Worker pool to use (default: the process-wide one, see :func:`get_pool`).

    Returns:
        A :class:`Verdict` with ``verifier="code"``; ``details`` records the sandbox layer, test counts,
        whether the task is weak, and the first failure. A ``check(candidate)`` that reads a name nothing
        provides (a helper ``setup_code`` should define) gives status ``test_error`` without running anything.

    Raises:
        ValueError: The tests or setup code are not valid Python, or contain no test.
        SandboxUnavailableError: No isolation layer can start (scoring is refused, never silently 0).
    """
    if timeout_s <= 0 or memory_mb < 64:
        raise ValueError(f"timeout_s must be > 0 and memory_mb >= 64 (got {timeout_s}, {memory_mb})")
    plan = build_plan(tests, entry_point, setup_code)
    if plan.n_units == 0:
        raise ValueError("the tests contain no test statement; pass asserts or a def check(candidate)")
    pool = pool or get_pool()
    code = extract_code(response)
    if plan.missing_names:  # the trusted check itself cannot run: a task error, not a wrong program
        return _test_error(plan, code, pool.info)
    if not code.strip():
        return _verdict(0.0, "no_code", None, "no code found in the response", _details(plan, pool.info))
    if len(code) > MAX_CODE_CHARS:
        return _verdict(
            0.0, "failed", code, f"program longer than {MAX_CODE_CHARS} characters", _details(plan, pool.info)
        )
    judge_job = _judge_job(plan, timeout_s, memory_mb) if plan.judge_units else None
    request = JobRequest(code, plan.sandbox_setup, plan.probes, plan.weak, timeout_s, memory_mb, judge_job)
    if pool.same_interpreter:
        request.compiled = plan.compiled
    python = sandbox_python(pool.settings)
    make_judge = (lambda: JudgeProcess(judge_job, python)) if judge_job else None
    scorers: list[Scorer] = []

    def new_stopper():
        scorers.append(Scorer(plan))
        return scorers[-1].should_stop

    outcome = pool.run(request, new_stopper, make_judge)
    # The last attempt's scorer judged the very frames of ``outcome``: reuse what it has evaluated already.
    return build_verdict(plan, outcome, code, pool.info, timeout_s, scorers[-1] if scorers else None)


def _judge_job(plan: TestPlan, timeout_s: float, memory_mb: int) -> dict:
    """What the clean judge process receives: trusted test code and the names to proxy."""
    return {
        "setup": plan.judge_setup,
        "module": plan.judge_module,
        "units": list(plan.judge_units),
        "names": list(plan.candidate_names),
        "memory_mb": max(memory_mb, 1024),
        "cpu_s": int(timeout_s) + 1,
    }


def verify_code_batch(
    tasks: Iterable[CodeTask | Mapping], *, pool: WorkerPool | None = None, max_parallel: int | None = None
) -> list[Verdict]:
    """Verify many responses over the worker pool (one in flight per worker); results keep input order.

    Args:
        tasks: :class:`CodeTask` objects or mappings with the same keys.
        pool: Worker pool (default: the process-wide one).
        max_parallel: Concurrent runs (default: the number of workers).
    """
    items = [t if isinstance(t, CodeTask) else CodeTask(**t) for t in tasks]
    pool = pool or get_pool()
    width = max_parallel or pool.info["workers"]

    def one(task: CodeTask) -> Verdict:
        return verify_code(
            task.response,
            task.tests,
            entry_point=task.entry_point,
            setup_code=task.setup_code,
            timeout_s=task.timeout_s,
            memory_mb=task.memory_mb,
            pool=pool,
        )

    with ThreadPoolExecutor(max_workers=max(1, width), thread_name_prefix="rg-code-verify") as executor:
        return list(executor.map(one, items))


# ------------------------------------------------------------------------------------------------ verdict
def _verdict(reward: float, status: str, code: str | None, reason: str, details: dict) -> Verdict:
    return Verdict(reward, status, extracted=code, reason=reason, verifier="code", version=VERSION, details=details)


def _test_error(plan: TestPlan, code: str, info: dict) -> Verdict:
    names = ", ".join(plan.missing_names)
    reason = (
        f"the trusted check uses {names}, which nothing defines: pass the helpers the tests rely on (for "
        "HumanEval, the prompt) as setup_code"
    )
    return _verdict(0.0, "test_error", code or None, reason, _details(plan, info))


def _details(plan: TestPlan, info: dict) -> dict:
    return {
        "layer": info.get("layer"),
        "sandbox": info,
        "tests": plan.n_units,
        "parsed": len(plan.checks),
        "judged": len(plan.judge_units),
        "weak": plan.is_weak,
        "weak_reasons": list(plan.notes),
    }


def _timed_out(out: RunOutcome, timeout_s: float) -> bool:
    exit_info = out.exit or {}
    code = exit_info.get("code")
    if out.timed_out or exit_info.get("killed") == "deadline" or code == -signal.SIGXCPU:
        return True
    cpu = exit_info.get("cpu_s") or 0.0
    return code == -signal.SIGKILL and exit_info.get("killed") is None and cpu >= int(timeout_s) + 1


def build_verdict(
    plan: TestPlan, out: RunOutcome, code: str, info: dict, timeout_s: float = 0.0, scorer: Scorer | None = None
) -> Verdict:
    """Turn what was observed during a run into a verdict (pure; exposed for tests).

    ``scorer`` is the one that watched the run (its memoised checks are reused); a fresh one by default.
    """
    details = _details(plan, info)
    # Verdicts land in env info, which must be deterministic: no timings, pids or memory counters, and not the
    # worker's exit report either. The runner waits for that report only when the verdict needs it (a crash,
    # a lost result), so whether it is there otherwise is a race; what it decides shows in status and reason.
    details.update(output_bytes=out.output_bytes, judge_calls=out.judge_calls)
    events = out.events
    if out.infra_error:
        return _verdict(0.0, "sandbox_error", code, f"sandbox failure (retried): {out.infra_error}", details)
    if out.output_overflow:
        return _verdict(0.0, "output_limit", code, f"output exceeded {1 << 20} bytes; the run was killed", details)
    if "syntax_error" in events:
        ev = events["syntax_error"]
        return _verdict(0.0, "syntax_error", code, f"{ev.get('msg') or ev.get('exc')} (line {ev.get('line')})", details)
    if _timed_out(out, timeout_s or float("inf")):
        return _verdict(0.0, "timeout", code, "the program exceeded its time limit", details)
    for name in ("load_error", "setup_error"):
        if name in events:
            exc, msg = events[name].get("exc"), events[name].get("msg")
            status = "memory" if exc == "MemoryError" else "failed"
            where = "loading the program" if name == "load_error" else "running the setup code"
            return _verdict(0.0, status, code, f"{exc} while {where}: {msg}"[:400], details)
    passed, failures = (scorer or Scorer(plan)).failures(out)
    if out.protocol_error:
        failures.insert(0, (f"broken result channel: {out.protocol_error}", None))
    details["passed"] = passed
    if not failures:
        return _verdict(1.0, "passed", code, "", details)
    details["failure"] = failures[0][0]
    status = "memory" if failures[0][1] == "MemoryError" else "failed"
    exit_code = (out.exit or {}).get("code")
    reason = failures[0][0]
    if isinstance(exit_code, int) and exit_code < 0 and "no result" in reason:
        reason += f" (killed by {signal.Signals(-exit_code).name})" if -exit_code in signal.valid_signals() else ""
    return _verdict(0.0, status, code, reason[:400], details)
