"""The run's timeline (trainer/timeline): recording within a budget, and branches that train on from a
recorded epoch -- one that changes nothing repeats its parent bit for bit on the CPU."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.config import ConfigError, Experiment
from trainer.events import EpochEnd, Finished, Keyframe
from trainer.loop import train
from trainer.presets import load_preset
from trainer.timeline.frame import Frame, Resume
from trainer.timeline.timeline import DEFAULT_BUDGET, Timeline, stride_for

FIGURES = ("train_loss", "val_loss", "train_acc", "val_acc")


def _recorded(exp: Experiment, budget: int = DEFAULT_BUDGET, resume: Resume | None = None,
              watch=None) -> tuple[Timeline, Finished]:
    timeline, finished = Timeline(budget), None
    for event in train(exp, record=budget, resume=resume):
        if isinstance(event, Keyframe):
            timeline.add(event.frame)
            if watch is not None:
                watch(timeline)
        elif isinstance(event, Finished):
            finished = event
    return timeline, finished


def _resume(exp: Experiment, timeline: Timeline, finished: Finished, epoch: int) -> Resume:
    frame = timeline.frame(epoch)
    return Resume(frame, exp, finished.history[:epoch + 1], timeline.frame(frame.best_epoch).state)


def _assert_same_run(parent: Finished, branch: Finished) -> None:
    assert len(branch.history) == len(parent.history)
    for a, b in zip(parent.history, branch.history):
        assert [a[k] for k in FIGURES] == [b[k] for k in FIGURES], f"epoch {a['epoch']} differs"
    assert (branch.reason, branch.best_epoch, branch.best_val_loss) == \
        (parent.reason, parent.best_epoch, parent.best_val_loss)
    assert branch.metrics["test_accuracy"] == parent.metrics["test_accuracy"]
    for key, value in parent.state.items():
        assert np.array_equal(branch.state[key], value), key


@pytest.mark.parametrize("batch_size", [0, 64], ids=["full-batch", "mini-batch"])
def test_a_branch_that_changes_nothing_repeats_its_parent_exactly(batch_size: int) -> None:
    # The spiral preset: dropout (masks drawn ahead on a helper thread), Adam with weight decay.
    exp = load_preset("spiral").with_overrides({"train.epochs": 60, "train.batch_size": batch_size})
    timeline, parent = _recorded(exp)
    assert timeline.epochs == list(range(60))        # a small model: every epoch
    for k in (0, 23):
        _, branch = _recorded(exp, resume=_resume(exp, timeline, parent, k))
        _assert_same_run(parent, branch)


def test_a_branch_with_a_learning_rate_decay_and_early_stopping_repeats_its_parent() -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": 400, "optim.lr_decay": 0.9,
                                                "train.patience": 5})
    timeline, parent = _recorded(exp)
    assert parent.reason == "early_stopped"
    last = timeline.epochs[-1]
    for k in (10, last):          # from the last epoch, the copy stops there too
        _, branch = _recorded(exp, resume=_resume(exp, timeline, parent, k))
        _assert_same_run(parent, branch)


def test_a_branch_with_another_learning_rate_keeps_the_past_and_changes_the_future() -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": 40})
    timeline, parent = _recorded(exp)
    slower = exp.with_overrides({"optim.lr": 0.0001})
    branch_timeline, branch = _recorded(slower, resume=_resume(exp, timeline, parent, 19))
    assert branch.history[:20] == parent.history[:20]
    assert [r["epoch"] for r in branch.history] == list(range(40))
    # A hundred times smaller steps: the weights move far less after the branch point.
    start = timeline.frame(19).state["0.weight"]
    moved = np.abs(branch_timeline.frame(39).state["0.weight"] - start).mean()
    assert moved < 0.2 * np.abs(timeline.frame(39).state["0.weight"] - start).mean()
    assert branch_timeline.epochs[0] == 20          # the branch records its own epochs only


@pytest.mark.parametrize("override, named", [({"model.layers[0].units": 50}, "model.layers[0].units"),
                                             ({"data.noise": 0.1}, "data.noise"),
                                             ({"train.seed": 1}, "train.seed")])
def test_a_branch_that_changes_shapes_or_data_is_refused_naming_the_setting(override, named) -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": 3})
    timeline, parent = _recorded(exp)
    with pytest.raises(ConfigError) as refused:
        list(train(exp.with_overrides(override), record=DEFAULT_BUDGET,
                   resume=_resume(exp, timeline, parent, 1)))
    assert refused.value.path == named
    assert "a branch keeps" in str(refused.value) and "press Train for a new run" in str(refused.value)


def _frame(epoch: int, best: int, on_stride: bool, size: int = 1000) -> Frame:
    return Frame(epoch, {"w": np.zeros(size // 4, np.float32)}, {}, {}, None, {}, best, 1.0 / (best + 1),
                 on_stride)


def test_the_timeline_keeps_the_spacing_the_bests_they_name_and_the_last_epoch() -> None:
    timeline = Timeline(budget_bytes=10_000)
    # stride 3; bests at 0, 1, 4, 5 (then no improvement); the last epoch is 7
    bests = [0, 1, 1, 1, 4, 5, 5, 5]
    for epoch, best in enumerate(bests):
        timeline.add(_frame(epoch, best, on_stride=epoch % 3 == 0))
    # 0, 3, 6 on the spacing; 1 named by 3; 5 named by 6 and 7; 4 was named by nobody kept; 7 is the last
    assert timeline.epochs == [0, 1, 3, 5, 6, 7]
    assert timeline.nearest(2).epoch == 1 and timeline.nearest(4).epoch == 3
    assert timeline.nbytes() == 6 * 1000


def test_the_budget_holds_on_mnist_mlp_full_and_its_thinned_frames_still_branch(mnist_root, monkeypatch) -> None:
    monkeypatch.setenv("NEURAL_PLAYGROUND_DATA", str(mnist_root))
    exp = load_preset("mnist-mlp-full").with_overrides({"train.epochs": 3})
    frame_bytes = 4 * 235_146 * 4          # weights, gradients and Adam's two moments, float32
    budget = 4 * frame_bytes               # room for one frame on the spacing and one best beside it
    assert stride_for(frame_bytes, 3, budget) == 3
    held: list[int] = []
    timeline, parent = _recorded(exp, budget, watch=lambda t: held.append(t.nbytes()))
    assert max(held) <= budget
    assert timeline.epochs[0] == 0 and timeline.epochs[-1] == 2
    assert parent.best_epoch in timeline
    _, branch = _recorded(exp, budget, resume=_resume(exp, timeline, parent, 0))
    _assert_same_run(parent, branch)


def test_recording_does_not_change_what_the_run_learns() -> None:
    exp = load_preset("spiral").with_overrides({"train.epochs": 30})
    plain = [e for e in train(exp) if isinstance(e, (EpochEnd, Finished))]
    _, recorded = _recorded(exp)
    assert [e.as_record()["val_loss"] for e in plain[:-1]] == [r["val_loss"] for r in recorded.history]


def test_a_branch_of_a_branch_sees_its_past_through_the_tree_and_deleting_removes_its_descendants() -> None:
    from trainer.timeline.runs import MAIN, RunTree

    exp = load_preset("spiral").with_overrides({"train.epochs": 30})
    tree = RunTree(exp)
    tree[MAIN].timeline, parent = _recorded(exp)
    tree[MAIN].history = parent.history
    slower = exp.with_overrides({"optim.lr": 0.001})
    first = tree.add_branch(MAIN, 9, slower)
    assert first.label == "learning rate 0.01 -> 0.001 from epoch 9"
    first.timeline, result = _recorded(slower, resume=tree.resume(MAIN, 9))
    first.history = result.history
    second = tree.add_branch(first.key, 19, slower)
    assert tree.epochs(second.key) == list(range(20))
    assert tree.frame(second.key, 5) is tree.frame(MAIN, 5)
    assert tree.frame(second.key, 15) is first.timeline.frame(15)
    # branching the branch with no change repeats the branch
    _, again = _recorded(slower, resume=tree.resume(second.key, 19))
    assert [r["val_loss"] for r in again.history] == [r["val_loss"] for r in result.history]
    assert tree.delete(first.key) == [first.key, second.key]
    assert list(tree.branches) == [MAIN] and tree.current == MAIN


def test_a_cnn_branch_repeats_its_parent_with_its_channels_last_moments() -> None:
    # A CNN's weights are channels-last: Adam's moments loaded from a frame must be laid out the same way,
    # or the fused step pairs a weight with another element's moments (the branch then drifted from epoch 1).
    from trainer.config import DataSpec, LayerSpec, ModelSpec, OptimSpec, TrainSpec
    exp = Experiment(data=DataSpec(name="digits"), model=ModelSpec(layers=(
        LayerSpec(kind="conv2d", channels=4, kernel=3), LayerSpec(kind="activation", fn="relu"),
        LayerSpec(kind="conv2d", channels=4, kernel=3), LayerSpec(kind="activation", fn="relu"),
        LayerSpec(kind="dropout", p=0.2), LayerSpec(kind="flatten"))),
        optim=OptimSpec(lr=0.01), train=TrainSpec(epochs=6, batch_size=64))
    timeline, parent = _recorded(exp)
    _, branch = _recorded(exp, resume=_resume(exp, timeline, parent, 1))
    _assert_same_run(parent, branch)
