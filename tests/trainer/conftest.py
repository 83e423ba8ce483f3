"""Fixtures of the trainer tests: running an exported script in the test's own process (export, mistakes)."""
from __future__ import annotations

import contextlib
import io
import json
import runpy
from pathlib import Path

import pytest
import torch

from trainer.config import Experiment
from trainer.export import write_script


def _run_in_process(exp: Experiment, tmp_path: Path) -> dict:
    """Run an exported script here (cheaper than a new interpreter) and parse its last line."""
    path = write_script(exp, tmp_path / "script.py")
    threads = torch.get_num_threads()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    finally:
        torch.set_num_threads(threads)   # the script may set one thread, as the loop does
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def run_in_process():
    """run_in_process(exp, tmp_path) -> the script's JSON line, as `python -m trainer run` prints it."""
    return _run_in_process
