"""`ui_stall`: how late the GUI thread's event loop runs while the window trains, Train click included.

A 5 ms PreciseTimer in the GUI thread records when each tick came; lateness = the gap since the
previous tick minus 5 ms. Recorded from just before the Train button's handler runs (views reset for
the new run, the request sent: the handler's own block is the first tick's lateness) through the
training process starting, loading and training, until the run has ended and its results are drawn
(the Finished handling is part of what a user waits through). The handler's block alone is also
reported, as `train_click_ms`. spiral: the whole 2-100-3 run with live pictures; mnist-mlp-full:
the full-MNIST MLP in mini-batches, limited to one epoch here (every epoch looks the same to the
GUI: progress, one EpochEnd, the end-of-run results once). Each workload runs 3 times; each figure
is the worst of the 3 (a stall is what a user remembers).
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
REPEATS = 3
INTERVAL_MS = 5


def worst(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's largest value over the repeats."""
    return {key: max(run[key] for run in runs) for key in runs[0]}


def summary(late: list[float], click_ms: float) -> dict[str, float]:
    """One run's figures from its ticks' lateness (ms) and the Train handler's own time (ms)."""
    return {"max_ms": max(late), "p99_ms": percentile(late, 99), "p50_ms": percentile(late, 50),
            "train_click_ms": click_ms, "ticks": len(late)}


def one_run(window, exp) -> dict[str, float]:
    beat = gui.Heartbeat(INTERVAL_MS)
    original_train = window.train
    click = [0.0]

    def train_with_heartbeat() -> bool:
        beat.start()       # before the handler: its block is the first tick's lateness
        t0 = time.perf_counter()
        ok = original_train()
        click[0] = (time.perf_counter() - t0) * 1000
        return ok

    window.train = train_with_heartbeat
    try:
        gui.train_in_window(window, exp)
        gui.spin(0.1)   # what the end of the run queued (repaints) is drawn before the count stops
    finally:
        late = beat.stop()
        del window.train
    return summary(late, click[0])


def run(window, quick: bool = False) -> None:
    for name, preset, overrides in WORKLOADS:
        exp = load_preset(preset).with_overrides(overrides)
        runs = []
        for i in range(1 if quick else REPEATS):
            runs.append(one_run(window, exp))
            s = runs[-1]
            note(f"ui_stall {name} #{i + 1}: {s['ticks']} ticks, max {s['max_ms']:.1f} ms, "
                 f"p99 {s['p99_ms']:.1f} ms, Train click {s['train_click_ms']:.0f} ms")
        w = worst(runs)
        emit({"bench": "ui_stall", "workload": name, "max_ms": r(w["max_ms"]), "p99_ms": r(w["p99_ms"]),
              "p50_ms": r(w["p50_ms"]), "train_click_ms": r(w["train_click_ms"]), "ticks": int(min(x["ticks"] for x in runs)),
              "interval_ms": INTERVAL_MS, "repeats": len(runs)})
