"""Weights over time (issue 16 item 4): a layer's weights and gradients as histograms over the recorded
epochs, and every layer's gradient norm, with a cursor at the epoch the timeline shows.

TensorBoard's histogram dashboard turned into heat maps that follow the timeline: one column per
recorded epoch, value bins up the y axis, the number of parameters in a bin as colour (on a log scale:
a gradient histogram is a tall spike at 0 with thin tails, and the tails are what a learner looks for).
Below, each layer's gradient norm on a log axis, where vanishing (falling decade after decade) and
exploding (jumping up by decades) gradients show. The numbers come from trainer.timeline.stats.

A run recorded every k-th epoch keeps its best epochs off that spacing too, so the columns are drawn one
per recorded epoch, evenly, and the x axis labels epochs (EpochAxis maps between the two); for a run
that recorded every epoch, as the small ones do, a column's x is its epoch.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from trainer.timeline.stats import Histogram, LayerStats, WeightStats

from .colors import BLUE, INK, LABEL, WHITE, css, style_axes
from .curves_axes import LossAxis, nice_ceiling
from .curves_timeline import CURSOR_RGBA

NOTHING = "Train a model: each recorded epoch adds a column of histograms here."
HINT = "Look for gradient norms falling by decades (vanishing gradients) or jumping up (exploding)."
HINT_TIP = ("Each column is one recorded epoch; each row a range of values; the colour counts the layer's "
            "parameters (or their gradients, from the epoch's last batch) in that range.\n"
            "Weights spreading out from their initial range show the layer learning; a gradient band that "
            "narrows to 0 while the loss is still high is a layer that no longer learns (vanishing), a band "
            "that widens by orders of magnitude is exploding. The gradient norm below shows the same per layer "
            "on a log scale: layers far apart there learn at very different speeds.")
# Counts as colour: white for an empty bin (the plot's own background), light to dark blue as it fills.
COUNT_MAP = pg.ColorMap(pos=[0.0, 0.02, 0.35, 0.75, 1.0],
                        color=[WHITE, (222, 235, 247), (107, 174, 214), BLUE, (8, 40, 90)])
# Each layer's gradient norm: distinct from each other and from the cursor's dark grey.
LAYER_COLORS: tuple[tuple[int, int, int], ...] = (
    BLUE, (230, 110, 0), (44, 150, 44), (148, 103, 189), (200, 40, 40), (0, 150, 165), (140, 86, 75),
    (200, 80, 160),
)
SELECTED_WIDTH, OTHER_WIDTH = 2.5, 1.2


def count_level(counts: np.ndarray) -> np.ndarray:
    """The colour value of a bin holding `counts` parameters: log10(1 + count) (0 for an empty bin)."""
    return np.log10(1.0 + np.asarray(counts, dtype=np.float64))


class ElidedLabel(QLabel):
    """One line of plain text that never widens its pane: cut short with "…" where it has no room
    (the whole text is its tooltip's first line)."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)


class EpochAxis(pg.AxisItem):
    """An x axis over column indices (one per recorded epoch) that labels epochs at round numbers."""

    def __init__(self, orientation: str = "bottom"):
        super().__init__(orientation)
        self.epochs = np.zeros(0)
        self.enableAutoSIPrefix(False)

    def set_epochs(self, epochs: np.ndarray) -> None:
        self.epochs = np.asarray(epochs, dtype=np.float64)
        self.picture = None
        self.update()

    def index_of(self, epoch: float) -> float:
        """The (fractional) column at `epoch`."""
        if len(self.epochs) < 2:
            return 0.0
        return float(np.interp(epoch, self.epochs, np.arange(len(self.epochs))))

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802 (Qt name)
        n = len(self.epochs)
        if n < 2:
            return [(1.0, [0.0])] if n else []
        lo = float(np.interp(max(minVal, 0), np.arange(n), self.epochs))
        hi = float(np.interp(min(maxVal, n - 1), np.arange(n), self.epochs))
        font = self.style.get("tickFont") or QFont()
        room = max(2, int(size / (QFontMetricsF(font).horizontalAdvance("00000") * 1.6)))
        step = max(1.0, nice_ceiling((hi - lo) / room))
        ticks = np.arange(math.ceil(lo / step) * step, hi + 1e-9, step)
        return [(1.0, [self.index_of(e) for e in ticks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if len(self.epochs) < 2:
            return [str(int(self.epochs[0])) if len(self.epochs) else "" for _ in values]
        return [str(int(round(float(np.interp(v, np.arange(len(self.epochs)), self.epochs))))) for v in values]


class WeightsOverTimeView(QWidget):
    """A layer's weight and gradient histograms over the epochs, every layer's gradient norm, a cursor."""

    layerChosen = Signal(int)   # the layer selector's index (the stats' layer order)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("weightsOverTime")
        self._stats: WeightStats | None = None
        self._layer = 0
        self._epoch: int | None = None          # the epoch the cursor marks (None: the newest)

        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The layer whose weights and gradients are drawn")
        self.layer_box.currentIndexChanged.connect(self._on_layer)
        self.readout = ElidedLabel(" ")
        self.readout.setObjectName("weightsReadout")
        self.readout.setStyleSheet("color: #333")
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_box)
        top.addSpacing(10)
        top.addWidget(self.readout, 1)
        self.hint = ElidedLabel(HINT)
        self.hint.setObjectName("weightsHint")
        self.hint.setToolTip(HINT_TIP)
        self.hint.setStyleSheet("color: #555")
        self.hint.setContentsMargins(6, 0, 6, 2)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.axes = [EpochAxis() for _ in range(3)]
        self.weight_plot = self._plot(0, "weights", self.axes[0])
        self.grad_plot = self._plot(1, "gradients", self.axes[1])
        self.norm_plot = self._plot(2, "norm", self.axes[2], LossAxis("left"))
        self.norm_plot.setLogMode(x=False, y=True)
        self.norm_plot.setLabel("bottom", "epoch", color=LABEL)
        for plot in (self.grad_plot, self.norm_plot):
            plot.setXLink(self.weight_plot)
        for plot in (self.weight_plot, self.grad_plot):
            plot.getAxis("bottom").setStyle(showValues=False)
        self.weight_image = pg.ImageItem(axisOrder="row-major")
        self.grad_image = pg.ImageItem(axisOrder="row-major")
        for plot, image in ((self.weight_plot, self.weight_image), (self.grad_plot, self.grad_image)):
            image.setZValue(-10)
            plot.addItem(image)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=COUNT_MAP, interactive=False, width=14)
        self.colorbar.setImageItem([self.weight_image, self.grad_image])
        self.graphics.addItem(self.colorbar, row=0, col=1, rowspan=2)
        self.colorbar.getAxis("right").setTextPen(INK)
        self.colorbar.getAxis("right").enableAutoSIPrefix(False)
        self.colorbar.getAxis("left").setLabel("parameters per bin", color=LABEL)
        self.cursors = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_RGBA, width=2))
                        for _ in range(3)]
        for plot, line in zip((self.weight_plot, self.grad_plot, self.norm_plot), self.cursors):
            line.setZValue(50)
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.norm_curves: list[pg.PlotDataItem] = []
        self.graphics.ci.layout.setRowStretchFactor(0, 3)
        self.graphics.ci.layout.setRowStretchFactor(1, 3)
        self.graphics.ci.layout.setRowStretchFactor(2, 3)

        self.message = QLabel(NOTHING)
        self.message.setObjectName("weightsMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #444; font-size: 11pt; padding: 20px")
        page = QWidget()
        inner = QVBoxLayout(page)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(0)
        inner.addLayout(top)
        inner.addWidget(self.hint)
        inner.addWidget(self.graphics, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _plot(self, row: int, left: str, bottom: EpochAxis, left_axis: pg.AxisItem | None = None) -> pg.PlotItem:
        axes = {"bottom": bottom} | ({"left": left_axis} if left_axis is not None else {})
        plot = self.graphics.addPlot(row=row, col=0, axisItems=axes)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        style_axes(plot, "", left)
        plot.getAxis("left").setWidth(62)    # the three plots' columns line up, whatever their numbers
        return plot

    # -- what the owner says -------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Nothing to draw: say why (no run yet, nothing recorded, a failure)."""
        self._stats = None
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def show_stats(self, stats: WeightStats) -> None:
        """Draw `stats` (trainer.timeline.stats.weight_stats of the branch on show)."""
        if not stats.layers or not len(stats.epochs):
            self.show_message(NOTHING)
            return
        names = [s.layer.name for s in stats.layers]
        if names != [self.layer_box.itemText(i) for i in range(self.layer_box.count())]:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            self._layer = min(self._layer, len(names) - 1)
            self.layer_box.setCurrentIndex(self._layer)
            self.layer_box.blockSignals(False)
        self.layer_box.setEnabled(len(names) > 1)
        self._stats = stats
        for axis in self.axes:
            axis.set_epochs(stats.epochs)
        self.stack.setCurrentIndex(1)
        self._draw_layer()
        self._draw_norms()
        self.set_epoch(self._epoch)

    def set_layer(self, index: int) -> None:
        self.layer_box.setCurrentIndex(index)

    def set_epoch(self, epoch: int | None) -> None:
        """Put the cursor at `epoch` (None or -1: the newest recorded one)."""
        self._epoch = None if epoch is None or epoch < 0 else int(epoch)
        stats = self._stats
        if stats is None:
            return
        shown = int(stats.epochs[-1]) if self._epoch is None else self._epoch
        x = self.axes[0].index_of(shown)
        for line in self.cursors:
            line.setPos(x)
            line.show()
        self._readout(shown)

    # -- what tests and the owner read ---------------------------------------------------------------
    def layer(self) -> int:
        return self._layer

    def stats(self) -> WeightStats | None:
        return self._stats

    def image_counts(self, which: str = "weights") -> np.ndarray | None:
        """(n_epochs, bins): the counts the weights' (or "grads'") picture shows, one row per epoch."""
        if self._stats is None:
            return None
        image = self.weight_image if which == "weights" else self.grad_image
        levels = image.image
        return None if levels is None else np.rint(10 ** np.asarray(levels, dtype=np.float64).T - 1.0)

    def cursor_epoch(self) -> float | None:
        """The epoch under the cursor (None when it is hidden)."""
        if self._stats is None or not self.cursors[0].isVisible():
            return None
        axis = self.axes[0]
        n = len(axis.epochs)
        return float(np.interp(self.cursors[0].value(), np.arange(n), axis.epochs)) if n > 1 else float(axis.epochs[0])

    # -- drawing -------------------------------------------------------------------------------------
    def _on_layer(self, index: int) -> None:
        if index < 0:
            return
        self._layer = index
        if self._stats is not None:
            self._draw_layer()
            self._draw_norms()
            self.set_epoch(self._epoch)
        self.layerChosen.emit(index)

    def _draw_layer(self) -> None:
        stats = self._stats
        assert stats is not None
        layer = stats.layers[self._layer]
        top = 0.0
        for plot, image, hist in ((self.weight_plot, self.weight_image, layer.weights),
                                  (self.grad_plot, self.grad_image, layer.grads)):
            levels = count_level(hist.counts).T          # rows: bins (bottom = lowest value), columns: epochs
            top = max(top, float(levels.max()) if levels.size else 0.0)
            image.setImage(levels, autoLevels=False)
            lo, hi = float(hist.edges[0]), float(hist.edges[-1])
            n = len(stats.epochs)
            image.setRect(QRectF(-0.5, lo, n, hi - lo))
            plot.setXRange(-0.5, n - 0.5, padding=0)
            plot.setYRange(lo, hi, padding=0.02)
        top = max(top, math.log10(2.0))
        self.colorbar.setLevels((0.0, top))
        self._count_ticks(top)

    def _count_ticks(self, top: float) -> None:
        """The colour bar labelled in parameters (1, 10, 100, ...) though its scale is log10(1 + count)."""
        most = 10 ** top - 1
        counts = [0] + [10 ** k for k in range(0, int(math.log10(max(most, 1))) + 1)]
        ticks = [(float(count_level(c)), f"{c:,}") for c in counts]
        self.colorbar.getAxis("right").setTicks([ticks, []])

    def _draw_norms(self) -> None:
        stats = self._stats
        assert stats is not None
        for item in self.norm_curves:
            self.norm_plot.removeItem(item)
        self.norm_curves = []
        x = np.arange(len(stats.epochs), dtype=np.float64)
        legend = []
        for i, layer in enumerate(stats.layers):
            color = LAYER_COLORS[i % len(LAYER_COLORS)]
            norms = np.asarray(layer.grad_norm, dtype=np.float64).copy()
            norms[~(norms > 0)] = np.nan            # no gradient recorded, or exactly 0: off a log axis
            width = SELECTED_WIDTH if i == self._layer else OTHER_WIDTH
            item = pg.PlotDataItem(x, norms, pen=pg.mkPen(color, width=width), connect="finite",
                                   symbol="o" if len(x) == 1 else None, symbolSize=5, symbolBrush=color)
            item.setZValue(10 if i == self._layer else 5)
            self.norm_plot.addItem(item)
            self.norm_curves.append(item)
            weight = "bold" if i == self._layer else "normal"
            short = layer.layer.name.split(" (")[0]          # "Linear 1": the selector has the shapes
            legend.append(f"<span style='color:{css(color)}; font-weight:{weight}'>━&nbsp;{short}</span>")
        self.norm_plot.setTitle("gradient norm per layer (log scale): " + " &nbsp; ".join(legend),
                                color=LABEL, size="9pt")
        self.norm_plot.titleLabel.setMinimumWidth(0)   # many layers: the legend is cut, the pane never widened
        self.norm_plot.setXRange(-0.5, len(x) - 0.5, padding=0)

    def _readout(self, epoch: int) -> None:
        """One line of figures at the cursor's epoch for the chosen layer."""
        stats = self._stats
        assert stats is not None
        i = int(np.argmin(np.abs(stats.epochs - epoch)))
        layer: LayerStats = stats.layers[self._layer]
        w_lo, w_hi = _span(layer.weights, i)
        norm = layer.grad_norm[i]
        grad = f"gradient norm {norm:.3g}" if np.isfinite(norm) else "no gradient recorded"
        self.readout.setText(f"epoch {int(stats.epochs[i])} · {layer.layer.params:,} parameters · weights "
                             f"{w_lo:.3g} to {w_hi:.3g} · {grad}")


def _span(hist: Histogram, row: int) -> tuple[float, float]:
    """The value range of the non-empty bins of one epoch's histogram (edges of the outermost ones)."""
    filled = np.flatnonzero(hist.counts[row])
    if not len(filled):
        return (math.nan, math.nan)
    return float(hist.edges[filled[0]]), float(hist.edges[filled[-1] + 1])


__all__ = ["COUNT_MAP", "EpochAxis", "HINT", "NOTHING", "WeightsOverTimeView", "count_level"]
