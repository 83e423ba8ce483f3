"""The first hour, in the views: what a newcomer sees before training, after Reset, when zooming
the plane and on a log-scale loss axis. Each test does what the user does in the window.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPointF

import trainer.models  # noqa: F401 -- torch "imported already", as when the app's warm-up is done
from trainer.config import Experiment
from trainer.models import build_model
from trainer.plane import Plane, extent_of
from trainer.presets import load_preset

TIMEOUT = 180_000
WHITE = (255, 255, 255)


def _short(name: str = "spiral", **overrides) -> Experiment:
    return load_preset(name).with_overrides({"train.epochs": 150, **overrides})


def _splits(window):
    return window._splits


def _untrained_boundary(exp: Experiment, splits) -> np.ndarray:
    """What epoch 0 of a run of `exp` predicts over the plane (as trainer.loop seeds it)."""
    from trainer.config import resolved_loss
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(exp.train.seed)
        model = build_model(exp).eval()
    with torch.no_grad():
        return Plane(extent_of(splits)).boundary(model, resolved_loss(exp))


def _view_corners(view) -> list[tuple[int, int]]:
    """Pixels just inside the four corners of the plot's view box, in plot_widget coordinates."""
    rect = view.plot_widget.mapFromScene(view.vb.sceneBoundingRect()).boundingRect()
    inset = 4
    return [(x, y) for x in (rect.left() + inset, rect.right() - inset)
            for y in (rect.top() + inset, rect.bottom() - inset)]


def _pixel(image, x: int, y: int) -> tuple[int, int, int]:
    c = image.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


# -- 9: the untrained network is drawn at once ----------------------------------------------------------
def test_untrained_network_is_drawn_before_any_training(window, qtbot):
    exp = _short()
    window.apply_experiment(exp)
    qtbot.wait(20)
    exp = window.current_experiment()
    # The boundary: epoch 0's prediction, not an empty plane.
    image = window.boundary.image()
    assert image is not None, "no heatmap before training"
    probs = window.boundary._probs
    np.testing.assert_allclose(probs, _untrained_boundary(exp, _splits(window)), atol=1e-5)
    # The diagram: every hidden neuron a picture, the lines drawn with their widths.
    hidden = [n for col in window.network.neuron_items()[1:-1] for n in col]
    assert hidden and all(n.image is not None for n in hidden), "grey circles instead of neuron maps"
    widths = window.network.line_widths()
    assert widths and all(np.asarray(w).max() > 0 for w in widths), "invisible lines"
    # The Neuron tab shows a neuron's map of the untrained network too.
    window.neurons.show_neuron(0, 0)
    assert window.neurons.map() is not None


def test_untrained_network_is_redrawn_when_layers_or_seed_change(window, qtbot):
    exp = _short()
    window.apply_experiment(exp)
    first = window.boundary.image()
    layers = [{"kind": "linear", "units": 6}, {"kind": "activation", "fn": "tanh"}]
    window.apply_experiment(exp.with_overrides({"model.layers": layers}))
    second = window.boundary.image()
    assert second is not None and not np.array_equal(first, second)
    assert len(window.network.neuron_items()[1]) == 6
    assert all(n.image is not None for n in window.network.neuron_items()[1])
    reseeded = window.current_experiment().with_overrides({"train.seed": 7})
    window.apply_experiment(reseeded)
    third = window.boundary.image()
    assert not np.array_equal(second, third), "a new seed, a new initial network"
    np.testing.assert_allclose(window.boundary._probs, _untrained_boundary(window.current_experiment(),
                                                                           _splits(window)), atol=1e-5)


def test_untrained_network_waits_for_torch_and_leaves_its_generator_alone(window, qtbot):
    """The window shows before torch is imported: the pictures come with torch_loaded(); drawing them
    does not move torch's global generator (a training or lesson in this process draws from it)."""
    window._torch_ready.clear()                       # as at launch, before the warm-up thread is done
    exp = _short(**{"model.layers": [{"kind": "linear", "units": 5}, {"kind": "activation", "fn": "relu"}]})
    window.apply_experiment(exp)
    assert window.boundary.image() is None
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    window.torch_loaded()
    assert torch.equal(torch.random.get_rng_state(), state)
    assert window.boundary.image() is not None
    assert all(n.image is not None for n in window.network.neuron_items()[1])


def test_no_untrained_pictures_for_a_large_model(window, qtbot):
    big = [{"kind": "linear", "units": 160}, {"kind": "activation", "fn": "relu"},
           {"kind": "linear", "units": 160}, {"kind": "activation", "fn": "relu"}]   # > WEIGHTS_MAX_PARAMS
    window.apply_experiment(_short(**{"model.layers": big}))
    assert window.boundary.image() is None


# -- 3: Reset forgets the trained boundary -------------------------------------------------------------
def test_reset_after_training_returns_the_boundary_to_the_untrained_network(window, qtbot, train_window):
    window.apply_experiment(_short())
    untrained = window.boundary.image()
    train_window(window)
    trained = window.boundary.image()
    assert not np.array_equal(untrained, trained)
    window.reset_action.trigger()
    qtbot.wait(20)
    after = window.boundary.image()
    assert after is not None and np.array_equal(after, untrained), "Reset kept the trained heatmap"
    assert window.curves.data()["epoch"].size == 0


