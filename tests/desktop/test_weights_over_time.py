"""Weights over time (issue 16 item 4) in the window: after a real run, the histograms have one column per
recorded epoch counting the layer's own weights, the cursor follows the timeline, and an empty window
says so in words."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.presets import load_preset
from trainer.timeline.runs import MAIN

from desktop.views.weights_over_time import NOTHING

EPOCHS = 40


def short_spiral(**changes):
    """The spiral lesson (2-100-3 with dropout), a few epochs: two layers with parameters."""
    return load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0, **changes})


def show_weights(window, qtbot):
    """Pick the Weights over time tab, as a user does; wait for its pictures."""
    view = window.timeline_views.weights_view
    window.tabs.setCurrentWidget(window.playground)
    window.plane_tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.stats() is not None)
    return view


def layer_values(frame, keys):
    return np.concatenate([np.ravel(frame.state[k]) for k in keys])


def test_one_column_per_recorded_epoch_counting_the_layers_weights(window, train_window, qtbot):
    train_window(window, short_spiral())
    view = show_weights(window, qtbot)
    tree = window.time_travel.tree
    epochs = tree.epochs(MAIN)
    assert epochs == list(range(EPOCHS))
    assert [view.layer_box.itemText(i) for i in range(view.layer_box.count())] == ["Linear 1 (2→100)",
                                                                                 "Output (100→3)"]
    for layer, keys, params in ((0, ("0.weight", "0.bias"), 300), (1, ("3.weight", "3.bias"), 303)):
        view.set_layer(layer)
        weights, grads = view.image_counts("weights"), view.image_counts("grads")
        assert weights.shape == grads.shape == (len(epochs), len(view.stats().layers[layer].weights.edges) - 1)
        edges = view.stats().layers[layer].weights.edges
        for k in (0, len(epochs) // 2, len(epochs) - 1):   # each column: that epoch's weights, as numpy counts them
            values = layer_values(tree.frame(MAIN, epochs[k]), keys)
            assert len(values) == params
            assert weights[k].tolist() == np.histogram(values, edges)[0].tolist()
        assert (grads.sum(axis=1) == params).all()          # every parameter's gradient in every column
    # The gradient norms: one curve per layer, the last batch's gradient of each epoch.
    last = tree.frame(MAIN, epochs[-1])
    norm = np.sqrt(sum(float(np.sum(last.grads[k].astype(np.float64) ** 2)) for k in ("0.weight", "0.bias")))
    curve = view.norm_curves[0]
    assert len(curve.xData) == len(epochs)
    assert curve.yData[-1] == pytest.approx(norm, rel=1e-6)   # drawn on a log axis: its data, not log10


def test_the_cursor_follows_the_epoch_the_timeline_shows(window, train_window, qtbot):
    train_window(window, short_spiral())
    view = show_weights(window, qtbot)
    bar = window.time_travel.bar
    bar.slider.setValue(12)                        # the user drags the timeline to epoch 12
    qtbot.waitUntil(lambda: window.time_travel.shown() == (MAIN, 12))
    assert view.cursor_epoch() == 12
    assert view.readout.text().startswith("epoch 12 ")
    bar.slider.setValue(3)
    assert view.cursor_epoch() == 3
    window.time_travel.go_live()                   # live: the newest recorded epoch
    assert view.cursor_epoch() == EPOCHS - 1


def test_a_run_recorded_every_kth_epoch_keeps_a_column_per_recorded_epoch(window, train_window, qtbot):
    """A budget too small for every epoch: the timeline keeps every k-th one plus the best ones; the picture
    has one column for each, and the cursor still lands on the epoch asked for."""
    window.session.record_bytes = 16 * 2**10       # ~1.5 spiral frames of 11 kB per kept epoch pair: a stride
    train_window(window, short_spiral(**{"train.epochs": 60}))
    view = show_weights(window, qtbot)
    epochs = window.time_travel.tree.epochs(MAIN)
    assert len(epochs) < 60 and epochs[-1] == 59          # a stride, and the last epoch kept
    assert list(view.stats().epochs) == epochs
    assert view.image_counts("weights").shape[0] == len(epochs)
    for epoch in (epochs[1], epochs[len(epochs) // 2]):
        window.time_travel.show(MAIN, epoch)
        assert view.cursor_epoch() == pytest.approx(epoch)


def test_the_histograms_are_computed_only_while_their_tab_is_on_screen(window, train_window, qtbot):
    window.plane_tabs.setCurrentWidget(window.boundary)
    train_window(window, short_spiral())
    pane = window.timeline_views.weights
    assert pane.computed == 0
    show_weights(window, qtbot)
    assert pane.computed == 1
    window.time_travel.show(MAIN, 5)               # moving the cursor computes nothing again
    assert pane.computed == 1


def test_before_a_run_and_after_reset_the_tab_says_what_to_do(window, train_window, qtbot):
    view = window.timeline_views.weights_view
    window.plane_tabs.setCurrentWidget(view)
    assert view.stack.currentWidget() is view.message and view.message.text() == NOTHING
    train_window(window, short_spiral())
    qtbot.waitUntil(lambda: view.stats() is not None)
    window.reset()
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.message)
    assert view.message.text() == NOTHING and view.stats() is None


def test_an_open_tab_follows_the_run_as_it_records(window, train_window, qtbot):
    view = window.timeline_views.weights_view
    window.plane_tabs.setCurrentWidget(view)
    train_window(window, short_spiral())
    epochs = window.time_travel.tree.epochs(MAIN)
    qtbot.waitUntil(lambda: view.stats() is not None and list(view.stats().epochs) == epochs)
    assert view.cursor_epoch() == epochs[-1]
