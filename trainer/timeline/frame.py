"""One recorded epoch: the model's state at its end and everything needed to train on from there.

A Frame holds numpy arrays only (events never carry torch tensors, and this module imports no torch:
the window reads events before torch is needed). With its Resume, `train()`
continues exactly where the recorded run was: the weights, the optimizer's moments, the learning
rate scheduler, the generator that shuffles the mini-batches and torch's global generator (which
draws the dropout masks), so a branch that changes nothing repeats its parent bit for bit on the CPU.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import Experiment


@dataclass(frozen=True)
class Frame:
    epoch: int                          # 0-based: the state at the END of this epoch
    state: dict[str, np.ndarray]        # model.state_dict()
    grads: dict[str, np.ndarray]        # parameter name -> the gradient of the epoch's last batch
    optimizer: dict[str, Any]           # optimizer.state_dict(), tensors as numpy
    scheduler: dict[str, Any] | None    # the learning-rate scheduler's state_dict, or None
    rng: dict[str, np.ndarray]          # "shuffle", "torch" (and "cuda"): generator states, uint8
    best_epoch: int                     # the best epoch so far (<= epoch) and its validation loss
    best_val_loss: float
    on_stride: bool = True              # recorded on the run's spacing; False: kept as a best or last epoch

    def nbytes(self) -> int:
        return self._nbytes

    @functools.cached_property
    def _nbytes(self) -> int:   # asked for on every add and drop of a timeline: counted once
        return sum(_nbytes(part) for part in (self.state, self.grads, self.optimizer, self.scheduler, self.rng))


@dataclass(frozen=True)
class Resume:
    """Where a branch starts: a frame of the parent run, the parent's experiment, its history up to and
    including the frame's epoch, and the best weights so far (restore_best puts them back at the end)."""
    frame: Frame
    experiment: Experiment
    history: list[dict[str, Any]]
    best_state: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def start_epoch(self) -> int:
        return self.frame.epoch + 1


def _nbytes(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0
