"""LessonRunner: the lessons' own trainings (raw autograd, manual vs PyTorch) on a QThread.

The idea is superqt's GeneratorWorker, kept small: a job QObject moved to a QThread iterates an
event generator; cooperative control (stop) goes through `trainer.control.Control`, which the
generator checks, so nothing is ever killed. Errors become `failed(str)`.

The job never emits per event: it appends to a deque (thread-safe in CPython) and a GUI-thread
timer hands what arrived to `events(list)` at the pacing table's lesson_frame_ms. That caps the
signal rate however fast events come and loses nothing. (The playground's runs go through
desktop/training/, in a training process.)
"""
from __future__ import annotations

import collections
import logging
import time
import weakref
from typing import Any, Callable, Iterable, Iterator

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from trainer.control import Control
from trainer.errors import error_message
from trainer.events import EpochEnd
from trainer.pacing import WINDOW

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


class _GeneratorJob(QObject):
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
    """One generator at a time on its own thread; LessonRunner says what a batch and the end mean."""

    registry: "weakref.WeakSet[QThread]"   # each subclass keeps its own, for its running_threads()
    label = "run"                          # in messages: "<label> failed: ...", "the <label> thread"
    log = log                              # each subclass logs under its own module's name

    def __init__(self, interval_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._interval_ms = interval_ms
        self._queue: collections.deque = collections.deque()
        self._thread: QThread | None = None
        self._job: _GeneratorJob | None = None
        self._control = Control()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._flush)

    def is_running(self) -> bool:
        """True from the start until the lesson thread has ended (paused counts as running)."""
        return self._thread is not None

    def stop(self) -> None:
        """Ask the generator to stop; it does at its next check of the Control."""
        if self.is_running():
            self._control.stop()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the lesson thread has ended; True when it has (or none was running)."""
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
            self._thread = self._job = None
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
        job = _GeneratorJob(source, control, self._queue, self.label, self.log)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        self.registry.add(thread)
        self._timer.setInterval(self._interval_ms)
        self._timer.start()
        thread.start()

    def _take(self) -> list[Any]:
        """Everything the job produced since the last call, in order."""
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
        thread, job = self._thread, self._job
        if thread is None or job is None:   # shutdown() already cleaned up
            return
        thread.wait()           # finished is emitted just before run() returns; be sure it has
        self._flush()
        self._timer.stop()
        self._thread = self._job = None
        self._ended(job.error)


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
        super().__init__(WINDOW.lesson_frame_ms, parent)

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
