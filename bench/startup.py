"""`startup`: seconds from process start to the main window shown.

The app prints {"window_shown_s": ...} right after MainWindow.show() when NEURAL_PLAYGROUND_STARTUP_TIME
is set (desktop/app.py); the benchmark times from just before it starts the process to that line, so
the interpreter's start and every import count. The process is then ended (SIGTERM; it is our child).
From source: `python -m desktop`; from the bundle: dist/NeuralPlayground/NeuralPlayground when built.
Median of 3 starts (the first also pays for a cold file cache).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import BUNDLE, REPO, emit, median, note, r

TIMEOUT_S = 120.0


def window_seconds(command: list[str]) -> tuple[float, float]:
    """(seconds from spawning `command` to its window_shown line, the app's own figure from main())."""
    env = {**os.environ, "NEURAL_PLAYGROUND_STARTUP_TIME": "1", "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory(prefix="np-startup-") as home:
        # A first launch: no saved window layout or experiment to restore.
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(home) / var.lower())
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        try:
            assert proc.stdout is not None
            deadline = t0 + TIMEOUT_S
            for line in proc.stdout:
                if line.startswith("{") and "window_shown_s" in line:
                    return time.perf_counter() - t0, float(json.loads(line)["window_shown_s"])
                if time.perf_counter() > deadline:
                    break
            raise RuntimeError(f"{' '.join(command)} printed no window_shown_s line "
                               f"(exit status {proc.poll()})")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(quick: bool = False) -> None:
    sources = [("source", [sys.executable, "-m", "desktop"])]
    if BUNDLE.is_file() and os.access(BUNDLE, os.X_OK):
        sources.append(("bundle", [str(BUNDLE)]))
    else:
        note(f"startup: no bundle at {BUNDLE.relative_to(REPO)} (make bundle builds it); source only")
    for name, command in sources:
        walls, own = [], []
        for _ in range(1 if quick else 3):
            wall, main_s = window_seconds(command)
            walls.append(wall)
            own.append(main_s)
        note(f"startup {name}: " + ", ".join(f"{w:.2f}" for w in walls) + " s")
        emit({"bench": "startup", "from": name, "window_s": r(median(walls)), "after_main_s": r(median(own)),
              "runs": len(walls)})
