"""The tagged canonical JSON that values travel in, on both sides of the sandbox.

Every JSON object is a one-key *tag* (``{"$t": [...]}`` for a tuple, ``{"$s": [...]}`` for a set, ...).
The child side (:func:`encode`) reduces every value to exact builtin types, reading subclasses through
their base class so that an overridden ``__eq__``/``__iter__`` never decides what is sent. The parent side
(:func:`decode`) rebuilds exact builtins and rejects anything malformed, so the comparison in the parent
never runs a method the candidate wrote. Standard library only (imported inside the sandbox too).
"""

from __future__ import annotations

import collections
import decimal
import fractions
import math

try:
    from .wire import WireError
except ImportError:  # pragma: no cover - imported as a top-level module inside the sandbox
    from wire import WireError  # type: ignore[no-redef]

#: Deepest container nesting :func:`encode` follows before giving up.
MAX_DEPTH = 100
#: Most items taken from a returned iterator/generator.
MAX_ITER_ITEMS = 100_000


class Opaque:
    """Stand-in for a value of a type that cannot cross the boundary (a user class, a regex match, ...).

    It compares equal to nothing but itself and keeps only the truthiness the child reported, so
    ``assert f(x)`` / ``assert not f(x)`` still work on match objects while ``==`` against any expected
    value fails.
    """

    __slots__ = ("type_name", "truthy")

    def __init__(self, type_name: str, truthy: bool) -> None:
        self.type_name = type_name
        self.truthy = truthy

    def __bool__(self) -> bool:
        return self.truthy

    def __repr__(self) -> str:
        return f"<opaque {self.type_name}>"


# ---------------------------------------------------------------------------------------------- encode
def _enc_float(x: float) -> object:
    if math.isfinite(x):
        return x
    return {"$f": "nan" if x != x else ("inf" if x > 0 else "-inf")}


