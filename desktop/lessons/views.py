"""The lessons' own views: A1's read-outs, the A2/A3 truth table, A4's manual-vs-PyTorch plot."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from trainer.config import Experiment, resolved_loss
from trainer.data import GATES, gate
from trainer.events import EpochEnd, Finished, ParamStep, Snapshot

TRUTH_W, TRUTH_B = 2.0, 1.0          # the seed's line, y = 2x + 1
MANUAL_COLOR = (31, 119, 180)        # matplotlib's first two colours, as the seed's phase 4 plot has them
PYTORCH_COLOR = (255, 127, 14)
REDRAW_MS = 125


def _fmt(v: float | None, digits: int = 4) -> str:
    if v is None or not math.isfinite(v):
        return "—" if v is None else str(v)
    return f"{v:+.{digits}f}" if abs(v) >= 10 ** -digits or v == 0 else f"{v:+.2e}"


# -- A1 -------------------------------------------------------------------------------------
class ParameterReadout(QWidget):
    """Live w, b, their gradients and the loss; at the end, the learned line against y = 2x + 1."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.run_button = QPushButton("Run with raw autograd")
        self.run_button.setToolTip("Train w and b with loss.backward() and a hand-written update, "
                                   "using the Dataset and Optimizer docks' samples, noise, seed, "
                                   "learning rate and epochs")
        self.slow_box = QCheckBox("Slow motion")
        self.slow_box.setChecked(True)
        self.slow_box.setToolTip("Pause 10 ms after each epoch so the line can be seen moving "
                                 "(500 epochs then take about 5 s instead of a blink)")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.slow_box)
        buttons.addStretch(1)

        grid = QGridLayout()
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.fields: dict[str, QLabel] = {}
        rows = (("epoch", "epoch"), ("w", "w"), ("b", "b"), ("grad_w", "∂loss/∂w"), ("grad_b", "∂loss/∂b"),
                ("loss", "loss (MSE)"))
        for r, (key, label) in enumerate(rows):
            name = QLabel(label)
            value = QLabel("—")
            value.setFont(mono)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, r, 0)
            grid.addWidget(value, r, 1)
            self.fields[key] = value
        grid.setColumnStretch(2, 1)
        self.source = QLabel("")
        self.source.setWordWrap(True)
        self.source.setStyleSheet("color: #555")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(grid)
        layout.addWidget(self.source)
        layout.addWidget(self.result)
        self.values: dict[str, float | None] = {}
        self.reset()

    def reset(self, source: str = "") -> None:
        self.values = {k: None for k in self.fields}
        for label in self.fields.values():
            label.setText("—")
        self.source.setText(source)
        self.result.setText("")

    def set_running(self, running: bool) -> None:
        self.run_button.setText("Stop" if running else "Run with raw autograd")

    def show_step(self, epoch: int, w: float, b: float, grad_w: float | None, grad_b: float | None,
                  loss: float | None) -> None:
        """One row of numbers: w and b now, the gradients and the loss of the step that led here."""
        self.values = {"epoch": float(epoch), "w": w, "b": b, "grad_w": grad_w, "grad_b": grad_b, "loss": loss}
        self.fields["epoch"].setText(f"{epoch + 1:,}")
        for key in ("w", "b", "grad_w", "grad_b"):
            self.fields[key].setText(_fmt(self.values[key]))
        self.fields["loss"].setText(_fmt(loss).lstrip("+"))   # a loss is never negative: no sign

    def on_param_step(self, ev: ParamStep, loss: float | None) -> None:
        self.show_step(ev.epoch, ev.values["w"], ev.values["b"], ev.grads["w"], ev.grads["b"], loss)

    def show_result(self, w: float, b: float, epochs: int) -> None:
        dw, db = w - TRUTH_W, b - TRUTH_B
        self.result.setText(
            f"After {epochs:,} epochs: <b>y = {w:.3f}x {'+' if b >= 0 else '−'} {abs(b):.3f}</b><br>"
            f"Truth: y = 2x + 1 &nbsp;(w off by {dw:+.3f}, b off by {db:+.3f})")


