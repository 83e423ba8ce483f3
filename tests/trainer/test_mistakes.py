"""Mistakes on purpose (trainer/mistakes.py): each one, made by the one loop, does what it does to a learner's
run, beside the normal run of the same settings; the exported script makes it the way a learner would have,
marked, and still repeats the app's run."""
from __future__ import annotations

import gc
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from trainer.__main__ import summary
from trainer.config import ConfigError, Experiment, LayerSpec
from trainer.export import render_script
from trainer.loop import GraphMemory, run_to_end
from trainer.mistakes import MISTAKE_TABLE, MISTAKES, SCRIPT_MARK
from trainer.presets import load_preset

EPOCHS = 300   # enough for the normal spiral run to be well under way (train loss ~0.3)


def spiral(mistake: str = "none", preset: str = "spiral", layers: list[dict] | None = None, **train) -> Experiment:
    """The spiral lesson (2-100-3, ReLU, dropout 0.2, Adam) on the CPU without early stopping, the mistake
    made; `train` sets more of TrainSpec, `layers` replaces the hidden layers."""
    exp = load_preset(preset)
    model = exp.model if layers is None else replace(exp.model, layers=tuple(LayerSpec(**x) for x in layers))
    return replace(exp, model=model, train=replace(exp.train, **{"device": "cpu", "epochs": EPOCHS, "patience": 0,
                                                                 "mistake": mistake, **train}))


@pytest.fixture(scope="module")
def runs():
    """Every mistake's run and the normal one, trained once for the module."""
    return {key: run_to_end(spiral(key)) for key in MISTAKES}


def column(fin, name: str) -> np.ndarray:
    return np.array([r[name] for r in fin.history], dtype=float)


def roughness(values: np.ndarray) -> float:
    """Mean absolute change from one epoch to the next: how jumpy a curve is."""
    return float(np.mean(np.abs(np.diff(values))))


# -- the setting ------------------------------------------------------------------------------

def test_the_setting_is_off_by_default_round_trips_and_names_itself_when_wrong():
    assert Experiment().train.mistake == "none"
    exp = spiral("no_zero_grad")
    assert Experiment.from_json(exp.to_json()) == exp
    assert json.loads(exp.to_json())["train"]["mistake"] == "no_zero_grad"
    with pytest.raises(ConfigError, match=r"^train\.mistake: unknown value 'forget'"):
        spiral("forget")
    with pytest.raises(ConfigError, match=r"^train\.mistake: Softmax before CrossEntropyLoss needs a cross_entropy"):
        spiral("softmax_ce", preset="xor-mlp")   # a sigmoid + BCE head
    raw = json.loads(spiral().to_json())
    raw["train"]["mistake"] = 3
    with pytest.raises(ConfigError, match=r"^train\.mistake: must be a string"):
        Experiment.from_dict(raw)


def test_every_row_of_the_table_says_what_went_wrong():
    for key, row in MISTAKE_TABLE.items():
        assert row.key == key and row.label and row.why.endswith(".")
        assert key == "none" or row.script


# -- each mistake's effect, beside the normal run ------------------------------------------------

def test_without_zero_grad_the_loss_ends_far_above_the_normal_run(runs):
    normal, mistake = runs["none"], runs["no_zero_grad"]
    assert mistake.history[-1]["train_loss"] > 2 * normal.history[-1]["train_loss"]
    assert mistake.metrics["test_accuracy"] < normal.metrics["test_accuracy"] - 5
    assert roughness(column(mistake, "train_loss")) > 5 * roughness(column(normal, "train_loss"))


def test_softmax_before_cross_entropy_learns_slower(runs):
    normal, mistake = runs["none"], runs["softmax_ce"]
    # At every stage of the run the mistaken loss is higher, and it cannot go below softmax's floor:
    # CrossEntropyLoss on probabilities in [0, 1] is at least -log(e / (e + 2)) ~ 0.551 with 3 classes.
    for epoch in (50, 150, EPOCHS - 1):
        assert mistake.history[epoch]["train_loss"] > normal.history[epoch]["train_loss"] + 0.2
    assert column(mistake, "train_loss").min() > -np.log(np.e / (np.e + 2))
    assert mistake.metrics["test_accuracy"] < normal.metrics["test_accuracy"]


def test_a_learning_rate_100x_too_large_ends_worse_or_diverges(runs):
    normal, mistake = runs["none"], runs["lr_x100"]
    assert mistake.reason == "diverged" or mistake.history[-1]["train_loss"] > 1.5 * normal.history[-1]["train_loss"]
    assert roughness(column(mistake, "train_loss")) > 10 * roughness(column(normal, "train_loss"))


