"""Throttle: run a redraw at most so often, and never drop the last one.

Views that follow a fast training run (hundreds of epochs a second) would repaint on
every flush; each repaint holds the GIL the training thread needs. A Throttle runs its
function at once when enough time has passed since the last run, and otherwise once
when that time is up, so the newest state always reaches the screen.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """`throttle()` asks for `fn()`; it runs at most once per `interval_s`, the last request always."""

    def __init__(self, interval_s: float, fn: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self.interval_s = interval_s
        self._fn = fn
        self._ran_at = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)

    def __call__(self) -> None:
        wait_s = self._ran_at + self.interval_s - time.perf_counter()
        if wait_s <= 0:
            self._run()
        elif not self._timer.isActive():
            self._timer.start(max(1, math.ceil(wait_s * 1000)))

    def flush(self) -> None:
        """Run now if a request is waiting (a run ended: show its last state at once)."""
        if self._timer.isActive():
            self._run()

    def reset(self) -> None:
        """Forget waiting requests and the last run: the next request runs at once."""
        self._timer.stop()
        self._ran_at = -math.inf

    def _run(self) -> None:
        self._timer.stop()
        self._ran_at = time.perf_counter()
        self._fn()
