"""The loop's side of the timeline: takes a Frame at the end of each epoch, hands out the ones to keep.

Every epoch's frame is taken (a few copies: on the spiral ~30 small tensors, on the MNIST MLPs a
few MB against an epoch of seconds) so that the last epoch is always there however the run ends;
only the epochs on the spacing (trainer/timeline/timeline.stride_for), new best epochs and the last
epoch are yielded to whoever keeps the timeline.
"""
from __future__ import annotations

import dataclasses
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
        self._flat: _Flat | None = None
        self.stride = 0              # chosen from the first frame's size
        self.pending: Frame | None = None   # the newest frame, not yet handed out

    def take(self, epoch: int, best_epoch: int, best_val_loss: float) -> Frame | None:
        """Record the end of `epoch`; the frame to keep now, or None when only held as the possible last."""
        rng = {"shuffle": self.shuffle.get_state().numpy(), "torch": self.rng_before(epoch + 1).numpy()}
        if self.cuda:
            rng["cuda"] = torch.cuda.get_rng_state().numpy()
        grads = [(name, p.grad) for name, p in self.named if p.grad is not None]
        kept = self._kept()
        copies = iter(kept.copy())
        state = {k: next(copies) for k in self.state}
        moments = {where: next(copies) for where in kept.moments}
        grad_copies = iter(_copy_grads([g for _, g in grads]))
        frame = Frame(epoch=epoch, state=state, grads={name: next(grad_copies) for name, _ in grads},
                      optimizer=self._optimizer_state(moments),
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


    def _kept(self) -> "_Flat":
        """The weights and the optimizer's moments, tensors updated in place from one epoch to the next:
        their flat views are made once (again only when the optimizer made new state, after its first step)."""
        count = sum(len(values) for values in self.optimizer.state.values())
        if self._flat is None or self._flat.count != count:
            moments = [(i, k, v) for i, p in enumerate(self.params)
                       for k, v in self.optimizer.state.get(p, {}).items() if isinstance(v, torch.Tensor)]
            self._flat = _Flat([*self.state.values(), *(v for _, _, v in moments)])
            self._flat.moments = [(i, k) for i, k, _ in moments]
            self._flat.count = count
        return self._flat

    def _optimizer_state(self, copied: dict[tuple[int, str], np.ndarray]) -> dict:
        """optimizer.state_dict()'s layout (what load_state_dict takes), from the moments copied above,
        without its per-call bookkeeping (a third of a spiral epoch's recording went there)."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]} for group in self.optimizer.param_groups]
        state = {index[id(p)]: {k: copied.get((index[id(p)], k), v) for k, v in values.items()}
                 for p, values in self.optimizer.state.items()}
        return {"state": state, "param_groups": groups}


class _Flat:
    """Copies of many small tensors as numpy arrays with one concatenation per dtype, from views made
    once: a copy each cost three times as much on the spiral's ~20 tensors an epoch."""

    def __init__(self, tensors: list[torch.Tensor]):
        self.moments: list[tuple[int, str]] = []
        self.count = 0
        self._n = len(tensors)
        self._groups: list[tuple[list[torch.Tensor], list[tuple[int, int, tuple[int, ...]]]]] = []
        by_dtype: dict[torch.dtype, list[int]] = {}
        for i, t in enumerate(tensors):
            by_dtype.setdefault(t.dtype, []).append(i)
        for indices in by_dtype.values():
            self._groups.append(([tensors[i].detach().view(-1) for i in indices],
                                 [(i, tensors[i].numel(), tuple(tensors[i].shape)) for i in indices]))

    def copy(self) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * self._n
        for views, places in self._groups:
            flat = torch.cat(views).cpu().numpy()
            at = 0
            for i, n, shape in places:
                out[i] = flat[at:at + n].reshape(shape)
                at += n
        return out  # type: ignore[return-value]


def _copy_grads(grads: list[torch.Tensor]) -> list[np.ndarray]:
    """The gradients (new tensors at every backward, so no views to keep), in one concatenation."""
    if not grads:
        return []
    if any(g.dtype != grads[0].dtype for g in grads):
        return _Flat(grads).copy()
    flat = torch.cat([g.detach().view(-1) for g in grads]).cpu().numpy()
    out, at = [], 0
    for g in grads:
        n = g.numel()
        out.append(flat[at:at + n].reshape(g.shape))
        at += n
    return out


def _off_stride(frame: Frame) -> Frame:
    return dataclasses.replace(frame, on_stride=False)


def as_uint8(state: np.ndarray) -> torch.Tensor:
    """A generator state recorded in a Frame, as the ByteTensor torch's set_state takes."""
    return torch.from_numpy(np.ascontiguousarray(state, dtype=np.uint8).copy())
