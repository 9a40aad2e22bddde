"""The warm fork-server worker: one per core, started with a clean environment, forks a child per test.

Started by :mod:`.sandbox` as ``python -I -S -B -c <bootstrap> <code dir> <ctl_fd> <config-json>``, either
directly (Layer 1/3) or as PID 1 of a bubblewrap namespace (Layer 2). Standard library only.

Control protocol on a SOCK_SEQPACKET unix socket (one JSON object per packet):

- worker -> parent: ``{"ev": "ready", "features"}`` once; then, for every run, ``{"ev": "spare", "pid",
  "limits"}`` carrying a channel to an already-confined child (its rlimits included) and a pidfd of it,
  and ``{"ev": "exited", "pid", ...}`` once that child and everything it started are gone and the run
  directory is empty.
- parent -> worker: ``{"op": "run", "pid", "timeout"}`` (arms the backstop deadline),
  ``{"op": "kill", "pid"}``, ``{"op": "respawn", "pid", "timeout", "memory_mb"}`` (replace an unclaimed
  spare by one prepared for other limits; later spares keep them) and ``{"op": "quit"}``.

The parent sends the run's pipes straight to the child over its channel: the worker never reads a job or
a result, so a later child forked from it cannot find an earlier sample's code or answers in its memory.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import signal
import socket
import sys
import time

try:
    from . import child, confine, harness, reaper, seccomp
except ImportError:  # pragma: no cover - imported as a top-level module inside the sandbox
    import child  # type: ignore[no-redef]
    import confine  # type: ignore[no-redef]
    import harness  # type: ignore[no-redef]
    import reaper  # type: ignore[no-redef]
    import seccomp  # type: ignore[no-redef]

#: Modules imported once in the worker so that each forked child gets them for free.
PRELOAD = (
    "typing collections itertools functools math re heapq bisect string random copy fractions decimal "
    "datetime json statistics operator array dataclasses enum hashlib textwrap unicodedata abc numbers "
    "cmath struct io types"
).split()


class Worker:
    """State of one fork server (configuration, confinement material, run directory)."""

    def __init__(self, sock: socket.socket, config: dict) -> None:
        self.sock = sock
        self.config = config
        self.layer = int(config["layer"])
        self.base = config["base"]
        self.uid = config.get("uid")
        self.features: dict = {"layer": self.layer}
        self.ruleset_fd: int | None = None
        self.landlock_abi = 0
        self.seccomp: seccomp.SeccompFilter | None = None
        self.rlimit_lock: seccomp.SeccompFilter | None = None
        self.rehearsal = b""
        self.limits = (float(config["limits"][0]), int(config["limits"][1]))  # timeout, memory_mb of spares

    # ------------------------------------------------------------------------------------------ set-up
    def prepare(self) -> None:
        """Build everything children share: preloaded modules, Landlock ruleset, process reaping."""
        for name in PRELOAD:
            try:
                __import__(name)
            except ImportError:
                pass
        sys.dont_write_bytecode = True
        self.rehearsal = harness.rehearsal_job()  # each spare runs it once, before its real job
        # Freeze what we have and stop collecting in the worker: a collection in a forked child would touch
        # every object header and copy the whole heap page by page (milliseconds per test).
        gc.collect()
        gc.freeze()
        gc.disable()
        os.makedirs(self.base, mode=0o700, exist_ok=True)
        reaper.empty_dir(self.base, self.uid)
        self.features["pid_namespace"] = os.getpid() == 1
        if not self.features["pid_namespace"]:
            confine.prctl(confine.PR_SET_CHILD_SUBREAPER, 1)  # orphans of a test come back to us
        confine.prctl(confine.PR_SET_DUMPABLE, 0)  # same-uid children cannot read our memory
        self._prepare_landlock()
        use_seccomp = self.config.get("seccomp", True) and seccomp.seccomp_supported()
        if use_seccomp:  # built once; a child only loads them
            program = seccomp.build_seccomp_filter(bool(self.config.get("allow_fork", False)), None)
            self.seccomp = seccomp.SeccompFilter(program)
            self.rlimit_lock = seccomp.SeccompFilter(seccomp.build_rlimit_lock())
        self.features.update(
            seccomp=bool(use_seccomp),
            allow_fork=bool(self.config.get("allow_fork", False)),
            uid=self.uid if self.uid is not None else os.getuid(),
            cgroup=bool(self.config.get("cgroup")),
            signal_scope="landlock" if self.landlock_abi >= 6 else ("seccomp" if use_seccomp else "none"),
        )

    def _prepare_landlock(self) -> None:
        abi = confine.landlock_abi() if self.config.get("landlock", True) else 0
        if abi:
            paths = self.config["read_paths"]
            fd = confine.build_landlock_ruleset(
                abi, paths, [self.base], ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]
            )
            # Park it far above the numbers a child rearranges (0-4), so dup2() cannot clobber it.
            self.ruleset_fd = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
            os.close(fd)
        self.landlock_abi = abi
        self.features["landlock_abi"] = abi

    # ---------------------------------------------------------------------------------------- protocol
    def send(self, msg: dict) -> None:
        """Send one control message to the parent."""
        self.sock.send(json.dumps(msg).encode())

    def serve(self) -> None:
        """Offer a confined spare child, supervise it through its run, clean up, repeat; until told to quit.

        The next spare is forked once the run is over and cleaned up, while the parent is judging and the
        caller has yet to ask again: forking during the run (the obvious overlap) competes with the test for
        the CPU and made every run slower on a busy machine.
        """
        self.send({"ev": "ready", "pid": os.getpid(), "features": self.features})
        pid, pidfd = self._offer_spare()
        while True:
            result = self._supervise(pid, pidfd)
            os.close(pidfd)
            if result is None:
                return  # the parent quit or went away; the spare is dead and reaped
            if result[2] != "respawn":  # a replaced spare never ran anything: nothing to sweep or report
                swept = self.sweep(exclude=set())
                # The run directory is the worker's base itself, emptied after every run: Landlock grants
                # write access to exactly this directory, so nothing a test writes can outlive it or reach a
                # later test. The parent hands the next spare its job only after this report.
                reaper.empty_dir(self.base, self.uid)
                self._report_exit(pid, *result, swept)
            pid, pidfd = self._offer_spare()

    def _report_exit(self, pid: int, status: int, usage, killed: str | None, swept: int) -> None:
        self.send(
            {
                "ev": "exited",
                "pid": pid,
                "code": os.waitstatus_to_exitcode(status),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
                "maxrss_kb": usage.ru_maxrss,
                "minflt": usage.ru_minflt,
                "killed": killed,
                "swept": swept,
            }
        )

    def _offer_spare(self) -> tuple[int, int]:
        """Fork and confine the next test child now, and hand the parent a channel to it and a pidfd.

        The parent sends the run's pipes straight to the child, so neither the job nor the results ever
        pass through (or stay in) the worker's memory, and the hand-over costs no extra hop.
        """
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            mine.close()
            child.spare_main(theirs.detach(), self)
        theirs.close()
        pidfd = os.pidfd_open(pid)
        try:
            msg = {"ev": "spare", "pid": pid, "limits": confine.job_limits(*self.limits)}
            socket.send_fds(self.sock, [json.dumps(msg).encode()], [mine.fileno(), pidfd])
        except OSError:  # the parent is gone: reap the spare before exiting, or it lingers as a zombie
            self._kill_group(pid)
            os.waitpid(pid, 0)
            raise
        finally:
            mine.close()
        return pid, pidfd

    def _supervise(self, pid: int, pidfd: int):
        """Wait for the child to end: parent's ``kill``, the backstop deadline, or its own exit.

        Returns (wait status, rusage, who killed it), or ``None`` when the parent quit or went away.
        """
        deadline = killed = None
        sock = self.sock.fileno()
        while True:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            ready = _wait_readable([sock, pidfd], wait)
            if pidfd in ready:
                _, status, usage = os.wait4(pid, 0)
                return status, usage, killed
            if sock in ready:
                data = self.sock.recv(65536)
                msg = json.loads(data) if data else {"op": "quit"}
                if msg.get("op") == "quit":
                    self._kill_group(pid)
                    os.waitpid(pid, 0)
                    return None
                if msg.get("pid") != pid:
                    continue  # about a run that is already over
                if msg.get("op") == "run" and deadline is None:
                    deadline = time.monotonic() + float(msg["timeout"]) + 1.0
                elif msg.get("op") == "kill" and killed is None:
                    killed = "parent"
                    self._kill_group(pid)
                elif msg.get("op") == "respawn" and deadline is None and killed is None:
                    # An unclaimed spare prepared for other limits: replace it (it never ran anything).
                    self.limits = (float(msg["timeout"]), int(msg["memory_mb"]))
                    killed = "respawn"
                    self._kill_group(pid)
            if deadline is not None and time.monotonic() >= deadline and killed is None:
                killed = "deadline"  # the parent should have asked by now; never rely on it alone
                self._kill_group(pid)

    @staticmethod
    def _kill_group(pid: int) -> None:
        for target in (-pid, pid):
            try:
                os.kill(target, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # ------------------------------------------------------------------------------------------- sweep
    def sweep(self, exclude: set[int]) -> int:
        """Kill and reap every process a run left behind (setsid daemons included) except ``exclude``.

        Returns how many were found. In a PID namespace a plain ``kill(-1)`` is used when nothing is to be
        spared; otherwise every process is killed by pid.
        """
        found = 0
        for _ in range(1000):
            if self.features["pid_namespace"]:
                found += reaper.kill_namespace(exclude)
            else:
                found += reaper.kill_descendants(self.uid, exclude)
            if not reaper.reap_all(exclude):
                return found
        raise RuntimeError("processes keep appearing after 1000 sweeps")


def _wait_readable(fds: list[int], timeout: float | None) -> list[int]:
    import select

    try:
        ready, _, _ = select.select(fds, [], [], timeout)
    except InterruptedError:
        return []
    return ready


def main(argv: list[str]) -> None:
    """Entry point inside the sandbox: ``argv = [ctl_fd, config_json]``."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    sock = socket.socket(fileno=int(argv[0]))
    worker = Worker(sock, json.loads(argv[1]))
    try:
        worker.prepare()
    except Exception as exc:
        sock.send(json.dumps({"ev": "error", "msg": f"worker set-up failed: {type(exc).__name__}: {exc}"}).encode())
        return
    worker.serve()
