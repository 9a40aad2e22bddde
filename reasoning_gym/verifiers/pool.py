"""A pool of worker processes that runs pure functions under hard wall-clock deadlines.

Why a process pool and not ``signal.alarm``: alarms only work in the main thread of the main interpreter,
they cannot interrupt C code reliably (sympy, big-integer arithmetic), and a timeout swallowed by the caller
turns into a silent reward of 0. Here every call runs in a worker process; when its deadline passes, the
worker is killed with SIGKILL and replaced, and the caller gets an explicit ``timeout`` outcome that the
verifiers turn into a counted verdict. The pool is safe to use from any thread.

Workers are their own program (``python -m reasoning_gym.verifiers.worker_main``, see :mod:`.worker`) talking
over two pipes, not ``multiprocessing`` children: a ``spawn``-ed child re-runs the caller's main script, so a
script that grades at module level, without ``if __name__ == "__main__":``, would fail. Nothing of the
caller's is ever imported in a worker, and a worker exits by itself when its parent dies.

The deadline of an item starts when it is handed to a worker, not while it waits in the queue, and a
replacement worker's start-up (imports, warm-up) never counts against anybody's deadline.
"""

from __future__ import annotations

import atexit
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from reasoning_gym.errors import VerifierUnavailableError
from reasoning_gym.verifiers.worker import WORKER_MODULE, WorkerProcess

__all__ = ["DeadlinePool", "Outcome", "get_pool", "shutdown_pools"]

_START_TIMEOUT_S = 120.0  # Importing sympy/math-verify in a fresh interpreter on a loaded 2-core box.
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """What happened to one call: ``ok`` with its value, ``timeout``, or ``error`` with a message."""

    kind: Literal["ok", "timeout", "error"]
    value: Any = None
    message: str = ""
    elapsed_s: float = 0.0


