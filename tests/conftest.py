"""Fixtures shared by every test folder (trainer, desktop, packaging)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import trainer  # noqa: F401 -- first, before anything imports torch: it tunes torch's OpenMP threads (see there)

REPO = Path(__file__).resolve().parents[1]
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def pytest_configure(config) -> None:
    """Keep every test away from the user's real data, cache, log and settings folders."""
    import tempfile
    home = Path(tempfile.mkdtemp(prefix="np-test-home-"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ.pop("NEURAL_PLAYGROUND_DATA", None)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """<repo>/../shared/datasets, holding MNIST/raw; fails (never skips) when the files are missing."""
    root = (REPO / ".." / "shared" / "datasets").resolve()
    raw = root / "MNIST" / "raw"
    missing = [name for name in MNIST_FILES
               if not (raw / name).is_file() and not (raw / (name + ".gz")).is_file()]
    if missing:
        pytest.fail(f"MNIST is missing from {raw}: {', '.join(missing)} (.gz or uncompressed). "
                    "The MNIST tests need the real files there; see DESIGN.md, 'Real data'.")
    return root


@pytest.fixture()
def run_cli(repo_root):
    """Run `python -m trainer ARGS...` in a fresh interpreter; returns the CompletedProcess."""
    import subprocess

    def run(*args: str, timeout: float = 300, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(repo_root)}
        return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=cwd or repo_root, env=env,
                              capture_output=True, text=True, timeout=timeout)
    return run
