"""Views for tables of more than two inputs (issue 17): a plane of the data, predicted vs actual,
the test rows the model gets most wrong.

They draw numbers that trainer.tabular.plane computes (a PlaneView, predicted and actual targets,
WrongRow records); desktop/tabular/ hands those over and decides when. Classes are shown by their
names (a CSV's text labels, iris' species), never as bare indices.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .colors import INK, LABEL, class_color, class_qcolor, diverging_rgba, probability_rgba, style_axes

SHOWN_MAX = 2_000      # the most rows the plane draws (desktop.experiment_form draws as many)
PART_SYMBOLS = (("train", "o", "training"), ("val", "d", "validation"), ("test", "t1", "test"))
NOTE_STYLE = "color: #444; font-size: 9pt"
HELD_TITLE = "The other inputs are held at their training means"   # on the plot itself; the note says more


def _value_brushes(values: np.ndarray, lo: float, hi: float) -> list:
    """A regression target's values on the diverging scale (low orange, high blue)."""
    mid, half = (lo + hi) / 2, max((hi - lo) / 2, 1e-12)
    rgba = diverging_rgba((np.asarray(values, dtype=np.float64) - mid) / half)
    return [pg.mkBrush(*(int(c) for c in px[:3])) for px in rgba.reshape(-1, 4)]


