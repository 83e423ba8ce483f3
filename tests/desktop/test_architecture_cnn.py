"""The Architecture dock with a CNN: each layer's output shape, the totals, and an impossible shape
named in red on its layer, with Train locked until it is fixed (issue 15)."""
from __future__ import annotations

import os
from dataclasses import replace

from trainer.config import LayerSpec
from trainer.presets import load_preset
from trainer.shapes import layer_shapes, totals

SHOTS = os.environ.get("NP_SHOTS")   # a folder to save the dock's pictures in (looked at by hand)


def _grab(window, name: str) -> None:
    if SHOTS:
        window.architecture_panel.grab().save(os.path.join(SHOTS, name))


def test_the_dock_shows_each_layers_shape_and_the_totals(window, qtbot):
    exp = load_preset("mnist-cnn")
    window.apply_experiment(exp)
    assert window.revalidate() is not None
    panel = window.architecture_panel
    texts = [panel.list.item(i).text() for i in range(len(exp.model.layers))]
    assert texts[0] == "Conv 1->16, 3x3, pad 1 · 16x28x28"
    assert texts[2] == "Max pool 2x2 · 16x14x14"
    assert texts[6] == "Flatten · 1568"
    want = totals(layer_shapes(exp))
    assert panel.params.text() == f"{want.params:,} trainable parameters"
    assert panel.macs.text() == f"{want.macs:,} multiply-adds per image"
    panel.select_layer(3)
    assert "32x14x14" in panel.layer_info.text() and "4,640 parameters" in panel.layer_info.text()
    assert window.train_action.isEnabled()
    _grab(window, "cnn-dock.png")


def test_an_impossible_shape_is_red_on_its_layer_and_locks_train(window, qtbot):
    exp = load_preset("mnist-cnn")
    window.apply_experiment(exp)
    panel = window.architecture_panel
    panel.select_layer(3)                       # the second convolution, on a 16x14x14 map
    panel.kernel.setValue(17)                   # as a learner types it
    assert window.revalidate() is None
    item = panel.list.item(3)
    assert item.text().startswith("✗ Conv 16->32, 17x17, pad 1: the 17x17 kernel is larger than its 14x14 input (with padding 1: 16x16)")
    assert item.foreground().color().name() == "#c62828"
    assert panel.list.item(2).foreground().color().name() != "#c62828"
    assert panel.error_text().startswith("model.layers[3]: the 17x17 kernel is larger")
    assert not window.train_action.isEnabled()
    _grab(window, "cnn-dock-error.png")
    panel.kernel.setValue(3)                    # fixed: Train is back
    assert window.revalidate() is not None and window.train_action.isEnabled()
    assert panel.list.item(3).foreground().color().name() != "#c62828"


def test_a_linear_layer_on_a_map_is_named_and_a_conv_block_can_be_added(window, qtbot):
    exp = load_preset("mnist-cnn")
    layers = [layer for layer in exp.model.layers if layer.kind != "flatten"]
    window.apply_experiment(exp)
    panel = window.architecture_panel
    panel.apply(replace(exp.model, layers=(exp.model.layers[0],)))
    assert window.revalidate() is None          # a conv and straight to the output layer: no flatten
    assert "flatten" in panel.error_text() and panel.error_text().startswith("model.layers:")
    panel.apply(replace(exp.model, layers=tuple(layers)))
    assert window.revalidate() is None
    assert panel.error_text().startswith("model.layers[6]: a linear layer needs flat features, but gets a 32x7x7 map")
    assert panel.list.item(6).text().startswith("✗ Linear")
    assert panel.list.item(6).foreground().color().name() == "#c62828"
    _grab(window, "cnn-dock-linear-on-map.png")
    panel.select_layer(-1)
    panel.apply(replace(exp.model, layers=()))
    panel.add_conv_block()
    panel.select_layer(2)                       # a new layer goes after the selected one
    panel.add_layer(LayerSpec("flatten"))
    assert [l.kind for l in panel.layers()] == ["conv2d", "activation", "maxpool2d", "flatten"]
    assert window.revalidate() is not None and window.train_action.isEnabled()
    assert panel.list.item(3).text() == "Flatten · 3136"
