"""Architecture comparison (the seed's phase 6): several experiments trained one after another.

It owns a TrainingSession of its own, so the playground's model is left alone;
each run starts when the previous one's thread has ended. Validation accuracy
per epoch is overlaid, one colour per run, and the legend gains the test
accuracy and parameter count when a run finishes. Stop ends the current run
(its result still counts, marked "stopped") and cancels the rest.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from trainer.config import ConfigError, Experiment, input_dim
from trainer.events import EpochEnd, Finished, Started

from .. import dialogs
from ..session import TrainingSession
from .colors import BLUE, CLASS_COLORS, INK, ORANGE

DEFAULT_PRESETS = ("mnist-small", "mnist-medium", "mnist-deep")
COLUMNS = ("Experiment", "Params", "Epochs", "Best val %", "Test %", "Seconds")
# blue, orange, then the class colours: the first two runs match the rest of the app's palette
PALETTE = (BLUE, ORANGE) + tuple(c for c in CLASS_COLORS if c not in (BLUE, ORANGE))


def layers_text(exp: Experiment) -> str:
    """'784→256→128→10' from an experiment's Linear layers."""
    from trainer.config import n_classes
    units = [input_dim(exp.data)] + [layer.units for layer in exp.model.layers if layer.kind == "linear"]
    return "→".join(str(u) for u in units + [n_classes(exp.data)])


class _SortItem(QTableWidgetItem):
    """A cell that shows text but sorts by a number (QTableWidget sorts strings otherwise: '9' > '10')."""

    def __init__(self, text: str, key: float | str):
        super().__init__(text)
        self.key = key
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)
        if not isinstance(key, str):
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.key, getattr(other, "key", other.text())
        if isinstance(mine, str) or isinstance(theirs, str):
            return str(mine) < str(theirs)
        return mine < theirs


