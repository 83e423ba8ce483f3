"""The decision boundary: class probabilities over the input plane, the data on top.

2-D classification: an ImageItem heatmap (each class its colour, fading to white
where the model is unsure) under the train / validation / test points. Left-click
adds a point of the chosen class, right-click removes the nearest added one.
1-D regression: the fitted curve over the points and the truth y = 2x + 1, dashed.
"""
from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGraphicsItem, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from trainer.config import Experiment, input_dim, n_classes, task_of
from trainer.events import EpochEnd, Finished, NewBest, Snapshot, Started
from trainer.shape_walk import differs_in_training

from .colors import INK, LABEL, class_color, class_qcolor, probability_rgba, style_axes

log = logging.getLogger(__name__)

REMOVE_RADIUS_PX = 30  # a right-click further than this from every added point removes nothing
PAD = 0.3              # the loop pads the data's extent by 0.3, as the seed's plot does
# Zoomed or panned with a model at hand (not while training), the picture is redrawn for the plane in
# sight, this many times the visible range around its centre, so the next small pan needs no redraw...
REDRAW_MARGIN = 1.5
# ...and when zoomed in so far that the picture's cells look coarse: the visible width under 1/this
# of the picture's. A redraw is one grid pass of a small model on the GUI thread: about a millisecond.
REDRAW_ZOOM = 3.0
REDRAW_DELAY_MS = 40   # a drag or a wheel spin redraws once it pauses, not on every step


def data_extent(xs: list[np.ndarray]) -> tuple[float, float, float, float] | None:
    """The plane the points span, padded as trainer.loop pads it."""
    pts = [x for x in xs if x is not None and len(x)]
    if not pts:
        return None
    x = np.concatenate(pts)
    lo, hi = x.min(axis=0), x.max(axis=0)
    if x.shape[1] == 1:
        return float(lo[0] - PAD), float(hi[0] + PAD), 0.0, 0.0
    return float(lo[0] - PAD), float(hi[0] + PAD), float(lo[1] - PAD), float(hi[1] + PAD)


def scatter_spots(x: np.ndarray, y: np.ndarray, size: float | None = None) -> dict[str, Any]:
    """Per-point brushes for a class-coloured scatter."""
    spots: dict[str, Any] = {"x": x[:, 0], "y": x[:, 1], "brush": [pg.mkBrush(class_color(int(c))) for c in y]}
    if size is not None:
        spots["size"] = size
    return spots


def point_size(n_points: int) -> float:
    """Marker size in pixels: four XOR points should be easy to see, 450 spiral points should not crowd."""
    return 13.0 if n_points <= 20 else 9.0 if n_points <= 200 else 7.0


