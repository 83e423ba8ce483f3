"""Save and load a trained model with its experiment and history.

One file, written with torch.save and read back with `weights_only=True`, so
loading never unpickles arbitrary objects. The experiment, history and metrics
travel as JSON text inside it. Saves go through `atomic.atomic_write`, so a crash
mid-save leaves the previous file intact.

Since format version 2 the file may also keep the run's timeline and branches (a RunTree,
trainer/timeline/runs.py): each branch's experiment, history and metrics as JSON text like the
model's own, its recorded frames as tensors (trainer/timeline/files.py). A version 1 file (no
timeline) still opens, with `Checkpoint.tree` None.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .atomic import atomic_write
from .config import ConfigError, Experiment
from .events import Finished
from .models import model_from_state
from .timeline.branching import branch_problem
from .timeline.files import pack_timeline, unpack_timeline
from .timeline.runs import MAIN, Branch, RunTree

FORMAT = "neural-playground-checkpoint"
VERSION = 2          # 2: may keep the run's timeline and branches ("timeline"); 1: the model alone
FILENAME = "model.pt"


class CheckpointError(RuntimeError):
    """The file is not a checkpoint this program can load.

    str(): the file and why, in words a learner understands (what the dialog shows).
    detail: the technical reason on one line (the exception torch raised, the key that is missing), for
    the log; the same as the message where there is nothing more to say.
    """

    def __init__(self, path: str | os.PathLike, message: str, detail: str = ""):
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
        self.message = message
        self.detail = " ".join((detail or message).split())


EXPERIMENT_FILE = "this is an experiment file (settings), not a trained model: use File > Open experiment"
NOT_A_MODEL = "not a Neural Playground model file, or it is damaged"
HOLDS_OBJECTS = ("not a Neural Playground model file: it holds Python objects, which are never opened, "
                 "for safety (nothing in it ran)")


@dataclass
class Checkpoint:
    model: nn.Module              # in eval mode
    experiment: Experiment
    history: list[dict[str, Any]]
    metrics: dict[str, Any]       # test metrics as JSON numbers (no per-sample arrays)
    norm: tuple[float, float]     # the input normalisation the model was trained with
    path: Path
    tree: RunTree | None = None   # the run's timeline and branches; None when saved without (or before them)


def _file_for(path: str | os.PathLike) -> Path:
    """A folder (or a name without suffix that is no file) holds model.pt; anything else is the file itself.

    The command line's --out names a folder; a file a user named without a suffix still loads."""
    p = Path(path)
    if p.is_dir() or (p.suffix == "" and not p.is_file()):
        return p / FILENAME
    return p


def _jsonable_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in metrics.items():
        if key in ("predictions", "confidence", "probabilities"):
            continue  # per-sample arrays are recomputed from the model when needed
        out[key] = value.tolist() if isinstance(value, np.ndarray) else value
    return out


def save(path: str | os.PathLike, experiment: Experiment, finished: Finished, tree: RunTree | None = None) -> Path:
    """Write the model, experiment, history and test metrics atomically; returns the file.

    `tree`: the run's timeline and branches, kept in the same file (its current branch should be the run
    `finished` ends: the one a later `python -m trainer branch` trains on from)."""
    return save_state(path, experiment, finished.state, finished.history, finished.metrics,
                      tuple(finished.extra.get("norm", (0.0, 1.0))), tree)


def save_state(path: str | os.PathLike, experiment: Experiment, state: dict[str, np.ndarray],
               history: list[dict[str, Any]], metrics: dict[str, Any],
               norm: tuple[float, float] = (0.0, 1.0), tree: RunTree | None = None) -> Path:
    target = _file_for(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "experiment": experiment.to_json(indent=None),
        "history": json.dumps(history),
        "metrics": json.dumps(_jsonable_metrics(metrics)),
        "norm": [float(norm[0]), float(norm[1])],
        "state_dict": {k: torch.as_tensor(np.asarray(v)).clone() for k, v in state.items()},
        "timeline": None if tree is None else _pack_tree(tree),
    }
    return atomic_write(target, lambda f: torch.save(payload, f))


