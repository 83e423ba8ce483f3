"""State dicts between torch and the numpy a Frame holds."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


def to_numpy(value: Any) -> Any:
    """A copy of a state_dict-like structure with every tensor as a numpy array (detached, on the CPU)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
        return (value.clone() if value.device.type == "cpu" else value.cpu()).numpy()
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_numpy(v) for v in value)
    return value


def to_torch(value: Any) -> Any:
    """The inverse of to_numpy: numpy arrays back as tensors (for load_state_dict)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_torch(v) for v in value)
    return value
