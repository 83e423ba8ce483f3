"""`startup`: seconds from spawning the app to its main window shown, and to the app ready to train.

The app prints its own start-up moments when NEURAL_PLAYGROUND_STARTUP_TIME is set
(desktop/startup_time.py): the window shown, torch imported in the window, the training process
answering, and the first frame painted once both hold (Train would start at once). The benchmark
times each line's arrival from just before it spawns the process, so the interpreter's start and
every import count. The same lines come from `python -m desktop` (source) and from the bundle
(dist/NeuralPlayground/NeuralPlayground, when built). The process is then ended (SIGTERM; it is
our child). Median of 3 starts (the first also pays for a cold file cache).

window_s: to the window shown; ready_s: to the ready frame; torch_s and worker_s: to the two things
ready waits for, so the slower one is named. after_main_s: the app's own window figure, from main().
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
MOMENTS = ("window_shown_s", "torch_s", "worker_s", "ready_s")   # the app's lines, in the order they come


def start_seconds(command: list[str]) -> dict[str, float]:
    """Seconds from spawning `command` to each of its MOMENTS lines, and "after_main_s" (the app's own
    window_shown_s); raises RuntimeError when the window is never shown."""
    env = {**os.environ, "NEURAL_PLAYGROUND_STARTUP_TIME": "1", "QT_QPA_PLATFORM": "offscreen"}
    seen: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="np-startup-") as home:
        # A first launch: no saved window layout or experiment to restore.
        for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = str(Path(home) / var.lower())
        t0 = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("{"):
                    for key, value in json.loads(line).items():
                        if key in MOMENTS:
                            seen[key] = time.perf_counter() - t0
                            if key == "window_shown_s":
                                seen["after_main_s"] = float(value)
                if "ready_s" in seen or time.perf_counter() - t0 > TIMEOUT_S:
                    break
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if "window_shown_s" not in seen:
        raise RuntimeError(f"{' '.join(command)} printed no window_shown_s line (exit status {proc.poll()})")
    return seen


def line(name: str, starts: list[dict[str, float]]) -> dict:
    """The `startup` line of one way to start the app: the median of each moment over its starts
    (None for a moment that some start never reached)."""
    def med(key: str) -> float | None:
        values = [s[key] for s in starts if key in s]
        return r(median(values)) if len(values) == len(starts) else None

    return {"bench": "startup", "from": name, "window_s": med("window_shown_s"), "after_main_s": med("after_main_s"),
            "runs": len(starts), "ready_s": med("ready_s"), "torch_s": med("torch_s"), "worker_s": med("worker_s")}


def run(quick: bool = False) -> None:
    sources = [("source", [sys.executable, "-m", "desktop"])]
    if BUNDLE.is_file() and os.access(BUNDLE, os.X_OK):
        sources.append(("bundle", [str(BUNDLE)]))
    else:
        note(f"startup: no bundle at {BUNDLE.relative_to(REPO)} (make bundle builds it); source only")
    for name, command in sources:
        starts = [start_seconds(command) for _ in range(1 if quick else 3)]
        for key in MOMENTS:
            note(f"startup {name} {key}: " + ", ".join(f"{s[key]:.2f}" if key in s else "-" for s in starts))
        emit(line(name, starts))
