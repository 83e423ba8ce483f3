"""Live training curves: loss (train / validation) above, accuracy below.

Built for speed: epochs are appended into preallocated numpy arrays that double
when full, and each curve is one persistent PlotDataItem updated with a single
setData per `on_epochs` call, so several hundred epochs a second cost a few
redraws, not a few hundred.

Its parts: the numbers (curves_history.py), the axes (curves_axes.py), the hover read-out
(curves_hover.py), a mistake beside its normal run (curves_mistake.py), and the timeline's cursor
and branches (curves_timeline.py).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from trainer.config import Experiment, task_of
from trainer.events import EpochEnd, Finished, NewBest, Snapshot, Started
from trainer.mistakes import MISTAKE_TABLE, NONE, without_mistake
from trainer.tabular.catalog import TABULAR
from trainer.pacing import WINDOW

from ..throttle import Throttle
from .colors import BLUE, INK, LABEL, css, style_axes
from .curves_axes import LossAxis, log_ticks, nice_ceiling
from .curves_history import COLUMNS, History, fmt, row_from_record, row_of
from .curves_hover import HoverReadout
from .curves_mistake import MISTAKE_PANE_PX, MISTAKE_STYLE, REFERENCE_RGB, ReferenceCurves, mistake_text
from .curves_timeline import BranchOverlays, EpochCursor, FittingLegend

TRAIN_PEN = pg.mkPen(BLUE, width=1)
VAL_PEN = pg.mkPen(INK, width=1)
NO_RUN = "Train: each epoch adds a point here"
DS_POINTS = 4000  # beyond this many epochs, curves are drawn peak-downsampled


class CurvesView(QWidget):
    """Train / validation loss and accuracy per epoch, a dashed line at the best epoch."""

    def __init__(self, parent: QWidget | None = None, capacity: int = 1024):
        super().__init__(parent)
        self._hist = History(capacity)
        self._task = "multiclass"
        self._scaled_target = False   # a table's regression target standardised: the loss is not in its units
        self._best: int | None = None

        self.log_box = QCheckBox("Log-scale loss")
        self.log_box.setToolTip("Show the loss on a logarithmic axis (small late improvements become visible)")
        self.log_box.toggled.connect(self.set_log_loss)
        self.best_label = QLabel("")
        # One legend for both plots, outside them: in a short pane an in-plot legend sits on the curves.
        self.legend = QLabel()
        self.branch_legend = FittingLegend()   # the branches (issue 16): as many as the line holds
        # A mistake made on purpose (train.mistake): what went wrong and why, over the curves.
        self.mistake_label = QLabel()
        self.mistake_label.setObjectName("mistakeLine")
        self.mistake_label.setWordWrap(True)
        self.mistake_label.setStyleSheet(MISTAKE_STYLE)
        self.mistake_label.hide()
        self._mistake = NONE
        self._plain_min_h: int | None = None   # the least height the page gave this view, without a mistake
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self.log_box)
        top.addSpacing(12)
        top.addWidget(self.legend)
        top.addSpacing(8)
        top.addWidget(self.branch_legend, 1)
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
        self.reference = ReferenceCurves(self.loss_plot, self.acc_plot)   # a mistake's normal run, grey
        self.reference_curves = self.reference.curves
        curve_plots = {name: self.loss_plot if name.endswith("loss") else self.acc_plot for name in self.curves}
        self.branches = BranchOverlays(curve_plots)    # the run's branches (issue 16), dashed in their colours
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
        self._run_best: tuple[int, float] | None = None   # the run's own; a current branch shows its own
        # While training, the curves redraw at most this often. Every redraw repaints both plots with the
        # GIL held, which the training thread needs: five a second look smooth and leave the cores to the model.
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
        self.hover = HoverReadout(self.loss_plot, self.acc_plot, tuple(self.curves))
        self.hover_lines, self.hover_marks, self.hover_label = self.hover.lines, self.hover.marks, self.hover.label
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # The timeline's (issue 16): the epoch on show, over the run's curves and its branches.
        self.cursor = EpochCursor((self.loss_plot, self.acc_plot, self.memory_plot), curve_plots, self.branches)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.mistake_label)
        layout.addWidget(self.graphics, 1)

    # -- slots (the main window connects these to the session) -------------------------
    def reset(self, experiment: Experiment | None = None) -> None:
        """A new run or new settings: clear the curves. The timeline's cursor and branches stay: their
        owner clears them (set_cursor(None), clear_branches()), as a branch's run starts here too."""
        self._hist.clear()
        self._pending = 0
        self._best_pending = None
        self._throttle.reset()
        self._best = None
        self._run_best = None
        if experiment is not None:
            self._mistake = MISTAKE_TABLE.get(experiment.train.mistake, NONE)
            self._scaled_target = experiment.data.name in TABULAR and experiment.data.standardize
            self._set_task(task_of(experiment.data))
            self._planned = max(experiment.train.epochs - 1, 1)
            # The normal run stays beside the same settings' mistake; anything else drops it.
            if self._mistake is NONE or without_mistake(experiment) != self.reference.key:
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
        self.cursor.place_dots(self._hist)    # none: no epoch is drawn
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
        rows = [row_of(ev) for ev in evs if isinstance(ev, EpochEnd)]
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
                self._hist.extend([row_from_record(r) for r in ev.history])
            self._redraw(self._hist.n)
        if ev.history:
            self._show_best(ev.best_epoch, ev.best_val_loss)
        if self._follow and self._hist.n:  # the run is over: show exactly its epochs (and the normal run's)
            self._x_hi = max(float(self._hist.view("epoch")[-1]), self._others_last(), 1.0)
            self.loss_plot.setXRange(0, self._x_hi, padding=0.02)
        self._show_mistake()

    # -- a mistake beside its normal run ---------------------------------------------------
    def set_reference(self, normal: Experiment | None, records: list[dict[str, Any]], done: bool = False) -> None:
        """Draw the normal run of the same settings (grey, dashed) beside a run that makes a mistake:
        `records` are its epochs so far (EpochEnd.as_record()); `done` once it has finished. None clears it."""
        self.reference.set(normal, records, done)
        self._show_legend()
        self._show_mistake()
        if self._follow:
            self._follow_data()

    def reference_key(self) -> Experiment | None:
        """The experiment of the normal run drawn beside the mistake, or None."""
        return self.reference.key

    def reference_data(self) -> dict[str, np.ndarray]:
        """Copies of the normal run's curves (the same columns as data())."""
        return {name: values.copy() for name, values in self.reference.columns.items()}

    def mistake_text(self) -> str:
        """The line over the curves that says what went wrong and why ("" when no mistake is made)."""
        return self.mistake_label.text() if not self.mistake_label.isHidden() else ""

    def _show_legend(self) -> None:
        normal = (f"&nbsp;&nbsp;<span style='color:{css(REFERENCE_RGB)}'>grey: normal run</span>"
                  if self.reference.key is not None else "")
        self.legend.setText(f"<span style='color:{css(BLUE)}'>━━ train</span>&nbsp;&nbsp;"
                            f"<span style='color:{css(INK)}'>━━ validation</span>&nbsp;&nbsp;"
                            f"<span style='color:#5a5a5a'>- - - best epoch</span>{normal}")
        self.branch_legend.set_entries(self.branches.legend_entries(), self.branches.tooltip())

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
        self.mistake_label.setText(mistake_text(m, self._hist, self.reference))
        self.mistake_label.show()

    # -- the timeline (issue 16): a cursor at the epoch on show, the run's branches ------------
    def set_cursor(self, epoch: int | None) -> None:
        """A vertical line through every plot at `epoch` (0-based, as the x axis), a dot on each curve
        there; None hides it. Moves a few items only: fine at every step of a dragged slider."""
        self.cursor.set(epoch, self._hist)

    def cursor_epoch(self) -> int | None:
        return self.cursor.epoch

    def add_branch(self, key: str, history: list[dict[str, Any]], from_epoch: int, label: str) -> None:
        """Draw branch `key`'s curves over the run's from `from_epoch` on (its records: EpochEnd.as_record();
        records before `from_epoch` are its parent's and not drawn), in the next free branch colour,
        dashed, named `label` in the legend. An existing `key` is replaced."""
        self.branches.add(key, history, from_epoch, label)
        self._branches_changed()

    def update_branch(self, key: str, history: list[dict[str, Any]]) -> None:
        """Branch `key`'s history grew (it is training): redrawn at the curves' pace (curves_every_s)."""
        self.branches.update(key, history)
        self._throttle()

    def remove_branch(self, key: str) -> None:
        self.branches.remove(key)
        self._branches_changed()

    def clear_branches(self) -> None:
        for key in list(self.branches.branches):
            self.branches.remove(key)
        self._branches_changed()

    def set_current_branch(self, key: str | None) -> None:
        """Draw branch `key` solid and in front, its legend entry bold; None: no branch is current."""
        self.branches.set_current(key)
        self._show_legend()
        self._show_current_best()
        self.cursor.place_dots(self._hist)    # on that branch's curves now

    def current_branch(self) -> str | None:
        return self.branches.current

    def branch_keys(self) -> list[str]:
        """The branches drawn, in the order they were added."""
        return list(self.branches.branches)

    def branch_color(self, key: str) -> tuple[int, int, int]:
        """Branch `key`'s colour (RGB), for a list that names the branches (TimelineBar.set_branch_colors)."""
        return self.branches.branches[key].color

    def branch_data(self, key: str) -> dict[str, np.ndarray]:
        """Copies of what branch `key`'s curves draw (the same columns as data(), from its from_epoch)."""
        return {name: values.copy() for name, values in self.branches.branches[key].columns.items()}

    def _branches_changed(self) -> None:
        self._show_legend()
        self.cursor.place_dots(self._hist)
        if self._follow:
            self._fit_loss_range()
            self._follow_data()

    # -- public helpers -----------------------------------------------------------------
    def data(self) -> dict[str, np.ndarray]:
        """Copies of the curves: epoch, train_loss, val_loss, train_acc, val_acc (NaN = none)."""
        return {name: self._hist.view(name).copy() for name in COLUMNS}

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
        self.cursor.place_dots(self._hist)    # on the new scale
        self._fit_loss_range()

    def is_log_loss(self) -> bool:
        return bool(self.loss_plot.getAxis("left").logMode)

    def hover_text(self) -> str:
        return self.hover.text()

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
        if self.branches.draw_pending():
            self.cursor.place_dots(self._hist)    # the current branch's new epochs
            self._show_current_best()
            if not self._pending and self._follow:
                self._follow_data()
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
            self.memory_plot.setYRange(0, nice_ceiling(top * 1.05) if top > 0 else 1.0, padding=0.02)
            self._show_mistake()
        if new_rows and self._hist.n:
            block = np.concatenate([self._hist.view(k)[-new_rows:] for k in ("train_loss", "val_loss")])
            block = block[np.isfinite(block)]
            if block.size:
                self._loss_lo = float(np.nanmin([self._loss_lo, block.min()]))
                self._loss_hi = float(np.nanmax([self._loss_hi, block.max()]))
        self.cursor.place_dots(self._hist)
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
        last = max(float(self._hist.view("epoch")[-1]) if self._hist.n else 0.0, self._others_last())
        if last >= self._x_hi:
            self._x_hi = nice_ceiling(max(10.0, last * 1.3))
            if self._planned:
                self._x_hi = max(min(self._x_hi, float(self._planned)), last, 1.0)
            self.loss_plot.setXRange(0, self._x_hi, padding=0.02)
        self._fit_loss_range(only_grow=True)

    def _others_last(self) -> float:
        """The last epoch drawn beside the run's own: a mistake's normal run, the branches."""
        return max(self.reference.last_epoch(), self.branches.last_epoch())

    def _fit_loss_range(self, only_grow: bool = False) -> None:
        lo = min((v for v in (self._loss_lo, self.reference.lo, self.branches.lo) if math.isfinite(v)),
                 default=math.nan)
        hi = max((v for v in (self._loss_hi, self.reference.hi, self.branches.hi) if math.isfinite(v)),
                 default=math.nan)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return
        if self.is_log_loss():
            lo, hi = math.log10(max(lo, 1e-12)), math.log10(max(hi, 1e-12))
            # Whole half-decades, so the range changes a few times a run, not on every flush.
            want = (math.floor(lo * 2) / 2, math.ceil(hi * 2) / 2 + (0.5 if hi == math.ceil(hi * 2) / 2 else 0))
        else:
            want = (min(0.0, lo), nice_ceiling(hi * 1.05) if hi > 0 else 1.0)
        (y0, y1) = self.loss_plot.vb.viewRange()[1]
        if only_grow and want[0] >= y0 - 1e-12 and want[1] <= y1 + 1e-12:
            return
        self.loss_plot.setYRange(*want, padding=0.02)

    def _show_best(self, epoch: int, val_loss: float) -> None:
        self._best = int(epoch)
        self._run_best = (int(epoch), val_loss)
        self._show_current_best()

    def _show_current_best(self) -> None:
        """The dashed line and the label at the best epoch of the line on show: the current branch's, else
        the run's (newcomer 16, finding 3)."""
        key = self.branches.current
        best = self.branches.best(key) if key is not None else self._run_best
        if best is None:
            return
        epoch, val_loss = best
        for line in self.best_lines:
            line.setValue(epoch)
            line.show()
        self.best_label.setText(f"best epoch {epoch} · validation loss {fmt(val_loss)}")

    def _hide_hover(self) -> None:
        self.hover.hide()

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
        self.hover.show_at(plot, plot.vb.mapSceneToView(scene_pos), self._hist, self._task)


__all__ = ["CurvesView", "NO_RUN", "log_ticks"]   # log_ticks: curves_axes.py's, where the tests look for it
