"""What a branch may change (no torch here: the window imports it before torch is loaded).

A branch trains the same weights on from a recorded epoch, so it keeps everything that decides
the model's shapes and what the data are; it may change how the weights are trained on.
"""
from __future__ import annotations

import re
from typing import Any

from ..config import ConfigError, Experiment

# Settings a branch may change (dotted paths as the JSON and --set name them; [*] is any layer), with the
# words the window's docks use for them (a branch's label in the list and the messages say those).
BRANCHABLE = {
    "name": "name", "description": "description",
    "optim.name": "optimizer", "optim.lr": "learning rate", "optim.momentum": "momentum",
    "optim.weight_decay": "weight decay", "optim.lr_decay": "LR decay", "train.epochs": "epochs",
    "train.batch_size": "batch", "train.patience": "early stop", "train.restore_best": "restore best",
    "train.device": "device", "train.mistake": "mistake",
    "model.layers[*].p": "dropout",          # a dropout layer's rate
    "data.extra_points": "added points",     # points added on the plane
}
# Why a branch keeps the other settings, by the first part of their path (the longest match wins).
KEPT = {
    "data": "the data it trained on",
    "model": "the network's layers and shapes",
    "model.init": "the starting weights",
    "train.seed": "the seed (it chose the starting weights and the data's order)",
}
_ANY_LAYER = re.compile(r"\[\d+\]")


def setting_name(path: str) -> str:
    """The docks' word for a setting a branch may change (the path itself for any other)."""
    return BRANCHABLE.get(_ANY_LAYER.sub("[*]", path), path)


def branch_problem(parent: Experiment, child: Experiment) -> ConfigError | None:
    """The first setting `child` changes that a branch must keep, as a ConfigError naming it; None if none."""
    for path, before, after in differences(parent.to_dict(), child.to_dict(), ""):
        if _ANY_LAYER.sub("[*]", path) not in BRANCHABLE:
            kept = next((KEPT[p] for p in sorted(KEPT, key=len, reverse=True)
                         if path == p or path.startswith(p + ".")), "the model and its data")
            return ConfigError(path, f"a branch keeps {kept}, so this cannot change ({_short(before)} -> "
                                     f"{_short(after)}); put it back, or press Train for a new run")
    return None


def differences(a: Any, b: Any, path: str):
    """(path, before, after) for each setting that differs, paths as --set names them."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            yield from differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and path != "data.extra_points":
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def _short(value: Any) -> str:
    text = f"{len(value)} items" if isinstance(value, list) and len(value) > 3 else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
