"""`click`: from a real mouse click on the toolbar's Train button to the first epoch drawn on the curves.

QTest.mouseClick presses and releases the left button on the Train QToolButton of the window's
toolbar (the button's own clicked -> QAction -> MainWindow.train path). The clock stops when the
curves' plot has painted a frame with at least one epoch in it: an event filter on its viewport sees
the Paint event, and a zero-delay timer queued from there runs once that frame is drawn. The run is then
stopped and its end waited for, and the next click follows. Data already loaded: one uncounted click
first (the MNIST files extracted to the user cache and in the OS's file cache, the views built; each
run still reads its data in the training process, as every Train does). Workloads: spiral (2-100-3, full
batch) and mnist-mlp (the 5,000-image subset, 784-256-128-10). p50_ms and max_ms over 10 clicks.

Where the time goes: started_p50_ms is the click to the run's Started event reaching the window (the
request sent, the data read and the model built in the training process), received_p50_ms the click to
its first epoch reaching the window (the first epoch trained and validated, the event sent); the rest
up to p50_ms is the curves' redraw and paint.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtTest import QTest

from trainer.presets import load_preset

from . import gui
from .common import BenchError, emit, note, percentile, r

WORKLOADS = ("spiral", "mnist-mlp")
CLICKS = 10
TIMEOUT_S = 60.0


class _FirstEpochPainted(QObject):
    """Quits `loop` (and notes the time) once the curves' viewport has painted an epoch."""

    def __init__(self, curves, loop: QEventLoop) -> None:
        super().__init__()
        self.curves, self.loop = curves, loop
        self.done_at: float | None = None

    def _has_epoch(self) -> bool:
        x = self.curves.curves["train_loss"].xData
        return x is not None and len(x) > 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint and self.done_at is None and self._has_epoch():
            QTimer.singleShot(0, self._painted)   # runs after this paint event has been handled
        return False

    def _painted(self) -> None:
        if self.done_at is None:
            self.done_at = time.perf_counter()
            self.loop.quit()


def train_button(window):
    """The QToolButton a user clicks for Train."""
    button = window.toolbar.widgetForAction(window.train_action)
    if button is None or not button.isVisible():
        raise BenchError("the toolbar shows no Train button")
    return button


def click_to_first_epoch_ms(window) -> tuple[float, float, float]:
    """One real click on Train: milliseconds until the curves show the first epoch, and until the run's
    Started and its first epoch reached the window; the run is then stopped."""
    button = train_button(window)
    session = window.session
    arrived: dict[str, float] = {}

    def started(_ev) -> None:
        arrived.setdefault("started", time.perf_counter())

    def epochs(_evs) -> None:
        arrived.setdefault("epoch", time.perf_counter())

    session.started.connect(started)
    session.epochs.connect(epochs)
    viewport = window.curves.plot_widget().viewport()
    loop = QEventLoop()
    watch = _FirstEpochPainted(window.curves, loop)
    viewport.installEventFilter(watch)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(TIMEOUT_S * 1000))
    try:
        t0 = time.perf_counter()
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        if watch.done_at is None:
            loop.exec()
    finally:
        deadline.stop()
        viewport.removeEventFilter(watch)
        session.started.disconnect(started)
        session.epochs.disconnect(epochs)
    if watch.done_at is None or len(arrived) < 2:
        raise BenchError(f"no epoch was drawn within {TIMEOUT_S:.0f} s of clicking Train")
    _stop_and_wait(window)
    return tuple((t - t0) * 1000 for t in (watch.done_at, arrived["started"], arrived["epoch"]))


def _stop_and_wait(window) -> None:
    window.stop()
    if not gui.spin_until(lambda: not window.session.is_running(), 60):
        raise BenchError("the run did not stop within 60 s")
    gui.spin(0.1)


def run(window, quick: bool = False) -> None:
    window.tabs.setCurrentWidget(window.playground)      # the curves a user watches
    clicks = 3 if quick else CLICKS
    for preset in WORKLOADS:
        window.apply_experiment(load_preset(preset))
        gui.spin(0.1)
        if not window.train_action.isEnabled():
            raise BenchError(f"Train is disabled for {preset}: " + " ".join(p.error_text() for p in window.panels))
        click_to_first_epoch_ms(window)   # not counted: extracts and caches the data, builds the views
        measured = [click_to_first_epoch_ms(window) for _ in range(clicks)]
        times = [m[0] for m in measured]
        note(f"click {preset}: " + ", ".join(f"{t:.0f}" for t in times) + " ms")
        emit({"bench": "click", "workload": preset, "p50_ms": r(percentile(times, 50)), "max_ms": r(max(times)),
              "clicks": len(times), "started_p50_ms": r(percentile([m[1] for m in measured], 50)),
              "received_p50_ms": r(percentile([m[2] for m in measured], 50))})