def load(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint back: the model in eval mode, its experiment, history and metrics."""
    target = _file_for(path)
    if not target.exists():
        raise CheckpointError(target, "no such file")
    try:
        with warnings.catch_warnings():  # a foreign pickle makes torch warn about its protocol; we refuse it below
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(target, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError,
            AttributeError, KeyError, TypeError, IndexError, UnicodeDecodeError, OSError) as exc:
        detail = _load_failure(exc)
        if _is_experiment_file(target):
            raise CheckpointError(target, EXPERIMENT_FILE, detail) from None
        refused = isinstance(exc, pickle.UnpicklingError) and "Unsupported global" in str(exc)
        raise CheckpointError(target, HOLDS_OBJECTS if refused else NOT_A_MODEL, detail) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        what = type(payload).__name__ if not isinstance(payload, dict) else "no format marker"
        raise CheckpointError(target, "not a Neural Playground model file", f"not a Neural Playground model file "
                                                                          f"({what})")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(target, "not a Neural Playground model file",
                              f"not a Neural Playground model file (format version {version!r:.40})")
    if version > VERSION:
        raise CheckpointError(target, "saved by a newer version of Neural Playground; update the app to load it",
                              f"written by a newer version (format {version})")
    try:
        if not isinstance(payload.get("experiment"), str):
            raise TypeError(f"the experiment is {type(payload.get('experiment')).__name__}, not JSON text")
        experiment = Experiment.from_json(payload["experiment"])
        history = json.loads(payload["history"])
        metrics = json.loads(payload["metrics"])
        norm = tuple(float(v) for v in payload.get("norm", (0.0, 1.0)))
        state = payload["state_dict"]
        _check_record(history, metrics, norm, experiment)
    except ConfigError as exc:    # the settings' own message names the field: a learner can read it
        raise CheckpointError(target, f"its experiment is invalid ({exc})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(target, "the file is damaged: part of what was saved with the model is missing or wrong",
                              f"damaged ({type(exc).__name__}: {str(exc)[:200]})") from None
    try:
        model = model_from_state(experiment, state)
    except (RuntimeError, TypeError, AttributeError, ValueError) as exc:
        detail = " ".join(str(exc).split())   # torch's message spans lines: which key, which shape
        raise CheckpointError(target, "the file is damaged: its weights do not fit its architecture",
                              f"its weights do not fit its architecture ({detail[:240]})") from None
    if not all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise CheckpointError(target, "the file is damaged: its weights are not all finite numbers",
                              "damaged (its weights are not all finite numbers)")
    tree = None
    if payload.get("timeline") is not None:     # version 1 files have none; version 2 ones may not
        try:
            tree = _unpack_tree(payload["timeline"], experiment, model, norm)  # type: ignore[arg-type]
        except ConfigError as exc:
            raise CheckpointError(target, f"the file is damaged: a branch in its timeline has an invalid experiment "
                                          f"({exc})") from None
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            raise CheckpointError(target, "the file is damaged: its timeline (the recorded epochs and branches) "
                                          "is missing or wrong",
                                  f"damaged timeline ({type(exc).__name__}: {str(exc)[:240]})") from None
    return Checkpoint(model, experiment, history, metrics, norm, target, tree)  # type: ignore[arg-type]


def _pack_tree(tree: RunTree) -> dict[str, Any]:
    """The RunTree as plain data; branches in the tree's order, so a parent comes before its branches."""
    return {"budget": int(tree.budget), "current": tree.current, "made": tree.made,
            "branches": [{"key": b.key, "label": b.label, "experiment": b.experiment.to_json(indent=None),
                          "parent": b.parent, "from_epoch": b.from_epoch, "history": json.dumps(b.history),
                          "metrics": json.dumps(_jsonable_metrics(b.metrics)), "reason": b.reason,
                          "frames": pack_timeline(b.timeline)}
                         for b in tree.branches.values()]}


def _unpack_tree(raw: Any, experiment: Experiment, model: nn.Module, norm: tuple[float, float]) -> RunTree:
    """The RunTree of a file's "timeline" part; ValueError (or ConfigError) naming what is wrong."""
    if not isinstance(raw, dict) or not isinstance(raw.get("branches"), list) or not raw["branches"]:
        raise ValueError("the timeline holds no branches")
    budget, made = raw.get("budget"), raw.get("made")
    if not (_count(budget) and budget > 0 and _count(made)):
        raise ValueError(f"the budget {budget!r:.40} or the branch count {made!r:.40} is not a count")
    model_state = model.state_dict()
    parameters = {name for name, _ in model.named_parameters()}
    tree: RunTree | None = None
    for i, b in enumerate(raw["branches"]):
        key = b.get("key") if isinstance(b, dict) else None
        if not (isinstance(key, str) and 0 < len(key) <= 40) or (tree is not None and key in tree.branches):
            raise ValueError(f"branch {i}: its key {key!r:.50} is not a new short name")
        if (key == MAIN) != (i == 0):
            raise ValueError(f"branch {key}: the run itself ({MAIN!r}) must come first, and once")
        try:
            branch = _unpack_branch(b, tree, experiment, model_state, parameters, budget, norm)
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"branch {key}: {exc}") from None
        if tree is None:
            tree = RunTree(branch.experiment, budget)
        tree.branches[key] = branch
    assert tree is not None
    if raw.get("current") not in tree.branches:
        raise ValueError(f"the current branch {raw.get('current')!r:.40} is not one of them")
    tree.current = raw["current"]
    numbered = [int(k[1:]) for k in tree.branches if re.fullmatch(r"b\d{1,9}", k)]
    tree.made = max([made, *numbered])   # the next branch's key must be new
    return tree


