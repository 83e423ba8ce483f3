"""Architecture comparison (the seed's phase 6): the picks, the overlaid curves and the results table.

A view only: whoever runs the comparison (desktop.workspaces.comparison) gives it the presets to
offer, starts a curve per run, feeds it validation accuracies and adds a row per finished run.
One colour per run; the legend gains the test accuracy and parameter count when a run finishes.
Run and Stop are requests (runRequested, stopRequested); the view trains nothing itself.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from trainer.config import Experiment, input_dim

from .colors import BLUE, CLASS_COLORS, INK, ORANGE

COLUMNS = ("Experiment", "Params", "Epochs", "Best val %", "Test %", "Seconds", "s / epoch")
# blue, orange, then the class colours: the first two runs match the rest of the app's palette
PALETTE = (BLUE, ORANGE) + tuple(c for c in CLASS_COLORS if c not in (BLUE, ORANGE))


def layers_text(exp: Experiment) -> str:
    """'784→256→128→10' from an experiment's Linear layers; a CNN's convolutions and pools come first
    ('conv16→pool→conv32→pool→128→10')."""
    from trainer.config import n_classes
    from trainer.shapes import is_cnn
    parts: list[str] = [] if is_cnn(exp) else [str(input_dim(exp.data))]
    for layer in exp.model.layers:
        if layer.kind == "linear":
            parts.append(str(layer.units))
        elif layer.kind == "conv2d":
            parts.append(f"conv{layer.channels}")
        elif layer.kind in ("maxpool2d", "avgpool2d"):
            parts.append("pool")
    return "→".join(parts + [str(n_classes(exp.data))])


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
    """Preset check boxes, epochs, Run / Stop; validation-accuracy curves, legend and a results table."""

    runRequested = Signal()        # Run pressed
    stopRequested = Signal()       # Stop pressed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._curve: Any = None
        self._val: list[float] = []
        self._color = 0

        self.choices = QListWidget()
        self.choices.setToolTip("The experiments to compare (the MNIST lesson presets)")
        # a wrapping row of check boxes: five presets fit in two lines
        self.choices.setFlow(QListView.Flow.LeftToRight)
        self.choices.setWrapping(True)
        self.choices.setResizeMode(QListView.ResizeMode.Adjust)
        self.choices.setSpacing(2)
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 100_000)
        self.epochs.setSpecialValueText("as the preset")
        self.epochs.setValue(0)
        self.epochs.setToolTip("Epochs for every run; 'as the preset' keeps each one's own (100 in the seed)")
        self.run_button = QPushButton("Run comparison")
        self.run_button.setToolTip("Train the checked experiments one after another")
        self.run_button.clicked.connect(self.runRequested)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the current run and cancel the rest")
        self.stop_button.clicked.connect(self.stopRequested)
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
        self.set_running(False)

    # -- what to compare ------------------------------------------------------------------
    def set_choices(self, choices: Iterable[tuple[str, Experiment]], checked: Iterable[str] = ()) -> None:
        """Offer these (name, experiment) pairs as check boxes; `checked` names the ones ticked."""
        checked = set(checked)
        self.choices.clear()
        for name, exp in choices:
            item = QListWidgetItem(f"{name}  ({layers_text(exp)})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(exp.description)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
            self.choices.addItem(item)
        self.choices.setFixedHeight(2 * (self.choices.sizeHintForRow(0) + 4) + 8)   # two rows of boxes

    def checked_presets(self) -> list[str]:
        return [self.choices.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.choices.count())
                if self.choices.item(i).checkState() == Qt.CheckState.Checked]

    def epochs_override(self) -> int:
        """The epochs chosen for every run; 0 keeps each preset's own."""
        return self.epochs.value()

    # -- what happened ----------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the previous comparison: no curves, no rows, colours from the first again."""
        self.table.setRowCount(0)
        self.plot.getPlotItem().clear()
        self.legend.clear()
        self._color = 0
        self._curve = None

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_running(self, running: bool) -> None:
        """Lock the picks and offer Stop while a comparison runs."""
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.choices.setEnabled(not running)
        self.epochs.setEnabled(not running)

    def begin_curve(self, label: str) -> None:
        """A new run's curve, in the next colour, named `label` in the legend."""
        color = PALETTE[self._color % len(PALETTE)]
        self._color += 1
        self._val = []
        self._curve = self.plot.plot([], [], pen=pg.mkPen(color, width=2), name=label)

    def extend_curve(self, val_acc: Iterable[float | None]) -> None:
        """Append validation accuracies (None: not measured) to the current run's curve."""
        if self._curve is None:
            return
        self._val.extend(math.nan if v is None else float(v) for v in val_acc)
        self._curve.setData(np.arange(len(self._val)), np.asarray(self._val, dtype=float))

    def end_curve(self, label: str) -> None:
        """Rename the current run's curve in the legend (with its result); the next run gets a new one."""
        if self._curve is not None:
            for sample, text in self.legend.items:
                if sample.item is self._curve:
                    text.setText(label)
            self.legend.updateSize()

    def add_row(self, r: dict[str, Any]) -> None:
        """One finished run: name, layers, reason, params, epochs, best_val_acc, test_acc, seconds."""
        self.table.setSortingEnabled(False)   # inserting into a sorted table scatters the cells of a row
        i = self.table.rowCount()
        self.table.insertRow(i)
        first = _SortItem(r["name"], r["name"])
        first.setToolTip(f"{r['layers']}, {r['reason'].replace('_', ' ')}")
        # wall time over the epochs run (validation included): the cost of one pass, model against model
        per_epoch = r["seconds"] / max(r["epochs"], 1)
        cells = (first,
                 _SortItem(f"{r['params']:,}", r["params"]),
                 _SortItem(f"{r['epochs']:,}", r["epochs"]),
                 _SortItem(_pct(r["best_val_acc"]), _key(r["best_val_acc"])),
                 _SortItem(_pct(r["test_acc"]), _key(r["test_acc"])),
                 _SortItem(f"{r['seconds']:.1f}", r["seconds"]),
                 _SortItem(f"{per_epoch:.2f}", per_epoch))
        for c, cell in enumerate(cells):
            self.table.setItem(i, c, cell)
        self.table.setSortingEnabled(True)

    def table_rows(self) -> list[list[str]]:
        """The table's text as shown (after any sorting)."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]


def _pct(v: float) -> str:
    return f"{v:.2f}" if math.isfinite(v) else "–"


def _key(v: float) -> float:
    return v if math.isfinite(v) else -1.0


__all__ = ["COLUMNS", "ComparisonView", "layers_text"]
