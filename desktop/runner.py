"""ThreadRunner: iterate an event generator on a QThread, hand its items to the GUI thread in batches.

The idea is superqt's GeneratorWorker, kept small: a worker QObject moved to a
QThread iterates the generator; cooperative control (stop / pause / step) goes
through `trainer.control.Control`, which the generator checks, so nothing is
ever killed. Errors become text for a dialog.

The worker never emits per event: it appends to a deque (thread-safe in
CPython) and a GUI-thread timer drains it. That caps the signal rate however
fast events come, loses nothing, and still delivers the last events of a paused
run at once even though the worker is then blocked in `Control.wait()`.
TrainingSession (desktop/session.py) and the lessons' LessonRunner build on it.
"""
from __future__ import annotations

import collections
import logging
import weakref
from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, QThread, QTimer, Slot

from trainer.control import Control
from trainer.errors import error_message

log = logging.getLogger(__name__)

EventSource = Callable[[Control], Iterable[Any]]


def count_running(threads: "weakref.WeakSet[QThread]") -> int:
    """How many of these threads are still running (tests check it is 0 after each test)."""
    count = 0
    for thread in list(threads):
        try:
            count += bool(thread.isRunning())
        except RuntimeError:  # its C++ side is gone: not running
            pass
    return count


class _Worker(QObject):
    """Lives on the runner's thread; iterates the source into the shared deque."""

    def __init__(self, source: EventSource, control: Control, sink: collections.deque, label: str,
                 logger: logging.Logger):
        super().__init__()
        self.source, self.control, self.sink, self.label, self.log = source, control, sink, label, logger
        self.error: str | None = None

    @Slot()
    def run(self) -> None:
        try:
            for item in self.source(self.control):
                self.sink.append(item)
        except BaseException as exc:  # noqa: BLE001 -- every failure must reach the GUI, not kill the thread
            self.error = error_message(exc)
            self.log.error("%s failed: %s", self.label, self.error, exc_info=True)
        finally:
            QThread.currentThread().quit()


class ThreadRunner(QObject):
    """One generator at a time on its own thread; subclasses say what a batch and the end mean.

    Subclasses implement `_flush()` (called by the timer; `_take()` gives what arrived) and may
    override `_ended(error)` (the thread is done) and `_after_shutdown()` (a window is closing).
    """

    registry: "weakref.WeakSet[QThread]"   # each subclass keeps its own, for its running_threads()
    label = "run"                          # in messages: "<label> failed: ...", "the <label> thread"
    log = log                              # each subclass logs under its own module's name

    def __init__(self, interval_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._interval_ms = interval_ms
        self._queue: collections.deque = collections.deque()
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._control = Control()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._flush)

    def is_running(self) -> bool:
        """True from the start until the worker thread has ended (paused counts as running)."""
        return self._thread is not None

    def stop(self) -> None:
        """Ask the generator to stop; it does at its next check of the Control."""
        if self.is_running():
            self._control.stop()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the worker thread has ended; True when it has (or none was running)."""
        thread = self._thread
        return True if thread is None else thread.wait(max(0, int(timeout_ms)))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop, wait for the thread and drop what was not delivered (a window closing)."""
        thread = self._thread
        if thread is None:
            return True
        self._control.stop()
        ok = thread.wait(max(0, int(timeout_ms)))
        if ok:
            self._timer.stop()
            self._queue.clear()
            self._thread = self._worker = None
            self._after_shutdown()
        else:
            self.log.warning("the %s thread did not stop within %d ms", self.label, timeout_ms)
        return ok

    # -- for subclasses --------------------------------------------------------------------
    def _launch(self, source: EventSource, control: Control, thread_name: str) -> None:
        """Iterate `source(control)` on a new thread; raises RuntimeError when one is running."""
        if self.is_running():
            raise RuntimeError(f"a {self.label} is already in progress")
        self._queue.clear()
        self._control = control
        thread = QThread()
        thread.setObjectName(thread_name)
        worker = _Worker(source, control, self._queue, self.label, self.log)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self.registry.add(thread)
        self._timer.setInterval(self._interval_ms)
        self._timer.start()
        thread.start()

    def _take(self) -> list[Any]:
        """Everything the worker produced since the last call, in order."""
        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        return batch

    @Slot()
    def _flush(self) -> None:
        raise NotImplementedError

    def _ended(self, error: str | None) -> None:
        """The thread is done and its last events were flushed; `error` is None unless it failed."""

    def _after_shutdown(self) -> None:
        """shutdown() stopped the thread; nothing more will be flushed."""

    @Slot()
    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:   # shutdown() already cleaned up
            return
        thread.wait()           # finished is emitted just before run() returns; be sure it has
        self._flush()
        self._timer.stop()
        self._thread = self._worker = None
        self._ended(worker.error)
