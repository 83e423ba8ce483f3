"""The central views, fed with real events from trainer.loop.train (no window, no session).

Each test drives a view the way the main window does (reset, set_data, on_* slots) and
checks what a user would see: points per epoch on the curves, a heatmap that follows the
model and sits where the data is, clicks that add and remove points, a diagram whose lines
follow the weights, and a neuron map that matches the clicked neuron.

Set NP_VIEW_SCREENSHOTS=<folder> to keep the PNGs of the last test for a look.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from desktop.views import BoundaryView, CurvesView, NetworkView, NeuronView
from desktop.views.colors import class_color
from trainer.config import Experiment
from trainer.data import Splits, load
from trainer.events import EpochEnd, Finished, NewBest, Snapshot, Started
from trainer.loop import train
from trainer.pacing import Pacing
from trainer.presets import load_preset

TF_LAYERS = [{"kind": "linear", "units": 8}, {"kind": "activation", "fn": "tanh"},
             {"kind": "linear", "units": 8}, {"kind": "activation", "fn": "tanh"}]


@dataclass
class Run:
    """What a view sees of one training run."""
    exp: Experiment
    splits: Splits
    started: Started
    epochs: list[EpochEnd]
    bests: list[NewBest]
    first: Snapshot          # epoch 0: the untrained model
    last: Snapshot           # the final model, sent before Finished
    finished: Finished


def _run(exp: Experiment) -> Run:
    events = list(train(exp, None, Pacing(snapshot_every_s=0.05)))
    snaps = [e for e in events if isinstance(e, Snapshot)]
    assert isinstance(events[-1], Finished) and len(snaps) >= 2
    return Run(exp, load(exp.data), events[0] if isinstance(events[0], Started) else
               next(e for e in events if isinstance(e, Started)),
               [e for e in events if isinstance(e, EpochEnd)], [e for e in events if isinstance(e, NewBest)],
               snaps[0], snaps[-1], events[-1])


@pytest.fixture(scope="module")
def spiral() -> Run:
    """TensorFlow Playground's picture: the 3-arm spiral on a 2-8-8-3 tanh network, 400 epochs."""
    exp = load_preset("spiral").with_overrides({"model.layers": TF_LAYERS, "optim.lr": 0.03,
                                                "optim.weight_decay": 0.0, "train.epochs": 400,
                                                "train.patience": 0})
    return _run(exp)


@pytest.fixture(scope="module")
def linear() -> Run:
    return _run(load_preset("linear-regression").with_overrides({"train.epochs": 200}))


def _feed(view, run: Run, chunk: int = 37, snapshots: bool = True) -> None:
    """Drive a view as the main window does, with the epochs coalesced into uneven batches."""
    view.reset(run.exp)
    view.set_data(run.splits)
    view.on_started(run.started)
    for i in range(0, len(run.epochs), chunk):
        view.on_epochs(run.epochs[i:i + chunk])
    for best in run.bests:
        view.on_new_best(best)
    if snapshots:
        view.on_snapshot(run.first)
        view.on_snapshot(run.last)
    view.on_finished(run.finished)


def _show(qtbot, view, size=(700, 560)):
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def _pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    raw = np.frombuffer(bytes(rgb.constBits()), np.uint8)[:rgb.bytesPerLine() * rgb.height()]
    return raw.reshape(rgb.height(), rgb.bytesPerLine())[:, :rgb.width() * 3].reshape(rgb.height(), -1, 3)


def _nearest_class(rgb: np.ndarray, n: int) -> int:
    """Which class colour a heatmap pixel leans to (the heatmap fades each class colour toward white)."""
    white = np.array([255.0, 255.0, 255.0])
    d = [np.linalg.norm(_unit(np.asarray(rgb, float) - white) - _unit(np.array(class_color(c)) - white))
         for c in range(n)]
    return int(np.argmin(d))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) + 1e-9)


