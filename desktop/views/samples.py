"""The seed's "MNIST Samples" figure: the first 20 training images in a 2x10 grid, each under its label."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

ROWS, COLS = 2, 10
LABEL_PX = 15         # height of the label line above each image
GAP = 4
MAX_CELL = 40         # a strip, not the page: the results below need the height


def gray_image(pixels: np.ndarray) -> QImage:
    """A uint8 (H, W) array as a Grayscale8 QImage that owns its bytes (safe after `pixels` is gone)."""
    arr = np.ascontiguousarray(pixels, dtype=np.uint8)
    h, w = arr.shape
    return QImage(arr.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


class SampleStrip(QWidget):
    """2 x 10 training digits with their labels; a message in their place until they are loaded."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._images: list[QImage] = []
        self._labels: list[int] = []
        self._message = "The training images appear here once MNIST is on this computer."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self._height_for(28))

    # -- data -----------------------------------------------------------------------------
    def set_samples(self, images: np.ndarray, labels: np.ndarray) -> None:
        """images uint8 (N, 28, 28), labels (N,); the first 20 are shown."""
        n = min(len(images), ROWS * COLS)
        self._images = [gray_image(images[i]) for i in range(n)]
        self._labels = [int(v) for v in labels[:n]]
        self._message = ""
        self.update()

    def set_message(self, text: str) -> None:
        """Show a sentence instead of the images (not loaded yet, files missing)."""
        self._images, self._labels, self._message = [], [], text
        self.setToolTip(text)
        self.update()

    def labels(self) -> list[int]:
        return list(self._labels)

    def message(self) -> str:
        return self._message

    # -- geometry -------------------------------------------------------------------------
    def _cell(self) -> float:
        return max(20.0, min(MAX_CELL, (self.width() - GAP * (COLS + 1)) / COLS))

    @staticmethod
    def _height_for(cell: float) -> int:
        return int(ROWS * (cell + LABEL_PX) + GAP * (ROWS + 1))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(COLS * (40 + GAP) + GAP, self._height_for(40))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.setFixedHeight(self._height_for(self._cell()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        if not self._images:
            p.setPen(QColor(90, 90, 90))
            p.drawText(self.rect().adjusted(12, 0, -12, 0),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        cell = self._cell()
        left = (self.width() - COLS * cell - (COLS - 1) * GAP) / 2
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        for i, (img, label) in enumerate(zip(self._images, self._labels)):
            r, c = divmod(i, COLS)
            x = left + c * (cell + GAP)
            y = GAP + r * (cell + LABEL_PX + GAP)
            p.setPen(QColor(40, 40, 40))
            p.drawText(QRectF(x, y, cell, LABEL_PX), Qt.AlignmentFlag.AlignCenter, str(label))
            # nearest-neighbour on purpose: the learner should see the 28x28 pixels the network reads
            p.drawImage(QRectF(x, y + LABEL_PX, cell, cell), img)
        p.end()


__all__ = ["SampleStrip", "gray_image"]
