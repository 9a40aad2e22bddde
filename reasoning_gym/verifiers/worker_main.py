"""The verifier worker program: ``python -m reasoning_gym.verifiers.worker_main READ_FD WRITE_FD``.

Started by :class:`~reasoning_gym.verifiers.worker.WorkerProcess` (see there for the protocol). It serves
``(target, args)`` calls one at a time until its parent closes the pipe, and exits by itself when the parent
goes away while it is stuck in a call. Nothing of the caller's script is ever imported here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from reasoning_gym.verifiers.worker import resolve

__all__ = ["main"]


def _watch_parent(parent_pid: int) -> None:
    # A worker stuck in C code would outlive a crashed parent; this thread ends it.
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os._exit(0)


def _serve(requests: Connection, replies: Connection, functions: dict[str, Callable[..., Any]]) -> None:
    while True:
        try:
            target, args = requests.recv()
        except (EOFError, OSError):
            return
        try:
            fn = functions.get(target) or functions.setdefault(target, resolve(target))
            replies.send(("ok", fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - the parent decides what an error means.
            replies.send(("error", f"{type(exc).__name__}: {exc}"[:2000]))


def main(argv: Sequence[str] | None = None) -> None:
    """Serve calls from the parent until it closes the pipe."""
    args = sys.argv[1:] if argv is None else list(argv)
    requests, replies = Connection(int(args[0]), writable=False), Connection(int(args[1]), readable=False)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        kind, init = requests.recv()
    except (EOFError, OSError):
        return
    sys.path.extend(p for p in init.get("sys_path", ()) if p not in sys.path)
    functions: dict[str, Callable[..., Any]] = {}
    for target in init.get("preload", ()):  # imported before "ready", so that deadlines never pay for them
        try:
            functions[target] = resolve(target)
        except ImportError:  # an optional extra that is not installed; calls needing it report the error
            pass
    for target in init.get("warm_up", ()):  # called once before "ready": lazy imports and parser tables
        try:
            resolve(target)()
        except Exception:  # noqa: BLE001 - a failed warm-up only costs speed, never correctness
            pass
    replies.send(("ready", os.getpid()))
    _serve(requests, replies, functions)


if __name__ == "__main__":
    main()
