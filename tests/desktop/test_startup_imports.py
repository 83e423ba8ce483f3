"""The window appears before torch is loaded (issue 14's `startup`: ready_s).

torch takes ~2 s to import here and the window's process loads it on a helper thread after
show() (desktop/training/warmup.py), while the training process loads its own. An import of torch
anywhere on the path to the first frame puts those seconds back in front of the learner: the
time-travel modules once did (trainer.timeline.branching imported torch), and the window took
3.4 s to show instead of ~1.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import trainer                                   # as desktop/__main__ does: the thread settings first
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop.main_window import MainWindow
from trainer.presets import load_experiment
preset = sys.argv[1]
window = MainWindow(load_experiment(preset) if preset != "-" else None, restore_layout=False)
window.persist = False
window.show()
for _ in range(5):
    app.processEvents()
window.grab()                                    # every dock and view painted once
print(json.dumps({m: m in sys.modules for m in ("torch", "torch._dynamo", "sklearn", "pandas")}))
"""


@pytest.mark.parametrize("preset", ["-", "spiral", "mnist-cnn-seed", "xor-mlp"])
def test_the_window_shows_without_importing_torch(preset, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-c", PROBE, preset], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {"torch": False, "torch._dynamo": False, "sklearn": False, "pandas": False}, loaded
