"""One colour scale for data, neurons and weights, as TensorFlow Playground uses.

Class 0 is orange and class 1 blue; a value v in [-1, 1] (a neuron's output, a
weight) runs orange (-1) -> light grey (0) -> blue (+1), so "negative" and
"class 0" look alike everywhere, and a learner reads one legend for the whole app.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

ORANGE = (245, 147, 34)      # TensorFlow Playground's #f59322
BLUE = (8, 119, 189)         # #0877bd
NEUTRAL = (232, 234, 235)    # #e8eaeb, the middle of the diverging scale
WHITE = (255, 255, 255)
INK = (40, 40, 40)           # outlines and text on light backgrounds
LABEL = "#282828"            # INK as a CSS colour, for axis labels

# Classes 2.. continue with hues far from orange and blue (Tableau-like, muted to sit with them).
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    ORANGE, BLUE, (44, 160, 44), (148, 103, 189), (214, 39, 40),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)

# A run's branches on the curves (issue 16), in the order they are made: hues away from the run's own
# blue and ink and the grey of a mistake's normal run, dark enough on white for a thin dashed line.
BRANCH_COLORS: tuple[tuple[int, int, int], ...] = (
    (230, 110, 0), (44, 150, 44), (148, 103, 189), (200, 40, 40),
    (0, 150, 165), (200, 80, 160), (140, 86, 75), (140, 140, 0),
)


def css(rgb: tuple[int, int, int]) -> str:
    """An RGB colour as CSS (#rrggbb), for the rich text of legends."""
    return "#%02x%02x%02x" % rgb


def class_color(cls: int) -> tuple[int, int, int]:
    """The RGB colour of class `cls` (wraps past ten classes)."""
    return CLASS_COLORS[int(cls) % len(CLASS_COLORS)]


def class_qcolor(cls: int, alpha: int = 255) -> QColor:
    r, g, b = class_color(cls)
    return QColor(r, g, b, alpha)


def class_palette(n: int) -> np.ndarray:
    """(n, 3) float array of class colours in 0..255."""
    return np.array([class_color(i) for i in range(n)], dtype=np.float32)


def diverging_colormap() -> pg.ColorMap:
    """orange (-1) -> neutral (0) -> blue (+1) as a pyqtgraph ColorMap over [0, 1]."""
    return pg.ColorMap(pos=[0.0, 0.5, 1.0], color=[ORANGE, NEUTRAL, BLUE], name="playground")


_LUT = diverging_colormap().getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
# The same table with alpha 255, one uint32 per colour: one gather writes a whole RGBA pixel.
_LUT32 = np.ascontiguousarray(np.concatenate([_LUT, np.full((256, 1), 255, np.uint8)], axis=1)).view(np.uint32).ravel()


def diverging_rgba(values: np.ndarray, vmax: float = 1.0) -> np.ndarray:
    """Values in [-vmax, vmax] -> (..., 4) uint8 RGBA on the diverging scale (clipped)."""
    vmax = float(vmax) if vmax and np.isfinite(vmax) and vmax > 0 else 1.0
    # In place, one temporary: 100 neuron maps of 40x40 take 0.8 ms instead of 4.7 (same bytes out).
    t = np.asarray(np.asarray(values, dtype=np.float32) / vmax)   # 0-d input: an array, not a scalar
    np.nan_to_num(t, copy=False)
    np.clip(t, -1.0, 1.0, out=t)
    t += 1.0
    t *= 127.5
    np.rint(t, out=t)
    return _LUT32[t.astype(np.uint8).ravel()].view(np.uint8).reshape(t.shape + (4,))


def probability_rgba(probs: np.ndarray, strength: float = 0.62, discrete: bool = False) -> np.ndarray:
    """(H, W, C) class probabilities -> (H, W, 4) uint8 heatmap.

    Each pixel mixes the class colours by probability, then fades toward white as
    the model gets less sure: full mix at probability 1, white at 1/C (a coin toss).
    `strength` < 1 keeps the heatmap lighter than the data points drawn on top of it.
    `discrete` paints the winning class at full strength (TF Playground's "discretize").
    """
    p = np.nan_to_num(np.asarray(probs, dtype=np.float32))
    if p.ndim != 3 or p.shape[2] < 1:
        raise ValueError(f"probabilities must be (H, W, C), got shape {p.shape}")
    n = p.shape[2]
    if n == 1:  # a single sigmoid column: make it the two-class form
        p = np.concatenate([1.0 - p, p], axis=2)
        n = 2
    palette = class_palette(n)
    white = np.array(WHITE, dtype=np.float32)
    if discrete:
        mixed = palette[p.argmax(axis=2)]
        conf = np.ones(p.shape[:2], dtype=np.float32)
    else:
        mixed = p @ palette
        # The largest class probability, class by class: numpy's max over a short last axis is ~20x slower.
        top = p[:, :, 0].copy()
        for c in range(1, n):
            np.maximum(top, p[:, :, c], out=top)
        conf = np.clip((top - 1.0 / n) / (1.0 - 1.0 / n), 0.0, 1.0)
        conf = np.sqrt(conf)  # perceived strength: let "fairly sure" already read as coloured
    k = (strength * conf)[..., None]
    rgb = white + k * (mixed - white)
    out = np.empty(p.shape[:2] + (4,), dtype=np.uint8)
    out[..., :3] = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    out[..., 3] = 255
    return out


def style_axes(plot: pg.PlotItem, bottom: str, left: str) -> None:
    """Dark ticks and labels on a white plot, no SI-prefix rescaling ("loss (x0.001)") of the numbers."""
    for axis, label in (("left", left), ("bottom", bottom)):
        item = plot.getAxis(axis)
        item.setTextPen(INK)
        item.setPen(pg.mkPen(150, 150, 150))  # setPen recolours the label too: set the label after it
        item.enableAutoSIPrefix(False)
        plot.setLabel(axis, label, color=LABEL)
