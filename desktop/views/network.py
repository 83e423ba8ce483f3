"""The network diagram: neurons by layer, weights as lines (sign = colour, |w| = thickness).

Like TensorFlow Playground, each neuron is drawn as a small heatmap of its output
over the input plane when the snapshot carries those maps (2-D datasets); clicking
a hidden neuron emits neuronClicked(layer, unit) so the neuron view can show it large.
Models too big to draw line by line (MNIST) get a compact summary: one box per layer.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QImage, QLinearGradient, QPainter, QPen,
                           QPixmap)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView,
                               QHBoxLayout, QLabel, QVBoxLayout, QWidget)

from trainer.config import Experiment, task_of
from trainer.shapes import is_cnn
from trainer.events import WEIGHTS_MAX_PARAMS, EpochEnd, Finished, NewBest, Snapshot, Started

from .colors import BLUE, INK, NEUTRAL, ORANGE, WHITE, class_color, diverging_rgba
from .network_cnn import CAPTION as CNN_CAPTION
from .network_cnn import CnnDiagram
from .network_layout import MAX_ZOOM, NODE, Layer, architecture, cnn_blocks, grid, place

LABEL_PT = 9.0         # label font size: labels keep their size whatever the diagram's zoom
MAX_UNITS = 128        # wider layers (or more inputs) get the summary instead of the diagram
MAX_LINES = 250        # per layer gap; beyond it only the strongest weights are drawn (painting cost)
MIN_WIDTH, MAX_WIDTH = 0.5, 5.0  # line width in pixels for |w| = 0 and the layer's largest |w|
LEVELS = 50            # weights are drawn with one of 2 * LEVELS + 1 shared pens (sign x strength)


def line_widths(w: np.ndarray) -> np.ndarray:
    """Pixel widths for a weight matrix: proportional to |w| within the layer."""
    a = np.abs(np.nan_to_num(np.asarray(w, dtype=np.float32)))
    top = float(a.max()) if a.size else 0.0
    if top <= 0:
        return np.full(a.shape, MIN_WIDTH, dtype=np.float32)
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * a / top


def _qimage(rgba: np.ndarray) -> QImage:
    """(H, W, 4) uint8 with row 0 at the bottom of the plane -> a QImage (row 0 at the top)."""
    buf = np.ascontiguousarray(rgba[::-1])
    h, w = buf.shape[:2]
    return QImage(buf.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def _qimages(rgba: np.ndarray) -> list[QImage]:
    """(H, W, N, 4) uint8, N maps with row 0 at the bottom -> N QImages (one flip and copy for all)."""
    tiles = np.ascontiguousarray(np.moveaxis(rgba[::-1], 2, 0))
    n, h, w = tiles.shape[:3]
    return [QImage(tiles[i].data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy() for i in range(n)]


class NodeItem(QGraphicsItem):
    """One neuron: a heatmap thumbnail when there is one, else a circle coloured by its bias."""

    def __init__(self, kind: str, layer: int, unit: int, rect: QRectF | None = None):
        super().__init__()
        self.kind, self.layer, self.unit = kind, layer, unit
        self.rect = rect or QRectF(0, 0, NODE, NODE)
        self.image: QImage | None = None
        self.fill = QColor(*NEUTRAL)
        self.selected = False
        self.bias: float | None = None
        self.tip = ""
        self.setAcceptHoverEvents(True)
        if kind == "hidden":
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return self.rect.adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        pen = QPen(QColor(*INK) if not self.selected else QColor(20, 20, 20))
        pen.setWidthF(1.0 if not self.selected else 3.0)
        pen.setCosmetic(True)
        if self.image is not None:
            painter.drawImage(self.rect, self.image)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect)
        else:
            painter.setPen(pen)
            painter.setBrush(QBrush(self.fill))
            painter.drawEllipse(self.rect)

    def center(self) -> QPointF:
        return self.rect.center()

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.rect = rect

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        # Written when shown, not on every snapshot: the bias changes 20 times a second.
        self.setToolTip(self.tip + ("" if self.bias is None else f"\nbias {self.bias:+.3f}"))
        super().hoverEnterEvent(event)


class Label(QGraphicsItem):
    """Text that keeps its pixel size at any zoom (ItemIgnoresTransformations): readable in a narrow dock."""

    def __init__(self, text: str, align: str):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.text = text
        self.font = QFont()
        self.font.setPointSizeF(LABEL_PT)
        fm = QFontMetricsF(self.font)
        lines = text.split("\n")
        w = max(fm.horizontalAdvance(line) for line in lines) + 2
        h = fm.height() * len(lines)
        self.size = (w, h)
        # align: where the text sits relative to its position (above it, left of it or right of it).
        self._rect = {"above": QRectF(-w / 2, -h, w, h), "left": QRectF(-w, -h / 2, w, h),
                      "right": QRectF(0, -h / 2, w, h)}[align]
        self._flags = {"above": Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                       "left": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       "right": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter}[align]

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setFont(self.font)
        painter.setPen(QColor(*INK))
        painter.drawText(self._rect, int(self._flags.value), self.text)


_PENS: list[QPen] = []


def _pen(level: int) -> QPen:
    """The shared pen for a weight at level/LEVELS of its layer's largest |w| (-1 .. 1)."""
    if not _PENS:
        t = np.arange(-LEVELS, LEVELS + 1) / LEVELS
        colors = diverging_rgba(t)
        for tv, (r, g, b, _) in zip(t, colors):
            # Opaque: translucent antialiased lines cost 4-5x more to paint (raster engine), and the
            # diverging scale already fades small weights to light grey.
            pen = QPen(QColor(int(r), int(g), int(b)))
            pen.setWidthF(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * abs(float(tv)))
            pen.setCosmetic(True)
            _PENS.append(pen)
    return _PENS[level + LEVELS]


