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
        self.optimizer, self.scheduler, self.shuffle = optimizer, scheduler, shuffle
        self.rng_before = rng_before
        self.cuda = next(model.parameters()).is_cuda
        # state_dict()'s tensors share the parameters' storage: taken once, read at every epoch's end.
        self.state = model.state_dict()
        self.named = list(model.named_parameters())
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.stride = 0              # chosen from the first frame's size
        self.pending: Frame | None = None   # the newest frame, not yet handed out

    def take(self, epoch: int, best_epoch: int, best_val_loss: float) -> Frame | None:
        """Record the end of `epoch`; the frame to keep now, or None when only held as the possible last."""
        rng = {"shuffle": self.shuffle.get_state().numpy(), "torch": self.rng_before(epoch + 1).numpy()}
        if self.cuda:
            rng["cuda"] = torch.cuda.get_rng_state().numpy()
        grads = [(name, p.grad) for name, p in self.named if p.grad is not None]
        moments = [(i, k, v) for i, p in enumerate(self.params) for k, v in self.optimizer.state.get(p, {}).items()
                   if isinstance(v, torch.Tensor)]
        copies = iter(_copy_all([*self.state.values(), *(g for _, g in grads), *(v for _, _, v in moments)]))
        state = {k: next(copies) for k in self.state}
        frame = Frame(epoch=epoch, state=state, grads={name: next(copies) for name, _ in grads},
                      optimizer=self._optimizer_state({(i, k): next(copies) for i, k, _ in moments}),
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


    def _optimizer_state(self, copied: dict[tuple[int, str], np.ndarray]) -> dict:
        """optimizer.state_dict()'s layout (what load_state_dict takes), from the moments copied above,
        without its per-call bookkeeping (a third of a spiral epoch's recording went there)."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]} for group in self.optimizer.param_groups]
        state = {index[id(p)]: {k: copied.get((index[id(p)], k), v) for k, v in values.items()}
                 for p, values in self.optimizer.state.items()}
        return {"state": state, "param_groups": groups}


def _copy_all(tensors: list[torch.Tensor]) -> list[np.ndarray]:
    """Copies of many small tensors as numpy arrays, one concatenation per dtype: a copy each cost
    three times as much on the spiral's ~20 tensors an epoch."""
    out: list[np.ndarray | None] = [None] * len(tensors)
    by_dtype: dict[torch.dtype, list[int]] = {}
    for i, t in enumerate(tensors):
        by_dtype.setdefault(t.dtype, []).append(i)
    for indices in by_dtype.values():
        flat = torch.cat([tensors[i].detach().reshape(-1) for i in indices]).cpu().numpy()
        at = 0
        for i in indices:
            n = tensors[i].numel()
            out[i] = flat[at:at + n].reshape(tensors[i].shape)
            at += n
    return out  # type: ignore[return-value]


def _off_stride(frame: Frame) -> Frame:
    return Frame(**{**frame.__dict__, "on_stride": False})


def as_uint8(state: np.ndarray) -> torch.Tensor:
    """A generator state recorded in a Frame, as the ByteTensor torch's set_state takes."""
    return torch.from_numpy(np.ascontiguousarray(state, dtype=np.uint8).copy())
