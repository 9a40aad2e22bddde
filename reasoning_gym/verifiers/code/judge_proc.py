"""The clean judge process: runs test code that could not be parsed, against a *proxy* of the candidate.

It is started fresh (``python -I -S``, clean environment) for the tasks that need it and never holds the
candidate's code: each call of the candidate is sent to the parent as arguments, the parent relays it to the
sandbox, and only the returned value (tagged JSON, rebuilt as exact builtins) comes back. The expected values
live here and in the parent, never in the sandbox. Standard library only.

Input frame: ``{"setup", "module", "units", "names", "memory_mb", "cpu_s"}``. Output frames:
``{"op": "call", "fn", "a", "kw"}`` (answered by ``{"ok", "v" | "exc"+"msg"}``) and, at the end,
``{"op": "result", "units": [{"ok", "msg"}]}``.
"""

from __future__ import annotations

import os
import resource
import sys

try:
    from . import values, wire
except ImportError:  # pragma: no cover - run as a top-level module
    import values  # type: ignore[no-redef]
    import wire  # type: ignore[no-redef]


class CandidateError(Exception):
    """The candidate raised (or the sandbox failed) during a proxied call."""


class _Channel:
    def __init__(self) -> None:
        # Keep the frame channel off fds 0/1 so that prints in the test code cannot corrupt it.
        self.rd, self.wr = os.dup(0), os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)

    def call(self, name: str, args: tuple, kwargs: dict) -> object:
        wire.write_frame(
            self.wr, {"op": "call", "fn": name, "a": values.encode(list(args)), "kw": values.encode(kwargs)}
        )
        reply = wire.read_frame(self.rd)
        if not isinstance(reply, dict):
            raise CandidateError("no reply from the sandbox")
        if reply.get("ok"):
            return values.decode(reply.get("v"))
        raise _rebuild_exception(str(reply.get("exc")), str(reply.get("msg")))


def _rebuild_exception(name: str, msg: str) -> Exception:
    """Re-raise the candidate's builtin exception type, so ``except ValueError`` in a test still works."""
    import builtins

    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls is not AssertionError:
        try:
            return cls(msg)
        except Exception:
            pass
    return CandidateError(f"{name}: {msg}")


class Proxy:
    """Stands in for one candidate function inside the judge's namespace."""

    def __init__(self, channel: _Channel, name: str) -> None:
        self._channel, self._name = channel, name
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        """Forward the call to the sandbox and return the value that comes back."""
        return self._channel.call(self._name, args, kwargs)


def _exec_setup(source: str, ns: dict) -> None:
    """Run setup statement by statement: lines that need the candidate's own classes fail harmlessly here."""
    import ast

    for node in ast.parse(source).body:
        try:
            exec(compile(ast.Module(body=[node], type_ignores=[]), "<setup>", "exec"), ns)
        except Exception:
            pass


def _run_unit(unit: dict, ns: dict, proxies: dict) -> dict:
    try:
        if unit["kind"] == "check":
            ns[unit["fn"]](proxies[unit["entry"]])
        else:
            exec(compile(unit["src"], "<test>", "exec"), ns)
    except AssertionError as exc:
        return {"ok": False, "msg": f"assertion failed {exc}"[:300]}
    except Exception as exc:
        return {"ok": False, "msg": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "msg": ""}


def main() -> None:
    """Read the job on stdin, run every unit, report on stdout."""
    channel = _Channel()
    job = wire.read_frame(channel.rd)
    if not isinstance(job, dict):
        return
    resource.setrlimit(resource.RLIMIT_AS, (job["memory_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_s"], job["cpu_s"] + 1))
    sys.setrecursionlimit(10_000)
    ns: dict = {"__name__": "__judge__"}
    _exec_setup(job["setup"], ns)
    if job["module"]:
        _exec_setup(job["module"], ns)
    proxies = {name: Proxy(channel, name) for name in job["names"]}
    ns.update(proxies)
    results = [_run_unit(unit, ns, proxies) for unit in job["units"]]
    wire.write_frame(channel.wr, {"op": "result", "units": results})


if __name__ == "__main__":  # pragma: no cover
    main()
