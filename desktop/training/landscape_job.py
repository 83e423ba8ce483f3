"""LandscapeJob: a loss landscape (trainer/timeline/landscape.py) computed in a training process.

The window never computes it itself: 41 x 41 forward passes over the training rows would freeze it.
The request goes to a warm training process over the link a run uses (client._ProcessLink, the same
reader thread and inbox), as ("landscape", experiment, states, options); its LandscapeProgress and
Landscape events come back and are turned into signals on the GUI thread by a frame timer, as the
client does; Cancel sends ("stop",), and the process answers "done" without a Landscape within one batch
of grid points and goes back to the pool. Where no training process can start at all, the landscape is
computed on a thread of this process instead (the client's fallback, logged as a warning).
"""
from __future__ import annotations

import collections
import logging
import threading
import traceback
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from trainer.config import Experiment
from trainer.errors import error_message, expected_error
from trainer.events import Landscape, LandscapeProgress
from trainer.pacing import WINDOW, Pacing

import desktop.training.process as process   # a module, so tests can replace its POOL

from .client import _THREADS, _ProcessLink

log = logging.getLogger(__name__)


class _Link:
    """The request's way to a training process, taken on a helper thread: a process that is not warm in the
    pool takes ~0.5 s to start, never on the GUI thread. Once it has one, the request goes over a
    _ProcessLink (the client's: its reader thread fills the inbox); where none can start, the landscape is
    computed on the helper thread itself."""

    def __init__(self, request: tuple, inbox: collections.deque):
        self.cancelled = threading.Event()
        self.in_thread = False                    # computed here: no training process could start
        self.remote: _ProcessLink | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, args=(request, inbox), name="np-landscape-start",
                                       daemon=True)
        _THREADS.add(self.thread)
        self.thread.start()

    def _run(self, request: tuple, inbox: collections.deque) -> None:
        try:
            proc = process.POOL.acquire()
            with self._lock:   # not held while a process starts: stop() never waits for that
                if self.cancelled.is_set():
                    process.POOL.release(proc)
                    inbox.append(("done",))
                    return
                self.remote = _ProcessLink(proc, request, inbox)
            return
        except OSError as exc:
            log.warning("could not start a training process (%s); computing the landscape in the app's own "
                        "process", exc)
        self.in_thread = True
        from trainer.timeline.landscape import compute
        _, experiment, states, options = request
        try:
            for event in compute(experiment, states, cancelled=self.cancelled.is_set, **options):
                inbox.append(("events", [event]))
            inbox.append(("done",))
        except BaseException as exc:  # noqa: BLE001 -- every failure must reach the window as text
            inbox.append(("error", error_message(exc), traceback.format_exc(), expected_error(exc)))

    def stop(self) -> None:
        with self._lock:
            self.cancelled.set()
            if self.remote is not None:
                self.remote.command("stop")

    def end(self, timeout_s: float) -> None:
        """After the last message: the process back to the pool (or closed, if it did not answer)."""
        self.thread.join(timeout_s)
        if self.remote is not None:
            self.remote.end(timeout_s)

    def alive(self) -> bool:
        return self.thread.is_alive() or (self.remote is not None and self.remote.thread.is_alive())


class LandscapeJob(QObject):
    """One landscape at a time, driven from the GUI thread."""

    progress = Signal(int, int)     # grid points done, of total (the newest of a frame)
    result = Signal(object)         # trainer.events.Landscape (not after a cancel)
    failed = Signal(str)            # a message for the view
    ended = Signal(bool)            # over, whatever happened; True when it was cancelled

    def __init__(self, parent: QObject | None = None, pacing: Pacing = WINDOW):
        super().__init__(parent)
        self.pacing = pacing
        self.cancelled = False
        self.in_thread = False          # the last job was computed on a thread here: no process could start
        self._link: _Link | None = None
        self._inbox: collections.deque = collections.deque()
        self._timer = QTimer(self)
        self._timer.setInterval(pacing.frame_ms)
        self._timer.timeout.connect(self._frame)

    def is_running(self) -> bool:
        return self._link is not None

    def start(self, experiment: Experiment, states: list[dict], **options: Any) -> None:
        """Compute the landscape of `states` (a path of model states) with compute()'s keyword options
        (steps, kind, centre, seed); raises RuntimeError while one is computing."""
        if self.is_running():
            raise RuntimeError("a landscape is already being computed")
        self.cancelled = False
        self._inbox.clear()
        options = {"progress_every_s": self.pacing.progress_every_s} | options
        self._link = _Link(("landscape", experiment, list(states), options), self._inbox)
        self._timer.start()

    def cancel(self) -> None:
        """Stop computing; `ended(True)` follows within one batch of grid points, and no result."""
        if self._link is not None and not self.cancelled:
            self.cancelled = True
            self._link.stop()

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Stop and drop what was not delivered (the window closing); no signals. False if it did not stop."""
        link, self._link = self._link, None
        if link is None:
            return True
        link.stop()
        link.end(timeout_s)
        self._timer.stop()
        self._inbox.clear()
        return not link.alive()

    @Slot()
    def _frame(self) -> None:
        """Emit what arrived since the last frame (the newest progress, the result); end on the last message."""
        latest: LandscapeProgress | None = None
        landscape: Landscape | None = None
        end = None
        while self._inbox:
            message = self._inbox.popleft()
            if message[0] != "events":
                end = message
                break
            for event in message[1]:
                if isinstance(event, LandscapeProgress):
                    latest = event
                elif isinstance(event, Landscape):
                    landscape = event
        if latest is not None and not self.cancelled:
            self.progress.emit(latest.done, latest.total)
        if landscape is not None and not self.cancelled:
            self.result.emit(landscape)
        if end is not None:
            self._end(end)

    def _end(self, message: tuple) -> None:
        link, self._link = self._link, None
        self._timer.stop()
        self._inbox.clear()
        if link is not None:
            link.end(5.0)
            self.in_thread = link.in_thread
        if message[0] == "error":
            if len(message) > 3 and message[3]:
                log.warning("landscape not computed: %s", message[1])
            else:
                log.error("landscape failed: %s\n%s", message[1], message[2])
            self.failed.emit(message[1])
        elif message[0] == "died":
            log.error("landscape failed: %s", message[1])
            self.failed.emit("the training process stopped while computing the landscape; "
                             "press Compute to try again.")
        self.ended.emit(self.cancelled)


__all__ = ["LandscapeJob"]
