"""The datasets: the seed's generators reproduced exactly, the playground shapes behaving as asked."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.config import DataSpec
from trainer.data import load


def seed_spiral_as_written():
    """Mini-project B phase 1, copied from the seed (global NumPy generator and all)."""
    state = np.random.get_state()
    try:
        np.random.seed(42)
        N_per_class = 150
        N_classes = 3
        N = N_per_class * N_classes
        X_np = np.zeros((2, N))
        y_np = np.zeros(N, dtype=int)
        for k in range(N_classes):
            s, e = k * N_per_class, (k + 1) * N_per_class
            r = np.linspace(0.2, 1.0, N_per_class)
            theta = np.linspace(k * 4.0, (k + 1) * 4.0, N_per_class) + np.random.randn(N_per_class) * 0.25
            X_np[0, s:e] = r * np.cos(theta)
            X_np[1, s:e] = r * np.sin(theta)
            y_np[s:e] = k
        idx = np.random.permutation(N)
        X_np, y_np = X_np[:, idx], y_np[idx]
        n_test = int(N * 0.15)
        n_val = int(N * 0.15)
        n_train = N - n_val - n_test
        return (X_np[:, :n_train].T, y_np[:n_train], X_np[:, n_train:n_train + n_val].T,
                y_np[n_train:n_train + n_val], X_np[:, n_train + n_val:].T, y_np[n_train + n_val:])
    finally:
        np.random.set_state(state)


def test_spiral_is_the_seeds_spiral_point_for_point():
    s = load(DataSpec(name="spiral", n_samples=450, noise=0.25, classes=3, seed=42))
    expected = seed_spiral_as_written()
    got = (s.x_train, s.y_train, s.x_val, s.y_val, s.x_test, s.y_test)
    for g, e in zip(got, expected):
        # The seed converts to float32 tensors; the split is the same points in the same order.
        np.testing.assert_array_equal(g, np.asarray(e, dtype=g.dtype))
    assert s.sizes == (316, 67, 67)   # int(450 * 0.15) = 67 each (the seed's comment says 315: 450-135)
    assert (s.task, s.n_classes, s.input_dim) == ("multiclass", 3, 2)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int64


def test_linear_is_the_seeds_y_equals_2x_plus_1():
    torch.manual_seed(42)                      # the seed's phase 1, on the global generator
    x = torch.linspace(0, 5, 50)
    y_true = 2 * x + 1 + torch.randn(50) * 0.5
    s = load(DataSpec(name="linear", n_samples=50, noise=0.5, seed=42, val_fraction=0.0, test_fraction=0.0))
    np.testing.assert_array_equal(s.x_train[:, 0], x.numpy())
    np.testing.assert_array_equal(s.y_train, y_true.numpy())
    assert s.task == "regression" and s.sizes == (50, 50, 50)


@pytest.mark.parametrize("name, column", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0])])
def test_truth_tables(name, column):
    s = load(DataSpec(name=name))
    np.testing.assert_array_equal(s.x_train, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(s.y_train, column)
    assert s.task == "binary" and s.sizes == (4, 4, 4)


SHAPES = ["circles", "moons", "blobs", "two-spirals"]


@pytest.mark.parametrize("name", SHAPES)
def test_playground_shapes_honour_count_split_seed_and_noise(name):
    spec = DataSpec(name=name, n_samples=200, noise=0.2, classes=2, val_fraction=0.2, test_fraction=0.1, seed=7)
    s = load(spec)
    assert s.sizes == (140, 40, 20)
    x = np.concatenate([s.x_train, s.x_val, s.x_test])
    y = np.concatenate([s.y_train, s.y_val, s.y_test])
    assert x.shape == (200, 2) and np.isfinite(x).all()
    assert np.bincount(y).tolist() == [100, 100]              # balanced classes
    again = load(spec)
    np.testing.assert_array_equal(again.x_train, s.x_train)   # same seed, same points
    other = load(DataSpec(name=name, n_samples=200, noise=0.2, classes=2, val_fraction=0.2, test_fraction=0.1,
                          seed=8))
    assert not np.array_equal(other.x_train, s.x_train)
    quiet = load(DataSpec(name=name, n_samples=200, noise=0.0, classes=2, val_fraction=0.2, test_fraction=0.1,
                          seed=7))
    noisy = load(DataSpec(name=name, n_samples=200, noise=1.0, classes=2, val_fraction=0.2, test_fraction=0.1,
                          seed=7))
    spread = lambda d: float(np.concatenate([d.x_train, d.x_val, d.x_test]).std())  # noqa: E731
    assert spread(noisy) > spread(quiet)


def test_circles_put_class_0_inside_class_1():
    s = load(DataSpec(name="circles", n_samples=400, noise=0.0))
    x = np.concatenate([s.x_train, s.x_val, s.x_test])
    y = np.concatenate([s.y_train, s.y_val, s.y_test])
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 0].max() <= 0.5 < 0.7 <= r[y == 1].min()


def test_blobs_give_as_many_classes_as_asked():
    s = load(DataSpec(name="blobs", n_samples=300, classes=5, noise=0.1))
    y = np.concatenate([s.y_train, s.y_val, s.y_test])
    assert s.n_classes == 5 and s.task == "multiclass"
    assert np.bincount(y).tolist() == [60] * 5


def test_points_clicked_in_join_the_training_set():
    spec = DataSpec(name="moons", n_samples=100, extra_points=((0.1, 0.2, 1), (-0.3, 0.4, 0)))
    plain = load(DataSpec(name="moons", n_samples=100))
    s = load(spec)
    assert len(s.x_train) == len(plain.x_train) + 2
    np.testing.assert_array_equal(s.x_train[-2:], np.array([[0.1, 0.2], [-0.3, 0.4]], dtype=np.float32))
    np.testing.assert_array_equal(s.y_train[-2:], [1, 0])
    np.testing.assert_array_equal(s.x_val, plain.x_val)


def test_a_point_added_to_the_regression_plot_is_x_and_y():
    from trainer.config import DataSpec
    from trainer.data import load
    base = load(DataSpec(name="linear", n_samples=50, noise=0.5, val_fraction=0.0, test_fraction=0.0))
    added = load(DataSpec(name="linear", n_samples=50, noise=0.5, val_fraction=0.0, test_fraction=0.0,
                          extra_points=((2.5, 9.0, 0),)))
    assert len(added.x_train) == len(base.x_train) + 1
    assert added.x_train[-1, 0] == 2.5 and added.y_train[-1] == 9.0


def test_points_clicked_onto_a_truth_table_join_its_training_set_only():
    from trainer.config import DataSpec
    from trainer.data import load
    s = load(DataSpec(name="xor", extra_points=((0.5, 0.5, 1),)))
    assert len(s.x_train) == 5 and s.y_train[-1] == 1
    assert len(s.x_val) == 4 and len(s.x_test) == 4
