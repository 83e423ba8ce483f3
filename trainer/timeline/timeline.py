"""A run's recorded epochs within a memory budget: every epoch for small models, a spacing for large ones.

The loop (trainer/timeline/recorder.py) picks the spacing once from the first frame's size and the
run's epochs: at most half the budget goes to frames on the spacing, and each of those names one
best epoch that is kept beside it, so the frames never need more than the budget. The first epoch,
the best epoch so far and the last one are always kept.
"""
from __future__ import annotations

import bisect
import collections
import math

import numpy as np

from .frame import Frame

DEFAULT_BUDGET = 256 * 2**20    # bytes a run's timeline may hold


def stride_for(frame_bytes: int, epochs: int, budget: int = DEFAULT_BUDGET) -> int:
    """Record every stride-th epoch so that the frames on it, each with one best frame beside it, fit."""
    fits = max(1, budget // (2 * max(frame_bytes, 1)) - 1)   # -1: room for the last epoch off the spacing
    return max(1, math.ceil(epochs / fits))


class Timeline:
    """The frames of one run (or branch), by epoch."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET):
        self.budget = budget_bytes
        self._frames: dict[int, Frame] = {}
        self.epochs: list[int] = []                 # ascending
        # best_epoch -> how many later frames name it as their best (a frame naming itself is not counted)
        self._named_best: collections.Counter = collections.Counter()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self.epochs)

    def __contains__(self, epoch: int) -> bool:
        return epoch in self._frames

    def add(self, frame: Frame) -> None:
        """Keep `frame`; the frame it replaces as the newest goes unless the spacing or a best keeps it."""
        previous = self._frames.get(self.epochs[-1]) if self.epochs else None
        if frame.epoch in self._frames:
            self._drop(frame.epoch)
        self._frames[frame.epoch] = frame
        bisect.insort(self.epochs, frame.epoch)
        if frame.best_epoch != frame.epoch:
            self._named_best[frame.best_epoch] += 1
        self._bytes += frame.nbytes()
        if previous is not None and previous.epoch != frame.epoch:
            self._release(previous)

    def _release(self, frame: Frame) -> None:
        """A frame that is no longer the newest stays only on the spacing or as a kept frame's best."""
        if not frame.on_stride and self._named_best[frame.epoch] == 0:
            self._drop(frame.epoch)

    def _release_best(self, epoch: int) -> None:
        frame = self._frames.get(epoch)
        if frame is not None and not frame.on_stride and self._named_best[epoch] == 0 \
                and epoch != self.epochs[-1]:
            self._drop(epoch)

    def _drop(self, epoch: int) -> None:
        frame = self._frames.pop(epoch)
        self.epochs.remove(epoch)
        self._bytes -= frame.nbytes()
        if frame.best_epoch != epoch:
            self._named_best[frame.best_epoch] -= 1
            self._release_best(frame.best_epoch)

    def frame(self, epoch: int) -> Frame:
        return self._frames[epoch]

    def nearest(self, epoch: int) -> Frame:
        """The recorded frame nearest to `epoch` (the earlier one on a tie); IndexError when empty."""
        if not self.epochs:
            raise IndexError("nothing recorded")
        i = bisect.bisect_left(self.epochs, epoch)
        candidates = self.epochs[max(i - 1, 0):i + 1]
        return self._frames[min(candidates, key=lambda e: (abs(e - epoch), e))]

    def frames(self) -> list[Frame]:
        return [self._frames[e] for e in self.epochs]

    def states(self) -> list[dict[str, np.ndarray]]:
        """The model's states in epoch order: the path the weights took."""
        return [self._frames[e].state for e in self.epochs]

    def nbytes(self) -> int:
        return self._bytes
