"""Test metrics on numpy arrays: accuracy, confusion matrix and what it tells; a regression's RMSE and R^2."""
from __future__ import annotations

import math

import numpy as np


def accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    """Percent of predictions equal to the truth (0.0 for no samples)."""
    if len(true) == 0:
        return 0.0
    return float((np.asarray(pred) == np.asarray(true)).mean() * 100.0)


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """cm[t, p] counts samples of true class t predicted as p."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(true, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Percent correct for each true class; NaN for a class with no samples."""
    totals = cm.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals * 100.0, np.nan)


def most_confused(cm: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal cells as (true, predicted, count), largest first."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:k]
    pairs = [(int(i), int(j), int(off[i, j])) for i, j in zip(*np.unravel_index(order, cm.shape))]
    return [p for p in pairs if p[2] > 0]


def regression(pred: np.ndarray, true: np.ndarray, scale: tuple[float, float] | None = None) -> dict:
    """Test figures of a regression in the target's own units: predictions, actual values, RMSE and R^2.

    `scale` = (mean, std) the targets were standardised with (trainer.tabular); then test_mse is given
    in the file's units too. With no test rows, only the empty arrays.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    true = np.asarray(true, dtype=np.float64).reshape(-1)
    if scale is not None:
        pred, true = pred * scale[1] + scale[0], true * scale[1] + scale[0]
    out: dict = {"predictions": pred, "actual": true}
    if len(true) == 0:
        return out
    err = pred - true
    mse = float(np.mean(err ** 2))
    spread = float(np.sum((true - np.mean(true)) ** 2))
    out["test_rmse"] = math.sqrt(mse) if math.isfinite(mse) else math.nan
    # R^2: 1 - residual / total sum of squares; 1 is perfect, 0 predicts no better than the mean.
    out["test_r2"] = 1.0 - float(np.sum(err ** 2)) / spread if spread > 0 else math.nan
    if scale is not None:
        out["test_mse"] = mse
    return out
