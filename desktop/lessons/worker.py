"""LessonRunner: the lessons' own trainings (raw autograd, manual vs PyTorch) on a thread.

desktop.runner.ThreadRunner does the work: a worker QObject on a QThread
iterates a generator of events into a deque, and a GUI-thread timer hands what
arrived to `events(list)` about 30 times a second. A `Control` stops it between
epochs; nothing is killed. Failures become `failed(str)`.
"""
from __future__ import annotations

import logging
import time
import weakref
from typing import Any, Iterator

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trainer.control import Control
from trainer.events import EpochEnd

from ..runner import EventSource, ThreadRunner, count_running

FLUSH_MS = 33


def running_threads() -> int:
    """Lesson threads still running (tests check it is 0 after each test)."""
    return count_running(LessonRunner.registry)


class LessonRunner(ThreadRunner):
    """Runs one event generator at a time on its own thread."""

    registry: "weakref.WeakSet[QThread]" = weakref.WeakSet()
    label = "lesson run"
    log = logging.getLogger(__name__)

    events = Signal(object)      # list of what the generator yielded since the last tick, in order
    failed = Signal(str)
    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(FLUSH_MS, parent)

    def start(self, source: EventSource, delay_s: float = 0.0) -> None:
        """Iterate `source(control)` on a new thread; raises RuntimeError if one is running."""
        self._launch(_slowed(source, delay_s) if delay_s > 0 else source, Control(), "np-lesson")
        self.runningChanged.emit(True)

    @Slot()
    def _flush(self) -> None:
        batch = self._take()
        if batch:
            self.events.emit(batch)

    def _ended(self, error: str | None) -> None:
        if error is not None:
            self.failed.emit(error)
        self.runningChanged.emit(False)

    def _after_shutdown(self) -> None:
        self.runningChanged.emit(False)


def _slowed(source: EventSource, delay_s: float) -> EventSource:
    """Slow motion: a pause after each epoch so the eye can follow a run that takes 50 ms."""
    def slowed(control: Control) -> Iterator[Any]:
        for item in source(control):
            yield item
            event = item[1] if isinstance(item, tuple) else item
            if isinstance(event, EpochEnd):
                time.sleep(delay_s)   # a few ms: the generator sees a stop() on its next epoch
    return slowed


__all__ = ["LessonRunner", "running_threads"]