# -- curves ------------------------------------------------------------------------------------------
def test_curves_hold_one_point_per_epoch_and_mark_the_best(qtbot, spiral):
    view = _show(qtbot, CurvesView(capacity=16))       # small on purpose: the arrays must grow by doubling
    _feed(view, spiral)
    data = view.data()
    n = len(spiral.epochs)
    assert n == spiral.finished.epochs_run == 400
    np.testing.assert_array_equal(data["epoch"], np.arange(n))
    np.testing.assert_allclose(data["train_loss"], [r["train_loss"] for r in spiral.finished.history])
    np.testing.assert_allclose(data["val_acc"], [r["val_acc"] for r in spiral.finished.history])
    for name, curve in view.curves.items():
        x, y = curve.getOriginalDataset()              # getData() is what is on screen: clipped to view
        assert len(x) == n and np.allclose(y, data[name], equal_nan=True), name
    assert view.best_epoch() == spiral.finished.best_epoch
    assert all(line.isVisible() and line.value() == spiral.finished.best_epoch for line in view.best_lines)
    assert f"best epoch {spiral.finished.best_epoch}" in view.best_label.text()
    # Every point is on screen, and the x axis ends with the run (no empty tail).
    (x0, x1), (y0, y1) = view.loss_plot.vb.viewRange()
    assert x0 <= 0 and n - 1 <= x1 < n * 1.1
    losses = np.concatenate([data["train_loss"], data["val_loss"]])
    assert y0 <= losses.min() and losses.max() <= y1 < losses.max() * 1.5

    view.reset(spiral.exp)
    assert len(view.data()["epoch"]) == 0 and not view.best_lines[0].isVisible()
    x, _ = view.curves["train_loss"].getOriginalDataset()
    assert x is None or len(x) == 0


def test_curves_redraw_at_a_limited_rate_but_the_last_epochs_always_reach_the_screen(qtbot, spiral):
    """Epochs that come too soon after a redraw wait for the next one, even when no more epochs come
    (a paused run): the curves never stop short of the last epoch received."""
    view = _show(qtbot, CurvesView())
    view._throttle.interval_s = 1.0      # wide, so the second batch surely comes "too soon" on any machine
    view.reset(spiral.exp)
    view.on_started(spiral.started)

    def drawn() -> int:
        x, _ = view.curves["train_loss"].getOriginalDataset()
        return 0 if x is None else len(x)

    view.on_epochs(spiral.epochs[:10])
    assert drawn() == 10                 # the first epochs of a run show at once
    view.on_epochs(spiral.epochs[10:50])
    view.on_new_best(NewBest(45, spiral.epochs[45].val_loss))
    assert drawn() == 10 and not view.best_lines[0].isVisible()   # held back: no repaint yet...
    assert len(view.data()["epoch"]) == 50 and view.best_epoch() == 45   # ...but recorded
    qtbot.waitUntil(lambda: drawn() == 50, timeout=5000)   # ...and drawn when the interval is up
    assert view.best_lines[0].isVisible() and view.best_lines[0].value() == 45


def test_curves_take_missing_epochs_from_the_finished_history(qtbot, spiral):
    view = _show(qtbot, CurvesView())
    view.reset(spiral.exp)
    view.on_epochs(spiral.epochs[:100])
    view.on_finished(spiral.finished)
    assert len(view.data()["epoch"]) == spiral.finished.epochs_run


