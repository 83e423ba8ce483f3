"""Mistakes on purpose in the window: the Optimizer dock's "Common mistakes" drive the experiment, a mistaken
run is drawn beside the normal run of the same settings (trained through the same client and loop) with a
line saying what went wrong and why; and the boundary view's train / eval mode toggle."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.config import LayerSpec
from trainer.loop import run_to_end
from trainer.mistakes import MISTAKE_TABLE, without_mistake
from trainer.presets import load_preset

TIMEOUT = 120_000


def spiral(mistake: str = "none", epochs: int = 60, layers=None):
    exp = load_preset("spiral")
    model = exp.model if layers is None else replace(exp.model, layers=tuple(LayerSpec(**x) for x in layers))
    return replace(exp, model=model, train=replace(exp.train, epochs=epochs, patience=0, device="cpu",
                                                   mistake=mistake))


def test_the_dock_group_is_off_by_default_and_drives_the_experiment(window, qtbot):
    panel = window.optimizer_panel
    window.apply_experiment(spiral())
    assert not panel.mistakes.isChecked()
    assert window.current_experiment().train.mistake == "none"
    panel.mistakes.setChecked(True)                                   # on: the first mistake, one at a time
    assert window.current_experiment().train.mistake == "no_zero_grad"
    panel.mistake_buttons["softmax_ce"].click()
    assert window.current_experiment().train.mistake == "softmax_ce"
    assert sum(b.isChecked() for b in panel.mistake_buttons.values()) == 1
    assert panel.mistake_buttons["softmax_ce"].toolTip().startswith(MISTAKE_TABLE["softmax_ce"].why)
    panel.mistakes.setChecked(False)
    assert window.current_experiment().train.mistake == "none"
    window.apply_experiment(spiral("no_eval"))                        # a file or lesson that makes one
    assert panel.mistakes.isChecked() and panel.mistake_buttons["no_eval"].isChecked()


def test_a_mistake_the_loss_cannot_make_is_refused_next_to_the_group(window, qtbot):
    window.apply_experiment(load_preset("xor-mlp"))                  # sigmoid + BCE: no softmax to misplace
    panel = window.optimizer_panel
    panel.mistakes.setChecked(True)
    panel.mistake_buttons["softmax_ce"].click()
    assert window.revalidate() is None
    assert panel.error_text().startswith("train.mistake: Softmax before CrossEntropyLoss needs a cross_entropy")
    assert panel.mistakes.property("invalid") is True
    assert not window.train_action.isEnabled()


def test_a_mistake_is_drawn_beside_its_normal_run(window, qtbot, train_window):
    exp = spiral("no_zero_grad")
    fin = train_window(window, exp)
    qtbot.waitUntil(lambda: not window.reference_run.is_running() and window.curves.reference_data()["epoch"].size
                    == 60, timeout=TIMEOUT)
    curves = window.curves
    assert curves.reference_key() == without_mistake(exp)
    normal = run_to_end(without_mistake(exp))                         # the same settings, trained here
    np.testing.assert_allclose(curves.reference_data()["train_loss"], [r["train_loss"] for r in normal.history],
                               rtol=1e-6)
    assert fin.history[-1]["train_loss"] > normal.history[-1]["train_loss"]
    line = curves.mistake_text()
    assert "Forget optimizer.zero_grad()" in line and curves.mistake_label.toolTip() == MISTAKE_TABLE["no_zero_grad"].why
    assert "Training loss: last" in line and "the normal run's (grey)" in line
    assert curves.reference_curves["train_loss"].isVisible()

    # The same settings again: the normal run is kept, not trained again.
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        window.train()
    assert not window.reference_run.is_running() and curves.reference_data()["epoch"].size == 60

    # The mistake off: no reference, no line.
    window.optimizer_panel.mistakes.setChecked(False)
    train_window(window)
    assert curves.reference_key() is None and curves.mistake_text() == ""
    assert curves.reference_data()["epoch"].size == 0


def test_forgetting_eval_compares_the_validation_loss_and_keeps_the_plots_readable(window, qtbot, train_window):
    """no_eval changes validation, not training: the line compares the validation loss and its jumpiness;
    the normal run is drawn over the run (dashed), and the line leaves the plots their height at 1280 x 800."""
    exp = spiral("no_eval", epochs=60)
    fin = train_window(window, exp)
    curves = window.curves
    qtbot.waitUntil(lambda: not window.reference_run.is_running() and curves.reference_data()["epoch"].size
                    == 60, timeout=TIMEOUT)
    assert MISTAKE_TABLE["no_eval"].shows == "val_loss"
    line = curves.mistake_text()
    mine = np.array([r["val_loss"] for r in fin.history])
    normal = curves.reference_data()["val_loss"]
    assert f"Validation loss: last {mine[-1]:.4g}, jumps {np.abs(np.diff(mine)).mean():.4g} an epoch" in line
    assert f"the normal run's (grey) {normal[-1]:.4g}, {np.abs(np.diff(normal)).mean():.4g}" in line
    assert "Training loss" not in line
    ref, run = curves.reference_curves["val_loss"], curves.curves["val_loss"]
    assert ref.isVisible() and ref.zValue() > run.zValue()           # drawn over the run, dashed
    window.resize(1280, 800)
    qtbot.wait(200)
    assert curves.mistake_label.height() <= 3 * curves.mistake_label.fontMetrics().height()   # one or two lines
    assert curves.loss_plot.vb.height() >= 120                        # the loss plot keeps a usable height
    assert curves.legend.width() >= curves.legend.sizeHint().width()  # the legend is not cut


def test_forgetting_no_grad_shows_the_memory_the_kept_graphs_hold(window, qtbot, train_window):
    train_window(window, spiral("no_no_grad", epochs=30))
    curves = window.curves
    assert curves.memory_plot.isVisible()
    held = curves.data()["graph_mb"]
    assert held.size == 30 and np.all(np.diff(held) > 0)
    assert f"{held[-1]:.1f} MB of graphs are kept after 30 epochs" in curves.mistake_text()
    qtbot.waitUntil(lambda: not window.reference_run.is_running(), timeout=TIMEOUT)
    window.optimizer_panel.mistakes.setChecked(False)
    window.revalidate()
    assert curves.memory_plot.isVisible()        # an edit keeps the last run on screen, memory and all
    train_window(window)                         # the normal run: nothing is kept, nothing to plot
    assert not curves.memory_plot.isVisible() and curves.mistake_text() == ""


def test_the_boundary_toggle_draws_train_mode_anew_and_eval_mode_the_same(window, qtbot, train_window):
    boundary = window.boundary
    train_window(window, spiral(epochs=40))                           # 2-100-3 with dropout 0.2
    assert boundary.train_mode_box.isVisible() and boundary.train_mode_box.isEnabled()
    assert not boundary.redraw_button.isEnabled()
    boundary.train_mode_box.setChecked(False)
    boundary._draw_mode()
    eval_picture = boundary.image()
    boundary._draw_mode()
    np.testing.assert_array_equal(boundary.image(), eval_picture)      # eval mode: the same every time
    boundary.train_mode_box.setChecked(True)                          # dropout drops units: noisy
    first = boundary.image()
    assert boundary.redraw_button.isEnabled()
    assert np.abs(first.astype(int) - eval_picture.astype(int)).mean() > 1
    boundary.redraw_button.click()
    second = boundary.image()
    assert np.abs(second.astype(int) - first.astype(int)).mean() > 1  # and different each time
    boundary.train_mode_box.setChecked(False)
    np.testing.assert_array_equal(boundary.image(), eval_picture)
    model = window.trained_model()
    assert not model.training                                          # the model itself stays in eval mode


def test_the_toggle_is_only_there_for_models_with_dropout_or_batch_norm(window, qtbot, train_window):
    layers = [{"kind": "linear", "units": 16}, {"kind": "activation", "fn": "tanh"}]
    train_window(window, spiral(epochs=5, layers=layers))
    assert not window.boundary.train_mode_box.isVisible()
    window.apply_experiment(spiral(epochs=5, layers=[*layers, {"kind": "batchnorm"}]))
    assert window.boundary.train_mode_box.isVisible()
    assert not window.boundary.train_mode_box.isEnabled() or window.boundary._model is not None


@pytest.fixture(autouse=True)
def _reference_runs_end(window):
    """The normal runs train in their own client: the window closing stops them (as the app does)."""
    yield
    window.reference_run.client.shutdown(30_000)