def test_a_learning_rate_100x_too_large_diverges_plain_sgd():
    """Without Adam's normalised steps, 100x blows the weights up: the loop stops at inf / NaN."""
    exp = load_preset("linear-regression")
    assert run_to_end(replace(exp, train=replace(exp.train, device="cpu", mistake="lr_x100"))).reason == "diverged"
    assert run_to_end(replace(exp, train=replace(exp.train, device="cpu"))).reason != "diverged"


def test_forgetting_eval_makes_validation_with_dropout_noisy(runs):
    normal, mistake = runs["none"], runs["no_eval"]
    # Dropout still drops units while validating: the same weights score differently each epoch.
    assert roughness(column(mistake, "val_loss")) > 3 * roughness(column(normal, "val_loss"))
    # Training itself is the same loop: its loss ends close to the normal run's.
    assert abs(mistake.history[-1]["train_loss"] - normal.history[-1]["train_loss"]) < 0.1


def test_forgetting_eval_changes_nothing_without_dropout_or_batch_norm():
    plain = {"layers": [{"kind": "linear", "units": 16}, {"kind": "activation", "fn": "tanh"}], "epochs": 40}
    normal, mistake = run_to_end(spiral(**plain)), run_to_end(spiral("no_eval", **plain))
    assert column(mistake, "val_loss").tolist() == column(normal, "val_loss").tolist()


def test_forgetting_no_grad_keeps_graphs_alive_and_memory_grows(runs):
    normal, mistake = runs["none"], runs["no_no_grad"]
    # The figures are the same (no_grad changes no number), but the memory held grows every epoch.
    assert column(mistake, "val_loss").tolist() == column(normal, "val_loss").tolist()
    assert "graph_bytes" not in normal.history[-1]
    held = column(mistake, "graph_bytes")
    assert held[0] > 0 and np.all(np.diff(held) > 0)
    # One validation pass of 67 points keeps at least the 100 hidden activations of each (float32).
    per_epoch = held[-1] / len(held)
    assert per_epoch >= 67 * 100 * 4
    assert held[-1] == pytest.approx(per_epoch * len(held), rel=0.01)   # the same amount every epoch


def test_graph_memory_counts_only_what_a_kept_graph_holds():
    """The measure itself: nothing under no_grad, a kept graph's saved activations, 0 once it is freed."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 50), nn.ReLU(), nn.Linear(50, 3))
    x = torch.randn(20, 2)
    memory = GraphMemory([*model.parameters(), x])
    with torch.autograd.graph.saved_tensors_hooks(memory.pack, lambda t: t):
        with torch.no_grad():
            model(x).sum()
        assert memory.bytes == 0
        kept = model(x).sum()
    assert memory.bytes >= 20 * 50 * 4          # the hidden activations, saved for a backward
    del kept
    gc.collect()
    assert memory.bytes == 0


# -- the exported script ---------------------------------------------------------------------


MISTAKEN_LINES = {
    "no_zero_grad": "# optimizer.zero_grad()",
    "no_eval": "# model.eval()",
    "no_no_grad": "val_history.append(val_loss_tensor)",
    "softmax_ce": "nn.Softmax(dim=1),",
    "lr_x100": "lr=1.0,",
}


@pytest.mark.parametrize("key", [k for k in MISTAKES if k != "none"])
@pytest.mark.parametrize("batch_size", [0, 64], ids=["full-batch", "batches"])
def test_the_script_makes_the_mistake_marked_and_repeats_the_run(run_in_process, key, batch_size, tmp_path):
    exp = spiral(key, epochs=40, batch_size=batch_size)
    text = render_script(exp)
    marked = [line for line in text.splitlines() if SCRIPT_MARK in line]
    assert len(marked) in (1, 2) and all(MISTAKE_TABLE[key].script in line for line in marked)
    assert MISTAKEN_LINES[key] in text
    assert SCRIPT_MARK not in render_script(spiral(epochs=40))
    app = summary(exp, run_to_end(exp))
    script = run_in_process(exp, tmp_path)
    for name in ("reason", "epochs_run", "best_epoch", "params", "test_accuracy"):
        assert script[name] == app[name], name
    for name in ("final_train_loss", "best_val_loss"):
        assert abs(script[name] - app[name]) <= 1e-6, (name, script[name], app[name])
