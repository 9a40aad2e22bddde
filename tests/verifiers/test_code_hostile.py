"""Hostile programs against the code sandbox, run under every isolation layer this machine offers.

Each program must score 0 (or pass on merit when it is a correct solution with harmless noise), leave no
process alive and no file outside its run directory, and the verifier must keep serving afterwards.

Layer 1 always runs; Layers 2 (bubblewrap) and 3 (root, per-worker uid) run where available and are
skipped *with a reason* otherwise. Set ``REASONING_GYM_REQUIRE_LAYERS=1,2`` (as CI does) to turn a missing
layer into a failure instead.
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from string import Template

import pytest

from reasoning_gym.verifiers.code import SandboxSettings, SandboxUnavailableError, WorkerPool, verify_code

TOKEN = uuid.uuid4().hex[:8]
SECRET = f"TOPSECRET-{TOKEN}"
EXPECTED_MARKER = f"EXPECTED-MARKER-{TOKEN}"
MARK = f"rgh{TOKEN[:6]}"  # name (comm) given to every process a hostile program manages to start
REPO = Path(__file__).resolve().parents[2]
# Set before any pool starts: workers must not inherit it.
os.environ["RG_HOSTILE_SECRET"] = SECRET

ADD_TESTS = ["assert add(1, 2) == 3", "assert add(-5, 5) == 0", "assert add(10, 32) == 42"]
CORRECT = "def add(a, b):\n    return a + b\n"


@dataclass(frozen=True)
class Case:
    """One hostile program: ``expect`` is "zero" or "pass" (on merit); ``statuses`` narrows the verdict."""

    id: str
    code: str
    expect: str = "zero"
    statuses: frozenset[str] = frozenset()
    tests: tuple[str, ...] = tuple(ADD_TESTS)
    timeout_s: float = 2.0
    needs_pidns: bool = False
    memory_mb: int = 1024


def _case(id: str, code: str, expect: str = "zero", statuses: str = "", **kw) -> Case:
    return Case(id, code, expect, frozenset(statuses.split()), **kw)


LEAK_TESTS = (f"assert leak() == {SECRET!r}",)
MARKER_TESTS = (f"assert leak() == {EXPECTED_MARKER!r}",)


def _src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


CASES = [
    _case("infinite_loop", "def add(a, b):\n    while True:\n        pass\n", statuses="timeout", timeout_s=0.5),
    _case("sleep_forever", "import time\ndef add(a, b):\n    time.sleep(10**6)\n", statuses="timeout", timeout_s=0.5),
    _case(
        "sigterm_ignored",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n",
        statuses="timeout",
        timeout_s=0.5,
    ),
    _case(
        "nondaemon_thread_correct",
        "import threading\nthreading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()\n" + CORRECT,
        expect="pass",
    ),
    _case(
        "fork_bomb_bounded",
        _src("""
            import ctypes, os, time
            def add(a, b):
                n = 0
                for _ in range(300):
                    try:
                        pid = os.fork()
                    except OSError:
                        break
                    if pid == 0:
                        ctypes.CDLL(None).prctl(15, b'$mark', 0, 0, 0)
                        time.sleep(20)
                        os._exit(0)
                    n += 1
                return -n - 1000
        """),
        timeout_s=3.0,
    ),
    _case("memory_bomb", "def add(a, b):\n    x = bytearray(4 << 30)\n    return a + b\n", statuses="memory"),
    _case(
        "memory_leak",
        "def add(a, b):\n    hog = []\n    while True:\n        hog.append(' ' * (1 << 24))\n",
        statuses="memory",
        memory_mb=256,
    ),
    _case(
        "disk_fill_one_file",
        _src("""
            def add(a, b):
                with open('big', 'wb') as f:
                    for _ in range(100):
                        f.write(b'x' * (1 << 20))
                return a + b
        """),
    ),
    _case(
        "disk_fill_many_files",
        _src("""
            def add(a, b):
                for i in range(40):
                    with open(f'f{i}', 'wb') as f:
                        f.write(b'x' * (8 << 20))
        """),
        timeout_s=5.0,
    ),
    _case(
        "write_outside_run_dir",
        _src("""
            def add(a, b):
                for p in $outside:
                    try:
                        with open(p, 'w') as f:
                            f.write('pwned')
                    except OSError:
                        pass
                return a + b
        """),
        expect="pass",
    ),
    _case(
        "delete_files",
        _src("""
            import os, shutil
            def add(a, b):
                for remove in (os.remove, shutil.rmtree):
                    for p in $canaries:
                        try:
                            remove(p)
                        except OSError:
                            pass
                return a + b
        """),
        expect="pass",
    ),
    _case("read_secret_file", "def leak():\n    return open($secret_file).read().strip()\n", tests=LEAK_TESTS),
    _case("read_env", "import os\ndef leak():\n    return os.environ.get('RG_HOSTILE_SECRET')\n", tests=LEAK_TESTS),
    _case(
        "read_proc_environ",
        _src("""
            import os
            def leak():
                for pid in os.listdir('/proc'):
                    for name in ('environ', 'cmdline'):
                        try:
                            data = open(f'/proc/{pid}/{name}', 'rb').read().decode(errors='replace')
                        except OSError:
                            continue
                        if $secret in data:
                            return $secret
        """),
        tests=LEAK_TESTS,
    ),
    _case(
        "read_other_processes_memory",
        _src("""
            import os, re, time
            def leak():
                end = time.time() + 1.5
                for pid in os.listdir('/proc'):
                    try:
                        maps = open(f'/proc/{pid}/maps').read().splitlines()
                        mem = open(f'/proc/{pid}/mem', 'rb')
                    except OSError:
                        continue
                    for line in maps:
                        if time.time() > end:
                            return None
                        lo, hi = (int(x, 16) for x in line.split()[0].split('-'))
                        if 'rw' not in line.split()[1] or hi - lo > 1 << 26:
                            continue
                        try:
                            mem.seek(lo)
                            blob = mem.read(hi - lo)
                        except (OSError, ValueError, OverflowError):
                            continue
                        found = re.search(rb'EXPECTED-MARKER-[0-9a-f]{8}', blob)
                        if found:
                            return found.group().decode()
        """),
        tests=MARKER_TESTS,
        timeout_s=3.0,
    ),
    _case(
        "read_tests_from_own_memory",
        _src("""
            import gc, os, sys
            def leak():
                for o in gc.get_objects():
                    if isinstance(o, (list, tuple, dict)):
                        for v in (o.values() if isinstance(o, dict) else o):
                            if isinstance(v, str) and 'EXPECTED-MARKER' in v:
                                return v
                f = sys._getframe()
                while f:
                    for v in f.f_locals.values():
                        if isinstance(v, str) and 'EXPECTED-MARKER' in v:
                            return v
                    f = f.f_back
                for name in os.listdir('.'):
                    data = open(name, errors='replace').read()
                    if 'EXPECTED-MARKER' in data:
                        return data
        """),
        tests=MARKER_TESTS,
    ),
    _case(
        "loopback_and_udp",
        _src("""
            import socket
            def add(a, b):
                try:
                    socket.create_connection(('127.0.0.1', $port), timeout=0.5).sendall(b'x')
                except OSError:
                    pass
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', $port))
                except OSError:
                    pass
                return a + b
        """),
        expect="pass",
    ),
    _case("os_exit_before_tests", "import os\ndef add(a, b):\n    return 0\nos._exit(0)\n", statuses="failed"),
    _case("sys_exit_at_import", "import sys\nsys.exit(0)\n", statuses="failed"),
    _case(
        "atexit_exit0",
        "import atexit, os\natexit.register(lambda: os._exit(0))\ndef add(a, b):\n    return 0\n",
        statuses="failed",
    ),
    _case(
        "fake_pass_markers",
        _src("""
            import os, struct
            print('PASSED\\nALL TESTS PASSED\\nOK')
            for body in (b'{"ev":"done"}', b'{"ev":"r","id":0,"ok":true,"v":0}'):
                for fd in range(3, 30):
                    try:
                        os.write(fd, struct.pack('>I', len(body)) + body)
                    except OSError:
                        pass
            os._exit(0)
        """),
        statuses="failed",
    ),
    _case(
        "eq_always_true",
        _src("""
            class Any:
                def __eq__(self, other):
                    return True
                __hash__ = object.__hash__
            def add(a, b):
                return Any()
        """),
        statuses="failed",
    ),
    _case(
        "int_subclass_eq",
        _src("""
            class I(int):
                def __eq__(self, other):
                    return True
                __hash__ = int.__hash__
            def add(a, b):
                return I(0)
        """),
        statuses="failed",
    ),
    _case(
        "monkeypatched_builtins",
        _src("""
            import builtins, math
            builtins.set = lambda *a: {99}
            builtins.abs = lambda x: 0
            builtins.sorted = lambda *a, **k: [1]
            math.isclose = lambda *a, **k: True
            def add(a, b):
                return 0
        """),
        tests=(
            "assert set([add(1, 2)]) == {3}",
            "assert abs(add(1, 2) - 3) < 1e-9",
            "import math\nassert math.isclose(add(1, 2), 3.0)",
            "assert sorted([add(1, 2)]) == [3]",
        ),
        statuses="failed",
    ),
    _case(
        "deep_recursion",
        "import sys\nsys.setrecursionlimit(10**7)\ndef add(a, b):\n    return add(a, b) + 1\n",
        timeout_s=1.0,
        memory_mb=256,
    ),
    _case("ctypes_segfault", "import ctypes\ndef add(a, b):\n    return ctypes.string_at(0)\n", statuses="failed"),
    _case("stdout_flood", "while True:\n    print('x' * 10000)\n", statuses="output_limit"),
    _case("stderr_flood", "import sys\nwhile True:\n    sys.stderr.write('y' * 65536)\n", statuses="output_limit"),
    _case(
        "setsid_daemon_correct",
        _src("""
            import ctypes, os, time
            try:
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        ctypes.CDLL(None).prctl(15, b'$mark', 0, 0, 0)
                        time.sleep(30)
                    os._exit(0)
            except OSError:
                pass
        """)
        + CORRECT,
        expect="pass",
    ),
    _case(
        "kill_parent_correct",
        _src("""
            import os, signal
            for attack in (lambda: os.kill(os.getppid(), signal.SIGKILL),
                           lambda: os.killpg(os.getpgid(os.getppid()), signal.SIGKILL),
                           lambda: os.kill(1, signal.SIGKILL)):
                try:
                    attack()
                except OSError:
                    pass
        """)
        + CORRECT,
        expect="pass",
    ),
    _case(
        "signal_everyone_correct",
        _src("""
            import os, signal
            for target in (-1, $canary_pid):
                try:
                    os.kill(target, signal.SIGWINCH)
                except OSError:
                    pass
        """)
        + CORRECT,
        expect="pass",
    ),
    _case("kill_minus_one_sigkill", "import os\nos.kill(-1, 9)\n" + CORRECT, expect="any", needs_pidns=True),
    _case(
        "ptrace_parent",
        _src("""
            import ctypes, os
            def leak():
                libc = ctypes.CDLL(None, use_errno=True)
                return 'attached' if libc.ptrace(16, os.getppid(), 0, 0) == 0 else None
        """),
        tests=("assert leak() == 'attached'",),
    ),
    _case(
        "raise_rlimit_then_allocate",
        _src("""
            import resource
            try:
                resource.setrlimit(resource.RLIMIT_AS, (-1, -1))
            except (OSError, ValueError):
                pass
            def add(a, b):
                x = bytearray(4 << 30)
                return a + b
        """),
        statuses="memory",
    ),
    _case(
        "mknod_raw_disk",
        _src("""
            import os, stat
            def leak():
                os.mknod('disk', stat.S_IFBLK | 0o600, os.makedev(253, 0))
                return 'made'
        """),
        tests=("assert leak() == 'made'",),
    ),
    _case(
        "symlink_and_hardlink_escape",
        _src("""
            import os
            def leak():
                for make in (os.symlink, os.link):
                    try:
                        make($secret_file, 'x')
                        return open('x').read().strip()
                    except OSError:
                        pass
        """),
        tests=LEAK_TESTS,
    ),
    _case(
        "exec_a_shell",
        "import os\ndef add(a, b):\n    os.execv('/bin/sh', ['sh', '-c', 'echo 3'])\n",
        statuses="failed",
    ),
    _case("huge_return_value", "def add(a, b):\n    return 'x' * (40 << 20)\n", timeout_s=5.0),
    _case(
        "deeply_nested_return",
        "def add(a, b):\n    v = []\n    for _ in range(100000):\n        v = [v]\n    return v\n",
    ),
    _case(
        "unshare_and_mount",
        _src("""
            import ctypes
            def leak():
                libc = ctypes.CDLL(None, use_errno=True)
                ok = libc.unshare(0x10000000) == 0 or libc.mount(b'none', b'.', b'tmpfs', 0, None) == 0
                return 'escaped' if ok else None
        """),
        tests=("assert leak() == 'escaped'",),
    ),
]
#: Cases whose containment depends on process creation: rerun with forks allowed (no seccomp fork ban).
FORK_CASES = [c for c in CASES if c.id in {"fork_bomb_bounded", "setsid_daemon_correct", "kill_parent_correct"}]


# ------------------------------------------------------------------------------------------------ fixtures
def _world_traversable(path: str) -> bool:
    parts = Path(path).resolve().parts
    for i in range(1, len(parts) + 1):
        mode = os.stat(os.path.join(*parts[:i])).st_mode
        if not mode & stat.S_IXOTH:
            return False
    return True


def _settings(layer: int, allow_fork: bool) -> SandboxSettings:
    python = None
    if layer == 3:
        if os.geteuid() != 0:
            pytest.skip("layer 3 needs root")
        base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        if not _world_traversable(base):  # e.g. a pyenv under /root: the per-worker uid cannot read it
            if not os.path.exists("/usr/bin/python3"):
                pytest.skip(f"layer 3 needs an interpreter readable by unprivileged uids ({base} is not)")
            python = "/usr/bin/python3"
    return SandboxSettings(layer=layer, workers=1, allow_fork=allow_fork, python=python)


def _start_pool(layer: int, allow_fork: bool = False) -> WorkerPool:
    required = os.environ.get("REASONING_GYM_REQUIRE_LAYERS", "1").split(",")
    try:
        return WorkerPool(_settings(layer, allow_fork))
    except SandboxUnavailableError as exc:
        if str(layer) in required:
            raise
        pytest.skip(f"layer {layer} is not available here: {exc}")


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda n: f"layer{n}")
def pool(request):
    started = _start_pool(request.param)
    yield started
    started.close()


@pytest.fixture(scope="module", params=[1, 2, 3], ids=lambda n: f"layer{n}-forks")
def fork_pool(request):
    started = _start_pool(request.param, allow_fork=True)
    yield started
    started.close()


class _Server:
    """A loopback TCP+UDP listener standing in for a trainer's service; counts what reaches it."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp.settimeout(0.05)
        self.udp.settimeout(0.05)
        self.hits = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            for sock, accept in ((self.tcp, True), (self.udp, False)):
                try:
                    conn = sock.accept()[0] if accept else sock.recvfrom(16)
                except OSError:
                    continue
                self.hits += 1
                if accept:
                    conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Canaries, a root-only secret, a loopback server and a SIGWINCH canary process outside the sandbox."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    canary_dir = tmp_path / "keep_dir"
    canary_dir.mkdir()
    (canary_dir / "inner.txt").write_text("keep")
    canaries = [tmp_path / "keep.txt", canary_dir]
    canaries[0].write_text("keep")
    outside = [f"/tmp/{MARK}-tmp", f"/dev/shm/{MARK}-shm", f"/var/tmp/{MARK}-vartmp", str(REPO / f"{MARK}-repo")]
    outside += [str(tmp_path / "outside.txt"), f"../{MARK}-parent", f"../../{MARK}-grandparent"]
    outside += [os.path.expanduser(f"~/{MARK}-home")]
    winch = tmp_path / "winch.log"
    canary = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            f"signal.signal(signal.SIGWINCH, lambda *a: open({str(winch)!r}, 'a').write('hit'))\n"
            "time.sleep(120)",
        ],
    )
    server = _Server()
    time.sleep(0.2)  # let the canary install its handler
    values = {
        "mark": MARK,
        "outside": repr(outside),
        "canaries": repr([str(c) for c in canaries]),
        "secret_file": repr(str(secret_file)),
        "secret": repr(SECRET),
        "port": str(server.port),
        "canary_pid": str(canary.pid),
    }
    yield {"values": values, "outside": outside, "canaries": canaries, "server": server, "winch": winch}
    server.close()
    canary.kill()
    canary.wait()


