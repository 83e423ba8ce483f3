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
# Epoch start states kept when no timeline asks for them: the helper draws at most a few epochs ahead.
_EPOCH_STARTS_KEPT = 16


class MaskSource:
    """Draws the masks of a plan in order on a helper thread; `take()` hands them out in that order.

    Nothing is drawn before `start()`; `close()` ends the thread (the loop does both around a run).
    """

    def __init__(self, plan: Iterator[tuple[tuple[int, int], float]], ahead: int):
        # torch's generator state as each epoch's first mask was about to be drawn (the plan records it)
        # (only the last few: plan() forgets older ones, the training never asks that far back)
        self.epoch_starts: dict[int, torch.Tensor] = {}
        self._queue: queue.Queue = queue.Queue()
        self._slots = threading.Semaphore(ahead)    # masks the helper may hold drawn ahead
        self._plan = plan
        # Whoever draws holds this from taking the plan's next item until its mask is queued (the
        # helper) or handed out (the training thread): masks are drawn, queued and used in plan order.
        # The helper waits for a free slot before it takes the lock, never while holding it.
        self._drawing = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="np-dropout-masks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def take(self, shape: torch.Size) -> torch.Tensor:
        try:
            mask = self._queue.get_nowait()
            self._slots.release()
        except queue.Empty:
            mask = self._draw_here()
        if isinstance(mask, BaseException):
            raise mask
        if mask is _DONE or mask.shape != shape:
            # A plan that does not match the forwards would silently change the run: refuse instead.
            raise RuntimeError(f"dropout mask plan out of step with the training (wanted {tuple(shape)}, "
                               f"planned {'nothing' if mask is _DONE else tuple(mask.shape)})")
        return mask

    def rng_before(self, epoch: int) -> torch.Tensor:
        """torch's generator state before the masks of the plan's `epoch` (0 = its first) were drawn.

        A frame of the timeline records it: the helper has drawn ahead, so the generator itself is
        already further on. An epoch not reached yet starts where the generator is now (nothing of
        it has been drawn, and nothing is drawn while we hold the lock)."""
        start = self.epoch_starts.get(epoch)   # usually drawn already: no wait for the helper's lock
        if start is None:
            with self._drawing:
                start = self.epoch_starts.get(epoch)
                if start is None:
                    return torch.get_rng_state()
        return start

    def close(self) -> None:
        """Stop drawing (masks drawn ahead are dropped) and wait for the helper thread."""
        self._stop.set()              # a helper waiting for a slot sees it within 50 ms
        if self._thread.ident is not None:
            self._thread.join()

    def _draw_here(self):
        """The helper fell behind (a busy machine runs a nice-19 thread rarely): the training thread
        draws the next mask itself instead of waiting, so prefetching is never slower than nn.Dropout."""
        with self._drawing:
            try:
                mask = self._queue.get_nowait()   # queued while we waited for the lock
                self._slots.release()
                return mask
            except queue.Empty:
                pass
            item = next(self._plan, None)
            return _DONE if item is None else _mask(*item)

    def _draw(self) -> None:
        _yield_to_the_training()
        try:
            while not self._stop.is_set():
                if not self._slots.acquire(timeout=0.05):
                    continue
                with self._drawing:
                    item = next(self._plan, None)
                    self._queue.put(_DONE if item is None else _mask(*item))
                if item is None:
                    return
        except BaseException as exc:  # noqa: BLE001 -- handed to the training thread, which raises it
            self._queue.put(exc)


def _mask(shape: tuple[int, int], keep: float) -> torch.Tensor:
    """What torch's dropout does (ATen's _dropout_impl): empty_like, bernoulli_(1 - p), div_(1 - p)."""
    return torch.empty(shape).bernoulli_(keep).div_(keep)


def _yield_to_the_training() -> None:
    """Lowest scheduling priority for this thread (Linux: a thread is a task with its own nice value).

    Where the training uses every core (2 intra-op threads on the MNIST subset), a helper competing
    as an equal stalls each parallel product on its slowest thread; at nice 19 it draws in the gaps
    and on an idle core (measured, medians of 4: MNIST subset 19.2 -> 20.5 epochs/s, spiral 775 ->
    956; nice 0 gave 20.4 and 902). When it falls behind, the loop does not wait for it: never worse than
    drawing in line: the training thread then draws the next mask itself (MaskSource._draw_here).
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
        for epoch in range(epochs):
            # taken under the source's drawing lock, just before this epoch's first mask is drawn
            source.epoch_starts[epoch] = torch.get_rng_state()
            source.epoch_starts.pop(epoch - _EPOCH_STARTS_KEPT, None)   # the helper is never that far ahead
            for rows in rows_per_batch:
                for _, w, keep in drawing:
                    yield (rows, w), keep

    # A little over one full-batch epoch ahead; for mini-batches a few batches.
    source = MaskSource(plan(), ahead=max(4, 2 * len(drawing)))
    for i, _, _ in drawing:
        model[i] = PrefetchedDropout(model[i].p, source)
    return source
