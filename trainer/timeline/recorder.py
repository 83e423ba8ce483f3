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
                 scheduler, shuffle: torch.Generator, rng_before: Callable[[int], torch.Tensor],
                 shuffles: bool = True):
        self.budget, self.epochs = budget_bytes, epochs
        # A full-batch run never draws from `shuffle`: its state is read once and shared by every frame.
        self.shuffles, self._unshuffled = shuffles, None
        self.optimizer, self.scheduler, self.shuffle = optimizer, scheduler, shuffle
        self.rng_before = rng_before
        self.cuda = next(model.parameters()).is_cuda
        # state_dict()'s tensors share the parameters' storage: taken once, read at every epoch's end.
        self.state = model.state_dict()
        self.named = list(model.named_parameters())
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self._flat: _Flat | None = None
        self._index = {id(p): i for i, p in enumerate(self.params)}   # state_dict numbers the parameters
        self.stride = 0              # chosen from the first frame's size
        self.pending: Frame | None = None   # the newest frame, not yet handed out

    def take(self, epoch: int, best_epoch: int, best_val_loss: float) -> Frame | None:
        """Record the end of `epoch`; the frame to keep now, or None when only held as the possible last."""
        if self.shuffles or self._unshuffled is None:
            self._unshuffled = self.shuffle.get_state().numpy()
        rng = {"shuffle": self._unshuffled, "torch": self.rng_before(epoch + 1).numpy()}
        if self.cuda:
            rng["cuda"] = torch.cuda.get_rng_state().numpy()
        grads = [(name, p.grad) for name, p in self.named if p.grad is not None]
        kept = self._kept()
        copies = iter(kept.copy([g for _, g in grads]))
        state = {k: next(copies) for k in self.state}
        moments = {where: next(copies) for where in kept.moments}
        frame = Frame(epoch=epoch, state=state, grads={name: next(copies) for name, _ in grads},
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
        index = self._index
        groups = [{**{k: v for k, v in group.items() if k != "params"},
                   "params": [index[id(p)] for p in group["params"]]} for group in self.optimizer.param_groups]
        state = {index[id(p)]: {k: copied.get((index[id(p)], k), v) for k, v in values.items()}
                 for p, values in self.optimizer.state.items()}
        return {"state": state, "param_groups": groups}


class _Flat:
    """Copies of many small tensors as numpy arrays. On the CPU each tensor's numpy view is made once
    (they are updated in place) and numpy copies it: a torch copy costs ~3 us of dispatch per tensor,
    a third of a spiral epoch's recording. Elsewhere: one concatenation per dtype, moved to the CPU."""

    def __init__(self, tensors: list[torch.Tensor]):
        self.moments: list[tuple[int, str]] = []
        self.count = 0
        self._tensors = [t.detach() for t in tensors]
        self._numpy = [t.numpy() for t in self._tensors] if all(t.device.type == "cpu" for t in tensors) else None

    def copy(self, extra: list[torch.Tensor] = ()) -> list[np.ndarray]:
        """The tensors' copies, then those of `extra` (tensors new each time, e.g. the gradients)."""
        if self._numpy is not None and all(t.device.type == "cpu" for t in extra):
            return [v.copy() for v in self._numpy] + [t.detach().numpy().copy() for t in extra]
        tensors = [*self._tensors, *(t.detach() for t in extra)]
        by_dtype: dict[torch.dtype, list[int]] = {}
        for i, t in enumerate(tensors):
            by_dtype.setdefault(t.dtype, []).append(i)
        out: list[np.ndarray | None] = [None] * len(tensors)
        for indices in by_dtype.values():
            flat = torch.cat([tensors[i].reshape(-1) for i in indices]).cpu().numpy()
            at = 0
            for i in indices:
                out[i] = flat[at:at + tensors[i].numel()].reshape(tensors[i].shape)
                at += tensors[i].numel()
        return out  # type: ignore[return-value]


def _off_stride(frame: Frame) -> Frame:
    return dataclasses.replace(frame, on_stride=False)


def as_uint8(state: np.ndarray) -> torch.Tensor:
    """A generator state recorded in a Frame, as the ByteTensor torch's set_state takes."""
    return torch.from_numpy(np.ascontiguousarray(state, dtype=np.uint8).copy())
