"""The PyInstaller app: built (or reused while newer than its sources), then started the way a user would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "NeuralPlayground"
EXE = BUNDLE / ("NeuralPlayground.exe" if sys.platform == "win32" else "NeuralPlayground")
INTERNAL = BUNDLE / "_internal"

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(
        os.environ.get("NP_BUNDLE_TEST") != "1",
        reason="builds the ~4 GB PyInstaller app (several minutes); run it with "
               "`NP_BUNDLE_TEST=1 make test` or `NP_BUNDLE_TEST=1 .venv/bin/python -m pytest tests/packaging`"),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    """dist/NeuralPlayground/, rebuilt by `packaging/build.py --if-stale` when a source changed."""
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--if-stale"],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"the build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert EXE.is_file(), f"the build finished but {EXE} is not there"
    return BUNDLE


def run_app(tmp_path: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Start the bundled executable headless, from a foreign folder, with settings and logs under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", NEURAL_PLAYGROUND_LOG_DIR=str(tmp_path / "logs"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_STATE_HOME=str(tmp_path / "state"))
    return subprocess.run([str(EXE), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_self_test_trains_xor_in_the_bundled_app(bundle, tmp_path):
    proc = run_app(tmp_path, "--self-test")
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no output on stdout (exit {proc.returncode}); stderr:\n{proc.stderr[-4000:]}"
    result = json.loads(lines[-1])
    assert result["self_test"] == "ok", f"{result}\nstderr:\n{proc.stderr[-4000:]}"
    assert proc.returncode == 0
    assert result["correct"] == "4/4"
    assert result["epochs_received"] == result["epochs"] > 0
    assert result["platform"] == "offscreen"
    # The windowed app (no console on Windows) keeps its log in the user's log folder.
    assert (tmp_path / "logs" / "neural-playground.log").is_file()


def test_bundled_app_trains_an_experiment_file_and_saves_a_screenshot(bundle, tmp_path):
    experiment = json.loads((ROOT / "trainer" / "presets" / "spiral.json").read_text(encoding="utf-8"))
    experiment["train"]["epochs"] = 30  # the window and a run, not the lesson's result
    path = tmp_path / "short-spiral.json"
    path.write_text(json.dumps(experiment), encoding="utf-8")
    shot = tmp_path / "window.png"
    proc = run_app(tmp_path, "--preset", str(path), "--train", "--screenshot", str(shot), timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bundle_carries_presets_resources_kernels_and_desktop_entry(bundle):
    presets = sorted(p.name for p in (ROOT / "trainer" / "presets").glob("*.json"))
    assert presets and sorted(p.name for p in (INTERNAL / "trainer" / "presets").glob("*.json")) == presets
    assert (INTERNAL / "resources" / "style.qss").is_file()
    icons = sorted(p.name for p in (ROOT / "resources" / "icons").iterdir() if p.is_file())
    assert sorted(p.name for p in (INTERNAL / "resources" / "icons").iterdir()) == icons
    # torchvision's kernels, loaded by path: without them the app dies with "torchvision::nms does not exist".
    installed = sorted(p.name for p in Path(__import__("torchvision").__file__).parent.iterdir()
                       if p.suffix in (".so", ".pyd", ".dll", ".dylib"))
    assert installed and all((INTERNAL / "torchvision" / name).is_file() for name in installed)
    # SVG icons need Qt's svg icon engine.
    assert list((INTERNAL / "PySide6" / "Qt" / "plugins" / "iconengines").glob("*qsvgicon*"))
    if sys.platform.startswith("linux"):
        entry = (BUNDLE / "neural-playground.desktop").read_text(encoding="utf-8")
        assert "Exec=NeuralPlayground" in entry and "Icon=neural-playground" in entry
        assert (BUNDLE / "neural-playground.png").read_bytes()[:4] == b"\x89PNG"


def test_bundle_leaves_out_triton_tests_and_unused_qt(bundle):
    assert not (INTERNAL / "triton").exists()
    assert not (INTERNAL / "tests").exists()
    assert not (INTERNAL / "resources" / "screenshots").exists()
    assert not (INTERNAL / "resources" / "packaging").exists()
    unused = ("QtTest", "QtQml", "QtQuick", "QtNetwork", "QtPrintSupport")
    present = sorted(p.name for p in (INTERNAL / "PySide6").iterdir()
                     if p.name.split(".")[0] in unused)
    assert present == []
