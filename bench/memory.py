"""`memory`: resident memory growth over 20 consecutive training runs in one running window.

The spiral (2-100-3, live boundary / neuron maps / network diagram, 300 epochs each) is trained
through the window as a user would press Train again and again. One warm-up run first (lazy
imports, caches, the first paint), then gc.collect() and the baseline; gc.collect() again after
the 20th run. Growth = RSS after - RSS before, in MiB (VmRSS).
"""
from __future__ import annotations

import gc

from trainer.presets import load_preset

from . import gui
from .common import emit, note, r, rss_mb

RUNS = 20
EPOCHS = 300


def _settle() -> float:
    gui.spin(0.3)        # deleteLater() and queued repaints are handled by the event loop
    gc.collect()
    return rss_mb()


def run(window, quick: bool = False) -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0})
    runs = 5 if quick else RUNS
    gui.train_in_window(window, exp)
    before = _settle()
    samples = []
    for i in range(runs):
        gui.train_in_window(window, exp)
        if (i + 1) % 5 == 0:
            samples.append(_settle())
            note(f"memory: {i + 1} runs, RSS {samples[-1]:.0f} MiB (baseline {before:.0f})")
    after = _settle()
    emit({"bench": "memory", "rss_growth_mb": r(after - before), "rss_before_mb": r(before), "rss_after_mb": r(after),
          "runs": runs, "workload": f"spiral, {EPOCHS} epochs per run, in the window"})
