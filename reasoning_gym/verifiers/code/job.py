"""What one run is given (:class:`JobRequest`) and what was observed during it (:class:`RunOutcome`)."""

from __future__ import annotations

import json
import marshal
import os
from dataclasses import dataclass, field


@dataclass
class JobRequest:
    """What the sandbox child receives, plus limits and the optional judge job."""

    code: str
    setup: str
    probes: tuple[str, ...]
    weak: tuple[str, ...]
    timeout_s: float
    memory_mb: int
    judge_job: dict | None = None
    compiled: dict | None = None

    def child_job(self) -> bytes:
        """The first frame body sent to the child (no expected value in it, by construction of the plan).

        Marshal data (``b"M"`` + ...) when test code comes precompiled -- the sandbox runs this very
        interpreter, and the child trusts what the parent sends -- JSON otherwise.
        """
        job = {
            "code": self.code,
            "setup": self.setup,
            "probes": list(self.probes),
            "weak": list(self.weak),
            "interactive": self.judge_job is not None,
        }
        if self.compiled is not None:
            return b"M" + marshal.dumps({**job, "compiled": self.compiled})
        return json.dumps(job).encode()


@dataclass
class RunOutcome:
    """Everything observed during one run (the verdict is computed from it in :mod:`.judge`)."""

    frames: dict[int, dict] = field(default_factory=dict)
    events: dict[str, dict] = field(default_factory=dict)
    exit: dict | None = None
    timed_out: bool = False
    output_overflow: bool = False
    output_bytes: int = 0
    output_tail: bytes = b""
    protocol_error: str | None = None
    infra_error: str | None = None
    judge_units: list[dict] | None = None
    judge_error: str | None = None
    judge_calls: int = 0
    elapsed_s: float = 0.0


class Sink:
    """Non-blocking buffered writer for one pipe."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buf, self.closed = fd, bytearray(), False
        os.set_blocking(fd, False)

    def push(self, data: bytes) -> None:
        """Queue ``data`` (dropped once the sink is closed)."""
        if not self.closed:
            self.buf += data

    def flush(self) -> None:
        """Write as much as the pipe takes now; close the sink if the reader is gone."""
        try:
            while self.buf:
                self.buf = self.buf[os.write(self.fd, self.buf) :]
        except BlockingIOError:
            return
        except OSError:  # the reader is gone
            self.buf.clear()
            self.close()

    def close(self) -> None:
        """Close the pipe (idempotent)."""
        if not self.closed:
            self.closed = True
            os.close(self.fd)
