"""A small QThread runner for the lessons' own trainings (raw autograd, manual vs PyTorch).

The same shape as desktop/session.py, smaller: a worker QObject on a QThread
iterates a generator of events into a deque, and a GUI-thread timer hands what
arrived to `events(list)` about 30 times a second. A `Control` stops it between
epochs; nothing is killed. Failures become `failed(str)`.
"""
from __future__ import annotations

import collections
import logging
import time
import weakref
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from trainer.control import Control
from trainer.events import EpochEnd

from ..session import error_message

log = logging.getLogger(__name__)

FLUSH_MS = 33
_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()

EventSource = Callable[[Control], Iterator[Any]]


def running_threads() -> int:
    """Lesson threads still running (tests check it is 0 after each test)."""
    count = 0
    for thread in list(_threads):
        try:
            count += bool(thread.isRunning())
        except RuntimeError:   # its C++ side is gone: not running
            pass
    return count


class _Worker(QObject):
    def __init__(self, source: EventSource, control: Control, sink: collections.deque, delay_s: float):
        super().__init__()
        self.source, self.control, self.sink, self.delay_s = source, control, sink, delay_s
        self.error: str | None = None

    @Slot()
    def run(self) -> None:
        try:
            for item in self.source(self.control):
                self.sink.append(item)
                # Slow motion: a pause after each epoch so the eye can follow a run that takes 50 ms.
                event = item[1] if isinstance(item, tuple) else item
                if self.delay_s > 0 and isinstance(event, EpochEnd):
                    time.sleep(self.delay_s)   # a few ms: the generator sees a stop() on its next epoch
        except BaseException as exc:  # noqa: BLE001 -- reported through failed(), never kills the app
            self.error = error_message(exc)
            log.error("lesson run failed: %s", self.error, exc_info=True)
        finally:
            QThread.currentThread().quit()


class LessonRunner(QObject):
    """Runs one event generator at a time on its own thread."""

    events = Signal(object)      # list of what the generator yielded since the last tick, in order
    failed = Signal(str)
    runningChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: collections.deque = collections.deque()
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._control = Control()
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, source: EventSource, delay_s: float = 0.0) -> None:
        """Iterate `source(control)` on a new thread; raises RuntimeError if one is running."""
        if self.is_running():
            raise RuntimeError("a lesson run is already in progress")
        self._queue.clear()
        self._control = Control()
        thread = QThread()
        thread.setObjectName("np-lesson")
        worker = _Worker(source, self._control, self._queue, delay_s)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        _threads.add(thread)
        self._timer.start()
        thread.start()
        self.runningChanged.emit(True)

    def stop(self) -> None:
        if self.is_running():
            self._control.stop()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        thread = self._thread
        return True if thread is None else thread.wait(max(0, int(timeout_ms)))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop, wait, and drop what was not delivered (window closing)."""
        thread = self._thread
        if thread is None:
            return True
        self._control.stop()
        ok = thread.wait(max(0, int(timeout_ms)))
        if ok:
            self._timer.stop()
            self._queue.clear()
            self._thread = self._worker = None
            self.runningChanged.emit(False)
        return ok

    @Slot()
    def _flush(self) -> None:
        if not self._queue:
            return
        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        self.events.emit(batch)

    @Slot()
    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:   # shutdown() already cleaned up
            return
        thread.wait()
        self._flush()
        self._timer.stop()
        self._thread = self._worker = None
        if worker.error is not None:
            self.failed.emit(worker.error)
        self.runningChanged.emit(False)


__all__ = ["LessonRunner", "running_threads"]
