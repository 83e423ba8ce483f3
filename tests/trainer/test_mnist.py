"""MNIST loading: .gz-only folders, read-only folders, downloads that fail, damaged files, the splits."""
from __future__ import annotations

import gzip
import os
import shutil
import stat
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from trainer import mnist
from trainer.config import DataSpec
from trainer.mnist import FILES, DataError

# mnist_root (tests/conftest.py): <repo>/../shared/datasets, the real files, read-only.


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch):
    """Cache and data dirs inside tmp: tests never write to the real home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("NEURAL_PLAYGROUND_DATA", raising=False)
    return tmp_path


@pytest.fixture
def gz_root(tmp_path, mnist_root) -> Path:
    """A folder holding only the four .gz files in MNIST/raw."""
    root = tmp_path / "data"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(mnist_root / "MNIST" / "raw" / (name + ".gz"), raw / (name + ".gz"))
    return root


@pytest.fixture(scope="module")
def reference(mnist_root) -> dict[str, np.ndarray]:
    """The four files decoded independently of trainer.mnist (gzip + numpy)."""
    out = {}
    for name in FILES:
        data = gzip.decompress((mnist_root / "MNIST" / "raw" / (name + ".gz")).read_bytes())
        offset = 16 if "images" in name else 8
        arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
        out[name] = arr.reshape(-1, 28, 28) if "images" in name else arr
    return out


def spec(root: Path, **kw) -> DataSpec:
    return DataSpec(name="mnist", root=str(root), **kw)


def recorder() -> tuple[list[tuple[str, int, int]], Callable[[str, int, int], None]]:
    seen: list[tuple[str, int, int]] = []
    return seen, lambda stage, done, total: seen.append((stage, done, total))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def fail_download(folder: Path) -> None:
    raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\n"
                       "Tried https://ossci-datasets.s3.amazonaws.com/mnist/, got:\n"
                       "<urlopen error [Errno -3] Temporary failure in name resolution>")


# -- loading -------------------------------------------------------------------------

def test_loads_from_a_folder_holding_only_gz_files(gz_root, reference):
    seen, progress = recorder()
    splits = mnist.load_mnist(spec(gz_root), progress, allow_download=False)

    assert splits.sizes == (5_000, 1_000, 10_000)
    train_labels = reference["train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(splits.y_train, train_labels[:5_000])
    np.testing.assert_array_equal(splits.y_val, train_labels[5_000:6_000])
    np.testing.assert_array_equal(splits.y_test, reference["t10k-labels-idx1-ubyte"])
    np.testing.assert_allclose(splits.x_train[7], reference["train-images-idx3-ubyte"][7].reshape(784) / 255.0,
                               atol=1e-7)
    np.testing.assert_allclose(splits.x_test[-1], reference["t10k-images-idx3-ubyte"][-1].reshape(784) / 255.0,
                               atol=1e-7)
    assert splits.x_train.dtype == np.float32 and splits.y_train.dtype == np.int64
    assert splits.norm == (0.0, 1.0)
    stages = [s for s, _, _ in seen]
    assert "extract" in stages and "read" in stages
    assert stages.index("extract") < stages.index("read")
    assert seen[-1] == ("read", 4, 4)
    # extracted beside the .gz files (the folder is writable), so the next load only reads
    assert listing(gz_root / "MNIST" / "raw") == sorted([*FILES, *(n + ".gz" for n in FILES)])
    seen.clear()
    mnist.load_mnist(spec(gz_root), progress, allow_download=False)
    assert {s for s, _, _ in seen} == {"read"}


def test_full_subset_sizes_labels_and_standard_normalisation(gz_root, reference):
    splits = mnist.load_mnist(spec(gz_root, mnist_subset="full", normalize="standard"), allow_download=False)

    assert splits.sizes == (55_000, 5_000, 10_000)
    train_labels = reference["train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(splits.y_train, train_labels[:55_000])
    np.testing.assert_array_equal(splits.y_val, train_labels[55_000:])
    np.testing.assert_array_equal(splits.y_test, reference["t10k-labels-idx1-ubyte"])
    assert splits.norm == (mnist.MEAN, mnist.STD)
    expected = (reference["train-images-idx3-ubyte"][55_000:].reshape(-1, 784) / 255.0 - mnist.MEAN) / mnist.STD
    np.testing.assert_allclose(splits.x_val, expected, atol=1e-5)
    # MEAN and STD are the training set's own statistics
    assert abs(float(splits.x_train.mean())) < 0.01
    assert abs(float(splits.x_train.std()) - 1.0) < 0.01


def test_read_only_folder_extracts_into_the_user_cache(gz_root, user_dirs):
    raw = gz_root / "MNIST" / "raw"
    before = listing(raw)
    raw.chmod(0o555)
    try:
        seen, progress = recorder()
        splits = mnist.load_mnist(spec(gz_root), progress, allow_download=False)
        assert splits.sizes == (5_000, 1_000, 10_000)
        assert listing(raw) == before
        cached = [p for p in (user_dirs / "xdg-cache").rglob("*") if p.is_file()]
        assert sorted(p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in cached) == \
            sorted(n.split("-")[0] + "-" + n.split("-")[1] for n in FILES)
        assert ("extract", 4, 4) in seen
        seen.clear()
        mnist.load_mnist(spec(gz_root), progress, allow_download=False)
        assert {s for s, _, _ in seen} == {"read"}  # the cached extraction is reused
    finally:
        raw.chmod(0o755)


def test_files_placed_directly_in_the_chosen_folder_are_found(gz_root):
    flat = gz_root.parent / "flat"
    shutil.copytree(gz_root / "MNIST" / "raw", flat)
    assert mnist.load_mnist(spec(flat), allow_download=False).sizes == (5_000, 1_000, 10_000)


def test_root_comes_from_spec_then_env_then_user_data_dir(monkeypatch, user_dirs, tmp_path):
    assert mnist.resolve_root(None) == user_dirs / "xdg-data" / "neural-playground" / "datasets"
    monkeypatch.setenv("NEURAL_PLAYGROUND_DATA", str(tmp_path / "env"))
    assert mnist.resolve_root(None) == tmp_path / "env"
    assert mnist.resolve_root(str(tmp_path / "explicit")) == tmp_path / "explicit"


# -- missing and offline ---------------------------------------------------------------

def test_offline_with_no_files_names_the_folder_and_the_four_files(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_torchvision_download", fail_download)
    root = tmp_path / "empty"
    with pytest.raises(DataError) as err:
        mnist.load_mnist(spec(root))
    message = str(err.value)
    assert str(root / "MNIST" / "raw") in message
    assert "download failed" in message and "name resolution" in message
    for name in FILES:
        assert name + ".gz" in message

    with pytest.raises(DataError) as err:
        mnist.load_mnist(spec(root), allow_download=False)
    assert str(root / "MNIST" / "raw") in str(err.value)
    assert all(name + ".gz" in str(err.value) for name in FILES)


def test_failed_download_leaves_no_file_a_later_run_would_trust(tmp_path, monkeypatch, mnist_root):
    def half_then_fail(folder: Path) -> None:
        raw = folder / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        data = (mnist_root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").read_bytes()
        (raw / "train-images-idx3-ubyte.gz").write_bytes(data[: len(data) // 2])
        (raw / "train-labels-idx1-ubyte.gz").write_bytes(
            (mnist_root / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz").read_bytes())
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: connection reset")

    monkeypatch.setattr(mnist, "_torchvision_download", half_then_fail)
    root = tmp_path / "data"
    with pytest.raises(DataError, match="connection reset"):
        mnist.load_mnist(spec(root))
    assert [p for p in root.rglob("*") if p.is_file()] == []
    assert os.listdir(root / "MNIST" / "raw") == []  # no staging folder either
    # the next run sees nothing there, not a damaged file
    with pytest.raises(DataError, match="MNIST is not in"):
        mnist.load_mnist(spec(root), allow_download=False)


def test_a_killed_downloads_staging_folder_is_never_read(tmp_path, mnist_root):
    staging = tmp_path / "data" / "MNIST" / "raw" / ".download-abc" / "MNIST" / "raw"
    staging.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(mnist_root / "MNIST" / "raw" / (name + ".gz"), staging / (name + ".gz"))
    with pytest.raises(DataError, match="MNIST is not in"):
        mnist.load_mnist(spec(tmp_path / "data"), allow_download=False)


def test_download_moves_checked_files_in_and_reports_progress(tmp_path, monkeypatch, mnist_root, reference):
    def fake_torchvision(folder: Path) -> None:  # what torchvision's MNIST(download=True) leaves behind
        raw = folder / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            gz = raw / (name + ".gz")
            shutil.copyfile(mnist_root / "MNIST" / "raw" / (name + ".gz"), gz)
            (raw / name).write_bytes(gzip.decompress(gz.read_bytes()))

    monkeypatch.setattr(mnist, "_torchvision_download", fake_torchvision)
    root = tmp_path / "data"
    seen, progress = recorder()
    splits = mnist.load_mnist(spec(root), progress)
    np.testing.assert_array_equal(splits.y_test, reference["t10k-labels-idx1-ubyte"])
    assert seen[0][0] == "download" and ("download", mnist.DOWNLOAD_BYTES, mnist.DOWNLOAD_BYTES) in seen
    assert listing(root / "MNIST" / "raw") == sorted([*FILES, *(n + ".gz" for n in FILES)])  # no staging left


def test_partial_download_fills_in_only_the_missing_file(gz_root, monkeypatch, mnist_root):
    raw = gz_root / "MNIST" / "raw"
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    kept = {n: (raw / (n + ".gz")).read_bytes() for n in FILES[:3]}

    def fake_torchvision(folder: Path) -> None:
        out = folder / "MNIST" / "raw"
        out.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            data = gzip.decompress((mnist_root / "MNIST" / "raw" / (name + ".gz")).read_bytes())
            (out / name).write_bytes(data)
            (out / (name + ".gz")).write_bytes(b"a different download of " + name.encode())

    monkeypatch.setattr(mnist, "_torchvision_download", fake_torchvision)
    assert mnist.load_mnist(spec(gz_root)).sizes == (5_000, 1_000, 10_000)
    assert {n: (raw / (n + ".gz")).read_bytes() for n in FILES[:3]} == kept
    assert (raw / "t10k-labels-idx1-ubyte").is_file()


# -- damaged files ---------------------------------------------------------------------

def test_partial_set_names_the_missing_file(gz_root, monkeypatch):
    raw = gz_root / "MNIST" / "raw"
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError) as err:
        mnist.load_mnist(spec(gz_root), allow_download=False)
    assert str(raw) in str(err.value) and "t10k-labels-idx1-ubyte.gz" in str(err.value)
    assert "train-images" not in str(err.value)

    monkeypatch.setattr(mnist, "_torchvision_download", fail_download)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz missing .*download failed"):
        mnist.load_mnist(spec(gz_root))


def test_truncated_gz_is_named_and_leaves_no_extracted_file(gz_root):
    raw = gz_root / "MNIST" / "raw"
    gz = raw / "t10k-images-idx3-ubyte.gz"
    data = gz.read_bytes()
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError) as err:
        mnist.load_mnist(spec(gz_root), allow_download=False)
    assert str(gz) in str(err.value) and "damaged" in str(err.value)
    assert not (raw / "t10k-images-idx3-ubyte").exists()
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]


def test_not_a_gzip_file_is_named(gz_root):
    gz = gz_root / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    gz.write_text("<html>404 Not Found</html>")
    with pytest.raises(DataError, match=f"{gz}: damaged gzip file"):
        mnist.load_mnist(spec(gz_root), allow_download=False)


def test_wrong_magic_number_in_a_gz_is_named(gz_root):
    raw = gz_root / "MNIST" / "raw"
    # a labels file where the images should be: magic 2049 instead of 2051
    labels = gzip.decompress((raw / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(labels))
    with pytest.raises(DataError) as err:
        mnist.load_mnist(spec(gz_root), allow_download=False)
    assert str(raw / "t10k-images-idx3-ubyte.gz") in str(err.value)
    assert "magic number 2049, expected 2051" in str(err.value)
    assert not (raw / "t10k-images-idx3-ubyte").exists()


def test_wrong_magic_number_in_an_uncompressed_file_is_named(gz_root):
    raw = gz_root / "MNIST" / "raw"
    bad = raw / "train-labels-idx1-ubyte"
    data = bytearray(gzip.decompress((raw / "train-labels-idx1-ubyte.gz").read_bytes()))
    data[2:4] = b"\x12\x34"
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"{bad}: not an MNIST labels file"):
        mnist.load_mnist(spec(gz_root), allow_download=False)


def test_wrong_item_count_is_named(gz_root):
    raw = gz_root / "MNIST" / "raw"
    bad = raw / "t10k-labels-idx1-ubyte"
    data = gzip.decompress((raw / "t10k-labels-idx1-ubyte.gz").read_bytes())
    # a self-consistent file with 9,999 labels: only the count gives it away
    bad.write_bytes(data[:4] + (9_999).to_bytes(4, "big") + data[8:-1])
    with pytest.raises(DataError, match=f"{bad}: holds 9999 items, expected 10000"):
        mnist.load_mnist(spec(gz_root), allow_download=False)


def test_truncated_uncompressed_file_is_named(gz_root):
    raw = gz_root / "MNIST" / "raw"
    bad = raw / "train-images-idx3-ubyte"
    data = gzip.decompress((raw / "train-images-idx3-ubyte.gz").read_bytes())
    bad.write_bytes(data[:1_000_000])
    with pytest.raises(DataError, match=f"{bad}: truncated"):
        mnist.load_mnist(spec(gz_root), allow_download=False)


def test_labels_outside_0_to_9_are_named(gz_root):
    raw = gz_root / "MNIST" / "raw"
    bad = raw / "t10k-labels-idx1-ubyte"
    data = bytearray(gzip.decompress((raw / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    data[100] = 42
    bad.write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"{bad}: holds label 42"):
        mnist.load_mnist(spec(gz_root), allow_download=False)


def test_unreadable_folder_for_a_download_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "_torchvision_download", fail_download)
    root = tmp_path / "locked"
    (root / "MNIST" / "raw").mkdir(parents=True)
    (root / "MNIST" / "raw").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(DataError) as err:
            mnist.load_mnist(spec(root))
        assert "cannot be written" in str(err.value) and str(root / "MNIST" / "raw") in str(err.value)
    finally:
        (root / "MNIST" / "raw").chmod(0o755)
    assert os.listdir(root / "MNIST" / "raw") == []


def test_a_damaged_download_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    def garbage(folder: Path) -> None:  # e.g. a captive portal's page saved under the right names
        raw = folder / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            (raw / name).write_text("<html>please log in</html>")

    monkeypatch.setattr(mnist, "_torchvision_download", garbage)
    root = tmp_path / "data"
    with pytest.raises(DataError, match="download was damaged: train-images-idx3-ubyte: "):
        mnist.load_mnist(spec(root))
    assert os.listdir(root / "MNIST" / "raw") == []


def test_a_file_chosen_instead_of_a_folder_is_a_clear_error(gz_root):
    gz = gz_root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    with pytest.raises(DataError, match=f"{gz}: is a file; choose the folder"):
        mnist.load_mnist(spec(gz))
