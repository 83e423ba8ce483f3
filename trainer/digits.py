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

Limit: the brush is fixed in canvas pixels, so a digit drawn small gets bold
strokes once scaled up (at 80 px tall, 6.5 MNIST px). Digits 100 px tall and
more classified like the same digits drawn large in the tests; smaller ones
may not, so the pad should invite drawing large.
"""
from __future__ import annotations

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
    first = next((m for m in found.model.modules() if isinstance(m, nn.Linear)), None)
    if first is None or first.in_features != SIZE * SIZE:
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
