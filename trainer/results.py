"""A loaded checkpoint as a run's result: the Finished event a training would have ended with.

The window's views take a run's result as a Finished (history for the curves, metrics for the
MNIST tab, state for the pad). A checkpoint holds the same record minus what only a live run
knows (its device, its time), so loading one shows it exactly as the run that made it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .checkpoint import Checkpoint
from .events import Finished

LOADED = "loaded"   # Finished.reason of a result that came from a file, not from a run


def finished_from_checkpoint(ckpt: Checkpoint) -> Finished:
    """The Finished for a loaded checkpoint (reason 'loaded', best epoch = lowest validation loss)."""
    state = {k: v.detach().cpu().numpy().copy() for k, v in ckpt.model.state_dict().items()}
    return finished_from_record(ckpt.history, ckpt.metrics, state, ckpt.norm)


def finished_from_record(history: list[dict[str, Any]], metrics: dict[str, Any], state: dict[str, np.ndarray],
                         norm: tuple[float, float] = (0.0, 1.0)) -> Finished:
    """The Finished for a saved record: its history, test metrics, weights and input normalisation."""
    history = list(history)
    best = min(range(len(history)), key=lambda i: history[i]["val_loss"]) if history else 0
    return Finished(reason=LOADED, epochs_run=len(history), best_epoch=best,
                    best_val_loss=history[best]["val_loss"] if history else math.nan, history=history,
                    metrics=metrics, state=state, params=sum(int(np.size(v)) for v in state.values()),
                    device="cpu", seconds=0.0, extra={"norm": list(norm)})


__all__ = ["LOADED", "finished_from_checkpoint", "finished_from_record"]