class BoundaryView(QWidget):
    """Decision boundary (2-D classification) or fitted curve (1-D regression)."""

    pointAdded = Signal(float, float, int)
    pointRemoved = Signal(int)  # index into the added points (DataSpec.extra_points order)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._splits: Any = None
        self._task = "multiclass"
        self._n_classes = 2
        self._dim = 2
        self._user: list[tuple[float, float, int]] = []
        self._probs: np.ndarray | None = None
        self._rgba: np.ndarray | None = None
        self._extent: tuple[float, float, float, float] | None = None
        self._data_extent: tuple[float, float, float, float] | None = None
        self._spec_key: Any = None
        self._model: Any = None            # the torch model shown, when it may be redrawn here
        self._head = "cross_entropy"
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_DELAY_MS)
        self._redraw_timer.timeout.connect(self._redraw_for_view)

        # -- top bar: class to add and toggles; legend and read-out go below the plane -------
        self.class_label = QLabel("Click adds:")
        self.class_box = QComboBox()
        self.class_box.setToolTip("Left-click on the plane adds a training point of this class; "
                                  "right-click removes the nearest added point")
        self.clear_button = QPushButton("Clear added")
        self.clear_button.setToolTip("Remove every point you added")
        self.clear_button.clicked.connect(self.clear_user_points)
        self.test_box = QCheckBox("Test points")
        self.test_box.setChecked(True)
        self.test_box.toggled.connect(lambda on: self.scatters["test"].setVisible(on))
        self.discrete_box = QCheckBox("Discretize")
        self.discrete_box.setToolTip("Paint each region in its winning class at full strength")
        self.discrete_box.toggled.connect(lambda _: self._repaint_image())
        # Train vs eval mode, for models with dropout or batch norm (shown only for those).
        self.train_mode_box = QCheckBox("Train mode")
        self.train_mode_box.setToolTip("Draw the boundary as model.train() computes it: dropout drops units "
                                       "(another picture each time) and batch norm uses the batch's statistics. "
                                       "Off: model.eval(), the same picture every time")
        self.train_mode_box.toggled.connect(lambda _: self._draw_mode())
        self.redraw_button = QPushButton("Redraw")
        self.redraw_button.setToolTip("Run the model in train mode once more: dropout drops other units")
        self.redraw_button.clicked.connect(self._draw_mode)
        self._mode_layers = False          # the experiment's model has dropout or batch norm
        self._draws = 0                    # train-mode pictures drawn: each draws other dropout units
        self.legend = QLabel("● train  ◆ validation  ▲ test  ★ added")
        self.legend.setStyleSheet("color: #444")
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        for w in (self.class_label, self.class_box, self.clear_button):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.train_mode_box)
        top.addWidget(self.redraw_button)
        top.addWidget(self.test_box)
        top.addWidget(self.discrete_box)
        self.readout = QLabel(" ")
        self.readout.setStyleSheet("color: #444")

        # -- the plane ----------------------------------------------------------------------
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.vb: pg.ViewBox = self.plot.getViewBox()
        self.vb.setAspectLocked(True, ratio=1.0)
        style_axes(self.plot, "x₁", "x₂")
        # Smooth scaling of the 100×100 probability grid: no staircase along the boundary.
        self.plot_widget.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.plot.addItem(self.image_item)
        white = pg.mkPen(255, 255, 255, 230, width=1)
        dark = pg.mkPen(40, 40, 40, 200, width=1)
        self.scatters = {
            "train": pg.ScatterPlotItem(symbol="o", size=7, pen=white),
            "val": pg.ScatterPlotItem(symbol="d", size=8, pen=dark),
            "test": pg.ScatterPlotItem(symbol="t1", size=8, pen=dark),
            "user": pg.ScatterPlotItem(symbol="star", size=15, pen=pg.mkPen(20, 20, 20, width=1)),
        }
        for z, item in enumerate(self.scatters.values()):
            item.setZValue(z)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks are the plane's, not the points'
            # The points stay put while the heatmap under them changes ~12 times a second: keep each
            # layer as a pixmap instead of redrawing hundreds of symbols per frame (1.5 of 3 ms a paint).
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.plot.addItem(item)

        # Regression items.
        truth_pen = QPen(QColor(60, 60, 60))
        truth_pen.setStyle(Qt.PenStyle.DashLine)
        truth_pen.setCosmetic(True)
        self.truth_line = pg.PlotDataItem(pen=truth_pen, name="truth: y = 2x + 1")
        self.fit_curve = pg.PlotDataItem(pen=pg.mkPen(class_color(1), width=2), name="the model's fit")
        self.points_1d = pg.ScatterPlotItem(symbol="o", size=8, pen=pg.mkPen("w"),
                                            brush=pg.mkBrush(class_color(0)), name="data")
        self.legend_1d = pg.LegendItem(offset=(10, 10), labelTextColor=INK,
                                       brush=pg.mkBrush(255, 255, 255, 220), pen=pg.mkPen(200, 200, 200))
        self.legend_1d.setParentItem(self.vb)
        for z, item in enumerate((self.points_1d, self.fit_curve, self.truth_line)):  # truth on top: it is thin
            item.setZValue(10 + z)
            self.plot.addItem(item)
            self.legend_1d.addItem(item, item.name())
            item.hide()
        self.legend_1d.hide()

        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_click)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.message = QLabel("The decision boundary is drawn for datasets with one or two inputs;\n"
                              "this one has many inputs per sample (see the other views).")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: #444; font-size: 11pt")
        self.message.hide()
        layout.addWidget(self.message, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 2)
        bottom.addWidget(self.legend)
        bottom.addStretch(1)
        bottom.addWidget(self.readout)
        layout.addLayout(bottom)
        self._set_classes(2)
        self._apply_train_mode()

    # -- slots ----------------------------------------------------------------------------
    def reset(self, experiment: Experiment) -> None:
        """New settings: take the classes and added points; drop the old model's picture
        unless only the added points changed (then the old boundary helps place more)."""
        data = experiment.data
        key = (replace(data, extra_points=()), experiment.model)
        if key != self._spec_key:
            self._clear_model_picture()
        self._spec_key = key
        self._mode_layers = differs_in_training(experiment)
        self._task = task_of(data)
        self._dim = input_dim(data)
        self._set_classes(n_classes(data) if self._task != "regression" else 1)
        self._user = [(float(x), float(y), int(c)) for x, y, c in data.extra_points]
        self._apply_mode()
        self._draw_user()

    def set_data(self, splits: Any) -> None:
        """Draw the data points (trainer.data.Splits); added points are drawn apart as stars."""
        self._splits = splits
        self._task, self._dim = splits.task, splits.input_dim
        if splits.task != "regression":
            self._set_classes(splits.n_classes)
        self._apply_mode()
        if self._dim == 2:
            x_train, y_train = splits.x_train, splits.y_train
            n_user = len(self._user)
            if n_user and len(x_train) >= n_user:
                tail = np.array([(x, y) for x, y, _ in self._user], dtype=np.float32)
                if np.allclose(x_train[-n_user:], tail, atol=1e-5):
                    x_train, y_train = x_train[:-n_user], y_train[:-n_user]
            shared = splits.note.startswith("val and test")  # the 4-point tables: one set of points
            size = point_size(len(x_train) + (0 if shared else len(splits.x_val) + len(splits.x_test)))
            self.scatters["train"].setData(**scatter_spots(x_train, y_train, size))
            self.scatters["val"].setData(**(scatter_spots(splits.x_val, splits.y_val, size + 1) if not shared
                                            else {"x": [], "y": []}))
            self.scatters["test"].setData(**(scatter_spots(splits.x_test, splits.y_test, size + 1) if not shared
                                             else {"x": [], "y": []}))
            self._data_extent = data_extent([splits.x_train, splits.x_val, splits.x_test])
            if self._rgba is None:
                self._show_extent(self._data_extent)
        elif self._dim == 1:
            xs = [splits.x_train, splits.y_train]
            if not splits.note.startswith("val and test"):
                xs = [np.concatenate([splits.x_train, splits.x_val, splits.x_test]),
                      np.concatenate([splits.y_train, splits.y_val, splits.y_test])]
            self.points_1d.setData(xs[0][:, 0], xs[1])
            ext = data_extent([xs[0]])
            tx = np.array([ext[0], ext[1]])
            # y = 2x + 1 is the linear lesson's truth; a file's column (named features) has none known.
            lesson_data = not splits.feature_names
            self.truth_line.setData(*((tx, 2 * tx + 1) if lesson_data else ([], [])))
            self.legend_1d.removeItem(self.truth_line)
            if lesson_data:
                self.legend_1d.addItem(self.truth_line, self.truth_line.name())
            self.vb.autoRange()
        self._draw_user()

    def on_started(self, ev: Started) -> None:
        """Keep the last picture until the first snapshot of the new run replaces it."""
        self.set_model(None)    # the run's own pictures follow; the old model is not what they show
        if ev.task != "regression":
            self._set_classes(ev.n_classes)

    def on_epochs(self, evs: list[EpochEnd]) -> None:
        """The boundary changes with snapshots, not epochs."""

    def on_new_best(self, ev: NewBest) -> None:
        """Nothing to show."""

    def on_snapshot(self, ev: Snapshot) -> None:
        """Redraw the heatmap (2-D) or the fitted curve (1-D)."""
        if ev.boundary is not None and ev.extent is not None:
            self._probs = np.asarray(ev.boundary)
            first = self._rgba is None
            self._extent = tuple(ev.extent)
            self._repaint_image()
            if first:   # the data in sight; the picture reaches beyond it (trainer.plane.extent_of)
                self._show_extent(self._data_extent or self._extent)
        if ev.curve is not None:
            xs, ys = ev.curve
            self.fit_curve.setData(np.asarray(xs), np.asarray(ys))
            self.fit_curve.show()

    def on_finished(self, ev: Finished) -> None:
        """The final snapshot arrives before Finished; nothing more to draw."""

    def set_model(self, model: Any, head: str = "cross_entropy") -> None:
        """The (small, 1-2 input) torch model whose picture is shown, or None: with one, zooming and
        panning beyond the picture redraw it for the plane in sight. The caller owns when: never
        while a run is going (its snapshots are the pictures then)."""
        self._model, self._head = model, head
        if model is None:
            self._redraw_timer.stop()
            self.train_mode_box.blockSignals(True)   # a run's pictures are eval mode: say so
            self.train_mode_box.setChecked(False)
            self.train_mode_box.blockSignals(False)
        else:
            self._redraw_timer.start()   # the plane in sight may already reach beyond the picture
        self._apply_train_mode()

    def train_mode(self) -> bool:
        """True while the boundary is drawn as model.train() computes it."""
        return self.train_mode_box.isChecked() and self._model is not None

    def image_extent(self) -> tuple[float, float, float, float] | None:
        """The plane the heatmap now covers (xmin, xmax, ymin, ymax), or None."""
        return None if self._rgba is None else self._extent

    # -- public helpers -------------------------------------------------------------------
    def image(self) -> np.ndarray | None:
        """The heatmap now shown, (H, W, 4) uint8 RGBA (row 0 = the bottom), or None."""
        return None if self._rgba is None else self._rgba.copy()

    def user_points(self) -> list[tuple[float, float, int]]:
        return list(self._user)

    def chosen_class(self) -> int:
        return max(self.class_box.currentIndex(), 0)

    def set_chosen_class(self, cls: int) -> None:
        self.class_box.setCurrentIndex(int(cls))

    def clear_user_points(self) -> None:
        """Remove every added point, last first, so each index stays valid for the listener."""
        while self._user:
            self._remove(len(self._user) - 1)

    def view_to_widget(self, x: float, y: float) -> QPoint:
        """The viewport pixel where data point (x, y) lies (for tests and tools)."""
        return self.plot_widget.mapFromScene(self.vb.mapViewToScene(QPointF(x, y)))

    # -- internals ------------------------------------------------------------------------
    def _set_classes(self, n: int) -> None:
        if self.class_box.count() == n:
            return
        keep = self.class_box.currentIndex()
        self.class_box.clear()
        for c in range(n):
            pix = QPixmap(12, 12)
            pix.fill(class_qcolor(c))
            self.class_box.addItem(QIcon(pix), f"class {c}")
        self.class_box.setCurrentIndex(keep if 0 <= keep < n else 0)

    def _apply_mode(self) -> None:
        plane = self._dim == 2
        regression = self._dim == 1
        for w in (self.class_label, self.class_box, self.clear_button, self.legend, self.test_box,
                  self.discrete_box):
            w.setVisible(plane)
        self._apply_train_mode()
        for item in self.scatters.values():
            item.setVisible(plane)
        self.scatters["test"].setVisible(plane and self.test_box.isChecked())
        self.image_item.setVisible(plane)
        for item in (self.points_1d, self.truth_line, self.legend_1d):
            item.setVisible(regression)
        if not regression:
            self.fit_curve.hide()
        self.vb.setAspectLocked(plane, ratio=1.0)
        self.plot.setLabel("bottom", "x" if regression else "x₁", color=LABEL)
        self.plot.setLabel("left", "y" if regression else "x₂", color=LABEL)
        self.plot_widget.setVisible(plane or regression)
        self.message.setVisible(not (plane or regression))
        self.readout.setText(" ")

    def clear_picture(self) -> None:
        """Forget the model's picture (Reset): the plane shows the data alone until the next one."""
        self._clear_model_picture()

    def _clear_model_picture(self) -> None:
        self.set_model(None)
        self._probs = self._rgba = None
        self.image_item.clear()
        self.fit_curve.setData([], [])

    def _repaint_image(self) -> None:
        if self._probs is None or self._extent is None:
            return
        self._rgba = probability_rgba(self._probs, discrete=self.discrete_box.isChecked())
        h, w = self._rgba.shape[:2]
        xmin, xmax, ymin, ymax = self._extent
        # The grid samples cell centres from xmin to xmax inclusive: widen by half a cell each side.
        dx = (xmax - xmin) / max(w - 1, 1)
        dy = (ymax - ymin) / max(h - 1, 1)
        self.image_item.setImage(self._rgba, autoLevels=False)
        self.image_item.setRect(QRectF(xmin - dx / 2, ymin - dy / 2, xmax - xmin + dx, ymax - ymin + dy))

    def _apply_train_mode(self) -> None:
        """The toggle for models with dropout or batch norm on a plane; usable with a model at hand."""
        shown = self._dim == 2 and self._mode_layers
        self.train_mode_box.setVisible(shown)
        self.redraw_button.setVisible(shown)
        self.train_mode_box.setEnabled(self._model is not None)
        self.redraw_button.setEnabled(self.train_mode())

    def _draw_mode(self) -> None:
        """The shown model's boundary in the mode chosen, over the picture's plane (train mode: anew)."""
        self._apply_train_mode()
        if self._model is None or self._extent is None or self._dim != 2:
            return
        self._draw_model(self._extent)

    def _draw_model(self, extent: tuple[float, float, float, float]) -> None:
        import torch   # loaded long before a model is handed over
        from trainer.plane import Plane
        training = self.train_mode()
        try:
            with torch.no_grad():
                probs = Plane(extent).boundary(self._model, self._head, training=training, seed=self._draws)
        except Exception as exc:  # noqa: BLE001 -- a picture is a bonus: keep the one shown, stop trying
            log.warning("could not redraw the boundary: %s", exc, exc_info=True)
            self._model = None
            self._apply_train_mode()
            return
        self._draws += training
        self._probs, self._extent = probs, extent
        self._repaint_image()

    def _on_range_changed(self, *_: Any) -> None:
        if self._model is not None:
            self._redraw_timer.start()

    def _needs_redraw(self) -> bool:
        """True when the plane in sight reaches beyond the picture, or is a small part of it."""
        if self._extent is None or self._dim != 2:
            return self._dim == 2
        (x0, x1), (y0, y1) = self.vb.viewRange()
        xmin, xmax, ymin, ymax = self._extent
        if x0 < xmin or x1 > xmax or y0 < ymin or y1 > ymax:
            return True
        return (x1 - x0) * REDRAW_ZOOM < (xmax - xmin) and (y1 - y0) * REDRAW_ZOOM < (ymax - ymin)

    def _redraw_for_view(self) -> None:
        """The shown model's boundary over the plane in sight (with a margin), on this thread."""
        if self._model is None or not self._needs_redraw():
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hx, hy = REDRAW_MARGIN * (x1 - x0) / 2, REDRAW_MARGIN * (y1 - y0) / 2
        self._draw_model((cx - hx, cx + hx, cy - hy, cy + hy))

    def _show_extent(self, extent: tuple[float, float, float, float] | None) -> None:
        if extent is None:
            return
        xmin, xmax, ymin, ymax = extent
        self.vb.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.0)

    def _draw_user(self) -> None:
        if not self._user:
            self.scatters["user"].setData(x=[], y=[])
            return
        pts = np.array([(x, y) for x, y, _ in self._user], dtype=float)
        cls = np.array([c for _, _, c in self._user])
        self.scatters["user"].setData(**scatter_spots(pts, cls))

    def _remove(self, index: int) -> None:
        del self._user[index]
        self._draw_user()
        self.pointRemoved.emit(index)

    def _on_click(self, ev) -> None:
        if self._dim != 2 or ev.double():
            return
        pos = ev.scenePos()
        if not self.vb.sceneBoundingRect().contains(pos):
            return
        p = self.vb.mapSceneToView(pos)
        if ev.button() == Qt.MouseButton.LeftButton:
            point = (float(p.x()), float(p.y()), self.chosen_class())
            self._user.append(point)
            self._draw_user()
            ev.accept()
            self.pointAdded.emit(*point)
        elif ev.button() == Qt.MouseButton.RightButton and self._user:
            # Nearest in screen pixels, so "near" means the same whatever the zoom.
            scene = [self.vb.mapViewToScene(QPointF(x, y)) for x, y, _ in self._user]
            d = [math.hypot(s.x() - pos.x(), s.y() - pos.y()) for s in scene]
            i = int(np.argmin(d))
            ev.accept()
            if d[i] <= REMOVE_RADIUS_PX:
                self._remove(i)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self._dim != 2 or not self.vb.sceneBoundingRect().contains(scene_pos):
            return
        p = self.vb.mapSceneToView(scene_pos)
        text = f"x₁ = {p.x():.2f}   x₂ = {p.y():.2f}"
        if self._probs is not None and self._extent is not None:
            h, w = self._probs.shape[:2]
            xmin, xmax, ymin, ymax = self._extent
            col = round((p.x() - xmin) / (xmax - xmin) * (w - 1))
            row = round((p.y() - ymin) / (ymax - ymin) * (h - 1))
            if 0 <= col < w and 0 <= row < h:
                probs = self._probs[row, col]
                c = int(np.argmax(probs))
                text += f"   →   class {c} ({probs[c] * 100:.0f}%)"
        self.readout.setText(text)
