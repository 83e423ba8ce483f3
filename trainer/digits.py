"""A digit drawn on the pad -> the 28x28 image an MNIST model expects, and the model's answer.

MNIST's own recipe (LeCun et al.): the ink's bounding box is scaled so that its
longer side is 20 px, aspect ratio kept, with area averaging; the result sits in
a 28x28 field with its centre of mass at the centre. Real MNIST digits have
their centre of mass at (14.0, 14.0) in pixel-index coordinates (row, column;
mean over the training set, spread 0.3 px), so that is where ours goes.

`to_mnist` does crop, scale, paste and centring as one exact area-average
resampling (a 28 x h and a 28 x w weight matrix), so the centring is sub-pixel
and nothing is rounded twice: the same digit drawn small in a corner and large
in the middle gives nearly the same 28x28 image.

Using a model::

    probs = predict(checkpoint, canvas)            # trainer.checkpoint.Checkpoint
    probs = predict((model, (mean, std)), canvas)  # a model just trained, not saved
    image = to_mnist(canvas)                       # the 28x28 preview ...
    probs = classify(checkpoint, image)            # ... and its prediction, without preparing twice

An empty canvas has no prediction: `to_mnist` and `predict` return None. Input
that is not a 2-D image, or a model that does not read 784 pixels into 10
classes, raises ValueError with a message starting "canvas:" or "model:".

The pad's brush is fixed in canvas pixels, so a digit drawn small would get bold
strokes once scaled up (at 80 px tall, 6.5 MNIST px, and a small 1 or 3 read as
8). So the pad hands its strokes to `render_strokes`, which re-draws them with a
brush proportional to the drawing (`stroke_brush`): STROKE_PX wide in 28x28 at
any size. `to_mnist` on a raster is for images that have no strokes.

`unsure` says when the pad should answer "not sure" rather than name a digit:
too little ink (MIN_SPAN_PX) or a top probability below UNSURE_BELOW; how both
were chosen is written at the constants.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# torch is imported inside the functions that classify: the drawing pad imports this module
# for its constants while the window is being built, before torch has loaded.

CANVAS_PX = 280       # the drawing pad's side
# Brush diameter on a 280x280 pad. A digit drawn about 200 px tall (the natural size here) is scaled
# by 20/200, so a 26 px stroke lands at 2.6 MNIST pixels; 170-240 px tall gives 3.1-2.2 px. Real MNIST
# strokes are 2.5-3 px wide (ink / stroke length: a "1" holds ~61 px of ink over a 20 px stroke), and
# digits drawn 200 px tall with this brush carry about the ink of the MNIST digits of their class.
BRUSH_PX = 26
BOX_PX = 20           # the longer side of the ink's bounding box after scaling
SIZE = 28             # MNIST's side
CENTRE = 14.0         # where MNIST's centre of mass sits, in pixel-index coordinates
INK_LEVEL = 0.5 / 255  # a pixel above this counts as ink (uint8: any value > 0)
# Stroke width in the 28x28 image, whatever the drawing's size: MNIST's strokes are 2.5-3 px wide.
STROKE_PX = 2.6
# "Too little ink": the ink's bounding box on the pad spans fewer than this many canvas pixels (its
# longer side). The pad's brush alone makes a 26 px dot; 48 px is under 5 MNIST pixels at the pad's
# 10:1 scale, a quarter of the 20 px box a digit fills: a dot, a tick or a short dash, never a digit.
MIN_SPAN_PX = 48
# "Not sure": the model's top probability is below this. Chosen on the validation split (never the
# test set) of the mnist-mlp lesson (784-256-128-10, the seed's subset, 5 epochs, standardised
# inputs; val accuracy 93.6%, 1000 digits): at 0.7 it keeps 90.6% of the validation digits, 97.2% of
# them right, while on the 9.4% below it the model was right only 58% of the time (0.6: 93.6% kept,
# 96.3% right; 0.8: 86.4% kept, 98.2% right). tests/trainer/test_digits.py re-checks it on validation.
UNSURE_BELOW = 0.7


def to_mnist(canvas: np.ndarray) -> np.ndarray | None:
    """float32 (28, 28) in [0, 1], white ink on black, MNIST-normalised; None when nothing is drawn.

    canvas: a 2-D array of any size, ink > 0 on a 0 background; uint8 (0-255) or float (0-1).
    """
    img = _unit(canvas)
    ink = img > INK_LEVEL
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    crop = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = BOX_PX / max(h, w)
    mass_rows, mass_cols = crop.sum(axis=1), crop.sum(axis=0)
    mass = float(mass_rows.sum())
    # centre of mass in continuous coordinates, pixel j spanning [j, j + 1)
    cy = float(mass_rows @ (np.arange(h) + 0.5)) / mass
    cx = float(mass_cols @ (np.arange(w) + 0.5)) / mass
    out = _area_weights(h, scale, cy) @ crop @ _area_weights(w, scale, cx).T
    peak = float(out.max())
    if peak <= 0:
        return None
    # MNIST's strokes reach full intensity; a thin stroke averaged down is brought back up to 1
    out *= 1.0 / peak
    return np.clip(out, 0.0, 1.0, out=out).astype(np.float32, copy=False)


def stroke_brush(extent: float) -> float:
    """Brush diameter, in the strokes' own units, that lands at STROKE_PX in the 28x28 image.

    `to_mnist` scales the ink's box (the strokes' extent plus one brush) to BOX_PX, so a brush b
    becomes b * BOX_PX / (extent + b); solving for STROKE_PX gives the line below. A drawing 174 px
    across gets the pad's own 26 px brush; one 60 px across gets 9 px.
    """
    return max(STROKE_PX * float(extent) / (BOX_PX - STROKE_PX), 1.0)


def render_strokes(strokes: Sequence[Sequence[tuple[float, float]]]) -> np.ndarray | None:
    """The strokes (lists of (x, y) points) re-drawn with `stroke_brush` for their size; None when empty.

    The pad shows the strokes with its fixed brush, which scaled down makes a small digit bold (a 1 or
    a 3 drawn small read as 8). The model gets them re-drawn here instead, with a brush proportional to
    the drawing, so its strokes are STROKE_PX wide in 28x28 whatever size the digit was drawn. The result
    is a float image just covering the drawing (round caps and joins, anti-aliased), for `to_mnist`.
    """
    lines = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes if len(s)]
    if not lines:
        return None
    points = np.concatenate(lines)
    if not np.isfinite(points).all():
        raise ValueError("strokes: hold NaN or infinite coordinates")
    low, high = points.min(axis=0), points.max(axis=0)
    brush = stroke_brush(float((high - low).max()))
    r = brush / 2
    origin = low - r - 1.0
    w, h = (np.ceil(high - origin + r + 1.0)).astype(int)
    ink = np.zeros((h, w), np.float32)
    step = max(r / 2, 0.5)   # points closer than this add nothing at this brush: skip them (speed)
    for line in lines:
        line = line - origin
        if len(line) > 2:
            kept = [0]
            for i in range(1, len(line) - 1):
                if np.hypot(*(line[i] - line[kept[-1]])) >= step:
                    kept.append(i)
            line = line[kept + [len(line) - 1]]
        segments = zip(line[:-1], line[1:]) if len(line) > 1 else [(line[0], line[0])]
        for a, b in segments:
            # only the window around the segment: a stroke of hundreds of points stays ~ms
            x0, y0 = np.floor(np.minimum(a, b) - r - 1).astype(int)
            x1, y1 = np.ceil(np.maximum(a, b) + r + 1).astype(int)
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
            d = b - a
            t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(float(d @ d), 1e-12), 0.0, 1.0)
            dist = np.hypot(xx - a[0] - t * d[0], yy - a[1] - t * d[1])
            cover = np.clip(r + 0.5 - dist, 0.0, 1.0)   # 1 inside, a one-pixel anti-aliased edge
            np.maximum(ink[y0:y1, x0:x1], cover, out=ink[y0:y1, x0:x1])
    return ink


def ink_span(canvas: np.ndarray) -> int:
    """The longer side, in canvas pixels, of the ink's bounding box (0 for an empty canvas)."""
    ink = _unit(canvas) > INK_LEVEL
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return 0
    return int(max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1))


