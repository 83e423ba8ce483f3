"""The loss landscape (issue 16 item 5) in the window: Compute runs in a training process and what reaches
the screen is the trained model's loss at the centre, the path ending there, a branch on the same plane;
Cancel leaves no picture and no process stuck; empty and bad states are words, not a traceback."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from trainer.data import load
from trainer.models import build_loss, model_from_state
from trainer.presets import load_preset
from trainer.timeline.landscape import LANDSCAPE_ROWS, project
from trainer.timeline.runs import MAIN

from desktop.timetravel_views import RUN_COLOR
from desktop.training import process, running_threads
from desktop.training.landscape_job import LandscapeJob
from desktop.views.landscape import NOTHING, READY, SEEN_BY_RANDOM, path_notes

EPOCHS = 40


def short_spiral(**changes):
    return load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0, **changes})


def open_tab(window):
    view = window.timeline_views.landscape_view
    window.tabs.setCurrentWidget(window.playground)
    window.plane_tabs.setCurrentWidget(view)
    return view


def compute(window, qtbot, steps=21):
    """Press Compute (the grid picked in its box) and wait until the job has ended."""
    view = open_tab(window)
    view.steps_box.setCurrentIndex(view.steps_box.findData(steps))
    pane = window.timeline_views.landscape
    with qtbot.waitSignal(pane.job.ended, timeout=120_000):
        view.compute_button.click()
    return view


def trained_loss(exp, state) -> float:
    """The trained model's training loss on the rows a landscape uses, by a plain forward pass."""
    splits = load(exp.data)
    model = model_from_state(exp, state).eval()
    x = torch.from_numpy(np.asarray(splits.x_train[:LANDSCAPE_ROWS], dtype=np.float32))
    y = torch.from_numpy(np.asarray(splits.y_train[:LANDSCAPE_ROWS], dtype=np.int64))
    with torch.no_grad():
        return float(build_loss(exp)(model(x), y))


@pytest.mark.parametrize("restore_best", [False, True])
def test_the_centre_is_the_trained_models_loss_and_the_path_leads_there(window, train_window, qtbot,
                                                                        restore_best):
    exp = short_spiral(**{"train.restore_best": restore_best})
    fin = train_window(window, exp)
    view = compute(window, qtbot)
    landscape = view.landscape()
    assert landscape is not None and landscape.loss.shape == (21, 21)
    assert view.centre_value() == pytest.approx(trained_loss(exp, fin.state), rel=1e-5)
    path = view.paths()[MAIN]
    assert list(path.epochs) == window.time_travel.tree.epochs(MAIN)
    centre = EPOCHS - 1 if not restore_best else fin.best_epoch   # the weights the run kept
    assert path.points[list(path.epochs).index(centre)] == pytest.approx([0.0, 0.0], abs=1e-9)
    if not restore_best:
        assert path.points[-1] == pytest.approx([0.0, 0.0], abs=1e-9)   # the path's last point is the centre
    assert "main direction of the path" in view.plot.getAxis("bottom").labelText
    assert f"the weights of the run's epoch {centre}" in view.status_text()


def test_random_directions_are_a_choice_and_the_axes_say_so(window, train_window, qtbot):
    exp = short_spiral(**{"train.restore_best": False})
    fin = train_window(window, exp)
    view = open_tab(window)
    view.kind_box.setCurrentIndex(view.kind_box.findData("random"))
    compute(window, qtbot)
    assert view.landscape().kind == "random"
    assert view.plot.getAxis("bottom").labelText == "random direction 1 (filter-normalised)"
    assert view.plot.getAxis("left").labelText.startswith("random direction 2")
    assert view.centre_value() == pytest.approx(trained_loss(exp, fin.state), rel=1e-5)
    seen = sum(view.landscape().explained)
    assert ("random directions hold only" in view.status_text()) == (seen < SEEN_BY_RANDOM)