# --------------------------------------------------------------------------------------------- checks
def _proc_table() -> dict[int, tuple[int, str, str]]:
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            raw = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        state, ppid = raw[raw.rindex(")") + 2 :].split()[:2]
        table[int(name)] = (int(ppid), state, comm)
    return table


def _leftovers(pool: WorkerPool) -> list[str]:
    """Live processes a test left behind: anything named MARK, or more than the worker's idle spares."""
    deadline = time.monotonic() + 1.0
    while True:
        table = _proc_table()
        problems = [
            f"{pid} {comm}" for pid, (_, state, comm) in table.items() if comm.startswith(MARK) and state != "Z"
        ]
        for root in pool.worker_pids():
            live = [p for p in _descendants(table, root) if table[p][1] != "Z"]
            if len(live) > 3:  # worker (inside bwrap) + at most two spares
                problems.append(f"{len(live)} live processes under worker {root}")
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.05)


def _descendants(table: dict, root: int) -> list[int]:
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _assert_contained(pool: WorkerPool, world: dict) -> None:
    assert not _leftovers(pool), _leftovers(pool)
    for path in world["outside"]:
        assert not os.path.exists(path), f"the program wrote {path}"
    for parent in (REPO, Path("/tmp")):
        stray = [p.name for p in parent.iterdir() if MARK in p.name]
        assert not stray, f"stray files {stray} in {parent}"
    for canary in world["canaries"]:
        assert canary.exists(), f"the program deleted {canary}"
    assert world["server"].hits == 0, "the program reached a loopback service"
    assert not world["winch"].exists(), "the program signalled a process outside the sandbox"


