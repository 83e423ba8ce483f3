"""`memory`: resident memory growth over 20 consecutive training runs in one running window.

The spiral (2-100-3, live boundary / neuron maps / network diagram, 300 epochs each) is trained
through the window as a user would press Train again and again. One warm-up run first (lazy
imports, caches, the first paint), then gc.collect() and the baseline; gc.collect() again after
the 20th run. Growth = RSS after - RSS before, in MiB (VmRSS), of the app and its training process
together (the window trains in a child kept for run after run, desktop/training/process.py).
"""
from __future__ import annotations

import gc

from trainer.presets import load_preset

from . import gui
from .common import emit, note, r, rss_mb

RUNS = 20
EPOCHS = 300


def _settle() -> tuple[float, float]:
    """(the app's RSS, its idle training processes' RSS), in MiB."""
    from desktop.training.process import POOL
    gui.spin(0.3)        # deleteLater() and queued repaints are handled by the event loop
    gc.collect()
    return rss_mb(), sum(rss_mb(pid) for pid in POOL.idle_pids())


def run(window, quick: bool = False) -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0})
    runs = 5 if quick else RUNS
    gui.train_in_window(window, exp)
    app_before, worker_before = _settle()
    for i in range(runs):
        gui.train_in_window(window, exp)
        if (i + 1) % 5 == 0:
            app, worker = _settle()
            note(f"memory: {i + 1} runs, RSS app {app:.0f} + training process {worker:.0f} MiB "
                 f"(baseline {app_before:.0f} + {worker_before:.0f})")
    app_after, worker_after = _settle()
    before, after = app_before + worker_before, app_after + worker_after
    emit({"bench": "memory", "rss_growth_mb": r(after - before), "rss_before_mb": r(before), "rss_after_mb": r(after),
          "app_growth_mb": r(app_after - app_before), "worker_growth_mb": r(worker_after - worker_before),
          "runs": runs, "workload": f"spiral, {EPOCHS} epochs per run, in the window"})
