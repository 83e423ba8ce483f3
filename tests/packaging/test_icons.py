"""The committed app icons and Linux desktop entry that the bundle ships (no build needed)."""
from __future__ import annotations

import configparser
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "packaging"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG image"
    return struct.unpack(">II", data[16:24])


def has_ink(data: bytes) -> bool:
    """At least one pixel that is not fully transparent."""
    from PySide6.QtGui import QImage
    image = QImage.fromData(data, "PNG")
    assert not image.isNull()
    return any(image.pixelColor(x, y).alpha() > 0
               for y in range(0, image.height(), max(1, image.height() // 16))
               for x in range(0, image.width(), max(1, image.width() // 16)))


def test_windows_ico_holds_every_size_up_to_256():
    data = (ICONS / "NeuralPlayground.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for i in range(count):
        w, h, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        png = data[offset: offset + length]
        assert png_size(png) == (w or 256, h or 256)
        assert has_ink(png)
        sizes.add(w or 256)
    assert {16, 32, 48, 256} <= sizes


def test_macos_icns_holds_16_to_1024():
    data = (ICONS / "NeuralPlayground.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    sizes, pos = set(), 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos + 4: pos + 8])[0]
        png = data[pos + 8: pos + length]
        w, h = png_size(png)
        assert w == h
        sizes.add(w)
        pos += length
    assert pos == len(data)
    assert {16, 32, 128, 256, 512, 1024} <= sizes


@pytest.fixture()
def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in the desktop entry spec
    parser.read(ROOT / "resources" / "neural-playground.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_starts_the_bundled_executable_with_its_icon(desktop_entry):
    assert desktop_entry["Type"] == "Application"
    assert desktop_entry["Name"] == "Neural Playground"
    assert desktop_entry["Exec"].split()[0] == "NeuralPlayground"  # the executable's name in dist/NeuralPlayground/
    assert desktop_entry["Terminal"] == "false"
    icon = ICONS / f"{desktop_entry['Icon']}.png"  # the spec copies it next to the executable under this name
    assert png_size(icon.read_bytes()) == (256, 256)
    assert desktop_entry["Categories"].endswith(";")
