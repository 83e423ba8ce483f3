"""Choosing mnist-mlp-full's learning rate and patience on the VALIDATION split only (issue 14, item 6).

    python -m bench.choose                      lr 0.0005, 0.001, 0.002 x patience 4, 8, 12, seeds 1, 2, 3

One run per (lr, seed), trained with the largest patience of the grid; a smaller patience p stops
that same run earlier, so its outcome is read off the history: the loop stops after the first epoch
e with e - best_epoch >= p and restores the epoch of the lowest validation loss so far (exactly what
trainer.loop does with restore_best). The score of (lr, p) is the mean validation accuracy of the
restored epochs over the seeds; the test split is never read here (Finished's test metrics are
ignored). One JSON line per run and one per grid cell on stdout, the choice last.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from typing import Any

from .common import emit, note, r

PRESET = "mnist-mlp-full"
LRS = (0.0005, 0.001, 0.002)
PATIENCES = (4, 8, 12)
SEEDS = (1, 2, 3)


def restored(history: list[dict[str, Any]], patience: int) -> dict[str, Any]:
    """The epoch record trainer.loop would restore had it stopped with `patience` (0: never stops)."""
    best = None
    for rec in history:
        if best is None or rec["val_loss"] < best["val_loss"]:
            best = rec
        if patience and rec["epoch"] - best["epoch"] >= patience:
            break
    if best is None:
        raise ValueError("an empty history restores nothing")
    return best


def score(histories: list[list[dict[str, Any]]], patience: int) -> float:
    """Mean validation accuracy (%) of the restored epochs over several runs."""
    return sum(restored(h, patience)["val_acc"] for h in histories) / len(histories)


def choose(runs: dict[tuple[float, int], list[dict[str, Any]]], patiences: tuple[int, ...]) -> tuple[float, int, float]:
    """(lr, patience, score) of the best grid cell; `runs` maps (lr, seed) to that run's history.

    Ties go to the smaller patience (shorter training) and then the smaller lr (listed first)."""
    lrs = sorted({lr for lr, _ in runs})
    best: tuple[float, int, float] | None = None
    for lr, p in itertools.product(lrs, sorted(patiences)):
        s = score([h for (l, _), h in sorted(runs.items()) if l == lr], p)
        if best is None or s > best[2] + 1e-9:
            best = (lr, p, s)
    assert best is not None
    return best


def _history(lr: float, seed: int, patience: int) -> list[dict[str, Any]]:
    from trainer.control import Control
    from trainer.events import Finished
    from trainer.loop import train
    from trainer.presets import load_preset
    exp = load_preset(PRESET).with_overrides({"optim.lr": lr, "train.patience": patience, "train.seed": seed})
    for ev in train(exp, Control()):
        if isinstance(ev, Finished):
            return ev.history     # ev.metrics (the test split) deliberately unread
    raise RuntimeError(f"{PRESET} lr={lr} seed={seed} ended without a result")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.choose", description=__doc__.splitlines()[0])
    p.add_argument("--lrs", default=",".join(map(str, LRS)))
    p.add_argument("--patiences", default=",".join(map(str, PATIENCES)))
    p.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    args = p.parse_args(argv)
    lrs = tuple(float(v) for v in args.lrs.split(","))
    patiences = tuple(int(v) for v in args.patiences.split(","))
    seeds = tuple(int(v) for v in args.seeds.split(","))
    from .common import isolate
    isolate()
    runs: dict[tuple[float, int], list[dict[str, Any]]] = {}
    for lr, seed in itertools.product(lrs, seeds):
        note(f"choose: lr {lr} seed {seed} ...")
        h = _history(lr, seed, max(patiences))
        runs[(lr, seed)] = h
        emit({"choose": "run", "lr": lr, "seed": seed, "epochs": len(h),
              "val_acc": [round(rec["val_acc"], 2) for rec in h], "val_loss": [r(rec["val_loss"], 4) for rec in h]})
    for lr, pat in itertools.product(lrs, patiences):
        cell = [h for (l, _), h in runs.items() if l == lr]
        emit({"choose": "cell", "lr": lr, "patience": pat, "val_acc_mean": round(score(cell, pat), 3),
              "restored_epochs": [restored(h, pat)["epoch"] for h in cell]})
    lr, pat, s = choose(runs, patiences)
    emit({"choose": "best", "lr": lr, "patience": pat, "val_acc_mean": round(s, 3), "seeds": list(seeds)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
