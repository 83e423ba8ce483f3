"""MNIST through torchvision: find the folder, extract .gz files, download when allowed, split.

Where the data lives, in order: DataSpec.root, env NEURAL_PLAYGROUND_DATA, the
user data dir. torchvision reads `<root>/MNIST/raw/<name>` uncompressed; where
only the `.gz` files are there we extract them with torchvision's utilities,
beside them when the folder is writable, else into the user cache.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .config import DataSpec

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MEAN, STD = 0.1307, 0.3081
SUBSETS = {"seed": (5_000, 1_000), "full": (55_000, 5_000)}

Progress = Callable[[str, int, int], None]


class DataError(RuntimeError):
    """The data could not be found or read; the message names the folder or the file."""


def default_root() -> Path:
    env = os.environ.get("NEURAL_PLAYGROUND_DATA")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir
    return Path(user_data_dir("neural-playground")) / "datasets"


def resolve_root(spec_root: str | None) -> Path:
    return Path(spec_root).expanduser() if spec_root else default_root()


def missing_message(root: Path) -> str:
    raw = root / "MNIST" / "raw"
    return (f"MNIST is not in {raw} and could not be downloaded. Put these four files there "
            f"(.gz or uncompressed): {', '.join(f + '.gz' for f in FILES)}")


def _cache_root() -> Path:
    from platformdirs import user_cache_dir
    return Path(user_cache_dir("neural-playground")) / "datasets"


def _have_raw(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / f).is_file() for f in FILES)


def _have_gz(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / (f + ".gz")).is_file() for f in FILES)


def _extract(src_root: Path, dst_root: Path, progress: Progress | None) -> None:
    """Decompress each .gz into dst_root/MNIST/raw atomically (temp file + os.replace)."""
    raw_dst = dst_root / "MNIST" / "raw"
    raw_dst.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(FILES):
        if progress:
            progress("extract", i, len(FILES))
        target = raw_dst / name
        if target.is_file():
            continue
        src = src_root / "MNIST" / "raw" / (name + ".gz")
        fd, tmp = tempfile.mkstemp(dir=raw_dst, prefix=f".{name}.", suffix=".part")
        try:
            with gzip.open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            os.replace(tmp, target)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            Path(tmp).unlink(missing_ok=True)
            raise DataError(f"{src}: cannot be decompressed ({exc}); replace the file") from None
    if progress:
        progress("extract", len(FILES), len(FILES))


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def prepare(root: Path, progress: Progress | None = None, allow_download: bool = True) -> Path:
    """Return a root torchvision can read uncompressed MNIST from, extracting or downloading."""
    if _have_raw(root):
        return root
    if _have_gz(root):
        raw = root / "MNIST" / "raw"
        target = root if _writable(raw) else _cache_root()
        _extract(root, target, progress)
        return target
    cached = _cache_root()
    if root != cached and _have_raw(cached) and os.environ.get("NEURAL_PLAYGROUND_DATA") is None:
        return cached
    if not allow_download:
        raise DataError(missing_message(root))
    return _download(root, progress)


def _download(root: Path, progress: Progress | None) -> Path:
    from torchvision.datasets import MNIST
    try:
        (root / "MNIST" / "raw").mkdir(parents=True, exist_ok=True)
        if progress:
            progress("download", 0, 0)
        MNIST(str(root), train=True, download=True)
        MNIST(str(root), train=False, download=True)
    except Exception as exc:  # torchvision raises RuntimeError / URLError / OSError offline
        _remove_partial(root)
        raise DataError(f"{missing_message(root)} (download failed: {exc})") from None
    return root


def _remove_partial(root: Path) -> None:
    """A failed download must leave nothing a later run would trust."""
    raw = root / "MNIST" / "raw"
    for name in FILES:
        for path in (raw / name, raw / (name + ".gz")):
            if path.exists() and not _readable_idx(path):
                path.unlink(missing_ok=True)


def _readable_idx(path: Path) -> bool:
    try:
        _read(path.parent.parent.parent, path.name.removesuffix(".gz"))
        return True
    except Exception:
        return False


def _read(root: Path, name: str) -> np.ndarray:
    from torchvision.datasets.mnist import read_image_file, read_label_file
    path = root / "MNIST" / "raw" / name
    try:
        reader = read_image_file if "images" in name else read_label_file
        arr = reader(str(path)).numpy()
    except FileNotFoundError:
        raise DataError(f"{path}: missing") from None
    except Exception as exc:  # wrong magic number, truncated file -> AssertionError / RuntimeError
        raise DataError(f"{path}: not a valid MNIST file ({exc or type(exc).__name__})") from None
    expected = 60_000 if name.startswith("train") else 10_000
    if len(arr) != expected:
        raise DataError(f"{path}: holds {len(arr)} items, expected {expected}")
    return arr


def load_arrays(root: Path, progress: Progress | None = None) -> tuple[np.ndarray, ...]:
    """(train_images uint8 (60000, 28, 28), train_labels, test_images, test_labels)."""
    out = []
    for i, name in enumerate(FILES):
        if progress:
            progress("read", i, len(FILES))
        out.append(_read(root, name))
    if progress:
        progress("read", len(FILES), len(FILES))
    return tuple(out)


def load_mnist(spec: DataSpec, progress: Progress | None = None, allow_download: bool = True):
    """The seed's split: the first n_train training images train, the next n_val validate."""
    from .data import Splits
    root = prepare(resolve_root(spec.root), progress, allow_download)
    train_x, train_y, test_x, test_y = load_arrays(root, progress)
    n_train, n_val = SUBSETS[spec.mnist_subset]
    mean, std = (MEAN, STD) if spec.normalize == "standard" else (0.0, 1.0)

    def features(images: np.ndarray) -> np.ndarray:
        x = images.reshape(len(images), 784).astype(np.float32) / 255.0
        if spec.normalize == "standard":
            x = (x - mean) / std
        return x

    return Splits(features(train_x[:n_train]), train_y[:n_train].astype(np.int64),
                  features(train_x[n_train:n_train + n_val]), train_y[n_train:n_train + n_val].astype(np.int64),
                  features(test_x), test_y.astype(np.int64), "multiclass", 10, 784, norm=(mean, std))
