"""The one atomic writer: whole file or none, the umask's mode, no temp files left behind."""
from __future__ import annotations

import os
import stat

import pytest

from trainer.atomic import atomic_path, atomic_write


def test_writes_bytes_text_and_streams_with_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.bin", b"\x00\x01")
        atomic_write(tmp_path / "b.txt", "é")
        atomic_write(tmp_path / "sub" / "c.txt", lambda f: f.write(b"streamed"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "é"
    assert (tmp_path / "sub" / "c.txt").read_bytes() == b"streamed"
    for name in ("a.bin", "b.txt", "sub/c.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt", "sub"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"old")

    def broken(stream):
        stream.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_an_exporter_that_writes_nothing_is_a_failure(tmp_path):
    with pytest.raises(OSError, match="nothing was written"):
        with atomic_path(tmp_path / "plot.png"):
            pass
    assert list(tmp_path.iterdir()) == []
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"png")
    assert (tmp_path / "plot.png").read_bytes() == b"png"