def test_log_toggle_switches_the_loss_axis(qtbot, spiral):
    view = _show(qtbot, CurvesView())
    _feed(view, spiral)
    assert not view.is_log_loss()
    qtbot.mouseClick(view.log_box, Qt.MouseButton.LeftButton, pos=QPoint(8, view.log_box.height() // 2))
    assert view.log_box.isChecked() and view.is_log_loss()
    assert view.curves["val_loss"].opts["logMode"][1]
    lowest = np.log10(min(view.data()["train_loss"]))
    qtbot.waitUntil(lambda: view.loss_plot.vb.viewRange()[1][0] < lowest + 0.5)   # the axis is in decades now
    view.set_log_loss(False)
    assert not view.is_log_loss() and not view.log_box.isChecked()


def test_hovering_the_curves_reads_out_epoch_and_values(qtbot, spiral):
    view = _show(qtbot, CurvesView())
    _feed(view, spiral)
    qtbot.wait(100)
    vb = view.loss_plot.vb
    target_epoch = 123
    y_mid = float(np.mean(vb.viewRange()[1]))
    scene_pos = vb.mapViewToScene(QPointF(target_epoch, y_mid))
    widget_pos = view.graphics.mapFromScene(scene_pos)
    qtbot.mouseMove(view.graphics.viewport(), widget_pos)
    qtbot.waitUntil(lambda: view.hover_text() != "", timeout=2000)
    text = view.hover_text()
    shown = int(text.splitlines()[0].split()[1])
    # The epoch under the mouse as the plot maps it now (a late relayout may have moved the plot a little).
    under_mouse = vb.mapSceneToView(view.graphics.mapToScene(widget_pos)).x()
    assert abs(shown - under_mouse) <= 1 and abs(shown - target_epoch) <= 15, text
    assert f"{spiral.epochs[shown].train_loss:.4g}" in text and "val acc" in text
    assert view.hover_lines[0].value() == shown and view.hover_lines[1].value() == shown
    # The label is drawn by the mouse, inside the plot, at text size (not stretched by the view's scale).
    label = view.hover_label.sceneBoundingRect()
    assert vb.sceneBoundingRect().contains(label.center())
    assert 30 < label.height() < 200 and 40 < label.width() < 300, label
    assert label.adjusted(-20, -20, 20, 20).contains(scene_pos) or abs(label.center().x() - scene_pos.x()) < 200


def test_regression_curves_have_no_accuracy_plot(qtbot, linear):
    view = _show(qtbot, CurvesView())
    _feed(view, linear)
    assert not view.acc_plot.isVisible()
    assert len(view.data()["train_loss"]) == 200 and np.isnan(view.data()["train_acc"]).all()


# -- decision boundary ----------------------------------------------------------------------------------
def test_boundary_image_follows_the_model_and_sits_under_the_data(qtbot, spiral):
    view = _show(qtbot, BoundaryView())
    view.reset(spiral.exp)
    view.set_data(spiral.splits)
    assert view.image() is None
    view.on_snapshot(spiral.first)
    early = view.image()
    view.on_snapshot(spiral.last)
    late = view.image()
    assert early.shape == late.shape == (100, 100, 4) and early.dtype == np.uint8
    assert np.abs(early.astype(int) - late.astype(int)).mean() > 10, "the boundary image did not change"

    # Where the trained model is sure, the widget shows that class's colour at that place in the plane
    # (checks orientation and extent of the heatmap, not just the array).
    qtbot.wait(50)
    shot = _pixels(view.plot_widget.grab().toImage())
    probs = spiral.last.boundary
    xmin, xmax, ymin, ymax = spiral.last.extent
    all_x = np.concatenate([spiral.splits.x_train, spiral.splits.x_val, spiral.splits.x_test])
    rng = np.random.default_rng(0)
    checked = 0
    (x0, x1), (y0, y1) = view.vb.viewRange()   # the picture reaches beyond the plane in sight
    for row, col in rng.permutation(np.argwhere(probs.max(axis=2) > 0.97))[:400]:
        x = xmin + (xmax - xmin) * col / 99
        y = ymin + (ymax - ymin) * row / 99
        if not (x0 < x < x1 and y0 < y < y1):
            continue
        if np.min(np.hypot(all_x[:, 0] - x, all_x[:, 1] - y)) < 0.08:
            continue                                           # a data point is painted there
        p = view.view_to_widget(x, y)
        px = shot[int(p.y()), int(p.x())]
        assert _nearest_class(px, 3) == probs[row, col].argmax(), (x, y, px)
        checked += 1
        if checked == 30:
            break
    assert checked == 30


def test_boundary_plane_is_square(qtbot, spiral):
    view = _show(qtbot, BoundaryView(), size=(900, 500))
    _feed(view, spiral)
    qtbot.wait(50)
    (x0, x1), (y0, y1) = view.vb.viewRange()
    rect = view.vb.sceneBoundingRect()
    assert (rect.width() / (x1 - x0)) == pytest.approx(rect.height() / (y1 - y0), rel=0.02)


def test_left_click_adds_a_point_of_the_chosen_class_and_right_click_removes_it(qtbot, spiral):
    view = _show(qtbot, BoundaryView())
    _feed(view, spiral)
    qtbot.wait(50)
    view.set_chosen_class(2)
    target = (0.31, -0.42)
    pos = view.view_to_widget(*target)
    with qtbot.waitSignal(view.pointAdded, timeout=2000) as added:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    x, y, cls = added.args
    back = view.view_to_widget(x, y)                    # the added point lies under the clicked pixel
    assert abs(back.x() - pos.x()) <= 1 and abs(back.y() - pos.y()) <= 1 and cls == 2
    one_pixel = (view.vb.viewRange()[0][1] - view.vb.viewRange()[0][0]) / view.vb.width()
    assert abs(x - target[0]) < 5 * one_pixel and abs(y - target[1]) < 5 * one_pixel
    assert view.user_points() == [(x, y, 2)]
    assert len(view.scatters["user"].data) == 1

    far = view.view_to_widget(-0.9, 0.9)
    with qtbot.assertNotEmitted(view.pointRemoved):
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.RightButton, pos=far)
    assert len(view.user_points()) == 1
    with qtbot.waitSignal(view.pointRemoved, timeout=2000) as removed:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.RightButton, pos=pos + QPoint(3, -2))
    assert removed.args == [0] and view.user_points() == []