def test_the_status_says_when_the_path_is_hard_to_read_on_the_map(window, train_window, qtbot):
    """Random directions that barely hold the path, and path epochs whose recorded loss is above the map's
    colours, are said in words (the newcomer's trial: MNIST's epoch 0 at 2.30 on a map of 2.04-2.17)."""
    train_window(window, short_spiral(**{"train.restore_best": False}))
    view = compute(window, qtbot)
    landscape = view.landscape()
    history = window.time_travel.tree[MAIN].history
    recorded = {r["epoch"]: r["train_loss"] for r in history}
    epochs = list(view.paths()[MAIN].epochs)
    # As on MNIST: the map's highest loss below epoch 0's recorded one.
    low = dataclasses.replace(landscape, loss=np.full_like(landscape.loss, recorded[0] / 2))
    above = [e for e in epochs if recorded[e] > recorded[0] / 2]
    notes = path_notes(low, epochs, recorded)
    assert any(f"{len(above)} of the path's epochs had a training loss above this map's range" in n and
               f"{recorded[0]:.3g}" in n for n in notes) if len(above) > 1 else notes
    assert not [n for n in path_notes(landscape, epochs, {}) if "above" in n]   # nothing recorded: no claim
    blind = dataclasses.replace(landscape, kind="random", explained=(0.004, 0.002))
    assert any("hold only 0.6% of the path's movement" in n and "(PCA)" in n
               for n in path_notes(blind, epochs, recorded))
    pca = dataclasses.replace(blind, kind="pca")
    assert not [n for n in path_notes(pca, epochs, recorded) if "random" in n]


def test_the_ring_follows_the_timeline_and_a_branch_is_drawn_on_the_same_plane(window, train_window, qtbot):
    exp = short_spiral(**{"train.restore_best": False})
    train_window(window, exp)
    view = compute(window, qtbot)
    tree = window.time_travel.tree
    window.time_travel.bar.slider.setValue(10)
    qtbot.waitUntil(lambda: window.time_travel.shown() == (MAIN, 10))
    assert view.shown_point() == pytest.approx(tuple(view.paths()[MAIN].points[10]))
    # Branch from epoch 20 with a higher learning rate, as the user does: the docks' setting, then Branch.
    window.optimizer_panel.lr.setValue(0.05)
    with qtbot.waitSignal(window.session.ended, timeout=120_000):
        assert window.time_travel.branch(20)
    key = next(k for k in tree.branches if k != MAIN)
    qtbot.waitUntil(lambda: key in view.paths())
    branch = view.paths()[key]
    assert branch.color == window.curves.branch_color(key) != RUN_COLOR
    assert list(branch.epochs) == [e for e in tree.epochs(key) if e >= 20]
    expected = project(view.landscape(), [tree.frame(key, e).state for e in branch.epochs])
    assert np.allclose(branch.points, expected)
    assert np.allclose(branch.points[0], view.paths()[MAIN].points[20])   # it leaves the run's path there
    window.time_travel.show(key, 30)
    assert view.shown_point() == pytest.approx(tuple(branch.points[list(branch.epochs).index(30)]))
    # The header says whose plane this is once another branch is on show, and stops saying so when back.
    assert view.status_text().startswith(f"On show: {tree[key].label}, drawn on the plane computed for the run")
    window.time_travel.show(MAIN, 12)
    assert not view.status_text().startswith("On show") and "the run's epoch" in view.status_text()
    window.time_travel.show(key, 5)                   # before it branched: the run's own point
    assert view.shown_point() == pytest.approx(tuple(view.paths()[MAIN].points[5]))


