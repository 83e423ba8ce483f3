"""Experiment: JSON round trip and validation errors that name the field and the reason."""
from __future__ import annotations

import json

import pytest

from trainer.config import (ConfigError, DataSpec, Experiment, LayerSpec, ModelSpec, OptimSpec, TrainSpec,
                            parse_override, resolved_loss, task_of)
from trainer.presets import load_preset


def spiral_dict() -> dict:
    return load_preset("spiral").to_dict()


def set_path(raw: dict, path: str, value) -> dict:
    node = raw
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return raw


def error_of(raw) -> str:
    with pytest.raises(ConfigError) as info:
        Experiment.from_dict(raw)
    return str(info.value)


@pytest.mark.parametrize("path, value, message", [
    ("optim.lr", -1, "optim.lr: must be > 0, got -1"),
    ("optim.lr", 0, "optim.lr: must be > 0, got 0"),
    ("model.layers.0.units", 0, "model.layers[0].units: must be > 0, got 0"),
    ("model.layers.2.p", 1.0, "model.layers[2].p: must be in [0, 1), got 1.0"),
    ("model.layers.2.p", 1.5, "model.layers[2].p: must be in [0, 1), got 1.5"),
    ("model.layers.1.fn", "swish",
     "model.layers[1].fn: unknown value 'swish'; choose one of relu, leaky_relu, tanh, sigmoid, gelu, identity"),
    ("model.loss", "bce", "model.loss: binary cross-entropy needs 2 classes, but spiral has 3; use cross_entropy"),
    ("optim.name", "lbfgs", "optim.name: unknown value 'lbfgs'; choose one of sgd, momentum, adam, adamw, rmsprop"),
    ("optim.momentum", 1.0, "optim.momentum: must be in [0, 1), got 1"),
    ("optim.lr_decay", 0, "optim.lr_decay: must be in (0, 1] (1 = a constant lr), got 0"),
    ("optim.lr_decay", 1.5, "optim.lr_decay: must be in (0, 1] (1 = a constant lr), got 1.5"),
    ("train.epochs", 0, "train.epochs: must be > 0, got 0"),
    ("train.batch_size", -5, "train.batch_size: must be >= 0 (0 = full batch), got -5"),
    ("data.name", "cifar", "data.name: unknown value 'cifar'"),
    ("data.val_fraction", 0.8, "data.val_fraction: validation and test together must leave at least 10%"),
])
def test_out_of_range_values_name_the_field_and_reason(path, value, message):
    assert error_of(set_path(spiral_dict(), path, value)).startswith(message)


@pytest.mark.parametrize("path, value, message", [
    ("optim.lr", "fast", "optim.lr: must be a number, got a string"),
    ("train.epochs", 2.5, "train.epochs: must be an integer, got 2.5"),
    ("train.epochs", True, "train.epochs: must be an integer, got a boolean"),
    ("train.restore_best", "yes", "train.restore_best: must be true or false, got a string"),
    ("model.layers", {"kind": "linear"}, "model.layers: must be a list, got an object"),
    ("data", [], "data: must be an object, got a list"),
    ("model.layers.0.units", None, "model.layers[0].units: missing"),
])
def test_wrong_types_name_the_field(path, value, message):
    assert error_of(set_path(spiral_dict(), path, value)) == message


@pytest.mark.parametrize("section", ["data", "model", "optim", "train"])
def test_a_missing_section_is_named(section):
    raw = spiral_dict()
    del raw[section]
    assert error_of(raw) == f"{section}: missing"


def test_a_missing_layer_field_and_an_unknown_setting_are_named():
    raw = spiral_dict()
    del raw["model"]["layers"][1]["fn"]
    assert error_of(raw) == "model.layers[1].fn: missing"
    raw = spiral_dict()
    raw["optim"]["learning_rate"] = 0.1
    assert error_of(raw) == "optim.learning_rate: unknown setting"


def test_constructing_an_invalid_experiment_directly_raises_too():
    with pytest.raises(ConfigError, match=r"^optim\.lr: must be > 0, got -1$"):
        Experiment(optim=OptimSpec(lr=-1.0))
    with pytest.raises(ConfigError, match=r"^model\.layers\[0\]\.units: must be > 0, got 0$"):
        Experiment(model=ModelSpec(layers=(LayerSpec("linear", units=0),)))


def test_three_classes_with_a_binary_loss_is_refused_and_two_classes_accept_it():
    with pytest.raises(ConfigError, match="^model.loss: binary cross-entropy needs 2 classes"):
        Experiment(data=DataSpec(name="blobs", classes=3), model=ModelSpec(loss="bce"))
    two = Experiment(data=DataSpec(name="blobs", classes=2), model=ModelSpec(loss="bce"))
    assert task_of(two.data) == "binary" and resolved_loss(two) == "bce"


def test_the_error_type_keeps_path_and_reason_apart():
    with pytest.raises(ConfigError) as info:
        Experiment(train=TrainSpec(patience=-1))
    assert (info.value.path, info.value.reason) == ("train.patience", "must be >= 0 (0 = off), got -1")
    assert isinstance(info.value, ValueError)


def test_json_round_trip_is_exact_and_carries_a_schema():
    exp = Experiment(data=DataSpec(name="moons", noise=0.1, extra_points=((0.5, -0.25, 1),)),
                     model=ModelSpec(layers=(LayerSpec("linear", units=8), LayerSpec("activation", fn="tanh"),
                                             LayerSpec("dropout", p=0.1), LayerSpec("batchnorm"))),
                     optim=OptimSpec(name="rmsprop", lr=0.003), train=TrainSpec(epochs=7, batch_size=16),
                     name="mine", description="a test")
    text = exp.to_json()
    assert json.loads(text)["schema"] == 1
    back = Experiment.from_json(text)
    assert back == exp
    assert back.to_json() == text


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    ("[1, 2]", "an experiment must be a JSON object, got a list"),
    (b"\xff\xfe\x00garbage", "not a UTF-8 text file"),
    ('{"schema": 99}', "schema: version 99 is newer than this program reads (1)"),
    ("[" * 100_000, "not valid JSON"),
])
def test_garbage_json_gives_one_clear_error(text, message):
    with pytest.raises(ConfigError) as info:
        Experiment.from_json(text)
    assert str(info.value).startswith(message)


def test_overrides_replace_dotted_paths_and_validate():
    exp = load_preset("spiral").with_overrides({"optim.lr": 0.1, "train.epochs": 3})
    assert (exp.optim.lr, exp.train.epochs) == (0.1, 3)
    with pytest.raises(ConfigError, match=r"^optim\.lr: must be > 0, got -1$"):
        load_preset("spiral").with_overrides({"optim.lr": -1})
    with pytest.raises(ConfigError, match=r"^optim\.speed: no such setting$"):
        load_preset("spiral").with_overrides({"optim.speed": 1})


def test_parse_override_reads_json_values_and_keeps_text():
    assert parse_override("optim.lr=0.1") == ("optim.lr", 0.1)
    assert parse_override("optim.name=sgd") == ("optim.name", "sgd")
    assert parse_override("train.restore_best=false") == ("train.restore_best", False)
    with pytest.raises(ConfigError, match="expected PATH=VALUE"):
        parse_override("optim.lr")
