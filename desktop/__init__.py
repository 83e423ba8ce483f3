"""Neural Playground's desktop application (PySide6 + pyqtgraph); the only package that knows Qt."""
from __future__ import annotations

import sys
from pathlib import Path

__version__ = "0.1.0"


def resources_dir() -> Path:
    """The folder holding icons and the style sheet: beside the package, or inside a PyInstaller bundle."""
    bundled = getattr(sys, "_MEIPASS", None)
    if bundled and (Path(bundled) / "resources").is_dir():
        return Path(bundled) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
