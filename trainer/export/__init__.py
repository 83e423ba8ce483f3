"""Experiment -> a standalone, readable PyTorch script that repeats the app's run.

The script is written for a learner, in the seed's style: the data generated
inline, an `nn.Sequential`, the five-step loop, early stopping and evaluation,
with only the branches this experiment needs. On the CPU, with the same seed, it
reproduces `trainer.loop` exactly, so every line that touches a random number
or the order of a floating-point sum follows loop.py, data.py and models.py.
Its last stdout line is the JSON object `python -m trainer run` prints.

This package's API is `render_script`, `write_script` and `ExportError`. Its modules
write the script's parts in order: `plan` (what to write, and the helpers), `head`
(docstring, imports, settings), then one module per section: `data`, `model`,
`training`, `evaluation` (with the summary line).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..atomic import atomic_write
from ..config import Experiment
from .data import _data
from .ddp import render_ddp_script
from .evaluation import _evaluation, _summary
from .head import _header, _imports, _settings
from .model import _model
from .plan import _plan
from .training import _training


class ExportError(OSError):
    """The script could not be written; the message names the file."""


def render_script(experiment: Experiment, ddp: bool = False) -> str:
    """The whole script as text; pure and cheap, so a panel can call it on every change.
    ddp: the torchrun (DistributedDataParallel) script instead (export/ddp.py)."""
    plan = _plan(experiment)
    if ddp:
        return render_ddp_script(plan)
    parts = [_header(plan), _imports(plan), _settings(plan), _data(plan), _model(plan),
             _training(plan), _evaluation(plan), _summary(plan)]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def write_script(experiment: Experiment, path: str | os.PathLike[str], ddp: bool = False) -> Path:
    """Write the script (the torchrun one when ddp) atomically (atomic.atomic_write) and return its path."""
    target = Path(path).expanduser()
    text = render_script(experiment, ddp)
    if target.is_dir():
        raise ExportError(f"{target}: is a folder; give a file name such as {target / 'train.py'}")
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"{target}: the folder {folder} does not exist")
    try:
        return atomic_write(target, text)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write there ({exc.strerror or exc})") from None


__all__ = ["render_script", "write_script", "ExportError"]
