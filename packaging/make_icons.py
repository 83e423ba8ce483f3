"""Render resources/icons/app.svg into the app icons the bundle needs; run it again when app.svg changes.

    .venv/bin/python packaging/make_icons.py

Writes resources/packaging/NeuralPlayground.ico (Windows), NeuralPlayground.icns (macOS) and
neural-playground.png (the Linux desktop entry's icon). Each size is rendered from the SVG rather
than scaled down from one bitmap, so small sizes stay sharp. Both containers hold PNG images,
which Windows (Vista and later) and macOS (10.7 and later) read.
"""
from __future__ import annotations

import os
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "app.svg"
OUT = ROOT / "resources" / "packaging"

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, and their pixel size (the @2x types are the retina variants).
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("ic11", 32), ("icp6", 64), ("ic12", 64), ("ic07", 128),
              ("ic08", 256), ("ic13", 256), ("ic09", 512), ("ic14", 512), ("ic10", 1024))
LINUX_SIZE = 256


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent size x size canvas, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico: ICONDIR, one 16-byte entry per size, then the PNG images."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        png = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: 'icns' + total length, then (type, length, PNG) elements, big-endian."""
    body = b"".join(kind.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes the file private; icons are for everyone to read
    os.replace(tmp, path)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 -- painting needs one
    sizes = sorted({*ICO_SIZES, *(size for _, size in ICNS_TYPES), LINUX_SIZE})
    pngs = {size: render_png(SOURCE, size) for size in sizes}
    OUT.mkdir(parents=True, exist_ok=True)
    write_atomic(OUT / "NeuralPlayground.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    write_atomic(OUT / "NeuralPlayground.icns", icns_bytes(pngs))
    write_atomic(OUT / "neural-playground.png", pngs[LINUX_SIZE])
    for name in ("NeuralPlayground.ico", "NeuralPlayground.icns", "neural-playground.png"):
        print(f"{OUT / name} ({(OUT / name).stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
