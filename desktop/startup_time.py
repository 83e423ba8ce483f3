"""How long the app takes to start, printed for `make bench` (bench/startup.py) when
NEURAL_PLAYGROUND_STARTUP_TIME is set: one JSON line each, seconds since main() began.

  {"window_shown_s": ...}  right after MainWindow.show()
  {"torch_s": ...}         torch is imported in the window's process (Train is enabled)
  {"worker_s": ...}        the prestarted training process has said it is ready (its imports and
                           first optimizer step done, trainer/remote.py)
  {"ready_s": ...}         the first frame the window paints once both hold: a click on Train then
                           starts training at once

The app prints these itself, so the packaged app (which nothing outside can watch) reports them too.
"Painted" as everywhere in bench/: an event filter sees the window's Paint event, and a zero-delay
timer queued from it fires once that event has been handled.
"""
from __future__ import annotations

import json
import os
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

from .training.process import POOL

ENV = "NEURAL_PLAYGROUND_STARTUP_TIME"
POLL_MS = 10


def wanted() -> bool:
    return bool(os.environ.get(ENV))


def say(key: str, t0: float) -> None:
    print(json.dumps({key: round(time.perf_counter() - t0, 3)}), flush=True)


class _PaintedOnce(QObject):
    """Calls `done` once the next Paint event of the watched widget has been handled."""

    def __init__(self, widget: QWidget, done) -> None:
        super().__init__(widget)
        self.done = done
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if self.done is not None and event.type() == QEvent.Type.Paint:
            done, self.done = self.done, None
            QTimer.singleShot(0, done)
        return False


def report_when_ready(window, t0: float) -> None:
    """Print torch_s, worker_s and then ready_s for `window` (a MainWindow just shown)."""
    seen: set[str] = set()
    poll = QTimer(window)
    poll.setInterval(POLL_MS)

    def check() -> None:
        if "torch_s" not in seen and window.torch_is_loaded():
            seen.add("torch_s")
            say("torch_s", t0)
        if "worker_s" not in seen and POOL.has_warm():
            seen.add("worker_s")
            say("worker_s", t0)
        if len(seen) == 2:
            poll.stop()
            _PaintedOnce(window, lambda: say("ready_s", t0))
            window.update()   # the frame that shows it: Train enabled, the status bar's "Ready"

    poll.timeout.connect(check)
    poll.start()
