"""The pictures over the input plane: the fast grid pass draws what `model(points)` computes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from trainer.plane import Plane

EXTENT = (-1.5, 2.0, -1.0, 1.2)


def reference_points(res: int) -> torch.Tensor:
    """(res*res, 2) grid points, row-major from ymin: what the boundary image's rows and columns are."""
    xmin, xmax, ymin, ymax = EXTENT
    gy, gx = torch.meshgrid(torch.linspace(ymin, ymax, res), torch.linspace(xmin, xmax, res), indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


ARCHITECTURES = {
    "relu-dropout": lambda: [nn.Linear(2, 12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 3)],
    "tanh-sigmoid-leaky": lambda: [nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 6), nn.Sigmoid(), nn.Linear(6, 5),
                                   nn.LeakyReLU(0.1), nn.Linear(5, 4)],
    "batchnorm-gelu": lambda: [nn.Linear(2, 7), nn.BatchNorm1d(7), nn.GELU(), nn.Linear(7, 3)],
    "activation-first": lambda: [nn.Tanh(), nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 2)],
    "bce-head": lambda: [nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 1), nn.Sigmoid()],
    "linear-before-head": lambda: [nn.Linear(2, 4), nn.Linear(4, 3)],
}


def trained_looking(name: str) -> nn.Sequential:
    torch.manual_seed(3)
    model = nn.Sequential(*ARCHITECTURES[name]())
    with torch.no_grad():
        for module in model:
            if isinstance(module, nn.BatchNorm1d):   # running statistics a real run would have left
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_boundary_is_the_models_class_probabilities_at_each_grid_point(name):
    model = trained_looking(name)
    head = "bce" if isinstance(model[-1], nn.Sigmoid) else "cross_entropy"
    with torch.no_grad():
        out = model(reference_points(30))
        expected = torch.cat([1 - out, out], dim=1) if head == "bce" else torch.softmax(out, dim=1)
        got = Plane(EXTENT, boundary_resolution=30).boundary(model, head)
    assert got.shape == (30, 30, expected.shape[1]) and got.flags.c_contiguous
    np.testing.assert_allclose(got.reshape(-1, expected.shape[1]), expected.numpy(), atol=2e-6)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_neuron_maps_are_each_hidden_layer_after_its_activation(name):
    model = trained_looking(name)
    modules = list(model)
    head = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
    expected, h = [], reference_points(12)
    with torch.no_grad():
        for i, module in enumerate(modules[:head]):
            h = module(h)
            if isinstance(module, nn.Linear):
                after = modules[i + 1]
                shown = h if isinstance(after, (nn.Linear, nn.Dropout, nn.BatchNorm1d)) else after(h)
                expected.append(shown.reshape(12, 12, -1).numpy())
        got = Plane(EXTENT, neuron_resolution=12).neurons(model)
    assert len(got) == len(expected) == sum(isinstance(m, nn.Linear) for m in modules) - 1
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, atol=2e-6)


def test_pictures_follow_the_weights_from_one_snapshot_to_the_next():
    """The pass reuses its buffers: a second picture must show the new weights, and the first keep its own."""
    model = trained_looking("relu-dropout")
    plane = Plane(EXTENT, boundary_resolution=20, neuron_resolution=10)
    first = plane.snapshot(model, 0, "cross_entropy", 2, diagram=True)
    kept = first.boundary.copy(), first.neurons[0].copy(), first.weights[0][0].copy()
    with torch.no_grad():
        model[0].weight.mul_(-2.0)
        model[3].bias.add_(1.0)
    second = plane.snapshot(model, 1, "cross_entropy", 2, diagram=True)
    assert not np.allclose(first.boundary, second.boundary)
    assert not np.allclose(first.neurons[0], second.neurons[0])
    np.testing.assert_array_equal(first.boundary, kept[0])
    np.testing.assert_array_equal(first.neurons[0], kept[1])
    np.testing.assert_array_equal(first.weights[0][0], kept[2])
    np.testing.assert_array_equal(second.weights[0][0], model[0].weight.detach().numpy())


def test_a_snapshot_without_the_diagram_carries_only_the_boundary():
    snap = Plane(EXTENT).snapshot(trained_looking("relu-dropout"), 5, "cross_entropy", 2, diagram=False)
    assert snap.epoch == 5 and snap.boundary.shape == (100, 100, 3) and snap.extent == EXTENT
    assert snap.weights == () and snap.neurons == ()


def test_an_activation_on_the_inputs_leaves_the_grid_as_it_was():
    """Activations run in place on the pass's own buffers, never on the grid kept for the next picture."""
    model = trained_looking("activation-first")
    plane = Plane(EXTENT, boundary_resolution=16)
    with torch.no_grad():
        first = plane.boundary(model, "cross_entropy")
        second = plane.boundary(model, "cross_entropy")
    np.testing.assert_array_equal(first, second)
