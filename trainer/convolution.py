"""The convolution lesson's numbers: kernels, one convolution step by step, ReLU and max-pooling.

NumPy only, so the lesson's window never waits for torch; tests/trainer/test_convolution.py checks
every figure here against torch.nn.functional (conv2d, relu, max_pool2d) on the same numbers.

Like PyTorch's conv2d (and every deep-learning library), `feature_map` does not flip the kernel:
output[r, c] = sum over i, j of padded[r + i, c + j] * kernel[i, j] (cross-correlation). A
learned kernel makes the flip meaningless, and the lesson's stepping then reads as it is drawn:
the kernel laid over the patch, cell on cell.

    kernel = KERNELS["Vertical edges"]
    fmap = feature_map(image, kernel, padding=1)       # (28, 28) for a 28x28 image and a 3x3 kernel
    s = step(image, kernel, padding=1, position=400)   # the patch, the products and their sum
    assert s.total == fmap[s.row, s.col]
    pooled = max_pool(relu(fmap))                      # (14, 14)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SIZES = (3, 5)          # the kernel sizes the lesson offers
POOL = 2                # max-pooling's window and stride

_BLUR3 = np.full((3, 3), 1.0 / 9.0)
_GAUSS5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0

# The lesson's ready-made kernels, by name (3x3 unless the name says 5x5). The edge kernels answer
# where brightness changes: "Horizontal edges" is large where ink starts or stops going down the image.
KERNELS: dict[str, np.ndarray] = {
    "Identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "Blur (box)": _BLUR3,
    "Blur 5x5 (Gaussian)": _GAUSS5,
    "Sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "Horizontal edges": np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], dtype=np.float64),
    "Vertical edges": np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=np.float64),
    "Sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "Sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "Outline": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
}


class KernelError(ValueError):
    """A kernel cell that is not a number; the message names the cell."""


def parse_kernel(cells: Sequence[Sequence[str]]) -> np.ndarray:
    """The typed numbers as a square float kernel (3x3 or 5x5). KernelError names the first bad cell.

    Each cell goes through float() and nothing else: text typed into the lesson is never evaluated.
    """
    n = len(cells)
    if n not in SIZES or any(len(row) != n for row in cells):
        raise KernelError(f"kernel: must be {' or '.join(f'{s}x{s}' for s in SIZES)}, "
                          f"got {n} rows of {', '.join(str(len(r)) for r in cells)}")
    out = np.empty((n, n), dtype=np.float64)
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            where = f"kernel row {r + 1}, column {c + 1}"
            stripped = str(text).strip()
            if not stripped:
                raise KernelError(f"{where}: is empty; type a number such as 0 or -1.5")
            try:
                value = float(stripped)
            except ValueError:
                raise KernelError(f"{where}: {stripped[:20]!r} is not a number") from None
            if not np.isfinite(value):
                raise KernelError(f"{where}: must be a finite number, got {stripped[:20]!r}")
            out[r, c] = value
    return out


def same_padding(kernel: np.ndarray) -> int:
    """The zero border that keeps a stride-1 map the size of its input: (k - 1) / 2."""
    return (int(np.shape(kernel)[0]) - 1) // 2


def padded(image: np.ndarray, padding: int) -> np.ndarray:
    """The image with `padding` rows and columns of zeros around it, as conv2d sees it."""
    return np.pad(np.asarray(image, dtype=np.float64), int(padding))


def out_size(image: np.ndarray, kernel: np.ndarray, padding: int) -> tuple[int, int]:
    """The feature map's (rows, columns) at stride 1: input + 2 * padding - kernel + 1."""
    k = int(np.shape(kernel)[0])
    h, w = np.shape(image)
    return h + 2 * padding - k + 1, w + 2 * padding - k + 1


def feature_map(image: np.ndarray, kernel: np.ndarray, padding: int = 0) -> np.ndarray:
    """The kernel slid over the (zero-padded) image at stride 1: one sum of products per position."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1]:
        raise ValueError(f"kernel: must be square, got shape {k.shape}")
    src = padded(image, padding)
    if src.shape[0] < k.shape[0] or src.shape[1] < k.shape[1]:
        raise ValueError(f"kernel: {k.shape[0]}x{k.shape[1]} is larger than the padded image {src.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(src, k.shape)   # (rows, cols, k, k), no copy
    return np.einsum("rcij,ij->rc", windows, k)


@dataclass(frozen=True)
class Step:
    """The kernel at one position: the patch under it, the products cell by cell and their sum."""
    position: int          # 0 .. rows * cols - 1, row by row
    row: int               # the output cell (and the patch's top-left in the padded image)
    col: int
    patch: np.ndarray      # (k, k) from the padded image
    products: np.ndarray   # patch * kernel
    total: float           # products.sum(): what lands in feature_map[row, col]


def step(image: np.ndarray, kernel: np.ndarray, padding: int, position: int) -> Step:
    """The `position`-th placement of the kernel (row by row, as the lesson steps it)."""
    k = np.asarray(kernel, dtype=np.float64)
    rows, cols = out_size(image, k, padding)
    if not 0 <= position < rows * cols:
        raise ValueError(f"position: must be 0 .. {rows * cols - 1}, got {position}")
    r, c = divmod(int(position), cols)
    patch = padded(image, padding)[r:r + k.shape[0], c:c + k.shape[1]].copy()
    products = patch * k
    return Step(int(position), r, c, patch, products, float(products.sum()))


def relu(fmap: np.ndarray) -> np.ndarray:
    """max(0, x) cell by cell: the negative answers are dropped."""
    return np.maximum(np.asarray(fmap, dtype=np.float64), 0.0)


def max_pool(fmap: np.ndarray, size: int = POOL) -> np.ndarray:
    """The largest value of each size x size block (stride = size; a last odd row or column is dropped,
    as torch.nn.functional.max_pool2d does)."""
    a = np.asarray(fmap, dtype=np.float64)
    h, w = a.shape[0] // size, a.shape[1] // size
    return a[:h * size, :w * size].reshape(h, size, w, size).max(axis=(1, 3))


def mnist_test_digits(root: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test digits, uint8 (N, 28, 28) with ink = 255, and their labels.

    Never downloads (opening a lesson must not start one): trainer.mnist.DataError names the folder.
    """
    from .mnist import load_arrays, resolve_root
    _tx, _ty, images, labels = load_arrays(resolve_root(root), allow_download=False)
    return images, labels.astype(np.int64)


def unit_image(pixels: np.ndarray) -> np.ndarray:
    """uint8 (0-255) or float pixels as float64 in [0, 1], the numbers the lesson shows (ink = 1)."""
    arr = np.asarray(pixels)
    out = arr.astype(np.float64) / 255.0 if np.issubdtype(arr.dtype, np.integer) else arr.astype(np.float64)
    return np.clip(out, 0.0, 1.0)


__all__ = ["KERNELS", "SIZES", "POOL", "KernelError", "Step", "parse_kernel", "same_padding", "padded",
           "out_size", "feature_map", "step", "relu", "max_pool", "mnist_test_digits",
           "unit_image"]
