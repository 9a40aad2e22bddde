"""Kernel-level confinement applied inside the sandbox: rlimits, capabilities, Landlock and seccomp.

Runs in the worker (to build rulesets once) and in each forked test child (to apply them). Standard library
only, because the worker imports it as a top-level module. Everything is done through ``ctypes`` syscalls so
that no third-party package is needed; each mechanism is probed and reported, and a mechanism that the
kernel does not offer is skipped (and recorded), never faked.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import stat

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.prctl.restype = ctypes.c_int

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36


class ConfineError(OSError):
    """A confinement step failed; the child must not run the candidate."""


def prctl(option: int, arg: int = 0) -> None:
    """Call the prctl syscall and raise :class:`ConfineError` on failure."""
    if _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"prctl({option}) failed: {os.strerror(err)}")


# ------------------------------------------------------------------------------------------------ rlimits
def job_limits(timeout: float, memory_mb: int) -> list[int]:
    """The per-job limits a test process is prepared with: CPU seconds and address space in MiB."""
    return [int(timeout) + 1, int(memory_mb)]


def set_rlimits(cpu_s: int, memory_mb: int, fsize_mb: int, nofile: int, nproc: int | None) -> None:
    """Apply the per-test resource limits (soft == hard, so the candidate cannot raise them back)."""
    limits = [
        (resource.RLIMIT_CPU, (cpu_s, cpu_s + 1)),
        (resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20)),
        (resource.RLIMIT_FSIZE, (fsize_mb << 20, fsize_mb << 20)),
        (resource.RLIMIT_NOFILE, (nofile, nofile)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if nproc is not None:
        limits.append((resource.RLIMIT_NPROC, (nproc, nproc)))
    for which, value in limits:
        resource.setrlimit(which, value)


# ---------------------------------------------------------------------------------------- capabilities
class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (root keeps its uid, not its powers).

    The bounding set is left alone on purpose: with no_new_privs set (always, before this), an ``execve``
    cannot gain capabilities back, so clearing it would only cost ~40 syscalls per test.
    """
    nr_capset = {"x86_64": 126, "aarch64": 91}.get(platform.machine())
    if nr_capset is None:
        return
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    if _libc.syscall(nr_capset, ctypes.byref(header), ctypes.byref(data)) != 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"capset failed: {os.strerror(err)}")


# ------------------------------------------------------------------------------------------------ landlock
_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_MAKE_CHAR, _FS_MAKE_BLOCK = 1 << 6, 1 << 11
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FILE_ONLY = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """Return the kernel's Landlock ABI version, or 0 when Landlock is unavailable."""
    version = _libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def _fs_mask(abi: int) -> int:
    mask = (1 << 13) - 1  # ABI 1: execute .. make_sym
    if abi >= 2:
        mask |= 1 << 13  # refer
    if abi >= 3:
        mask |= _FS_TRUNCATE
    if abi >= 5:
        mask |= _FS_IOCTL_DEV
    return mask


def build_landlock_ruleset(abi: int, read_paths: list[str], rw_paths: list[str], dev_rw: list[str]) -> int:
    """Create a ruleset fd: read-only ``read_paths``, full access under ``rw_paths`` (no device nodes).

    TCP bind/connect are denied (ABI >= 4) and signals / abstract unix sockets are scoped to the domain
    (ABI >= 6), so a candidate cannot signal the worker or reach a loopback service.
    """
    fs_all = _fs_mask(abi)
    attr = _RulesetAttr(fs_all, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    fd = _libc.syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"landlock_create_ruleset failed: {os.strerror(err)}")
    read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    rw = fs_all & ~(_FS_MAKE_CHAR | _FS_MAKE_BLOCK)  # no mknod of a raw disk inside the run dir
    for paths, access in ((read_paths, read), (rw_paths, rw), (dev_rw, read | _FS_WRITE_FILE | fs_all & _FILE_ONLY)):
        for path in paths:
            _add_path_rule(fd, path, access & fs_all)
    return fd


def _add_path_rule(ruleset_fd: int, path: str, access: int) -> None:
    try:
        pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path that does not exist needs no rule
    try:
        if not stat.S_ISDIR(os.fstat(pfd).st_mode):
            access &= _FILE_ONLY
        rule = _PathBeneath(access, pfd)
        if _libc.syscall(_LL_ADD_RULE, ruleset_fd, 1, ctypes.byref(rule), 0) != 0:
            err = ctypes.get_errno()
            raise ConfineError(err, f"landlock_add_rule({path}) failed: {os.strerror(err)}")
    finally:
        os.close(pfd)


def landlock_restrict(ruleset_fd: int) -> None:
    """Enter the Landlock domain (needs no_new_privs, which is set first)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    if _libc.syscall(_LL_RESTRICT, ruleset_fd, 0) != 0:
        err = ctypes.get_errno()
        raise ConfineError(err, f"landlock_restrict_self failed: {os.strerror(err)}")
