"""Import floors: no module imports a subpackage above its own (checked on the source, every import statement).

Floors, lowest first: envs and verifiers (tasks and their graders), models (loading, batching, log-probs,
memory planning), rollout (engines), trainers, benchmarks and the command line. A module may import its own
floor and those below it; ``errors`` and ``registry`` sit under everything.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reasoning_gym"
FLOORS = {
    "envs": 0,
    "verifiers": 0,
    "models": 1,
    "integrations": 1,  # verl/TRL/W&B bridges: envs and verifiers only, so trainers and benchmarks can use them
    "rollout": 2,
    "trainers": 3,
    "benchmarks": 4,
    "cli": 5,
}


def imported_subpackages(path: Path) -> set[str]:
    """The ``reasoning_gym.<sub>`` names a module imports, at any depth (lazy imports in functions count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names if node.module == "reasoning_gym"]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "reasoning_gym" and len(parts) > 1:
                found.add(parts[1])
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0].removesuffix(".py") in FLOORS)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_import_runs_back_up(path):
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    above = {sub for sub in imported_subpackages(path) if FLOORS.get(sub, -1) > FLOORS[own]}
    assert not above, f"{path.relative_to(PACKAGE)} ({own}) imports {sorted(above)}, which sit above it"


def test_every_subpackage_has_a_floor():
    subpackages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert subpackages <= set(FLOORS)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (annotations only: they never run)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines |= {n.lineno for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.stmt)}
    return lines


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL_MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported_modules(path: Path) -> set[str]:
    """The package's own modules (not packages) that ``path`` imports when it runs, lazy imports included."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_only(tree)
    found = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m in ALL_MODULES and ALL_MODULES[m].name != "__init__.py"}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` as a path that ends where it starts, or ``[]``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b"}}, ["b", "b"]),
    ],
)
def test_find_cycle_finds_the_cycles_it_should(graph, cycle):
    assert find_cycle(graph) == cycle


def test_no_import_circles_between_modules():
    graph = {name: imported_modules(path) - {name} for name, path in ALL_MODULES.items() if path.name != "__init__.py"}
    cycle = find_cycle(graph)
    assert not cycle, "import circle: " + " -> ".join(cycle)
