"""The curves' hover read-out: a line through both plots at the epoch under the mouse, a marker on
each curve there, and a label by the mouse with that epoch's figures."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from .colors import BLUE, INK
from .curves_history import History, fmt


class HoverReadout:
    """Lines, markers and a label over the loss and accuracy plots; hidden until `show_at`."""

    def __init__(self, loss_plot: pg.PlotItem, acc_plot: pg.PlotItem, curve_names: tuple[str, ...]):
        self.lines = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(180, 180, 180)) for _ in range(2)]
        self.marks: dict[str, pg.PlotDataItem] = {}
        for plot, line in zip((loss_plot, acc_plot), self.lines):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        for key in curve_names:
            plot = loss_plot if key.endswith("loss") else acc_plot
            color = BLUE if key.startswith("train") else INK
            mark = pg.PlotDataItem(pen=None, symbol="o", symbolSize=6, symbolBrush=color, symbolPen=pg.mkPen("w"))
            plot.addItem(mark, ignoreBounds=True)
            mark.hide()
            self.marks[key] = mark
        self.label = pg.TextItem("", color=INK, fill=pg.mkBrush(255, 255, 255, 225), border=pg.mkPen(170, 170, 170))
        self.label.setZValue(100)
        self.label.hide()
        self._plot: pg.PlotItem | None = None    # the plot the label is in now

    def hide(self) -> None:
        for item in (*self.lines, *self.marks.values(), self.label):
            item.hide()

    def text(self) -> str:
        return self.label.textItem.toPlainText() if self.label.isVisible() else ""

    def show_at(self, plot: pg.PlotItem, view_pos: QPointF, hist: History, task: str) -> None:
        """Read out the epoch of `hist` nearest to `view_pos` (in `plot`'s data coordinates)."""
        n = hist.n
        epochs = hist.view("epoch")
        i = int(np.clip(np.searchsorted(epochs, view_pos.x()), 0, n - 1))
        if i > 0 and abs(epochs[i - 1] - view_pos.x()) < abs(epochs[i] - view_pos.x()):
            i -= 1
        epoch = epochs[i]
        values = {name: hist.view(name)[i] for name in self.marks}
        rows = [("train loss", fmt(values["train_loss"])), ("val loss", fmt(values["val_loss"]))]
        if task != "regression":
            rows += [("train acc", f"{fmt(values['train_acc'])}%"), ("val acc", f"{fmt(values['val_acc'])}%")]
        for line in self.lines:
            line.setValue(epoch)
            line.show()
        for name, mark in self.marks.items():
            if math.isfinite(values[name]) and not (name.endswith("acc") and task == "regression"):
                mark.setData([epoch], [values[name]])
                mark.show()
            else:
                mark.hide()
        if self._plot is not plot:
            if self._plot is not None:
                self._plot.removeItem(self.label)
            plot.addItem(self.label, ignoreBounds=True)
            self._plot = plot
        cells = "".join(f"<tr><td>{k}&nbsp;&nbsp;</td><td align='right'>{v}</td></tr>" for k, v in rows)
        self.label.setHtml(f"<div style='color:#282828'><b>epoch {int(epoch)}</b>"
                           f"<table cellspacing='0' cellpadding='0'>{cells}</table></div>")
        # Keep the label inside the plot: left of the mouse on the right half, below it in the top half.
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        right = view_pos.x() > (x0 + x1) / 2
        top = view_pos.y() > (y0 + y1) / 2
        self.label.setAnchor((1.05 if right else -0.05, -0.05 if top else 1.05))
        self.label.setPos(view_pos)
        self.label.show()
        # TextItem skips its scale-undoing transform while hidden; without this it can come up
        # stretched by the view's scale (invisible) after moving between the plots.
        self.label.updateTransform(force=True)


__all__ = ["HoverReadout"]