def _assert_serving(pool: WorkerPool) -> None:
    verdict = verify_code(CORRECT, ADD_TESTS, pool=pool, timeout_s=5.0)
    assert verdict.correct, verdict


def _run_case(pool: WorkerPool, case: Case, world: dict) -> None:
    if case.needs_pidns and not pool.info.get("pid_namespace"):
        pytest.skip("kill(-1, SIGKILL) is only safe to try inside a PID namespace")
    code = Template(case.code).substitute(world["values"])
    verdict = verify_code(
        f"```python\n{code}\n```", list(case.tests), pool=pool, timeout_s=case.timeout_s, memory_mb=case.memory_mb
    )
    assert verdict.details["layer"] == pool.layer
    assert verdict.status != "sandbox_error", verdict
    if case.expect == "zero":
        assert verdict.reward == 0.0, verdict
    elif case.expect == "pass":
        assert verdict.correct, verdict
    if case.statuses:
        assert verdict.status in case.statuses, verdict
    _assert_contained(pool, world)
    _assert_serving(pool)


# ---------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_program_is_contained(pool, case, world):
    _run_case(pool, case, world)


@pytest.mark.parametrize("case", FORK_CASES, ids=lambda c: c.id)
def test_hostile_program_with_forks_allowed(fork_pool, case, world):
    """With process creation allowed, containment rests on the sweep (PID namespace / subreaper / uid)."""
    _run_case(fork_pool, case, world)


