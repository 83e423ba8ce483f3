"""The loss landscape and the path taken (issue 16 item 5): the training loss over a plane through the
trained weights, as a heat map with contour lines, and the path the recorded epochs took on it.

The numbers are trainer.timeline.landscape's (a trainer.events.Landscape), computed in the training
process; this view only draws them and says what was asked (Compute, Cancel, which directions and how
fine a grid). Colours follow log10(loss): the valley the run ends in is often a hundred times lower than
the plane's far corners, and a linear scale would paint it one flat colour. Every path is drawn over a
white halo, so it reads on the dark (high loss) corners as on the light valley.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QStackedWidget,
                               QVBoxLayout, QWidget)

from trainer.events import Landscape

from .colors import INK, LABEL, WHITE, css, style_axes
from .curves_axes import log_ticks

KINDS = (("pca", "The path's main directions (PCA)"), ("random", "Random, filter-normalised"))
STEPS = (21, 41, 61)             # grid points per side the user can pick (odd: the middle is the trained model)
DEFAULT_STEPS = 41
CONTOURS = 10                    # contour lines, evenly spaced in log10(loss) between the lowest and highest
NOTHING = ("Train a model first: the landscape is the training loss around the trained weights, "
           "with the path the recorded epochs took to get there.")
READY = "Press Compute to draw the loss around the trained weights and the path the run took."
# Low loss light (the valley the path runs into), high loss dark blue: a path in ink or a branch's colour
# stands out in the valley, and its white halo carries it across the dark corners.
LOSS_MAP = pg.ColorMap(pos=[0.0, 0.25, 0.5, 0.75, 1.0],
                       color=[(255, 255, 217), (199, 233, 180), (65, 182, 196), (34, 94, 168), (8, 29, 88)])
CONTOUR_PEN = pg.mkPen(0, 0, 0, 70, width=1)
HALO = 5.0                       # the white line under a path, px
PATH_WIDTH = 2.0
SHOWN_RING_PX = 17               # the ring around the shown epoch's point
# Two tones, so the ring reads on every colour of the map: a white band under a dark one (a dark ring alone
# vanished on the dark-blue, high-loss corners where early epochs lie; a white one on the light valley).
SHOWN_RING_PENS = ((WHITE, 6.0), (INK, 2.5))
CENTRE_PX = 24                   # the centre's "+": wider than the end's triangle, whose arms show around it
END_PX = 13
DOT_PX = 5                       # a recorded epoch's dot: white with the path's colour round it, on its line
SEEN_BY_RANDOM = 0.05            # random directions holding less of the path's movement than this: say so
LABEL_MARGIN_PX = 24             # an axis label in full only with this much room to spare beside it
MAX_DOTS = 200                   # a dot per recorded epoch up to this many; more merge into the line anyway


@dataclass(frozen=True, eq=False)
class PlanePath:
    """A branch's weights on the plane: points (n, 2) at `epochs` (n,), drawn in `color`."""
    key: str
    label: str
    color: tuple[int, int, int]
    points: np.ndarray
    epochs: np.ndarray


def direction_labels(landscape: Landscape, short: bool = False) -> tuple[str, str]:
    """What each axis is, as a learner reads it (short: for an axis with little room)."""
    if landscape.kind == "pca":
        pattern = "{} main direction ({})" if short else "{} main direction of the path ({} of its variance)"
        return tuple(pattern.format(nth, _percent(share))   # type: ignore[return-value]
                     for nth, share in zip(("1st", "2nd"), landscape.explained))
    pattern = "random direction {}" if short else "random direction {} (filter-normalised)"
    return (pattern.format(1), pattern.format(2))


def _percent(share: float) -> str:
    if not math.isfinite(share):
        return "–%"
    return f"{100 * share:.1f}%" if share < 0.995 else f"{100 * share:.0f}%"


