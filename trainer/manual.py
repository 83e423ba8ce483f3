"""The seed's two "by hand" trainings, as event generators a view can plot beside PyTorch.

- `ManualMLP` / `manual_xor`: mini-project A phase 4, the NumPy 2-4-1 XOR network
  with hand-written backprop (MSE on a sigmoid output, lr 2.0, 5000 epochs).
- `autograd_regression`: mini-project A phase 1, y = 2x + 1 learned with raw
  tensors `w`, `b` (requires_grad, no nn.Module), lr 0.01, 500 epochs.

Both yield the events `trainer.loop.train` yields (Started, EpochEnd per epoch,
Stopped / Diverged when that happens, Finished last), so the same view code
draws them. A `Control` is honoured between epochs.
"""
from __future__ import annotations

import math
import time
from typing import Any, Iterator

import numpy as np
import torch

from .control import Control
from .data import gate, linear
from .events import Diverged, EpochEnd, Event, Finished, ParamStep, Started, Stopped


def sigmoid_np(z: np.ndarray) -> np.ndarray:
    """The seed's sigmoid, clipped so np.exp never overflows."""
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))


class ManualMLP:
    """The seed's 2-4-1 XOR network: ReLU hidden layer, sigmoid output, MSE, hand-written backprop.

    The seed seeds NumPy's global generator (`np.random.seed(seed)`) and draws
    W1 then W2 from it; a private `RandomState(seed)` yields the very same
    numbers without changing the global state other code relies on.
    """

    def __init__(self, seed: int = 42):
        rng = np.random.RandomState(seed)
        self.W1 = rng.randn(4, 2) * np.sqrt(2.0 / 2)
        self.b1 = np.zeros((4, 1))
        self.W2 = rng.randn(1, 4) * np.sqrt(2.0 / 4)
        self.b2 = np.zeros((1, 1))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Outputs (1, N) for inputs (2, N), features first as the seed's NumPy code."""
        a1 = np.maximum(0, self.W1 @ X + self.b1)
        return sigmoid_np(self.W2 @ a1 + self.b2)

    def train_epoch(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One full-batch step, line for line as the seed; returns the loss before the step."""
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
        # As the seed writes it, dz1 uses W2 *after* its update (the lesson's code, kept as is).
        dz1 = (self.W2.T @ dz2) * (self.z1 > 0).astype(float)
        self.W1 -= lr * (dz1 @ X.T)
        self.b1 -= lr * np.sum(dz1, axis=1, keepdims=True)
        return loss

    def state(self) -> dict[str, np.ndarray]:
        return {"W1": self.W1.copy(), "b1": self.b1.copy(), "W2": self.W2.copy(), "b2": self.b2.copy()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        for key, value in state.items():
            setattr(self, key, value.copy())


def _accuracy(outputs: np.ndarray, y: np.ndarray) -> float:
    return float(((outputs > 0.5).astype(float) == y).mean() * 100.0)


def manual_xor(seed: int = 42, lr: float = 2.0, epochs: int = 5000,
               control: Control | None = None, gate_name: str = "xor") -> Iterator[Event]:
    """Train the seed's ManualMLP on a truth table; per-epoch events, Finished last.

    train_loss is the loss `train_epoch` returns (the seed's `manual_losses`);
    val_loss / val_acc are measured on the same four rows after the step, as
    `trainer.loop` validates a truth table.
    """
    control = control or Control()
    x, labels = gate(gate_name)
    X_np = x.T.astype(float)                        # (2, 4), the seed's layout
    y_np = labels.astype(float).reshape(1, -1)      # (1, 4)
    model = ManualMLP(seed=seed)
    params = sum(v.size for v in model.state().values())
    yield Started("binary", 2, 2, 4, 4, 4, params=params, device="numpy", epochs=epochs, batches_per_epoch=1)
    t0 = time.perf_counter()
    history: list[dict[str, Any]] = []
    best_loss, best_epoch, reason = math.inf, 0, "completed"
    for epoch in range(epochs):
        if control.wait():
            yield Stopped(epoch)
            reason = "stopped"
            break
        before = model.state()
        with np.errstate(over="ignore", invalid="ignore"):
            train_loss = float(model.train_epoch(X_np, y_np, lr))
            outputs_before = model.a2
            after = model.forward(X_np)
        val_loss = float(np.mean((y_np - after) ** 2))
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)
                and all(np.isfinite(v).all() for v in model.state().values())):
            model.load_state(before)
            yield Diverged(epoch, train_loss if not math.isfinite(train_loss) else val_loss)
            reason = "diverged"
            break
        record = EpochEnd(epoch, train_loss, val_loss, _accuracy(outputs_before, y_np), _accuracy(after, y_np),
                          time.perf_counter() - t0)
        history.append(record.as_record())
        yield record
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
        control.epoch_done()
    outputs = model.forward(X_np)[0]
    pred = (outputs > 0.5).astype(np.int64)
    metrics = {"test_loss": float(np.mean((labels - outputs) ** 2)), "n_test": 4,
               "test_accuracy": float((pred == labels).mean() * 100.0),
               "predictions": pred, "outputs": outputs,
               "probabilities": np.stack([1 - outputs, outputs], axis=1)}
    yield Finished(reason=reason, epochs_run=len(history), best_epoch=best_epoch, best_val_loss=best_loss,
                   history=history, metrics=metrics, state=model.state(), params=params, device="numpy",
                   seconds=time.perf_counter() - t0, extra={"lr": lr, "loss": "mse", "method": "manual"})


def autograd_regression(seed: int = 42, lr: float = 0.01, epochs: int = 500, n: int = 50, noise: float = 0.5,
                        control: Control | None = None) -> Iterator[Event]:
    """Learn y = 2x + 1 with two raw tensors and autograd, as the seed's phase 1.

    Each epoch yields ParamStep (w and b after the update, and the gradients
    autograd computed for it) and then EpochEnd. Finished.extra carries w and b
    (as `trainer.loop` does for the regression preset) and the final predictions;
    train_loss is the seed's `losses` entry, val_loss the MSE on the same 50
    points after the update.
    """
    control = control or Control()
    x_np, y_np = linear(seed, n, noise)             # torch.manual_seed(seed); randn(n) — the seed's points
    x, y_true = torch.from_numpy(x_np), torch.from_numpy(y_np)
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    yield Started("regression", 1, 1, n, n, n, params=2, device="cpu", epochs=epochs, batches_per_epoch=1)
    t0 = time.perf_counter()
    history: list[dict[str, Any]] = []
    best_loss, best_epoch, reason = math.inf, 0, "completed"
    for epoch in range(epochs):
        if control.wait():
            yield Stopped(epoch)
            reason = "stopped"
            break
        before = (w.detach().clone(), b.detach().clone())
        # The seed's five lines: forward, loss, backward, update under no_grad, zero the grads.
        y_pred = w * x + b
        loss = ((y_pred - y_true) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        grads = {"w": w.grad.item(), "b": b.grad.item()}   # read before zero_() wipes them
        w.grad.zero_()
        b.grad.zero_()
        train_loss = loss.item()
        with torch.no_grad():
            val_loss = ((w * x + b - y_true) ** 2).mean().item()
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)
                and math.isfinite(w.item()) and math.isfinite(b.item())):
            with torch.no_grad():
                w.copy_(before[0])
                b.copy_(before[1])
            yield Diverged(epoch, train_loss if not math.isfinite(train_loss) else val_loss)
            reason = "diverged"
            break
        record = EpochEnd(epoch, train_loss, val_loss, None, None, time.perf_counter() - t0)
        history.append(record.as_record())
        yield ParamStep(epoch, {"w": w.item(), "b": b.item()}, grads)
        yield record
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
        control.epoch_done()
    with torch.no_grad():
        pred = (w * x + b).numpy().copy()
    mse = float(np.mean((pred - y_np) ** 2))
    yield Finished(reason=reason, epochs_run=len(history), best_epoch=best_epoch, best_val_loss=best_loss,
                   history=history, metrics={"test_loss": mse, "test_mse": mse, "n_test": n, "predictions": pred},
                   state={"w": w.detach().numpy().copy(), "b": b.detach().numpy().copy()}, params=2,
                   device="cpu", seconds=time.perf_counter() - t0,
                   extra={"w": w.item(), "b": b.item(), "x": x_np, "y": y_np, "lr": lr, "method": "autograd"})


__all__ = ["ManualMLP", "sigmoid_np", "manual_xor", "autograd_regression"]
