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
