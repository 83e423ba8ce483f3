"""Lesson D: the Convolution tab's map, step, ReLU and pool are torch's; kernels, typing and drawing change them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import QPointF

from trainer.convolution import mnist_test_digits, unit_image


def _torch(view) -> torch.Tensor:
    x = torch.from_numpy(view.image)[None, None]
    w = torch.from_numpy(np.ascontiguousarray(view.kernel))[None, None]
    return F.conv2d(x, w, padding=view.padding)


def test_lesson_d_opens_its_tab_and_shows_torchs_numbers(window, qtbot, mnist_root, monkeypatch):
    monkeypatch.setenv("NEURAL_PLAYGROUND_DATA", str(mnist_root))
    window.lessons.actions["D"].trigger()
    view = window.lessons.tab_pages["Convolution"]
    assert window.tabs.currentWidget() is view
    assert "feature map" in window.lessons.panel.plain_text()
    images, _labels = mnist_test_digits(mnist_root)
    np.testing.assert_array_equal(view.image, unit_image(images[0]))      # the first test digit, a 7
    out = _torch(view)
    np.testing.assert_allclose(view.fmap, out[0, 0].numpy(), atol=1e-12)
    np.testing.assert_allclose(view.map_view.values(), view.fmap)
    np.testing.assert_allclose(view.relu_view.values(), F.relu(out)[0, 0].numpy(), atol=1e-12)
    np.testing.assert_allclose(view.pool_view.values(), F.max_pool2d(F.relu(out), 2)[0, 0].numpy(), atol=1e-12)

    view.input_view.cellPicked.emit(10, 20)            # a click on the 7's bar centres the kernel there
    s = view.current_step()
    assert (s.row, s.col) == (9, 19) and view.input_view.box() == (9, 19, 3, 3)
    assert s.total == pytest.approx(view.fmap[9, 19], abs=1e-12) and np.count_nonzero(s.patch) > 0
    np.testing.assert_allclose(view.products_view.values(), s.patch * view.kernel)
    assert f"{s.total:.3f}" in view.sum_label.text()
    before = view.position
    view.step_button.click()
    assert view.position == before + 1 and view.slider.value() == before + 1

    edges = view.fmap.copy()
    view.padding_box.setCurrentIndex(1)                 # no padding: 26x26, still conv2d
    view.padding_box.activated.emit(1)
    view.kernels.textActivated.emit("Horizontal edges")
    assert view.padding == 0 and view.fmap.shape == (26, 26)
    np.testing.assert_allclose(view.fmap, _torch(view)[0, 0].numpy(), atol=1e-12)
    assert not np.allclose(view.fmap, edges[1:-1, 1:-1])


def test_typed_and_drawn_input(qtbot, mnist_root):
    from desktop.lessons.convolution import CUSTOM, ConvolutionLesson
    view = ConvolutionLesson(lambda: mnist_test_digits(mnist_root))
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.size_box.setCurrentIndex(1)
    view.size_box.activated.emit(1)                     # 5x5: the 3x3 kernel in the middle of zeros
    assert view.kernel.shape == (5, 5) and view.fmap.shape == (28, 28)
    cell = view.editor.cells[0][0]
    cell.setText("2.5")
    cell.textEdited.emit("2.5")
    assert view.kernel[0, 0] == 2.5 and view.kernels.currentText() == CUSTOM
    np.testing.assert_allclose(view.fmap, _torch(view)[0, 0].numpy(), atol=1e-12)
    typed = view.fmap.copy()
    cell.setText("1/0")                                  # not a number: said, and the maps keep the last kernel
    cell.textEdited.emit("1/0")
    assert "row 1, column 1: '1/0' is not a number" in view.kernel_error_text()
    np.testing.assert_array_equal(view.fmap, typed)

    view.draw_radio.setChecked(True)                     # an empty pad: an empty image, a zero map
    assert not view.image.any() and not view.fmap.any()
    view.canvas.begin_stroke(QPointF(140, 40))
    view.canvas.extend_stroke(QPointF(140, 240))         # a "1"
    view.canvas.end_stroke()
    assert view.image.max() == pytest.approx(1.0) and view.fmap.any()
    np.testing.assert_allclose(view.fmap, _torch(view)[0, 0].numpy(), atol=1e-12)
