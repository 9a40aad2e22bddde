"""Isolation layers: probing what this machine offers and building the command that starts a worker.

- Layer 1 (any Linux >= 5.3, no root): a fork-server worker started with a clean environment; each test
  child gets setsid, rlimits, an emptied run directory, Landlock and seccomp where available, and no
  capabilities.
- Layer 2 (user namespaces via bubblewrap): the same worker runs as PID 1 of its own user/PID/network/IPC
  namespaces with read-only system binds and a size-capped tmpfs ``/tmp``; after each test it kills every
  other process of its namespace.
- Layer 3 (root without namespaces): Layer 1 plus a dedicated uid per worker (so RLIMIT_NPROC binds and
  signals cannot cross workers) and cgroup slots for pids/memory.

Environment (all optional):

- ``REASONING_GYM_SANDBOX_LAYER=1|2|3`` forces a layer; a forced layer that cannot start is an error, never a
  silent fallback. Without it the strongest layer that starts is used (and the others' failures are logged).
- ``REASONING_GYM_SANDBOX_WORKERS``: number of warm workers (default: CPUs available to this process).
- ``REASONING_GYM_SANDBOX_PYTHON``: interpreter inside the sandbox (default: this one's base interpreter).
  Layer 3 needs one that unprivileged uids can read (e.g. ``/usr/bin/python3`` when Python lives in /root).
- ``REASONING_GYM_SANDBOX_ALLOW_FORK=1``: let programs create processes (containment then rests on the
  namespace / subreaper / uid sweep instead of seccomp).
- ``REASONING_GYM_SANDBOX_SECCOMP=0`` / ``REASONING_GYM_SANDBOX_LANDLOCK=0``: switch a mechanism off (for
  kernels or architectures where it misbehaves; this weakens isolation and is recorded in every verdict).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from .confine import landlock_abi
from .seccomp import seccomp_supported

CODE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Where the worker's own source is mounted inside a bubblewrap sandbox.
SANDBOX_CODE_DIR = "/opt/rg-sandbox"
#: Environment every sandbox process starts with; nothing of the trainer's environment is passed on.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
_TMPFS_BYTES = 256 << 20
_UID_BASE = int(os.environ.get("REASONING_GYM_SANDBOX_UID_BASE", "62000"))
#: Timeout and memory (MiB) the first spare of a worker is prepared for: verify_code's defaults. A job that
#: asks for others has its spare replaced first, and later spares keep the new ones.
FIRST_SPARE_LIMITS = (10.0, 1024)
BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); import worker; worker.main(sys.argv[2:])"


class SandboxUnavailableError(RuntimeError):
    """No isolation layer could start, so code cannot be scored (fail closed, never score 0 silently)."""


@dataclass(frozen=True)
class SandboxSettings:
    """What the pool should start.

    Attributes:
        layer: 1, 2 or 3 to force a layer, ``None`` for the strongest that starts.
        workers: Number of warm workers (default: one per CPU core).
        allow_fork: Let candidates create processes (seccomp otherwise denies fork/clone of processes).
        seccomp: Install the seccomp filter (when the architecture is supported).
        landlock: Apply Landlock (when the kernel supports it).
        python: Interpreter used inside the sandbox (default: the base interpreter of this one).
    """

    layer: int | None = None
    workers: int | None = None
    allow_fork: bool = False
    seccomp: bool = True
    landlock: bool = True
    python: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides) -> SandboxSettings:
        """Settings from ``REASONING_GYM_SANDBOX_*`` variables (see the module docstring), then overrides."""
        env = os.environ
        values: dict = {
            "layer": _int_env("REASONING_GYM_SANDBOX_LAYER"),
            "workers": _int_env("REASONING_GYM_SANDBOX_WORKERS"),
            "allow_fork": env.get("REASONING_GYM_SANDBOX_ALLOW_FORK", "0") == "1",
            # Escape hatches for exotic kernels/architectures; both weaken isolation and are reported.
            "seccomp": env.get("REASONING_GYM_SANDBOX_SECCOMP", "1") != "0",
            "landlock": env.get("REASONING_GYM_SANDBOX_LANDLOCK", "1") != "0",
            "python": env.get("REASONING_GYM_SANDBOX_PYTHON") or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["layer"] not in (None, 1, 2, 3):
            raise ValueError(f"sandbox layer must be 1, 2 or 3, got {values['layer']!r} (REASONING_GYM_SANDBOX_LAYER)")
        return cls(**values)

    def worker_count(self) -> int:
        """Resolved number of workers: one per CPU this process may run on, unless set."""
        if self.workers:
            return max(1, self.workers)
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except (AttributeError, OSError):
            return max(1, os.cpu_count() or 1)


def _int_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def sandbox_python(settings: SandboxSettings) -> str:
    """The interpreter the workers run: explicit setting, else this interpreter's base executable."""
    return _resolve_python(settings.python or getattr(sys, "_base_executable", None) or sys.executable)


