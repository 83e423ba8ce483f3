"""Every dataset the app trains on, as numpy arrays split into train / val / test.

The seed's generators (linear, AND/OR/XOR, the 3-arm spiral) are written as the
seed writes them, so the same seed gives the same points. The playground shapes
(circles, moons, blobs, two-spirals) follow the same shuffle-then-split recipe.
MNIST lives in `trainer.mnist`; `Splits` in `trainer.splits` (both modules use it); tables of numbers
(scikit-learn's real datasets, the user's CSV files) in `trainer.tabular`.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .config import DataSpec, input_dim, n_classes, task_of
from .mnist import load_mnist
from .splits import Progress, Splits
from .tabular.catalog import TABULAR

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "xor": [0, 1, 1, 0],
}


def load(spec: DataSpec, progress: Progress | None = None, allow_download: bool = True) -> Splits:
    """The dataset a spec names, split; MNIST may download or extract (reported through progress)."""
    if spec.name == "mnist":
        return load_mnist(spec, progress=progress, allow_download=allow_download)
    if spec.name in TABULAR:   # scikit-learn's sets and the user's files
        from .tabular.datasets import load_tabular
        return load_tabular(spec)
    if spec.name == "linear":
        x, y = linear(spec.seed, spec.n_samples, spec.noise)
        return _with_extra(spec, _split_or_all(spec, x[:, None], y))
    if spec.name in GATES:
        x, y = gate(spec.name)
        # Four points cannot be split: the seed trains and tests on the same table.
        return _with_extra(spec, Splits(x, y, x, y, x, y, "binary", 2, 2, note="val and test = the truth table"))
    generator = {"spiral": spiral, "circles": circles, "moons": moons, "blobs": blobs,
                 "two-spirals": two_spirals}[spec.name]
    x, y, rng = generator(spec)
    return _with_extra(spec, _shuffle_split(spec, x, y, rng))


def linear(seed: int = 42, n: int = 50, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The seed's y = 2x + 1 + noise on x in [0, 5], drawn with torch's generator as the seed does."""
    import torch
    gen = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 5, n)
    y = 2 * x + 1 + torch.randn(n, generator=gen) * noise
    return x.numpy().astype(np.float32), y.numpy().astype(np.float32)


def gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    return x, np.array(GATES[name], dtype=np.int64)


def spiral(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.random.RandomState]:
    """The seed's 3-arm spiral, line for line (RandomState(seed) == np.random.seed(seed))."""
    rng = np.random.RandomState(spec.seed)
    n_per_class = spec.n_samples // spec.classes
    n_classes_ = spec.classes
    N = n_per_class * n_classes_
    X_np = np.zeros((2, N))
    y_np = np.zeros(N, dtype=int)
    for k in range(n_classes_):
        s, e = k * n_per_class, (k + 1) * n_per_class
        r = np.linspace(0.2, 1.0, n_per_class)
        theta = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + rng.randn(n_per_class) * spec.noise
        X_np[0, s:e] = r * np.cos(theta)
        X_np[1, s:e] = r * np.sin(theta)
        y_np[s:e] = k
    return X_np.T, y_np, rng  # the same rng goes on to shuffle, as the seed's global one does


def circles(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.random.RandomState]:
    """An inner disc (class 0) inside a ring (class 1), as TensorFlow Playground draws it."""
    rng = np.random.RandomState(spec.seed)
    n = spec.n_samples
    half = n // 2
    r = np.concatenate([rng.uniform(0, 0.5, half), rng.uniform(0.7, 1.0, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    x += rng.randn(n, 2) * spec.noise * 0.2
    y = np.concatenate([np.zeros(half, int), np.ones(n - half, int)])
    return x, y, rng


def moons(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.random.RandomState]:
    """Two interleaving half circles (scikit-learn's make_moons, centred and scaled to [-1, 1])."""
    rng = np.random.RandomState(spec.seed)
    n = spec.n_samples
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    x += rng.randn(n, 2) * spec.noise * 0.4
    x = (x - np.array([0.5, 0.25])) / 1.5
    y = np.concatenate([np.zeros(n_out, int), np.ones(n_in, int)])
    return x, y, rng


def blobs(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.random.RandomState]:
    """One Gaussian blob per class, centres evenly spaced on a circle of radius 0.6."""
    rng = np.random.RandomState(spec.seed)
    n, k = spec.n_samples, spec.classes
    y = np.arange(n) % k
    angles = 2 * np.pi * np.arange(k) / k
    centres = 0.6 * np.stack([np.cos(angles), np.sin(angles)], 1)
    x = centres[y] + rng.randn(n, 2) * (0.05 + spec.noise * 0.4)
    return x, y, rng


def two_spirals(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.random.RandomState]:
    """TensorFlow Playground's two interleaved spirals."""
    rng = np.random.RandomState(spec.seed)
    n = spec.n_samples
    half = n // 2
    parts = []
    for k, delta in ((0, 0.0), (1, np.pi)):
        m = half if k == 0 else n - half
        r = np.linspace(0.05, 1.0, m)
        t = 1.75 * np.linspace(0, 1, m) * 2 * np.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], 1) + rng.randn(m, 2) * spec.noise * 0.1
        parts.append(pts)
    x = np.concatenate(parts)
    y = np.concatenate([np.zeros(half, int), np.ones(n - half, int)])
    return x, y, rng


def _shuffle_split(spec: DataSpec, x: np.ndarray, y: np.ndarray, rng: np.random.RandomState) -> Splits:
    """The seed's recipe: permute with the generator's own stream, then train | val | test."""
    N = len(y)
    idx = rng.permutation(N)
    x, y = x[idx], y[idx]
    n_test = int(N * spec.test_fraction)
    n_val = int(N * spec.val_fraction)
    n_train = N - n_val - n_test
    x = x.astype(np.float32)
    y = y.astype(np.float32 if task_of(spec) == "regression" else np.int64)
    return Splits(x[:n_train], y[:n_train], x[n_train:n_train + n_val], y[n_train:n_train + n_val],
                  x[n_train + n_val:], y[n_train + n_val:], task_of(spec), n_classes(spec), input_dim(spec))


def _split_or_all(spec: DataSpec, x: np.ndarray, y: np.ndarray) -> Splits:
    """Regression: the seed fits all 50 points; a split is taken only when asked for."""
    if spec.val_fraction == 0 and spec.test_fraction == 0:
        return Splits(x, y, x, y, x, y, "regression", 1, 1, note="val and test = the training points")
    return _shuffle_split(spec, x, y, np.random.RandomState(spec.seed))


def _with_extra(spec: DataSpec, splits: Splits) -> Splits:
    """Points the user clicked onto the plane join the training set."""
    if not spec.extra_points:
        return splits
    pts = np.array([[x, y] for x, y, _ in spec.extra_points], dtype=np.float32)
    if splits.task == "regression":   # a point (x, y) on the plot; its class field is unused
        x_new, y_new = pts[:, :1], pts[:, 1].astype(splits.y_train.dtype)
    else:
        x_new = pts
        y_new = np.array([c for _, _, c in spec.extra_points], dtype=splits.y_train.dtype)
    return replace(splits, x_train=np.concatenate([splits.x_train, x_new]),
                   y_train=np.concatenate([splits.y_train, y_new]))