class EdgesItem(QGraphicsItem):
    """Every line between two columns, painted in one item (hundreds of lines, one scene item)."""

    def __init__(self, src: list[NodeItem], dst: list[NodeItem]):
        super().__init__()
        self.src, self.dst = src, dst
        self.setZValue(-1)
        # Painted into a cached pixmap, redrawn only when the weights change (update()) or the zoom does:
        # the output thumbnails change with every snapshot, and repainting 500 antialiased lines under
        # them cost 3 ms each time (bench/, issue 6).
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.segments: list[tuple[QPointF, QPointF, QPen]] = []
        self._batches: list[tuple[QPen, list[QLineF]]] = []   # segments grouped by pen, in paint order
        self._w: np.ndarray | None = None
        self.relayout()

    def relayout(self) -> None:
        """The nodes moved: recompute the end points (kept between snapshots) and redraw."""
        self.prepareGeometryChange()
        self._ends = [[(QPointF(a.rect.right(), a.rect.center().y()), QPointF(z.rect.left(), z.rect.center().y()))
                       for a in self.src] for z in self.dst]
        rect = QRectF()
        for n in (*self.src, *self.dst):
            rect = rect.united(n.rect)
        self._bounds = rect.adjusted(-MAX_WIDTH, -MAX_WIDTH, MAX_WIDTH, MAX_WIDTH)
        self.set_weights(self._w)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def set_weights(self, w: np.ndarray | None) -> None:
        """w: (out, in); None draws thin neutral lines (the structure before any weights arrive)."""
        n_out, n_in = len(self.dst), len(self.src)
        if w is None or w.shape != (n_out, n_in):
            w = np.zeros((n_out, n_in), dtype=np.float32)
        w = np.nan_to_num(np.asarray(w, dtype=np.float32))
        self._w = w
        self.widths = line_widths(w)
        flat = np.abs(w).ravel()
        top = float(flat.max()) if flat.size else 0.0
        levels = np.rint(w.ravel() / (top if top > 0 else 1.0) * LEVELS).astype(int)
        keep = np.arange(flat.size) if flat.size <= MAX_LINES else np.argsort(flat)[-MAX_LINES:]
        # Strongest painted last, on top; lines of one pen next to each other, so each pen is one
        # drawLines call: hundreds of single drawLine calls each hand the GIL back and forth.
        order = keep[np.lexsort((levels[keep], np.abs(levels[keep])))]
        self.segments = [(*self._ends[k // n_in][k % n_in], _pen(levels[k])) for k in order.tolist()]
        self._batches = []
        for a, b, pen in self.segments:
            if not self._batches or self._batches[-1][0] is not pen:
                self._batches.append((pen, []))
            self._batches[-1][1].append(QLineF(a, b))
        self.shown = len(keep)
        self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for pen, lines in self._batches:
            painter.setPen(pen)
            painter.drawLines(lines)


class _Canvas(QGraphicsView):
    """Fits the scene to the widget and turns clicks on hidden neurons into a signal."""

    clicked = Signal(int, int)
    resized = Signal()

    def __init__(self, scene: QGraphicsScene):
        super().__init__(scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundBrush(QColor(255, 255, 255))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)

    def show_rect(self, rect: QRectF, scale: float) -> None:
        """Show scene `rect` at `scale` pixels per scene unit, centred."""
        self.resetTransform()
        self.scale(scale, scale)
        self.setSceneRect(rect)
        self.centerOn(rect.center())

    def fit(self) -> None:
        """Show every item, but never blow a small drawing up to poster size."""
        rect = self.scene().itemsBoundingRect().adjusted(-10, -10, 10, 10)
        vw, vh = max(self.viewport().width(), 50), max(self.viewport().height(), 50)
        self.show_rect(rect, min(vw / max(rect.width(), 1), vh / max(rect.height(), 1), MAX_ZOOM))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resized.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        for item in self.items(event.position().toPoint()):
            if isinstance(item, NodeItem) and item.kind == "hidden":
                self.clicked.emit(item.layer, item.unit)
                event.accept()
                return
        super().mousePressEvent(event)


class NetworkView(QWidget):
    """Neurons and weights, updated from snapshots while the model trains."""

    neuronClicked = Signal(int, int)  # (hidden layer index, unit) as in Snapshot.neurons[layer][:, :, unit]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene = QGraphicsScene(self)
        self.canvas = _Canvas(self.scene)
        self.canvas.clicked.connect(self._on_node_clicked)
        self.canvas.resized.connect(self._layout)
        self.columns: list[list[NodeItem]] = []
        self._titles: list[Label] = []
        self._side_labels: list[tuple[NodeItem, Label, str]] = []
        self.edges: list[EdgesItem] = []
        self.layers: list[Layer] = []
        self.summary_mode = False
        self.cnn: CnnDiagram | None = None       # a CNN's diagram (network_cnn), else None
        self._extent: tuple[float, float, float, float] | None = None
        self._task = "multiclass"
        self._classes: tuple[str, ...] = ()   # a table's class names (the output labels); () = "class k"
        self._selected: tuple[int, int] | None = None
        self._weights: tuple = ()

        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #444")
        self.scale_label = QLabel()
        self.scale_label.setPixmap(_scale_pixmap())
        self.scale_label.setToolTip("One colour scale for data, neurons and weights: "
                                    "orange = negative / class 0, blue = positive / class 1")
        bottom = QHBoxLayout()
        bottom.setContentsMargins(6, 0, 6, 4)
        bottom.addWidget(self.scale_label)
        bottom.addWidget(self.caption, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)

    # -- slots ----------------------------------------------------------------------------
    def reset(self, experiment: Experiment) -> None:
        """Draw the architecture; weights and neuron maps follow with the snapshots."""
        cols, lines, params = architecture(experiment)
        self.layers = cols
        self._task = task_of(experiment.data)
        from trainer.tabular.datasets import class_names_of, is_tabular   # a table's classes have names
        self._classes = class_names_of(experiment.data) if is_tabular(experiment.data) else ()
        self._weights = ()
        self._selected = None
        # Forget the old drawing before its items are deleted: hiding the colour scale below can
        # resize the canvas at once, and _layout must not place a CNN diagram whose labels are gone.
        self.cnn = None
        self.columns, self.edges, self._titles, self._side_labels = [], [], [], []
        self.scene.clear()
        self._extent = None
        wide = max(c.units for c in cols) > MAX_UNITS
        self.summary_mode = wide or params > WEIGHTS_MAX_PARAMS or is_cnn(experiment)
        self.scale_label.setVisible(not self.summary_mode)
        self.cnn = CnnDiagram(self.scene, cnn_blocks(experiment), Label) if is_cnn(experiment) else None
        if self.cnn is not None:   # stacks of feature maps, not thousands of neurons
            self.caption.setText(CNN_CAPTION)
        elif self.summary_mode:
            self._draw_summary(lines, params)
        else:
            self._draw_diagram(cols)
        self._layout()

    def set_data(self, splits: Any) -> None:
        """The input thumbnails (x₁, x₂ over the plane) need the data's extent."""
        if splits is None or splits.input_dim != 2 or self.summary_mode:
            return
        x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
        lo, hi = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
        self._set_extent((float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])))

    def on_started(self, ev: Started) -> None:
        """Nothing to do: the structure was drawn by reset."""

    def on_epochs(self, evs: list[EpochEnd]) -> None:
        """The diagram follows snapshots, not epochs."""

    def on_new_best(self, ev: NewBest) -> None:
        """Nothing to show."""

    def on_snapshot(self, ev: Snapshot) -> None:
        """New weights (line colours and widths) and neuron maps (thumbnails)."""
        if self.summary_mode or not self.columns:
            return
        if ev.extent is not None and len(ev.extent) == 4 and ev.extent[2] != ev.extent[3]:
            self._set_extent(tuple(ev.extent))
        if ev.weights and len(ev.weights) == len(self.edges):
            self._weights = ev.weights
            for edges, (w, b) in zip(self.edges, ev.weights):
                edges.set_weights(np.asarray(w))
                biases = np.asarray(b).ravel()
                fills = diverging_rgba(biases, _absmax(biases))  # no map: a circle shows its bias
                for node, bias, fill in zip(edges.dst, biases, fills):
                    node.bias = float(bias)
                    if node.image is None:
                        node.fill = _qcolor(fill)
                        node.update()
            self._weight_caption()
        hidden = [c for c in self.columns if c and c[0].kind == "hidden"]
        for nodes, maps in zip(hidden, ev.neurons):
            maps = np.asarray(maps)
            if maps.ndim != 3 or maps.shape[2] != len(nodes):
                continue
            vmax = np.abs(maps).max(axis=(0, 1))
            rgba = diverging_rgba(maps / np.where(vmax > 0, vmax, 1.0))  # each neuron on its own scale
            for node, image in zip(nodes, _qimages(rgba)):
                node.image = image
                node.update()
        # With the weights only: between two diagram updates the session sends the boundary alone, ~12 times a
        # second, and redrawing the output thumbnails for each cost the training more than they show.
        if ev.boundary is not None and self.columns and (ev.weights or not self.edges):
            self._output_maps(np.asarray(ev.boundary))

    def on_finished(self, ev: Finished) -> None:
        """The final snapshot came before Finished; nothing more to draw."""

    # -- public helpers -------------------------------------------------------------------
    def neuron_items(self) -> list[list[NodeItem]]:
        """The drawn neurons, one list per column (input, hidden..., output)."""
        return [list(c) for c in self.columns]

    def line_widths(self) -> list[np.ndarray]:
        """Per layer gap, the (out, in) line widths now drawn."""
        return [e.widths.copy() for e in self.edges]

    def node_position(self, layer_col: int, unit: int) -> QPointF:
        """A neuron's centre in the canvas viewport (for tests and tools)."""
        return self.canvas.mapFromScene(self.columns[layer_col][unit].center()).toPointF()

    def select(self, layer: int, unit: int) -> None:
        """Outline hidden neuron (layer, unit) as the one shown in the neuron view."""
        self._selected = (layer, unit)
        for col in self.columns:
            for node in col:
                was = node.selected
                node.selected = node.kind == "hidden" and (node.layer, node.unit) == (layer, unit)
                if was != node.selected:
                    node.update()

    # -- drawing --------------------------------------------------------------------------
    def _draw_diagram(self, cols: list[Layer]) -> None:
        """Create the items; _layout places them for the widget's size."""
        hidden_index = 0
        for col in cols:
            layer_idx = hidden_index if col.kind == "hidden" else (-1 if col.kind == "input" else len(cols) - 2)
            nodes = []
            for u in range(col.units):
                node = NodeItem(col.kind, layer_idx, u)
                node.tip = _node_tip(node, cols)
                node.setToolTip(node.tip)
                self.scene.addItem(node)
                nodes.append(node)
            title = col.title if col.kind != "hidden" else f"{col.units} neurons" + (
                f"\n{col.activation}" if col.activation else "")
            self._titles.append(self._add(Label(title, "above")))
            if col.kind == "input":
                names = ["x₁", "x₂"] if col.units == 2 else ["x"] if col.units == 1 else []
                self._side_labels += [(n, self._add(Label(name, "left")), "left") for n, name in zip(nodes, names)]
            if col.kind == "output":
                for node in nodes:
                    names = self._classes or tuple(f"class {c}" for c in range(max(len(nodes), 2)))
                    text = ("y" if self._task == "regression" else
                            f"p({names[1]})" if len(nodes) == 1 else names[node.unit])
                    self._side_labels.append((node, self._add(Label(text, "right")), "right"))
            if col.kind == "hidden":
                hidden_index += 1
            self.columns.append(nodes)
        for a, b in zip(self.columns, self.columns[1:]):
            self.edges.append(self._add(EdgesItem(a, b)))
        hint = " Click a hidden neuron to enlarge it." if hidden_index else ""
        self.caption.setText("Weights: orange −, blue +, thicker = larger |w|. "
                             "Squares: each neuron's output over the plane." + hint)

    def _add(self, item):
        self.scene.addItem(item)
        return item

    def _layout(self) -> None:
        """Place the neurons for the widget's size: wide layers wrap into the grid that draws largest."""
        if self.cnn is not None:
            self.cnn.layout(self.canvas)
            return
        if self.summary_mode or not self.columns:
            self.canvas.fit()
            return
        vw, vh = self.canvas.viewport().width(), self.canvas.viewport().height()
        if vw < 50 or vh < 50:
            vw, vh = 640, 420  # not shown yet: lay out for a typical tab
        units = [len(c) for c in self.columns]
        left = max([lab.size[0] for _, lab, side in self._side_labels if side == "left"], default=0) + 10
        right = max([lab.size[0] for _, lab, side in self._side_labels if side == "right"], default=0) + 10
        top = max(t.size[1] for t in self._titles) + 10
        avail_w, avail_h = max(vw - left - right, 20), max(vh - top - 8, 20)

        g = grid(units, avail_w, avail_h)
        width, height, scale = g.width, g.height, g.scale
        for nodes, title, (centre, corners) in zip(self.columns, self._titles, place(units, g)):
            for node, (x, y) in zip(nodes, corners):
                node.set_rect(QRectF(x, y, NODE, NODE))
            title.setPos(centre, -6 / scale)
        for node, label, side in self._side_labels:
            c = node.rect.center()
            label.setPos(node.rect.left() - 5 / scale if side == "left" else node.rect.right() + 5 / scale, c.y())
        for edges in self.edges:
            edges.relayout()
        self.canvas.show_rect(QRectF(-left / scale, -top / scale, width + (left + right) / scale,
                                     height + (top + 8) / scale), scale)

    def _draw_summary(self, lines: list[str], params: int) -> None:
        font = QFont()
        font.setPointSizeF(10)
        y = 0.0
        texts = [QGraphicsSimpleTextItem(text) for text in lines]
        for item in texts:
            item.setFont(font)
        width = max(item.boundingRect().width() for item in texts) + 40
        for i, (text, item) in enumerate(zip(lines, texts)):
            r = item.boundingRect()
            box = QRectF(0, y, width, r.height() + 14)
            linear = text.startswith("Linear") or i == 0
            fill = QColor(*BLUE, 40) if linear else QColor(*NEUTRAL)
            self.scene.addRect(box, QPen(QColor(*INK)), QBrush(fill))
            item.setPos(box.center().x() - r.width() / 2, box.top() + 7)
            self.scene.addItem(item)
            y = box.bottom()
            if i < len(lines) - 1:
                self.scene.addLine(width / 2, y, width / 2, y + 16, QPen(QColor(*INK)))
                y += 16
        self.caption.setText(f"{params:,} parameters: too many to draw one line per weight, "
                             "so each box is a layer.")

    def _set_extent(self, extent: tuple[float, float, float, float]) -> None:
        """Input thumbnails: x₁ and x₂ themselves over the plane, on the shared colour scale."""
        if extent == self._extent or not self.columns or len(self.columns[0]) != 2:
            return
        self._extent = extent
        xmin, xmax, ymin, ymax = extent
        res = 40
        gx, gy = np.meshgrid(np.linspace(xmin, xmax, res), np.linspace(ymin, ymax, res))
        for node, grid in zip(self.columns[0], (gx, gy)):
            node.image = _qimage(diverging_rgba(grid, float(np.abs(grid).max())))
            node.update()

    def _output_maps(self, probs: np.ndarray) -> None:
        """Output thumbnails from the boundary: p(class 1) for binary, each class's p for multiclass."""
        out = self.columns[-1]
        step = max(1, probs.shape[0] // 40)
        p = probs[::step, ::step]
        if self._task == "binary" and len(out) == 1 and p.shape[2] == 2:
            out[0].image = _qimage(diverging_rgba(2 * p[:, :, 1] - 1))
            out[0].update()
        elif p.shape[2] == len(out):
            white = np.array(WHITE, dtype=np.float32)
            for c, node in enumerate(out):
                rgb = white + p[:, :, c, None] * (np.array(class_color(c), dtype=np.float32) - white)
                rgba = np.concatenate([np.clip(rgb, 0, 255), np.full(p.shape[:2] + (1,), 255.0)], axis=2)
                node.image = _qimage(rgba.astype(np.uint8))
                node.update()

    def _weight_caption(self) -> None:
        if len(self._weights) == 1 and np.asarray(self._weights[0][0]).size == 1:
            w = float(np.asarray(self._weights[0][0]).ravel()[0])
            b = float(np.asarray(self._weights[0][1]).ravel()[0])
            self.caption.setText(f"y = w·x + b with w = {w:.3f}, b = {b:.3f} (the truth: w = 2, b = 1)")
            return
        hidden_shown = sum(e.shown for e in self.edges)
        total = sum(e.widths.size for e in self.edges)
        if hidden_shown < total:
            self.caption.setText(f"The {hidden_shown:,} strongest of {total:,} weights: orange −, blue +, "
                                 "thicker = larger |w|. Click a hidden neuron to enlarge it.")

    def _on_node_clicked(self, layer: int, unit: int) -> None:
        self.select(layer, unit)
        self.neuronClicked.emit(layer, unit)


def _absmax(a: Any) -> float:
    a = np.abs(np.asarray(a))
    return float(a.max()) if a.size and a.max() > 0 else 1.0


def _qcolor(rgba: np.ndarray) -> QColor:
    return QColor(int(rgba[0]), int(rgba[1]), int(rgba[2]))


def _node_tip(node: NodeItem, cols: list[Layer]) -> str:
    if node.kind == "input":
        return f"input {node.unit + 1}"
    if node.kind == "output":
        return f"output {node.unit}"
    col = [c for c in cols if c.kind == "hidden"][node.layer]
    act = f" ({col.activation})" if col.activation else ""
    return f"hidden layer {node.layer + 1}, neuron {node.unit + 1}{act} — click to enlarge"


def _scale_pixmap(width: int = 90, height: int = 12) -> QPixmap:
    """The shared colour scale as a small bar: −1 orange, 0 grey, +1 blue."""
    pix = QPixmap(width, height)
    pix.fill(QColor(255, 255, 255, 0))
    painter = QPainter(pix)
    grad = QLinearGradient(0, 0, width, 0)
    grad.setColorAt(0.0, QColor(*ORANGE))
    grad.setColorAt(0.5, QColor(*NEUTRAL))
    grad.setColorAt(1.0, QColor(*BLUE))
    painter.fillRect(0, 0, width, height, QBrush(grad))
    painter.setPen(QColor(*INK))
    painter.drawRect(0, 0, width - 1, height - 1)
    painter.end()
    return pix