class ComparisonView(QWidget):
    """Pick presets, Run: one experiment after another in the worker; curves, legend and a results table."""

    runStarted = Signal(str)       # the experiment's name
    allDone = Signal()             # the queue is empty (finished, stopped or failed)

    def __init__(self, root: Callable[[], str | None] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self._root = root or (lambda: None)
        self.session = TrainingSession(self)
        self._queue: list[Experiment] = []
        self._current: Experiment | None = None
        self._curve: Any = None
        self._val: list[float] = []
        self._params = 0
        self._results: list[dict[str, Any]] = []
        self._stopping = False
        self._color = 0

        from trainer.presets import load_preset, names
        self.choices = QListWidget()
        self.choices.setToolTip("The experiments to compare (the MNIST lesson presets)")
        for name in names():
            try:
                exp = load_preset(name)
            except ConfigError:
                continue
            if exp.data.name != "mnist":
                continue
            item = QListWidgetItem(f"{name}  ({layers_text(exp)})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(exp.description)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in DEFAULT_PRESETS else Qt.CheckState.Unchecked)
            self.choices.addItem(item)
        # a wrapping row of check boxes: five presets fit in two lines
        self.choices.setFlow(QListView.Flow.LeftToRight)
        self.choices.setWrapping(True)
        self.choices.setResizeMode(QListView.ResizeMode.Adjust)
        self.choices.setSpacing(2)
        self.choices.setFixedHeight(2 * (self.choices.sizeHintForRow(0) + 4) + 8)

        self.epochs = QSpinBox()
        self.epochs.setRange(0, 100_000)
        self.epochs.setSpecialValueText("as the preset")
        self.epochs.setValue(0)
        self.epochs.setToolTip("Epochs for every run; 'as the preset' keeps each one's own (100 in the seed)")
        self.run_button = QPushButton("Run comparison")
        self.run_button.setToolTip("Train the checked experiments one after another")
        self.run_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the current run and cancel the rest")
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel("Check the experiments to compare and press Run.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)

        # controls on top, so the curves and the table get the tab's whole width
        row = QHBoxLayout()
        row.addWidget(QLabel("Epochs"))
        row.addWidget(self.epochs)
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.status, 1)
        controls = QVBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.choices)
        controls.addLayout(row)

        self.plot = pg.PlotWidget(background="w")
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setLabel("left", "validation accuracy (%)", color="#282828")
        item.setLabel("bottom", "epoch", color="#282828")
        item.setTitle("Architecture comparison on MNIST", color="#282828")
        item.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            item.getAxis(axis).setTextPen(INK)
            item.getAxis(axis).setPen(pg.mkPen(150, 150, 150))
        # bottom right: accuracy curves rise to the top, so that corner stays free
        self.legend = item.addLegend(offset=(-6, -6), labelTextColor=INK, brush=pg.mkBrush(255, 255, 255, 220),
                                     pen=pg.mkPen(200, 200, 200))

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in range(len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 4
                                    + header.sizeHint().height() + 4)
        self.table.setToolTip("Click a column title to sort")

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(split, 1)

        s = self.session
        s.started.connect(self._on_started)
        s.epochs.connect(self._on_epochs)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._on_failed)
        s.ended.connect(self._next)
        self._update_buttons()

    # -- commands -------------------------------------------------------------------------
    def checked_presets(self) -> list[str]:
        return [self.choices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.choices.count())
                if self.choices.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked(self, names: list[str] | tuple[str, ...]) -> None:
        for i in range(self.choices.count()):
            item = self.choices.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in names
                               else Qt.CheckState.Unchecked)

    def experiments(self) -> list[Experiment]:
        """The checked presets with the chosen epochs and the Dataset dock's MNIST folder."""
        from trainer.presets import load_preset
        out = []
        root = self._root()
        for name in self.checked_presets():
            overrides: dict[str, Any] = {"data.root": root}
            if self.epochs.value():
                overrides["train.epochs"] = self.epochs.value()
            out.append(load_preset(name).with_overrides(overrides))
        return out

    def start(self) -> bool:
        """Run the checked presets; False (with the reason shown) when nothing is checked or a run is going."""
        try:
            exps = self.experiments()
        except ConfigError as exc:
            self.status.setText(f"Cannot run: {exc}")
            return False
        if not exps:
            self.status.setText("Check at least one architecture first.")
            return False
        return self.run(exps)

    def run(self, experiments: list[Experiment]) -> bool:
        """Train these one after another; clears the previous comparison."""
        if self.session.is_running() or not experiments:
            return False
        self._queue = list(experiments)
        self._results.clear()
        self.table.setRowCount(0)
        self.plot.getPlotItem().clear()
        self.legend.clear()
        self._color = 0
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
                self.status.setText(f"Stopping; {cancelled} run{'s' if cancelled > 1 else ''} cancelled.")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop everything and wait for the thread (the window is closing)."""
        self._queue.clear()
        self._stopping = True
        return self.session.shutdown(timeout_ms)

    def is_running(self) -> bool:
        return self.session.is_running() or bool(self._queue)

    def results(self) -> list[dict[str, Any]]:
        """One dict per finished run, in the order they ran."""
        return [dict(r) for r in self._results]

    def table_rows(self) -> list[list[str]]:
        """The table's text as shown (after any sorting)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    # -- the chain ------------------------------------------------------------------------
    def _next(self) -> None:
        if self.session.is_running():
            return
        if not self._queue:
            self._current = None
            if not self._stopping and self._results:
                best = max(self._results, key=lambda r: r["test_acc"])
                self.status.setText(f"Done: {len(self._results)} runs. Best on the test set: {best['name']} "
                                    f"({best['test_acc']:.2f}%).")
            elif self._stopping:
                self.status.setText(f"Stopped after {len(self._results)} run{'s' if len(self._results) != 1 else ''}.")
            self._update_buttons()
            if self._results or self._stopping:
                self.allDone.emit()
            return
        exp = self._queue.pop(0)
        self._current = exp
        self._val = []
        self._curve = None
        self.session.start(exp)
        total = len(self._results) + len(self._queue) + 1
        self.status.setText(f"Run {len(self._results) + 1} of {total}: {exp.name} — loading MNIST…")
        self._update_buttons()
        self.runStarted.emit(exp.name)

    def _on_started(self, ev: Started) -> None:
        exp = self._current
        if exp is None:
            return
        self._params = ev.params
        color = PALETTE[self._color % len(PALETTE)]
        self._color += 1
        self._curve = self.plot.plot([], [], pen=pg.mkPen(color, width=2), name=f"{exp.name}: {ev.params:,} params")
        total = len(self._results) + len(self._queue) + 1
        self.status.setText(f"Run {len(self._results) + 1} of {total}: {exp.name} ({ev.epochs:,} epochs)…")

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        if self._curve is None:
            return
        self._val.extend(float("nan") if e.val_acc is None else e.val_acc for e in evs)
        self._curve.setData(np.arange(len(self._val)), np.asarray(self._val, dtype=float))

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
        self._add_row(row)
        if self._curve is not None:
            label = f"{exp.name}: test {test:.1f}%, {ev.params:,} params"
            for sample, text in self.legend.items:
                if sample.item is self._curve:
                    text.setText(label)
            self.legend.updateSize()

    def _add_row(self, r: dict[str, Any]) -> None:
        self.table.setSortingEnabled(False)   # inserting into a sorted table scatters the cells of a row
        i = self.table.rowCount()
        self.table.insertRow(i)
        first = _SortItem(r["name"], r["name"])
        first.setToolTip(f"{r['layers']}, {r['reason'].replace('_', ' ')}")
        cells = (first,
                 _SortItem(f"{r['params']:,}", r["params"]),
                 _SortItem(f"{r['epochs']:,}", r["epochs"]),
                 _SortItem(_pct(r["best_val_acc"]), _key(r["best_val_acc"])),
                 _SortItem(_pct(r["test_acc"]), _key(r["test_acc"])),
                 _SortItem(f"{r['seconds']:.1f}", r["seconds"]))
        for c, cell in enumerate(cells):
            self.table.setItem(i, c, cell)
        self.table.setSortingEnabled(True)

    def _on_failed(self, message: str) -> None:
        cancelled = len(self._queue)
        self._queue.clear()     # the next preset would fail the same way (MNIST missing, ...)
        self._stopping = True
        self.status.setText(f"The comparison stopped: {message}")
        dialogs.show_error(self, "The comparison could not run",
                           message + (f"\n\n{cancelled} more run{'s were' if cancelled > 1 else ' was'} cancelled."
                                      if cancelled else ""))

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.choices.setEnabled(not running)
        self.epochs.setEnabled(not running)


def _pct(v: float) -> str:
    return f"{v:.2f}" if math.isfinite(v) else "–"


def _key(v: float) -> float:
    return v if math.isfinite(v) else -1.0


__all__ = ["ComparisonView", "DEFAULT_PRESETS", "layers_text"]
