"""A loaded checkpoint becomes the Finished the views show: history, best epoch, weights, metrics."""
from __future__ import annotations

import math

import numpy as np
import torch

from trainer.checkpoint import load, save_state
from trainer.config import DataSpec, Experiment, LayerSpec, ModelSpec
from trainer.models import build_model
from trainer.results import LOADED, finished_from_checkpoint, finished_from_record


def test_a_saved_record_comes_back_as_the_finished_of_its_run(tmp_path):
    exp = Experiment(data=DataSpec(name="xor"), model=ModelSpec(layers=(LayerSpec("linear", units=4),
                                                                       LayerSpec("activation", fn="relu"))))
    torch.manual_seed(0)
    state = {k: v.numpy().copy() for k, v in build_model(exp).state_dict().items()}
    history = [{"epoch": i, "train_loss": 1.0 / (i + 1), "val_loss": v} for i, v in enumerate((0.9, 0.4, 0.5))]
    path = save_state(tmp_path / "m.pt", exp, state, history, {"test_accuracy": 75.0}, norm=(0.5, 2.0))
    fin = finished_from_checkpoint(load(path))
    assert fin.reason == LOADED and fin.epochs_run == 3
    assert fin.best_epoch == 1 and fin.best_val_loss == 0.4          # the lowest validation loss, 0-based
    assert fin.history == history and fin.metrics == {"test_accuracy": 75.0}
    assert fin.extra == {"norm": [0.5, 2.0]}
    assert fin.params == sum(v.size for v in state.values())
    assert sorted(fin.state) == sorted(state)
    for key, value in state.items():
        assert isinstance(fin.state[key], np.ndarray)
        np.testing.assert_array_equal(fin.state[key], value)
    assert fin.device == "cpu" and fin.seconds == 0.0


def test_a_record_without_history_has_no_best_epoch():
    fin = finished_from_record([], {}, {"w": np.zeros((2, 3), dtype=np.float32)})
    assert fin.epochs_run == 0 and fin.best_epoch == 0 and math.isnan(fin.best_val_loss)
    assert fin.params == 6 and fin.extra == {"norm": [0.0, 1.0]}
