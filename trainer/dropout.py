"""Dropout masks drawn ahead on a helper thread: nn.Dropout's numbers, off the training's critical path.

nn.Dropout draws each mask with torch's bernoulli_, which runs on one thread (~9 ns an element
here): a quarter of a spiral epoch and ~30% of an epoch on the seed's 5,000 MNIST images, while
the other core waits. A mask depends on nothing the step computes, only on torch's global
generator and the batch's shape, so a helper thread can draw the next ones while the current
batch trains, in exactly the order nn.Dropout would have: the run's numbers stay bit for bit
the seed's (tests/trainer/test_export.py checks the exported script, which uses nn.Dropout).

Only while training, only on the CPU (CUDA's dropout is a fused kernel with its own generator),
and only for 0 < p < 1 (p = 0 and p = 1 draw nothing in torch either).
"""
from __future__ import annotations

import os
import queue
import sys
import threading
from typing import Iterator

import torch
from torch import nn

_DONE = object()


class MaskSource:
    """Draws the masks of a plan in order on a helper thread; `take()` hands them out in that order.

    Nothing is drawn before `start()`; `close()` ends the thread (the loop does both around a run).
    """

    def __init__(self, plan: Iterator[tuple[tuple[int, int], float]], ahead: int):
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, args=(plan,), name="np-dropout-masks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take(self, shape: torch.Size) -> torch.Tensor:
        mask = self._queue.get()
        if isinstance(mask, BaseException):
            raise mask
        if mask is _DONE or mask.shape != shape:
            # A plan that does not match the forwards would silently change the run: refuse instead.
            raise RuntimeError(f"dropout mask plan out of step with the training (wanted {tuple(shape)}, "
                               f"planned {'nothing' if mask is _DONE else tuple(mask.shape)})")
        return mask

    def close(self) -> None:
        """Stop drawing (masks drawn ahead are dropped) and wait for the helper thread."""
        self._stop.set()
        while self._thread.ident is not None and self._thread.is_alive():
            try:
                self._queue.get_nowait()   # a helper blocked on a full queue gets its place and sees the stop
            except queue.Empty:
                pass
            self._thread.join(0.01)

    def _draw(self, plan: Iterator[tuple[tuple[int, int], float]]) -> None:
        _yield_to_the_training()
        try:
            for shape, keep in plan:
                # What torch's dropout does (ATen's _dropout_impl): empty_like, bernoulli_(1 - p), div_(1 - p).
                self._put(torch.empty(shape).bernoulli_(keep).div_(keep))
                if self._stop.is_set():
                    return
            self._put(_DONE)
        except BaseException as exc:  # noqa: BLE001 -- handed to the training thread, which raises it
            self._put(exc)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue


def _yield_to_the_training() -> None:
    """Lowest scheduling priority for this thread (Linux: a thread is a task with its own nice value).

    Where the training uses every core (2 intra-op threads on the MNIST subset), a helper competing
    as an equal stalls each parallel product on its slowest thread; at nice 19 it draws in the gaps
    and on an idle core (measured, medians of 4: MNIST subset 19.2 -> 20.5 epochs/s, spiral 775 ->
    956; nice 0 gave 20.4 and 902). When it falls behind, the loop waits for it: never worse than
    drawing in line.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass


class PrefetchedDropout(nn.Dropout):
    """nn.Dropout whose training masks come from a MaskSource (its eval mode is nn.Dropout's)."""

    def __init__(self, p: float, source: MaskSource):
        super().__init__(p)
        self.source = source

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        return x * self.source.take(x.shape)


def prefetch_masks(model: nn.Sequential, input_dim: int, rows_per_batch: list[int],
                   epochs: int) -> MaskSource | None:
    """Swap the model's drawing Dropout layers for PrefetchedDropout fed by one MaskSource (not yet
    started), or None when none draws.

    rows_per_batch: the row count of each training batch of an epoch, in order; the training
    forwards must then come as the loop makes them, epoch after epoch, batch after batch.
    """
    if any(isinstance(module, nn.Unflatten) for module in model):
        # A CNN (models.build_model starts it with Unflatten): its masks would have its maps' shapes,
        # and its convolutions, not the masks, dominate a step; nn.Dropout draws the same numbers in line.
        return None
    drawing = []   # (index in the model, width of its input, keep probability)
    width = input_dim
    for i, module in enumerate(model):
        if isinstance(module, nn.Linear):
            width = module.out_features
        elif type(module) is nn.Dropout and 0.0 < module.p < 1.0:
            drawing.append((i, width, 1.0 - module.p))
    if not drawing:
        return None

    def plan() -> Iterator[tuple[tuple[int, int], float]]:
        for _ in range(epochs):
            for rows in rows_per_batch:
                for _, w, keep in drawing:
                    yield (rows, w), keep

    # A little over one full-batch epoch ahead; for mini-batches a few batches.
    source = MaskSource(plan(), ahead=max(4, 2 * len(drawing)))
    for i, _, _ in drawing:
        model[i] = PrefetchedDropout(model[i].p, source)
    return source
