"""`mnist_full`: the mnist-mlp-full preset trained to its end headless, on the real MNIST files, seeds 1, 2, 3.

784-256-128-10 with dropout 0.2 on 55,000 images in batches of 128, validated on 5,000, tested on
the 10,000 test images; the preset's own epochs, early stopping and best-weights restore. Its learning
rate and patience were chosen on the validation split only, over the same seeds (`python -m bench.choose`,
never reading the test split); the test accuracy here is read once per seed, after that choice.
Data from ../shared/datasets (or NEURAL_PLAYGROUND_DATA). seconds_per_epoch is the training part only.

test_accuracy_mean / test_accuracy_min: over the seeds; test_accuracy is the mean too (before issue 14
it was seed 42 alone); epochs_run and best_epoch are the medians, per_seed has each run.
"""
from __future__ import annotations

from typing import Any

from trainer.control import Control
from trainer.events import EpochEnd, Finished
from trainer.loop import train
from trainer.presets import load_preset

from .common import emit, median, note, r

PRESET = "mnist-mlp-full"
SEEDS = (1, 2, 3)


def one_seed(seed: int) -> dict[str, Any]:
    exp = load_preset(PRESET).with_overrides({"train.seed": seed})
    fin = None
    for ev in train(exp, Control()):
        if isinstance(ev, EpochEnd):
            note(f"mnist_full seed {seed} epoch {ev.epoch}: val loss {ev.val_loss:.4f}, val acc {ev.val_acc:.2f}% "
                 f"({ev.seconds:.0f} s)")
        elif isinstance(ev, Finished):
            fin = ev
    assert fin is not None and fin.history
    return {"seed": seed, "test_accuracy": round(float(fin.metrics["test_accuracy"]), 2),
            "seconds_per_epoch": fin.history[-1]["seconds"] / len(fin.history), "epochs_run": fin.epochs_run,
            "best_epoch": fin.best_epoch, "reason": fin.reason, "device": fin.device}


def record(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The mnist_full line from the seeds' runs."""
    acc = [x["test_accuracy"] for x in runs]
    mean = sum(acc) / len(acc)
    return {"bench": "mnist_full", "test_accuracy": round(mean, 2), "test_accuracy_mean": round(mean, 2),
            "test_accuracy_min": min(acc), "seeds": [x["seed"] for x in runs],
            "seconds_per_epoch": r(median(x["seconds_per_epoch"] for x in runs)),
            "epochs_run": int(median(x["epochs_run"] for x in runs)),
            "best_epoch": int(median(x["best_epoch"] for x in runs)),
            "reason": ",".join(sorted({x["reason"] for x in runs})), "device": runs[0]["device"], "preset": PRESET,
            "per_seed": [{**x, "seconds_per_epoch": r(x["seconds_per_epoch"])} for x in runs]}


def run(quick: bool = False) -> None:
    """All seeds; `quick` (only when asked for by name): the first seed alone."""
    emit(record([one_seed(s) for s in (SEEDS[:1] if quick else SEEDS)]))
