"""`pad`: a digit drawn on the 280x280 pad -> trainer.digits.to_mnist -> predict, as the pad does per stroke.

p50_ms / p95_ms / to_mnist_p50_ms are headless: to_mnist + classify called directly. With a window,
visible_p50_ms / visible_p95_ms time what a user waits for, on the real pad with a trained model,
from a stroke's mouse release to the probability chart painted (bench/pad_visible.py, 100 strokes).

The headless model is an UNTRAINED network of the mnist-mlp architecture (784-256-128-10, dropout 0.2,
235,146 parameters) with the full-MNIST normalisation: the time of a prediction does not depend
on what the weights learned, and this keeps the benchmark free of a training run.
"""
from __future__ import annotations

import time

import numpy as np

from .common import emit, percentile, r

SIDE = 280
VISIBLE_STROKES = 100
# A "7" with a crossbar, drawn about 200 px tall as a user draws on the pad (canvas pixels, x right, y down).
STROKES = (((70, 45), (215, 45), (120, 245)), ((100, 150), (180, 150)))


def drawn_digit(brush_px: float) -> np.ndarray:
    """uint8 (280, 280): white strokes of the pad's brush on black, with antialiased edges."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) + 0.5
    dist = np.full((SIDE, SIDE), np.inf, dtype=np.float32)
    for stroke in STROKES:
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / float(dx * dx + dy * dy), 0.0, 1.0)
            dist = np.minimum(dist, np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy)))
    ink = np.clip(brush_px / 2 + 0.5 - dist, 0.0, 1.0)
    return np.rint(ink * 255).astype(np.uint8)


def run(window=None, quick: bool = False) -> None:
    """Headless figures always; the visible ones when `window` (a shown MainWindow) is given."""
    import torch

    from trainer import digits
    from trainer.mnist import MEAN, STD
    from trainer.models import build_model
    from trainer.presets import load_preset
    torch.manual_seed(0)
    model = build_model(load_preset("mnist-mlp-full"))
    source = (model, (MEAN, STD))
    canvas = drawn_digit(digits.BRUSH_PX)
    n = 100 if quick else 400
    for _ in range(10):                      # first calls pay for lazy initialisation
        digits.predict(source, canvas)
    prep, total = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        image = digits.to_mnist(canvas)
        t1 = time.perf_counter()
        probs = digits.classify(source, image)
        t2 = time.perf_counter()
        prep.append((t1 - t0) * 1000)
        total.append((t2 - t0) * 1000)
    assert probs.shape == (10,) and abs(float(probs.sum()) - 1) < 1e-4
    record = {"bench": "pad", "p50_ms": r(percentile(total, 50)), "p95_ms": r(percentile(total, 95)),
              "to_mnist_p50_ms": r(percentile(prep, 50)), "calls": n,
              "model": "untrained mnist-mlp architecture (784-256-128-10, 235,146 params)",
              "visible_p50_ms": None, "visible_p95_ms": None, "strokes": 0, "visible_model_test_accuracy": None}
    if window is not None:
        from . import pad_visible
        from .common import note
        times, accuracy = pad_visible.visible_ms(window, VISIBLE_STROKES)
        note(f"pad visible: p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
             f"max {max(times):.1f} ms over {len(times)} strokes")
        record.update({"visible_p50_ms": r(percentile(times, 50)), "visible_p95_ms": r(percentile(times, 95)),
                       "strokes": len(times), "visible_model_test_accuracy": round(accuracy, 2)})
    emit(record)
