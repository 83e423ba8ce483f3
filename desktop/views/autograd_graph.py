"""A computation graph drawn left to right: the leaves on the left, the value (or loss) on the right.

Each node is a card: the torch name (MulBackward0, AccumulateGrad) in a fixed-width font, the part of
the expression or the layer it computes, then lines of figures (value, grad, finite difference).
The layout is layered: a node sits one column right of its furthest input, a leaf one column left of
its first reader; a few barycentre sweeps order each column so that edges cross little.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QFontInfo, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QSizePolicy

from .colors import BLUE, ORANGE

CARD_WIDTH = 150.0        # the narrowest card; a card grows with its text up to MAX_CARD_WIDTH
MAX_CARD_WIDTH = 300.0
MAX_SCALE = 1.3           # a small graph is drawn a little larger than life, not blown up
MIN_SCALE = 0.62          # below this the figures are hard to read: the view scrolls (drag, Ctrl+wheel zooms)
MIN_TEXT_PX = 10.0        # and never fit the cards' smallest text below this many pixels on screen (scroll instead)
COLUMN_GAP = 44.0         # between cards of neighbouring columns: room for the edges' curves
ROW_GAP = 18.0
PAD = 10.0
LINE_H = 17.0
MAX_LABEL = 30            # characters of a label shown before "…"

GRAD_COLOR = "#c25e00"    # gradients: a darker ORANGE, readable on white; the backward pass's colour
GOOD = "#1e7d32"
BAD = "#b3261e"
MUTED = "#6b7280"
TEXT = "#1f2328"

# kind -> (fill, border, dashed): the same kinds as trainer.autograd.graph's LEAF / OP / CONSTANT / RESULT
_STYLE = {
    "leaf": ("#e8f2fb", QColor(*BLUE), False),
    "op": ("#ffffff", QColor("#9aa5b1"), False),
    "constant": ("#f6f7f8", QColor("#b4bac1"), True),
    "result": ("#fff4e5", QColor(*ORANGE), False),
}


@dataclass(frozen=True)
class Card:
    """One node as drawn: `lines` are (text, CSS colour) under the title and subtitle."""
    key: int
    kind: str
    title: str
    subtitle: str = ""
    lines: tuple[tuple[str, str], ...] = ()
    inputs: tuple[int, ...] = ()
    emphasis: bool = False        # the output: a thicker border


@dataclass
class _Placed:
    card: Card
    column: int
    rect: QRectF = field(default_factory=QRectF)


class GraphView(QGraphicsView):
    """Shows a list of Cards as a layered DAG; `positions()` tells tests and callers where each landed."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setBackgroundBrush(QBrush(QColor("#fbfcfd")))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(220)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.mono.setBold(True)
        self.body = QFont(self.font())
        self.title_big = QFont(self.font())
        self.title_big.setBold(True)
        self.title_big.setPointSizeF(self.font().pointSizeF() * 1.25)
        self.cards: list[Card] = []
        self._placed: dict[int, _Placed] = {}
        self.placeholder = ""

    # -- data in ---------------------------------------------------------------------------------
    def set_cards(self, cards: list[Card], flow: bool = False, placeholder: str = "") -> None:
        """Draw these cards; `flow`: gradients have flowed back (edges drawn in the gradient colour)."""
        self.cards = list(cards)
        self.placeholder = placeholder
        self.scene().clear()
        self._placed = self._layout(self.cards)
        self._draw(flow)
        self._fit()

    def positions(self) -> dict[int, QRectF]:
        return {k: QRectF(p.rect) for k, p in self._placed.items()}

    # -- layout ------------------------------------------------------------------------------------
    def _layout(self, cards: list[Card]) -> dict[int, _Placed]:
        by_key = {c.key: c for c in cards}
        column: dict[int, int] = {}
        for c in cards:    # inputs come first (the graph's order), so one pass settles the operations
            column[c.key] = 1 + max((column.get(i, 0) for i in c.inputs if i in by_key), default=-1) \
                if c.inputs else 0
        readers: dict[int, list[int]] = {c.key: [] for c in cards}
        for c in cards:
            for i in c.inputs:
                if i in readers:
                    readers[i].append(c.key)
        for c in reversed(cards):   # then as late as possible: each node just left of its first reader
            if readers[c.key]:
                column[c.key] = min(column[r] for r in readers[c.key]) - 1
        if cards and not any(c.inputs for c in cards):   # nothing connected (no_grad): leaves, then the result
            for c in cards:
                column[c.key] = 1 if c.kind == "result" else 0
        n_cols = max(column.values(), default=-1) + 1
        cols: list[list[int]] = [[] for _ in range(n_cols)]
        for c in cards:
            cols[column[c.key]].append(c.key)
        heights = {c.key: self._height(c) for c in cards}
        widths = {c.key: self._width(c) for c in cards}
        for _ in range(4):   # barycentre sweeps: each node near the middle of its neighbours
            self._sweep(cols, heights, lambda k: by_key[k].inputs)
            self._sweep(cols[::-1], heights, lambda k: readers[k])
        placed: dict[int, _Placed] = {}
        tallest = max((self._column_height(col, heights) for col in cols), default=0.0)
        x = 0.0
        for ci, col in enumerate(cols):
            y = (tallest - self._column_height(col, heights)) / 2
            width = max((widths[k] for k in col), default=CARD_WIDTH)
            for k in col:
                rect = QRectF(x, y, width, heights[k])
                placed[k] = _Placed(by_key[k], ci, rect)
                y += heights[k] + ROW_GAP
            x += width + COLUMN_GAP
        return placed

    @staticmethod
    def _column_height(col: list[int], heights: dict[int, float]) -> float:
        return sum(heights[k] for k in col) + ROW_GAP * max(len(col) - 1, 0)

    def _sweep(self, cols: list[list[int]], heights: dict[int, float], neighbours) -> None:
        centre: dict[int, float] = {}
        for col in cols:
            y = 0.0
            for k in col:
                centre[k] = y + heights[k] / 2
                y += heights[k] + ROW_GAP
        for col in cols[1:]:
            def key(k: int, col=col) -> float:
                ys = [centre[n] for n in neighbours(k) if n in centre]
                return sum(ys) / len(ys) if ys else centre[k]
            col.sort(key=key)
            y = 0.0
            for k in col:
                centre[k] = y + heights[k] / 2
                y += heights[k] + ROW_GAP

    def _width(self, card: Card) -> float:
        big = card.kind == "leaf" and len(card.title) <= 12
        texts = [(card.title, self.title_big if big else self.mono)]
        plain_mono = QFont(self.mono)
        plain_mono.setBold(False)
        if card.subtitle:
            texts.append((card.subtitle, plain_mono if card.kind != "leaf" else self.body))
        texts += [(t, self.body) for t, _ in card.lines]
        widest = max(QFontMetricsF(f).horizontalAdvance(t) for t, f in texts)
        return min(max(widest + 2 * PAD + 8, CARD_WIDTH), MAX_CARD_WIDTH)

    def _height(self, card: Card) -> float:
        return PAD * 2 + 22 + (LINE_H if card.subtitle else 0) + LINE_H * len(card.lines)

    # -- drawing -----------------------------------------------------------------------------------
    def _draw(self, flow: bool) -> None:
        scene = self.scene()
        if not self._placed:
            item = scene.addText(self.placeholder)
            item.setDefaultTextColor(QColor(MUTED))
            return
        edge_color = QColor(GRAD_COLOR) if flow else QColor("#8a96a3")
        for p in self._placed.values():
            for i in p.card.inputs:
                src = self._placed.get(i)
                if src is not None:
                    dashed = src.card.kind == "constant"
                    self._edge(src.rect, p.rect, edge_color if not dashed else QColor("#b4bac1"), dashed)
        for p in self._placed.values():
            self._card(p)

    def _edge(self, a: QRectF, b: QRectF, color: QColor, dashed: bool) -> None:
        start = QPointF(a.right(), a.center().y())
        end = QPointF(b.left() - 6, b.center().y())
        path = QPainterPath(start)
        dx = (end.x() - start.x()) * 0.5
        path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
        pen = QPen(color, 1.6)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.scene().addPath(path, pen)
        head = QPainterPath(QPointF(b.left(), end.y()))   # the arrow head: data flows into the reader
        head.lineTo(end.x() - 2, end.y() - 4.5)
        head.lineTo(end.x() - 2, end.y() + 4.5)
        head.closeSubpath()
        self.scene().addPath(head, QPen(Qt.PenStyle.NoPen), QBrush(color))

    def _card(self, p: _Placed) -> None:
        c, r = p.card, p.rect
        fill, border, dashed = _STYLE.get(c.kind, _STYLE["op"])
        pen = QPen(border, 2.4 if c.emphasis else 1.2)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        path = QPainterPath()
        path.addRoundedRect(r, 7, 7)
        self.scene().addPath(path, pen, QBrush(QColor(fill)))
        if c.kind == "op":    # a coloured strip on the left: an operation torch recorded
            strip = QPainterPath()
            strip.addRoundedRect(QRectF(r.left(), r.top(), 5, r.height()), 2.5, 2.5)
            self.scene().addPath(strip, QPen(Qt.PenStyle.NoPen), QBrush(QColor(*BLUE)))
        x, y = r.left() + PAD + 2, r.top() + PAD - 2
        big = c.kind == "leaf" and len(c.title) <= 12
        self._text(c.title, x, y, self.title_big if big else self.mono, TEXT, r.width() - 2 * PAD)
        y += 22
        if c.subtitle:
            self._text(c.subtitle, x, y, self.body, MUTED, r.width() - 2 * PAD, mono=c.kind != "leaf")
            y += LINE_H
        for text, color in c.lines:
            self._text(text, x, y, self.body, color, r.width() - 2 * PAD)
            y += LINE_H

    def _text(self, text: str, x: float, y: float, font: QFont, color: str, width: float, mono: bool = False) -> None:
        f = QFont(self.mono if mono else font)
        if mono:
            f.setBold(False)
        shown = QFontMetricsF(f).elidedText(text, Qt.TextElideMode.ElideRight, width)
        item = self.scene().addSimpleText(shown, f)
        item.setBrush(QBrush(QColor(color)))
        item.setPos(x, y)
        item.setToolTip(text)

    # -- fitting -------------------------------------------------------------------------------------
    def _fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-16, -16, 16, 16)
        self.setSceneRect(rect)
        self.resetTransform()
        view = self.viewport().rect()
        if rect.width() > 0 and rect.height() > 0:
            scale = min(view.width() / rect.width(), view.height() / rect.height(), MAX_SCALE)
            scale = max(scale, self.min_scale())
            self.scale(scale, scale)
        self.centerOn(rect.center())
        if rect.width() * self.transform().m11() > view.width():   # too wide: start where the data enters
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    def min_scale(self) -> float:
        """The smallest fitting scale: MIN_SCALE, or more where the fonts are small (text >= MIN_TEXT_PX)."""
        return max(MIN_SCALE, MIN_TEXT_PX / self.smallest_text_px())

    def smallest_text_px(self) -> float:
        """The cards' smallest text height in scene pixels (the monospace label or the body text)."""
        return min(QFontInfo(self.body).pixelSize(), QFontInfo(self.mono).pixelSize()) or MIN_TEXT_PX

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:   # zoom, as in a map
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
            self.scale(factor, factor)
            return
        super().wheelEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()


__all__ = ["Card", "GraphView", "GRAD_COLOR", "GOOD", "BAD", "MUTED"]
