"""One way to write a file the user asked for: all of it or none of it.

A temp file in the target's own folder (so `os.replace` is a rename on one file system), fsync'd
before the rename, with the mode an ordinary `open()` would have given (0666 less the umask; mkstemp
would leave 0600). A failure anywhere removes the temp file and leaves any earlier file untouched.
Every save and export in trainer/ and desktop/ goes through here.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator


def _umask() -> int:
    mask = os.umask(0)   # the only portable way to read it is to set it
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike, allow_empty: bool = False) -> Iterator[Path]:
    """A temp path beside `path` (same suffix) to write to; renamed onto `path` when the block ends well.

    For writers that want a file name rather than a stream (pyqtgraph's exporters pick the format
    from the suffix; QImage.save). An empty result counts as a failure unless `allow_empty`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not allow_empty and not tmp.stat().st_size:
            raise OSError(f"nothing was written to {target.name}")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[BinaryIO], None]) -> Path:
    """Write bytes, text (UTF-8) or whatever `data(stream)` writes to `path` atomically; returns the path."""
    target = Path(path)
    with atomic_path(target, allow_empty=True) as tmp, open(tmp, "wb") as stream:
        if callable(data):
            data(stream)
        else:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
    return target


__all__ = ["atomic_path", "atomic_write"]
