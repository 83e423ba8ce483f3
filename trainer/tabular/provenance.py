"""Is an experiment's data file still there, and still the same? And re-pointing it at a moved copy.

The experiment stores the file's path and SHA-256 (data.csv); opening it checks both, and the
window says which went wrong and offers to locate the file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import DataSpec
from .errors import TableError

OK, MOVED, CHANGED, UNREADABLE = "ok", "moved", "changed", "unreadable"


@dataclass(frozen=True)
class FileCheck:
    status: str       # ok | moved (no file at the path) | changed (SHA-256 differs) | unreadable
    path: str
    message: str      # one line for the dialog; "" when ok

    @property
    def ok(self) -> bool:
        return self.status == OK


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(spec: DataSpec) -> FileCheck:
    """Where data.csv's file stands; always ok for data that is not a file."""
    if spec.csv is None:
        return FileCheck(OK, "", "")
    path = spec.csv.path
    p = Path(path)
    if not p.is_file():
        return FileCheck(MOVED, path, f"{path}: the data file is not there any more (moved, renamed or deleted); "
                                      "locate it to train on it")
    try:
        digest = file_sha256(p)
    except OSError as exc:
        return FileCheck(UNREADABLE, path, f"{path}: cannot be read ({exc.strerror or exc})")
    if spec.csv.sha256 and digest != spec.csv.sha256:
        return FileCheck(CHANGED, path, f"{path}: the data file changed since the experiment was made "
                                        "(its SHA-256 differs); locate the original, or import it again")
    return FileCheck(OK, path, "")


def locate(spec: DataSpec, new_path: str | Path) -> DataSpec:
    """The same experiment's data read from `new_path`, which must hold the very same bytes."""
    if spec.csv is None:
        raise ValueError("only data.name csv reads a file")
    p = Path(new_path).expanduser()
    try:
        digest = file_sha256(p)
    except FileNotFoundError:
        raise TableError(str(p), "no such file") from None
    except OSError as exc:
        raise TableError(str(p), f"cannot be read ({exc.strerror or exc})") from None
    if spec.csv.sha256 and digest != spec.csv.sha256:
        raise TableError(str(p), f"is not the experiment's file (its SHA-256 differs from that of {spec.csv.path})")
    return replace(spec, csv=replace(spec.csv, path=str(p.resolve())))


__all__ = ["FileCheck", "check_file", "locate", "file_sha256", "OK", "MOVED", "CHANGED", "UNREADABLE"]
