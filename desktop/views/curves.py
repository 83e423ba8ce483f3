"""Live training curves: loss (train / validation) above, accuracy below.

Built for speed: epochs are appended into preallocated numpy arrays that double
when full, and each curve is one persistent PlotDataItem updated with a single
setData per `on_epochs` call, so several hundred epochs a second cost a few
redraws, not a few hundred.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from trainer.config import Experiment, task_of
from trainer.events import EpochEnd, Finished, NewBest, Snapshot, Started
from trainer.mistakes import MISTAKE_TABLE, NONE, without_mistake
from trainer.tabular.catalog import TABULAR
from trainer.pacing import WINDOW

from ..throttle import Throttle
from .colors import BLUE, INK, LABEL, style_axes

TRAIN_PEN = pg.mkPen(BLUE, width=1)
VAL_PEN = pg.mkPen(INK, width=1)
NO_RUN = "Train: each epoch adds a point here"
# The normal run a mistake is shown beside: grey and dashed, over the run's own curves (which show between dashes).
REFERENCE_RGB = (125, 125, 125)
REFERENCE_PEN = pg.mkPen(REFERENCE_RGB, width=2, style=Qt.PenStyle.DashLine)
MISTAKE_STYLE = "color: #8a1c1c; background: #fdf1ef; border: 1px solid #e8c4be; padding: 3px 6px"
MISTAKE_PANE_PX = 370   # the view's least height while a mistake's line is shown (line, legend and plots)
DS_POINTS = 4000  # beyond this many epochs, curves are drawn peak-downsampled
# While training, the curves redraw at most this often. Every redraw repaints both plots with the GIL
# held, which the training thread needs: five a second look smooth and leave the cores to the model.
_COLUMNS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "graph_mb")


class _History:
    """Columns of floats that grow by doubling; `view(name)` is the filled part."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cols = {name: np.full(capacity, np.nan) for name in _COLUMNS}

    def clear(self) -> None:
        self.n = 0

    def extend(self, rows: list[tuple[float, ...]]) -> None:
        need = self.n + len(rows)
        cap = len(self._cols["epoch"])
        if need > cap:
            while cap < need:
                cap *= 2
            for name, col in self._cols.items():
                grown = np.full(cap, np.nan)
                grown[:self.n] = col[:self.n]
                self._cols[name] = grown
        block = np.asarray(rows, dtype=float).reshape(len(rows), len(_COLUMNS))
        for i, name in enumerate(_COLUMNS):
            self._cols[name][self.n:need] = block[:, i]
        self.n = need

    def view(self, name: str) -> np.ndarray:
        return self._cols[name][:self.n]


def _row(ev: EpochEnd) -> tuple[float, ...]:
    nan = math.nan
    return (ev.epoch, ev.train_loss, ev.val_loss,
            nan if ev.train_acc is None else ev.train_acc, nan if ev.val_acc is None else ev.val_acc,
            nan if ev.graph_bytes is None else ev.graph_bytes / 1e6)


def _row_from_record(rec: dict[str, Any]) -> tuple[float, ...]:
    nan = math.nan
    acc = [nan if rec.get(k) is None else rec[k] for k in ("train_acc", "val_acc")]
    held = rec.get("graph_bytes")
    return (rec["epoch"], rec["train_loss"], rec["val_loss"], acc[0], acc[1], nan if held is None else held / 1e6)


