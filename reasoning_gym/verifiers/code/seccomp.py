"""Seccomp for test children: a hand-assembled classic-BPF filter loaded with prctl(2).

No libseccomp needed. The filter denies the syscalls that inspect or escape other processes (ptrace,
process_vm_*, mount, unshare, bpf, io_uring, ...), every ``socket()``, raising rlimits, creating device
nodes and -- by default -- creating processes (fork/vfork, clone without CLONE_THREAD; threads still work).
Standard library only (imported inside the sandbox).
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct

try:
    from .confine import PR_SET_NO_NEW_PRIVS, ConfineError, _libc, prctl
except ImportError:  # pragma: no cover - imported as a top-level module inside the sandbox
    from confine import PR_SET_NO_NEW_PRIVS, ConfineError, _libc, prctl  # type: ignore[no-redef]

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Syscall numbers (x86_64, aarch64; "-" where the call does not exist), from the kernel's unistd headers.
_SYSCALLS = """
ptrace 101 117            process_vm_readv 310 270  process_vm_writev 311 271  mount 165 40
umount2 166 39            unshare 272 97            setns 308 268              pivot_root 155 41
chroot 161 51             bpf 321 280               perf_event_open 298 241    keyctl 250 219
add_key 248 217           request_key 249 218       userfaultfd 323 282        kexec_load 246 104
kexec_file_load 320 294   init_module 175 105       finit_module 313 273       delete_module 176 106
reboot 169 142            swapon 167 224            swapoff 168 225            open_by_handle_at 304 265
name_to_handle_at 303 264 io_uring_setup 425 425    io_uring_enter 426 426     io_uring_register 427 427
socket 41 198             pidfd_getfd 438 438       open_tree 428 428          move_mount 429 429
fsopen 430 430            fsconfig 431 431          fsmount 432 432            fspick 433 433
mount_setattr 442 442     acct 163 89               syslog 103 116             iopl 172 -
ioperm 173 -              mknod 133 -               mknodat 259 33             settimeofday 164 170
clock_settime 227 112     adjtimex 159 171          clock_adjtime 305 266      sethostname 170 161
setdomainname 171 162     quotactl 179 60           fork 57 -                  vfork 58 -
clone 56 220              clone3 435 435            prlimit64 302 261          setrlimit 160 164
kill 62 129               tkill 200 130             tgkill 234 131             rt_sigqueueinfo 129 138
rt_tgsigqueueinfo 297 240 pidfd_open 434 434
"""
_DENIED = (
    "ptrace process_vm_readv process_vm_writev mount umount2 unshare setns pivot_root chroot bpf perf_event_open "
    "keyctl add_key request_key userfaultfd kexec_load kexec_file_load init_module finit_module delete_module "
    "reboot swapon swapoff open_by_handle_at name_to_handle_at io_uring_setup io_uring_enter io_uring_register "
    "socket pidfd_getfd open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr acct syslog iopl ioperm "
    "mknod mknodat settimeofday clock_settime adjtimex clock_adjtime sethostname setdomainname quotactl"
).split()
_SIGNALS = "kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_open".split()
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def _table(machine: str) -> dict:
    column = 1 if machine == "x86_64" else 2
    words = _SYSCALLS.split()
    numbers = {words[i]: words[i + column] for i in range(0, len(words), 3)}
    nr = {name: int(value) for name, value in numbers.items() if value != "-"}
    return {
        "audit": _AUDIT_ARCH[machine],
        "deny": [nr[name] for name in _DENIED if name in nr],
        "fork": [nr[name] for name in ("fork", "vfork") if name in nr],
        "signal": [nr[name] for name in _SIGNALS],
        **{name: nr[name] for name in ("clone", "clone3", "prlimit64", "setrlimit")},
    }


_ARCH = {machine: _table(machine) for machine in _AUDIT_ARCH}
_RET_ALLOW, _RET_KILL = 0x7FFF0000, 0x80000000
_EPERM, _ENOSYS = 1, 38
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_CLONE_THREAD = 0x00010000


def seccomp_supported() -> bool:
    """Whether this architecture has a syscall table here (x86_64 and aarch64)."""
    return platform.machine() in _ARCH


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _deny(nr: int, errno: int) -> bytes:
    return _ins(_JEQ_K, nr, 0, 1) + _ins(_RET_K, 0x00050000 | errno)


def _header(table: dict) -> bytes:
    """Kill on a foreign architecture (and x32 calls), then load the syscall number."""
    prog = _ins(_LD_W_ABS, 4) + _ins(_JEQ_K, table["audit"], 1, 0) + _ins(_RET_K, _RET_KILL)
    prog += _ins(_LD_W_ABS, 0)
    if table["audit"] == 0xC000003E:  # x32 syscalls would bypass the numbers below
        prog += _ins(_JGE_K, 0x40000000, 0, 1) + _ins(_RET_K, _RET_KILL)
    return prog


def build_seccomp_filter(allow_fork: bool, own_pid: int | None) -> bytes:
    """Assemble the main classic-BPF program: deny escape/inspection syscalls, sockets and (by default) forks.

    ``own_pid`` set means signals are confined by seccomp (kernels without Landlock signal scoping): the
    kill family may then target only the calling process itself. Resource limits are locked by a second,
    tiny filter (:func:`build_rlimit_lock`), so that this one can be loaded before the job's limits are known.
    """
    table = _ARCH[platform.machine()]
    prog = _header(table)
    for nr in table["deny"]:
        prog += _deny(nr, _EPERM)
    prog += _deny(table["clone3"], _ENOSYS)  # glibc then falls back to clone(), which we can inspect
    if not allow_fork:
        for nr in table["fork"]:
            prog += _deny(nr, _EPERM)
        prog += _ins(_JEQ_K, table["clone"], 0, 4) + _ins(_LD_W_ABS, 16)
        prog += _ins(_JSET_K, _CLONE_THREAD, 1, 0) + _ins(_RET_K, 0x00050000 | _EPERM) + _ins(_RET_K, _RET_ALLOW)
    if own_pid is not None:
        for nr in table["signal"]:
            prog += _ins(_JEQ_K, nr, 0, 5) + _ins(_LD_W_ABS, 16) + _ins(_JEQ_K, own_pid, 2, 0)
            prog += _ins(_JEQ_K, 0, 1, 0) + _ins(_RET_K, 0x00050000 | _EPERM) + _ins(_RET_K, _RET_ALLOW)
    return prog + _ins(_RET_K, _RET_ALLOW)


def build_rlimit_lock() -> bytes:
    """A second filter, loaded once the limits are set: limits may be read (glibc's getrlimit), never set.

    Root (or CAP_SYS_RESOURCE) could otherwise lift its hard limits again.
    """
    table = _ARCH[platform.machine()]
    prog = _header(table) + _deny(table["setrlimit"], _EPERM)
    prog += _ins(_JEQ_K, table["prlimit64"], 0, 6) + _ins(_LD_W_ABS, 32) + _ins(_JEQ_K, 0, 0, 3)
    prog += _ins(_LD_W_ABS, 36) + _ins(_JEQ_K, 0, 0, 1) + _ins(_RET_K, _RET_ALLOW)
    prog += _ins(_RET_K, 0x00050000 | _EPERM)
    return prog + _ins(_RET_K, _RET_ALLOW)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SeccompFilter:
    """A BPF program held in memory ready to load, so that installing it in a child is one prctl call."""

    def __init__(self, program: bytes) -> None:
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._fprog = _SockFprog(len(program) // 8, ctypes.cast(self._buf, ctypes.c_void_p))

    def install(self) -> None:
        """Load the filter into the calling process (irreversible; sets no_new_privs first)."""
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._fprog), 0, 0) != 0:
            err = ctypes.get_errno()
            raise ConfineError(err, f"seccomp filter install failed: {os.strerror(err)}")


def seccomp_install(program: bytes) -> None:
    """Load a BPF program built by :func:`build_seccomp_filter` into the calling process (irreversible)."""
    SeccompFilter(program).install()