def log_levels(loss: np.ndarray) -> tuple[np.ndarray, float, float]:
    """log10 of the loss for the colours, with inf (an overflowing far point) and 0 clipped into the
    finite range; and that range (lo, hi), never empty."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.log10(np.asarray(loss, dtype=np.float64))
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.5, hi + 0.5
    values = np.nan_to_num(values, nan=hi, posinf=hi, neginf=lo)
    return np.clip(values, lo, hi), lo, hi


def contour_lines(values: np.ndarray, alphas: np.ndarray, betas: np.ndarray,
                  levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of the contour segments of `values` (rows: betas, columns: alphas) at `levels`, in plane
    coordinates, two points per segment (drawn with connect="pairs": unjoined, half the time of joined)."""
    segments = [seg for level in levels for seg in pg.functions.isocurve(values.T, float(level), connected=False)]
    if not segments:
        return np.zeros(0), np.zeros(0)
    pts = np.asarray(segments, dtype=np.float64).reshape(-1, 2) - 0.5   # isocurve puts sample i at i + 0.5
    return (np.interp(pts[:, 0], np.arange(len(alphas)), alphas),
            np.interp(pts[:, 1], np.arange(len(betas)), betas))


def path_notes(landscape: Landscape, epochs: list[int], recorded: dict[int, float]) -> list[str]:
    """What a learner should know to read the path on this map: random directions that barely hold the path
    (it collapses near the centre), and path epochs whose recorded training loss is above the map's colours.

    recorded: the training loss the run recorded at each epoch (its history's train_loss: averaged over the
    epoch's batches on all training rows, so close to, not equal to, the map's loss on its rows)."""
    notes = []
    seen = sum(s for s in landscape.explained if math.isfinite(s))
    if landscape.kind == "random" and seen < SEEN_BY_RANDOM:
        notes.append(f"random directions hold only {_percent(seen)} of the path's movement, so it collapses "
                     "near the centre: pick the path's main directions (PCA) to see it")
    with np.errstate(invalid="ignore"):
        finite = np.asarray(landscape.loss, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
    if finite.size:
        top = float(finite.max())
        above = [e for e in epochs if recorded.get(e, -math.inf) > top]
        if above:
            worst = max(above, key=lambda e: recorded[e])
            which = f"epoch {above[0]}" if len(above) == 1 else f"{len(above)} of the path's epochs"
            # The plane passes through the centre's weights only: a path point is projected onto it, and
            # the colour under it is the loss there, not the loss of that epoch's weights.
            notes.append(f"{which} had a training loss above this map's range (epoch {worst}: {recorded[worst]:.3g}, "
                         f"the map's highest {top:.3g}): the plane does not pass through those weights, so the "
                         "colour under their points is not their loss")
    return notes


def _nowrap(text: str) -> str:
    """Rich text that a word-wrapping label breaks only between entries, not inside one."""
    return html.escape(text).replace(" ", "&nbsp;")


class LandscapeView(QWidget):
    """The loss over the plane, the paths on it, the shown epoch; Compute / Cancel with a progress bar."""

    computeRequested = Signal(str, int)    # directions ("pca" | "random"), grid points per side
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lossLandscape")
        self._landscape: Landscape | None = None
        self._paths: dict[str, PlanePath] = {}     # by branch key; the computed branch's first
        self._computed: str | None = None          # the branch whose path the plane was computed from
        self._shown: tuple[str, int] | None = None
        self._centre_epoch = 0

        self.kind_box = QComboBox()
        for kind, text in KINDS:
            self.kind_box.addItem(text, kind)
        self.kind_box.setToolTip("PCA: the plane the recorded path moved in the most.\nRandom: two random "
                                 "directions, each filter scaled to the trained weights' (Li et al., 2018).")
        self.steps_box = QComboBox()
        for steps in STEPS:
            self.steps_box.addItem(f"{steps} × {steps}", steps)
        self.steps_box.setCurrentIndex(STEPS.index(DEFAULT_STEPS))
        self.steps_box.setToolTip("Points per side of the grid the loss is computed at")
        self.compute_button = QPushButton("Compute")
        self.compute_button.setObjectName("landscapeCompute")
        self.compute_button.clicked.connect(self._compute)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("landscapeCancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%p%")
        top = QHBoxLayout()
        top.setContentsMargins(6, 4, 6, 0)
        top.addWidget(QLabel("Directions:"))
        top.addWidget(self.kind_box)
        top.addWidget(QLabel("Grid:"))
        top.addWidget(self.steps_box)
        top.addWidget(self.compute_button)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        self.status = QLabel(" ")
        self._status_text = " "
        self.status.setObjectName("landscapeStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #333; padding: 0 6px 2px 6px")
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.legend = QLabel(" ")
        self.legend.setObjectName("landscapeLegend")
        self.legend.setStyleSheet("padding: 0 6px 4px 6px")
        self.legend.setWordWrap(True)

        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        style_axes(self.plot, "1st direction", "2nd direction")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=LOSS_MAP, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.colorbar.getAxis("right").setTextPen(INK)
        self.colorbar.getAxis("right").enableAutoSIPrefix(False)
        self.colorbar.getAxis("left").setLabel("training loss (log scale)", color=LABEL)
        self.contours = pg.PlotDataItem(pen=CONTOUR_PEN, connect="pairs")
        self.plot.getViewBox().sigResized.connect(lambda _box: self._fit_labels())
        self.contours.setZValue(-5)
        self.plot.addItem(self.contours)
        self._path_items: list[pg.GraphicsObject] = []
        self._ring_halo, self.shown_ring = (
            pg.ScatterPlotItem(symbol="o", size=SHOWN_RING_PX, brush=None, pen=pg.mkPen(color, width=width))
            for color, width in SHOWN_RING_PENS)
        for z, item in enumerate((self._ring_halo, self.shown_ring)):
            item.setZValue(40 + z)
            self.plot.addItem(item)

        self.message = QLabel(NOTHING)
        self.message.setObjectName("landscapeMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #444; font-size: 11pt; padding: 20px")
        self.stack = QStackedWidget()
        # The plane's splitter lets a learner drag the plots down to a strip: the picture may shrink too.
        self.stack.setMinimumHeight(40)
        self.stack.addWidget(self.message)
        picture = QWidget()
        inner = QVBoxLayout(picture)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(0)
        inner.addWidget(self.plot_widget, 1)
        inner.addWidget(self.legend)
        self.stack.addWidget(picture)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self.set_computing(None)
        self.set_can_compute(False)

    # -- what the owner says -------------------------------------------------------------------------
    def set_can_compute(self, can: bool, why: str = "") -> None:
        """Whether Compute may be pressed now (a run is recorded); `why` is its tooltip when not."""
        self._can = can
        self.compute_button.setEnabled(can and not self.cancel_button.isVisible())
        self.compute_button.setToolTip("" if can else why)

    def set_computing(self, progress: tuple[int, int] | None) -> None:
        """(done, total) while computing: the progress bar and Cancel; None: idle."""
        busy = progress is not None
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.compute_button.setEnabled(getattr(self, "_can", False) and not busy)
        self.kind_box.setEnabled(not busy)
        self.steps_box.setEnabled(not busy)
        if busy:
            done, total = progress
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

    def cancelling(self) -> None:
        """Cancel was pressed: it ends within one batch of points."""
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")

    def show_message(self, text: str) -> None:
        """Nothing to draw (no run, nothing recorded): say so; the last picture is dropped."""
        self._landscape = None
        self._paths = {}
        self._computed = None
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def show_status(self, text: str, error: bool = False) -> None:
        """At most two lines above the picture (what was computed; a failure in red): a longer text ends
        in '…' and is whole in the tooltip (the plot takes the height; a third line was cut in half)."""
        self.status.setStyleSheet(f"color: {'#b00020' if error else '#333'}; padding: 0 6px 2px 6px")
        self._status_text = text
        self.status.setToolTip(text if len(text) > 80 else "")
        self._fit_status()

    def status_text(self) -> str:
        """The whole status text (the label may show it shortened)."""
        return self._status_text

    def _fit_status(self) -> None:
        text = self._status_text
        metrics = self.status.fontMetrics()
        # Two wrapped lines hold a little less than twice the width: words do not fill a line's end.
        room = 2 * max(self.status.width() - 12, 120) - 8 * metrics.averageCharWidth()
        self.status.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, room))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_status()

    def show_landscape(self, landscape: Landscape, path: PlanePath, centre_epoch: int) -> None:
        """Draw a computed landscape and the path of the branch it was computed for (`landscape.path`'s
        points at `path.epochs`); the centre, (0, 0), is the weights of `centre_epoch`."""
        self._landscape = landscape
        self._computed = path.key
        self._paths = {path.key: path}
        values, lo, hi = log_levels(landscape.loss)
        a, b = landscape.alphas, landscape.betas
        da = (a[-1] - a[0]) / max(len(a) - 1, 1)
        db = (b[-1] - b[0]) / max(len(b) - 1, 1)
        self.image.setImage(values, autoLevels=False)
        self.image.setRect(QRectF(a[0] - da / 2, b[0] - db / 2, a[-1] - a[0] + da, b[-1] - b[0] + db))
        self.colorbar.setLevels((lo, hi))
        self._loss_ticks(lo, hi)
        self.contours.setData(*contour_lines(values, a, b, np.linspace(lo, hi, CONTOURS + 2)[1:-1]))
        self.plot.getViewBox().setRange(xRange=(a[0] - da / 2, a[-1] + da / 2),
                                        yRange=(b[0] - db / 2, b[-1] + db / 2), padding=0)
        self.stack.setCurrentIndex(1)
        self._centre_epoch = int(centre_epoch)
        self._fit_labels()
        self._draw_paths()

    def set_branch_paths(self, paths: list[PlanePath]) -> None:
        """The other branches' paths on the same plane (each from where it leaves its parent)."""
        if self._landscape is None or self._computed is None:
            return
        computed = self._paths[self._computed]
        self._paths = {computed.key: computed} | {p.key: p for p in paths if p.key != computed.key}
        self._draw_paths()

    def set_epoch(self, key: str, epoch: int) -> None:
        """Ring the point of branch `key` at `epoch` (-1: its newest); nothing when that branch is not drawn."""
        self._shown = (key, int(epoch))
        self._place_ring()

    # -- what tests and the owner read ---------------------------------------------------------------
    def landscape(self) -> Landscape | None:
        return self._landscape

    def paths(self) -> dict[str, PlanePath]:
        return dict(self._paths)

    def shown_point(self) -> tuple[float, float] | None:
        """Where the ring is (None: hidden)."""
        if not self.shown_ring.isVisible() or not len(self.shown_ring.data):
            return None
        spot = self.shown_ring.data[0]
        return float(spot["x"]), float(spot["y"])

    def centre_value(self) -> float | None:
        """The loss the picture shows at the plane's centre (the trained weights)."""
        if self._landscape is None:
            return None
        values = self.image.image
        middle = len(self._landscape.alphas) // 2, len(self._landscape.betas) // 2
        return float(10 ** values[middle[1], middle[0]])

    # -- drawing -------------------------------------------------------------------------------------
    def _fit_labels(self) -> None:
        """Each axis says what its direction is, in full where the axis has the room, else shortly
        (the full text is then the plot's tooltip)."""
        if self._landscape is None:
            return
        full, short = direction_labels(self._landscape), direction_labels(self._landscape, short=True)
        metrics = QFontMetrics(self.plot.getAxis("left").label.font())
        box = self.plot.getViewBox().sceneBoundingRect()
        room = (box.width(), box.height())
        labels = [f if metrics.horizontalAdvance(f) + LABEL_MARGIN_PX <= r else s for f, s, r in zip(full, short, room)]
        for side, text in zip(("bottom", "left"), labels):
            axis = self.plot.getAxis(side)
            if axis.labelText != text:
                self.plot.setLabel(side, text, color=LABEL)
                axis.resizeEvent()   # pyqtgraph centres an axis label only on a resize: a new text is not
        self.plot_widget.setToolTip("" if labels == list(full) else "\n".join(full))

    def _compute(self) -> None:
        self.computeRequested.emit(self.kind_box.currentData(), int(self.steps_box.currentData()))

    def _loss_ticks(self, lo: float, hi: float) -> None:
        """The colour bar labelled in loss values though its scale is log10(loss)."""
        axis = self.colorbar.getAxis("right")
        pixels = max(self.colorbar.height(), 120.0)
        ticks = log_ticks(lo, hi, pixels, 22.0) or [lo, hi]
        axis.setTicks([[(t, f"{10 ** t:.3g}") for t in ticks], []])

    def _draw_paths(self) -> None:
        for item in self._path_items:
            self.plot.removeItem(item)
        self._path_items = []
        legend = []
        for key, path in self._paths.items():
            own = key == self._computed
            pts = np.asarray(path.points, dtype=np.float64)
            if not len(pts):
                continue
            halo = pg.PlotDataItem(pts[:, 0], pts[:, 1], pen=pg.mkPen(WHITE, width=PATH_WIDTH + HALO))
            dots = own and len(pts) <= MAX_DOTS
            # A recorded epoch's dot is white ringed in the path's colour: one in the line's own colour
            # did not show on it.
            line = pg.PlotDataItem(pts[:, 0], pts[:, 1], pen=pg.mkPen(path.color, width=PATH_WIDTH),
                                   symbol="o" if dots else None, symbolSize=DOT_PX,
                                   symbolPen=pg.mkPen(path.color, width=1), symbolBrush=pg.mkBrush(WHITE))
            items: list[pg.GraphicsObject] = [halo, line]
            start = pg.ScatterPlotItem([pts[0, 0]], [pts[0, 1]], symbol="s", size=11,
                                       brush=pg.mkBrush(WHITE), pen=pg.mkPen(path.color, width=2))
            end = pg.ScatterPlotItem([pts[-1, 0]], [pts[-1, 1]], symbol="t1" if own else "o", size=END_PX,
                                     brush=pg.mkBrush(path.color), pen=pg.mkPen(WHITE, width=1.5))
            items += [end] if not own else [start, end]
            for z, item in enumerate(items):   # a branch over the path it leaves: it starts on it
                item.setZValue((10 if own else 20) + z)
                self.plot.addItem(item)
            # The ends over the centre's "+" (often on the same point: the run ends at its trained weights)
            end.setZValue(35 if own else 34)
            self._path_items += items
            what = (f"{path.label}: □ start, ▲ end" + (", ○ recorded epochs" if dots else "")) if own \
                else f"{path.label}: ● end"
            legend.append(f"<span style='color:{css(path.color)}'>━━</span>&nbsp;{_nowrap(what)}")
        if self._landscape is not None:
            centre = pg.ScatterPlotItem([0.0], [0.0], symbol="+", size=CENTRE_PX, pen=pg.mkPen(INK, width=1.5))
            centre.setZValue(30)
            self.plot.addItem(centre)
            self._path_items.append(centre)
            legend.append(_nowrap(f"✚ centre: the weights of epoch {self._centre_epoch}"))
            legend.append(_nowrap("◎ the epoch on show"))
        self.legend.setText(" &nbsp; ".join(legend))
        self._place_ring()

    def _place_ring(self) -> None:
        path = self._paths.get(self._shown[0]) if self._shown else None
        if path is None or not len(path.epochs):
            for item in (self._ring_halo, self.shown_ring):
                item.setData([], [])
                item.hide()
            return
        epoch = self._shown[1]
        i = len(path.epochs) - 1 if epoch < 0 else int(np.argmin(np.abs(path.epochs - epoch)))
        for item in (self._ring_halo, self.shown_ring):
            item.setData([float(path.points[i, 0])], [float(path.points[i, 1])])
            item.show()


__all__ = ["KINDS", "LandscapeView", "NOTHING", "PlanePath", "READY", "STEPS", "contour_lines",
           "direction_labels", "log_levels", "path_notes"]