@functools.lru_cache(maxsize=8)
def _resolve_python(path: str) -> str:
    return os.path.realpath(path)


@functools.lru_cache(maxsize=8)
def interpreter_layout(python: str) -> dict:
    """Ask ``python`` where its standard library and shared libraries live (run once per interpreter)."""
    probe = (
        "import json, sys, sysconfig; p = sysconfig.get_paths();"
        "print(json.dumps({'stdlib': p['stdlib'], 'platstdlib': p['platstdlib'], 'prefix': sys.base_prefix,"
        "'libdir': sysconfig.get_config_var('LIBDIR') or '', 'executable': sys.executable,"
        "'version': list(sys.version_info[:3])}))"
    )
    try:
        out = subprocess.run(
            [python, "-I", "-S", "-c", probe], env=CLEAN_ENV, capture_output=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailableError(
            f"cannot run the sandbox interpreter {python!r}: {exc}. Set REASONING_GYM_SANDBOX_PYTHON to a "
            "working python3 (>= 3.10)."
        ) from exc
    layout = json.loads(out)
    if tuple(layout["version"]) < (3, 10):
        raise SandboxUnavailableError(f"sandbox interpreter {python!r} is older than Python 3.10")
    return layout


def read_paths(layout: dict) -> list[str]:
    """Paths a test may read: the standard library (without site-packages), shared libraries, zoneinfo."""
    paths = {layout["executable"], "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo"}
    paths |= {"/etc/ld.so.cache", "/etc/localtime"}
    for stdlib in {layout["stdlib"], layout["platstdlib"]}:
        try:
            entries = os.listdir(stdlib)
        except OSError:
            continue
        # Entry by entry, so that site-packages (which may hold data sets with answers) stays unreadable.
        paths |= {os.path.join(stdlib, e) for e in entries if e not in ("site-packages", "dist-packages")}
    if layout["libdir"] and os.path.isdir(layout["libdir"]):
        paths |= {os.path.join(layout["libdir"], e) for e in os.listdir(layout["libdir"]) if e.startswith("libpython")}
    return sorted(p for p in paths if os.path.exists(p))


# --------------------------------------------------------------------------------------------- probing
@functools.lru_cache(maxsize=1)
def probe_host() -> dict:
    """What the host offers (recorded in every verdict): uid, bwrap, Landlock ABI, seccomp, cgroups."""
    bwrap = shutil.which("bwrap")
    version = None
    if bwrap:
        try:
            version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            bwrap = None
    return {
        "euid": os.geteuid(),
        "bwrap": bwrap,
        "bwrap_version": version,
        "landlock_abi": landlock_abi(),
        "seccomp_arch": seccomp_supported(),
        "cgroup_v1": os.path.isdir("/sys/fs/cgroup/pids") or os.path.isdir("/sys/fs/cgroup/memory"),
        "cgroup_v2": os.path.exists("/sys/fs/cgroup/cgroup.controllers")
        or os.path.exists("/sys/fs/cgroup/unified/cgroup.controllers"),
    }


def candidate_layers(settings: SandboxSettings) -> list[int]:
    """Layers to try, strongest first (only the forced one when a layer is forced)."""
    if settings.layer is not None:
        return [settings.layer]
    host = probe_host()
    layers = []
    if host["bwrap"]:
        layers.append(2)
    if host["euid"] == 0:
        layers.append(3)
    return layers + [1]


# ----------------------------------------------------------------------------------------- launching
@dataclass
class LaunchSpec:
    """How to start one worker process."""

    argv: list[str]
    config: dict
    cleanup: list[str] = field(default_factory=list)


def worker_config(settings: SandboxSettings, layer: int, index: int, base: str, layout: dict) -> dict:
    """The JSON configuration handed to :func:`worker.main`."""
    return {
        "layer": layer,
        "index": index,
        "base": base,
        "seccomp": settings.seccomp,
        "landlock": settings.landlock,
        "allow_fork": settings.allow_fork,
        "read_paths": read_paths(layout),
        "uid": _UID_BASE + index if layer == 3 else None,
        "nproc": 64 if layer in (2, 3) else None,
        "cgroup": None,
        "limits": list(FIRST_SPARE_LIMITS),
    }


def launch_spec(
    settings: SandboxSettings, layer: int, index: int, ctl_fd: int, run_root: str, generation: int = 0
) -> LaunchSpec:
    """Build the command line that starts worker ``index`` under ``layer``.

    Every (re)start gets a new run directory (``generation``): a worker is replaced precisely when the
    previous one may have left something behind.
    """
    python = sandbox_python(settings)
    layout = interpreter_layout(python)
    if layer == 2:
        base = f"/tmp/rg-w{index}"  # on the sandbox's own tmpfs: fresh with every bubblewrap instance
        config = worker_config(settings, layer, index, base, layout)
        argv = bwrap_argv(layout, python) + [python, "-I", "-S", "-B", "-c", BOOTSTRAP, SANDBOX_CODE_DIR]
        return LaunchSpec(argv + [str(ctl_fd), json.dumps(config)], config)
    base = os.path.join(run_root, f"w{index}.{generation}")
    config = worker_config(settings, layer, index, base, layout)
    cleanup: list[str] = []
    if layer == 3:
        from .cgroups import create_slot

        config["cgroup"], cleanup = create_slot(f"rg-sbx-{os.getpid()}-{index}", pids_max=64, memory_mb=4096)
    argv = [python, "-I", "-S", "-B", "-c", BOOTSTRAP, CODE_DIR, str(ctl_fd), json.dumps(config)]
    return LaunchSpec(argv, config, cleanup)


def bwrap_argv(layout: dict, python: str) -> list[str]:
    """Bubblewrap arguments: fresh namespaces, read-only system, tmpfs /tmp, nothing of the host's /proc."""
    bwrap = probe_host()["bwrap"]
    if not bwrap:
        raise SandboxUnavailableError("Layer 2 needs bubblewrap: install it (apt-get install -y bubblewrap)")
    argv = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    argv += ["--as-pid-1", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    argv += ["--setenv", "PATH", CLEAN_ENV["PATH"], "--setenv", "LANG", "C.UTF-8"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64", "/sbin"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    prefix = layout["prefix"]
    if not prefix.startswith("/usr/"):
        for sub in ("bin", "lib"):
            if os.path.isdir(os.path.join(prefix, sub)):
                argv += ["--ro-bind", os.path.join(prefix, sub), os.path.join(prefix, sub)]
    if not os.path.realpath(python).startswith(("/usr/", prefix)):
        argv += ["--ro-bind", python, python]
    for stdlib in {layout["stdlib"], layout["platstdlib"]}:
        site = os.path.join(stdlib, "site-packages")
        if os.path.isdir(site):  # hide installed packages (and any data sets they carry)
            argv += ["--tmpfs", site, "--remount-ro", site]
    for etc in ("/etc/ld.so.cache", "/etc/localtime"):
        if os.path.exists(etc):
            argv += ["--ro-bind", etc, etc]
    argv += ["--ro-bind", CODE_DIR, SANDBOX_CODE_DIR, "--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(_TMPFS_BYTES), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    return argv
