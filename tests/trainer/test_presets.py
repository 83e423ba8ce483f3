"""The lesson presets: one per phase of the seed, with the seed's hyperparameters, each a JSON round trip."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from trainer.config import ConfigError, Experiment
from trainer.models import build_model, param_count
from trainer.presets import load_experiment, load_preset, names

ALL = ["linear-regression", "perceptron-and", "xor-mlp", "spiral", "mnist-mlp", "mnist-small", "mnist-medium",
       "mnist-deep", "mnist-mlp-full", "mnist-cnn-seed", "mnist-cnn"]


def test_every_lesson_phase_has_a_preset_in_lesson_order():
    assert names() == ALL


@pytest.mark.parametrize("name", ALL)
def test_json_round_trip(name):
    text = (resources.files("trainer.presets") / f"{name}.json").read_text(encoding="utf-8")
    exp = load_preset(name)
    assert exp.name == name and exp.description
    assert Experiment.from_json(exp.to_json()) == exp
    assert Experiment.from_json(exp.to_json(indent=None)) == exp
    # The file on disk holds nothing the dataclasses drop: writing it back gives the same settings.
    on_disk = json.loads(text)
    for section in ("data", "model", "optim", "train"):
        for key, value in on_disk[section].items():
            assert exp.to_dict()[section][key] == value, f"{name}: {section}.{key}"


def arch(exp: Experiment) -> list[tuple]:
    return [(l.kind, l.units or l.fn or l.p) for l in exp.model.layers]


SEED = {
    # preset: (optimizer, lr, weight_decay, epochs, batch, patience, restore_best)
    "linear-regression": ("sgd", 0.01, 0.0, 500, 0, 0, False),
    "perceptron-and": ("sgd", 1.0, 0.0, 1000, 0, 0, False),
    "xor-mlp": ("adam", 0.01, 0.0, 5000, 0, 0, False),
    "spiral": ("adam", 0.01, 0.005, 5000, 0, 200, True),
    "mnist-mlp": ("adam", 0.001, 1e-4, 200, 0, 30, True),
    "mnist-small": ("adam", 0.001, 1e-4, 100, 0, 0, False),
    "mnist-medium": ("adam", 0.001, 1e-4, 100, 0, 0, False),
    "mnist-deep": ("adam", 0.001, 1e-4, 100, 0, 0, False),
}


@pytest.mark.parametrize("name", sorted(SEED))
def test_the_seeds_hyperparameters(name):
    exp = load_preset(name)
    o, t = exp.optim, exp.train
    assert (o.name, o.lr, o.weight_decay, t.epochs, t.batch_size, t.patience, t.restore_best) == SEED[name]
    assert t.seed == 42


def test_the_seeds_architectures_and_data():
    relu, drop = ("activation", "relu"), ("dropout", 0.2)
    assert arch(load_preset("linear-regression")) == [] and load_preset("linear-regression").model.init == "zeros"
    lin = load_preset("linear-regression").data
    assert (lin.name, lin.n_samples, lin.noise, lin.seed) == ("linear", 50, 0.5, 42)
    assert arch(load_preset("perceptron-and")) == [] and load_preset("perceptron-and").data.name == "and"
    assert arch(load_preset("xor-mlp")) == [("linear", 4), relu] and load_preset("xor-mlp").data.name == "xor"
    spiral = load_preset("spiral")
    assert arch(spiral) == [("linear", 100), relu, drop]
    d = spiral.data
    assert (d.name, d.n_samples, d.classes, d.noise, d.seed, d.val_fraction, d.test_fraction) == \
        ("spiral", 450, 3, 0.25, 42, 0.15, 0.15)
    deep = [("linear", 256), relu, drop, ("linear", 128), relu, drop]
    assert arch(load_preset("mnist-mlp")) == deep and arch(load_preset("mnist-deep")) == deep
    assert arch(load_preset("mnist-small")) == [("linear", 32), relu]
    assert arch(load_preset("mnist-medium")) == [("linear", 128), relu, drop]
    for name in ("mnist-mlp", "mnist-small", "mnist-medium", "mnist-deep"):
        data = load_preset(name).data
        assert (data.name, data.mnist_subset, data.normalize) == ("mnist", "seed", "none")   # [0, 1] pixels


def test_the_full_mnist_preset_uses_every_training_image_in_mini_batches():
    exp = load_preset("mnist-mlp-full")
    assert exp.data.mnist_subset == "full" and exp.train.batch_size == 128
    assert arch(exp) == arch(load_preset("mnist-mlp"))
    assert param_count(build_model(exp)) == 235_146


def test_load_experiment_takes_a_name_or_a_file(tmp_path):
    assert load_experiment("spiral") == load_preset("spiral")
    path = tmp_path / "x.json"
    path.write_text(load_preset("xor-mlp").to_json())
    assert load_experiment(str(path)) == load_preset("xor-mlp")
    with pytest.raises(ConfigError, match="^preset: no preset named 'spirall'"):
        load_experiment("spirall")
    path.write_text('{"schema": 1}')
    with pytest.raises(ConfigError, match=r"^data: missing \(in .*x\.json\)$"):
        load_experiment(str(path))
