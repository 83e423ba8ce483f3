"""How a branch picks up its parent's optimizer from a recorded frame (trainer.loop calls it)."""
from __future__ import annotations

from typing import Any, Callable

import torch

from ..config import Experiment
from .frame import Resume
from .tensors import to_torch


def restore_optimizer(optimizer: torch.optim.Optimizer, resume: Resume, experiment: Experiment,
                      lr: float, make_scheduler: Callable[[], Any]):
    """Load the parent's optimizer state into `optimizer` (built for `experiment`) and return the
    scheduler to go on with.

    Unchanged optimizer settings: the parent's state exactly (moments, step counts, the decayed
    learning rate, the scheduler), so a branch that changes nothing repeats its parent. Changed ones:
    the same optimizer keeps its moments with the new settings, the learning rate where the new
    settings' decay would have taken it by the branch's first epoch; another optimizer starts fresh.
    """
    frame, parent = resume.frame, resume.experiment
    same_kind = parent.optim.name == experiment.optim.name
    if parent.optim == experiment.optim and parent.train.mistake == experiment.train.mistake:
        _load(optimizer, frame.optimizer)
        scheduler = make_scheduler()
        if scheduler is not None and frame.scheduler is not None:
            scheduler.load_state_dict(frame.scheduler)
        return scheduler
    if same_kind:
        settings = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        _load(optimizer, frame.optimizer)
        for group, fresh in zip(optimizer.param_groups, settings):
            group.update(fresh)
    for group in optimizer.param_groups:
        group["lr"] = lr * experiment.optim.lr_decay ** resume.start_epoch
        group.pop("initial_lr", None)     # the new scheduler takes the lr above as its start
    return make_scheduler()


def _load(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """load_state_dict, then each moment laid out in memory as its parameter is (a CNN's are channels-last):
    the fused step walks a parameter and its moments as flat memory, so a contiguous moment beside a
    channels-last weight pairs the wrong elements."""
    optimizer.load_state_dict(to_torch(state))
    for param, values in optimizer.state.items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor) and value.shape == param.shape and value.stride() != param.stride():
                values[key] = torch.empty_like(param).copy_(value)
