"""The plan a test suite is parsed into, and the helpers that shape what each side receives."""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass, field

from ..pyparse import compile_quietly, parse_python

#: Standard-library modules a test may use without importing them (MBPP tests lean on the solution's imports).
STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ()))


@dataclass(frozen=True)
class Check:
    """One parsed assert: the parent evaluates ``residual`` once the values of ``probe_ids`` are back."""

    statement: ast.Assert
    residual: ast.expr
    probe_ids: tuple[int, ...]

    @functools.cached_property
    def source(self) -> str:
        """The assert as ``ast.unparse`` writes it; only failure messages need it, so it is made on demand."""
        return ast.unparse(self.statement)


@dataclass(frozen=True)
class TestPlan:
    """Everything needed to run and judge one test suite.

    Attributes:
        probes: Call expressions evaluated in the sandbox, in order.
        checks: Parsed asserts, judged in the parent.
        weak: Statements that could only run inside the sandbox (their verdict is forgeable).
        judge_units: Units for the clean judge process: ``{"kind": "stmt", "src"}`` or
            ``{"kind": "check", "fn", "entry"}``.
        judge_module: Module-level test code the judge runs first (HumanEval: the whole ``test`` string).
        candidate_names: Names of the candidate's functions the tests call.
        sandbox_setup: Setup code for the sandbox, without definitions of the candidate's own names.
        judge_setup: Setup code for the judge process (empty when no unit needs one).
        notes: Why the task is weak, if it is.
        missing_names: Names the trusted ``check`` code reads that nothing provides (not a builtin, a standard
            module, the setup code, the tests or the entry point): helpers ``setup_code`` should have defined.
        compiled: ``sandbox_setup`` and ``probes`` compiled by this interpreter; the job is then sent as marshal
            data (no compiling in the child) when the sandbox runs the very same interpreter.
    """

    probes: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    weak: tuple[str, ...] = ()
    judge_units: tuple[dict, ...] = ()
    judge_module: str = ""
    candidate_names: tuple[str, ...] = ()
    sandbox_setup: str = ""
    judge_setup: str = ""
    notes: tuple[str, ...] = ()
    missing_names: tuple[str, ...] = ()
    compiled: dict | None = field(default=None, compare=False)

    @property
    def n_units(self) -> int:
        """Number of independently judged test units."""
        return len(self.checks) + len(self.weak) + len(self.judge_units)

    @property
    def is_weak(self) -> bool:
        """True when some verdict would rest on the sandbox's word, or no test exercises the candidate."""
        return bool(self.weak or self.notes)


def bound_names(tree: ast.AST) -> set[str]:
    """Top-level names a module binds (defs, classes, imports, assignments)."""
    names: set[str] = set()
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def free_names(node: ast.AST) -> set[str]:
    """Names read in ``node`` that it does not bind itself (comprehension targets and lambda args are bound)."""
    loads, bound = set(), set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            (loads if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
        elif isinstance(sub, ast.arg):
            bound.add(sub.arg)
    return loads - bound


def strip_definitions(setup: ast.Module, names: frozenset[str]) -> str:
    """Setup code for the sandbox: drop the stubs of the functions under test (a HumanEval prompt's)."""
    kept = [
        node
        for node in setup.body
        if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names)
    ]
    return ast.unparse(ast.Module(body=kept, type_ignores=[])) if kept else ""


def with_imports(sources: list[str], setup_tree: ast.Module, setup: str, names: set[str] = frozenset()) -> str:
    """Prefix ``setup`` with imports of the standard-library modules that ``sources`` use but nobody imports.

    ``names`` adds names already known to be used (the free names of the probes, collected while cutting).
    """
    used: set[str] = set(names)
    for src in sources:
        if src:
            used |= free_names(parse_python(src))
    missing = sorted((used & STDLIB_MODULES) - bound_names(setup_tree))
    prefix = "".join(f"import {name}\n" for name in missing)
    return prefix + setup


def compile_trusted(setup: str, probes: list[str]) -> dict | None:
    """Setup and probes compiled here, as code objects (``None`` if something does not compile)."""
    try:
        return {
            "setup": compile_quietly(setup, "<setup>", "exec"),
            "probes": [compile_quietly(p, "<test>", "eval") for p in probes],
        }
    except (SyntaxError, ValueError):
        return None
