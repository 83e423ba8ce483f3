"""The loop's side of the timeline: takes a Frame at the end of each epoch, hands out the ones to keep.

Every epoch's frame is taken (a few copies: on the spiral ~30 small tensors, on the MNIST MLPs a
few MB against an epoch of seconds) so that the last epoch is always there however the run ends;
only the epochs on the spacing (trainer/timeline/timeline.stride_for), new best epochs and the last
epoch are yielded to whoever keeps the timeline.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .frame import Frame
from .tensors import to_numpy
from .timeline import stride_for


class Recorder:
    """Frames of one run. `rng_before(epoch)` gives torch's generator state at the start of an epoch's
    draws (the dropout helper thread draws ahead, so the generator itself may already be further)."""

    def __init__(self, budget_bytes: int, epochs: int, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 scheduler, shuffle: torch.Generator, rng_before: Callable[[int], torch.Tensor]):
        self.budget, self.epochs = budget_bytes, epochs
        self.model, self.optimizer, self.scheduler, self.shuffle = model, optimizer, scheduler, shuffle
        self.rng_before = rng_before
        self.named = list(model.named_parameters())
        self.stride = 0              # chosen from the first frame's size
        self.pending: Frame | None = None   # the newest frame, not yet handed out

    def take(self, epoch: int, best_epoch: int, best_val_loss: float) -> Frame | None:
        """Record the end of `epoch`; the frame to keep now, or None when only held as the possible last."""
        rng = {"shuffle": self.shuffle.get_state().numpy().copy(),
               "torch": self.rng_before(epoch + 1).numpy().copy()}
        if torch.cuda.is_available() and next(self.model.parameters()).is_cuda:
            rng["cuda"] = torch.cuda.get_rng_state().numpy().copy()
        frame = Frame(epoch=epoch, state=to_numpy(self.model.state_dict()),
                      grads={name: p.grad.detach().to("cpu", copy=True).numpy()
                             for name, p in self.named if p.grad is not None},
                      optimizer=to_numpy(self.optimizer.state_dict()),
                      scheduler=None if self.scheduler is None else to_numpy(self.scheduler.state_dict()),
                      rng=rng, best_epoch=best_epoch, best_val_loss=best_val_loss)
        if not self.stride:
            self.stride = stride_for(frame.nbytes(), self.epochs, self.budget)
        on_stride = epoch % self.stride == 0
        if on_stride or best_epoch == epoch:
            self.pending = None
            return frame if on_stride else _off_stride(frame)
        self.pending = _off_stride(frame)
        return None

    def last(self) -> Frame | None:
        """The newest frame when it was not handed out yet (the run's last epoch)."""
        frame, self.pending = self.pending, None
        return frame


def _off_stride(frame: Frame) -> Frame:
    return Frame(**{**frame.__dict__, "on_stride": False})


def as_uint8(state: np.ndarray) -> torch.Tensor:
    """A generator state recorded in a Frame, as the ByteTensor torch's set_state takes."""
    return torch.from_numpy(np.ascontiguousarray(state, dtype=np.uint8).copy())
