"""Dropout masks drawn ahead on a helper thread: the same run as nn.Dropout, and no thread left behind."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch import nn

from trainer import loop
from trainer.control import Control
from trainer.dropout import MaskSource, PrefetchedDropout, prefetch_masks
from trainer.events import EpochEnd
from trainer.loop import run_to_end, train
from trainer.presets import load_preset


def helpers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "np-dropout-masks"]


def learned(fin):
    return [(h["train_loss"], h["val_loss"], h["train_acc"]) for h in fin.history], fin.state


@pytest.mark.parametrize("overrides", [
    {"train.epochs": 120, "train.patience": 0},                         # full batch, one dropout
    {"train.epochs": 12, "train.patience": 0, "train.batch_size": 50},  # 316 rows: 6 batches of 50 and one of 16
], ids=["fullbatch", "minibatch"])
def test_masks_drawn_ahead_give_the_run_nn_dropout_gives_bit_for_bit(overrides, monkeypatch):
    exp = load_preset("spiral").with_overrides(overrides)
    ahead = run_to_end(exp)
    monkeypatch.setattr(loop, "prefetch_masks", lambda *args: None)    # nn.Dropout draws its own
    own = run_to_end(exp)
    assert learned(ahead)[0] == learned(own)[0]                         # float == float
    for key, value in own.state.items():
        assert np.array_equal(ahead.state[key], value), key
    assert helpers_alive() == []


@pytest.mark.parametrize("helper", ["running", "starved", "never started"])
def test_a_two_dropout_model_matches_nn_dropout_mask_for_mask(helper, monkeypatch):
    """Also when the helper falls behind (a busy machine seldom runs a nice-19 thread) or never runs:
    the training thread then draws the next mask itself, in the plan's order, instead of waiting."""
    if helper == "starved":
        import time
        from trainer import dropout
        real = dropout._mask
        monkeypatch.setattr(dropout, "_mask", lambda *a: (time.sleep(0.002), real(*a))[1])
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.3), nn.Linear(6, 5), nn.Dropout(0.5),
                          nn.Linear(5, 2), nn.Dropout(0.0))
    twin = nn.Sequential(*[type(m)(m.p) if isinstance(m, nn.Dropout) else m for m in model])
    x = torch.randn(7, 4)
    rows = [3, 3, 1]
    source = prefetch_masks(model, 4, rows, epochs=2)
    assert [type(m) for m in model].count(PrefetchedDropout) == 2       # p = 0 draws nothing: left alone
    state = torch.get_rng_state()
    if helper != "never started":
        source.start()
    try:
        got = [model(x[:r]) for _ in range(2) for r in rows]
    finally:
        source.close()
    torch.set_rng_state(state)
    expected = [twin(x[:r]) for _ in range(2) for r in rows]
    for g, e in zip(got, expected):
        assert torch.equal(g, e)


def test_a_forward_the_plan_did_not_expect_is_refused_not_trained_on():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.2), nn.Linear(4, 2))
    source = prefetch_masks(model, 3, [10], epochs=1)
    source.start()
    try:
        with pytest.raises(RuntimeError, match=r"wanted \(9, 4\), planned \(10, 4\)"):
            model(torch.zeros(9, 3))
        with pytest.raises(RuntimeError, match="planned nothing"):
            model(torch.zeros(10, 3))
    finally:
        source.close()
    assert helpers_alive() == []


def test_the_helper_ends_with_the_run_however_it_ends():
    exp = load_preset("spiral").with_overrides({"train.epochs": 100_000, "train.patience": 5})
    assert run_to_end(exp).reason == "early_stopped" and helpers_alive() == []
    control = Control()
    for event in train(exp.with_overrides({"train.patience": 0}), control):
        if isinstance(event, EpochEnd) and event.epoch == 3:
            control.stop()
    assert helpers_alive() == []
    events = train(exp, Control())
    for event in events:
        if isinstance(event, EpochEnd):
            break
    events.close()                     # the consumer gave up mid-run (a window closing)
    assert helpers_alive() == []


def test_close_before_start_and_twice_is_harmless():
    source = MaskSource(iter([((2, 2), 0.5)]), ahead=1)
    source.close()
    source.close()
    assert helpers_alive() == []
