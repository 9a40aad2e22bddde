"""Parent-side handle of one worker process: start-up, control messages, the spare test child."""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future

from .cgroups import remove_slot
from .confine import job_limits
from .sandbox import CLEAN_ENV, SandboxSettings, launch_spec

logger = logging.getLogger("reasoning_gym.verifiers.code")
_READY_TIMEOUT_S = 30.0


class WorkerStartError(RuntimeError):
    """A worker did not come up (the message says which layer, why, and what the worker printed)."""


class _Spawner:
    """Starts workers from one long-lived thread.

    bubblewrap's ``--die-with-parent`` uses PR_SET_PDEATHSIG, which fires when the *thread* that forked it
    exits; spawning from short-lived pool threads would kill healthy workers.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        threading.Thread(target=self._loop, name="rg-sandbox-spawner", daemon=True).start()

    def _loop(self) -> None:
        while True:
            future, argv, kwargs = self._jobs.get()
            try:
                future.set_result(subprocess.Popen(argv, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

    def popen(self, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start ``argv`` from the spawner thread."""
        future: Future = Future()
        self._jobs.put((future, argv, kwargs))
        return future.result()


_SPAWNER: _Spawner | None = None
_SPAWNER_LOCK = threading.Lock()


def _spawner() -> _Spawner:
    global _SPAWNER
    with _SPAWNER_LOCK:
        if _SPAWNER is None:
            _SPAWNER = _Spawner()
        return _SPAWNER


