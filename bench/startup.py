"""`startup`: seconds from spawning the app to its main window shown, and to the app ready to train.

window_s: the app prints {"window_shown_s": ...} right after MainWindow.show() when
NEURAL_PLAYGROUND_STARTUP_TIME is set (desktop/app.py); the benchmark times from just before it starts
the process to that line, so the interpreter's start and every import count.
ready_s: from the same spawn to the first frame the window paints once torch is imported in the window
and the training process has answered, i.e. a click on Train would start training at once (see
bench/ready_probe.py, which runs the app's own main() and watches for that moment).
From source: `python -m bench.ready_probe` (desktop.app.main, watched); from the bundle:
dist/NeuralPlayground/NeuralPlayground when built (its ready_s only if the app prints a ready_s line
itself: a frozen app cannot be watched from outside; null otherwise). The process is then ended
(SIGTERM; it is our child). Median of 3 starts (the first also pays for a cold file cache).
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


def start_seconds(command: list[str], want_ready: bool = True) -> tuple[float, float, float | None]:
    """(seconds from spawning `command` to its window_shown line, the app's own figure from main(),
    seconds to its ready line or None when it prints none)."""
    env = {**os.environ, "NEURAL_PLAYGROUND_STARTUP_TIME": "1", "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory(prefix="np-startup-") as home:
        # A first launch: no saved window layout or experiment to restore.
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(home) / var.lower())
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        shown: tuple[float, float] | None = None
        try:
            assert proc.stdout is not None
            deadline = t0 + TIMEOUT_S
            for line in proc.stdout:
                if line.startswith("{") and "window_shown_s" in line:
                    shown = time.perf_counter() - t0, float(json.loads(line)["window_shown_s"])
                    if not want_ready:
                        return (*shown, None)
                elif line.startswith("{") and ('"ready"' in line or '"ready_s"' in line) and shown:
                    return (*shown, time.perf_counter() - t0)
                if time.perf_counter() > deadline:
                    break
            if shown is not None:
                return (*shown, None)
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
    sources = [("source", [sys.executable, "-m", "bench.ready_probe"], True)]
    if BUNDLE.is_file() and os.access(BUNDLE, os.X_OK):
        # The bundle says when it is ready only if the app prints it; until then, no wait for it.
        sources.append(("bundle", [str(BUNDLE)], False))
    else:
        note(f"startup: no bundle at {BUNDLE.relative_to(REPO)} (make bundle builds it); source only")
    for name, command, want_ready in sources:
        walls, own, ready = [], [], []
        for _ in range(1 if quick else 3):
            wall, main_s, ready_s = start_seconds(command, want_ready)
            walls.append(wall)
            own.append(main_s)
            if ready_s is not None:
                ready.append(ready_s)
        note(f"startup {name}: window " + ", ".join(f"{w:.2f}" for w in walls) + " s; ready "
             + (", ".join(f"{s:.2f}" for s in ready) + " s" if ready else "not reported"))
        emit({"bench": "startup", "from": name, "window_s": r(median(walls)), "after_main_s": r(median(own)),
              "runs": len(walls), "ready_s": r(median(ready)) if ready else None})