class DeadlinePool:
    """Runs pure functions in worker processes with a hard deadline per call.

    Functions are named as ``"module:qualname"`` strings so that workers import them themselves.

    Args:
        workers: Number of worker processes.
        preload: Functions each worker imports before it reports ready.
        warm_up: Functions (no arguments) each worker calls once before it reports ready.
    """

    def __init__(self, workers: int, *, preload: tuple[str, ...] = (), warm_up: tuple[str, ...] = ()) -> None:
        if workers < 1:
            raise ValueError(f"DeadlinePool needs at least 1 worker, got workers={workers}.")
        self.preload, self.warm_up = preload, warm_up
        self.size = workers
        self.owner_pid = os.getpid()
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
        self._lock = threading.Lock()
        self._all: set[WorkerProcess] = set()
        self._closed = False
        self._broken: str | None = None
        self.stats = {"calls": 0, "timeouts": 0, "errors": 0, "restarts": 0}
        started = [self._spawn() for _ in range(workers)]  # all start at once; then wait for each
        try:
            for worker in started:
                self._admit(worker)
        except VerifierUnavailableError:
            self.shutdown()
            raise

    # ---- worker life cycle -------------------------------------------------------------------------
    def _spawn(self) -> WorkerProcess | str:
        """Start a worker process; an error message when even that fails."""
        try:
            worker = WorkerProcess(self.preload, self.warm_up)
        except OSError as exc:
            return f"cannot start {sys.executable or 'python'} -m {WORKER_MODULE}: {exc}"
        with self._lock:
            self._all.add(worker)
        return worker

    def _admit(self, worker: WorkerProcess | str) -> None:
        """Wait for a fresh worker; retry a failed start, fail closed after ``_START_ATTEMPTS``."""
        error = None
        for attempt in range(_START_ATTEMPTS):
            if attempt:
                worker = self._spawn()
            if isinstance(worker, str):
                error = worker
                continue
            error = worker.wait_ready(_START_TIMEOUT_S)
            if error is None:
                self._idle.put(worker)
                return
            self._discard(worker)
        raise VerifierUnavailableError(
            f"Could not start a verifier worker after {_START_ATTEMPTS} attempts: {error}. "
            "Check that new processes can be started here (ulimit -u, memory) and that the verifier's "
            f"dependencies import cleanly in a fresh interpreter ({sys.executable} -m {WORKER_MODULE})."
        )

    def _discard(self, worker: WorkerProcess) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def _replace(self, worker: WorkerProcess) -> None:
        # Start the replacement in the background: waiting for its imports here would stall the other
        # items of this batch and eat into their deadlines.
        self._discard(worker)
        self._count("restarts")
        threading.Thread(target=self._admit_in_background, daemon=True).start()

    def _admit_in_background(self) -> None:
        try:
            self._admit(self._spawn())
        except VerifierUnavailableError as exc:
            self._broken = str(exc)

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    # ---- calls -------------------------------------------------------------------------------------
    def map(self, target: str, arg_tuples: Sequence[tuple[Any, ...]], timeout_s: float) -> list[Outcome]:
        """Run ``target(*args)`` once per argument tuple, in parallel over the idle workers, in input order."""
        if self._closed:
            raise VerifierUnavailableError("This DeadlinePool was shut down; create a new one.")
        results: list[Outcome | None] = [None] * len(arg_tuples)
        pending = list(range(len(arg_tuples)))[::-1]  # pop() from the end keeps input order.
        running: dict[Connection, tuple[WorkerProcess, int, float]] = {}
        held: list[WorkerProcess] = []
        try:
            while pending or running:
                self._dispatch(pending, running, held, [(target, a) for a in arg_tuples])
                self._collect(running, results, held, timeout_s)
        finally:
            for worker in held:
                self._idle.put(worker)
            for worker, _, _ in running.values():  # Only after an exception in this thread.
                self._replace(worker)
        return results  # type: ignore[return-value]

    def _dispatch(self, pending, running, held, arg_tuples) -> None:
        # Block for a first worker only when nothing is running; otherwise take what is idle now.
        while pending:
            if held:
                worker = held.pop()
            else:
                worker = self._take_idle(block=not running)
                if worker is None:
                    return
            index = pending.pop()
            worker.send(arg_tuples[index])
            running[worker.conn] = (worker, index, time.monotonic())

    def _take_idle(self, block: bool) -> WorkerProcess | None:
        while True:
            if self._broken:
                raise VerifierUnavailableError(self._broken)
            try:
                return self._idle.get(block=block, timeout=1.0 if block else None)
            except queue.Empty:
                if not block:
                    return None

    def _collect(self, running, results, held, timeout_s: float) -> None:
        now = time.monotonic()
        next_deadline = min(start + timeout_s for _, _, start in running.values())
        ready = wait(list(running), timeout=max(0.0, next_deadline - now))
        for conn in ready:
            worker, index, start = running.pop(conn)
            elapsed = time.monotonic() - start
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                code = worker.exit_code()
                results[index] = Outcome("error", message=f"verifier worker died (exit code {code})")
                self._count("errors")
                self._replace(worker)
                continue
            results[index] = Outcome(kind, payload if kind == "ok" else None, "" if kind == "ok" else payload, elapsed)
            if kind != "ok":
                self._count("errors")
            held.append(worker)
        now = time.monotonic()
        # An answer already waiting in the pipe is not late, however long this thread was busy.
        late = [c for c, (_, _, start) in running.items() if now - start >= timeout_s and not c.poll(0)]
        for conn in late:
            worker, index, start = running.pop(conn)
            results[index] = Outcome("timeout", message=f"no verdict within {timeout_s:g}s", elapsed_s=now - start)
            self._count("timeouts")
            self._replace(worker)
        self._count("calls", len(ready))

    def run(self, target: str, args: tuple[Any, ...], timeout_s: float) -> Outcome:
        """Run a single call."""
        return self.map(target, [args], timeout_s)[0]

    def alive_pids(self) -> list[int]:
        """Process ids of the live workers (for leak checks)."""
        with self._lock:
            return [w.proc.pid for w in self._all if w.alive()]

    def shutdown(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


_POOLS: dict[int, DeadlinePool] = {}
_POOLS_LOCK = threading.Lock()
#: Imported by every verifier worker at start-up (the math grader pulls in sympy and math-verify).
_PRELOAD = ("math_verify:parse", "reasoning_gym.verifiers.math_answer.grader:score_math")
#: Called once by every verifier worker before it reports ready (parser tables, sympy's lazy imports).
_WARM_UP = ("reasoning_gym.verifiers.math_answer.grader:warm_up",)


def get_pool(workers: int | None = None) -> DeadlinePool:
    """Return the shared verifier pool with ``workers`` processes (default: the number of CPUs)."""
    size = workers or os.cpu_count() or 1
    with _POOLS_LOCK:
        pool = _POOLS.get(size)
        if pool is not None and pool.owner_pid != os.getpid():
            pool = None  # a forked copy of the owner: those workers are not ours to use (nor to stop)
        if pool is None or pool._closed:
            pool = _POOLS[size] = DeadlinePool(size, preload=_PRELOAD, warm_up=_WARM_UP)
        return pool


@atexit.register
def shutdown_pools() -> None:
    """Stop every shared pool (registered with ``atexit``)."""
    with _POOLS_LOCK:
        pools = [p for p in _POOLS.values() if p.owner_pid == os.getpid()]
        _POOLS.clear()
    for pool in pools:
        pool.shutdown()
