"""Test digits with what the model said: prediction, truth and confidence (the seed's phase 5).

Shows the misclassified digits (most confident mistakes first: those teach the most),
the correct ones, or all; a confusion-matrix cell narrows it to the digits of that
cell. Tiles are painted, not widgets, and only the visible ones, so a cell of
1,000 digits scrolls smoothly.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QHelpEvent, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolTip, QVBoxLayout, QWidget)

from .samples import gray_image

MAX_TILES = 500          # more than anyone scrolls through; the header says how many there are
TILE_IMG = 56            # 2x MNIST
TILE_W, TILE_H = 68, 94  # image plus two lines of text
GAP = 6
RIGHT = QColor(30, 130, 60)
WRONG = QColor(200, 40, 30)
MODES = (("wrong", "Misclassified"), ("right", "Correct"), ("all", "All"))


class _Tiles(QWidget):
    """The grid of tiles inside the scroll area; its height follows the number of tiles."""

    def __init__(self, gallery: "GalleryView"):
        super().__init__()
        self.gallery = gallery
        self._cache: dict[int, QImage] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def clear_cache(self) -> None:
        self._cache.clear()

    def columns(self) -> int:
        return max(1, (self.width() - GAP) // (TILE_W + GAP))

    def relayout(self) -> None:
        rows = -(-len(self.gallery._shown) // self.columns())
        self.setFixedHeight(max(1, rows * (TILE_H + GAP) + GAP))
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.relayout()

    def tile_rect(self, k: int) -> QRect:
        cols = self.columns()
        r, c = divmod(k, cols)
        left = max(GAP, (self.width() - cols * (TILE_W + GAP) + GAP) // 2)
        return QRect(left + c * (TILE_W + GAP), GAP + r * (TILE_H + GAP), TILE_W, TILE_H)

    def tile_at(self, pos: QPoint) -> int | None:
        for k in range(len(self.gallery._shown)):   # only ever a few hundred; exact and simple
            if self.tile_rect(k).contains(pos):
                return k
        return None

    def _image(self, index: int) -> QImage | None:
        images = self.gallery._images
        if images is None:
            return None
        img = self._cache.get(index)
        if img is None:
            img = self._cache[index] = gray_image(images[index])
        return img

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        g = self.gallery
        p = QPainter(self)
        p.fillRect(event.rect(), QColor(255, 255, 255))
        big = QFont(self.font())
        big.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        for k, index in enumerate(g._shown):
            rect = self.tile_rect(k)
            if not rect.intersects(event.rect()):
                continue
            pred, true = int(g._pred[index]), int(g._truth[index])
            ok = pred == true
            img_rect = QRect(rect.left() + (TILE_W - TILE_IMG) // 2, rect.top(), TILE_IMG, TILE_IMG)
            img = self._image(index)
            if img is None:
                p.fillRect(img_rect, QColor(60, 60, 60))
            else:
                p.drawImage(img_rect, img)
            p.setPen(RIGHT if ok else WRONG)
            p.setFont(big)
            conf = f"  {g._conf[index] * 100:.0f}%" if g._conf is not None else ""
            p.drawText(QRectF(rect.left(), img_rect.bottom() + 2, TILE_W, 18), Qt.AlignmentFlag.AlignCenter,
                       f"{pred}{conf}")
            p.setFont(small)
            p.setPen(WRONG if not ok else QColor(110, 110, 110))
            p.drawText(QRectF(rect.left(), img_rect.bottom() + 19, TILE_W, 16), Qt.AlignmentFlag.AlignCenter,
                       f"true {true}")
        p.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event: QHelpEvent = event  # type: ignore[assignment]
            k = self.tile_at(help_event.pos())
            if k is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(help_event.globalPos(), self.gallery.describe(self.gallery._shown[k]), self)
            return True
        return super().event(event)


class GalleryView(QWidget):
    """Test digits with prediction, truth and confidence; filter by kind or by a confusion cell."""

    filterChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._images: np.ndarray | None = None     # uint8 (N, 28, 28) test images
        self._truth = np.zeros(0, dtype=np.int64)
        self._pred = np.zeros(0, dtype=np.int64)
        self._conf: np.ndarray | None = None
        self._have_truth = self._have_pred = False
        self._cell: tuple[int, int] | None = None
        self._shown = np.zeros(0, dtype=np.int64)
        self._total = 0

        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.mode.setToolTip("Which test digits to show")
        self.mode.currentIndexChanged.connect(lambda _i: self._clear_cell_and_refresh())
        self.caption = QLabel()
        self.caption.setObjectName("hint")
        self.caption.setWordWrap(True)
        self.show_all = QPushButton("Show all")
        self.show_all.setToolTip("Forget the confusion-matrix cell")
        self.show_all.clicked.connect(self.clear_cell)
        self.show_all.hide()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.mode)
        top.addWidget(self.show_all)
        top.addStretch(1)

        self.tiles = _Tiles(self)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.tiles)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.StyledPanel)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setMinimumWidth(TILE_W * 3 + GAP * 4 + 20)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        self._refresh()

    # -- data -----------------------------------------------------------------------------
    def set_images(self, images: np.ndarray | None, truth: np.ndarray | None) -> None:
        """The test images uint8 (N, 28, 28) and their labels (from the MNIST files)."""
        self._images = None if images is None else np.asarray(images, dtype=np.uint8)
        self._truth = np.zeros(0, dtype=np.int64) if truth is None else np.asarray(truth, dtype=np.int64)
        self._have_truth = truth is not None
        self.tiles.clear_cache()
        self._refresh()

    def set_predictions(self, pred: np.ndarray | None, confidence: np.ndarray | None) -> None:
        """The model's answer for each test image and how sure it was (None clears)."""
        self._pred = np.zeros(0, dtype=np.int64) if pred is None else np.asarray(pred, dtype=np.int64)
        self._conf = None if confidence is None else np.asarray(confidence, dtype=np.float32)
        self._have_pred = pred is not None
        self._cell = None
        self._refresh()

    def set_cell(self, true: int, pred: int) -> None:
        """Only the digits of one confusion-matrix cell."""
        self._cell = (int(true), int(pred))
        self._refresh()

    def clear_cell(self) -> None:
        if self._cell is not None:
            self._cell = None
            self._refresh()

    def _clear_cell_and_refresh(self) -> None:
        self._cell = None
        self._refresh()

    # -- what is shown --------------------------------------------------------------------
    def cell(self) -> tuple[int, int] | None:
        return self._cell

    def shown_indices(self) -> np.ndarray:
        """Test-set indices of the tiles, in order."""
        return self._shown.copy()

    def total(self) -> int:
        """How many digits the filter matches (tiles are capped at MAX_TILES)."""
        return self._total

    def caption_text(self) -> str:
        return self.caption.text()

    def describe(self, index: int) -> str:
        pred, true = int(self._pred[index]), int(self._truth[index])
        conf = f" ({self._conf[index] * 100:.1f}% sure)" if self._conf is not None else ""
        verdict = "right" if pred == true else "wrong"
        return f"Test image #{index:,}: predicted {pred}{conf}, truly {true}, {verdict}"

    def _ready(self) -> bool:
        return self._have_pred and self._have_truth and len(self._pred) == len(self._truth) > 0

    def _refresh(self) -> None:
        self.show_all.setVisible(self._cell is not None)
        if not self._have_pred:
            self._set_shown(np.zeros(0, dtype=np.int64), 0,
                            "Train an MNIST model: its right and wrong answers on the 10,000 test digits show here.")
            return
        if not self._have_truth:
            self._set_shown(np.zeros(0, dtype=np.int64), 0, "Reading the test images…")
            return
        if not self._ready():
            self._set_shown(np.zeros(0, dtype=np.int64), 0,
                            f"The predictions ({len(self._pred):,}) do not match the test images "
                            f"({len(self._truth):,}); train again.")
            return
        truth, pred = self._truth, self._pred
        conf = self._conf if self._conf is not None else np.ones(len(pred), dtype=np.float32)
        if self._cell is not None:
            t, q = self._cell
            idx = np.flatnonzero((truth == t) & (pred == q))
            what = (f"the {len(idx):,} test images of a {t} it recognised" if t == q else
                    f"the {len(idx):,} test images of a {t} it took for a {q}")
            none = (f"It recognised none of the {t}s." if t == q else
                    f"It never took a {t} for a {q} on the test set.")
            wrong = t != q
        else:
            mode = self.mode.currentData()
            mask = {"wrong": truth != pred, "right": truth == pred, "all": np.ones(len(truth), bool)}[mode]
            idx = np.flatnonzero(mask)
            what = {"wrong": f"the {len(idx):,} test images it got wrong",
                    "right": f"the {len(idx):,} test images it got right",
                    "all": f"all {len(idx):,} test images"}[mode]
            none = {"wrong": "It got every test image right.", "right": "It got no test image right.",
                    "all": "There are no test images."}[mode]
            wrong = mode == "wrong"
        if wrong:
            # the most confident mistakes first (stable sort: ties keep the test-set order)
            idx = idx[np.argsort(-conf[idx], kind="stable")]
            order = "most confident first"
        else:
            order = "in test-set order"
        shown = idx[:MAX_TILES]
        more = f"; the first {len(shown):,} shown" if len(shown) < len(idx) else ""
        text = f"Showing {what}, {order}{more}." if len(idx) else none
        if self._images is None:
            text += " (Reading the images…)"
        self._set_shown(shown, len(idx), text)

    def _set_shown(self, shown: np.ndarray, total: int, caption: str) -> None:
        self._shown, self._total = shown, total
        self.caption.setText(caption)
        self.tiles.relayout()
        self.scroll.verticalScrollBar().setValue(0)
        self.filterChanged.emit()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(5 * (TILE_W + GAP) + GAP + 24, 420)


__all__ = ["GalleryView", "MAX_TILES"]
