"""`ui_stall`: how late the GUI thread's event loop runs while the window trains.

A 5 ms PreciseTimer in the GUI thread records when each tick came; lateness = the gap since
the previous tick minus 5 ms. Recorded from the moment the Train button's handler has returned
(the training process starting, loading and training) until the run has ended and its results are
drawn (the Finished handling is part of what a user waits through). The handler itself (views
reset for the new run, the thread started) is one block of GUI work, reported as `train_click_ms`. spiral: the whole 2-100-3 run with live pictures; mnist-mlp-full:
the full-MNIST MLP in mini-batches, limited to one epoch here (every epoch looks the same to
the GUI: progress, one EpochEnd, the end-of-run results once).
"""
from __future__ import annotations

import time

from trainer.presets import load_preset

from . import gui
from .common import emit, note, percentile, r

WORKLOADS = (
    ("spiral", "spiral", {"train.epochs": 1500, "train.patience": 0}),
    ("mnist-mlp-full", "mnist-mlp-full", {"train.epochs": 1, "train.patience": 0}),
)


def run(window, quick: bool = False) -> None:
    for name, preset, overrides in WORKLOADS:
        exp = load_preset(preset).with_overrides(overrides)
        beat = gui.Heartbeat(5)
        late: list[float] = []
        original_train = window.train
        click = [0.0]

        def train_with_heartbeat() -> bool:
            t0 = time.perf_counter()
            ok = original_train()
            click[0] = (time.perf_counter() - t0) * 1000
            beat.start()
            return ok

        window.train = train_with_heartbeat
        try:
            gui.train_in_window(window, exp)
            gui.spin(0.1)   # what the end of the run queued (repaints) is drawn before the count stops
        finally:
            late = beat.stop()
            del window.train
        note(f"ui_stall {name}: {len(late)} ticks, max {max(late):.1f} ms, p99 {percentile(late, 99):.1f} ms, "
             f"Train click {click[0]:.0f} ms")
        emit({"bench": "ui_stall", "workload": name, "max_ms": r(max(late)), "p99_ms": r(percentile(late, 99)),
              "p50_ms": r(percentile(late, 50)), "train_click_ms": r(click[0]), "ticks": len(late),
              "interval_ms": beat.interval_ms})
