"""Save and load a trained model with its experiment and history.

One file, written with torch.save and read back with `weights_only=True`, so
loading never unpickles arbitrary objects. The experiment, history and metrics
travel as JSON text inside it. Saves go through `atomic.atomic_write`, so a crash
mid-save leaves the previous file intact.
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

FORMAT = "neural-playground-checkpoint"
VERSION = 1
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


def save(path: str | os.PathLike, experiment: Experiment, finished: Finished) -> Path:
    """Write the model, experiment, history and test metrics atomically; returns the file."""
    return save_state(path, experiment, finished.state, finished.history, finished.metrics,
                      tuple(finished.extra.get("norm", (0.0, 1.0))))


def save_state(path: str | os.PathLike, experiment: Experiment, state: dict[str, np.ndarray],
               history: list[dict[str, Any]], metrics: dict[str, Any],
               norm: tuple[float, float] = (0.0, 1.0)) -> Path:
    target = _file_for(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "experiment": experiment.to_json(indent=None),
        "history": json.dumps(history),
        "metrics": json.dumps(_jsonable_metrics(metrics)),
        "norm": [float(norm[0]), float(norm[1])],
        "state_dict": {k: torch.as_tensor(np.asarray(v)).clone() for k, v in state.items()},
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
    return Checkpoint(model, experiment, history, metrics, norm, target)  # type: ignore[arg-type]


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