def test_cancel_leaves_no_picture_and_no_process_stuck(window, train_window, qtbot):
    train_window(window, short_spiral())
    view = open_tab(window)
    pane = window.timeline_views.landscape
    view.steps_box.setCurrentIndex(view.steps_box.findData(61))
    cancelled = []
    pane.job.ended.connect(cancelled.append)
    with qtbot.waitSignal(pane.job.ended, timeout=60_000):
        view.compute_button.click()
        assert view.cancel_button.isVisible() and not view.compute_button.isEnabled()
        view.cancel_button.click()
    assert cancelled == [True]
    assert view.landscape() is None and view.stack.currentWidget() is view.message
    assert view.message.text() == READY and view.status_text().startswith("Cancelled")
    assert not pane.job.is_running() and not view.cancel_button.isVisible() and view.compute_button.isEnabled()
    qtbot.waitUntil(lambda: running_threads() == 0)
    assert process.POOL.idle_pids()                    # the process answered and went back to the pool
    view = compute(window, qtbot)                      # and serves the next request
    assert view.landscape() is not None


def test_without_a_training_process_it_is_computed_on_a_thread(window, train_window, qtbot, monkeypatch):
    fin = train_window(window, short_spiral(**{"train.restore_best": False}))

    def no_process():
        raise OSError("no process here")
    monkeypatch.setattr(process.POOL, "acquire", no_process)
    view = compute(window, qtbot)
    assert window.timeline_views.landscape.job.in_thread
    assert view.centre_value() == pytest.approx(trained_loss(short_spiral(), fin.state), rel=1e-5)


def test_nothing_recorded_is_words_and_compute_waits_for_a_run(window, train_window, qtbot):
    view = open_tab(window)
    assert view.message.text() == NOTHING and not view.compute_button.isEnabled()
    window.session.set_speed(10)                       # 10 epochs a second: the run is still going...
    window.apply_experiment(short_spiral())
    assert window.train()
    qtbot.waitUntil(lambda: view.compute_button.isEnabled(), timeout=30_000)   # ...once it has recorded one
    assert window.session.is_running() and view.message.text() == READY
    window.session.set_speed(None)
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=60_000)
    assert view.message.text() == READY and view.compute_button.isEnabled()
    compute(window, qtbot)
    window.reset()                                     # the run is forgotten: so is its landscape
    assert view.landscape() is None and view.message.text() == NOTHING
    assert not view.compute_button.isEnabled()


def test_a_request_that_cannot_be_computed_says_why_in_one_line(qtbot, train_window, window):
    """States that do not fit the experiment's model (a bug, not a user's doing) come back as a message."""
    train_window(window, short_spiral())
    tree = window.time_travel.tree
    job = LandscapeJob()
    failed = []
    job.failed.connect(failed.append)
    other = short_spiral(**{"model.layers[0].units": 7})
    with qtbot.waitSignal(job.ended, timeout=60_000):
        job.start(other, tree.states(MAIN), steps=5)
    assert len(failed) == 1 and "does not fit this experiment's model" in failed[0]
    assert "\n" not in failed[0] and "Traceback" not in failed[0]


def test_a_loaded_models_timeline_has_its_landscape_and_histograms(window, train_window, qtbot, tmp_path):
    """File > Load trained model brings the timeline back (issue 16 item 6): both tabs follow it."""
    exp = short_spiral(**{"train.restore_best": False})
    fin = train_window(window, exp)
    path = tmp_path / "spiral.pt"
    assert window.files.save_model(path)
    window.reset()
    view = open_tab(window)
    assert view.message.text() == NOTHING and not view.compute_button.isEnabled()
    assert window.files.load_model(path)
    assert view.compute_button.isEnabled()
    compute(window, qtbot)
    assert view.centre_value() == pytest.approx(trained_loss(exp, fin.state), rel=1e-5)
    assert list(view.paths()[MAIN].epochs) == list(range(EPOCHS))
    weights = window.timeline_views.weights_view
    window.plane_tabs.setCurrentWidget(weights)
    qtbot.waitUntil(lambda: weights.stats() is not None)
    assert list(weights.stats().epochs) == list(range(EPOCHS))