def unsure(probs: np.ndarray | None, span: int) -> str | None:
    """Why the pad should not name a digit, or None: too little ink (span < MIN_SPAN_PX canvas pixels),
    or the model's top probability below UNSURE_BELOW (chosen on validation data, see above)."""
    if span < MIN_SPAN_PX:
        return "too little ink to be a digit: draw one, large"
    if probs is not None and float(np.max(probs)) < UNSURE_BELOW:
        return f"not sure: the best guess has only {float(np.max(probs)) * 100:.0f}%"
    return None


def _unit(canvas: Any) -> np.ndarray:
    """The canvas as float32 in [0, 1]; ValueError for anything that is not a 2-D image."""
    arr = np.asarray(canvas)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"canvas: expected a 2-D image, got an array of shape {arr.shape}")
    if arr.dtype == np.bool_:
        return arr.astype(np.float32)
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.float32) * np.float32(1 / 255)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"canvas: expected numbers, got {arr.dtype}")
    img = arr.astype(np.float32)
    if not np.isfinite(img).all():
        raise ValueError("canvas: holds NaN or infinite values")
    return np.clip(img, 0.0, 1.0, out=img)


def _area_weights(n: int, scale: float, centre: float) -> np.ndarray:
    """(28, n): output pixel i = the mean of the input over the span it covers (exact box filter).

    Input coordinate x maps to output u = (x - centre) * scale + CENTRE + 0.5, so the centre
    of mass lands on pixel CENTRE's middle; output pixel i covers input [a_i, a_i + 1/scale).
    """
    starts = centre + (np.arange(SIZE) - (CENTRE + 0.5)) / scale
    ends = starts + 1.0 / scale
    pixels = np.arange(n)
    overlap = np.minimum(ends[:, None], pixels + 1.0) - np.maximum(starts[:, None], pixels)
    return (np.clip(overlap, 0.0, None) * scale).astype(np.float32)


