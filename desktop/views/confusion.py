"""The confusion matrix as a heatmap with counts, and each class's accuracy at the end of its row.

MNIST's 10 digits by default; `set_classes` gives it other classes by name (a CSV's text labels,
iris' species), shown as written on the rows and columns.

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

N = 10                 # MNIST's digits: the classes until set_classes says otherwise
LABEL_MAX_PX = 110     # a row's class name is elided beyond this width
TEST_SET_TITLE = "Test set: each test row counted by its true and predicted class"
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

    cellClicked = Signal(int, int)       # true class, predicted class

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._names: tuple[str, ...] = tuple(str(d) for d in range(N))
        self._digits = True                # the default classes: the tooltips speak of images of a digit
        self._empty_text = "Train an MNIST model\nto fill this in"
        self._title = ""                   # a line over the grid (which rows it counts), or none
        self._cm: np.ndarray | None = None
        self._selected: tuple[int, int] | None = None
        self._hover: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(300, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # -- data -----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """How many classes the matrix has rows (and columns) for."""
        return len(self._names)

    def set_classes(self, names: tuple[str, ...] | list[str], empty_text: str = "Train a model\nto fill this in",
                    title: str = TEST_SET_TITLE) -> None:
        """Other classes than MNIST's digits, by name (class i is names[i]); clears the matrix."""
        self._names = tuple(str(n) for n in names)
        self._digits = False
        self._empty_text = empty_text
        self._title = title
        # Each column's name fits under its cell (up to LABEL_MAX_PX): below that the scroll area scrolls.
        fm = self.fontMetrics()
        side = min(LABEL_MAX_PX, max(fm.horizontalAdvance(name) for name in self._names) + 8)
        left = fm.height() + self._row_label_width() + 14
        self.setMinimumSize(max(300, int(left + self.n * side + self._accuracy_width() + 4)),
                            max(240, int(self.n * side + 3 * fm.height() + 18)))
        self.set_matrix(None)

    def class_names(self) -> tuple[str, ...]:
        return self._names

    def row_label(self, i: int) -> str:
        """Class i's name as drawn left of its row (elided beyond LABEL_MAX_PX)."""
        # +4: the advance is rounded down, and a name of exactly that width was elided ("cact…")
        return self.fontMetrics().elidedText(self._names[i], Qt.TextElideMode.ElideRight, self._row_label_width() + 4)

    def title(self) -> str:
        """The line over the grid ("" for MNIST's digits, whose tab says it)."""
        return self._title

    def set_matrix(self, cm: np.ndarray | None) -> None:
        """cm[t, p] = test rows of true class t predicted as p; None clears."""
        self._cm = None if cm is None else np.asarray(cm, dtype=np.int64).reshape(self.n, self.n)
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
        """(left, top, cell side) of the n x n grid, leaving room for the axes and the accuracy column."""
        fm = self.fontMetrics()
        left = fm.height() + self._row_label_width() + 14    # "True" rotated, then the row labels
        top = 4 + (fm.height() + 6 if self._title else 0)
        bottom = 2 * fm.height() + 10                           # column labels, then "Predicted"
        right = self._accuracy_width() + 4
        n = self.n
        side = max(8.0, min((self.width() - left - right) / n, (self.height() - top - bottom) / n))
        # centre the whole drawing in the space it has
        left += max(0.0, (self.width() - left - right - side * n) / 2)
        return left, top, side

    def _row_label_width(self) -> int:
        fm = self.fontMetrics()
        return min(LABEL_MAX_PX, max(fm.horizontalAdvance(name) for name in self._names))

    def _accuracy_width(self) -> int:
        fm = self.fontMetrics()
        return fm.horizontalAdvance("100.0%") + 8 + 44       # the value and a 40 px bar

    def per_digit_accuracy(self) -> np.ndarray | None:
        """Percent right for each true class, as the column beside the rows shows it."""
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
        return (row, col) if 0 <= row < self.n and 0 <= col < self.n else None

    def accuracy_row_at(self, pos: QPointF | QPoint) -> int | None:
        """The digit whose accuracy bar is at pos, if any."""
        left, top, side = self._layout()
        x0 = left + self.n * side + 8
        row = math.floor((pos.y() - top) / side)
        inside = x0 <= pos.x() <= x0 + self._accuracy_width()
        return row if inside and 0 <= row < self.n else None

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
        n = self.n
        for t in range(n):
            for q in range(n):
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
        label_w = self._row_label_width()
        for i, name in enumerate(self._names):   # row labels on the left, column labels below
            p.drawText(QRectF(left - label_w - 10, top + i * side, label_w + 6, side),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                       self.row_label(i))
            p.drawText(QRectF(left + i * side, top + n * side + 2, side, fm.height()),
                       Qt.AlignmentFlag.AlignCenter, fm.elidedText(name, Qt.TextElideMode.ElideRight, int(side) - 2))
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        if self._title:
            p.drawText(QRectF(0, 2, self.width(), fm.height() + 2), Qt.AlignmentFlag.AlignCenter, self._title)
        p.drawText(QRectF(left, top + n * side + fm.height() + 4, n * side, fm.height() + 2),
                   Qt.AlignmentFlag.AlignCenter, "Predicted")
        p.save()
        p.translate(fm.height() / 2 + 2, top + n * side / 2)
        p.rotate(-90)
        p.drawText(QRectF(-n * side / 2, -fm.height() / 2, n * side, fm.height()), Qt.AlignmentFlag.AlignCenter,
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
            p.drawText(QRectF(left, top, n * side, n * side), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._empty_text)
        p.end()

    def _paint_accuracy(self, p: QPainter, left: float, top: float, side: float) -> None:
        """Each row's accuracy: a bar (0-100%) and the value, right of the matrix."""
        fm = self.fontMetrics()
        x0 = left + self.n * side + 8
        bar_w = 40.0
        p.setFont(self.font())
        p.setPen(QColor(*INK))
        p.drawText(QRectF(x0, top + self.n * side + 2, self._accuracy_width(), fm.height()),
                   Qt.AlignmentFlag.AlignLeft, "accuracy")
        acc = self.per_digit_accuracy()
        for t in range(self.n):
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
        if not self._digits:
            t, q = self._names[true], self._names[pred]
            share = f" ({count / total * 100:.1f}% of them)" if total else ""
            if true == pred:
                return f"{count:,} of the {total:,} test rows of class {t} were classified right{share}."
            return f"{count:,} test rows of class {t} were taken for {q}{share if count else ''}."
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
            if not self._digits:
                return f"{right:,} of the {total:,} test rows of class {self._names[row]} were classified right"
            return f"{right:,} of the {total:,} test images of a {row} were recognised"
        if not self._digits:
            return "Rows: the true class; columns: what the model said."
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
