"""A mistake made on purpose (train.mistake) on the curves: the normal run of the same settings drawn
grey and dashed beside it, and the line over the plots that says what went wrong and what it shows."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from trainer.config import Experiment
from trainer.mistakes import Mistake

from .curves_history import History, columns_from_records, fmt, loss_span

# The normal run a mistake is shown beside: grey and dashed, over the run's own curves (which show between dashes).
REFERENCE_RGB = (125, 125, 125)
REFERENCE_PEN = pg.mkPen(REFERENCE_RGB, width=2, style=Qt.PenStyle.DashLine)
MISTAKE_STYLE = "color: #8a1c1c; background: #fdf1ef; border: 1px solid #e8c4be; padding: 3px 6px"
MISTAKE_PANE_PX = 370   # the view's least height while a mistake's line is shown (line, legend and plots)
FIGURES = {"train_loss": "training loss", "val_loss": "validation loss", "graph_mb": "memory kept"}


def jumpiness(values: np.ndarray) -> float:
    """Mean absolute change from one epoch to the next: how jumpy a curve is (NaN under two points)."""
    steps = np.abs(np.diff(np.asarray(values, dtype=float)))
    return float(np.nanmean(steps)) if np.isfinite(steps).any() else math.nan


class ReferenceCurves:
    """The normal run's four curves (train dashed, validation dotted) in the loss and accuracy plots."""

    def __init__(self, loss_plot: pg.PlotItem, acc_plot: pg.PlotItem):
        self.key: Experiment | None = None      # the normal run's experiment, None when none is drawn
        self.done = False
        self.columns: dict[str, np.ndarray] = {}
        self.lo = self.hi = math.nan            # its loss range, which the loss axis takes in
        ref_val = pg.mkPen(REFERENCE_RGB, width=2, style=Qt.PenStyle.DotLine)
        self.curves = {
            "train_loss": loss_plot.plot(name="normal run: train loss", pen=REFERENCE_PEN),
            "val_loss": loss_plot.plot(name="normal run: validation loss", pen=ref_val),
            "train_acc": acc_plot.plot(name="normal run: train accuracy", pen=REFERENCE_PEN),
            "val_acc": acc_plot.plot(name="normal run: validation accuracy", pen=ref_val),
        }
        for curve in self.curves.values():
            curve.setZValue(5)    # over the run's own curves: dashed, so the run shows through

    def set(self, normal: Experiment | None, records: list[dict[str, Any]], done: bool) -> None:
        """Draw `records` (EpochEnd.as_record()) of the normal run `normal`; None draws nothing."""
        self.key = normal
        self.done = done and normal is not None
        self.columns = columns_from_records(records if normal is not None else [])
        for name, curve in self.curves.items():
            curve.setData(self.columns["epoch"], self.columns[name], connect="finite")
        self.lo, self.hi = loss_span(self.columns)

    def last_epoch(self) -> float:
        epochs = self.columns.get("epoch")
        return float(epochs[-1]) if epochs is not None and epochs.size else 0.0


def mistake_text(m: Mistake, hist: History, reference: ReferenceCurves) -> str:
    """The mistake's line: what went wrong, then what the curves show of it so far."""
    text = f"<b>Mistake on purpose: {m.label}.</b>"
    if not m.validate_no_grad and hist.n:
        held = hist.view("graph_mb")[-1]
        if math.isfinite(held):
            text += (f" Now {held:.1f} MB of graphs are kept after {hist.n:,} epochs; "
                     "the normal run keeps none.")
    if reference.key is None:
        text += " The normal run of the same settings is drawn grey once it has trained."
    elif reference.done and hist.n and np.isfinite(reference.columns.get(m.shows, [np.nan])).any():
        mine, normal = hist.view(m.shows), reference.columns[m.shows]   # the figure this mistake affects
        text += (f" {FIGURES[m.shows].capitalize()}: last {fmt(mine[-1])}, jumps {fmt(jumpiness(mine))} an "
                 f"epoch; the normal run's (grey) {fmt(normal[-1])}, {fmt(jumpiness(normal))}.")
    else:
        text += " Grey: the normal run of the same settings."
    return text


__all__ = ["FIGURES", "MISTAKE_PANE_PX", "MISTAKE_STYLE", "REFERENCE_PEN", "REFERENCE_RGB", "ReferenceCurves",
           "jumpiness", "mistake_text"]
