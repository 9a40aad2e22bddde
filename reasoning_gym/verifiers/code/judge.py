"""Trusted judging: parsed asserts evaluated in the parent, the clean judge process, and the verdict.

Only values cross back from the sandbox. Exit codes, printed markers and the child's own asserts decide
nothing: a run passes when every parsed check holds on the decoded values, every judge unit passed in the
clean process, and every weak statement reported success.
"""

from __future__ import annotations

import os
import reprlib
import shutil
import signal
import subprocess
import tempfile

from . import values
from .asserts import Check, TestPlan
from .evaluate import PLACEHOLDER, evaluate
from .job import RunOutcome
from .sandbox import CLEAN_ENV, CODE_DIR

VERSION = "1.2"
JUDGE_BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); import judge_proc; judge_proc.main()"
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist = 80, 80, 10


class CandidateRaised(Exception):
    """The candidate's call raised inside the sandbox (carried as type name and message)."""

    def __init__(self, exc: str, msg: str) -> None:
        super().__init__(f"{exc}: {msg}")
        self.exc = exc


class JudgeProcess:
    """A fresh ``python -I -S`` running :mod:`.judge_proc` with a clean environment, in its own session."""

    def __init__(self, job: dict, python: str) -> None:
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        self.workdir = tempfile.mkdtemp(prefix="rg-judge-")
        try:
            self.proc: subprocess.Popen | None = subprocess.Popen(
                [python, "-I", "-S", "-B", "-c", JUDGE_BOOTSTRAP, CODE_DIR],
                stdin=in_r,
                stdout=out_w,
                stderr=subprocess.DEVNULL,
                env=dict(CLEAN_ENV),
                start_new_session=True,
                cwd=self.workdir,
            )
        except OSError:
            for fd in (in_w, out_r):
                os.close(fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise
        finally:
            os.close(in_r)
            os.close(out_w)
        self.stdin_fd, self.stdout_fd, self.job = in_w, out_r, job

    def kill(self) -> None:
        """Kill the judge's process group and release its resources (idempotent)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        self.proc = None
        os.close(self.stdout_fd)
        shutil.rmtree(self.workdir, ignore_errors=True)


def _value(frame: dict) -> object:
    if frame.get("ok") is True:
        return values.decode(frame.get("v"))
    raise CandidateRaised(str(frame.get("exc")), str(frame.get("msg")))


class Scorer:
    """Evaluates results as they arrive, so that a run can stop at the first failed test."""

    def __init__(self, plan: TestPlan) -> None:
        self.plan = plan
        self.outcomes: dict[int, tuple[bool, str, str | None]] = {}  # check index -> (ok, message, exc)

    def check(self, index: int, check: Check, frames: dict[int, dict]) -> tuple[bool, str, str | None]:
        """Evaluate one parsed check on the decoded values (memoised)."""
        if index not in self.outcomes:
            env = {f"{PLACEHOLDER}{pid}": (lambda f=frames[pid]: _value(f)) for pid in check.probe_ids}
            try:
                ok = bool(evaluate(check.residual, env))
                msg = "" if ok else f"{check.source} failed (got {self._got(check, frames)})"
                self.outcomes[index] = (ok, msg, None)
            except CandidateRaised as exc:
                self.outcomes[index] = (False, f"{check.source}: the candidate raised {exc}"[:400], exc.exc)
            except Exception as exc:  # noqa: BLE001 - an assert whose expression raises fails, as in Python
                self.outcomes[index] = (False, f"{check.source}: {type(exc).__name__}: {exc}"[:400], None)
        return self.outcomes[index]

    @staticmethod
    def _got(check: Check, frames: dict[int, dict]) -> str:
        parts = []
        for pid in check.probe_ids:
            try:
                parts.append(_repr.repr(_value(frames[pid])))
            except Exception as exc:  # noqa: BLE001
                parts.append(f"<{type(exc).__name__}>")
        return ", ".join(parts)

    def should_stop(self, out: RunOutcome) -> bool:
        """True once any test has definitively failed."""
        for index, check in enumerate(self.plan.checks):
            if all(pid in out.frames for pid in check.probe_ids) and not self.check(index, check, out.frames)[0]:
                return True
        base = len(self.plan.probes)
        if any(not out.frames[base + i].get("ok") for i in range(len(self.plan.weak)) if base + i in out.frames):
            return True
        return bool(out.judge_units and not all(u.get("ok") for u in out.judge_units))

    def failures(self, out: RunOutcome) -> tuple[int, list[tuple[str, str | None]]]:
        """Number of passed units and (message, exception type) of each failed or missing one."""
        passed, failed = 0, []
        for index, check in enumerate(self.plan.checks):
            if not all(pid in out.frames for pid in check.probe_ids):
                failed.append((f"{check.source}: no result (the program ended or was stopped first)", None))
                continue
            ok, msg, exc = self.check(index, check, out.frames)
            passed += ok
            if not ok:
                failed.append((msg, exc))
        base = len(self.plan.probes)
        for i, stmt in enumerate(self.plan.weak):
            frame = out.frames.get(base + i)
            ok = bool(frame and frame.get("ok"))
            passed += ok
            if not ok:
                failed.append((f"{stmt}: {frame.get('exc') if frame else 'no result'}", frame and frame.get("exc")))
        units = out.judge_units
        for i, unit in enumerate(self.plan.judge_units):
            result = units[i] if units is not None and i < len(units) else None
            ok = bool(result and result.get("ok") is True)
            passed += ok
            if not ok:
                why = result.get("msg") if result else (out.judge_error or "no result")
                failed.append((f"{unit.get('src') or unit.get('fn') + '(candidate)'}: {why}"[:400], None))
        return passed, failed
