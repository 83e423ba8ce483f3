"""The rooms hold: no import cycle in trainer/ or desktop/, no module too long.

ARCHITECTURE.md describes the rooms; pyproject.toml's import-linter contracts say who may import
whom (tests/trainer/test_contract.py runs them); this file checks what they do not: cycles, size.
"""
from __future__ import annotations

import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("trainer", "desktop")
MAX_LINES = 600


def import_cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import one another in a circle (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(imports.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return cycles


def project_imports() -> dict[str, set[str]]:
    """Module -> the project modules it imports (at the top or inside a function), from the source."""
    sys.path.insert(0, str(REPO))
    try:
        graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    finally:
        sys.path.remove(str(REPO))
    return {m: {o for o in graph.find_modules_directly_imported_by(m) if o.split(".")[0] in PACKAGES}
            for m in graph.modules if m.split(".")[0] in PACKAGES}


def test_no_import_cycle_in_trainer_or_desktop():
    cycles = import_cycles(project_imports())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert import_cycles(imports) == [["a", "b", "c"]]


def test_no_module_is_longer_than_600_lines():
    long = {str(p.relative_to(REPO)): n for package in PACKAGES for p in (REPO / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
