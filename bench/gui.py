"""Driving the real app from a benchmark: one MainWindow shown offscreen, runs started as Train does.

A run is started with the window's own `train()` (the docks' experiment, exactly what the
Train button hands to the TrainingSession) and waited for in a real Qt event loop, so
every view redraws what a user would see while the training process trains.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, Qt, QTimer

from trainer.config import Experiment
from trainer.events import Finished

from .common import BenchError, note


def application():
    """The QApplication as desktop.app sets it up (names, icon, style sheet: the style costs paint time)."""
    from desktop.app import _make_app
    return _make_app([])


def open_window():
    """A shown MainWindow that remembers nothing and never blocks on a dialog, its warm-up done (torch and
    what an optimizer step imports loaded here, the training process ready), so no figure measures it."""
    application()
    from desktop import dialogs
    from desktop.main_window import MainWindow
    shown: list[str] = []
    dialogs.show_error = lambda parent, title, text, details="": shown.append(f"{title}: {text}")
    dialogs.show_info = lambda parent, title, text: shown.append(f"{title}: {text}")
    window = MainWindow(restore_layout=False)
    window.persist = False
    window.dialogs_shown = shown
    window.show()
    window.start_warmup()
    from desktop.training.process import POOL
    spin_until(window.torch_is_loaded, 60)
    window.join_warmup()   # the rest of the warm-up (torch._dynamo) goes on on its thread after torch_loaded()
    spin_until(POOL.has_warm, 60)
    spin(0.3)              # the warm-up's poll timer hands over to optimizer_loaded()
    return window


def spin(seconds: float) -> None:
    """Run the event loop for a while (paints, timers)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def spin_until(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        spin(0.02)
    return True


def train_in_window(window, experiment: Experiment, timeout_s: float = 900.0) -> Finished:
    """Show `experiment` in the docks, press Train, wait in the event loop until the run has ended."""
    window.apply_experiment(experiment)
    spin(0.05)
    if not window.train():
        raise BenchError(f"the window refused to train {experiment.name}: "
                         + " ".join(p.error_text() for p in window.panels))
    session = window.session
    if session.experiment != experiment:
        note(f"warning: the window trains a different experiment than asked for {experiment.name}: "
             f"{_diff(experiment, session.experiment)}")
    loop = QEventLoop()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    session.ended.connect(loop.quit)
    try:
        if session.is_running():
            deadline.start(int(timeout_s * 1000))
            loop.exec()
    finally:
        deadline.stop()
        session.ended.disconnect(loop.quit)
    if session.is_running():
        session.shutdown()
        raise BenchError(f"{experiment.name} did not finish within {timeout_s:.0f} s in the window")
    if session.result is None:
        raise BenchError(f"{experiment.name} failed in the window: {window.dialogs_shown[-1:]}")
    return session.result


def _diff(a: Experiment, b: Experiment | None) -> str:
    if b is None:
        return "nothing started"
    da, db = a.to_dict(), b.to_dict()
    out = []
    for part in ("data", "model", "optim", "train"):
        for key in sorted(set(da[part]) | set(db[part])):
            if da[part].get(key) != db[part].get(key):
                out.append(f"{part}.{key}: {da[part].get(key)!r} -> {db[part].get(key)!r}")
    return "; ".join(out) or "names differ only"


class Heartbeat(QObject):
    """A GUI-thread timer that should tick every `interval_ms`; how late each tick came is the stall."""

    def __init__(self, interval_ms: int = 5):
        super().__init__()
        self.interval_ms = interval_ms
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.ticks: list[int] = []     # nanoseconds since start()

    def start(self) -> None:
        self.ticks = []
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.ticks.append(self.clock.nsecsElapsed())

    def stop(self) -> list[float]:
        """Lateness of each tick in ms: the gap since the previous tick minus the interval (>= 0)."""
        self.timer.stop()
        gaps = [(b - a) / 1e6 for a, b in zip([0, *self.ticks], self.ticks)]
        return [max(0.0, g - self.interval_ms) for g in gaps]