class WorkerHandle:
    """Parent-side handle of one worker process."""

    def __init__(self, settings: SandboxSettings, layer: int, index: int, run_root: str) -> None:
        self.settings, self.layer, self.index, self.run_root = settings, layer, index, run_root
        self.generation = 0
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.features: dict = {}
        self.jobs = 0
        self.broken: str | None = "not started"
        self.spare: tuple[int, socket.socket, int] | None = None  # pid, channel to it, pidfd
        self.spare_limits: list[int] = []  # what the spare's rlimits are set to (confine.job_limits)
        self._retired: tuple[int, socket.socket, int] | None = None  # a spare being replaced (other limits)
        self.exits: dict[int, dict] = {}
        self.awaiting_exit: int | None = None  # a run returned before the worker reported its clean-up
        self._cleanup: list[str] = []

    def start(self) -> None:
        """Launch the worker and wait for its ``ready`` report. Raises :class:`WorkerStartError`."""
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        stderr = tempfile.TemporaryFile()
        try:
            self.generation += 1
            spec = launch_spec(self.settings, self.layer, self.index, child.fileno(), self.run_root, self.generation)
            self.base = spec.config["base"]
            self._cleanup = spec.cleanup
            self.proc = _spawner().popen(
                spec.argv,
                pass_fds=(child.fileno(),),
                env=dict(CLEAN_ENV),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                cwd="/",
            )
        finally:
            child.close()
        self.sock = parent
        self.broken = None
        self.awaiting_exit = None
        msg = self._wait_message(_READY_TIMEOUT_S)
        if msg is None or msg.get("ev") != "ready":
            stderr.seek(0)
            detail = stderr.read()[-2000:].decode(errors="replace").strip()
            self.stop()
            why = msg.get("msg") if msg else "no ready message"
            raise WorkerStartError(f"layer {self.layer} worker {self.index} failed to start: {why}. {detail}")
        stderr.close()
        self.features = msg["features"]
        self.jobs = 0

    @property
    def fork_free(self) -> bool:
        """Whether test children provably cannot create processes (seccomp on, forks denied)."""
        return bool(self.features.get("seccomp")) and not self.features.get("allow_fork")

    def _wait_message(self, timeout: float) -> dict | None:
        assert self.sock is not None
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return self.handle_message() if ready else None

    def take_spare(self, wait_s: float, timeout: float, memory_mb: int) -> tuple[int, socket.socket, int] | None:
        """The confined child waiting for the next run, its rlimits already set for ``timeout``/``memory_mb``.

        Waits for the worker to offer one, and for its report that the previous run is cleaned up (the run
        directory is shared by consecutive runs of a worker, and must be empty before the next begins). A
        spare prepared for other limits is replaced first.
        """
        limits = job_limits(timeout, memory_mb)
        deadline = time.monotonic() + wait_s
        while self.spare is None or self.awaiting_exit is not None or self.spare_limits != limits:
            if self.sock is None or self.broken:
                return None
            if self.spare is not None and self.spare_limits != limits:
                self.send({"op": "respawn", "pid": self.spare[0], "timeout": timeout, "memory_mb": memory_mb})
                # Its channel stays open until the replacement comes: closed now, the spare would exit on
                # its own, maybe before the worker has read which limits the next one needs.
                self._retired, self.spare = self.spare, None
            left = deadline - time.monotonic()
            if left <= 0:
                self.mark_broken("the worker offered no test process in time")
                return None
            self._wait_message(left)  # a timeout, an "exited" report, or the spare
        spare, self.spare = self.spare, None
        return spare

    def send(self, msg: dict, fds: list[int] | tuple[int, ...] = ()) -> None:
        """Send a control message (with file descriptors for ``run``)."""
        assert self.sock is not None
        payload = json.dumps(msg).encode()
        if fds:
            socket.send_fds(self.sock, [payload], list(fds))
        else:
            self.sock.send(payload)

    def handle_message(self) -> dict | None:
        """Read one control message (the socket is readable); ``None`` when the worker is gone or misbehaves."""
        assert self.sock is not None
        fds: list[int] = []
        try:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 2)
            msg = json.loads(data) if data else None
        except (OSError, ValueError):
            msg = None
        if not isinstance(msg, dict):
            _close_all(fds)
            self.mark_broken("the worker closed its control socket or sent garbage")
            return None
        if msg.get("ev") == "spare" and len(fds) == 2:
            self._drop_spare()
            self._drop_retired()
            self.spare = (int(msg["pid"]), socket.socket(fileno=fds[0]), fds[1])
            self.spare_limits = msg.get("limits")
        else:
            _close_all(fds)
            if msg.get("ev") == "exited":
                self._note_exit(msg)
        return msg

    def _note_exit(self, msg: dict) -> None:
        self.exits[msg.get("pid")] = msg
        if msg.get("pid") == self.awaiting_exit:
            self.awaiting_exit = None
        while len(self.exits) > 8:
            self.exits.pop(next(iter(self.exits)))
        if msg.get("swept"):  # a run left processes behind: retire this worker, just in case
            logger.warning("code sandbox: worker %d swept %s leftover process(es)", self.index, msg["swept"])
            self.mark_broken("recycled after leftover processes")

    def _drop_spare(self) -> None:
        _release(self.spare)
        self.spare = None

    def _drop_retired(self) -> None:
        _release(self._retired)
        self._retired = None

    def mark_broken(self, reason: str) -> None:
        """Take the worker out of service; it is restarted before its next run."""
        self.broken = self.broken or reason

    def stop(self) -> None:
        """Stop the worker and everything in it; remove its cgroup slot."""
        self._drop_spare()
        self._drop_retired()
        if self.sock is not None:
            try:
                self.sock.send(b'{"op": "quit"}')
            except OSError:
                pass
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                _killpg(self.proc.pid)
                self.proc.wait()
            self.proc = None
        remove_slot(self._cleanup)
        if self.layer != 2 and getattr(self, "base", None):
            shutil.rmtree(self.base, ignore_errors=True)
        self.broken = self.broken or "stopped"


def _release(spare: tuple[int, socket.socket, int] | None) -> None:
    """Close our end of a spare's channel and its pidfd (the worker kills and reaps the process itself)."""
    if spare is not None:
        _, chan, pidfd = spare
        chan.close()
        os.close(pidfd)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except OSError:
        pass
