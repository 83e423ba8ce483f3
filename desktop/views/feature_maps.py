"""Inside a trained CNN: the first layer's kernels and every convolution's feature maps, as tiles.

`TileGrid` draws many small 2-D arrays (16 kernels, 32 maps) in rows that wrap to the width there
is, all on one colour scale per grid (the app's diverging scale: orange < 0 < blue), so a strong map
and a quiet one look different. `FeatureMapsView` stacks a kernels grid and one grid per convolution
with their captions; it is told what to show (trainer.feature_maps computes it) and draws it.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from trainer.feature_maps import LayerMaps

from .colors import diverging_rgba

GAP = 4


class TileGrid(QWidget):
    """Tiles of `tile` px (or larger, to fill the width), wrapped into rows; one scale for them all."""

    def __init__(self, tile: int = 56, parent: QWidget | None = None):
        super().__init__(parent)
        self._tile = tile
        self._images: list[QImage] = []
        self._arrays = np.zeros((0, 1, 1))
        self.vmax = 1.0
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_arrays(self, arrays: np.ndarray | None) -> None:
        """(n, h, w) values, or None to empty the grid."""
        a = np.zeros((0, 1, 1)) if arrays is None else np.asarray(arrays, dtype=np.float32)
        self._arrays = a
        top = float(np.max(np.abs(a))) if a.size else 0.0
        self.vmax = top if top > 0 and np.isfinite(top) else 1.0
        rgba = np.ascontiguousarray(diverging_rgba(a, self.vmax)) if a.size else np.zeros((0, 1, 1, 4), np.uint8)
        n, h, w = a.shape
        self._images = [QImage(rgba[i].data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy() for i in range(n)]
        self.setToolTip(f"{n} tiles, {h}×{w} each; one colour scale for all: ±{self.vmax:.3g}" if n else "")
        self.updateGeometry()
        self.update()

    def arrays(self) -> np.ndarray:
        return self._arrays.copy()

    def _layout(self, width: int) -> tuple[int, float]:
        """(columns, tile side) for this width: as many tiles of at least `tile` px as fit."""
        n = max(len(self._images), 1)
        cols = max(1, min(n, (width + GAP) // (self._tile + GAP)))
        side = min((width - GAP * (cols - 1)) / cols, self._tile * 2.0)
        return cols, side

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if not self._images:
            return 0
        cols, side = self._layout(width)
        rows = -(-len(self._images) // cols)
        return int(rows * side + (rows - 1) * GAP) + 1

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(8 * (self._tile + GAP), self.heightForWidth(8 * (self._tile + GAP)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._tile, 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        cols, side = self._layout(self.width())
        p.setPen(QPen(QColor(170, 176, 183), 1))
        for i, image in enumerate(self._images):
            r, c = divmod(i, cols)
            rect = QRectF(c * (side + GAP), r * (side + GAP), side, side)
            p.drawImage(rect, image)        # square cells, no smoothing: each value stays a value
            p.drawRect(rect)
        p.end()


class FeatureMapsView(QWidget):
    """The first convolution's kernels, then one grid of feature maps per convolution."""

    def __init__(self, tile: int = 56, kernel_tile: int = 36, with_kernels: bool = True, compact: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._tile = tile
        self._compact = compact       # short captions, for a narrow column beside the pad
        self.kernels_caption = QLabel("")
        self.kernels_caption.setWordWrap(True)
        self.kernels = TileGrid(kernel_tile)
        self.message = QLabel("")
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.layers: list[tuple[QLabel, TileGrid]] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._layout.addWidget(self.message)
        self._layout.addWidget(self.kernels_caption)
        self._layout.addWidget(self.kernels)
        self._layout.addStretch(1)
        self.kernels_caption.setVisible(with_kernels)
        self.kernels.setVisible(with_kernels)
        self._with_kernels = with_kernels

    def show_message(self, text: str) -> None:
        """Nothing to draw (no CNN): say why, and empty the grids."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self.set_kernels(None)
            self.set_maps([])

    def set_kernels(self, kernels: np.ndarray | None) -> None:
        self.kernels.set_arrays(kernels)
        show = self._with_kernels and kernels is not None
        self.kernels.setVisible(show)
        self.kernels_caption.setVisible(show)
        if kernels is not None:
            n, h, w = np.shape(kernels)
            self.kernels_caption.setText(f"<b>The first layer's {n} kernels</b> ({h}×{w}, learned; "
                                         f"blue &gt; 0, orange &lt; 0, up to ±{self.kernels.vmax:.2f})")

    def set_maps(self, layers: list[LayerMaps]) -> None:
        """One grid per convolution (made once, then updated in place: drawing on the pad stays smooth)."""
        while len(self.layers) > len(layers):
            caption, grid = self.layers.pop()
            caption.deleteLater()
            grid.deleteLater()
        while len(self.layers) < len(layers):
            caption, grid = QLabel(""), TileGrid(self._tile)
            caption.setWordWrap(True)
            at = self._layout.count() - 1      # before the stretch
            self._layout.insertWidget(at, caption)
            self._layout.insertWidget(at + 1, grid)
            self.layers.append((caption, grid))
        for (caption, grid), layer in zip(self.layers, layers):
            grid.set_arrays(layer.maps)
            c, h, w = layer.maps.shape
            if self._compact:
                caption.setText(f"<b>conv {layer.number}</b>: {c} maps {h}×{w}")
                caption.setToolTip(f"{layer.label}: each convolution's output before its ReLU; "
                                   f"blue > 0, orange < 0, up to ±{grid.vmax:.2f}")
            else:
                caption.setText(f"<b>{layer.label.capitalize()}</b>: {c} feature maps of {h}×{w} "
                                f"(before ReLU, up to ±{grid.vmax:.2f})")

    def maps(self) -> list[np.ndarray]:
        """What each convolution's grid shows now (tests)."""
        return [grid.arrays() for _caption, grid in self.layers]


__all__ = ["TileGrid", "FeatureMapsView"]
