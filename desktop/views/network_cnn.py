"""The network diagram of a CNN: each image layer as a stack of feature maps, each vector as a bar.

A convolution with 16 output channels is 16 maps of 28×28 numbers, not 12,544 neurons to draw one by
one: the stack's square shrinks with the maps' side (pooling halves it) and its depth grows with the
channels. Rows run top to bottom so the diagram reads in a narrow dock; the words keep their size
at any zoom (network.Label) and each row is at least as tall as its two lines of text, so the
drawing scales to the room there is and the text stays readable. network_layout.cnn_blocks says
what each row holds.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView

from .colors import BLUE, INK, NEUTRAL
from .network_layout import Block

ART_W = 120.0          # the column the stacks and bars are drawn in, scene units
MAX_SHOWN = 10         # a stack draws at most this many maps (the text gives the real number)
PER_SHEET = 4          # one drawn sheet per 4 channels: 32 maps look twice as deep as 16
STEP = 5.0             # how far each map behind sits up and to the right
ROW_GAP_PX = 14.0      # between rows, in pixels: the arrow
COMPACT_GAP_PX = 5.0   # ... where the view is short: one line of text per row, a short arrow
TEXT_GAP_PX = 8.0
MAX_SCALE = 1.6
CAPTION = ("Each stack is one layer's feature maps (deeper: more maps; smaller: pooled). "
           "MNIST › Inside the CNN shows them for a digit.")


def map_side(h: int) -> float:
    """The drawn side of an h×h map: 28 -> 64, 14 -> 42, 7 -> 31 (area grows more slowly than h²)."""
    return 20.0 + 44.0 * math.sqrt(max(h, 1) / 28.0)


def bar_width(units: int) -> float:
    """A vector's bar: longer for more numbers, on a log scale (10 -> 42, 128 -> 77, 1,568 -> 112)."""
    return 10.0 + 32.0 * math.log10(max(units, 1))


class CnnDiagram:
    """The rows' items in a scene, placed again for each size of the view (`layout`)."""

    def __init__(self, scene: QGraphicsScene, blocks: list[Block], label_type: type):
        self.scene = scene
        self.blocks = blocks
        ink = QPen(QColor(*INK))
        ink.setCosmetic(True)
        self._ink = ink
        self._rows: list[tuple[list[QGraphicsItem], float, float, QGraphicsItem]] = []   # art, w, h, label
        self._arrows: list[QGraphicsItem] = []
        self._short: list[QGraphicsItem] = []
        self.compact = False
        front, back = QBrush(QColor(214, 230, 245)), QBrush(QColor(*NEUTRAL))
        image, vector = QBrush(QColor(*INK)), QBrush(QColor(*BLUE, 70))
        for i, block in enumerate(blocks):
            art: list[QGraphicsItem] = []
            if block.kind == "maps":
                n = min(math.ceil(block.shape[0] / PER_SHEET), MAX_SHOWN)
                side = map_side(block.shape[1])
                for j in reversed(range(n)):     # the back maps first: the front one is drawn last
                    item = scene.addRect(QRectF(0, 0, side, side), ink, (image if i == 0 else front) if j == 0 else back)
                    item.setData(0, (j * STEP, STEP * (n - 1) - j * STEP))
                    art.append(item)
                w, h = side + STEP * (n - 1), side + STEP * (n - 1)
            else:
                w, h = bar_width(block.shape[0]), 14.0
                item = scene.addRect(QRectF(0, 0, w, h), ink, vector)
                item.setData(0, (0.0, 0.0))
                art.append(item)
            full = label_type(f"{block.title}\n{block.detail}", "right")
            shape = "×".join(str(n) for n in block.shape) if block.kind == "maps" else f"{block.shape[0]:,}"
            short = label_type(f"{block.title} → {shape}", "right")   # one line, where two do not fit
            for label in (full, short):
                label.setToolTip(f"{block.title}: {block.detail}")
                scene.addItem(label)
            self._rows.append((art, w, h, full))
            self._short.append(short)

    def _gap_px(self) -> float:
        return COMPACT_GAP_PX if self.compact else ROW_GAP_PX

    def _labels(self) -> list[QGraphicsItem]:
        return self._short if self.compact else [label for *_rest, label in self._rows]

    def _heights(self, scale: float) -> list[float]:
        """Each row's height in scene units: its drawing, or its text if taller."""
        return [max(h, label.size[1] / scale) for (_art, _w, h, _full), label in zip(self._rows, self._labels())]

    def _fit(self, vw: float, vh: float) -> tuple[float, float, bool]:
        """(scale, text width px, fits): the largest drawing whose rows and words fit the view."""
        text_px = max(label.size[0] for label in self._labels()) + TEXT_GAP_PX + 6
        gaps_px = self._gap_px() * (len(self._rows) - 1) + 12
        lo, hi = 0.05, min(MAX_SCALE, max(vw - text_px - 8, 10) / ART_W)
        if sum(self._heights(lo)) * lo + gaps_px > vh:
            return lo, text_px, False
        for _ in range(20):   # the height shrinks with the scale: bisect for the largest that fits
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if sum(self._heights(mid)) * mid + gaps_px <= vh else (lo, mid)
        return lo, text_px, True

    def layout(self, view: QGraphicsView) -> None:
        """Scale the drawing to the view, words at their own size beside it (one line each when two do
        not fit), and show it all."""
        vw, vh = max(view.viewport().width(), 60), max(view.viewport().height(), 60)
        self.compact = False
        scale, text_px, fits = self._fit(vw, vh)
        if not fits or scale < 0.45:
            self.compact = True
            scale, text_px, _fits = self._fit(vw, vh)
        for (*_rest, full), short in zip(self._rows, self._short):
            full.setVisible(not self.compact)
            short.setVisible(self.compact)
        for item in self._arrows:
            self.scene.removeItem(item)
        self._arrows.clear()
        y, gap = 0.0, self._gap_px() / scale
        centre = ART_W / 2
        for i, ((art, w, h, _full), label, row_h) in enumerate(zip(self._rows, self._labels(),
                                                                   self._heights(scale))):
            top = y + (row_h - h) / 2
            for item in art:
                dx, dy = item.data(0)
                item.setPos(centre - w / 2 + dx, top + dy)
            label.setPos(ART_W + TEXT_GAP_PX / scale, y + row_h / 2)
            y += row_h
            if i < len(self._rows) - 1:
                tip = y + gap - 1 / scale
                self._arrows.append(self.scene.addLine(centre, y + 1 / scale, centre, tip, self._ink))
                head = min(4.0, self._gap_px() / 2) / scale
                self._arrows.append(self.scene.addPolygon(
                    QPolygonF([QPointF(centre - head, tip - 1.5 * head), QPointF(centre + head, tip - 1.5 * head),
                               QPointF(centre, tip)]), self._ink, QBrush(QColor(*INK))))
                y += gap
        width = ART_W + text_px / scale
        view.resetTransform()
        view.scale(scale, scale)
        rect = QRectF(-4 / scale, -6 / scale, width + 8 / scale, y + 12 / scale)
        view.setSceneRect(rect)
        view.centerOn(rect.center())
        self.scale = scale


__all__ = ["CnnDiagram", "CAPTION", "map_side", "bar_width", "ART_W"]