def legend_html(class_names: tuple[str, ...]) -> str:
    """The classes by name, each in its colour (the plane's legend)."""
    spans = [f'<span style="color: rgb{class_color(i)}">●</span>&nbsp;{_escape(name)}'
             for i, name in enumerate(class_names)]
    return "&nbsp;&nbsp; ".join(spans)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TablePlaneView(QWidget):
    """The data in a plane the user picks (two features, or two principal components) over the
    model's prediction there; the other inputs are held at their training means, as the note says."""

    planeChosen = Signal(object)   # noqa: N815 -- a trainer.tabular.plane.PlaneChoice

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = QComboBox()
        self.picker.setObjectName("planePicker")
        self.picker.setToolTip("Which plane of the inputs to draw: the two directions along which the data varies "
                               "most (principal components), or any two features")
        self.picker.currentIndexChanged.connect(self._on_pick)
        self.legend = QLabel(" ")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(QLabel("Plane:"))
        top.addWidget(self.picker, 1)
        top.addSpacing(12)
        top.addWidget(self.legend)

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot_widget.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        style_axes(self.plot, "", "")
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.plot.addItem(self.image_item)
        white, dark = pg.mkPen(255, 255, 255, 230, width=1), pg.mkPen(40, 40, 40, 200, width=1)
        self.scatters = {key: pg.ScatterPlotItem(symbol=symbol, size=8, pen=white if key == "train" else dark)
                         for key, symbol, _ in PART_SYMBOLS}
        for z, item in enumerate(self.scatters.values()):
            item.setZValue(z)
            self.plot.addItem(item)
        self.note = QLabel("")
        self.note.setObjectName("planeNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(NOTE_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 2)
        bottom.addWidget(self.note, 1)
        bottom.addWidget(QLabel("● train  ◆ validation  ▲ test"))
        layout.addLayout(bottom)
        self._choices: list[Any] = []
        self._view: Any = None

    def set_choices(self, choices: list[tuple[str, Any]]) -> None:
        """The planes offered ((label, PlaneChoice), the first chosen); keeps the choice when it is still offered."""
        same = [label for label, _ in choices] == [self.picker.itemText(i) for i in range(self.picker.count())]
        keep = self.choice() if same else None   # other features: the same indices are other columns
        self._choices = [c for _, c in choices]
        self.picker.blockSignals(True)
        self.picker.clear()
        for label, _ in choices:
            self.picker.addItem(label)
        self.picker.setCurrentIndex(self._choices.index(keep) if keep in self._choices else 0)
        self.picker.blockSignals(False)

    def choice(self) -> Any:
        i = self.picker.currentIndex()
        return self._choices[i] if 0 <= i < len(self._choices) else None

    def choose(self, label: str) -> None:
        """Pick the plane whose label is `label` (as a user would in the combo)."""
        i = self.picker.findText(label)
        if i < 0:
            raise ValueError(f"no plane {label!r}")
        self.picker.setCurrentIndex(i)

    def _on_pick(self, _index: int) -> None:
        if self.choice() is not None:
            self.planeChosen.emit(self.choice())

    def set_plane(self, view: Any, class_names: tuple[str, ...], regression: bool) -> None:
        """Draw a trainer.tabular.plane.PlaneView: the prediction image, the rows, the axes and the note."""
        self._view = view
        xmin, xmax, ymin, ymax = view.extent
        lo = hi = 0.0
        if regression:
            lo, hi = float(np.min(view.labels)), float(np.max(view.labels))
            mid, half = (lo + hi) / 2, max((hi - lo) / 2, 1e-12)
            rgba = diverging_rgba((view.values - mid) / half * 0.62)   # lighter than the points on it
            self.legend.setText(f'<span style="color: rgb{(245, 147, 34)}">■</span> low &nbsp;'
                                f'<span style="color: rgb{(8, 119, 189)}">■</span> high target')
        else:
            rgba = probability_rgba(view.probabilities)
            self.legend.setText(legend_html(class_names))
        h, w = rgba.shape[:2]
        dx, dy = (xmax - xmin) / max(w - 1, 1), (ymax - ymin) / max(h - 1, 1)
        self.image_item.setImage(rgba, autoLevels=False)
        self.image_item.setRect(QRectF(xmin - dx / 2, ymin - dy / 2, xmax - xmin + dx, ymax - ymin + dy))
        n = len(view.points)
        size = 9.0 if n <= 200 else 7.0
        # Each drawn point costs the GUI thread ~0.1 ms: an even sample of a big table (training uses all).
        shown = np.zeros(n, dtype=bool)
        shown[np.linspace(0, n - 1, min(n, SHOWN_MAX)).astype(np.int64)] = True
        for part, (key, _, _) in enumerate(PART_SYMBOLS):
            mask = (view.parts == part) & shown
            pts, labels = view.points[mask], view.labels[mask]
            brushes = (_value_brushes(labels, lo, hi) if regression
                       else [pg.mkBrush(class_color(int(c))) for c in labels])
            self.scatters[key].setData(x=pts[:, 0], y=pts[:, 1], brush=brushes, size=size + (key != "train"))
        self.plot.setLabel("bottom", view.axis_labels[0], color=LABEL)
        self.plot.setLabel("left", view.axis_labels[1], color=LABEL)
        held = "training means" in view.note
        self.plot.setTitle(HELD_TITLE if held else "", color=LABEL, size="9pt")
        self.note.setText(view.note)
        self._fit()

    def _fit(self) -> None:
        if self._view is not None:
            xmin, xmax, ymin, ymax = self._view.extent
            self.plot.getViewBox().setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.0)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._fit()   # drawn while its tab was hidden, the range was fitted to no size

    def clear(self, message: str = "") -> None:
        self._view = None
        self.image_item.clear()
        for item in self.scatters.values():
            item.setData(x=[], y=[])
        self.note.setText(message)
        self.plot.setTitle("")

    def plane(self) -> Any:
        """The PlaneView now drawn, or None."""
        return self._view