def encode(value: object, depth: int = 0) -> object:
    """Reduce ``value`` to tagged JSON made of exact builtin values (child side).

    Subclasses are read through their base type (``int.__add__(x, 0)``, ``list.__iter__(x)``), so a
    returned object cannot choose how it compares in the parent.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value
    if t is float:
        return _enc_float(value)
    if t is list:
        return [encode(v, depth + 1) for v in value]
    if t is tuple:
        return {"$t": [encode(v, depth + 1) for v in value]}
    if t is dict:
        return {"$d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    return _encode_other(value, depth)


def _encode_other(value: object, depth: int) -> object:
    d = depth + 1
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__add__(value, 0)
    if isinstance(value, float):
        return _enc_float(float.__mul__(value, 1.0))
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (set, frozenset)):
        tag = "$fs" if isinstance(value, frozenset) else "$s"
        base = frozenset if isinstance(value, frozenset) else set
        return {tag: [encode(v, d) for v in base.__iter__(value)]}
    if isinstance(value, tuple):
        return {"$t": [encode(v, d) for v in tuple.__iter__(value)]}
    if isinstance(value, list):
        return [encode(v, d) for v in list.__iter__(value)]
    if isinstance(value, dict):
        return {"$d": [[encode(k, d), encode(v, d)] for k, v in dict.items(value)]}
    if isinstance(value, (bytes, bytearray)):
        return {"$ba" if isinstance(value, bytearray) else "$b": bytes(value).hex()}
    if isinstance(value, complex):
        return {"$c": [_enc_float(value.real), _enc_float(value.imag)]}
    return _encode_rare(value, d)


def _encode_rare(value: object, d: int) -> object:
    if isinstance(value, collections.deque):
        return {"$dq": [encode(v, d) for v in list(value)]}
    if isinstance(value, fractions.Fraction):
        return {"$fr": [int.__add__(value.numerator, 0), int.__add__(value.denominator, 0)]}
    if isinstance(value, decimal.Decimal):
        return {"$dec": decimal.Decimal.__str__(value)}
    if isinstance(value, range):
        return {"$rg": [value.start, value.stop, value.step]}
    view = _VIEW_TAGS.get(type(value))
    if view is not None:
        items = [list(kv) for kv in value] if view == "$di" else list(value)
        return {view: encode(items, d)}
    if hasattr(type(value), "__next__"):
        items = []
        for item in value:
            if len(items) >= MAX_ITER_ITEMS:
                raise WireError("returned iterator is too long")
            items.append(item)
        return {"$it": [encode(v, d) for v in items]}
    try:
        truthy = bool(value)
    except Exception:
        truthy = False
    return {"$o": type(value).__qualname__[:100], "b": truthy}


_VIEW_TAGS = {type({}.keys()): "$dk", type({}.values()): "$dv", type({}.items()): "$di"}


# ---------------------------------------------------------------------------------------------- decode
def _dec_float(x: object) -> float:
    if type(x) is float or type(x) is int:
        return float(x)
    if type(x) is dict and set(x) == {"$f"} and x["$f"] in ("nan", "inf", "-inf"):
        return float(x["$f"])
    raise WireError("bad float")


def _dec_list(payload: object, depth: int) -> list:
    if type(payload) is not list:
        raise WireError("tag payload must be a list")
    return [decode(v, depth + 1) for v in payload]


def _dec_int(x: object) -> int:
    if type(x) is not int:
        raise WireError("expected an int")
    return x


def _dec_dict(payload: object, depth: int) -> dict:
    out = {}
    for pair in _dec_list(payload, depth):
        if type(pair) is not list or len(pair) != 2:
            raise WireError("bad dict item")
        out[pair[0]] = pair[1]
    return out


def _dec_hex(payload: object) -> bytes:
    if type(payload) is not str:
        raise WireError("bad bytes")
    return bytes.fromhex(payload)


def _dec_opaque(obj: dict) -> Opaque:
    if set(obj) != {"$o", "b"} or type(obj["$o"]) is not str or type(obj["b"]) is not bool:
        raise WireError("bad opaque value")
    return Opaque(obj["$o"], obj["b"])


def _dec_range(payload: object) -> range:
    if type(payload) is not list or len(payload) != 3:
        raise WireError("bad range")
    start, stop, step = (_dec_int(v) for v in payload)
    return range(start, stop, step)


_DECODERS = {
    "$t": lambda p, d: tuple(_dec_list(p, d)),
    "$s": lambda p, d: set(_dec_list(p, d)),
    "$fs": lambda p, d: frozenset(_dec_list(p, d)),
    "$d": _dec_dict,
    "$dq": lambda p, d: collections.deque(_dec_list(p, d)),
    "$it": lambda p, d: iter(_dec_list(p, d)),
    "$dk": lambda p, d: dict.fromkeys(_dec_list(p, d)).keys(),
    "$dv": lambda p, d: dict(enumerate(_dec_list(p, d))).values(),
    "$di": lambda p, d: _dec_dict(p, d).items(),
    "$f": lambda p, d: _dec_float({"$f": p}),
    "$b": lambda p, d: _dec_hex(p),
    "$ba": lambda p, d: bytearray(_dec_hex(p)),
    "$c": lambda p, d: complex(*[_dec_float(v) for v in _dec_list(p, d)]),
    "$fr": lambda p, d: fractions.Fraction(*[_dec_int(v) for v in _dec_list(p, d)]),
    "$dec": lambda p, d: decimal.Decimal(p) if type(p) is str else _raise("bad decimal"),
    "$rg": lambda p, d: _dec_range(p),
}


def _raise(msg: str) -> None:
    raise WireError(msg)


def decode(obj: object, depth: int = 0) -> object:
    """Rebuild a value from tagged JSON, strictly (parent side). Raises :class:`WireError`."""
    if depth > MAX_DEPTH + 2:
        raise WireError("value nested too deeply")
    t = type(obj)
    if obj is None or t is bool or t is int or t is float or t is str:
        return obj
    if t is list:
        return [decode(v, depth + 1) for v in obj]
    if t is not dict:
        raise WireError(f"unexpected JSON type {t.__name__}")
    if "$o" in obj:
        return _dec_opaque(obj)
    if len(obj) != 1:
        raise WireError("a tagged value must have exactly one key")
    ((tag, payload),) = obj.items()
    handler = _DECODERS.get(tag)
    if handler is None:
        raise WireError(f"unknown tag {tag!r}")
    try:
        return handler(payload, depth)
    except WireError:
        raise
    except (TypeError, ValueError, ArithmeticError, decimal.InvalidOperation) as exc:
        raise WireError(f"bad {tag} value: {exc}") from None
