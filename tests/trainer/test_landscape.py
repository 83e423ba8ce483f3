"""The loss landscape and the path taken (issue 16 item 5): its centre is the trained model's loss, the
path ends there, PCA finds a straight path's one direction, a branch lands on the same plane, a few
points fall back to random directions, cancelling leaves no result, and the training process serves it."""
from __future__ import annotations

import threading
from multiprocessing import Pipe

import numpy as np
import pytest
import torch

from trainer.config import (ConfigError, DataSpec, Experiment, LayerSpec, ModelSpec, OptimSpec, TrainSpec,
                            resolved_loss)
from trainer.data import load
from trainer.events import Finished, Keyframe, Landscape, LandscapeProgress
from trainer.loop import run_to_end, train
from trainer.models import build_loss, model_from_state
from trainer.pacing import HEADLESS
from trainer.presets import load_preset
from trainer.remote import serve
from trainer.timeline.landscape import LANDSCAPE_ROWS, compute, project

BUDGET = 64 << 20


def recorded(exp) -> tuple[list[dict], Finished]:
    """The states a real run records (train(record=...)) in epoch order, and its Finished."""
    events = list(train(exp, record=BUDGET))
    return [e.frame.state for e in events if isinstance(e, Keyframe)], events[-1]


def result(events) -> Landscape:
    landscapes = [e for e in events if isinstance(e, Landscape)]
    assert len(landscapes) == 1 and events[-1] is landscapes[0]
    return landscapes[0]


def loss_of(exp, state, rows: int) -> float:
    """The model's loss on the first training rows, as a plain eval-mode forward pass gives it."""
    splits = load(exp.data)
    x = torch.from_numpy(splits.x_train[:rows])
    y = torch.from_numpy(splits.y_train[:rows])
    if resolved_loss(exp) != "cross_entropy":   # BCE and MSE compare against a float column, as the loop's
        y = y.float().reshape(-1, 1)
    with torch.no_grad():
        return build_loss(exp)(model_from_state(exp, state)(x), y).item()


SPIRAL = load_preset("spiral").with_overrides({"train.epochs": 40, "train.patience": 0, "train.restore_best": False})
# A CNN with batch norm (its running statistics stay the centre's) on scikit-learn's 8x8 digits.
DIGITS_CNN = Experiment(data=DataSpec(name="digits"), model=ModelSpec(layers=(
    LayerSpec(kind="conv2d", channels=4, kernel=3), LayerSpec(kind="batchnorm2d"),
    LayerSpec(kind="activation", fn="relu"), LayerSpec(kind="flatten"))),
    optim=OptimSpec(lr=0.01), train=TrainSpec(epochs=8, restore_best=False))
XOR = load_preset("xor-mlp").with_overrides({"train.epochs": 30, "train.restore_best": False})   # BCE, sigmoid head


@pytest.fixture(scope="module")
def spiral_run() -> tuple[list[dict], Finished]:
    return recorded(SPIRAL)


@pytest.mark.parametrize("exp", [SPIRAL, DIGITS_CNN, XOR], ids=["spiral", "digits-cnn", "xor-bce"])
def test_the_centre_is_the_trained_models_loss_and_the_path_ends_there(exp):
    states, finished = recorded(exp)
    assert all((finished.state[k] == v).all() for k, v in states[-1].items())   # the last state is the trained one
    events = list(compute(exp, states, steps=7))
    land = result(events)
    trained = loss_of(exp, finished.state, LANDSCAPE_ROWS)
    assert land.kind == "pca" and land.note == ""
    assert land.alphas[3] == land.betas[3] == 0.0
    assert land.centre_loss == pytest.approx(trained, abs=1e-6)
    assert land.loss[3, 3] == pytest.approx(trained, abs=1e-6)
    assert land.loss.shape == (7, 7) and np.isfinite(land.loss).all()
    assert land.path.shape == (len(states), 2) and (land.path[-1] == 0).all()
    # The grid reaches past the whole path, and the path comes in from where it started.
    assert (np.abs(land.path[:, 0]) < land.alphas[-1]).all() and (np.abs(land.path[:, 1]) < land.betas[-1]).all()
    assert land.path[0, 0] < 0
    assert 0 < land.explained[1] <= land.explained[0] and sum(land.explained) <= 1 + 1e-9
    assert land.rows == land.rows_total == len(load(exp.data).x_train)
    assert isinstance(events[0], LandscapeProgress) and events[0].total == 49


