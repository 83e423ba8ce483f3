"""A grid of numbers drawn as square cells: an image, a kernel, a feature map.

One widget for the convolution lesson's input, patch, products and maps, and for the trained CNN's
feature maps and kernels: grey for pixels (white ink on black, as the model sees a digit), the app's
diverging scale (orange < 0 < blue, desktop/views/colors.py) for signed values. It can print each
cell's number, outline one block of cells (the kernel's window, the output cell), fade the cells
not computed yet, and outline an inner region (the image inside its zero padding).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .colors import INK, diverging_rgba

GREY = "grey"                 # values in [0, 1]: black (0) to white (1)
DIVERGING = "diverging"       # values in [-vmax, vmax]: orange, light grey, blue
HIGHLIGHT = QColor(214, 39, 40)           # the kernel's window and the cell it fills
PAD_LINE = QColor(120, 170, 230)          # the real image's edge inside its zero padding
FADE = QColor(255, 255, 255, 190)         # cells the stepping has not reached yet
MIN_GRID_LINE_PX = 9                      # thin lines between cells only where cells are this large


def grey_rgba(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> (..., 4) uint8 RGBA, black to white (clipped)."""
    g = np.rint(np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64)), 0.0, 1.0) * 255).astype(np.uint8)
    out = np.empty(g.shape + (4,), dtype=np.uint8)
    out[..., 0] = out[..., 1] = out[..., 2] = g
    out[..., 3] = 255
    return out


def number_text(v: float) -> str:
    """A cell's number in at most five characters: 0, 0.25, -1.5, 12, 1e+03."""
    if not np.isfinite(v):
        return str(v)
    if abs(v) < 0.005:
        return "0"
    if abs(v) >= 100:
        return f"{v:.0e}" if abs(v) >= 1000 else f"{v:.0f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) < 10 else f"{v:.1f}"


