"""The parent's handle on a verifier worker process (the worker program itself is :mod:`.worker_main`).

:class:`~reasoning_gym.verifiers.pool.DeadlinePool` starts each worker as its own program,
``python -m reasoning_gym.verifiers.worker_main READ_FD WRITE_FD``, not through ``multiprocessing``: a
``spawn``-ed child re-imports the caller's main script, which fails for a script that grades at module level
(no ``if __name__ == "__main__":``), and ``fork`` is unsafe in threaded parents. The worker imports nothing of
the caller's, so grading works from any script, ``python -c``, a notebook or a thread.

Protocol, over two pipes with :class:`multiprocessing.connection.Connection` framing (pickled tuples):

* parent to worker: ``("init", {"preload": [...], "warm_up": [...], "sys_path": [...]})`` once, then
  ``(target, args)`` per call, where ``target`` is ``"module:qualname"``;
* worker to parent: ``("ready", pid)`` once the preloaded functions are imported and the warm-up functions
  called, then ``("ok", value)`` or ``("error", message)`` per call.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = ["WORKER_MODULE", "WorkerProcess", "resolve"]

#: The module a worker runs (never imported by the package itself, so ``-m`` runs it cleanly).
WORKER_MODULE = "reasoning_gym.verifiers.worker_main"
#: The folder that holds the ``reasoning_gym`` package, so that a worker imports this very copy of it.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
#: ``-P`` (Python 3.11+): the worker's working directory is not put first on its path, so a file there named like
#: a library (``sympy.py``) cannot shadow it; the caller's own path is appended after start-up instead.
_SAFE_PATH = ("-P",) if sys.version_info >= (3, 11) else ()


def resolve(target: str) -> Callable[..., Any]:
    """Import ``"module:qualname"`` and return the object it names."""
    module, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [_PACKAGE_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != _PACKAGE_ROOT]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class WorkerProcess:
    """The parent's handle on one worker process and its two pipes (requests in, replies out)."""

    def __init__(self, preload: tuple[str, ...], warm_up: tuple[str, ...] = ()) -> None:
        if not sys.executable:
            raise OSError("sys.executable is empty: cannot start a verifier worker interpreter")
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, *_SAFE_PATH, "-m", WORKER_MODULE, str(to_child), str(from_child)],
                pass_fds=(to_child, from_child),
                stdin=subprocess.DEVNULL,
                env=_child_env(),
            )
        except BaseException:
            os.close(from_parent)
            os.close(to_parent)
            raise
        finally:
            os.close(to_child)
            os.close(from_child)
        self.requests = Connection(from_parent, readable=False)
        self.conn = Connection(to_parent, writable=False)  # what the pool waits on
        init = {"preload": list(preload), "warm_up": list(warm_up), "sys_path": [p for p in sys.path if p]}
        self.requests.send(("init", init))

    def send(self, message: tuple[str, tuple[Any, ...]]) -> None:
        """Hand the worker one ``(target, args)`` call."""
        self.requests.send(message)

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.proc.poll() is None

    def exit_code(self, timeout_s: float = 2.0) -> int | None:
        """The exit status, waiting up to ``timeout_s`` for it; ``None`` if it is still running."""
        try:
            return self.proc.wait(timeout=timeout_s)  # EOF can arrive before the exit status does
        except subprocess.TimeoutExpired:
            return None

    def wait_ready(self, timeout_s: float) -> str | None:
        """Block until the worker reports ready; return an error message or None."""
        if not self.conn.poll(timeout_s):
            return f"worker did not start within {timeout_s:.0f}s"
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            return f"worker exited during start-up ({exc!r}, exit code {self.exit_code()})"
        return None if kind == "ready" else str(payload)

    def kill(self) -> None:
        """SIGKILL the process, reap it and close both pipes (idempotent)."""
        if self.alive():
            self.proc.kill()
        self.exit_code(timeout_s=5)
        self.requests.close()
        self.conn.close()