def test_a_run_that_kept_its_best_epoch_is_centred_there():
    exp = SPIRAL.with_overrides({"train.restore_best": True, "optim.lr": 0.05})
    events = list(train(exp, record=BUDGET))
    frames = [e.frame for e in events if isinstance(e, Keyframe)]
    finished = events[-1]
    best = [f.epoch for f in frames].index(finished.best_epoch)
    assert best < len(frames) - 1          # the trained model is not the last epoch's
    land = result(list(compute(exp, [f.state for f in frames], steps=5, centre=best)))
    assert (land.path[best] == 0).all() and (land.path[-1] != 0).any()
    assert land.centre_loss == pytest.approx(loss_of(exp, finished.state, LANDSCAPE_ROWS), abs=1e-6)
    assert land.loss[2, 2] == pytest.approx(land.centre_loss, abs=1e-6)


def test_mnist_counts_the_loss_on_the_first_2000_training_images_and_says_so(mnist_root):
    """One state has no path: two filter-normalised random directions; the first layer's shortcut (784
    inputs, computed once per direction) still gives the model's own loss at the centre."""
    exp = load_preset("mnist-mlp").with_overrides({"train.epochs": 1, "data.root": str(mnist_root)})
    state = run_to_end(exp).state
    land = result(list(compute(exp, [state], steps=3)))
    assert (land.rows, land.rows_total) == (LANDSCAPE_ROWS, 5000)
    assert "2,000 of 5,000 training rows" in land.note and "random directions" in land.note
    assert land.kind == "random" and land.centre_loss == pytest.approx(loss_of(exp, state, LANDSCAPE_ROWS), abs=1e-6)
    assert land.loss[1, 1] == pytest.approx(land.centre_loss, abs=1e-6)
    assert land.loss[0, 0] != pytest.approx(land.centre_loss, abs=1e-3)   # the points around it differ


def test_a_straight_path_lies_on_the_first_axis(spiral_run):
    state = spiral_run[1].state
    rng = np.random.default_rng(1)
    step = {k: rng.normal(0, 0.01, v.shape).astype(np.float32) for k, v in state.items()}
    ts = [-4, -3, -1, 0]
    states = [{k: v + t * step[k] for k, v in state.items()} for t in ts]
    land = result(list(compute(SPIRAL, states, steps=3)))
    assert land.kind == "pca" and land.explained[0] == pytest.approx(1.0, abs=1e-9)
    scale = np.abs(land.path[:, 0]).max()
    assert np.abs(land.path[:, 1]).max() < 1e-6 * scale
    assert np.allclose(land.path[:, 0] / land.path[0, 0], np.array(ts) / ts[0], atol=1e-6)


def test_fewer_than_three_distinct_points_take_filter_normalised_random_directions(spiral_run):
    state = spiral_run[1].state
    land = result(list(compute(SPIRAL, [state, state, state], steps=3)))
    assert land.kind == "random" and "fewer than 3 distinct points" in land.note
    assert np.isnan(land.explained).all()   # the path has no length to explain
    assert land.alphas[-1] == land.betas[-1] == 1.0   # Li et al.'s +-1
    # Li et al.: each filter (a weight row) of a direction has that filter's norm; biases are left out.
    offset = 0
    for key in land.keys:
        w = state[key]
        part = land.directions[:, offset:offset + w.size].reshape(2, len(w), -1)
        offset += w.size
        if w.ndim == 1:
            assert (part == 0).all()
        else:
            assert np.allclose(np.linalg.norm(part, axis=2), np.linalg.norm(w.reshape(len(w), -1), axis=1), rtol=1e-6)
    assert offset == land.directions.shape[1] == 603
    again = result(list(compute(SPIRAL, [state], steps=3, kind="random")))
    assert (again.directions == land.directions).all()   # seeded: the same picture each time