# -- classifying ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DigitModel:
    """A model that reads 784 MNIST pixels and the (mean, std) its inputs were normalised with."""
    model: Any  # torch.nn.Module
    norm: tuple[float, float] = (0.0, 1.0)


def digit_model(source: Any) -> DigitModel:
    """A DigitModel from a Checkpoint (or anything with .model and .norm) or a (model, (mean, std)) pair.

    ValueError when the model does not read 28x28 images into 10 classes.
    """
    from torch import nn
    if isinstance(source, DigitModel):
        found = source
    elif hasattr(source, "model") and hasattr(source, "norm"):
        found = DigitModel(source.model, (float(source.norm[0]), float(source.norm[1])))
    elif isinstance(source, tuple) and len(source) == 2 and isinstance(source[0], nn.Module):
        mean, std = source[1]
        found = DigitModel(source[0], (float(mean), float(std)))
    else:
        raise ValueError("model: expected a checkpoint or a (model, (mean, std)) pair, "
                         f"got {type(source).__name__}")
    # An MLP's first Linear reads the 784 pixels; a CNN starts by viewing them as a 1x28x28 image
    # (models.build_model's Unflatten).
    first = next((m for m in found.model.modules() if isinstance(m, (nn.Linear, nn.Unflatten))), None)
    if isinstance(first, nn.Unflatten):
        if tuple(first.unflattened_size) != (1, SIZE, SIZE):
            raise ValueError(f"model: this model reads {first.unflattened_size} images, not a 28x28 digit")
    elif first is None or first.in_features != SIZE * SIZE:
        takes = "no inputs" if first is None else \
            f"{first.in_features} input{'' if first.in_features == 1 else 's'}"
        raise ValueError(f"model: this model takes {takes}, not a 28x28 digit; train or load an MNIST model")
    if not found.norm[1] > 0:
        raise ValueError(f"model: the normalisation's std must be > 0, got {found.norm[1]}")
    return found


def classify(source: Any, image: np.ndarray) -> np.ndarray:
    """Probabilities (10,) for a 28x28 image in [0, 1] from `to_mnist`, normalised as the model was trained."""
    import torch
    found = digit_model(source)
    model = found.model
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.size != SIZE * SIZE:
        raise ValueError(f"image: expected 28x28 pixels from to_mnist, got shape {pixels.shape}")
    mean, std = found.norm
    x = torch.from_numpy((pixels.reshape(1, SIZE * SIZE) - mean) / std)
    was_training = model.training
    threads = torch.get_num_threads()
    model.eval()  # dropout off for a prediction; the caller's mode is restored below
    # One sample needs no intra-op threads; on a busy 2-core machine two OpenMP threads spinning for each
    # other took p50 from 0.5 ms to 40 ms. (With torch's OpenMP backend the setting is per calling thread.)
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            logits = model(x.to(device=device, dtype=dtype))
    finally:
        torch.set_num_threads(threads)
        model.train(was_training)
    if logits.shape != (1, 10):
        raise ValueError(f"model: gives outputs of shape {tuple(logits.shape[1:])}, not 10 digit classes")
    return torch.softmax(logits.float(), dim=1)[0].cpu().numpy()


def predict(source: Any, canvas: np.ndarray) -> np.ndarray | None:
    """Probabilities (10,) for a drawn canvas; None for an empty one. See `digit_model` for `source`."""
    image = to_mnist(canvas)
    return None if image is None else classify(source, image)