def line_gradients(w: float, b: float, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(∂MSE/∂w, ∂MSE/∂b, MSE) of y ≈ w·x + b over the points: what autograd would compute."""
    r = w * x + b - y
    return float(np.mean(2 * r * x)), float(np.mean(2 * r)), float(np.mean(r * r))


# -- A2 / A3 -------------------------------------------------------------------------------------
def _activation(fn: str, z: np.ndarray) -> np.ndarray:
    if fn == "relu":
        return np.maximum(z, 0)
    if fn == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)   # nn.LeakyReLU's default slope
    if fn == "tanh":
        return np.tanh(z)
    if fn == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if fn == "gelu":
        erf = np.vectorize(math.erf)
        return 0.5 * z * (1 + erf(z / math.sqrt(2)))
    return z   # identity


def gate_outputs(experiment: Experiment, weights: tuple, x: np.ndarray) -> np.ndarray | None:
    """P(class 1) for each row of x, a NumPy forward pass through the snapshot's Linear layers.

    Follows trainer.models.build_model: the layers in order, then the head, then a sigmoid
    (BCE) or a softmax (cross-entropy). None when it cannot be done from the weights alone
    (BatchNorm keeps running statistics the snapshot does not carry).
    """
    layers = experiment.model.layers
    if any(layer.kind == "batchnorm" for layer in layers):
        return None
    n_linear = sum(layer.kind == "linear" for layer in layers) + 1
    if len(weights) != n_linear:
        return None
    h = np.asarray(x, dtype=np.float64)
    i = 0
    for layer in layers:
        if layer.kind == "linear":
            w, b = weights[i]
            h = h @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
            i += 1
        elif layer.kind == "activation":
            h = _activation(layer.fn or "identity", h)
        # dropout: the identity in eval mode
    w, b = weights[i]
    z = h @ np.asarray(w, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
    if resolved_loss(experiment) == "bce":
        return 1 / (1 + np.exp(-z[:, 0]))
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True))[:, 1]


class TruthTable(QWidget):
    """The four rows of a logic gate: target, the model's output, its thresholded prediction."""

    COLUMNS = ("x₁", "x₂", "target", "output", "predicted", "")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(4, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.caption = QLabel("output = the model's probability of class 1; predicted = output > 0.5")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #555")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addWidget(self.caption)
        self.experiment: Experiment | None = None
        self.x, self.y = gate("and")
        self.outputs: np.ndarray | None = None
        self._fit_height()

    def _fit_height(self) -> None:
        self.table.resizeRowsToContents()
        h = self.table.horizontalHeader().height() + sum(self.table.rowHeight(r) for r in range(4))
        self.table.setFixedHeight(h + 2 * self.table.frameWidth())

    def applies_to(self, experiment: Experiment | None) -> bool:
        return experiment is not None and experiment.data.name in GATES

    def reset(self, experiment: Experiment) -> None:
        """New settings: the gate's rows with their targets, no outputs yet."""
        self.experiment = experiment
        self.outputs = None
        if not self.applies_to(experiment):
            self.title.setText(f"The truth table is for the AND, OR and XOR datasets; "
                               f"this one is {experiment.data.name}.")
            self.table.setEnabled(False)
            return
        self.table.setEnabled(True)
        self.x, self.y = gate(experiment.data.name)
        for r in range(4):
            for c, text in enumerate((f"{self.x[r, 0]:.0f}", f"{self.x[r, 1]:.0f}", str(int(self.y[r])),
                                      "—", "—", "")):
                self._set(r, c, text)
        self.title.setText(f"<b>{experiment.data.name.upper()}</b>: not trained yet")

    def _set(self, row: int, col: int, text: str, color: QColor | None = None) -> None:
        item = self.table.item(row, col)
        if item is None:
            item = QTableWidgetItem()
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, col, item)
        item.setText(text)
        if color is not None:
            item.setForeground(color)

    def show_outputs(self, outputs: np.ndarray, epoch: int | None = None, final: bool = False) -> None:
        outputs = np.asarray(outputs, dtype=float).reshape(-1)
        if len(outputs) != 4 or self.experiment is None:
            return
        self.outputs = outputs
        pred = (outputs > 0.5).astype(int)
        for r in range(4):
            ok = pred[r] == int(self.y[r])
            self._set(r, 3, f"{outputs[r]:.3f}")
            self._set(r, 4, str(pred[r]))
            self._set(r, 5, "✓" if ok else "✗", QColor(30, 140, 60) if ok else QColor(200, 40, 40))
        when = "final" if final else (f"epoch {epoch + 1:,}" if epoch is not None else "")
        self.title.setText(f"<b>{self.experiment.data.name.upper()}</b>: {self.correct()}/4 right"
                           + (f" &nbsp;({when})" if when else ""))

    def correct(self) -> int:
        """Rows whose thresholded output matches the target (0 before any output)."""
        if self.outputs is None:
            return 0
        return int(((self.outputs > 0.5).astype(int) == self.y).sum())

    def on_snapshot(self, ev: Snapshot) -> None:
        if not self.applies_to(self.experiment) or not ev.weights:
            return
        outputs = gate_outputs(self.experiment, ev.weights, self.x)
        if outputs is not None:
            self.show_outputs(outputs, ev.epoch)

    def on_model(self, model: Any) -> None:
        """The trained torch model at the end (exact, BatchNorm included)."""
        if model is None or not self.applies_to(self.experiment):
            return
        import torch
        with torch.no_grad():
            out = model(torch.from_numpy(self.x))
        out = out[:, 0] if out.shape[1] == 1 else torch.softmax(out, dim=1)[:, 1]
        self.show_outputs(out.numpy(), final=True)


# -- A4 -------------------------------------------------------------------------------------------
class ComparisonView(QWidget):
    """Manual NumPy backprop against PyTorch on XOR: both loss curves on one log-scale plot."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.run_button = QPushButton("Run both")
        self.run_button.setToolTip("Train the NumPy network (hand-written backprop, lr 2.0) and the "
                                   "PyTorch MLP (Adam, lr 0.01) on XOR, 5,000 epochs each, side by side")
        self.status = QLabel("Press Run both: the two networks train side by side, 5,000 epochs each.")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(self.run_button)
        top.addWidget(self.status, 1)

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setLogMode(x=False, y=True)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setTitle("XOR training: manual vs PyTorch", color="#282828", size="12pt")
        for axis, label in (("bottom", "epoch"), ("left", "loss (log scale)")):
            item = self.plot.getAxis(axis)
            item.setPen(pg.mkPen(150, 150, 150))
            item.setTextPen(pg.mkPen(40, 40, 40))
            item.enableAutoSIPrefix(False)
            self.plot.setLabel(axis, label, color="#282828")
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor=(40, 40, 40),
                                          brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen(200, 200, 200))
        # Pen width 1 (wider pens make Qt's stroker the bottleneck) and peak downsampling: the
        # redraws then cost little of the time the two trainings need.
        self.curves = {
            "manual": self.plot.plot([], [], pen=pg.mkPen(MANUAL_COLOR, width=1),
                                     name="Manual (NumPy, MSE, lr 2.0)"),
            "pytorch": self.plot.plot([], [], pen=pg.mkPen(PYTORCH_COLOR, width=1),
                                      name="PyTorch (BCE, Adam lr 0.01)"),
        }
        for curve in self.curves.values():
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self._losses: dict[str, list[float]] = {"manual": [], "pytorch": []}
        self.results: dict[str, Finished] = {}
        # Repaints of two 5,000-point curves hold the GIL the trainings need: redraw ~8 times a
        # second at most (the data still arrives ~30 times a second), and at once at the end.
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._redraw)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)

    def reset(self) -> None:
        self._losses = {"manual": [], "pytorch": []}
        self.results = {}
        self._redraw_timer.stop()
        for curve in self.curves.values():
            curve.setData([], [])
        self.plot.enableAutoRange(axis="xy", enable=True)

    def set_running(self, running: bool) -> None:
        self.run_button.setText("Stop" if running else "Run both")
        if running:
            self.status.setText("Training both networks…")

    def on_events(self, items: list[tuple[str, Any]]) -> None:
        """(which, event) pairs from the worker: which is 'manual' or 'pytorch'."""
        for which, ev in items:
            if isinstance(ev, EpochEnd):
                self._losses[which].append(ev.train_loss)
            elif isinstance(ev, Finished):
                self.results[which] = ev
        if len(self.results) == 2:
            self._redraw()
            self._summarise()
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def finish(self) -> None:
        """The run ended (completed or stopped): draw everything that arrived."""
        self._redraw()

    def _redraw(self) -> None:
        self._redraw_timer.stop()
        for which, losses in self._losses.items():
            if len(losses) != len(self.curves[which].xData if self.curves[which].xData is not None else ()):
                y = np.asarray(losses, dtype=float)
                self.curves[which].setData(np.arange(len(y)), y)

    def _summarise(self) -> None:
        parts = []
        for which, name in (("manual", "Manual"), ("pytorch", "PyTorch")):
            fin = self.results[which]
            last = fin.history[-1]["train_loss"] if fin.history else math.nan
            acc = fin.metrics.get("test_accuracy")
            right = f", {round(acc / 25):d}/4 right" if isinstance(acc, (int, float)) else ""
            parts.append(f"{name}: {fin.epochs_run:,} epochs, final loss {last:.2e}{right}")
        self.status.setText(" · ".join(parts))

    def curve_data(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """The (epochs, losses) given to the 'manual' or 'pytorch' curve (not log-mapped)."""
        curve = self.curves[which]
        if curve.xData is None:
            return np.zeros(0), np.zeros(0)
        return np.asarray(curve.xData), np.asarray(curve.yData)


__all__ = ["ParameterReadout", "TruthTable", "ComparisonView", "gate_outputs", "line_gradients"]