def test_a_branch_is_projected_onto_the_same_plane(spiral_run):
    states, _ = spiral_run
    land = result(list(compute(SPIRAL, states, steps=3)))
    assert np.allclose(project(land, states), land.path, atol=1e-9)
    d1, d2 = land.directions
    flat = land.centre + 0.5 * d1 - 0.25 * d2
    sizes = np.cumsum([states[0][k].size for k in land.keys])[:-1]
    branch = {k: part.reshape(states[0][k].shape) for k, part in zip(land.keys, np.split(flat, sizes))}
    assert np.allclose(project(land, [branch]), [[0.5, -0.25]], atol=1e-5)


def test_cancelling_leaves_no_landscape(spiral_run):
    states, _ = spiral_run
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1    # after the first batch of points

    events = list(compute(SPIRAL, states, steps=41, cancelled=cancelled, progress_every_s=0))
    assert events and not any(isinstance(e, Landscape) for e in events)
    assert events[-1].done < events[-1].total


def test_bad_options_name_what_is_wrong(spiral_run):
    states, _ = spiral_run
    with pytest.raises(ConfigError, match=r"^landscape.steps: must be an odd whole number >= 3"):
        list(compute(SPIRAL, states, steps=40))
    with pytest.raises(ConfigError, match=r"^landscape.kind: must be one of pca, random, got 'hessian'"):
        list(compute(SPIRAL, states, kind="hessian"))
    with pytest.raises(ConfigError, match=r"^landscape: state 0 does not fit this experiment's model"):
        list(compute(XOR, states))
    with pytest.raises(ConfigError, match=r"^landscape.centre: must be the index of one of the 40 states, got 40"):
        list(compute(SPIRAL, states, centre=40))


@pytest.fixture
def link():
    """trainer.remote.serve on a thread, at the other end of a pipe: the training process's own code."""
    window, process = Pipe()
    thread = threading.Thread(target=serve, args=(process,), daemon=True)
    thread.start()
    assert window.recv()[0] == "ready"
    yield window
    window.close()          # the window goes away: serve ends
    thread.join(30)
    assert not thread.is_alive()


def answer(conn) -> tuple[list, tuple]:
    events = []
    while (message := conn.recv())[0] == "events":
        events.extend(message[1])
    return events, message


def test_the_training_process_computes_a_landscape_reports_progress_and_stops_when_told(link, spiral_run):
    states, finished = spiral_run
    link.send(("landscape", SPIRAL, states, {"steps": 9}))
    events, end = answer(link)
    assert end == ("done",)
    land = result(events)
    assert isinstance(events[0], LandscapeProgress) and land.loss.shape == (9, 9)
    assert land.centre_loss == pytest.approx(loss_of(SPIRAL, finished.state, LANDSCAPE_ROWS), abs=1e-6)
    # A large grid, stopped once it has begun: "done" comes without a landscape, and the link serves on.
    link.send(("landscape", SPIRAL, states, {"steps": 301}))
    assert isinstance(link.recv()[1][0], LandscapeProgress)
    link.send(("stop",))
    events, end = answer(link)
    assert end == ("done",) and not any(isinstance(e, Landscape) for e in events)
    link.send(("landscape", SPIRAL, states, {"steps": 4}))
    events, end = answer(link)
    assert end[0] == "error" and end[1].startswith("landscape.steps: must be an odd whole number") and end[3]
    link.send(("train", SPIRAL.with_overrides({"train.epochs": 3}), HEADLESS, False))
    events, end = answer(link)
    assert end == ("done",) and isinstance(events[-1], Finished)
