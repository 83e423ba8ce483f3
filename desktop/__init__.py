"""Neural Playground's desktop application (PySide6 + pyqtgraph); the only package that knows Qt.

Here: what any module of it may need without importing another (the version, where the
resources and the log file are), so that e.g. the About box needs nothing from desktop.app.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__version__ = "0.1.0"
ORGANIZATION = "NeuralPlayground"
APP_NAME = "neural-playground"


def resources_dir() -> Path:
    """The folder holding icons and the style sheet: beside the package, or inside a PyInstaller bundle."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled and (Path(bundled) / "resources").is_dir():
        return Path(bundled) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def log_dir() -> Path:
    """The user's log folder for the app; NEURAL_PLAYGROUND_LOG_DIR overrides it."""
    env = os.environ.get("NEURAL_PLAYGROUND_LOG_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_log_dir
    return Path(user_log_dir(APP_NAME, ORGANIZATION))


def log_file() -> Path:
    return log_dir() / f"{APP_NAME}.log"
