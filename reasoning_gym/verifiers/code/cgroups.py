"""Cgroup slots for Layer 3 (root without namespaces): a pids cap that binds root, and a memory cap.

One slot per worker, created once and reused by every test (creating one per test costs a 35-50 ms tail).
Slots are created *under the cgroup this process already sits in*, so accounting stays inside whatever
limits the machine's own agent applies. Everything is best effort: a controller that is missing or not
writable is skipped, and the worker reports which slots it joined.
"""

from __future__ import annotations

import os

_V1_ROOT = "/sys/fs/cgroup"


def _own_v1_path(controller: str) -> str | None:
    try:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path
    except OSError:
        return None
    return None


def _make(path: str, settings: dict[str, str]) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        for name, value in settings.items():
            with open(os.path.join(path, name), "w") as fh:
                fh.write(value)
        return True
    except OSError:
        remove_slot([path])
        return False


def create_slot(name: str, pids_max: int, memory_mb: int) -> tuple[list[str], list[str]]:
    """Create the v1 pids and memory cgroups of a slot; return (paths to join, paths to remove later)."""
    joined: list[str] = []
    wanted = {
        "pids": {"pids.max": str(pids_max)},
        "memory": {"memory.limit_in_bytes": str(memory_mb << 20)},
    }
    for controller, settings in wanted.items():
        own = _own_v1_path(controller)
        if own is None or not os.path.isdir(os.path.join(_V1_ROOT, controller)):
            continue
        path = os.path.join(_V1_ROOT, controller, own.lstrip("/"), name)
        if _make(path, settings):
            joined.append(path)
    return joined, list(joined)


def remove_slot(paths: list[str]) -> None:
    """Remove slot directories (they must be empty of processes, which the worker's sweep ensures)."""
    for path in paths:
        try:
            os.rmdir(path)
        except OSError:
            pass
