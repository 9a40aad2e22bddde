"""The test child: forked ahead of time by the worker, confined, then handed one job's pipes.

The worker forks the *next* child as soon as a run is over ("spare"), so fork, setsid, capability drop and
Landlock happen off the critical path. The spare then blocks on a private socket until the parent's pipes
arrive, applies the limits that depend on the job (rlimits), locks them, and runs :mod:`.harness`.
Standard library only (imported inside the sandbox as a top-level module).
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import tempfile

try:
    from . import confine, harness, seccomp, wire
except ImportError:  # pragma: no cover - imported as a top-level module inside the sandbox
    import confine  # type: ignore[no-redef]
    import harness  # type: ignore[no-redef]
    import seccomp  # type: ignore[no-redef]
    import wire  # type: ignore[no-redef]

#: Where the job and result pipes end up in the child (stdin is /dev/null, stdout/stderr the output pipe).
JOB_FD, RES_FD = 3, 4
_FSIZE_MB = 16
_NOFILE = 64


def spare_main(chan: int, worker) -> None:
    """Body of a pre-forked child; ``worker`` is the :class:`worker.Worker` it was forked from. Never returns."""
    early: BaseException | None = None
    try:
        null = _prepare(chan, worker)
        if not select.select([chan], [], [], 0)[0]:  # a job already waiting (a batch) would only be delayed
            _rehearse(worker.rehearsal)  # before the limits: a small address-space limit must not fail it
        _limit(worker, confine.job_limits(*worker.limits))
    except BaseException as exc:  # reported once we have a result pipe to report on
        early, null = exc, None
    sock = socket.socket(fileno=chan)
    try:
        data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 3)
    except OSError:
        os._exit(0)
    sock.detach()  # closed by hand below; a finaliser must not close a reused fd number later
    if not data or len(fds) != 3:
        os._exit(0)  # the worker is gone or shutting down
    try:
        _install_fds(fds, null, chan)
    except BaseException as exc:
        _report(fds[1], exc)
        os._exit(70)
    try:
        if early is not None:
            raise early
        msg = json.loads(data)
        if confine.job_limits(msg["timeout"], msg["memory_mb"]) != confine.job_limits(*worker.limits):
            raise confine.ConfineError(0, "the test process was prepared for other limits")  # never expected
    except BaseException as exc:
        _report(RES_FD, exc)
        os._exit(70)
    gc.enable()
    try:
        harness.run_job(JOB_FD, RES_FD)
    except BaseException:
        pass
    os._exit(0)


def _prepare(chan: int, worker) -> int:
    """Job-independent confinement: session, fds, run directory, environment, uid, capabilities, Landlock."""
    os.setsid()
    confine.prctl(confine.PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker dies -> we die
    confine.prctl(confine.PR_SET_NO_NEW_PRIVS, 1)  # exec can never regain privileges
    null = os.open("/dev/null", os.O_RDONLY)
    _close_all_but(sorted({chan, null, worker.ruleset_fd if worker.ruleset_fd is not None else chan}))
    os.chdir(worker.base)
    # The worker's own environment is already the clean one; only point temporary files at the run dir.
    os.environ["TMPDIR"] = os.environ["HOME"] = worker.base
    tempfile.tempdir = worker.base
    for path in worker.config.get("cgroup") or ():
        with open(os.path.join(path, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    if worker.uid is not None:
        os.setgroups([])
        os.setresgid(worker.uid, worker.uid, worker.uid)
        os.setresuid(worker.uid, worker.uid, worker.uid)
    if os.geteuid() == 0:
        confine.drop_capabilities()
    if worker.ruleset_fd is not None:
        confine.landlock_restrict(worker.ruleset_fd)
        os.close(worker.ruleset_fd)
    if worker.seccomp is not None and worker.landlock_abi < 6:
        # Without Landlock's signal scoping, seccomp confines signals to this very process.
        program = seccomp.build_seccomp_filter(worker.features["allow_fork"], os.getpid())
        worker.seccomp = seccomp.SeccompFilter(program)
    if worker.seccomp is not None:
        worker.seccomp.install()  # before any job data arrives; only the rlimit lock is left for later
    return null


def _rehearse(frame: bytes) -> None:
    """Warm this fresh copy of the worker up (already confined, trusted code only) while no job waits for it.

    Skipped when the job is there already: back-to-back runs then pay the warm-up's faults in the run itself
    instead of paying for the rehearsal on top.
    """
    json.loads('{"timeout": 10.0, "memory_mb": 1024}')  # the hand-over parses such a message: fault it in now
    harness.rehearse(frame)


def _close_all_but(keep: list[int]) -> None:
    """Close every descriptor except ``keep`` (sorted), with close_range() over the gaps."""
    low = 0
    for fd in keep:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)


def _limit(worker, limits: list[int]) -> None:
    """The job's limits (from :func:`confine.job_limits`), then the seccomp filter that locks them.

    Applied in the spare, before any job arrives: the worker prepares spares for the limits of the last job,
    and the parent has a spare replaced when a job asks for others.
    """
    nproc = worker.config.get("nproc") if os.geteuid() != 0 else None
    confine.set_rlimits(limits[0], limits[1], _FSIZE_MB, _NOFILE, nproc)
    if worker.rlimit_lock is not None:
        worker.rlimit_lock.install()


def _install_fds(fds: list[int], null: int | None, chan: int) -> None:
    """Job pipe on 3, result pipe on 4, output on 1 and 2, /dev/null on 0; close everything else.

    Everything else open here is known (the received fds, their copies, the channel, /dev/null), so no
    listing of /proc/self/fd is needed -- Landlock has already made /proc unreadable.
    """
    copies = [os.dup(fd) for fd in fds]  # above 4 first, so that no dup2 below clobbers a source
    job, res, out = copies
    if null is None:
        null = os.open("/dev/null", os.O_RDONLY)
    for src, dst in ((null, 0), (out, 1), (out, 2), (job, JOB_FD), (res, RES_FD)):
        os.dup2(src, dst)
    for fd in {*fds, *copies, null, chan} - {0, 1, 2, JOB_FD, RES_FD}:
        try:
            os.close(fd)
        except OSError:
            pass


def _report(fd: int, exc: BaseException) -> None:
    try:
        wire.write_frame(fd, {"ev": "confine_error", "msg": f"{type(exc).__name__}: {exc}"[:500]})
    except OSError:
        pass
