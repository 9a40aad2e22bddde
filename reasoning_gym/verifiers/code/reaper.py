"""Clean-up between runs: kill and reap what a run left behind, and empty the run directory.

Used by the worker (standard library only; imported inside the sandbox as a top-level module). In a PID
namespace the worker is PID 1 and ``kill(-1)`` reaches every other process; without one, the worker is a
child subreaper (orphans come back to it) and, in Layer 3, everything running under the slot's uid dies.
"""

from __future__ import annotations

import os
import shutil
import signal
import time


def empty_dir(path: str, uid: int | None) -> None:
    """Remove everything a run left in ``path`` (even entries it made unreadable) and reset its mode.

    Raises:
        RuntimeError: Something survived; the worker must not serve another run from this directory (what
            is left could carry one sample's answers to the next).
    """
    os.chmod(path, 0o700)
    if uid is not None:
        os.chown(path, uid, uid)
    for entry in os.listdir(path):
        full = os.path.join(path, entry)
        if os.path.isdir(full) and not os.path.islink(full):
            try:
                shutil.rmtree(full)
            except OSError:  # directories made unreadable or unwritable (mode 000) by the run
                _make_removable(full)
                shutil.rmtree(full, ignore_errors=True)
        else:
            _quiet(os.unlink, full)
    if os.listdir(path):
        raise RuntimeError(f"could not empty the run directory {path}: {os.listdir(path)[:5]}")


def _make_removable(top: str) -> None:
    _quiet(os.chmod, top, 0o700)
    for root, dirs, _files in os.walk(top):  # top-down: each directory is opened up before it is entered
        for name in dirs:
            _quiet(os.chmod, os.path.join(root, name), 0o700)


def _quiet(func, *args) -> None:
    try:
        func(*args)
    except OSError:
        pass


def kill_namespace(exclude: set[int]) -> int:
    """PID-namespace sweep (the caller is PID 1): kill every process but ``exclude``; return how many."""
    try:
        victims = [int(n) for n in os.listdir("/proc") if n.isdigit() and n != "1" and int(n) not in exclude]
    except OSError:
        victims = []
    if not exclude and victims:
        os.kill(-1, signal.SIGKILL)  # as PID 1 of the namespace this reaches every other process in it
    else:
        for victim in victims:
            _quiet_kill(victim)
    return len(victims)


def _quiet_kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_descendants(uid: int | None, exclude: set[int]) -> int:
    """Layer 1/3 sweep: kill our children (orphans are re-parented to us) and, with a slot uid, its processes."""
    victims = set(_children_of(os.getpid()))
    if uid is not None:
        victims |= set(_processes_of_uid(uid))
    victims -= exclude
    for victim in victims:
        _quiet_kill(victim)
    return len(victims)


def _children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        pass
    kids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return kids


def _processes_of_uid(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found.append(int(name))
            except OSError:
                continue
    return found


def reap_all(exclude: set[int]) -> bool:
    """Reap dead children outside ``exclude``; return True while some of them are still alive."""
    alive = False
    for pid in _children_of(os.getpid()):
        if pid in exclude:
            continue
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        alive = alive or done == 0
    if alive:
        time.sleep(0.0005)  # killed processes need a moment to become zombies
    return alive
