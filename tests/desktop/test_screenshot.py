"""Train the spiral in the window and grab it to a PNG, as the README's screenshot is made.

The file lands in pytest's tmp folder (its path is printed): open it to look at the window.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from desktop.app import save_screenshot
from trainer.presets import load_preset


def test_spiral_window_grabs_to_a_small_png(qtbot, window, tmp_path):
    exp = load_preset("spiral").with_overrides({"train.epochs": 250, "train.patience": 0})
    window.apply_experiment(exp)
    with qtbot.waitSignal(window.session.finished, timeout=180_000):
        assert window.train()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=180_000)
    qtbot.wait(200)                                   # let the last snapshot paint
    path = tmp_path / "spiral.png"
    assert save_screenshot(window, path)
    print(f"screenshot: {path}")

    image = QImage(str(path))
    assert (image.width(), image.height()) == (window.width(), window.height()) == (1280, 800)
    assert path.stat().st_size < 300_000
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(bytes(rgb.constBits()), np.uint8)[:rgb.bytesPerLine() * rgb.height()]
    pixels = pixels.reshape(rgb.height(), rgb.bytesPerLine())[:, :rgb.width() * 3].reshape(rgb.height(), -1, 3)
    # The decision boundary, where the window shows it, is painted in the three class colours.
    box = window.boundary.plot_widget
    top_left = box.mapTo(window, box.rect().topLeft())
    plane = pixels[top_left.y():top_left.y() + box.height(), top_left.x():top_left.x() + box.width()]
    saturated = plane.max(axis=2).astype(int) - plane.min(axis=2) > 60
    assert saturated.mean() > 0.25, "the boundary plot looks empty"
    assert len(np.unique(plane.reshape(-1, 3), axis=0)) > 50
