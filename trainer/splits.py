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

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.x_train), len(self.x_val), len(self.x_test)


__all__ = ["Progress", "Splits"]
