"""Length-prefixed JSON frames, the only way data crosses between the parent, the sandbox and the judge.

Imported by the trusted parent *and* inside the sandbox (as a top-level module of a bare ``python -I -S``),
so it uses the standard library only. Values inside frames are encoded by :mod:`.values`.
"""

from __future__ import annotations

import json
import os
import struct

#: Largest single frame either side accepts (bytes of JSON).
MAX_FRAME = 32 << 20

_HEADER = struct.Struct(">I")


class WireError(ValueError):
    """A frame or a tagged value is malformed (treated as a failed test, never as a pass)."""


# ----------------------------------------------------------------------------------------------- frames
def pack(obj: object) -> bytes:
    """Serialise ``obj`` as one length-prefixed JSON frame."""
    return frame(json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii"))


def frame(body: bytes) -> bytes:
    """Length-prefix an already serialised body."""
    return _HEADER.pack(len(body)) + body


def _reject_constant(name: str) -> None:
    raise WireError(f"non-standard JSON constant {name}")


#: One strict decoder for all frames (``json.loads`` with a keyword argument builds a new one per call).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(body: bytes) -> object:
    """Parse one frame body strictly (no NaN/Infinity literals, bounded nesting)."""
    try:
        # Exactly what json.loads(body, parse_constant=...) does with bytes, minus building the decoder.
        return _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise WireError(f"bad frame: {exc}") from None


class FrameReader:
    """Incremental decoder for a byte stream of frames (used by the parent on non-blocking pipes)."""

    def __init__(self, max_total: int = 2 * MAX_FRAME) -> None:
        self._buf = bytearray()
        self._total = 0
        self._max_total = max_total

    def feed(self, data: bytes) -> list[object]:
        """Add bytes; return the frames completed by them. Raises :class:`WireError` on abuse."""
        self._total += len(data)
        if self._total > self._max_total:
            raise WireError(f"result stream exceeded {self._max_total} bytes")
        self._buf += data
        frames = []
        while len(self._buf) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buf)
            if size > MAX_FRAME:
                raise WireError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
            if len(self._buf) < _HEADER.size + size:
                break
            body = bytes(self._buf[_HEADER.size : _HEADER.size + size])
            del self._buf[: _HEADER.size + size]
            frames.append(loads(body))
        return frames

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buf)


def write_frame(fd: int, obj: object) -> None:
    """Blocking write of one frame to ``fd`` (child side)."""
    view = memoryview(pack(obj))
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> object | None:
    """Blocking read of one JSON frame from ``fd``; ``None`` on a clean EOF (child side)."""
    body = read_body(fd)
    return None if body is None else loads(body)


def read_body(fd: int) -> bytes | None:
    """Blocking read of one frame's raw body; ``None`` on a clean EOF."""
    head = _read_exact(fd, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes exceeds the {MAX_FRAME}-byte limit")
    body = _read_exact(fd, size)
    if body is None:
        raise WireError("truncated frame")
    return body


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, got = [], 0
    while got < size:
        chunk = os.read(fd, size - got)
        if not chunk:
            if got:
                raise WireError("truncated frame")
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