class GridView(QWidget):
    """A 2-D array as square cells that scale with the widget; click or drag to pick a cell."""

    cellPicked = Signal(int, int)        # row, column under the mouse (left button)

    def __init__(self, min_cell: int = 4, parent: QWidget | None = None):
        super().__init__(parent)
        self._values = np.zeros((1, 1))
        self._image: QImage | None = None
        self._mode = GREY
        self._vmax = 1.0
        self._numbers = False
        self._box: tuple[int, int, int, int] | None = None     # row, col, rows, cols
        self._inner: tuple[int, int, int, int] | None = None
        self._shown_upto: int | None = None                    # cells after this index (row by row) fade
        self._min_cell = min_cell
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)      # as tall as its cells are wide: no gap under a map
        self.setSizePolicy(policy)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # -- what is shown ------------------------------------------------------------------------
    def set_values(self, values: np.ndarray, mode: str = GREY, vmax: float | None = None,
                   numbers: bool = False) -> None:
        """The cells' numbers; vmax: the diverging scale's end (None: the largest |value|)."""
        arr = np.atleast_2d(np.asarray(values, dtype=np.float64))
        self._values, self._mode, self._numbers = arr, mode, numbers
        if mode == DIVERGING:
            top = float(np.max(np.abs(arr))) if arr.size else 0.0
            self._vmax = float(vmax) if vmax else (top if top > 0 else 1.0)
            rgba = diverging_rgba(arr, self._vmax)
        else:
            rgba = grey_rgba(arr)
        rgba = np.ascontiguousarray(rgba)
        h, w = arr.shape
        self._image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.updateGeometry()
        self.update()

    def set_box(self, box: tuple[int, int, int, int] | None) -> None:
        """Outline rows r .. r + h - 1, columns c .. c + w - 1 (row, col, h, w), or nothing."""
        self._box = box
        self.update()

    def set_inner(self, inner: tuple[int, int, int, int] | None) -> None:
        """Outline the real image inside its padding (row, col, h, w), or nothing."""
        self._inner = inner
        self.update()

    def set_shown_upto(self, index: int | None) -> None:
        """Fade the cells after `index` (counted row by row): not computed yet. None: none faded."""
        self._shown_upto = index
        self.update()

    def values(self) -> np.ndarray:
        return self._values.copy()

    def box(self) -> tuple[int, int, int, int] | None:
        return self._box

    # -- geometry -------------------------------------------------------------------------------
    def cell_size(self) -> float:
        h, w = self._values.shape
        return max(min(self.width() / w, self.height() / h), 1.0)

    def _origin(self) -> QPointF:
        h, w = self._values.shape
        s = self.cell_size()
        return QPointF((self.width() - w * s) / 2, 0.0)     # centred across, at the top: under its caption

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        h, w = self._values.shape
        return QSize(w * self._min_cell, h * self._min_cell)

    def sizeHint(self) -> QSize:  # noqa: N802
        h, w = self._values.shape
        return QSize(w * self._min_cell * 2, h * self._min_cell * 2)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        h, w = self._values.shape
        return int(width * h / w)

    def _rect(self, row: float, col: float, rows: float, cols: float) -> QRectF:
        s, o = self.cell_size(), self._origin()
        return QRectF(o.x() + col * s, o.y() + row * s, cols * s, rows * s)

    # -- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        h, w = self._values.shape
        s = self.cell_size()
        full = self._rect(0, 0, h, w)
        if self._image is not None:
            p.drawImage(full, self._image)       # no smoothing: each value stays one square
        if self._shown_upto is not None and self._shown_upto < h * w - 1:
            r, c = divmod(self._shown_upto + 1, w)
            p.fillRect(self._rect(r, c, 1, w - c), FADE)
            if r + 1 < h:
                p.fillRect(self._rect(r + 1, 0, h - r - 1, w), FADE)
        if s >= MIN_GRID_LINE_PX:
            p.setPen(QPen(QColor(128, 128, 128, 70), 1))
            for i in range(1, w):
                x = full.left() + i * s
                p.drawLine(QPointF(x, full.top()), QPointF(x, full.bottom()))
            for i in range(1, h):
                y = full.top() + i * s
                p.drawLine(QPointF(full.left(), y), QPointF(full.right(), y))
        if self._numbers:
            self._paint_numbers(p, s)
        if self._inner is not None:
            p.setPen(QPen(PAD_LINE, 1.5, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self._rect(*self._inner))
        if self._box is not None:
            p.setPen(QPen(HIGHLIGHT, max(2.0, s / 6)))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self._rect(*self._box))
        p.setPen(QPen(QColor(160, 166, 173), 1))
        p.drawRect(full)
        p.end()

    def _paint_numbers(self, p: QPainter, s: float) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(int(s * 0.3), 7))
        p.setFont(font)
        h, w = self._values.shape
        for r in range(h):
            for c in range(w):
                v = float(self._values[r, c])
                p.setPen(self._text_color(v))
                p.drawText(self._rect(r, c, 1, 1), Qt.AlignmentFlag.AlignCenter, number_text(v))

    def _text_color(self, v: float) -> QColor:
        if self._mode == GREY:
            return QColor(*INK) if v > 0.55 else QColor(235, 235, 235)
        strong = abs(v) / self._vmax > 0.6 if self._vmax else False
        return QColor(255, 255, 255) if strong else QColor(*INK)

    # -- picking --------------------------------------------------------------------------------
    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        s, o = self.cell_size(), self._origin()
        h, w = self._values.shape
        r, c = int((pos.y() - o.y()) // s), int((pos.x() - o.x()) // s)
        return (r, c) if 0 <= r < h and 0 <= c < w else None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._pick(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._pick(event.position())

    def _pick(self, pos: QPointF) -> None:
        cell = self.cell_at(pos)
        if cell is not None:
            self.cellPicked.emit(*cell)


__all__ = ["GridView", "GREY", "DIVERGING", "grey_rgba", "number_text"]
