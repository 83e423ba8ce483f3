"""trainer/ never imports PySide6, pyqtgraph or desktop: statically (import-linter, AST) and at runtime."""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FORBIDDEN = ("PySide6", "pyqtgraph", "desktop", "PyQt5", "PyQt6", "shiboken6")


def test_import_linter_contract_is_kept(repo_root):
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[dev]' (import-linter)")
    proc = subprocess.run([lint, "--no-cache"], cwd=repo_root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(repo_root)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "trainer/ stays Qt-free KEPT" in proc.stdout
    assert "desktop/ rooms KEPT" in proc.stdout
    assert "0 broken" in proc.stdout


def imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    return names


def test_no_module_under_trainer_names_qt_or_desktop(repo_root):
    files = sorted((repo_root / "trainer").rglob("*.py"))
    assert len(files) >= 10
    offenders = []
    for path in files:
        for name in imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(repo_root)} imports {name}")
    assert offenders == []


def test_the_ast_scan_would_catch_an_offender():
    tree = ast.parse("import PySide6.QtCore\nfrom pyqtgraph import PlotWidget\nimportlib.import_module('desktop.app')")
    assert {n.split(".")[0] for n in imported_names(tree)} == {"PySide6", "pyqtgraph", "desktop"}


def test_importing_every_trainer_module_loads_no_qt(repo_root):
    modules = sorted("trainer." + ".".join(p.relative_to(repo_root / "trainer").with_suffix("").parts)
                     for p in (repo_root / "trainer").rglob("*.py") if p.name != "__init__.py")
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "from trainer.loop import run_to_end\n"
        "from trainer.presets import load_preset\n"
        "run_to_end(load_preset('xor-mlp').with_overrides({'train.epochs': 5}))\n"
        f"print(json.dumps(sorted(k for k in sys.modules if k.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    assert "trainer.__main__" in modules and "trainer.loop" in modules