def test_no_cache_survives_between_samples(pool, world):
    """Sample A stores an answer wherever it can write; sample B, next on the same worker, finds none."""
    places = ["stash", "locked/stash", "../stash", "/tmp/stash", "/dev/shm/stash", "/var/tmp/stash"]
    writer = _src(f"""
        import os
        os.mkdir('locked')
        for p in {places!r}:
            try:
                open(p, 'w').write({SECRET!r})
            except OSError:
                pass
        os.chmod('locked', 0)  # try to make the stash impossible to clean up
        os.chmod('.', 0)
        def add(a, b):
            return a + b
    """)
    assert verify_code(writer, ADD_TESTS, pool=pool).correct
    reader = _src(f"""
        import os
        def leak():
            for d in ('.', 'locked'):
                try:
                    os.chmod(d, 0o700)
                except OSError:
                    pass
            for p in {places!r}:
                try:
                    return open(p).read()
                except OSError:
                    pass
    """)
    verdict = verify_code(reader, list(LEAK_TESTS), pool=pool)
    assert verdict.reward == 0.0, verdict
    _assert_contained(pool, world)


def test_sandbox_reports_its_layer(pool):
    info = pool.info
    assert info["layer"] in (1, 2, 3)
    if info["layer"] == 2:
        assert info["pid_namespace"] and info["uid"] == 65534
    if info["layer"] == 3:
        assert info["uid"] != 0
    if sys.platform == "linux" and os.uname().machine in ("x86_64", "aarch64"):
        assert info["seccomp"]


def test_killed_worker_is_replaced(pool):
    """A worker that dies between runs is restarted transparently (and the failure is never scored)."""
    for pid in pool.worker_pids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    verdict = verify_code(CORRECT, ADD_TESTS, pool=pool)
    assert verdict.correct, verdict
