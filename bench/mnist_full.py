"""`mnist_full`: the mnist-mlp-full preset trained to its end headless, on the real MNIST files.

784-256-128-10 with dropout 0.2 on 55,000 images in batches of 128, validated on 5,000, tested on
the 10,000 test images; the preset's own epochs, early stopping and best-weights restore. Data from
../shared/datasets (or NEURAL_PLAYGROUND_DATA). seconds_per_epoch is the training part only.
"""
from __future__ import annotations

from trainer.control import Control
from trainer.events import EpochEnd, Finished
from trainer.loop import train
from trainer.presets import load_preset

from .common import emit, note, r

PRESET = "mnist-mlp-full"


def run() -> None:
    exp = load_preset(PRESET)
    fin = None
    for ev in train(exp, Control()):
        if isinstance(ev, EpochEnd):
            note(f"mnist_full epoch {ev.epoch}: val loss {ev.val_loss:.4f}, val acc {ev.val_acc:.2f}% "
                 f"({ev.seconds:.0f} s)")
        elif isinstance(ev, Finished):
            fin = ev
    assert fin is not None and fin.history
    emit({"bench": "mnist_full", "test_accuracy": round(float(fin.metrics["test_accuracy"]), 2),
          "seconds_per_epoch": r(fin.history[-1]["seconds"] / len(fin.history)), "epochs_run": fin.epochs_run,
          "best_epoch": fin.best_epoch, "reason": fin.reason, "device": fin.device, "preset": PRESET})
