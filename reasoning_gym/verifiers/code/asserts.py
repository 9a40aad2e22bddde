"""Turn test code into a plan that keeps every expected value out of the sandbox.

``assert f(ARGS) == EXPECTED`` (and ``math.isclose``/``abs(a - b) < eps``, ``set(...) ==``, ``not f(...)``,
...) is cut into *probes* -- the candidate calls ``f(ARGS)``, evaluated inside the sandbox -- and a *residual*
expression over placeholders (``_rg_v0 == EXPECTED``) that the parent evaluates with :mod:`.evaluate`.
Whatever cannot be cut that way (loops, helpers, local variables) becomes a *judge unit*, run in a second,
clean process that calls the candidate through a proxy and only ever receives returned values. A statement
that needs live candidate objects (``Stack().push(1)``) can only run in the sandbox and marks the task weak.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
from collections.abc import Sequence

from ..pyparse import parse_python
from .evaluate import PLACEHOLDER, SAFE_MODULES, supported
from .plan import (
    STDLIB_MODULES,
    Check,
    TestPlan,
    bound_names,
    compile_trusted,
    free_names,
    strip_definitions,
    with_imports,
)

BUILTIN_NAMES = frozenset(dir(builtins))
#: Standard-library modules a test may use without importing them (MBPP tests lean on the solution's imports).


def _parse(source: str, what: str) -> ast.Module:
    try:
        return parse_python(source, quiet=True)  # test data often holds regexes with invalid escapes
    except SyntaxError as exc:
        raise ValueError(f"{what} is not valid Python ({exc.msg}, line {exc.lineno}); fix the task data") from None


class _Cutter:
    """Replace each outermost candidate call with a placeholder and remember its source.

    The statement itself stays intact (a check unparses it only when a failure message needs it): nodes on
    the way to a cut call are copied, everything else -- the bulk of any expected value -- is shared. This,
    rather than a deep copy through :class:`ast.NodeTransformer`, keeps parsing a task cheap.
    """

    def __init__(self, names: frozenset[str], alias: dict[str, str], visible: frozenset[str], offset: int):
        self.names, self.alias, self.visible, self.offset = names, alias, visible, offset
        self.probes: list[str] = []
        self.used: set[str] = set()  # free names of the probes (the sandbox may need to import them)
        self.bad = False

    def cut(self, node: ast.AST) -> ast.AST:
        """``node`` with its candidate calls replaced (fields visited in order, as NodeTransformer does)."""
        if type(node) is ast.Constant:
            return node
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if self.alias.get(node.func.id, node.func.id) in self.names:
                return self._probe(node)
        changed = {}
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                new = self.cut(value)
            elif type(value) is list:
                new = [self.cut(v) if isinstance(v, ast.AST) else v for v in value]
                new = value if all(a is b for a, b in zip(new, value)) else new
            else:
                continue
            if new is not value:
                changed[name] = new
        if not changed:
            return node
        copy = type(node).__new__(type(node))
        copy.__dict__.update(node.__dict__, **changed)
        return copy

    def _probe(self, call: ast.Call) -> ast.AST:
        # The probe is the call with the test's alias renamed (``candidate`` -> the entry point). The names are
        # renamed in place and restored right after, as the statement's tree is kept intact (see cut()).
        renamed = [(sub, sub.id) for sub in ast.walk(call) if isinstance(sub, ast.Name) and sub.id in self.alias]
        try:
            for sub, old in renamed:
                sub.id = self.alias[old]
            free, source = free_names(call), ast.unparse(call)
        finally:
            for sub, old in renamed:
                sub.id = old
        if not free <= self.visible:
            self.bad = True  # arguments use names only the test knows (locals, test helpers)
            return call
        self.used |= free
        self.probes.append(source)
        return ast.copy_location(ast.Name(f"{PLACEHOLDER}{self.offset + len(self.probes) - 1}", ast.Load()), call)


def _classify_assert(stmt: ast.Assert, builder: _Builder, alias: dict[str, str]) -> str:
    """Route one assert: "parsed" (recorded in ``builder``), "judge" or "weak"."""
    names, offset = builder.names, len(builder.probes)
    cutter = _Cutter(names, alias, builder.visible, offset)
    residual = cutter.cut(stmt.test)
    if cutter.bad:
        return "judge"
    for sub in ast.walk(residual):
        if isinstance(sub, ast.Name) and alias.get(sub.id, sub.id) in names:
            return "weak"  # the candidate is used as a value (isinstance(x, Cls), Cls.attr, ...)
        # ``f(x).attr``: the value may be an object of the candidate's own class, which cannot cross the
        # boundary; only the sandbox can evaluate it (and the task is flagged weak).
        if isinstance(sub, ast.Attribute):
            if any(isinstance(n, ast.Name) and n.id.startswith(PLACEHOLDER) for n in ast.walk(sub.value)):
                return "weak"
    placeholders = frozenset(f"{PLACEHOLDER}{offset + i}" for i in range(len(cutter.probes)))
    if not supported(residual, placeholders):
        return "judge"
    builder.checks.append(Check(stmt, residual, tuple(range(offset, offset + len(cutter.probes)))))
    builder.probes.extend(cutter.probes)
    builder.used |= cutter.used
    return "parsed"


def _is_noop(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Constant, ast.Name)):
        return True  # docstrings and stray ``print`` lines
    if isinstance(stmt, ast.Import):
        return all(a.name in SAFE_MODULES and a.asname is None for a in stmt.names)
    return False


class _Builder:
    """Accumulates probes, checks, weak statements and judge units while walking the tests."""

    def __init__(self, names: frozenset[str], visible: frozenset[str]) -> None:
        self.names, self.visible = names, visible
        self.probes: list[str] = []
        self.checks: list[Check] = []
        self.weak: list[str] = []
        self.judge: list[dict] = []
        self.used: set[str] = set()

    def add_statement(self, stmt: ast.stmt, alias: dict[str, str] | None = None) -> None:
        """Route one top-level test statement."""
        if _is_noop(stmt):
            return
        route = _classify_assert(stmt, self, alias or {}) if isinstance(stmt, ast.Assert) else "judge"
        if route == "weak":
            self.weak.append(ast.unparse(stmt))
        elif route == "judge":
            self.judge.append({"kind": "stmt", "src": ast.unparse(stmt)})

    def try_check_function(self, fn: ast.FunctionDef, entry_point: str) -> bool:
        """Parse a HumanEval ``check(candidate)`` body; False (and nothing recorded) if any part resists."""
        if not fn.args.args:
            return False
        alias = {fn.args.args[0].arg: entry_point}
        trial = _Builder(self.names, self.visible)
        for stmt in fn.body:
            if _is_noop(stmt):
                continue
            if not isinstance(stmt, ast.Assert):
                return False
            trial.add_statement(stmt, alias)
            if trial.judge or trial.weak:
                return False
        self.probes, self.checks, self.used = trial.probes, trial.checks, trial.used
        return True


def _infer_candidates(statements: list[ast.stmt], excluded: set[str]) -> frozenset[str]:
    """MBPP-style tests name no entry point: the functions they call that nothing else defines."""
    per_assert = [
        {n.func.id for n in ast.walk(s) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for s in statements
        if isinstance(s, ast.Assert)
    ]
    if not per_assert:
        return frozenset()
    found = set().union(*per_assert) - BUILTIN_NAMES - excluded
    if found:
        return frozenset(found)
    # The function under test may shadow a builtin (MBPP has ``def sum(...)``): take what every assert calls.
    return frozenset(set.intersection(*per_assert) - excluded - set(SAFE_MODULES))


@functools.lru_cache(maxsize=4096)
def _build_plan_cached(tests: str | tuple[str, ...], entry_point: str | None, setup_code: str) -> TestPlan:
    setup_tree = _parse(setup_code, "setup_code")
    setup_names = bound_names(setup_tree)
    module = _parse(tests, "tests") if isinstance(tests, str) else None
    check_fn = None
    if module is not None:
        check_fn = next((n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check_fn is not None:
        if not entry_point:
            raise ValueError("HumanEval-style tests (def check(candidate)) need entry_point='<function name>'")
        plan = _plan_check(tests, check_fn, entry_point, setup_tree, setup_names)  # type: ignore[arg-type]
        missing = _missing_names(module, setup_names, entry_point)  # type: ignore[arg-type]
        return dataclasses.replace(plan, missing_names=missing) if missing else plan
    items = [module] if module is not None else [_parse(t, f"tests[{i}]") for i, t in enumerate(tests)]
    statements = [s for m in items for s in m.body]
    test_names = bound_names(ast.Module(body=statements, type_ignores=[]))
    names = frozenset([entry_point]) if entry_point else _infer_candidates(statements, setup_names | test_names)
    builder = _Builder(names, frozenset(BUILTIN_NAMES | STDLIB_MODULES | setup_names | names))
    for stmt in statements:
        builder.add_statement(stmt)
    return _finish(builder, setup_tree, setup_code, names, judge_module="")


def _missing_names(tests: ast.Module, setup_names: set[str], entry: str) -> tuple[str, ...]:
    """Names the trusted test module reads that neither Python, the setup code, the tests nor the entry provide.

    HumanEval's checks call helpers of the prompt (``encode_cyclic``, ``poly``); without the prompt as
    ``setup_code`` the check cannot run, whatever the candidate does.
    """
    known = set(BUILTIN_NAMES | STDLIB_MODULES) | setup_names | bound_names(tests) | {entry}
    for node in ast.walk(tests):  # names bound anywhere: local imports, nested defs, ``except ... as e``
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            known |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            known.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            known.add(node.name)
    return tuple(sorted(free_names(tests) - known))


def _plan_check(tests: str, fn: ast.FunctionDef, entry: str, setup_tree: ast.Module, setup_names: set[str]):
    names = frozenset([entry])
    builder = _Builder(names, frozenset(BUILTIN_NAMES | STDLIB_MODULES | setup_names | names))
    if builder.try_check_function(fn, entry):
        return _finish(builder, setup_tree, "", names, judge_module="")
    builder.judge = [{"kind": "check", "fn": fn.name, "entry": entry}]
    return _finish(builder, setup_tree, "", names, judge_module=tests)


def _finish(builder: _Builder, setup_tree: ast.Module, setup_code: str, names: frozenset[str], judge_module: str):
    notes = []
    if not names:
        notes.append("the tests call no function that the candidate could define")
    elif not builder.probes and not builder.judge and not builder.weak:
        notes.append("no test calls the candidate")
    if builder.weak:
        notes.append(f"{len(builder.weak)} test statement(s) need live candidate objects and ran in the sandbox")
    sandbox_setup = with_imports([], setup_tree, strip_definitions(setup_tree, names), builder.used)
    return TestPlan(
        probes=tuple(builder.probes),
        checks=tuple(builder.checks),
        weak=tuple(builder.weak),
        judge_units=tuple(builder.judge),
        judge_module=judge_module,
        candidate_names=tuple(sorted(names)),
        sandbox_setup=sandbox_setup,
        judge_setup=_judge_setup(builder, setup_tree, judge_module),
        notes=tuple(notes),
        compiled=compile_trusted(sandbox_setup, builder.probes),
    )


def _judge_setup(builder: _Builder, setup_tree: ast.Module, judge_module: str) -> str:
    """Setup code for the judge process; empty when there is nothing to judge there (the process never starts)."""
    if not builder.judge:
        return ""
    sources = [u.get("src", "") for u in builder.judge] + [judge_module]
    return with_imports(sources, setup_tree, ast.unparse(setup_tree))


def build_plan(tests: str | Sequence[str], entry_point: str | None = None, setup_code: str = "") -> TestPlan:
    """Parse tests into a :class:`TestPlan` (cached: RL scores the same task many times).

    Args:
        tests: HumanEval-style check code (``def check(candidate): ...``) or a list of MBPP-style
            assert statements (a string of top-level asserts is accepted too).
        entry_point: Name of the function under test; required for ``check(candidate)`` code, inferred from
            the asserts otherwise.
        setup_code: Trusted code (imports, helpers) run after the candidate in the sandbox and before the
            tests in the judge process.

    Raises:
        ValueError: The tests or the setup code are not valid Python, or ``entry_point`` is missing.
    """
    key = tests if isinstance(tests, str) else tuple(tests)
    return _build_plan_cached(key, entry_point, setup_code)