class PredictedActualView(QWidget):
    """A regression's test rows: the predicted target against the actual one, and the line where they agree."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        style_axes(self.plot, "actual", "predicted")
        self.plot.getViewBox().setAspectLocked(True, ratio=1.0)
        self.scatter = pg.ScatterPlotItem(symbol="o", size=8, pen=pg.mkPen(255, 255, 255, 230),
                                          brush=pg.mkBrush(class_color(1)))
        pen = pg.mkPen(QColor(*INK), width=1, style=Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.diagonal = pg.PlotDataItem(pen=pen)
        self.plot.addItem(self.diagonal)
        self.plot.addItem(self.scatter)
        self.summary = QLabel("Train a model to see its predictions on the test rows.")
        self.summary.setObjectName("scatterSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(NOTE_STYLE)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.summary)
        self._data: tuple[np.ndarray, np.ndarray] | None = None

    def set_values(self, actual: np.ndarray, predicted: np.ndarray, target: str, metrics: dict[str, Any]) -> None:
        """Draw the test rows; `metrics` gives test_rmse and test_r2 (in the target's units)."""
        actual, predicted = np.asarray(actual, np.float64), np.asarray(predicted, np.float64)
        self._data = (actual, predicted)
        self.scatter.setData(x=actual, y=predicted)
        both = np.concatenate([actual, predicted])
        lo, hi = float(both.min()), float(both.max())
        pad = (hi - lo) * 0.05 or 1.0
        self.diagonal.setData([lo - pad, hi + pad], [lo - pad, hi + pad])
        self.plot.setLabel("bottom", f"actual {target}", color=LABEL)
        self.plot.setLabel("left", f"predicted {target}", color=LABEL)
        rmse, r2 = metrics.get("test_rmse", math.nan), metrics.get("test_r2", math.nan)
        self.summary.setText(f"{len(actual)} test rows · RMSE {rmse:.4g} (in the units of {target}) · R² {r2:.3f}. "
                             "On the dashed line the prediction is exact; above it, too high.")
        self.plot.getViewBox().setRange(xRange=(lo - pad, hi + pad), yRange=(lo - pad, hi + pad), padding=0.0)

    def clear(self) -> None:
        self._data = None
        self.scatter.setData(x=[], y=[])
        self.diagonal.setData([], [])
        self.summary.setText("Train a model to see its predictions on the test rows.")

    def values(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(actual, predicted) now drawn, or None."""
        return self._data


class WorstRowsTable(QWidget):
    """The test rows the model gets most wrong, worst first, with their values as the file has them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.caption = QLabel("Train a model to see the test rows it gets most wrong.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(NOTE_STYLE)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("worstRows")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)

    def set_rows(self, rows: list[Any], features: tuple[str, ...], regression: bool, where: str,
                 class_names: tuple[str, ...] = ()) -> None:
        """WrongRow records; `where` says what the row numbers are (a file's lines, a dataset's rows)."""
        fixed = ["row", "actual", "predicted", "error" if regression else "P(actual)"]
        if not regression:
            fixed.append("confidence")
        self.table.clear()
        self.table.setColumnCount(len(fixed) + len(features))
        self.table.setHorizontalHeaderLabels(fixed + list(features))
        self.table.setRowCount(len(rows))
        colour = {name: class_qcolor(i) for i, name in enumerate(class_names)}
        for r, row in enumerate(rows):
            cells = [str(row.row), row.actual, row.predicted,
                     f"{row.error:.4g}" if regression else f"{1 - row.error:.0%}"]
            if not regression:
                cells.append(f"{row.confidence:.0%}")
            cells += [f"{v:.4g}" for v in row.values]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c in (1, 2) and text in colour:
                    item.setForeground(colour[text].darker(130))
                if c == 2 and not regression and row.predicted != row.actual:   # a wrong answer stands out
                    item.setText(f"✗ {text}")
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        what = ("largest |predicted − actual|" if regression
                else "lowest probability given to the right class")
        self.caption.setText(f"The {len(rows)} test rows with the {what}, worst first. "
                             f"Row: {where}. Values as in the data, before standardising.")

    def clear(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.caption.setText("Train a model to see the test rows it gets most wrong.")

    def cell_text(self, row: int, column: str) -> str:
        """The text of one cell by its column heading (tests and tools)."""
        for c in range(self.table.columnCount()):
            if self.table.horizontalHeaderItem(c).text() == column:
                item = self.table.item(row, c)
                return item.text() if item is not None else ""
        raise KeyError(column)


__all__ = ["TablePlaneView", "PredictedActualView", "WorstRowsTable", "legend_html"]
