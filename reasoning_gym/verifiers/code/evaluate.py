"""A small, bounded evaluator for the trusted side of a parsed assert (``_rg_v0 == [1, 2]``).

After :mod:`.asserts` has cut every candidate call out of an assert, what remains is an expression over
placeholders, literals and a few pure helpers (``set``, ``sorted``, ``abs``, ``math.isclose`` ...). The parent
evaluates it here on values rebuilt by :func:`values.decode` -- exact builtins, so no candidate method can
run -- with Python's own semantics for everything it supports, and a hard refusal for everything else.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

PLACEHOLDER = "_rg_v"

SAFE_FUNCS: dict[str, Callable] = {
    f.__name__: f for f in (set, frozenset, sorted, list, tuple, dict, len, abs, round, min, max, sum, all, any)
}
SAFE_FUNCS.update(int=int, float=float, str=str, bool=bool, isinstance=isinstance, type=type, reversed=reversed)
SAFE_FUNCS.update(complex=complex)  # never bytes(): bytes(v) with a huge int v would allocate v bytes
SAFE_MODULES: dict[str, dict[str, object]] = {
    "math": {
        name: getattr(math, name)
        for name in (
            "isclose fabs sqrt floor ceil trunc pi e inf nan tau isnan isinf isfinite log log2 log10 exp hypot "
            "gcd copysign"
        ).split()
    }
}
_CONSTANTS = {"True": True, "False": False, "None": None}
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_MAX_SEQ = 1_000_000


class Unsupported(ValueError):
    """The expression uses something this evaluator refuses (the assert then goes to the judge process)."""


def supported(node: ast.AST, placeholders: frozenset[str] = frozenset()) -> bool:
    """Whether :func:`evaluate` can handle ``node`` (checked once, when the tests are parsed)."""
    try:
        _check(node, placeholders)
    except Unsupported:
        return False
    return True


def _check(node: ast.AST, names: frozenset[str]) -> None:
    if isinstance(node, ast.Constant):
        return
    if isinstance(node, ast.Name):
        if node.id in names or node.id in SAFE_FUNCS or node.id in _CONSTANTS:
            return
        raise Unsupported(node.id)
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.attr in SAFE_MODULES.get(node.value.id, {}):
            return
        raise Unsupported("attribute")
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in SAFE_FUNCS) and not isinstance(
            node.func, ast.Attribute
        ):
            raise Unsupported("call")
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg in (None, "key") for k in node.keywords):
            raise Unsupported("star-args or key functions")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
            raise Unsupported("unary")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise Unsupported("binop")
    elif isinstance(node, ast.Dict) and any(k is None for k in node.keys):
        raise Unsupported("dict unpacking")
    elif not isinstance(
        node,
        (ast.Compare, ast.BoolOp, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Subscript, ast.Slice, ast.IfExp),
    ):
        raise Unsupported(type(node).__name__)
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.keyword)):
            _check(child, names)
        elif isinstance(child, ast.keyword):
            _check(child.value, names)


def evaluate(node: ast.AST, env: Mapping[str, Callable[[], object]]) -> object:
    """Evaluate ``node``; placeholders are looked up lazily in ``env`` (a thunk may raise the call's error)."""
    method = _EVAL.get(type(node))
    if method is None:
        raise Unsupported(type(node).__name__)
    return method(node, env)


def _name(node: ast.Name, env):
    if node.id in env:
        return env[node.id]()
    if node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    return SAFE_FUNCS[node.id]


def _binop(node: ast.BinOp, env):
    left, right = evaluate(node.left, env), evaluate(node.right, env)
    _guard_size(node.op, left, right)
    return _BINOPS[type(node.op)](left, right)


def _guard_size(op: ast.operator, left: object, right: object) -> None:
    """Refuse operations whose cost the candidate's values could blow up (``v * 10**9``, ``2 ** v``)."""
    if isinstance(op, ast.Mult):
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int) and len(seq) * count > _MAX_SEQ:
                raise Unsupported("sequence repetition too large")
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if abs(right) > 10_000 or abs(left).bit_length() * abs(right) > 1_000_000:
            raise Unsupported("power too large")


def _compare(node: ast.Compare, env):
    left = evaluate(node.left, env)
    for op, comparator in zip(node.ops, node.comparators):
        right = evaluate(comparator, env)
        if not _CMPOPS[type(op)](left, right):
            return False
        left = right
    return True


def _boolop(node: ast.BoolOp, env):
    is_and = isinstance(node.op, ast.And)
    value: object = None
    for operand in node.values:
        value = evaluate(operand, env)
        if bool(value) != is_and:
            return value
    return value


def _unary(node: ast.UnaryOp, env):
    value = evaluate(node.operand, env)
    if isinstance(node.op, ast.Not):
        return not value
    return -value if isinstance(node.op, ast.USub) else +value


def _call(node: ast.Call, env):
    if isinstance(node.func, ast.Attribute):
        func = SAFE_MODULES[node.func.value.id][node.func.attr]  # type: ignore[union-attr]
    else:
        func = SAFE_FUNCS[node.func.id]  # type: ignore[union-attr]
    args = [evaluate(a, env) for a in node.args]
    kwargs = {k.arg: evaluate(k.value, env) for k in node.keywords}
    if func is sorted and "key" in kwargs:
        raise Unsupported("sorted(key=...)")
    return func(*args, **kwargs)


def _subscript(node: ast.Subscript, env):
    return evaluate(node.value, env)[evaluate(node.slice, env)]


def _slice(node: ast.Slice, env):
    parts = [evaluate(p, env) if p is not None else None for p in (node.lower, node.upper, node.step)]
    return slice(*parts)


def _ifexp(node: ast.IfExp, env):
    return evaluate(node.body, env) if evaluate(node.test, env) else evaluate(node.orelse, env)


_EVAL: dict[type, Callable] = {
    ast.Constant: lambda n, env: n.value,
    ast.Name: _name,
    ast.Attribute: lambda n, env: SAFE_MODULES[n.value.id][n.attr],
    ast.List: lambda n, env: [evaluate(e, env) for e in n.elts],
    ast.Tuple: lambda n, env: tuple(evaluate(e, env) for e in n.elts),
    ast.Set: lambda n, env: {evaluate(e, env) for e in n.elts},
    ast.Dict: lambda n, env: {evaluate(k, env): evaluate(v, env) for k, v in zip(n.keys, n.values)},
    ast.BinOp: _binop,
    ast.Compare: _compare,
    ast.BoolOp: _boolop,
    ast.UnaryOp: _unary,
    ast.Call: _call,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.IfExp: _ifexp,
}
