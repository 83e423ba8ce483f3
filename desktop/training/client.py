"""TrainingClient: the one object between the window and a run of `trainer.loop.train`.

It owns the run's training process (desktop/training/process.py), sends it the Experiment with the
pacing table, forwards Pause / Resume / Step / Stop and the speed, and turns what comes back into Qt signals on
the GUI thread:

    Train -> start(experiment) -> ("train", experiment, pacing, ...) over the link -> trainer.remote
          -> train() events -> ("events", [...]) messages -> a reader thread -> the inbox
          -> the frame timer (GUI thread) -> started / epochs / snapshot / ... signals -> the views

Each frame timer tick is one frame: the views update and repaint once. Every EpochEnd is
delivered, in order, exactly once, also those just before a failure; the other events of a frame
are coalesced to the newest. Where no training process can be started at all, the run trains on a
thread of this process instead and its events take the same inbox and the same frames.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
import weakref
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from trainer.config import Experiment
from trainer.control import Control
from trainer.errors import error_message, expected_error
from trainer.events import (BatchProgress, DataProgress, Diverged, EpochEnd, Finished, Keyframe, NewBest,
                            Snapshot, Started)
from trainer.pacing import WINDOW, Pacing
from trainer.timeline.frame import Resume
from trainer.timeline.timeline import DEFAULT_BUDGET

import desktop.training.process as process   # a module, so tests can replace its POOL

log = logging.getLogger(__name__)

_THREADS: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()   # every client's reader / fallback thread
_END = ("done", "error", "died")   # the inbox's last message of a run


def running_threads() -> int:
    """How many training threads (readers of a training process, or in-thread runs) are alive."""
    return sum(t.is_alive() for t in list(_THREADS))


class _ProcessLink:
    """A run in a training process: commands go over the link, a reader thread fills the inbox."""

    def __init__(self, proc: process.TrainingProcess, request: tuple, inbox: collections.deque):
        self.proc = proc
        self.clean = False   # the child answered the run to its end (done or error): it can serve another
        proc.send(request)
        self.thread = threading.Thread(target=self._read, args=(inbox,), name="np-training-reader", daemon=True)
        _THREADS.add(self.thread)
        self.thread.start()

    def _read(self, inbox: collections.deque) -> None:
        try:
            while True:
                message = self.proc.receive()
                if message[0] == "ready":   # once, before the first run's events
                    continue
                inbox.append(message)
                if message[0] in _END:
                    self.clean = True
                    return
        except (EOFError, OSError):
            inbox.append(("died", self.proc.died_message()))

    def command(self, name: str, *args: Any) -> None:
        try:
            self.proc.send((name, *args))
        except OSError:   # the child has gone; the reader reports it
            pass

    def end(self, timeout_s: float) -> None:
        """After the run's last message (or a stop): a child that answered the run to its end goes
        back to the pool; one that died or did not answer in time is closed."""
        self.thread.join(timeout_s)
        if self.clean:
            process.POOL.release(self.proc)
        else:
            self.proc.close(timeout_s=1.0)
            self.thread.join(5.0)


class _ThreadLink:
    """The fallback: the run on a thread of this process, its events into the same inbox."""

    def __init__(self, experiment: Experiment, pacing: Pacing, paused_after_first: bool,
                 inbox: collections.deque, speed: float | None = None, options: dict | None = None):
        self.control = Control(speed=speed)
        if paused_after_first:
            self.control.step()
        self.thread = threading.Thread(target=self._run, args=(experiment, pacing, inbox, options or {}),
                                       name="np-training-thread", daemon=True)
        _THREADS.add(self.thread)
        self.thread.start()

    def _run(self, experiment: Experiment, pacing: Pacing, inbox: collections.deque, options: dict) -> None:
        import traceback

        from trainer.loop import train
        try:
            for event in train(experiment, self.control, pacing, **options):
                inbox.append(("events", [event]))
            inbox.append(("done",))
        except BaseException as exc:  # noqa: BLE001 -- every failure must reach the window
            inbox.append(("error", error_message(exc), traceback.format_exc(), expected_error(exc)))

    def command(self, name: str, *args: Any) -> None:
        from trainer.remote import COMMANDS
        getattr(self.control, COMMANDS[name])(*args)

    def end(self, timeout_s: float) -> None:
        self.control.stop()
        self.thread.join(timeout_s)


class TrainingClient(QObject):
    """One training run at a time, driven from the GUI thread."""

    started = Signal(object)        # trainer.events.Started
    epochs = Signal(object)         # list[EpochEnd], every epoch exactly once, in order
    keyframes = Signal(object)      # list[Keyframe] of the run's timeline, every one exactly once, in order
    snapshot = Signal(object)       # latest Snapshot of the frame (with the frame's newest diagram)
    progress = Signal(object)       # latest DataProgress | BatchProgress of the frame
    newBest = Signal(object)        # latest NewBest of the frame
    diverged = Signal(object)       # Diverged
    finished = Signal(object)       # Finished: the last event of a run that was not failed
    failed = Signal(str)            # a message for a dialog
    stateChanged = Signal(str)      # "idle" | "running" | "paused"
    ended = Signal()                # the run is over, whatever happened (after finished / failed)

    def __init__(self, parent: QObject | None = None, pacing: Pacing = WINDOW):
        super().__init__(parent)
        self.pacing = pacing
        self._state = "idle"
        self.experiment: Experiment | None = None
        self.result: Finished | None = None
        self.history: list[EpochEnd] = []     # every EpochEnd of the current / last run
        self.frames = 0                       # frames with something in them, for the rate checks in bench/
        self.speed: float | None = None       # epochs a second at most (None: as fast as possible)
        self.record_bytes = DEFAULT_BUDGET     # the timeline each run records (trainer/timeline); 0: none
        self._link: _ProcessLink | _ThreadLink | None = None
        self._inbox: collections.deque = collections.deque()
        self._model_cache: tuple[int, Any] | None = None
        self._cpu_at_frame = 0.0               # the GUI thread's CPU clock at the last frame
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._frame)

    # -- state ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    def is_running(self) -> bool:
        """True from start() until the run is over (paused counts as running)."""
        return self._link is not None

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    # -- commands ---------------------------------------------------------------------
    def start(self, experiment: Experiment, paused_after_first: bool = False, resume: Resume | None = None) -> None:
        """Train `experiment` (from `resume`, a recorded epoch of another run, for a branch), recording its
        timeline within `record_bytes`; raises RuntimeError when a run is already going."""
        if self.is_running():
            raise RuntimeError("a training run is already in progress")
        self.experiment = experiment
        self.result = None
        self.history = []
        self._model_cache = None
        self._inbox.clear()
        self._link = self._connect(experiment, paused_after_first,
                                   {"record": self.record_bytes, "resume": resume})
        self._cpu_at_frame = time.thread_time()
        self._timer.setInterval(self.pacing.frame_ms)
        self._timer.start()
        self._set_state("paused" if paused_after_first else "running")

    def _connect(self, experiment: Experiment, paused_after_first: bool,
                 options: dict) -> _ProcessLink | _ThreadLink:
        request = ("train", experiment, self.pacing, paused_after_first, self.speed, options)
        try:
            return _ProcessLink(process.POOL.acquire(), request, self._inbox)
        except OSError as exc:
            log.warning("could not start a training process (%s); training in the app's own process", exc)
            return _ThreadLink(experiment, self.pacing, paused_after_first, self._inbox, self.speed, options)

    def pause(self) -> None:
        self._press("pause", "paused")

    def resume(self) -> None:
        self._press("resume", "running")

    def step(self) -> None:
        """Run one more epoch, then pause (the caller starts a run first when idle)."""
        self._press("step", "paused")

    def set_speed(self, epochs_per_s: float | None) -> None:
        """At most this many epochs a second (None: as fast as possible), for this run and the next."""
        self.speed = epochs_per_s
        if self._link is not None:
            self._link.command("speed", epochs_per_s)

    def stop(self) -> None:
        """Ask the run to stop; it does within one batch, then ends as usual (finished, ended)."""
        self._press("stop", None)

    def _press(self, command: str, state: str | None) -> None:
        if self._link is not None:
            self._link.command(command)
            if state is not None:
                self._set_state(state)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the run and drop what was not delivered (a window closing, Reset); no signals."""
        link, self._link = self._link, None
        if link is None:
            return True
        link.command("stop")
        link.end(timeout_ms / 1000)
        self._timer.stop()
        self._inbox.clear()
        self._state = "idle"
        alive = link.thread.is_alive()
        if alive:
            log.warning("the training thread did not stop within %d ms", timeout_ms)
        return not alive

    # -- results ----------------------------------------------------------------------
    def model(self):
        """The trained model (eval mode) rebuilt from the last Finished state, or None."""
        if self.result is None or self.experiment is None:
            return None
        if self._model_cache is not None and self._model_cache[0] == id(self.result):
            return self._model_cache[1]
        from trainer.models import model_from_state
        model = model_from_state(self.experiment, self.result.state)
        self._model_cache = (id(self.result), model)
        return model

    # -- frames (GUI thread) ---------------------------------------------------------------
    @Slot()
    def _frame(self) -> None:
        """Emit what arrived since the last frame, coalesced; end the run when its last message came."""
        if not self._inbox:
            return
        events: list[Any] = []
        end = None
        while self._inbox:
            message = self._inbox.popleft()
            if message[0] == "events":
                events.extend(message[1])
            else:
                end = message
                break
        if events:
            self._emit(events)
        if end is not None:
            self._end(end)

    def _emit(self, events: list[Any]) -> None:
        started = new_best = snap = diagram = prog = div = fin = None
        epochs: list[EpochEnd] = []
        keyframes: list[Keyframe] = []
        for ev in events:
            if isinstance(ev, EpochEnd):
                epochs.append(ev)
            elif isinstance(ev, Keyframe):
                keyframes.append(ev)
            elif isinstance(ev, Snapshot):
                snap = ev
                if ev.weights or ev.neurons:
                    diagram = ev
            elif isinstance(ev, (BatchProgress, DataProgress)):
                prog = ev
            elif isinstance(ev, NewBest):
                new_best = ev
            elif isinstance(ev, Started):
                started = ev
            elif isinstance(ev, Diverged):
                div = ev
            elif isinstance(ev, Finished):
                fin = ev
        self.frames += 1
        self._pace()
        if started is not None:
            self.started.emit(started)
        if prog is not None:
            self.progress.emit(prog)
        if epochs:
            self.history.extend(epochs)
            self.epochs.emit(epochs)
        if keyframes:
            self.keyframes.emit(keyframes)
        if new_best is not None:
            self.newBest.emit(new_best)
        if snap is not None:
            if diagram is not None and diagram is not snap:
                # The loop sends weights twice a second; a newer boundary in the same frame must not drop them.
                snap = dataclasses.replace(snap, weights=diagram.weights, neurons=diagram.neurons)
            self.snapshot.emit(snap)
        if div is not None:
            self.diverged.emit(div)
        if fin is not None:
            self.result = fin
            self.finished.emit(fin)

    def _pace(self) -> None:
        """Space the frames so the GUI thread's work stays within the pacing's gui_share of the time.

        The GUI thread's CPU time since the last frame counts all its work of one frame: the views'
        slots, their repaints, the status bar. Slower views get fewer, larger frames.
        """
        cpu = time.thread_time()
        frame_ms = (cpu - self._cpu_at_frame) * 1000.0
        self._cpu_at_frame = cpu
        p = self.pacing
        self._timer.setInterval(int(min(max(frame_ms / p.gui_share, p.frame_ms), p.max_frame_ms)))

    def _end(self, message: tuple) -> None:
        link, self._link = self._link, None
        self._timer.stop()
        self._inbox.clear()
        if link is not None:
            link.end(5.0)
        self._set_state("idle")
        if message[0] == "error":
            where = f"in the training process (pid {link.proc.pid})" if isinstance(link, _ProcessLink) else \
                "on the app's training thread"
            if len(message) > 3 and message[3]:   # e.g. MNIST not found: the user's words are the whole story
                log.warning("training stopped %s: %s", where, message[1])
            else:
                log.error("training failed %s: %s\n%s", where, message[1], message[2])
            self.failed.emit(message[1])
        elif message[0] == "died":
            log.error("training failed: %s", message[1])
            self.failed.emit(message[1])
        self.ended.emit()


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Spin the Qt event loop until predicate() or the timeout (for --self-test, scripts and tests)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


__all__ = ["TrainingClient", "running_threads", "wait_until"]
