"""The seed's hand-written NumPy MLP and raw-autograd regression, as event streams beside PyTorch."""
from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch

from trainer.control import Control
from trainer.events import Diverged, EpochEnd, Finished, Started, Stopped
from trainer.loop import run_to_end
from trainer.manual import ManualMLP, autograd_regression, manual_xor
from trainer.presets import load_preset


def seed_manual_losses(epochs: int = 5000) -> tuple[list[float], np.ndarray]:
    """Phase 4 of mini-project A as the seed writes it (global np.random.seed inside the class)."""
    def sigmoid_np(z):
        return 1 / (1 + np.exp(-np.clip(z, -500, 500)))

    class SeedManualMLP:
        def __init__(self, seed=42):
            np.random.seed(seed)
            self.W1 = np.random.randn(4, 2) * np.sqrt(2.0 / 2)
            self.b1 = np.zeros((4, 1))
            self.W2 = np.random.randn(1, 4) * np.sqrt(2.0 / 4)
            self.b2 = np.zeros((1, 1))

        def train_epoch(self, X, y, lr):
            self.z1 = self.W1 @ X + self.b1
            self.a1 = np.maximum(0, self.z1)
            self.z2 = self.W2 @ self.a1 + self.b2
            self.a2 = sigmoid_np(self.z2)
            loss = np.mean((y - self.a2) ** 2)
            N = X.shape[1]
            da2 = -2 * (y - self.a2) / N
            dz2 = da2 * self.a2 * (1 - self.a2)
            self.W2 -= lr * (dz2 @ self.a1.T)
            self.b2 -= lr * np.sum(dz2, axis=1, keepdims=True)
            dz1 = (self.W2.T @ dz2) * (self.z1 > 0).astype(float)
            self.W1 -= lr * (dz1 @ X.T)
            self.b1 -= lr * np.sum(dz1, axis=1, keepdims=True)
            return loss

    state = np.random.get_state()
    try:
        X_np = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
        y_np = np.array([[0, 1, 1, 0]], dtype=float)
        manual_model = SeedManualMLP(seed=42)
        manual_losses = [manual_model.train_epoch(X_np, y_np, lr=2.0) for _ in range(epochs)]
        return [float(v) for v in manual_losses], manual_model.W1.copy()
    finally:
        np.random.set_state(state)


@pytest.fixture(scope="module")
def xor_events():
    return list(manual_xor())


def test_manual_mlp_is_the_seeds_line_for_line(xor_events):
    losses, w1 = seed_manual_losses()
    ours = [e.train_loss for e in xor_events if isinstance(e, EpochEnd)]
    assert ours == losses                                   # bit for bit, all 5000 epochs
    np.testing.assert_array_equal(xor_events[-1].state["W1"], w1)


def test_manual_mlp_solves_xor_4_of_4(xor_events):
    f = xor_events[-1]
    assert isinstance(f, Finished) and f.reason == "completed" and f.epochs_run == 5000
    assert f.metrics["predictions"].tolist() == [0, 1, 1, 0] and f.metrics["test_accuracy"] == 100.0
    assert f.history[-1]["train_acc"] == 100.0 and f.history[-1]["val_acc"] == 100.0
    assert f.params == 4 * 2 + 4 + 4 + 1


def test_manual_streams_look_like_the_loops(xor_events):
    assert isinstance(xor_events[0], Started) and xor_events[0].epochs == 5000
    epochs = [e for e in xor_events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == list(range(5000))
    assert xor_events[-1].history == [e.as_record() for e in epochs]
    for event in xor_events[:3] + xor_events[-2:]:
        for value in vars(event).values():
            assert not isinstance(value, torch.Tensor)


def test_manual_mlp_leaves_the_global_numpy_generator_alone():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    ManualMLP(seed=42)
    np.testing.assert_array_equal(np.random.rand(3), expected)


def seed_autograd_regression() -> tuple[list[float], float, float]:
    """Phase 1 of mini-project A, the solution as the seed writes it."""
    state = torch.get_rng_state()
    try:
        torch.manual_seed(42)
        x = torch.linspace(0, 5, 50)
        y_true = 2 * x + 1 + torch.randn(50) * 0.5
        w = torch.tensor(0.0, requires_grad=True)
        b = torch.tensor(0.0, requires_grad=True)
        lr = 0.01
        losses = []
        for epoch in range(500):
            y_pred = w * x + b
            loss = ((y_pred - y_true) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
            losses.append(loss.item())
        return losses, w.item(), b.item()
    finally:
        torch.set_rng_state(state)


def test_autograd_regression_is_the_seeds_and_learns_w_2_b_1():
    events = list(autograd_regression())
    f = events[-1]
    losses, w, b = seed_autograd_regression()
    assert [e.train_loss for e in events if isinstance(e, EpochEnd)] == losses
    assert (f.extra["w"], f.extra["b"]) == (w, b)
    assert abs(f.extra["w"] - 2) <= 0.15 and abs(f.extra["b"] - 1) <= 0.3
    assert all(h["train_acc"] is None for h in f.history)
    assert f.metrics["predictions"].shape == (50,) and f.metrics["test_mse"] < 0.5


def test_raw_autograd_and_the_nn_module_preset_learn_the_same_line():
    f_raw = list(autograd_regression())[-1]
    f_nn = run_to_end(load_preset("linear-regression"))
    assert f_nn.extra["w"] == pytest.approx(f_raw.extra["w"], rel=1e-5)
    assert f_nn.extra["b"] == pytest.approx(f_raw.extra["b"], rel=1e-5)
    np.testing.assert_allclose([h["train_loss"] for h in f_nn.history],
                               [h["train_loss"] for h in f_raw.history], rtol=1e-5)


@pytest.mark.parametrize("make", [manual_xor, autograd_regression], ids=["manual-xor", "autograd-regression"])
def test_stop_is_honoured_between_epochs(make):
    control = Control()
    events = []
    for event in make(control=control):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 10:
            control.stop()
    assert [e for e in events if isinstance(e, Stopped)] == [Stopped(11)]
    f = events[-1]
    assert f.reason == "stopped" and f.epochs_run == 11


@pytest.mark.parametrize("make", [manual_xor, autograd_regression], ids=["manual-xor", "autograd-regression"])
def test_pause_then_step_runs_one_epoch(make):
    control = Control()
    seen = []

    def remote():
        time.sleep(0.2)
        seen.append("paused" if control.paused else "running")
        control.step()
        deadline = time.monotonic() + 30
        while not control.paused and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        control.stop()

    thread = None
    events = []
    for event in make(control=control):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 3:
            control.pause()
            thread = threading.Thread(target=remote, daemon=True)
            thread.start()
    thread.join()
    assert seen == ["paused"]
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [0, 1, 2, 3, 4]
    assert [e for e in events if isinstance(e, Stopped)] == [Stopped(5)]


def test_a_too_large_step_diverges_and_keeps_finite_weights():
    events = list(autograd_regression(lr=1.0))
    diverged = [e for e in events if isinstance(e, Diverged)]
    f = events[-1]
    assert len(diverged) == 1 and f.reason == "diverged" and diverged[0].epoch == f.epochs_run
    losses = [h["train_loss"] for h in f.history]
    assert losses[-1] > 1e6 * losses[0]                     # it really blew up first
    assert math.isfinite(f.extra["w"]) and math.isfinite(f.extra["b"])
    assert np.isfinite(f.metrics["predictions"]).all()