def _unpack_branch(b: dict, tree: RunTree | None, experiment: Experiment, model_state: dict[str, torch.Tensor],
                   parameters: set[str], budget: int, norm: tuple[float, float]) -> Branch:
    """One branch of the file (`tree`: the branches before it, None for the run itself)."""
    parent, from_epoch = b.get("parent"), b.get("from_epoch")
    if not isinstance(b.get("experiment"), str):
        raise TypeError("its experiment is not JSON text")
    exp = Experiment.from_json(b["experiment"])
    if (problem := branch_problem(experiment, exp)) is not None:
        raise ValueError(f"it does not fit the saved model ({problem})")
    history, metrics = json.loads(b["history"]), json.loads(b["metrics"])
    _check_record(history, metrics, norm, exp)
    if not isinstance(b.get("label"), str) or not isinstance(b.get("reason"), str):
        raise ValueError("its label or how it ended is not text")
    timeline = unpack_timeline(b.get("frames"), budget, model_state, parameters)
    if tree is None:
        if parent is not None or from_epoch is not None:
            raise ValueError(f"the run itself has a parent ({parent!r:.40})")
    else:
        if parent not in tree.branches:
            raise ValueError(f"its parent {parent!r:.40} is not an earlier branch")
        if not (_count(from_epoch) and from_epoch in tree.epochs(parent)):
            raise ValueError(f"it starts from epoch {from_epoch!r:.40}, which its parent did not record")
        if timeline.epochs and timeline.epochs[0] <= from_epoch:
            raise ValueError(f"it records epoch {timeline.epochs[0]}, before its own first ({from_epoch + 1})")
    if timeline.epochs and timeline.epochs[-1] >= len(history):
        raise ValueError(f"it records epoch {timeline.epochs[-1]} of {len(history)} in its history")
    return Branch(b["key"], b["label"], exp, parent, from_epoch, history, timeline, metrics, b["reason"])


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_experiment_file(target: Path) -> bool:
    """Whether a file torch could not read is an experiment's JSON (File > Save experiment writes those).

    Only looked at after torch.load failed, and only a small file: experiments are a few kB."""
    try:
        if target.stat().st_size > 4_000_000:
            return False
        raw = json.loads(target.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(raw, dict) and ("schema" in raw or {"data", "model"} <= raw.keys())


def _load_failure(exc: BaseException) -> str:
    """Why torch.load refused a file, on one line, for the log.

    torch's own text for a refused pickle advises re-running with weights_only=False (exactly
    what must not be done with a file from elsewhere) and carries terminal colour codes: only
    the unpickler's own reason is kept.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    if isinstance(exc, pickle.UnpicklingError):
        found = re.search(r"WeightsUnpickler error:\s*([^\n]+)", text)
        reason = found.group(1).strip() if found else (text.splitlines()[0] if text else "")
        reason = reason.split(". ")[0]       # the rest is torch's advice on how to allow it
        return f"refused by the weights-only unpickler: {reason[:200]}".rstrip(": ")
    if isinstance(exc, EOFError):
        return "it ends too early" if text == "" else f"it ends too early: {text[:100]}"
    first = text.splitlines()[0].split(". ")[0] if text else type(exc).__name__
    return f"{type(exc).__name__}: {first[:200]}"


def _check_record(history: Any, metrics: Any, norm: tuple[float, ...], experiment: Experiment) -> None:
    """The shapes the app reads back (curves, accuracy, confusion matrix, input scaling); ValueError if not."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if not isinstance(history, list):
        raise ValueError("the history is not a list of epochs")
    for i, rec in enumerate(history):
        if not (isinstance(rec, dict) and all(number(rec.get(k)) for k in ("epoch", "train_loss", "val_loss"))
                and all(rec.get(k) is None or number(rec[k]) for k in ("train_acc", "val_acc"))):
            raise ValueError(f"history[{i}] is not an epoch record")
    if not isinstance(metrics, dict):
        raise ValueError("the test metrics are not an object")
    if "confusion" in metrics:
        from .config import n_classes
        k, cm = n_classes(experiment.data), metrics["confusion"]
        if not (isinstance(cm, list) and len(cm) == k
                and all(isinstance(row, list) and len(row) == k and all(number(c) and c >= 0 for c in row)
                        for row in cm)):
            raise ValueError(f"the confusion matrix is not {k}x{k} counts")
    if len(norm) != 2 or not all(np.isfinite(norm)) or norm[1] <= 0:
        raise ValueError(f"the input normalisation {norm} is not (mean, std > 0)")
