"""The curves' numbers: one row of floats per epoch, kept in columns that grow by doubling.

A run's epochs arrive as trainer EpochEnd events (live) or as their records (EpochEnd.as_record():
a finished run's history, a normal run beside a mistake, a branch); both become the same row.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainer.events import EpochEnd

# "graph_mb": the memory the kept autograd graphs hold (only while torch.no_grad() is forgotten on purpose).
COLUMNS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "graph_mb")


class History:
    """Columns of floats that grow by doubling; `view(name)` is the filled part."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cols = {name: np.full(capacity, np.nan) for name in COLUMNS}

    def clear(self) -> None:
        self.n = 0

    def extend(self, rows: list[tuple[float, ...]]) -> None:
        need = self.n + len(rows)
        cap = len(self._cols["epoch"])
        if need > cap:
            while cap < need:
                cap *= 2
            for name, col in self._cols.items():
                grown = np.full(cap, np.nan)
                grown[:self.n] = col[:self.n]
                self._cols[name] = grown
        block = np.asarray(rows, dtype=float).reshape(len(rows), len(COLUMNS))
        for i, name in enumerate(COLUMNS):
            self._cols[name][self.n:need] = block[:, i]
        self.n = need

    def view(self, name: str) -> np.ndarray:
        return self._cols[name][:self.n]


def row_of(ev: EpochEnd) -> tuple[float, ...]:
    """An EpochEnd as one row of COLUMNS (NaN where it has no value)."""
    nan = math.nan
    return (ev.epoch, ev.train_loss, ev.val_loss,
            nan if ev.train_acc is None else ev.train_acc, nan if ev.val_acc is None else ev.val_acc,
            nan if ev.graph_bytes is None else ev.graph_bytes / 1e6)


def row_from_record(rec: dict[str, Any]) -> tuple[float, ...]:
    """An EpochEnd.as_record() dict as one row of COLUMNS."""
    nan = math.nan
    acc = [nan if rec.get(k) is None else rec[k] for k in ("train_acc", "val_acc")]
    held = rec.get("graph_bytes")
    return (rec["epoch"], rec["train_loss"], rec["val_loss"], acc[0], acc[1], nan if held is None else held / 1e6)


def columns_from_records(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Records (EpochEnd.as_record()) as one float array per name in COLUMNS."""
    rows = [row_from_record(r) for r in records]
    block = np.asarray(rows, dtype=float).reshape(len(rows), len(COLUMNS))
    return {name: block[:, i] for i, name in enumerate(COLUMNS)}


def loss_span(columns: dict[str, np.ndarray]) -> tuple[float, float]:
    """The lowest and highest finite train / validation loss in `columns` (NaN, NaN when none)."""
    losses = np.concatenate([columns["train_loss"], columns["val_loss"]])
    losses = losses[np.isfinite(losses)]
    return (float(losses.min()), float(losses.max())) if losses.size else (math.nan, math.nan)


def fmt(v: float) -> str:
    """A value as the curves print it: 4 significant digits, a dash for none."""
    return "–" if not math.isfinite(v) else f"{v:.4g}"


__all__ = ["COLUMNS", "History", "columns_from_records", "fmt", "loss_span", "row_from_record", "row_of"]