def test_added_points_come_back_as_stars_not_as_training_points(qtbot, spiral):
    extra = ((0.5, -0.25, 2), (-0.1, 0.2, 0))
    exp = replace(spiral.exp, data=replace(spiral.exp.data, extra_points=extra))
    splits = load(exp.data)
    view = _show(qtbot, BoundaryView())
    view.reset(exp)
    view.set_data(splits)
    assert view.user_points() == list(extra)
    assert len(view.scatters["user"].data) == 2
    assert len(view.scatters["train"].data) == len(splits.x_train) - 2


def test_regression_shows_the_fitted_line_and_the_truth(qtbot, linear):
    view = _show(qtbot, BoundaryView())
    _feed(view, linear)
    assert view.image() is None and not view.class_box.isVisible()
    xs, ys = view.fit_curve.getData()
    np.testing.assert_allclose(xs, linear.last.curve[0])
    np.testing.assert_allclose(ys, linear.last.curve[1])
    tx, ty = view.truth_line.getData()
    np.testing.assert_allclose(ty, 2 * tx + 1)
    assert view.truth_line.opts["pen"].style() == Qt.PenStyle.DashLine
    assert len(view.points_1d.data) == 50


def test_a_one_column_file_has_no_made_up_truth_line(qtbot, linear, tmp_path):
    """y = 2x + 1 is the linear lesson's truth; a CSV's regression (issue 17) draws its points only."""
    from dataclasses import replace

    from trainer.tabular.datasets import spec_for_file
    x = np.linspace(0, 1, 40)
    (tmp_path / "f.csv").write_text("dose,response\n" + "".join(f"{a:.3f},{3 * a * a:.3f}\n" for a in x))
    exp = replace(linear.exp, data=spec_for_file(str(tmp_path / "f.csv"), base=linear.exp.data, task="regression"))
    view = _show(qtbot, BoundaryView())
    view.reset(exp)
    view.set_data(load(exp.data))
    assert len(view.points_1d.data) == 40
    truth_x = view.truth_line.getData()[0]
    assert truth_x is None or len(truth_x) == 0
    assert "truth" not in [label.text for _, label in view.legend_1d.items]
    view.reset(linear.exp)                       # back to the lesson: its truth comes back
    view.set_data(linear.splits)
    assert len(view.truth_line.getData()[0]) == 2
    assert any("truth" in label.text for _, label in view.legend_1d.items)


