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
import copy
import functools
import warnings
from collections.abc import Sequence

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
        with warnings.catch_warnings():  # test data often holds regexes with invalid escapes
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{what} is not valid Python ({exc.msg}, line {exc.lineno}); fix the task data") from None


class _Cutter(ast.NodeTransformer):
    """Replace each outermost candidate call with a placeholder and remember its source."""

    def __init__(self, names: frozenset[str], alias: dict[str, str], visible: frozenset[str], offset: int):
        self.names, self.alias, self.visible, self.offset = names, alias, visible, offset
        self.probes: list[str] = []
        self.bad = False

    def _resolve(self, name: str) -> str:
        return self.alias.get(name, name)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and self._resolve(node.func.id) in self.names:
            call = copy.deepcopy(node)
            for sub in ast.walk(call):
                if isinstance(sub, ast.Name) and sub.id in self.alias:
                    sub.id = self.alias[sub.id]
            if not free_names(call) <= self.visible:
                self.bad = True  # arguments use names only the test knows (locals, test helpers)
                return node
            self.probes.append(ast.unparse(call))
            return ast.copy_location(ast.Name(f"{PLACEHOLDER}{self.offset + len(self.probes) - 1}", ast.Load()), node)
        return self.generic_visit(node)


def _classify_assert(
    stmt: ast.Assert, names: frozenset[str], alias: dict[str, str], visible: frozenset[str], offset: int
) -> tuple[str, Check | None, list[str]]:
    """Return ("parsed", check, probes), ("judge", None, []) or ("weak", None, [])."""
    cutter = _Cutter(names, alias, visible, offset)
    residual = cutter.visit(copy.deepcopy(stmt.test))
    if cutter.bad:
        return "judge", None, []
    leftover = {n.id for n in ast.walk(residual) if isinstance(n, ast.Name)}
    if {alias.get(n, n) for n in leftover} & names:
        return "weak", None, []  # the candidate is used as a value (isinstance(x, Cls), Cls.attr, ...)
    for sub in ast.walk(residual):
        # ``f(x).attr``: the value may be an object of the candidate's own class, which cannot cross the
        # boundary; only the sandbox can evaluate it (and the task is flagged weak).
        if isinstance(sub, ast.Attribute):
            if any(isinstance(n, ast.Name) and n.id.startswith(PLACEHOLDER) for n in ast.walk(sub.value)):
                return "weak", None, []
    placeholders = frozenset(f"{PLACEHOLDER}{offset + i}" for i in range(len(cutter.probes)))
    if not supported(residual, placeholders):
        return "judge", None, []
    ids = tuple(range(offset, offset + len(cutter.probes)))
    return "parsed", Check(ast.unparse(stmt), residual, ids), cutter.probes


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

    def add_statement(self, stmt: ast.stmt, alias: dict[str, str] | None = None) -> None:
        """Route one top-level test statement."""
        if _is_noop(stmt):
            return
        route, check, probes = "judge", None, []
        if isinstance(stmt, ast.Assert):
            route, check, probes = _classify_assert(stmt, self.names, alias or {}, self.visible, len(self.probes))
        if route == "parsed":
            self.probes.extend(probes)
            self.checks.append(check)  # type: ignore[arg-type]
        elif route == "weak":
            self.weak.append(ast.unparse(stmt))
        else:
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
        self.probes, self.checks = trial.probes, trial.checks
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
        return _plan_check(tests, check_fn, entry_point, setup_tree, setup_names)  # type: ignore[arg-type]
    items = [module] if module is not None else [_parse(t, f"tests[{i}]") for i, t in enumerate(tests)]
    statements = [s for m in items for s in m.body]
    test_names = bound_names(ast.Module(body=statements, type_ignores=[]))
    names = frozenset([entry_point]) if entry_point else _infer_candidates(statements, setup_names | test_names)
    builder = _Builder(names, frozenset(BUILTIN_NAMES | STDLIB_MODULES | setup_names | names))
    for stmt in statements:
        builder.add_statement(stmt)
    return _finish(builder, setup_tree, setup_code, names, judge_module="")


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
    sandbox_setup = with_imports(builder.probes, setup_tree, strip_definitions(setup_tree, names))
    return TestPlan(
        probes=tuple(builder.probes),
        checks=tuple(builder.checks),
        weak=tuple(builder.weak),
        judge_units=tuple(builder.judge),
        judge_module=judge_module,
        candidate_names=tuple(sorted(names)),
        sandbox_setup=sandbox_setup,
        judge_setup=with_imports(
            [u.get("src", "") for u in builder.judge] + [judge_module], setup_tree, ast.unparse(setup_tree)
        ),
        notes=tuple(notes),
        compiled=compile_trusted(sandbox_setup, builder.probes),
    )


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
