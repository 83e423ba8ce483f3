"""Time travel in the window (issue 16 items 2 and 3): the timeline moves every view to a recorded epoch,
and Branch from here trains the docks' settings on from it.

Short spiral runs through the real window, its training process and the timeline bar's own widgets. The
boundary at epoch K is compared with the picture the window drew live at K (the training process drew it
from the model then; the timeline draws it again from the recorded weights in the window's process).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt

from desktop.status import short_number
from desktop.views.network import line_widths
from trainer.plane import NEURON_RESOLUTION
from trainer.presets import load_preset
from trainer.timeline.runs import MAIN

TIMEOUT = 300_000
EPOCHS = 40
LIVE_SPEED = 40.0   # epochs a second: live pictures of most epochs (the window's pacing takes one every 70 ms)


def _spiral(**overrides):
    return load_preset("spiral").with_overrides({"train.epochs": EPOCHS, **overrides})


def _train_watching(window, qtbot, exp) -> dict[int, np.ndarray]:
    """Train `exp` slowly enough to see it; the boundary image the window drew live, by epoch."""
    live: dict[int, np.ndarray] = {}

    def drawn(ev) -> None:   # connected after the window's own slot: the picture is on screen now
        if ev.boundary is not None:
            live[ev.epoch] = window.boundary.image()
    window.session.snapshot.connect(drawn)
    window.session.set_speed(LIVE_SPEED)
    window.apply_experiment(exp)
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        assert window.train()
    qtbot.waitUntil(lambda: not window.session.is_running() and not window.diagram_pending(), timeout=TIMEOUT)
    window.session.snapshot.disconnect(drawn)
    window.session.set_speed(None)
    return live


def _scrub(window, qtbot, epoch: int) -> np.ndarray | None:
    """Move the bar's slider as a drag does; returns the boundary image it drew. (Read at once: the diagram's
    weights come a few milliseconds later, and a plot wider than the picture then redraws it wider.)"""
    window.time_travel.bar.slider.setValue(epoch)
    image = window.boundary.image()
    qtbot.waitUntil(lambda: not window.diagram_pending(), timeout=5_000)
    return image


def _weights(frame) -> list[np.ndarray]:
    return [v for k, v in frame.state.items() if k.endswith(".weight")]


def test_the_timeline_moves_every_view_to_the_asked_epoch(window, qtbot):
    live = _train_watching(window, qtbot, _spiral())
    tt, bar = window.time_travel, window.time_travel.bar
    tree = tt.tree
    assert tree.epochs(MAIN) == list(range(EPOCHS)) and bar.epochs() == list(range(EPOCHS))
    # Epochs drawn live, but not the last: the run's last picture is of its restored best weights.
    drawn = sorted(e for e in live if e < EPOCHS - 1)
    assert len(drawn) >= 3, sorted(live)
    final_widths = window.network.line_widths()
    history = tree[MAIN].history

    window.network.neuronClicked.emit(0, 5)   # as a click on the diagram's 6th hidden neuron
    shown = []
    tt.epochShown.connect(lambda key, epoch: shown.append((key, epoch)))
    for k in (drawn[0], drawn[len(drawn) // 2]):
        image = _scrub(window, qtbot, k)
        assert tt.shown() == (MAIN, k) and shown[-1] == (MAIN, k)
        np.testing.assert_array_equal(image, live[k])   # the very picture drawn live at K
        frame = tree.frame(MAIN, k)
        for drawn_widths, w in zip(window.network.line_widths(), _weights(frame)):
            np.testing.assert_array_equal(drawn_widths, line_widths(w))   # the diagram holds epoch K's weights
        assert any(not np.array_equal(a, b) for a, b in zip(window.network.line_widths(), final_widths))
        assert window.curves.cursor_epoch() == k
        # Neuron 6 of the hidden layer: relu(w . (x1, x2) + b) over the neuron map's grid, from the frame.
        w, b = frame.state["0.weight"][5], frame.state["0.bias"][5]
        xmin, xmax, ymin, ymax = window.boundary.image_extent()
        x1, x2 = np.meshgrid(np.linspace(xmin, xmax, NEURON_RESOLUTION), np.linspace(ymin, ymax, NEURON_RESOLUTION))
        np.testing.assert_allclose(window.neurons.map(), np.maximum(w[0] * x1 + w[1] * x2 + b, 0), atol=1e-5)
        status = window.status_text()
        assert f"epoch {k + 1} / {EPOCHS}" in status
        assert f"loss {short_number(history[k]['train_loss'])} / val {short_number(history[k]['val_loss'])}" in status

    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Left)   # Left: one epoch back
    assert tt.shown() == (MAIN, drawn[len(drawn) // 2] - 1)
    qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    assert tt.shown() == (MAIN, 0) and f"epoch 1 / {EPOCHS}" in window.status_text()

    # Training again gives the views back to the new run: no cursor, live pictures, a new tree.
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        assert window.train()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert tt.shown() == (MAIN, -1) and window.curves.cursor_epoch() is None and tt.tree is not tree


def test_live_pictures_wait_while_an_earlier_epoch_is_shown_and_come_back_with_live(window, qtbot):
    window.apply_experiment(_spiral(**{"train.epochs": 400}))
    window.session.set_speed(20.0)
    bar = window.time_travel.bar
    assert window.train()
    qtbot.waitUntil(lambda: len(bar.epochs()) >= 6, timeout=TIMEOUT)
    assert bar.is_live() and window.curves.cursor_epoch() is None
    _scrub(window, qtbot, 2)
    held = window.boundary.image()
    trained = len(window.session.history)
    qtbot.waitUntil(lambda: len(window.session.history) >= trained + 8, timeout=TIMEOUT)
    np.testing.assert_array_equal(window.boundary.image(), held)   # the run went on; the view stayed at 2
    assert f"epoch 3 / 400" in window.status_text()
    bar.live_button.click()
    assert window.curves.cursor_epoch() is None
    qtbot.waitUntil(lambda: not np.array_equal(window.boundary.image(), held), timeout=TIMEOUT)
    window.stop()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)


def test_branches_no_change_repeats_the_parent_another_lr_is_drawn_over_it_listed_and_deleted(window, qtbot,
                                                                                            train_window):
    exp = _spiral()
    train_window(window, exp)
    tt, bar = window.time_travel, window.time_travel.bar
    parent = [dict(r) for r in tt.tree[MAIN].history]

    # Nothing changed in the docks: the branch repeats its parent bit for bit (Training > Branch from here).
    _scrub(window, qtbot, 15)
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        tt.action.trigger()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    same = tt.tree["b1"]
    strip = lambda history: [{k: v for k, v in r.items() if k != "seconds"} for r in history]  # noqa: E731
    assert strip(same.history) == strip(parent) and same.from_epoch == 15
    assert window.curves.data()["val_loss"].tolist() == [r["val_loss"] for r in parent]   # the run's own curves stay

    # Another learning rate from epoch 10 of the run: drawn over the run from there, in the list.
    bar.branchSelected.emit(MAIN)
    assert tt.shown() == (MAIN, EPOCHS - 1) and window.curves.current_branch() is None
    window.optimizer_panel.apply(replace(exp.optim, lr=exp.optim.lr / 10), exp.train)
    _scrub(window, qtbot, 10)
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        qtbot.mouseClick(bar.branch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    other = tt.tree["b2"]
    assert other.experiment.optim.lr == exp.optim.lr / 10 and other.label.startswith("learning rate 0.01 -> 0.001")
    assert window.curves.branch_keys() == ["b1", "b2"] and window.curves.current_branch() == "b2"
    # The branch's curves redraw at the curves' pace: its last epochs come with the next redraw.
    qtbot.waitUntil(lambda: len(window.curves.branch_data("b2")["epoch"]) == EPOCHS - 10, timeout=5_000)
    curve = window.curves.branch_data("b2")
    assert curve["epoch"].tolist() == list(range(10, EPOCHS))
    assert curve["val_loss"][0] == parent[10]["val_loss"]             # it leaves the run's curve at epoch 10...
    assert not np.allclose(curve["val_loss"][1:], [r["val_loss"] for r in parent[11:]])   # ...and goes its own way
    listed = [bar.branch_box.itemData(i) for i in range(bar.branch_box.count())]
    assert listed == [MAIN, "b1", "b2"] and bar.current_branch() == "b2"
    assert tt.shown() == ("b2", -1)

    # Switching shows the branch's last epoch; deleting one takes it off the curves, the list and the tree.
    bar.branch_box.setCurrentIndex(1)
    bar.branch_box.activated.emit(1)
    assert tt.shown() == ("b1", EPOCHS - 1) and window.curves.current_branch() == "b1"
    qtbot.mouseClick(bar.delete_button, Qt.MouseButton.LeftButton)
    assert list(tt.tree.branches) == [MAIN, "b2"] and window.curves.branch_keys() == ["b2"]
    assert [bar.branch_box.itemData(i) for i in range(bar.branch_box.count())] == [MAIN, "b2"]
    assert tt.shown() == (MAIN, EPOCHS - 1)


def test_a_branch_that_must_keep_a_setting_says_which_and_starts_nothing(window, qtbot, train_window):
    exp = _spiral()
    train_window(window, exp)
    tt = window.time_travel
    window.dialogs_shown.clear()
    assert tt.bar.epoch() == EPOCHS - 1 and not tt.branch()   # at the run's end: more epochs are needed
    assert window.dialogs_shown[-1][1].startswith(f"train.epochs: the run has {EPOCHS} epochs")
    _scrub(window, qtbot, 20)
    window.optimizer_panel.apply(exp.optim, replace(exp.train, seed=exp.train.seed + 1))   # the seed: not a branch's
    assert not tt.branch()
    assert not window.session.is_running() and list(tt.tree.branches) == [MAIN]
    title, text = window.dialogs_shown[-1]
    assert text.startswith("train.seed: a branch keeps the seed") and "press Train for a new run" in text

    # Other layers are another model: the run (and its timeline) is cleared, so there is nothing to branch from.
    window.optimizer_panel.apply(exp.optim, exp.train)
    layers = list(exp.model.layers)
    layers[0] = replace(layers[0], units=8)
    window.architecture_panel.apply(replace(exp.model, layers=tuple(layers)))
    window.revalidate()
    assert tt.tree is None and tt.bar.epochs() == [] and not tt.action.isEnabled()
    assert not tt.branch() and "No run is recorded" in window.dialogs_shown[-1][1]
    assert not window.session.is_running()


def test_the_mnist_results_follow_the_timeline(window, qtbot, train_window, mnist_root):
    exp = load_preset("mnist-mlp").with_overrides({"data.root": str(mnist_root), "train.epochs": 4})
    ws = window.mnist
    window.tabs.setCurrentWidget(ws)
    fin = train_window(window, exp)
    qtbot.waitUntil(ws.images_ready, timeout=60_000)
    final = ws.confusion.matrix()
    np.testing.assert_array_equal(final, fin.metrics["confusion"])
    bar = window.time_travel.bar
    assert bar.isVisible()

    _scrub(window, qtbot, 0)
    qtbot.waitUntil(lambda: ws.epoch_shown == 0, timeout=60_000)
    early = ws.confusion.matrix()
    assert early.sum() == 10_000 and not np.array_equal(early, final)
    assert "at epoch 0" in ws.summary.text() and ws.pad.has_model()
    # At the best epoch the weights are those the run kept (restore_best): the run's own test results.
    _scrub(window, qtbot, fin.best_epoch)
    qtbot.waitUntil(lambda: ws.epoch_shown == fin.best_epoch, timeout=60_000)
    np.testing.assert_array_equal(ws.confusion.matrix(), final)


def test_a_saved_model_keeps_its_timeline_and_branches(window, qtbot, train_window, tmp_path):
    exp = _spiral()
    train_window(window, exp)
    tt = window.time_travel
    run = [r["val_loss"] for r in tt.tree[MAIN].history]
    window.optimizer_panel.apply(replace(exp.optim, lr=exp.optim.lr / 10), exp.train)
    _scrub(window, qtbot, 10)
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        assert tt.branch()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    seen = _scrub(window, qtbot, 25)
    path = tmp_path / "spiral.pt"
    assert window.files.save_model(path)
    window.reset()
    assert tt.tree is None and window.curves.branch_keys() == []

    assert window.files.load_model(path)
    assert list(tt.tree.branches) == [MAIN, "b1"] and tt.shown() == ("b1", -1)   # the branch saved, on show
    assert window.curves.data()["val_loss"].tolist() == run                      # the run's own curves...
    assert window.curves.branch_keys() == ["b1"] and window.curves.current_branch() == "b1"   # ...the branch over them
    assert tt.bar.epochs() == list(range(EPOCHS)) and tt.action.isEnabled()
    np.testing.assert_array_equal(_scrub(window, qtbot, 25), seen)


def test_branching_where_the_run_would_stop_at_once_says_what_to_raise(window, qtbot, train_window):
    exp = _spiral(**{"train.patience": 3, "optim.lr": 0.3})   # too large a step: the validation loss soon stalls
    fin = train_window(window, exp)
    tt = window.time_travel
    assert fin.reason == "early_stopped"
    last = tt.bar.epochs()[-1]
    _scrub(window, qtbot, last)
    window.dialogs_shown.clear()
    assert not tt.branch()
    assert window.dialogs_shown[-1][1].startswith("train.patience: the validation loss has not improved for 3")
    window.optimizer_panel.apply(exp.optim, replace(exp.train, patience=0))   # Early stop off: it trains on
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        assert tt.branch()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert len(tt.tree["b1"].history) == EPOCHS and tt.tree["b1"].from_epoch == last
