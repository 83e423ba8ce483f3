"""Weights over time (issue 16 item 4): each layer's histograms of weights and gradients over the recorded
epochs, with fixed bins, and its gradient norm as torch computes it."""
from __future__ import annotations

import numpy as np
import torch

from trainer.data import load
from trainer.events import Keyframe
from trainer.loop import train
from trainer.models import build_loss, build_model, model_from_state
from trainer.presets import load_preset
from trainer.timeline.stats import layer_rows, weight_stats

BUDGET = 64 << 20


def recorded(exp):
    """The frames a real run records (train(record=...)), in epoch order."""
    return [e.frame for e in train(exp, record=BUDGET) if isinstance(e, Keyframe)]


def test_every_epochs_histogram_counts_every_parameter_of_the_layer_in_the_same_bins():
    exp = load_preset("spiral").with_overrides({"train.epochs": 30, "train.patience": 0})
    frames = recorded(exp)
    stats = weight_stats(exp, [f.state for f in frames], [f.grads for f in frames], [f.epoch for f in frames],
                         bins=25)
    assert stats.epochs.tolist() == list(range(30))
    assert [(s.layer.name, s.layer.params) for s in stats.layers] == [("Linear 1 (2→100)", 300),
                                                                     ("Output (100→3)", 303)]
    for layer in stats.layers:
        for hist, source in ((layer.weights, [f.state for f in frames]), (layer.grads, [f.grads for f in frames])):
            values = np.stack([np.concatenate([np.ravel(d[k]) for k in layer.layer.keys]) for d in source])
            assert hist.counts.shape == (30, 25)
            assert (hist.counts.sum(axis=1) == layer.layer.params).all()
            # One set of edges from the smallest to the largest value of any epoch...
            assert hist.edges[0] == values.min() and hist.edges[-1] == values.max()
            # ...and each epoch counted into them as numpy counts it.
            for epoch in (0, 13, 29):
                assert (hist.counts[epoch] == np.histogram(values[epoch], hist.edges)[0]).all()
    # The weights move: the first layer's histogram is not the same at the start and the end.
    assert (stats.layers[0].weights.counts[0] != stats.layers[0].weights.counts[-1]).any()


def test_each_layers_gradient_norm_is_torchs_norm_of_that_layers_gradients():
    """Full batch, no dropout: epoch k's gradient is the loss's gradient at epoch k-1's weights, which
    torch computes again here; the layer's norm (weight and bias together) is torch's."""
    exp = load_preset("spiral").with_overrides({
        "train.epochs": 6, "train.patience": 0, "optim.weight_decay": 0.0,
        "model.layers": [{"kind": "linear", "units": 100}, {"kind": "activation", "fn": "relu"}]})
    frames = recorded(exp)
    assert [f.epoch for f in frames] == list(range(6))
    stats = weight_stats(exp, [f.state for f in frames], [f.grads for f in frames], [f.epoch for f in frames])
    splits = load(exp.data)
    x, y = torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train)
    for k in range(1, 6):
        model = model_from_state(exp, frames[k - 1].state).train()
        build_loss(exp)(model(x), y).backward()
        params = dict(model.named_parameters())
        for layer in stats.layers:
            grad = torch.cat([params[key].grad.flatten() for key in layer.layer.keys])
            weight = torch.cat([torch.as_tensor(frames[k].state[key]).flatten() for key in layer.layer.keys])
            assert np.isclose(layer.grad_norm[k], torch.linalg.vector_norm(grad).item(), rtol=1e-5), (k, layer)
            assert np.isclose(layer.weight_norm[k], torch.linalg.vector_norm(weight).item(), rtol=1e-6)


def test_a_cnns_layers_are_named_as_a_learner_reads_them():
    exp = load_preset("mnist-cnn")
    state = {k: v.detach().numpy() for k, v in build_model(exp).state_dict().items()}
    assert [(r.name, r.keys, r.params) for r in layer_rows(exp, state)] == [
        ("Conv 1 (1→16, 3x3)", ("1.weight", "1.bias"), 160),
        ("Conv 2 (16→32, 3x3)", ("4.weight", "4.bias"), 4640),
        ("Linear 1 (1568→128)", ("8.weight", "8.bias"), 200832),
        ("Output (128→10)", ("11.weight", "11.bias"), 1290)]


def test_an_epoch_without_gradients_counts_none_and_has_no_norm():
    """Batch norm's running statistics are not a layer's parameters; an epoch recorded without gradients
    (a frame may lack them) shows nothing rather than zeros."""
    exp = load_preset("spiral").with_overrides({"model.layers": [
        {"kind": "linear", "units": 8}, {"kind": "batchnorm"}, {"kind": "activation", "fn": "relu"}]})
    state = {k: v.detach().numpy() for k, v in build_model(exp).state_dict().items()}
    grads = {k: np.ones_like(v) for k, v in state.items() if k.endswith(("weight", "bias"))}
    stats = weight_stats(exp, [state, state], [{}, grads], [0, 1])
    assert [s.layer.name for s in stats.layers] == ["Linear 1 (2→8)", "Batch norm 1 (8)", "Output (8→3)"]
    for layer in stats.layers:
        assert layer.grads.counts[0].sum() == 0 and np.isnan(layer.grad_norm[0])
        assert layer.grads.counts[1].sum() == layer.layer.params
        assert layer.grad_norm[1] == np.sqrt(layer.layer.params)
