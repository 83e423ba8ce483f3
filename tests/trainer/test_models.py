"""Experiment.model -> nn.Sequential: the seed's architectures, exact parameter counts, heads, optimizers."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from trainer.config import DataSpec, Experiment, LayerSpec, ModelSpec, OptimSpec
from trainer.models import build_loss, build_model, build_optimizer, linear_layers, param_count
from trainer.presets import load_preset


def test_spiral_net_has_the_seeds_603_parameters():
    model = build_model(load_preset("spiral"))
    # Linear(2, 100) -> ReLU -> Dropout(0.2) -> Linear(100, 3): 2*100 + 100 + 100*3 + 3
    assert param_count(model) == 603
    assert [type(m) for m in model] == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear]
    assert model[2].p == 0.2


def test_mnist_net_has_235146_parameters():
    model = build_model(load_preset("mnist-mlp"))
    # The seed's comment says 234,506, but its own formula 784*256 + 256 + 256*128 + 128 + 128*10 + 10
    # sums to 235,146, and so does sum(p.numel()) of the seed's nn.Sequential; we assert the true count.
    assert 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10 == 235_146
    assert param_count(model) == 235_146
    seed_net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    assert [type(m) for m in model] == [type(m) for m in seed_net]
    assert param_count(seed_net) == 235_146


@pytest.mark.parametrize("preset, params", [
    ("perceptron-and", 3), ("xor-mlp", 17), ("linear-regression", 2),
    ("mnist-small", 784 * 32 + 32 + 32 * 10 + 10), ("mnist-medium", 784 * 128 + 128 + 128 * 10 + 10),
])
def test_lesson_architectures_have_their_parameter_counts(preset, params):
    assert param_count(build_model(load_preset(preset))) == params


def test_binary_ends_in_sigmoid_for_bce_and_multiclass_in_logits():
    xor = build_model(load_preset("xor-mlp"))
    assert isinstance(xor[-1], nn.Sigmoid) and xor[-2].out_features == 1
    assert isinstance(build_loss(load_preset("xor-mlp")), nn.BCELoss)
    spiral = build_model(load_preset("spiral"))
    assert isinstance(spiral[-1], nn.Linear) and spiral[-1].out_features == 3
    assert isinstance(build_loss(load_preset("spiral")), nn.CrossEntropyLoss)
    reg = build_model(load_preset("linear-regression"))
    assert isinstance(reg[-1], nn.Linear) and reg[-1].out_features == 1
    assert isinstance(build_loss(load_preset("linear-regression")), nn.MSELoss)
    two_logits = Experiment(data=DataSpec(name="moons"), model=ModelSpec(loss="cross_entropy"))
    assert build_model(two_logits)[-1].out_features == 2


@pytest.mark.parametrize("fn, cls", [("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU), ("tanh", nn.Tanh),
                                     ("sigmoid", nn.Sigmoid), ("gelu", nn.GELU), ("identity", nn.Identity)])
def test_every_activation_maps_to_its_module(fn, cls):
    exp = Experiment(data=DataSpec(name="moons"),
                     model=ModelSpec(layers=(LayerSpec("linear", units=5), LayerSpec("activation", fn=fn))))
    assert isinstance(build_model(exp)[1], cls)


def test_batchnorm_dropout_and_widths_follow_the_previous_layer():
    exp = Experiment(data=DataSpec(name="spiral"),
                     model=ModelSpec(layers=(LayerSpec("linear", units=16), LayerSpec("batchnorm"),
                                             LayerSpec("activation", fn="tanh"), LayerSpec("dropout", p=0.5),
                                             LayerSpec("linear", units=8))))
    model = build_model(exp)
    assert isinstance(model[1], nn.BatchNorm1d) and model[1].num_features == 16
    assert isinstance(model[3], nn.Dropout) and model[3].p == 0.5
    assert [(m.in_features, m.out_features) for m in linear_layers(model)] == [(2, 16), (16, 8), (8, 3)]
    assert model(torch.randn(4, 2)).shape == (4, 3)


def test_zero_init_zeroes_every_parameter():
    model = build_model(load_preset("linear-regression"))
    assert all((p == 0).all() for p in model.parameters())


@pytest.mark.parametrize("name, cls, checks", [
    ("sgd", torch.optim.SGD, {"momentum": 0}),
    ("momentum", torch.optim.SGD, {"momentum": 0.8}),
    ("adam", torch.optim.Adam, {}),
    ("adamw", torch.optim.AdamW, {}),
    ("rmsprop", torch.optim.RMSprop, {"momentum": 0.8}),
])
def test_optimizers_get_lr_momentum_and_weight_decay(name, cls, checks):
    exp = Experiment(optim=OptimSpec(name=name, lr=0.05, momentum=0.8, weight_decay=0.001))
    opt = build_optimizer(exp, build_model(exp).parameters())
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.001
    for key, value in checks.items():
        assert group[key] == value
