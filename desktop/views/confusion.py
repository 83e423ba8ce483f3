"""The 10x10 confusion matrix as a heatmap with counts, and each digit's accuracy at the end of its row.

Rows are the true digit, columns the prediction (the seed's layout). One colour
scale for the whole matrix would leave every mistake white next to a diagonal of
~1,000, so the diagonal is blue by the share of its row that was right, and the
mistakes are orange by their count relative to the largest mistake: the eye finds
the 4 -> 9 confusions at once. Clicking a cell emits cellClicked(true, predicted).
The per-digit accuracy (diagonal / row total) is a bar beside each row, so it is
read against the row it comes from.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .colors import BLUE, INK, ORANGE

N = 10
_WHITE = np.array((255, 255, 255), dtype=float)


def _mix(rgb: tuple[int, int, int], t: float) -> QColor:
    """White (t = 0) to rgb (t = 1)."""
    c = _WHITE + (np.array(rgb, dtype=float) - _WHITE) * float(np.clip(t, 0.0, 1.0))
    return QColor(*(int(round(v)) for v in c))


def _readable_on(color: QColor) -> QColor:
    """Black or white text, whichever reads on this background."""
    luma = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return QColor(255, 255, 255) if luma < 150 else QColor(*INK)


class ConfusionMatrixView(QWidget):
    """Counts of (true, predicted) test digits; empty until set_matrix."""

    cellClicked = Signal(int, int)       # true digit, predicted digit

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._cm: np.ndarray | None = None
        self._selected: tuple[int, int] | None = None
        self._hover: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(300, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- data -----------------------------------------------------------------------------
    def set_matrix(self, cm: np.ndarray | None) -> None:
        """cm[t, p] = test digits of true class t predicted as p; None clears."""
        self._cm = None if cm is None else np.asarray(cm, dtype=np.int64).reshape(N, N)
        self._selected = None
        self.update()

    def matrix(self) -> np.ndarray | None:
        return None if self._cm is None else self._cm.copy()

    def select(self, true: int | None, pred: int | None = None) -> None:
        """Outline one cell (None: no cell)."""
        self._selected = None if true is None or pred is None else (int(true), int(pred))
        self.update()

    def selected(self) -> tuple[int, int] | None:
        return self._selected

    # -- geometry -------------------------------------------------------------------------
    def _layout(self) -> tuple[float, float, float]:
        """(left, top, cell side) of the 10x10 grid, leaving room for the axes and the accuracy column."""
        fm = self.fontMetrics()
        left = fm.height() + fm.horizontalAdvance("0") + 14   # "True" rotated, then the row digits
        top = 4
        bottom = 2 * fm.height() + 10                           # column digits, then "Predicted"
        right = self._accuracy_width() + 4
        side = max(8.0, min((self.width() - left - right) / N, (self.height() - top - bottom) / N))
        # centre the whole drawing in the space it has
        left += max(0.0, (self.width() - left - right - side * N) / 2)
        return left, top, side

    def _accuracy_width(self) -> int:
        fm = self.fontMetrics()
        return fm.horizontalAdvance("100.0%") + 8 + 44       # the value and a 40 px bar

    def per_digit_accuracy(self) -> np.ndarray | None:
        """Percent right for each true digit, as the column beside the rows shows it."""
        from trainer.metrics import per_class_accuracy
        return None if self._cm is None else per_class_accuracy(self._cm)

    def cell_rect(self, true: int, pred: int) -> QRectF:
        left, top, side = self._layout()
        return QRectF(left + pred * side, top + true * side, side, side)

    def cell_center(self, true: int, pred: int) -> QPoint:
        """Where to click for a cell (tests, and the tooltip)."""
        return self.cell_rect(true, pred).center().toPoint()

    def cell_at(self, pos: QPointF | QPoint) -> tuple[int, int] | None:
        left, top, side = self._layout()
        col = math.floor((pos.x() - left) / side)
        row = math.floor((pos.y() - top) / side)
        return (row, col) if 0 <= row < N and 0 <= col < N else None

    def accuracy_row_at(self, pos: QPointF | QPoint) -> int | None:
        """The digit whose accuracy bar is at pos, if any."""
        left, top, side = self._layout()
        x0 = left + N * side + 8
        row = math.floor((pos.y() - top) / side)
        inside = x0 <= pos.x() <= x0 + self._accuracy_width()
        return row if inside and 0 <= row < N else None

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 360)

    # -- colours --------------------------------------------------------------------------
    def cell_color(self, true: int, pred: int) -> QColor:
        cm = self._cm
        if cm is None:
            return QColor(248, 249, 250)
        count = int(cm[true, pred])
        if true == pred:
            total = int(cm[true].sum())
            return _mix(BLUE, 0.15 + 0.85 * (count / total)) if total else QColor(248, 249, 250)
        off = cm.copy()
        np.fill_diagonal(off, 0)
        worst = int(off.max())
        if count == 0 or worst == 0:
            return QColor(255, 255, 255)
        # sqrt: a mistake made 3 times still shows next to one made 40 times
        return _mix(ORANGE, 0.12 + 0.88 * math.sqrt(count / worst))

    # -- painting and mouse ---------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        left, top, side = self._layout()
        fm = self.fontMetrics()
        count_font = QFont(self.font())
        count_font.setPixelSize(max(7, min(13, int(side * 0.34))))
        grid_pen = QPen(QColor(225, 228, 232))
        for t in range(N):
            for q in range(N):
                rect = self.cell_rect(t, q)
                color = self.cell_color(t, q)
                p.fillRect(rect, color)
                p.setPen(grid_pen)
                p.drawRect(rect)
                if self._cm is not None:
                    p.setPen(_readable_on(color))
                    p.setFont(count_font)
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(self._cm[t, q])}")
        p.setFont(self.font())
        p.setPen(QColor(*INK))
        for i in range(N):   # row digits on the left, column digits below
            p.drawText(QRectF(left - fm.horizontalAdvance("0") - 10, top + i * side, fm.horizontalAdvance("0") + 6,
                              side), Qt.AlignmentFlag.AlignCenter, str(i))
            p.drawText(QRectF(left + i * side, top + N * side + 2, side, fm.height()),
                       Qt.AlignmentFlag.AlignCenter, str(i))
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(QRectF(left, top + N * side + fm.height() + 4, N * side, fm.height() + 2),
                   Qt.AlignmentFlag.AlignCenter, "Predicted")
        p.save()
        p.translate(fm.height() / 2 + 2, top + N * side / 2)
        p.rotate(-90)
        p.drawText(QRectF(-N * side / 2, -fm.height() / 2, N * side, fm.height()), Qt.AlignmentFlag.AlignCenter,
                   "True")
        p.restore()
        self._paint_accuracy(p, left, top, side)
        p.setFont(self.font())
        for cell, pen in ((self._hover, QPen(QColor(120, 120, 120), 1)), (self._selected, QPen(QColor(*INK), 3))):
            if cell is not None:
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(self.cell_rect(*cell).adjusted(1, 1, -1, -1))
        if self._cm is None:
            p.setPen(QColor(90, 90, 90))
            p.setFont(self.font())
            p.drawText(QRectF(left, top, N * side, N * side), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       "Train an MNIST model\nto fill this in")
        p.end()

    def _paint_accuracy(self, p: QPainter, left: float, top: float, side: float) -> None:
        """Each row's accuracy: a bar (0-100%) and the value, right of the matrix."""
        fm = self.fontMetrics()
        x0 = left + N * side + 8
        bar_w = 40.0
        p.setFont(self.font())
        p.setPen(QColor(*INK))
        p.drawText(QRectF(x0, top + N * side + 2, self._accuracy_width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft, "accuracy")
        acc = self.per_digit_accuracy()
        for t in range(N):
            y = top + t * side
            track = QRectF(x0, y + side * 0.3, bar_w, side * 0.4)
            p.fillRect(track, QColor(236, 239, 243))
            if acc is None or not math.isfinite(acc[t]):
                continue
            p.fillRect(QRectF(track.left(), track.top(), bar_w * acc[t] / 100.0, track.height()), QColor(*BLUE))
            p.setPen(QColor(*INK))
            p.drawText(QRectF(x0 + bar_w + 4, y, self._accuracy_width() - bar_w - 4, side),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, f"{acc[t]:.1f}%")

    def describe(self, true: int, pred: int) -> str:
        """The tooltip sentence for a cell."""
        if self._cm is None:
            return ""
        count = int(self._cm[true, pred])
        total = int(self._cm[true].sum())
        share = f" ({count / total * 100:.1f}% of the {true}s)" if total else ""
        if true == pred:
            return f"{count:,} of {total:,} test images of a {true} were recognised{share}. Click to see them."
        return f"{count:,} test images of a {true} were taken for a {pred}{share}. Click to see them."

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        cell = self.cell_at(event.position())
        if cell != self._hover:
            self._hover = cell
            self.setCursor(Qt.CursorShape.PointingHandCursor if cell and self._cm is not None
                           else Qt.CursorShape.ArrowCursor)
            self.update()

    def tooltip_at(self, pos: QPointF | QPoint) -> str:
        """What hovering says: a cell's count, a digit's accuracy, or how to read the matrix."""
        cell = self.cell_at(pos)
        if self._cm is not None and cell is not None:
            return self.describe(*cell)
        row = self.accuracy_row_at(pos)
        if self._cm is not None and row is not None:
            right, total = int(self._cm[row, row]), int(self._cm[row].sum())
            return f"{right:,} of the {total:,} test images of a {row} were recognised"
        return "Rows: the true digit; columns: what the model said. Click a cell to see its digits."

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            QToolTip.showText(event.globalPos(), self.tooltip_at(event.pos()), self)
            return True
        return super().event(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._cm is None:
            return
        cell = self.cell_at(event.position())
        if cell is not None:
            self._selected = cell
            self.update()
            self.cellClicked.emit(*cell)


__all__ = ["ConfusionMatrixView"]