def test_many_input_datasets_get_a_message_instead_of_a_plane(qtbot):
    view = _show(qtbot, BoundaryView())
    view.reset(load_preset("mnist-mlp"))
    assert not view.plot_widget.isVisible() and view.message.isVisible()


# -- network diagram and neuron view ----------------------------------------------------------------------
def test_network_draws_each_neuron_and_line_widths_follow_the_weights(qtbot, spiral):
    view = _show(qtbot, NetworkView())
    view.reset(spiral.exp)
    assert [len(c) for c in view.neuron_items()] == [2, 8, 8, 3]
    assert all(w.max() == w.min() for w in view.line_widths())        # no weights yet: all alike
    view.set_data(spiral.splits)
    view.on_snapshot(spiral.last)
    widths = view.line_widths()
    assert [w.shape for w in widths] == [(8, 2), (8, 8), (3, 8)]
    for w_px, (weights, _bias) in zip(widths, spiral.last.weights):
        order = np.argsort(np.abs(weights).ravel())
        assert np.all(np.diff(w_px.ravel()[order]) >= -1e-6), "thicker lines must mean larger |w|"
        assert w_px.ravel()[order[-1]] > 3 * w_px.ravel()[order[0]]
    drawn = sorted(pen.widthF() for _, _, pen in view.edges[1].segments)
    assert len(drawn) == 64 and drawn[-1] == pytest.approx(widths[1].max())
    # Every neuron is a heatmap thumbnail once the maps arrive; the signs come out as the two colours.
    assert all(node.image is not None for col in view.neuron_items() for node in col)


def test_clicking_a_hidden_neuron_emits_its_layer_and_unit(qtbot, spiral):
    view = _show(qtbot, NetworkView())
    _feed(view, spiral)
    qtbot.wait(50)
    with qtbot.waitSignal(view.neuronClicked, timeout=2000) as clicked:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.node_position(2, 5).toPoint())
    assert clicked.args == [1, 5]                       # hidden layer 1 (0-based), unit 5
    assert view.neuron_items()[2][5].selected
    with qtbot.assertNotEmitted(view.neuronClicked):    # inputs and outputs are not hidden neurons
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.node_position(0, 0).toPoint())


def test_wide_layers_wrap_and_big_models_get_a_summary(qtbot):
    view = _show(qtbot, NetworkView())
    view.reset(load_preset("spiral"))                   # 2-100-3
    assert not view.summary_mode
    assert [len(c) for c in view.neuron_items()] == [2, 100, 3]
    view.reset(load_preset("mnist-mlp"))                # 784 inputs: a box per layer, no neurons
    assert view.summary_mode and view.neuron_items() == []
    assert "parameters" in view.caption.text()


def test_neuron_view_shows_the_clicked_neuron_and_follows_training(qtbot, spiral):
    network = _show(qtbot, NetworkView())
    neurons = _show(qtbot, NeuronView())
    network.neuronClicked.connect(neurons.show_neuron)
    for view in (network, neurons):
        view.reset(spiral.exp)
        view.set_data(spiral.splits)
        view.on_snapshot(spiral.first)
    qtbot.wait(50)
    qtbot.mouseClick(network.canvas.viewport(), Qt.MouseButton.LeftButton, pos=network.node_position(1, 3).toPoint())
    assert neurons.neuron() == (0, 3)
    np.testing.assert_array_equal(neurons.map(), spiral.first.neurons[0][:, :, 3])
    assert "Hidden layer 1, neuron 4 (tanh)" in neurons.title.text()
    assert f"epoch {spiral.first.epoch}" in neurons.title.text()
    for view in (network, neurons):
        view.on_snapshot(spiral.last)
    np.testing.assert_array_equal(neurons.map(), spiral.last.neurons[0][:, :, 3])
    assert np.array_equal(neurons.image_item.image, spiral.last.neurons[0][:, :, 3])
    levels = neurons.image_item.getLevels()
    assert levels[0] == pytest.approx(-levels[1])      # 0 stays in the neutral middle of the scale
    assert len(neurons.points.data) == len(spiral.splits.x_train)


