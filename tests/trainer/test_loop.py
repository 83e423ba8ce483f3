"""The training loop: real outcomes, determinism, control, divergence, events."""
from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import torch

from trainer import loop
from trainer.config import DataSpec, Experiment, LayerSpec, ModelSpec, OptimSpec, TrainSpec
from trainer.control import Control
from trainer.data import load
from trainer.events import (BatchProgress, DataProgress, Diverged, EpochEnd, Finished, NewBest, Snapshot, Started,
                            Stopped)
from trainer.loop import run_to_end, train
from trainer.pacing import Pacing
from trainer.models import build_loss, build_model
from trainer.presets import load_preset

EVERY_EPOCH = Pacing(snapshot_every_s=1e-9, progress_every_s=0.0)


def hidden(units: int = 16, p: float = 0.0) -> tuple[LayerSpec, ...]:
    layers = (LayerSpec("linear", units=units), LayerSpec("activation", fn="relu"))
    return layers + ((LayerSpec("dropout", p=p),) if p else ())


def minibatch_moons(epochs: int = 3, batch_size: int = 10) -> Experiment:
    """200 moons -> 140 training points, in 14 batches of 10 by default; dropout so the RNG matters."""
    return Experiment(data=DataSpec(name="moons", n_samples=200, noise=0.2, val_fraction=0.2, test_fraction=0.1),
                      model=ModelSpec(layers=hidden(16, p=0.1)), optim=OptimSpec(name="adam", lr=0.01),
                      train=TrainSpec(epochs=epochs, batch_size=batch_size))


class Batches(list):
    """Sizes of the batches trained on, in order; `models` holds every model the loop built."""
    models: list[torch.nn.Module]


@pytest.fixture()
def trained_batches(monkeypatch) -> Batches:
    """Count the batches the loop trains on (forward calls in train mode) and keep the model it builds."""
    calls = Batches()
    calls.models = []
    real = loop.build_model

    def build(exp):
        model = real(exp)
        model.register_forward_pre_hook(lambda m, args: calls.append(len(args[0])) if m.training else None)
        calls.models.append(model)
        return model
    monkeypatch.setattr(loop, "build_model", build)
    return calls


def finished_of(events) -> Finished:
    assert isinstance(events[-1], Finished)
    return events[-1]


# -- real outcomes --------------------------------------------------------------------

@pytest.mark.parametrize("preset, labels", [("xor-mlp", [0, 1, 1, 0]), ("perceptron-and", [0, 0, 0, 1])])
def test_gates_reach_4_of_4(preset, labels):
    f = run_to_end(load_preset(preset))
    assert f.reason == "completed" and f.epochs_run == load_preset(preset).train.epochs
    assert f.metrics["predictions"].tolist() == labels
    assert f.metrics["test_accuracy"] == 100.0
    assert f.history[-1]["train_loss"] < f.history[0]["train_loss"]


def test_linear_regression_learns_w_2_and_b_1():
    f = run_to_end(load_preset("linear-regression"))
    assert abs(f.extra["w"] - 2) <= 0.15 and abs(f.extra["b"] - 1) <= 0.3
    assert f.history[-1]["train_acc"] is None and "test_mse" in f.metrics
    assert f.metrics["test_mse"] < 0.5   # the noise is N(0, 0.5^2): 0.25 is the floor


@pytest.fixture(scope="module")
def spiral_events():
    return list(train(load_preset("spiral")))


def test_spiral_reaches_90_percent_with_early_stopping_and_the_best_weights(spiral_events):
    f = finished_of(spiral_events)
    assert f.metrics["test_accuracy"] >= 90.0
    assert f.params == 603
    # Early stopping as the seed: stop when 200 epochs passed without a better validation loss.
    assert f.reason == "early_stopped" and f.epochs_run - 1 - f.best_epoch == 200
    best = min(f.history, key=lambda h: h["val_loss"])
    assert (best["epoch"], best["val_loss"]) == (f.best_epoch, f.best_val_loss)
    # The model handed back is the best one, not the last one.
    exp = load_preset("spiral")
    model = build_model(exp)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in f.state.items()})
    model.eval()
    s = load(exp.data)
    with torch.no_grad():
        val_loss = build_loss(exp)(model(torch.from_numpy(s.x_val)), torch.from_numpy(s.y_val)).item()
    assert val_loss == pytest.approx(f.best_val_loss, rel=1e-5)
    assert f.metrics["confusion"].sum() == 67 and f.metrics["confusion"].shape == (3, 3)


