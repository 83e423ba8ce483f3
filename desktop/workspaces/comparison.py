"""The MNIST tab's architecture comparison: several experiments trained one after another.

It owns a training session of its own, so the playground's model is left alone; each run starts
when the previous one has ended. What it learns goes to a ComparisonView (desktop/views), which
only draws. Stop ends the current run (its result still counts, marked "stopped") and cancels
the rest; a failed run cancels the rest too (the next would fail the same way).
"""
from __future__ import annotations

import math
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from trainer.config import ConfigError, Experiment
from trainer.events import EpochEnd, Finished, Started

from .. import dialogs
from ..training import TrainingClient
from ..views.comparison import ComparisonView, layers_text

DEFAULT_PRESETS = ("mnist-small", "mnist-medium", "mnist-deep")


def mnist_presets() -> list[tuple[str, Experiment]]:
    """The lesson presets on MNIST, by name (an unreadable one is left out)."""
    from trainer.presets import load_preset, names
    out = []
    for name in names():
        try:
            exp = load_preset(name)
        except ConfigError:
            continue
        if exp.data.name == "mnist":
            out.append((name, exp))
    return out


class ArchitectureComparison(QObject):
    """Trains the presets checked in its view one after another; one results row per run."""

    runStarted = Signal(str)       # the experiment's name
    allDone = Signal()             # the queue is empty (finished, stopped or failed)

    def __init__(self, view: ComparisonView, root: Callable[[], str | None] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.view = view
        self._root = root or (lambda: None)
        self.session = TrainingClient(self)
        self.session.record_bytes = 0   # a comparison keeps curves and figures, no timeline
        self._queue: list[Experiment] = []
        self._current: Experiment | None = None
        self._drawing = False          # the current run has its curve (it has started)
        self._results: list[dict[str, Any]] = []
        self._stopping = False

        view.set_choices(mnist_presets(), checked=DEFAULT_PRESETS)
        view.runRequested.connect(self.start)
        view.stopRequested.connect(self.stop)
        s = self.session
        s.started.connect(self._on_started)
        s.epochs.connect(self._on_epochs)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._on_failed)
        s.ended.connect(self._next)
        self._update_view()

    # -- commands -------------------------------------------------------------------------
    def experiments(self) -> list[Experiment]:
        """The checked presets with the chosen epochs and the Dataset dock's MNIST folder."""
        from trainer.presets import load_preset
        out = []
        root = self._root()
        epochs = self.view.epochs_override()
        for name in self.view.checked_presets():
            overrides: dict[str, Any] = {"data.root": root}
            if epochs:
                overrides["train.epochs"] = epochs
            out.append(load_preset(name).with_overrides(overrides))
        return out

    def start(self) -> bool:
        """Run the checked presets; False (with the reason shown) when nothing is checked or a run is going."""
        try:
            exps = self.experiments()
        except ConfigError as exc:
            self.view.set_status(f"Cannot run: {exc}")
            return False
        if not exps:
            self.view.set_status("Check at least one architecture first.")
            return False
        return self.run(exps)

    def run(self, experiments: list[Experiment]) -> bool:
        """Train these one after another; clears the previous comparison."""
        if self.session.is_running() or not experiments:
            return False
        self._queue = list(experiments)
        self._results.clear()
        self.view.clear()
        self._stopping = False
        self._next()
        return True

    def stop(self) -> None:
        """Stop the current run and drop the ones still waiting."""
        if self._queue or self.session.is_running():
            self._stopping = True
            cancelled = len(self._queue)
            self._queue.clear()
            self.session.stop()
            if cancelled:
                self.view.set_status(f"Stopping; {cancelled} run{'s' if cancelled > 1 else ''} cancelled.")
        self._update_view()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop everything and wait for the training to end (the window is closing)."""
        self._queue.clear()
        self._stopping = True
        return self.session.shutdown(timeout_ms)

    def is_running(self) -> bool:
        return self.session.is_running() or bool(self._queue)

    def results(self) -> list[dict[str, Any]]:
        """One dict per finished run, in the order they ran."""
        return [dict(r) for r in self._results]

    # -- the chain ------------------------------------------------------------------------
    def _next(self) -> None:
        if self.session.is_running():
            return
        if not self._queue:
            self._current = None
            n = len(self._results)
            if not self._stopping and self._results:
                best = max(self._results, key=lambda r: r["test_acc"])
                self.view.set_status(f"Done: {n} runs. Best on the test set: {best['name']} "
                                     f"({best['test_acc']:.2f}%).")
            elif self._stopping:
                self.view.set_status(f"Stopped after {n} run{'s' if n != 1 else ''}.")
            self._update_view()
            if self._results or self._stopping:
                self.allDone.emit()
            return
        exp = self._queue.pop(0)
        self._current = exp
        self._drawing = False
        self.session.start(exp)
        total = len(self._results) + len(self._queue) + 1
        self.view.set_status(f"Run {len(self._results) + 1} of {total}: {exp.name} — loading MNIST…")
        self._update_view()
        self.runStarted.emit(exp.name)

    def _on_started(self, ev: Started) -> None:
        exp = self._current
        if exp is None:
            return
        self._drawing = True
        self.view.begin_curve(f"{exp.name}: {ev.params:,} params")
        total = len(self._results) + len(self._queue) + 1
        self.view.set_status(f"Run {len(self._results) + 1} of {total}: {exp.name} ({ev.epochs:,} epochs)…")

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        if self._drawing:
            self.view.extend_curve(e.val_acc for e in evs)

    def _on_finished(self, ev: Finished) -> None:
        exp = self._current
        if exp is None:
            return
        vals = [h["val_acc"] for h in ev.history if h.get("val_acc") is not None]
        test = float(ev.metrics.get("test_accuracy", math.nan))
        name = exp.name + (" (stopped)" if ev.reason == "stopped" else "")
        row = {"name": name, "experiment": exp.name, "params": int(ev.params), "epochs": int(ev.epochs_run),
               "best_val_acc": max(vals) if vals else math.nan, "test_acc": test, "seconds": float(ev.seconds),
               "reason": ev.reason, "val_acc": list(vals), "layers": layers_text(exp)}
        self._results.append(row)
        self.view.add_row(row)
        if self._drawing:
            self.view.end_curve(f"{exp.name}: test {test:.1f}%, {ev.params:,} params")

    def _on_failed(self, message: str) -> None:
        cancelled = len(self._queue)
        self._queue.clear()     # the next preset would fail the same way (MNIST missing, ...)
        self._stopping = True
        self.view.set_status(f"The comparison stopped: {message}")
        dialogs.show_error(self.view, "The comparison could not run",
                           message + (f"\n\n{cancelled} more run{'s were' if cancelled > 1 else ' was'} cancelled."
                                      if cancelled else ""))

    def _update_view(self) -> None:
        self.view.set_running(self.is_running())


__all__ = ["ArchitectureComparison", "DEFAULT_PRESETS", "mnist_presets"]
