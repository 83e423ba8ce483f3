"""One hidden neuron, large: its output over the input plane with the data on top.

TensorFlow Playground's signature view. The map comes from Snapshot.neurons[layer][:, :, unit]
and follows the training live; the title names the neuron and its value range.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trainer.config import Experiment, input_dim
from trainer.events import EpochEnd, Finished, NewBest, Snapshot, Started

from .boundary import point_size, scatter_spots
from .colors import diverging_colormap, style_axes

HINT = "Click a hidden neuron in the network diagram to see its output here."


class NeuronView(QWidget):
    """Snapshot.neurons[layer][:, :, unit] over the plane, updated with every snapshot."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._neuron: tuple[int, int] | None = None
        self._snapshot: Snapshot | None = None
        self._activations: list[str] = []
        self._map: np.ndarray | None = None

        self.title = QLabel(HINT)
        self.title.setStyleSheet("color: #222; font-weight: bold; padding: 2px 6px")
        self.title.setWordWrap(True)
        self.detail = QLabel(" ")
        self.detail.setStyleSheet("color: #444; padding: 0 6px 4px 6px")

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.getViewBox().setAspectLocked(True, ratio=1.0)
        style_axes(self.plot, "x₁", "x₂")
        self.plot_widget.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.plot.addItem(self.image_item)
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=diverging_colormap(), interactive=False,
                                        width=14, label="neuron output")
        self.colorbar.setImageItem(self.image_item, insert_in=self.plot)
        # Dark outlines: a saturated neuron map can be exactly a class colour, and white rims vanish on it.
        self.points = pg.ScatterPlotItem(symbol="o", size=6, pen=pg.mkPen(40, 40, 40, 220))
        self.points.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.plot.addItem(self.points)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.plot_widget, 1)
        self.message = QLabel("")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #444; font-size: 11pt; padding: 20px")
        self.message.hide()
        layout.addWidget(self.message, 1)
        layout.addWidget(self.detail)

    # -- slots ----------------------------------------------------------------------------
    def reset(self, experiment: Experiment) -> None:
        """New settings: forget the neuron (the layers may have changed)."""
        self._activations = _activations(experiment)
        self._snapshot = None
        self._map = None
        self._neuron = None
        self.image_item.clear()
        self.detail.setText(" ")
        plane = input_dim(experiment.data) == 2
        shown = plane and bool(self._activations)
        self.plot_widget.setVisible(shown)
        self.message.setVisible(not shown)
        self.title.setText(HINT if shown else "")
        self.title.setVisible(shown)
        if not plane:
            self.message.setText("A neuron map shows a hidden neuron's output over the input plane, "
                                 "so it exists for 2-D datasets only.")
        elif not shown:
            self.message.setText("This model has no hidden layer: add a Linear layer to see its neurons here.")

    def set_data(self, splits: Any) -> None:
        """The training points, drawn over the map as in the boundary view."""
        if splits is None or splits.input_dim != 2:
            self.points.setData(x=[], y=[])
            return
        self.points.setData(**scatter_spots(splits.x_train, splits.y_train, point_size(len(splits.x_train))))
        x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
        lo, hi = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
        self.plot.getViewBox().setRange(xRange=(float(lo[0]), float(hi[0])), yRange=(float(lo[1]), float(hi[1])),
                                        padding=0)

    def on_started(self, ev: Started) -> None:
        """Keep the map until the first snapshot of the run replaces it."""

    def on_epochs(self, evs: list[EpochEnd]) -> None:
        """The map follows snapshots."""

    def on_new_best(self, ev: NewBest) -> None:
        """Nothing to show."""

    def on_snapshot(self, ev: Snapshot) -> None:
        if ev.neurons:
            self._snapshot = ev
            self._redraw()

    def on_finished(self, ev: Finished) -> None:
        """The last snapshot came before Finished."""

    def show_neuron(self, layer: int, unit: int) -> None:
        """Show hidden layer `layer`'s unit `unit` (connect NetworkView.neuronClicked here)."""
        self._neuron = (int(layer), int(unit))
        self._redraw()

    # -- public helpers -------------------------------------------------------------------
    def neuron(self) -> tuple[int, int] | None:
        return self._neuron

    def map(self) -> np.ndarray | None:
        """The neuron's output values now shown, (H, W), row 0 = the bottom of the plane."""
        return None if self._map is None else self._map.copy()

    # -- internals ------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._neuron is None:
            return
        layer, unit = self._neuron
        act = self._activations[layer] if layer < len(self._activations) else ""
        name = f"Hidden layer {layer + 1}, neuron {unit + 1}" + (f" ({act})" if act else "")
        ev = self._snapshot
        if ev is None or layer >= len(ev.neurons) or unit >= ev.neurons[layer].shape[2]:
            self.title.setText(f"{name}: its map appears with the first snapshot while training")
            return
        values = np.asarray(ev.neurons[layer][:, :, unit], dtype=np.float32)
        self._map = values
        lo, hi = float(values.min()), float(values.max())
        vmax = max(abs(lo), abs(hi))
        # Symmetric levels keep 0 at the neutral middle of the scale, so sign reads as colour.
        self.colorbar.setLevels((-vmax, vmax) if vmax > 0 else (-1.0, 1.0))
        self.image_item.setImage(values, autoLevels=False)
        xmin, xmax, ymin, ymax = ev.extent
        h, w = values.shape
        dx, dy = (xmax - xmin) / max(w - 1, 1), (ymax - ymin) / max(h - 1, 1)
        self.image_item.setRect(QRectF(xmin - dx / 2, ymin - dy / 2, xmax - xmin + dx, ymax - ymin + dy))
        self.title.setText(f"{name} — epoch {ev.epoch}")
        dead = " — always 0 over the plane: a dead ReLU" if vmax == 0 else ""
        self.detail.setText(f"output from {lo:.3g} to {hi:.3g} over the plane{dead}. "
                            "Orange = negative, blue = positive, grey = 0.")


def _activations(exp: Experiment) -> list[str]:
    """The activation after each hidden Linear layer ('' when none)."""
    out: list[str] = []
    for spec in exp.model.layers:
        if spec.kind == "linear":
            out.append("")
        elif spec.kind == "activation" and out and not out[-1]:
            out[-1] = spec.fn or ""
    return out