# -- 7: the heatmap fills the plot, also zoomed and panned ----------------------------------------------
def _assert_coloured_to_the_edges(window, qtbot) -> None:
    view = window.boundary
    qtbot.wait(30)
    shot = view.plot_widget.grab().toImage()
    for x, y in _view_corners(view):
        assert _pixel(shot, x, y) != WHITE, f"a white band at pixel {(x, y)}"
    (x0, x1), (y0, y1) = view.vb.viewRange()
    xmin, xmax, ymin, ymax = view.image_extent()
    assert xmin <= x0 and x1 <= xmax and ymin <= y0 and y1 <= ymax, ((x0, x1, y0, y1), view.image_extent())


def test_heatmap_fills_the_plot_after_training_and_after_zoom_and_pan(window, qtbot, train_window):
    window.apply_experiment(_short())
    train_window(window)
    view = window.boundary
    view.discrete_box.setChecked(True)     # each pixel the winning class: white only where no picture is
    _assert_coloured_to_the_edges(window, qtbot)

    view.vb.scaleBy((2.5, 2.5))            # the mouse wheel, zooming out
    qtbot.waitUntil(lambda: not view._redraw_timer.isActive(), timeout=2000)
    _assert_coloured_to_the_edges(window, qtbot)

    view.vb.translateBy((4.0, -3.0))       # dragging the plane aside
    qtbot.waitUntil(lambda: not view._redraw_timer.isActive(), timeout=2000)
    _assert_coloured_to_the_edges(window, qtbot)

    # The read-out under the mouse follows the redrawn picture, out there too.
    (x0, x1), (y0, y1) = view.vb.viewRange()
    view._on_mouse_moved(view.vb.mapViewToScene(QPointF(x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0))))
    assert "class" in view.readout.text()


def test_heatmap_fills_the_default_view_while_training(window, qtbot):
    """During a run the pictures are the loop's: its plane covers the plot's default range."""
    view = window.boundary
    window.apply_experiment(_short(**{"train.epochs": 3000}))
    assert window.train()
    qtbot.waitUntil(lambda: window.curves.data()["epoch"].size > 20, timeout=TIMEOUT)
    view.discrete_box.setChecked(True)
    try:
        _assert_coloured_to_the_edges(window, qtbot)
        assert view._model is None        # the run's snapshots are the picture: no redraws of its own
    finally:
        window.stop()
        qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)


@pytest.mark.parametrize("preset", ["xor-mlp", "perceptron-and"])
def test_heatmap_fills_the_plot_on_other_2d_datasets(window, qtbot, train_window, preset):
    train_window(window, _short(preset))   # the plane is the dataset's: 150 epochs draw it as 5,000 do
    view = window.boundary
    # The trained model redraws the plane in sight once the view settles (40 ms), as after a zoom.
    qtbot.waitUntil(lambda: not view._redraw_timer.isActive(), timeout=2000)
    view.discrete_box.setChecked(True)
    _assert_coloured_to_the_edges(window, qtbot)


# -- 8: a log-scale loss axis has readable ticks --------------------------------------------------------
def _drawn_labels(axis) -> list[tuple[object, str]]:
    """The tick labels the axis paints now: (rect, text), as its paint() lays them out."""
    from PySide6.QtGui import QImage, QPainter
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in specs[2]] if specs else []


@pytest.mark.parametrize("epochs", [150, 2000])
def test_log_scale_loss_ticks_do_not_overlap(window, qtbot, train_window, epochs):
    train_window(window, _short(**{"train.epochs": epochs}))
    curves = window.curves
    curves.log_box.setChecked(True)                 # the user ticks "Log-scale loss"
    qtbot.wait(50)
    labels = _drawn_labels(curves.loss_plot.getAxis("left"))
    assert len(labels) >= 2, labels
    for i, (a, ta) in enumerate(labels):
        for b, tb in labels[i + 1:]:
            assert not a.intersects(b), f"tick labels {ta!r} and {tb!r} overlap"
    values = sorted(float(t) for _, t in labels)     # plain numbers, each a loss the axis really shows
    (y0, y1) = curves.loss_plot.vb.viewRange()[1]
    assert all(10 ** y0 * 0.999 <= v <= 10 ** y1 * 1.001 for v in values), (values, y0, y1)


def test_log_ticks_fit_any_range():
    from desktop.views.curves import log_ticks
    for lo, hi in [(-1, 0.5), (-0.52, -0.35), (-6, 1), (-14, 2), (-0.01, 0.0), (0.0, 3.0)]:
        for pixels in (40, 70, 300):
            ticks = log_ticks(lo, hi, pixels, 20)
            assert ticks, (lo, hi, pixels)
            assert all(lo - 1e-9 <= t <= hi + 1e-9 for t in ticks)
            gaps = np.diff(ticks) * pixels / (hi - lo)
            assert (gaps >= 20 - 1e-6).all(), (lo, hi, pixels, ticks)