def test_neuron_view_explains_itself_without_a_plane(qtbot):
    view = _show(qtbot, NeuronView())
    view.reset(load_preset("linear-regression"))
    assert not view.plot_widget.isVisible() and "2-D" in view.message.text()


# -- pictures ------------------------------------------------------------------------------------------------
def test_each_view_renders_to_a_png(qtbot, spiral, tmp_path):
    """Grab every view after the spiral run; NP_VIEW_SCREENSHOTS=<dir> keeps them for a look."""
    out = Path(os.environ.get("NP_VIEW_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    views = {"curves": CurvesView(), "boundary": BoundaryView(), "network": NetworkView(), "neuron": NeuronView()}
    views["network"].neuronClicked.connect(views["neuron"].show_neuron)
    for view in views.values():
        _show(qtbot, view)
        _feed(view, spiral)
    qtbot.mouseClick(views["network"].canvas.viewport(), Qt.MouseButton.LeftButton,
                     pos=views["network"].node_position(2, 0).toPoint())
    qtbot.wait(100)
    for name, view in views.items():
        path = out / f"view-{name}.png"
        assert view.grab().save(str(path)), path
        print(f"{name}: {path}")
        pixels = _pixels(QImage(str(path)))
        assert pixels.shape[:2] == (560, 700)
        colours = {tuple(c) for c in pixels.reshape(-1, 3)[::7]}
        assert len(colours) > 40, f"{name} looks blank"
    # The boundary and the network both show all three class colours (orange, blue, green).
    for name in ("boundary", "network"):
        pixels = _pixels(QImage(str(out / f"view-{name}.png"))).reshape(-1, 3).astype(int)
        for c in range(3):
            close = np.abs(pixels - np.array(class_color(c))).max(axis=1) < 40
            assert close.sum() > 50, f"{name}: hardly any pixel of class {c}'s colour"


def test_the_comparison_view_draws_what_it_is_given_and_trains_nothing(qtbot):
    from desktop.views.comparison import ComparisonView
    view = ComparisonView()
    qtbot.addWidget(view)
    assert not hasattr(view, "session")                      # a view: whoever runs the comparison feeds it
    exps = [(name, load_preset(name)) for name in ("mnist-small", "mnist-medium")]
    view.set_choices(exps, checked=["mnist-medium"])
    assert view.checked_presets() == ["mnist-medium"]
    with qtbot.waitSignal(view.runRequested, timeout=1000):
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    view.set_running(True)
    assert not view.run_button.isEnabled() and view.stop_button.isEnabled() and not view.choices.isEnabled()
    for name, test_acc, params in (("a", 91.5, 1_000), ("b", 97.25, 20_000)):
        view.begin_curve(f"{name}: {params:,} params")
        view.extend_curve([50.0, None])
        view.extend_curve([80.0])
        view.end_curve(f"{name}: test {test_acc:.1f}%")
        view.add_row({"name": name, "layers": "784→10", "reason": "completed", "params": params, "epochs": 3,
                      "best_val_acc": 80.0, "test_acc": test_acc, "seconds": 1.0})
    curves = view.plot.getPlotItem().listDataItems()
    assert [len(c.getData()[0]) for c in curves] == [3, 3]
    assert [label.text for _, label in view.legend.items] == ["a: test 91.5%", "b: test 97.2%"]
    view.table.sortItems(1, Qt.SortOrder.DescendingOrder)    # by parameters, as numbers
    assert [row[:2] for row in view.table_rows()] == [["b", "20,000"], ["a", "1,000"]]
    view.clear()
    assert view.table_rows() == [] and view.plot.getPlotItem().listDataItems() == []
