"""One test run, seen from the trusted parent: pipes, deadline, output cap and the judge relay.

The parent creates three pipes per run (job in, results out, stdout+stderr out) and sends the child's ends
straight to the worker's spare child, which is already forked and confined; the worker itself only
supervises (backstop deadline, clean-up) and never sees a job or a result. The parent alone decides when to
stop: at the deadline, when output exceeds the cap, when the child breaks the protocol, or as soon as the
outcome is known. It then kills the child; when the child could have started processes it also waits for the
worker's report that every process of the run is gone.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import time
from collections.abc import Callable

from . import wire
from .job import JobRequest, RunOutcome, Sink

#: Cap on stdout + stderr of one run; the run is killed when it is exceeded.
OUTPUT_LIMIT = 1 << 20
_TAIL = 2048
_EXIT_GRACE_S = 5.0
_SPARE_TIMEOUT_S = 30.0
_CHILD_EVENTS = {"loaded", "done", "syntax_error", "load_error", "setup_error", "confine_error"}
_FATAL_EVENTS = {"syntax_error", "load_error", "setup_error", "confine_error"}


class JobRun:
    """Drive one run on ``worker``; ``should_stop(outcome)`` lets the scorer end it early."""

    def __init__(self, worker, request: JobRequest, should_stop: Callable[[RunOutcome], bool], judge=None):
        self.worker, self.request, self.should_stop, self.judge = worker, request, should_stop, judge
        self.out = RunOutcome()
        self.sel = selectors.DefaultSelector()
        self.results = wire.FrameReader()
        self.judge_reader = wire.FrameReader()
        self.pending: set[int] = set()
        self.next_id = len(request.probes) + len(request.weak)
        self.kill_sent = self.exited = self.res_eof = self.out_eof = self.child_dead = self.failed = False
        self.judge_done = judge is None
        self.stop_at: float | None = None

    # --------------------------------------------------------------------------------------------- start
    def run(self) -> RunOutcome:
        """Run to completion; never raises for anything the candidate does."""
        start = time.monotonic()
        spare = self.worker.take_spare(_SPARE_TIMEOUT_S, self.request.timeout_s, self.request.memory_mb)
        if spare is None:
            self.out.infra_error = self.worker.broken or "the worker offered no test process"
            return self.out
        self.pid, chan, self.pidfd = spare
        if not self._hand_over(chan):
            os.close(self.pidfd)
            return self.out
        try:
            self._loop(start + self.request.timeout_s)
        finally:
            self._cleanup()
        self.out.elapsed_s = time.monotonic() - start
        return self.out

    def _hand_over(self, chan) -> bool:
        """Create the run's pipes and send the child its ends directly (they never touch the worker)."""
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        self.job = Sink(job_w)
        self.job.push(wire.frame(self.request.child_job()))
        self.job.flush()  # first (all of it, unless huge): the child starts at once, without waiting for us
        limits = {"timeout": self.request.timeout_s, "memory_mb": self.request.memory_mb}
        try:
            socket.send_fds(chan, [json.dumps(limits).encode()], [job_r, res_w, out_w])
            self.worker.send({"op": "run", "pid": self.pid, **limits})  # arms the worker's backstop deadline
        except OSError as exc:
            self.job.close()
            for fd in (res_r, out_r):
                os.close(fd)
            self.out.infra_error = f"cannot hand the run to the test process: {exc}"
            self.worker.mark_broken(self.out.infra_error)
            return False
        finally:
            chan.close()
            for fd in (job_r, res_w, out_w):
                os.close(fd)
        self.res_r, self.out_r = res_r, out_r
        return True

    def _register(self) -> None:
        self.sel.register(self.res_r, selectors.EVENT_READ, self._on_results)
        self.sel.register(self.out_r, selectors.EVENT_READ, self._on_output)
        self.sel.register(self.worker.sock, selectors.EVENT_READ, self._on_control)
        self.sel.register(self.pidfd, selectors.EVENT_READ, self._on_child_exit)
        if self.judge is not None:
            self.jsink = Sink(self.judge.stdin_fd)
            self.jsink.push(wire.pack(self.judge.job))
            self.sel.register(self.judge.stdout_fd, selectors.EVENT_READ, self._on_judge)

    # ---------------------------------------------------------------------------------------------- loop
    def _finished(self) -> bool:
        if not self.judge_done:
            return False
        if self.exited and self.res_eof and self.out_eof:
            return True
        # Without process creation (seccomp), a SIGKILLed child can neither run another instruction nor leave
        # anything behind: once the verdict is decided and the kill sent, the run is over. The worker's sweep
        # report is awaited only when the verdict needs the exit status (a crash, a lost result) or when
        # the child could have started processes; the next run on this worker waits for it in any case.
        return self.kill_sent and self.worker.fork_free and self._decided()

    def _decided(self) -> bool:
        out = self.out
        events = out.events
        return bool(
            "done" in events
            or _FATAL_EVENTS & events.keys()
            or self.failed
            or out.timed_out
            or out.output_overflow
            or out.protocol_error
        )

    def _loop(self, deadline: float) -> None:
        self._register()
        while not self._finished():
            now = time.monotonic()
            if now >= deadline and not self.kill_sent and not self.child_dead:
                self.out.timed_out = True
                self._stop()
            if self.stop_at is not None and now >= self.stop_at:
                if not self.exited:
                    self.out.infra_error = "the worker did not report the end of the run"
                break
            self._flush_sinks()
            timeout = (self.stop_at if self.stop_at is not None else deadline) - now
            for key, _ in self.sel.select(max(0.0, min(timeout, 1.0))):
                key.data()

    def _flush_sinks(self) -> None:
        self.job.flush()
        if self.judge is not None and not self.judge_done:
            self.jsink.flush()

    def _stop(self) -> None:
        """End the run: close the job pipe, kill the child (and, via the worker, its group), stop the judge."""
        self.job.close()
        if not self.kill_sent:
            self.kill_sent = True
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass  # already gone
            if not self.exited and not self.worker.fork_free:  # the worker kills the whole process group
                try:
                    self.worker.send({"op": "kill", "pid": self.pid})
                except OSError:
                    pass
        if self.judge is not None and not self.judge_done:
            self.judge.kill()
            self.out.judge_error = self.out.judge_error or "stopped before the judge finished"
            self._judge_finished()
        if self.stop_at is None:
            self.stop_at = time.monotonic() + _EXIT_GRACE_S

    # ------------------------------------------------------------------------------------------ handlers
    def _on_results(self) -> None:
        data = _read(self.res_r)
        if not data:
            self._eof("res")
            if self.judge is not None and not self.judge_done:
                self._stop()  # nobody will answer the judge's next call
            return
        try:
            frames = self.results.feed(data)
            for frame in frames:
                self._on_frame(frame)
        except wire.WireError as exc:
            self.out.protocol_error = str(exc)
            self._stop()
            return
        if self.should_stop(self.out):
            self.failed = True
            self._stop()

    def _on_frame(self, frame: object) -> None:
        if not isinstance(frame, dict) or not isinstance(frame.get("ev"), str):
            raise wire.WireError("result frame without an event")
        ev = frame["ev"]
        if ev in _CHILD_EVENTS:
            self.out.events.setdefault(ev, frame)
            if ev in _FATAL_EVENTS:
                self._stop()
            elif ev == "done" and self.judge_done:
                self._stop()
            return
        ident = frame.get("id")
        if ev != "r" or type(ident) is not int:
            raise wire.WireError(f"unexpected result frame {ev!r}")
        if ident in self.pending:
            self.pending.discard(ident)
            reply = {k: frame.get(k) for k in ("ok", "v", "exc", "msg") if k in frame}
            self.jsink.push(wire.pack(reply))
        elif 0 <= ident < len(self.request.probes) + len(self.request.weak) and ident not in self.out.frames:
            self.out.frames[ident] = frame
        else:
            raise wire.WireError(f"unexpected or duplicate result id {ident}")

    def _on_output(self) -> None:
        data = _read(self.out_r)
        if not data:
            self._eof("out")
            return
        self.out.output_bytes += len(data)
        self.out.output_tail = (self.out.output_tail + data)[-_TAIL:]
        if self.out.output_bytes > OUTPUT_LIMIT and not self.out.output_overflow:
            self.out.output_overflow = True
            self._stop()

    def _on_control(self) -> None:
        msg = self.worker.handle_message()
        if msg is None:  # the worker process is gone
            self.sel.unregister(self.worker.sock)
            if not self._decided():
                self.out.infra_error = self.out.infra_error or "the sandbox worker died during the run"
            self.exited = True
            self._stop()
        elif msg.get("ev") == "exited" and msg.get("pid") == self.pid:
            self.exited = True
            self.out.exit = msg
            self._stop()

    def _on_child_exit(self) -> None:
        self.child_dead = True
        self.sel.unregister(self.pidfd)
        if self.judge is not None and not self.judge_done:
            self._stop()

    def _on_judge(self) -> None:
        data = _read(self.judge.stdout_fd)
        if not data:
            if not self.judge_done:
                self.out.judge_error = "the judge process ended without a result"
                self._judge_finished()
                self._stop()
            return
        try:
            for frame in self.judge_reader.feed(data):
                self._on_judge_frame(frame)
        except wire.WireError as exc:
            self.out.judge_error = f"judge protocol error: {exc}"
            self._judge_finished()
            self._stop()

    def _on_judge_frame(self, frame: dict) -> None:
        if frame.get("op") == "call":
            ident, self.next_id = self.next_id, self.next_id + 1
            self.pending.add(ident)
            self.out.judge_calls += 1
            self.job.push(wire.pack({"id": ident, "fn": frame["fn"], "a": frame["a"], "kw": frame["kw"]}))
        elif frame.get("op") == "result":
            self.out.judge_units = frame["units"]
            self._judge_finished()
            self.job.close()  # the child's call loop sees EOF, sends "done" and exits
            if self.should_stop(self.out):
                self.failed = True
                self._stop()
            elif "done" in self.out.events:
                self._stop()

    def _judge_finished(self) -> None:
        if not self.judge_done:
            self.judge_done = True
            self.sel.unregister(self.judge.stdout_fd)

    def _eof(self, which: str) -> None:
        if not getattr(self, f"{which}_eof"):
            self.sel.unregister(self.res_r if which == "res" else self.out_r)
            setattr(self, f"{which}_eof", True)

    def _cleanup(self) -> None:
        self.job.close()
        if self.judge is not None:
            self.judge.kill()
            self.jsink.close()
        self.sel.close()
        for fd in (self.res_r, self.out_r, self.pidfd):
            os.close(fd)
        if not self.exited:
            if self._finished():
                self.worker.awaiting_exit = self.pid  # the next run waits for the worker's clean-up report
            else:
                self.worker.mark_broken(self.out.infra_error or "run ended without an exit report")


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)  # only called once select() reported the fd readable
    except OSError:
        return b""
