"""TrainingSession: runs `trainer.loop.train` on a QThread and re-emits its events as Qt signals.

The thread, the deque and the draining timer are desktop.runner.ThreadRunner's.
This module decides what one drain is: a frame. The timer ticks every 80-90 ms,
so the views update at ~12 frames a second however fast epochs run; every
EpochEnd is delivered, the other events of a frame are coalesced to the newest.
"""
from __future__ import annotations

import dataclasses
import logging
import time
import weakref
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trainer.config import Experiment
from trainer.control import Control
from trainer.events import (BatchProgress, DataProgress, Diverged, EpochEnd, Finished, NewBest, Snapshot,
                            Started)

from .runner import EventSource, ThreadRunner, count_running
from .runner import error_message  # noqa: F401  (the views and dialogs import it from here)

# Each flush is one frame: the views update and repaint once. Painting holds the GIL the training
# thread needs (PySide6 keeps it while Qt calls the Python paint methods), so frames are few and paced:
FLUSH_MS = 80             # at most 12.5 frames a second...
MAX_FLUSH_MS = 90         # ...and at least 11, so the boundary still moves at >= 10 Hz
GUI_SHARE = 0.15          # the views may use this share of the time; training keeps the rest
# A boundary a little more often than frames, so every frame has a new one (12.5 Hz, above the 10 the
# eye wants); each costs the worker a grid through the model and the GUI thread a repaint.
SNAPSHOT_EVERY_S = 0.07
# Weights and neuron maps (the network diagram, the neuron view) come at most this often, and whenever a
# run pauses; the other snapshots carry only the boundary. A diagram update costs several boundary repaints.
DIAGRAM_EVERY_S = 0.5


def running_threads() -> int:
    """How many training threads are still running, in every session (tests check it is 0)."""
    return count_running(TrainingSession.registry)


class TrainingSession(ThreadRunner):
    """One training run at a time, driven from the GUI thread; see docs/gui-contract."""

    registry: "weakref.WeakSet[QThread]" = weakref.WeakSet()
    label = "training"
    log = logging.getLogger(__name__)
    # Train in a child process (desktop/process.py): the window's drawing then costs the training
    # nothing. False trains on the QThread itself (tests that replace trainer.loop.train use it).
    in_process = True

    started = Signal(object)        # trainer.events.Started
    epochs = Signal(object)         # list[EpochEnd], every epoch exactly once, in order
    snapshot = Signal(object)       # latest Snapshot of the tick
    progress = Signal(object)       # latest DataProgress | BatchProgress of the tick
    newBest = Signal(object)        # latest NewBest of the tick
    diverged = Signal(object)       # Diverged
    finished = Signal(object)       # Finished: the last signal of a run that was not failed
    failed = Signal(str)            # a message for a dialog
    stateChanged = Signal(str)      # "idle" | "running" | "paused"
    ended = Signal()                # the thread is done, whatever happened (after finished / failed)

    def __init__(self, parent: QObject | None = None):
        super().__init__(FLUSH_MS, parent)
        self._state = "idle"
        self.experiment: Experiment | None = None
        self.result: Finished | None = None
        self.history: list[EpochEnd] = []     # every EpochEnd of the current / last run
        self.emits = 0                        # signal batches sent, for the rate checks in bench/
        self._model_cache: tuple[int, Any] | None = None
        self._cpu_at_flush = 0.0               # the GUI thread's CPU clock at the last flush

    # -- state ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    # -- commands ---------------------------------------------------------------------
    def start(self, experiment: Experiment, paused_after_first: bool = False) -> None:
        """Train `experiment` on a new thread; raises RuntimeError when a run is already going."""
        if self.is_running():
            raise RuntimeError("a training run is already in progress")
        self.experiment = experiment
        self.result = None
        self.history = []
        self._model_cache = None
        if self.in_process:
            from .process import RemoteControl
            control: Control = RemoteControl()
            source = _relayed(experiment)
        else:
            control, source = Control(), _training(experiment)
        if paused_after_first:
            control.step()
        self._cpu_at_flush = time.thread_time()
        self._launch(source, control, "np-training")
        self._set_state("paused" if paused_after_first else "running")

    def pause(self) -> None:
        if self.is_running():
            self._control.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.is_running():
            self._control.resume()
            self._set_state("running")

    def step(self) -> None:
        """Run one more epoch, then pause (the caller starts a run first when idle)."""
        if self.is_running():
            self._control.step()
            self._set_state("paused")

    def _after_shutdown(self) -> None:
        self._state = "idle"   # the window is closing: no signal

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

    # -- the GUI-thread side -------------------------------------------------------------
    @Slot()
    def _flush(self) -> None:
        """Drain what the worker produced since the last tick and emit it, coalesced."""
        if not self._queue:
            return
        started = new_best = snap = diagram = prog = div = fin = None
        epochs: list[EpochEnd] = []
        for ev in self._take():
            if isinstance(ev, EpochEnd):
                epochs.append(ev)
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
        self.emits += 1
        self._pace()
        if started is not None:
            self.started.emit(started)
        if prog is not None:
            self.progress.emit(prog)
        if epochs:
            self.history.extend(epochs)
            self.epochs.emit(epochs)
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
        """Space the frames so the GUI thread's work stays within GUI_SHARE of the time.

        The GUI thread's CPU time since the last flush counts all its work of one frame: the views'
        slots, their repaints, the status bar. Painting holds the GIL, so a tiny model trains
        slower by about that share; slower views get fewer, larger frames.
        """
        cpu = time.thread_time()
        frame_ms = (cpu - self._cpu_at_flush) * 1000.0
        self._cpu_at_flush = cpu
        self._timer.setInterval(int(min(max(frame_ms / GUI_SHARE, FLUSH_MS), MAX_FLUSH_MS)))

    def _ended(self, error: str | None) -> None:
        self._set_state("idle")
        if error is not None:
            self.failed.emit(error)
        self.ended.emit()


def _options():
    from trainer.loop import LoopOptions
    # Read per run: bench/boundary.py turns the live pictures off through SNAPSHOT_EVERY_S.
    return LoopOptions(snapshot_every_s=SNAPSHOT_EVERY_S, diagram_every_s=DIAGRAM_EVERY_S)


def _training(experiment: Experiment) -> EventSource:
    """The loop on the worker thread itself, with the session's live-picture rate."""
    def source(control: Control):
        from trainer.loop import train   # on the worker thread; tests may replace train
        yield from train(experiment, control, _options())
    return source


def _relayed(experiment: Experiment) -> EventSource:
    """The loop in a child process; the worker thread relays its events."""
    def source(control):
        from .process import relay
        yield from relay(experiment, _options(), control)
    return source


def wait_until(predicate, timeout_s: float) -> bool:
    """Spin the Qt event loop until predicate() or the timeout (for --self-test and scripts)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


def snapshot_of(model, experiment: Experiment, splits) -> Snapshot | None:
    """A Snapshot of a model that was not trained here (a loaded checkpoint), as the loop draws one.

    Runs on the GUI thread: only for the small 1-D / 2-D models whose pictures cost milliseconds.
    """
    if splits is None or splits.input_dim > 2:
        return None
    from trainer.config import resolved_loss
    from trainer.loop import LoopOptions
    from trainer.models import param_count
    from trainer.plane import Plane, extent_of
    model.eval()
    return Plane(extent_of(splits)).snapshot(model, 0, resolved_loss(experiment), splits.input_dim,
                                             diagram=param_count(model) <= LoopOptions().weights_max_params)