def test_event_stream_shape(spiral_events):
    assert isinstance(spiral_events[0], Started) and spiral_events[0].params == 603
    assert (spiral_events[0].n_train, spiral_events[0].n_val, spiral_events[0].n_test) == (316, 67, 67)
    epochs = [e.epoch for e in spiral_events if isinstance(e, EpochEnd)]
    assert epochs == list(range(len(epochs)))
    bests = [e.val_loss for e in spiral_events if isinstance(e, NewBest)]
    assert bests == sorted(bests, reverse=True) and len(set(bests)) == len(bests)
    snap = [e for e in spiral_events if isinstance(e, Snapshot)][-1]   # the final one, always sent for 2-D
    assert snap.boundary.shape == (100, 100, 3)
    np.testing.assert_allclose(snap.boundary.sum(axis=2), 1.0, rtol=1e-5)


def no_tensors(value, path="event"):
    assert not isinstance(value, torch.Tensor), path
    if isinstance(value, dict):
        for k, v in value.items():
            no_tensors(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            no_tensors(v, f"{path}[{i}]")
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            no_tensors(getattr(value, name), f"{path}.{name}")


def test_events_carry_numbers_and_numpy_never_tensors():
    events = list(train(minibatch_moons(epochs=2), pacing=EVERY_EPOCH))
    kinds = {type(e) for e in events}
    assert {Started, BatchProgress, EpochEnd, NewBest, Snapshot, Finished} <= kinds
    for event in events:
        no_tensors(event)
    assert events[0].batches_per_epoch == 14
    assert sum(isinstance(e, BatchProgress) for e in events) == 2 * 14


DIAGRAM_RARELY = Pacing(snapshot_every_s=1e-9, progress_every_s=0.0, diagram_every_s=1e9)


def test_live_snapshots_leave_the_diagram_out_between_its_updates_but_the_last_has_it(trained_batches):
    events = list(train(minibatch_moons(epochs=6, batch_size=0), pacing=DIAGRAM_RARELY))
    snaps = [e for e in events if isinstance(e, Snapshot)]
    assert len(snaps) == 7 and all(s.boundary is not None for s in snaps)   # 6 live + the final one
    with_diagram = [s.epoch for s in snaps if s.weights and s.neurons]
    assert with_diagram == [0, 5]                     # the first live one and the final one
    assert all(s.weights == () and s.neurons == () for s in snaps[1:-1])
    model = trained_batches.models[0]
    np.testing.assert_array_equal(snaps[-1].weights[0][0], model[0].weight.detach().numpy())


@pytest.mark.parametrize("batch_size", [0, 10], ids=["fullbatch", "minibatch"])
def test_a_paused_run_first_shows_its_current_weights(trained_batches, batch_size):
    """A learner studies the diagram of a paused run: it must show the last epoch, not one from 0.5 s ago."""
    control = Control()
    events, params_at = [], {}
    for event in train(minibatch_moons(epochs=10, batch_size=batch_size), control, DIAGRAM_RARELY):
        events.append(event)
        if isinstance(event, Snapshot):   # the loop is suspended here: its weights are the snapshot's
            params_at[id(event)] = [p.detach().numpy().copy() for p in trained_batches.models[0].parameters()]
        if isinstance(event, EpochEnd) and event.epoch == 3:
            control.pause()
            remote(control, lambda: (time.sleep(0.3), control.stop()))
    stopped = next(i for i, e in enumerate(events) if isinstance(e, Stopped))
    snap = [e for e in events[:stopped] if isinstance(e, Snapshot)][-1]   # what the paused window shows
    assert snap.epoch == 3 and snap.boundary is not None and len(snap.neurons) == 1
    for (weight, bias), (w, b) in zip(snap.weights, zip(params_at[id(snap)][::2], params_at[id(snap)][1::2])):
        np.testing.assert_array_equal(weight, w)
        np.testing.assert_array_equal(bias, b)
    assert events[stopped] == Stopped(4)


@pytest.mark.slow
def test_mnist_mlp_reaches_93_percent_on_the_real_data(mnist_root):
    exp = load_preset("mnist-mlp").with_overrides({"data.root": str(mnist_root)})
    events = list(train(exp, allow_download=False))
    f = finished_of(events)
    assert f.params == 235_146
    assert f.metrics["n_test"] == 10_000 and f.metrics["confusion"].sum() == 10_000
    assert f.metrics["test_accuracy"] >= 93.0, f.metrics["test_accuracy"]
    started = next(e for e in events if isinstance(e, Started))
    assert (started.n_train, started.n_val, started.n_test) == (5_000, 1_000, 10_000)
    assert all(not isinstance(e, DataProgress) or e.stage in ("download", "extract", "read") for e in events)


# -- determinism ----------------------------------------------------------------------

def learned(f: Finished):
    """The history without wall-clock seconds (time is not something the model learns) and the weights."""
    return [{k: v for k, v in h.items() if k != "seconds"} for h in f.history], f.state


@pytest.mark.parametrize("exp", [
    minibatch_moons(epochs=4),
    Experiment(data=DataSpec(name="spiral"), model=ModelSpec(layers=hidden(32, p=0.2)),
               train=TrainSpec(epochs=40, patience=10)),
], ids=["minibatch-shuffle-dropout", "fullbatch-dropout"])
def test_same_seed_same_history_bit_for_bit(exp):
    history1, state1 = learned(run_to_end(exp))
    torch.rand(1000)                       # disturb the global generators in between
    np.random.rand(1000)
    history2, state2 = learned(run_to_end(exp))
    assert history1 == history2            # float == float: bit for bit
    assert state1.keys() == state2.keys()
    for k in state1:
        assert np.array_equal(state1[k], state2[k]), k
    other = learned(run_to_end(Experiment.from_dict({**exp.to_dict(), "train": {**exp.to_dict()["train"],
                                                                                "seed": 7}})))[0]
    assert other != history1               # and the seed is what decides it


# -- control: stop, pause, resume, step -----------------------------------------------

def test_stop_is_honoured_within_one_batch(trained_batches):
    control = Control()
    events = []
    for event in train(minibatch_moons(epochs=3), control, EVERY_EPOCH):
        events.append(event)
        if isinstance(event, BatchProgress) and (event.epoch, event.batch) == (1, 5):
            control.stop()
            at_stop = len(trained_batches)
    assert at_stop == 14 + 5
    assert len(trained_batches) == at_stop               # not one batch more
    stopped = [e for e in events if isinstance(e, Stopped)]
    assert stopped == [Stopped(1)]
    f = finished_of(events)
    assert f.reason == "stopped" and f.epochs_run == 1 and len(f.history) == 1


def remote(control: Control, script) -> threading.Thread:
    thread = threading.Thread(target=script, daemon=True)
    thread.start()
    return thread


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the loop never got there"
        time.sleep(0.01)


def test_pause_holds_within_one_batch_and_resume_goes_on(trained_batches):
    control = Control()
    seen: list[int] = []

    def press_resume():
        time.sleep(0.3)                     # give a misbehaving loop the chance to train on
        seen.append(len(trained_batches))
        control.resume()

    thread = None
    events = []
    for event in train(minibatch_moons(epochs=3), control, EVERY_EPOCH):
        events.append(event)
        if isinstance(event, BatchProgress) and (event.epoch, event.batch) == (1, 5):
            control.pause()
            assert control.paused
            thread = remote(control, press_resume)
    thread.join()
    assert seen == [19]                     # paused after the batch in hand, not one more
    assert len(trained_batches) == 3 * 14   # resumed: nothing lost, nothing repeated
    assert finished_of(events).reason == "completed" and finished_of(events).epochs_run == 3


def test_stop_while_paused_ends_the_run(trained_batches):
    control = Control()

    def press_stop():
        time.sleep(0.2)
        control.stop()

    thread = None
    events = []
    for event in train(minibatch_moons(epochs=3), control, EVERY_EPOCH):
        events.append(event)
        if isinstance(event, BatchProgress) and (event.epoch, event.batch) == (0, 3):
            control.pause()
            thread = remote(control, press_stop)
    thread.join()
    assert len(trained_batches) == 3
    assert [e for e in events if isinstance(e, Stopped)] == [Stopped(0)]
    assert finished_of(events).reason == "stopped" and finished_of(events).epochs_run == 0


def test_pause_pressed_after_stop_does_not_hang():
    control = Control()
    control.stop()
    control.pause()
    done = threading.Event()
    threading.Thread(target=lambda: (control.wait(), done.set()), daemon=True).start()
    assert done.wait(10), "wait() blocked on a stopped control"
    assert control.wait() is True


@pytest.mark.parametrize("batch_size, per_epoch", [(10, 14), (0, 1)], ids=["minibatch", "fullbatch"])
def test_step_runs_exactly_one_epoch_then_pauses(trained_batches, batch_size, per_epoch):
    control = Control()
    seen: list[int] = []

    def press_step_then_stop():
        time.sleep(0.2)
        seen.append(len(trained_batches))   # paused after epoch 0
        control.step()
        wait_until(lambda: control.paused)  # the loop paused itself at the end of the stepped epoch
        time.sleep(0.2)
        seen.append(len(trained_batches))
        control.stop()

    thread = None
    events = []
    for event in train(minibatch_moons(epochs=10, batch_size=batch_size), control, EVERY_EPOCH):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 0:
            control.pause()
            thread = remote(control, press_step_then_stop)
    thread.join()
    assert seen == [per_epoch, 2 * per_epoch]
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [0, 1]
    assert [e for e in events if isinstance(e, Stopped)] == [Stopped(2)]


# -- divergence -----------------------------------------------------------------------

def test_sgd_lr_100_on_the_regression_really_diverges_and_keeps_finite_weights():
    exp = load_preset("linear-regression").with_overrides({"optim.lr": 100.0})
    events = list(train(exp, pacing=EVERY_EPOCH))
    diverged = [e for e in events if isinstance(e, Diverged)]
    f = finished_of(events)
    assert len(diverged) == 1 and f.reason == "diverged"
    d = diverged[0]
    losses = [h["train_loss"] for h in f.history]
    # It really blows up: every epoch multiplies the loss by orders of magnitude until it overflows.
    assert all(b > 1000 * a for a, b in zip(losses, losses[1:])) and losses[-1] > 1e20
    assert d.epoch == len(f.history) and not math.isfinite(d.loss)
    assert f"diverged at epoch {d.epoch}" in d.message
    assert all(np.isfinite(v).all() for v in f.state.values())
    last = [e for e in events if isinstance(e, Snapshot) and e.epoch == d.epoch - 1][0]
    np.testing.assert_array_equal(f.state["0.weight"], last.weights[0][0])   # the last finite weights
    assert math.isfinite(f.metrics["test_mse"])


@pytest.mark.parametrize("batch_size", [0, 10], ids=["fullbatch", "minibatch"])
def test_a_binary_run_gone_nan_is_diverged_not_a_crash(trained_batches, batch_size):
    """BCELoss raises on NaN inputs; the loop must see the NaN first and report it."""
    exp = minibatch_moons(epochs=6, batch_size=batch_size)
    events = []
    for event in train(exp, pacing=EVERY_EPOCH):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 2:
            weight = trained_batches.models[-1][0].weight
            before = weight.detach().cpu().numpy().copy()   # on whichever device it trains
            with torch.no_grad():                       # what an exploding step leaves behind
                weight.fill_(float("nan"))
    diverged = [e for e in events if isinstance(e, Diverged)]
    assert len(diverged) == 1 and diverged[0].epoch == 3 and math.isnan(diverged[0].loss)
    f = finished_of(events)
    assert f.reason == "diverged" and f.epochs_run == 3
    np.testing.assert_array_equal(f.state["0.weight"], before)   # the weights of the last finite epoch
    assert all(np.isfinite(v).all() for v in f.state.values())
    assert np.isfinite(f.metrics["probabilities"]).all()


def test_mini_batches_cover_every_training_point_once_per_epoch(trained_batches):
    run_to_end(minibatch_moons(epochs=3, batch_size=32))
    assert trained_batches == [32, 32, 32, 32, 12] * 3


def test_two_classes_as_two_logits_learn_xor():
    """model.loss=cross_entropy on a binary dataset: labels and outputs follow the loss, not the dataset."""
    from trainer.loop import run_to_end
    from trainer.presets import load_preset
    exp = load_preset("xor-mlp").with_overrides({"model.loss": "cross_entropy", "train.epochs": 3000})
    finished = run_to_end(exp)
    assert finished.metrics["test_accuracy"] == 100.0
    assert finished.metrics["probabilities"].shape == (4, 2)
