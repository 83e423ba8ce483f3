"""Inside the CNN: the feature maps follow the digit, the weights and a training run; the diagram draws
stacks of maps; the comparison lists the CNN presets with seconds per epoch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsRectItem

from trainer.convolution import mnist_test_digits
from trainer.feature_maps import feature_maps, first_kernels
from trainer.models import build_model
from trainer.presets import load_preset

NORM = (0.1307, 0.3081)


def _draw_seven(canvas) -> None:
    pts = [(90, 60), (190, 60), (150, 150), (120, 240)]
    canvas.begin_stroke(QPointF(*pts[0]))
    for a, b in zip(pts, pts[1:]):
        for t in np.linspace(0, 1, 10)[1:]:
            canvas.extend_stroke(QPointF(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
    canvas.end_stroke()


def _cnn(seed: int):
    torch.manual_seed(seed)
    return build_model(load_preset("mnist-cnn-seed")).eval()


def test_the_maps_follow_the_digit_the_weights_and_the_pad(qtbot, session, pad, mnist_root):
    from desktop.workspaces.mnist_cnn import NOT_CNN, CnnInside
    images, labels = mnist_test_digits(mnist_root)
    inside = CnnInside(session, pad, lambda: (images, labels))
    qtbot.addWidget(inside)
    inside.resize(700, 600)
    inside.show()
    model = _cnn(1)
    inside.set_trained(model, NORM)
    shown = inside.view.maps()
    assert [m.shape for m in shown] == [(16, 28, 28), (32, 14, 14)]
    expected = feature_maps(model, images[0] / 255.0, NORM)
    np.testing.assert_allclose(shown[0], expected[0].maps, atol=1e-6)
    np.testing.assert_allclose(inside.view.kernels.arrays(), first_kernels(model))
    inside.digit_index.setValue(1)                        # another digit (a 2): other maps
    assert inside.digit_label.text() == f"(a {labels[1]})"
    assert not np.allclose(inside.view.maps()[0], shown[0])
    other = _cnn(2)                                        # other weights: other maps and kernels
    before = inside.view.maps()[1]
    inside.set_trained(other, NORM)
    assert not np.allclose(inside.view.maps()[1], before)
    assert inside.pad_maps.maps() == []                    # beside the pad: nothing until a digit is drawn
    _draw_seven(pad.canvas)
    beside = inside.pad_maps.maps()
    np.testing.assert_allclose(beside[0], feature_maps(other, pad.model_input(), NORM)[0].maps, atol=1e-6)
    inside.pad_radio.setChecked(True)                      # the page itself on the pad's digit
    np.testing.assert_allclose(inside.view.maps()[0], beside[0])

    torch.manual_seed(0)
    mlp = build_model(load_preset("mnist-mlp"))
    inside.set_trained(mlp, NORM)
    assert inside.view.maps() == [] and inside.status.text() == NOT_CNN and inside.pad_maps_box.isHidden()


@pytest.mark.slow
def test_a_cnn_run_shows_live_maps_then_the_pad_reads_with_the_cnn(window, train_window, qtbot, mnist_root):
    exp = load_preset("mnist-cnn-seed").with_overrides({"train.epochs": 1, "data.root": str(mnist_root)})
    network = window.network
    window.apply_experiment(exp)
    stacks = [item for item in network.scene.items() if isinstance(item, QGraphicsRectItem)]
    assert network.summary_mode and len(stacks) > 20 and "feature maps" in network.caption.text()

    inside = window.mnist.cnn
    live_kernels: list[np.ndarray] = []
    window.session.snapshot.connect(
        lambda ev: ev.image_state and inside.is_live() and live_kernels.append(inside.view.kernels.arrays()))
    fin = train_window(window)
    assert fin.reason in ("completed", "early_stopped") and len(live_kernels) >= 2
    assert not np.allclose(live_kernels[0], live_kernels[-1])     # the kernels changed as it trained
    assert not inside.is_live()
    np.testing.assert_allclose(inside.view.kernels.arrays(), first_kernels(window.trained_model()), atol=1e-6)

    pad = window.mnist.pad
    _draw_seven(pad.canvas)
    assert pad.has_model() and pad.prediction() is not None       # the pad reads with the CNN
    assert [m.shape[0] for m in inside.pad_maps.maps()] == [16, 32]


def test_the_comparison_offers_the_cnn_with_seconds_per_epoch(qtbot):
    from desktop.views.comparison import COLUMNS, ComparisonView, layers_text
    from desktop.workspaces.comparison import mnist_presets
    names = [name for name, _exp in mnist_presets()]
    assert "mnist-cnn" in names and "mnist-cnn-seed" in names
    assert layers_text(load_preset("mnist-cnn")) == "conv16→pool→conv32→pool→128→10"
    view = ComparisonView()
    qtbot.addWidget(view)
    view.add_row({"name": "mnist-cnn", "layers": "", "reason": "completed", "params": 206_922, "epochs": 4,
                  "best_val_acc": 99.0, "test_acc": 99.1, "seconds": 50.0})
    assert COLUMNS[-1] == "s / epoch" and view.table_rows()[0][-1] == "12.50"
