"""What loading any dataset gives: `Splits`, and the `Progress` callback the loaders report through.

Its own module so that data.py (every dataset) and mnist.py (MNIST's files) both use it without
importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# progress(stage, done, total): stage is "download" (bytes), "extract" or "read" (files).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Splits:
    """Features are float32 (N, D); labels int64 (N,) for classes, float32 (N,) for regression."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    task: str
    n_classes: int
    input_dim: int
    norm: tuple[float, float] = (0.0, 1.0)   # (mean, std) the inputs were normalised with
    note: str = ""                           # e.g. "val = train" for the 4-point truth tables
    # Tabular data (trainer/tabular/): what the columns and classes are called, and how the
    # numbers were standardised (from the training split only); None = as in the file.
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()        # class i is class_names[i]
    feature_scale: tuple[np.ndarray, np.ndarray] | None = None   # per-feature (mean, std), float64
    target_scale: tuple[float, float] | None = None             # regression target (mean, std)
    test_rows: np.ndarray | None = None      # where each test row came from: the file's line, or the
                                             # dataset's row number (0-based) for scikit-learn's sets

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.x_train), len(self.x_val), len(self.x_test)

    def unscale_x(self, x: np.ndarray) -> np.ndarray:
        """Standardised inputs (N, D) back in the file's units (float64)."""
        return _unscale(x, self.feature_scale)

    def unscale_y(self, y: np.ndarray) -> np.ndarray:
        """Standardised regression targets or predictions back in the file's units (float64)."""
        return _unscale(y, self.target_scale)


def _unscale(values: np.ndarray, scale) -> np.ndarray:
    """values * std + mean for a (mean, std) scale; unchanged (as float64) without one."""
    values = np.asarray(values, dtype=np.float64)
    if scale is None:
        return values
    mean, std = scale
    return values * std + mean


__all__ = ["Progress", "Splits"]