def _css(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb


def _nice_ceiling(v: float) -> float:
    """The next of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (times a power of ten) at or above v."""
    if v <= 0 or not math.isfinite(v):
        return 1.0
    base = 10 ** math.floor(math.log10(v))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * base >= v - 1e-12 * base:
            return step * base
    return 10 * base


def log_ticks(lo: float, hi: float, pixels: float, min_gap: float) -> list[float]:
    """Labelled ticks (as log10 of the value) for a log axis showing lo..hi (log10) over `pixels`,
    at least `min_gap` pixels apart: the most of 1-3, 1-2-5, ... 1-9 per decade that fit (every n-th
    decade when even whole decades crowd), or, when the range is too narrow for two of those,
    evenly spaced values (0.3, 0.35, 0.4). pyqtgraph's own log ticks label 1..9 of
    each decade whatever the room: in the short loss pane they piled into one unreadable block."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or pixels <= 0:
        return []
    per_decade = pixels / (hi - lo)

    def fits(ticks: list[float]) -> bool:
        return all((b - a) * per_decade >= min_gap for a, b in zip(ticks, ticks[1:]))

    def decades(mantissas: tuple[int, ...]) -> list[float]:
        ticks = [e + math.log10(m) for e in range(math.floor(lo), math.ceil(hi) + 1) for m in mantissas]
        return [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]

    if not fits(decades((1,))):            # even whole decades crowd: every n-th one
        n = 2
        while True:
            best = [float(e) for e in range(math.ceil(lo), math.floor(hi) + 1) if e % n == 0]
            if fits(best) or len(best) <= 1:
                return best
            n *= 2
    steps = ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 8), tuple(range(1, 10)))
    best = max((t for t in map(decades, steps) if fits(t)), key=len)
    if len(best) >= 2:
        return best
    # Less than a 1-2-5 step in sight: evenly spaced values, as a linear axis would put them.
    v_lo, v_hi = 10 ** lo, 10 ** hi
    step = _nice_ceiling((v_hi - v_lo) / max(2.0, pixels / min_gap))
    while True:   # coarser steps until two fit; none fit: the one decade tick, else one value
        first = math.ceil(v_lo / step - 1e-9)
        ticks = [math.log10(k * step) for k in range(first, math.floor(v_hi / step + 1e-9) + 1) if k > 0]
        if len(ticks) < 2:
            return best or ticks
        if fits(ticks):
            return ticks
        step = _nice_ceiling(step * 1.01)


class LossAxis(pg.AxisItem):
    """The loss plot's left axis: on a log scale, labels only where they have room (log_ticks)."""

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802
        font = self.style.get("tickFont") or QFont()
        gap = 1.6 * QFontMetricsF(font).height()
        return [(1.0, log_ticks(minVal, maxVal, size, gap))]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [f"{10 ** v:.3g}" for v in values]


FIGURES = {"train_loss": "training loss", "val_loss": "validation loss", "graph_mb": "memory kept"}


def jumpiness(values: np.ndarray) -> float:
    """Mean absolute change from one epoch to the next: how jumpy a curve is (NaN under two points)."""
    steps = np.abs(np.diff(np.asarray(values, dtype=float)))
    return float(np.nanmean(steps)) if np.isfinite(steps).any() else math.nan


def _fmt(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.4g}"


class CurvesView(QWidget):
    """Train / validation loss and accuracy per epoch, a dashed line at the best epoch."""

    def __init__(self, parent: QWidget | None = None, capacity: int = 1024):
        super().__init__(parent)
        self._hist = _History(capacity)
        self._task = "multiclass"
        self._scaled_target = False   # a table's regression target standardised: the loss is not in its units
        self._best: int | None = None

        self.log_box = QCheckBox("Log-scale loss")
        self.log_box.setToolTip("Show the loss on a logarithmic axis (small late improvements become visible)")
        self.log_box.toggled.connect(self.set_log_loss)
        self.best_label = QLabel("")
        # One legend for both plots, outside them: in a short pane an in-plot legend sits on the curves.
        self.legend = QLabel()
        # A mistake made on purpose (train.mistake): what went wrong and why, over the curves.
        self.mistake_label = QLabel()
        self.mistake_label.setObjectName("mistakeLine")
        self.mistake_label.setWordWrap(True)
        self.mistake_label.setStyleSheet(MISTAKE_STYLE)
        self.mistake_label.hide()
        self._mistake = NONE
        self._plain_min_h: int | None = None   # the least height the page gave this view, without a mistake
        self._reference_key: Experiment | None = None   # the normal run drawn grey: its experiment
        self._reference: dict[str, np.ndarray] = {}
        self._reference_done = False
        self._ref_lo = self._ref_hi = math.nan
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self.log_box)
        top.addSpacing(12)
        top.addWidget(self.legend)
        top.addStretch(1)
        top.addWidget(self.best_label)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.loss_plot: pg.PlotItem = self.graphics.addPlot(row=0, col=0, axisItems={"left": LossAxis("left")})
        self.acc_plot: pg.PlotItem = self.graphics.addPlot(row=1, col=0)
        self.acc_plot.setXLink(self.loss_plot)
        # Only while torch.no_grad() is forgotten on purpose: the memory the kept graphs hold.
        self.memory_plot: pg.PlotItem = self.graphics.addPlot(row=2, col=0)
        self.memory_plot.setXLink(self.loss_plot)
        self.memory_plot.hide()
        for plot, label in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy (%)"),
                            (self.memory_plot, "kept (MB)")):
            style_axes(plot, "epoch", label)
            # No grid, no clip-to-view, no auto-range: each of them re-scans or repaints everything
            # on every flush (80 ms per flush at 10k epochs); the ranges are kept here instead.
            plot.vb.disableAutoRange()
            plot.vb.sigRangeChangedManually.connect(self._stop_following)
            plot.autoBtn.clicked.connect(self._resume_following)  # the plot's "A" button: follow again
            plot.setMenuEnabled(False)
        self.curves = {
            "train_loss": self.loss_plot.plot(name="train loss", pen=TRAIN_PEN),
            "val_loss": self.loss_plot.plot(name="validation loss", pen=VAL_PEN),
            "train_acc": self.acc_plot.plot(name="train accuracy", pen=TRAIN_PEN),
            "val_acc": self.acc_plot.plot(name="validation accuracy", pen=VAL_PEN),
        }
        for curve in self.curves.values():
            curve.setCurveClickable(False)
        ref_val = pg.mkPen(REFERENCE_RGB, width=2, style=Qt.PenStyle.DotLine)
        self.reference_curves = {
            "train_loss": self.loss_plot.plot(name="normal run: train loss", pen=REFERENCE_PEN),
            "val_loss": self.loss_plot.plot(name="normal run: validation loss", pen=ref_val),
            "train_acc": self.acc_plot.plot(name="normal run: train accuracy", pen=REFERENCE_PEN),
            "val_acc": self.acc_plot.plot(name="normal run: validation accuracy", pen=ref_val),
        }
        for curve in self.reference_curves.values():
            curve.setZValue(5)    # over the run's own curves: dashed, so the run shows through
        self.memory_curve = self.memory_plot.plot(name="graphs kept", pen=pg.mkPen((190, 40, 40), width=1))
        self._show_legend()
        self.acc_plot.setYRange(0, 100, padding=0.05)  # room above 100 %, where the curves end up
        self._follow = True          # keep the ranges around the data until the user pans or zooms
        self._x_hi = 0.0
        self._planned = 0            # the run's last epoch, once Started says; caps the x range
        self._loss_lo = self._loss_hi = math.nan
        self._ds = 1
        self._pending = 0            # epochs received but not drawn yet
        self._best_pending: tuple[int, float] | None = None
        self._throttle = Throttle(WINDOW.curves_every_s, self._draw_pending, self)
        self.loss_plot.setXRange(0, 10, padding=0.02)
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self.best_label.setText(NO_RUN)

        dash = QPen(pg.mkColor(90, 90, 90))
        dash.setStyle(Qt.PenStyle.DashLine)
        dash.setCosmetic(True)
        self.best_lines = [pg.InfiniteLine(angle=90, movable=False, pen=dash) for _ in range(2)]
        for plot, line in zip((self.loss_plot, self.acc_plot), self.best_lines):
            plot.addItem(line, ignoreBounds=True)
            line.hide()

        # Hover read-out: a cursor line in both plots, markers on the nearest epoch and a label by the mouse.
        self.hover_lines = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(180, 180, 180))
                            for _ in range(2)]
        self.hover_marks = {}
        for plot, line in zip((self.loss_plot, self.acc_plot), self.hover_lines):
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        for key, curve in self.curves.items():
            plot = self.loss_plot if key.endswith("loss") else self.acc_plot
            color = BLUE if key.startswith("train") else INK
            mark = pg.PlotDataItem(pen=None, symbol="o", symbolSize=6, symbolBrush=color,
                                   symbolPen=pg.mkPen("w"))
            plot.addItem(mark, ignoreBounds=True)
            mark.hide()
            self.hover_marks[key] = mark
        self.hover_label = pg.TextItem("", color=INK, fill=pg.mkBrush(255, 255, 255, 225),
                                       border=pg.mkPen(170, 170, 170))
        self.hover_label.setZValue(100)
        self.hover_label.hide()
        self._hover_plot: pg.PlotItem | None = None
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.mistake_label)
        layout.addWidget(self.graphics, 1)

    # -- slots (the main window connects these to the session) -------------------------
    def reset(self, experiment: Experiment | None = None) -> None:
        """A new run or new settings: clear the curves."""
        self._hist.clear()
        self._pending = 0
        self._best_pending = None
        self._throttle.reset()
        self._best = None
        if experiment is not None:
            self._mistake = MISTAKE_TABLE.get(experiment.train.mistake, NONE)
            self._scaled_target = experiment.data.name in TABULAR and experiment.data.standardize
            self._set_task(task_of(experiment.data))
            self._planned = max(experiment.train.epochs - 1, 1)
            # The normal run stays beside the same settings' mistake; anything else drops it.
            if self._mistake is NONE or without_mistake(experiment) != self._reference_key:
                self.set_reference(None, [])
        for curve in (*self.curves.values(), self.memory_curve):
            curve.setData([], [])
        for line in self.best_lines:
            line.hide()
        self.best_label.setText(NO_RUN)
        self._hide_hover()
        self._follow = True
        self._x_hi = 0.0
        self._loss_lo = self._loss_hi = math.nan
        self._set_downsampling(1)
        self.loss_plot.setXRange(0, 10, padding=0.02)
        self.loss_plot.setYRange(0, 1, padding=0.02)
        self._show_mistake()

    def set_data(self, splits: Any) -> None:
        """Curves do not draw data points; here so every view takes the same slots."""

    def on_started(self, ev: Started) -> None:
        self.reset(None)
        self._set_task(ev.task)
        self._planned = max(int(ev.epochs) - 1, 1)

    def on_epochs(self, evs: list[EpochEnd]) -> None:
        """Append a batch of epochs and redraw each curve once."""
        rows = [_row(ev) for ev in evs if isinstance(ev, EpochEnd)]
        if not rows:
            return
        if self._hist.n == 0 and self._best is None:
            self.best_label.setText("")
        self._hist.extend(rows)
        self._pending += len(rows)
        self._throttle()

    def on_new_best(self, ev: NewBest) -> None:
        """The dashed line moves with the next redraw (moving it repaints both plots)."""
        self._best = int(ev.epoch)
        self._best_pending = (ev.epoch, ev.val_loss)
        if not self._pending:
            self._draw_pending()

    def on_snapshot(self, ev: Snapshot) -> None:
        """Curves ignore snapshots."""

    def on_finished(self, ev: Finished) -> None:
        self._throttle.flush()
        # The history is the record: if any epoch went missing on the way, redraw from it.
        if len(ev.history) != self._hist.n:
            self._hist.clear()
            self._loss_lo = self._loss_hi = math.nan
            if ev.history:
                self._hist.extend([_row_from_record(r) for r in ev.history])
            self._redraw(self._hist.n)
        if ev.history:
            self._show_best(ev.best_epoch, ev.best_val_loss)
        if self._follow and self._hist.n:  # the run is over: show exactly its epochs (and the normal run's)
            self._x_hi = max(float(self._hist.view("epoch")[-1]), self._reference_last(), 1.0)
            self.loss_plot.setXRange(0, self._x_hi, padding=0.02)
        self._show_mistake()

    # -- a mistake beside its normal run ---------------------------------------------------
    def set_reference(self, normal: Experiment | None, records: list[dict[str, Any]], done: bool = False) -> None:
        """Draw the normal run of the same settings (grey, dashed) beside a run that makes a mistake:
        `records` are its epochs so far (EpochEnd.as_record()); `done` once it has finished. None clears it."""
        self._reference_key = normal
        self._reference_done = done and normal is not None
        rows = [_row_from_record(r) for r in records] if normal is not None else []
        block = np.asarray(rows, dtype=float).reshape(len(rows), len(_COLUMNS))
        self._reference = {name: block[:, i] for i, name in enumerate(_COLUMNS)}
        for name, curve in self.reference_curves.items():
            curve.setData(self._reference["epoch"], self._reference[name], connect="finite")
        losses = np.concatenate([self._reference["train_loss"], self._reference["val_loss"]])
        losses = losses[np.isfinite(losses)]
        self._ref_lo, self._ref_hi = (float(losses.min()), float(losses.max())) if losses.size else (math.nan,) * 2
        self._show_legend()
        self._show_mistake()
        if self._follow:
            self._follow_data()

    def reference_key(self) -> Experiment | None:
        """The experiment of the normal run drawn beside the mistake, or None."""
        return self._reference_key

    def reference_data(self) -> dict[str, np.ndarray]:
        """Copies of the normal run's curves (the same columns as data())."""
        return {name: values.copy() for name, values in self._reference.items()}

    def mistake_text(self) -> str:
        """The line over the curves that says what went wrong and why ("" when no mistake is made)."""
        return self.mistake_label.text() if not self.mistake_label.isHidden() else ""

    def _reference_last(self) -> float:
        epochs = self._reference.get("epoch")
        return float(epochs[-1]) if epochs is not None and epochs.size else 0.0

    def _show_legend(self) -> None:
        normal = (f"&nbsp;&nbsp;<span style='color:{_css(REFERENCE_RGB)}'>grey: normal run</span>"
                  if self._reference_key is not None else "")
        self.legend.setText(f"<span style='color:{_css(BLUE)}'>━━ train</span>&nbsp;&nbsp;"
                            f"<span style='color:{_css(INK)}'>━━ validation</span>&nbsp;&nbsp;"
                            f"<span style='color:#5a5a5a'>- - - best epoch</span>{normal}")

    def _show_mistake(self) -> None:
        """The mistake's line: what went wrong and why, then what the curves show of it so far."""
        m = self._mistake
        # With the line shown the plots ask the pane above for room (else ~50 px each); the loss plot gets 2/3.
        self._plain_min_h = self.minimumHeight() if self._plain_min_h is None else self._plain_min_h
        self.setMinimumHeight(self._plain_min_h if m is NONE else max(self._plain_min_h, MISTAKE_PANE_PX))
        self.graphics.ci.layout.setRowStretchFactor(0, 1 if m is NONE else 2)
        if m is NONE:
            self.mistake_label.hide()
            return
        self.mistake_label.setToolTip(m.why)   # the line stays one or two lines, so the plots keep their height
        text = f"<b>Mistake on purpose: {m.label}.</b>"
        if not m.validate_no_grad and self._hist.n:
            held = self._hist.view("graph_mb")[-1]
            if math.isfinite(held):
                text += (f" Now {held:.1f} MB of graphs are kept after {self._hist.n:,} epochs; "
                         "the normal run keeps none.")
        if self._reference_key is None:
            text += " The normal run of the same settings is drawn grey once it has trained."
        elif self._reference_done and self._hist.n and np.isfinite(self._reference.get(m.shows, [np.nan])).any():
            mine, normal = self._hist.view(m.shows), self._reference[m.shows]   # the figure this mistake affects
            text += (f" {FIGURES[m.shows].capitalize()}: last {_fmt(mine[-1])}, jumps {_fmt(jumpiness(mine))} an "
                     f"epoch; the normal run's (grey) {_fmt(normal[-1])}, {_fmt(jumpiness(normal))}.")
        else:
            text += " Grey: the normal run of the same settings."
        self.mistake_label.setText(text)
        self.mistake_label.show()

    # -- public helpers -----------------------------------------------------------------
    def data(self) -> dict[str, np.ndarray]:
        """Copies of the curves: epoch, train_loss, val_loss, train_acc, val_acc (NaN = none)."""
        return {name: self._hist.view(name).copy() for name in _COLUMNS}

    def plot_widget(self) -> pg.GraphicsLayoutWidget:
        """The widget holding both plots (export its scene to get both in one image)."""
        return self.graphics

    def best_epoch(self) -> int | None:
        return self._best

    def set_log_loss(self, on: bool) -> None:
        """Switch the loss axis between linear and log10."""
        self.loss_plot.setLogMode(x=False, y=bool(on))
        if self.log_box.isChecked() != bool(on):
            self.log_box.setChecked(bool(on))
        self._hide_hover()
        self._fit_loss_range()

    def is_log_loss(self) -> bool:
        return bool(self.loss_plot.getAxis("left").logMode)

    def hover_text(self) -> str:
        return self.hover_label.textItem.toPlainText() if self.hover_label.isVisible() else ""

    # -- internals ----------------------------------------------------------------------
    def _set_task(self, task: str) -> None:
        self._task = task
        regression = task == "regression"
        # Forgetting no_grad changes no figure, only the memory held: its plot takes the accuracy's place.
        memory = not self._mistake.validate_no_grad
        self.acc_plot.setVisible(not regression and not memory)
        self.memory_plot.setVisible(memory)
        label = ("loss (MSE, standardised target)" if self._scaled_target else "loss (MSE)") if regression else "loss"
        self.loss_plot.setLabel("left", label, color=LABEL)

    def _draw_pending(self) -> None:
        if self._pending:
            self._redraw(self._pending)
            self._pending = 0
        if self._best_pending is not None:
            self._show_best(*self._best_pending)
            self._best_pending = None

    def _redraw(self, new_rows: int) -> None:
        x = self._hist.view("epoch")
        self._set_downsampling(max(1, self._hist.n // DS_POINTS))  # a few thousand segments per curve on screen
        for name, curve in self.curves.items():
            curve.setData(x, self._hist.view(name), connect="finite")
        if self.memory_plot.isVisible():
            held = self._hist.view("graph_mb")
            self.memory_curve.setData(x, held, connect="finite")
            top = float(np.nanmax(held)) if np.isfinite(held).any() else 0.0
            self.memory_plot.setYRange(0, _nice_ceiling(top * 1.05) if top > 0 else 1.0, padding=0.02)
            self._show_mistake()
        if new_rows and self._hist.n:
            block = np.concatenate([self._hist.view(k)[-new_rows:] for k in ("train_loss", "val_loss")])
            block = block[np.isfinite(block)]
            if block.size:
                self._loss_lo = float(np.nanmin([self._loss_lo, block.min()]))
                self._loss_hi = float(np.nanmax([self._loss_hi, block.max()]))
        if self._follow:
            self._follow_data()

    def _set_downsampling(self, ds: int) -> None:
        if ds != self._ds:
            self._ds = ds
            for plot in (self.loss_plot, self.acc_plot):
                plot.setDownsampling(ds=ds, auto=False, mode="peak")

    def _stop_following(self, *_: Any) -> None:
        self._follow = False

    def _resume_following(self, *_: Any) -> None:
        self._follow = True
        self._x_hi = 0.0
        if self._hist.n:
            self._follow_data()
        self._fit_loss_range()
        self.acc_plot.setYRange(0, 100, padding=0.05)

    def _follow_data(self) -> None:
        """Grow the x range in steps ahead of the data, and the loss range to its values."""
        last = max(float(self._hist.view("epoch")[-1]) if self._hist.n else 0.0, self._reference_last())
        if last >= self._x_hi:
            self._x_hi = _nice_ceiling(max(10.0, last * 1.3))
            if self._planned:
                self._x_hi = max(min(self._x_hi, float(self._planned)), last, 1.0)
            self.loss_plot.setXRange(0, self._x_hi, padding=0.02)
        self._fit_loss_range(only_grow=True)

    def _fit_loss_range(self, only_grow: bool = False) -> None:
        lo = min((v for v in (self._loss_lo, self._ref_lo) if math.isfinite(v)), default=math.nan)
        hi = max((v for v in (self._loss_hi, self._ref_hi) if math.isfinite(v)), default=math.nan)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return
        if self.is_log_loss():
            lo, hi = math.log10(max(lo, 1e-12)), math.log10(max(hi, 1e-12))
            # Whole half-decades, so the range changes a few times a run, not on every flush.
            want = (math.floor(lo * 2) / 2, math.ceil(hi * 2) / 2 + (0.5 if hi == math.ceil(hi * 2) / 2 else 0))
        else:
            want = (min(0.0, lo), _nice_ceiling(hi * 1.05) if hi > 0 else 1.0)
        (y0, y1) = self.loss_plot.vb.viewRange()[1]
        if only_grow and want[0] >= y0 - 1e-12 and want[1] <= y1 + 1e-12:
            return
        self.loss_plot.setYRange(*want, padding=0.02)

    def _show_best(self, epoch: int, val_loss: float) -> None:
        self._best = int(epoch)
        for line in self.best_lines:
            line.setValue(epoch)
            line.show()
        self.best_label.setText(f"best epoch {epoch} · validation loss {_fmt(val_loss)}")

    def _hide_hover(self) -> None:
        for item in (*self.hover_lines, *self.hover_marks.values(), self.hover_label):
            item.hide()

    def leaveEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._hide_hover()
        super().leaveEvent(event)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        n = self._hist.n
        plot = next((p for p in (self.loss_plot, self.acc_plot)
                     if p.isVisible() and p.vb.sceneBoundingRect().contains(scene_pos)), None)
        if plot is None or n == 0:
            self._hide_hover()
            return
        view_pos = plot.vb.mapSceneToView(scene_pos)
        epochs = self._hist.view("epoch")
        i = int(np.clip(np.searchsorted(epochs, view_pos.x()), 0, n - 1))
        if i > 0 and abs(epochs[i - 1] - view_pos.x()) < abs(epochs[i] - view_pos.x()):
            i -= 1
        epoch = epochs[i]
        values = {name: self._hist.view(name)[i] for name in self.curves}
        rows = [("train loss", _fmt(values["train_loss"])), ("val loss", _fmt(values["val_loss"]))]
        if self._task != "regression":
            rows += [("train acc", f"{_fmt(values['train_acc'])}%"), ("val acc", f"{_fmt(values['val_acc'])}%")]
        for line in self.hover_lines:
            line.setValue(epoch)
            line.show()
        for name, mark in self.hover_marks.items():
            if math.isfinite(values[name]) and not (name.endswith("acc") and self._task == "regression"):
                mark.setData([epoch], [values[name]])
                mark.show()
            else:
                mark.hide()
        if self._hover_plot is not plot:
            if self._hover_plot is not None:
                self._hover_plot.removeItem(self.hover_label)
            plot.addItem(self.hover_label, ignoreBounds=True)
            self._hover_plot = plot
        cells = "".join(f"<tr><td>{k}&nbsp;&nbsp;</td><td align='right'>{v}</td></tr>" for k, v in rows)
        self.hover_label.setHtml(f"<div style='color:#282828'><b>epoch {int(epoch)}</b>"
                                 f"<table cellspacing='0' cellpadding='0'>{cells}</table></div>")
        # Keep the label inside the plot: left of the mouse on the right half, below it in the top half.
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        right = view_pos.x() > (x0 + x1) / 2
        top = view_pos.y() > (y0 + y1) / 2
        self.hover_label.setAnchor((1.05 if right else -0.05, -0.05 if top else 1.05))
        self.hover_label.setPos(view_pos)
        self.hover_label.show()
        # TextItem skips its scale-undoing transform while hidden; without this it can come up
        # stretched by the view's scale (invisible) after moving between the plots.
        self.hover_label.updateTransform(force=True)
