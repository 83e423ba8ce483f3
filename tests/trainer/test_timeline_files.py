"""A checkpoint keeps the run's timeline and branches: every frame comes back as it was, a branch from the
reopened file repeats its parent bit for bit, a file from before timelines still opens, and a damaged or
hostile timeline is refused with one line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from trainer import checkpoint
from trainer.checkpoint import CheckpointError, load, save
from trainer.data import load as load_data
from trainer.events import Finished, Keyframe
from trainer.loop import train
from trainer.presets import load_preset
from trainer.timeline.files import describe_epochs
from trainer.timeline.frame import Frame
from trainer.timeline.runs import MAIN, RunTree
from trainer.timeline.timeline import DEFAULT_BUDGET

FIGURES = ("train_loss", "val_loss", "train_acc", "val_acc")


def _train_into(tree: RunTree, key: str, resume=None) -> Finished:
    """Train the branch `key` of `tree` (recording into it), as the command line and the window do."""
    branch, finished = tree[key], None
    for event in train(branch.experiment, record=tree.budget, resume=resume):
        if isinstance(event, Keyframe):
            branch.timeline.add(event.frame)
        elif isinstance(event, Finished):
            finished = event
    branch.history, branch.metrics, branch.reason = finished.history, finished.metrics, finished.reason
    return finished


@pytest.fixture(scope="module")
def run():
    """A mini-batch spiral run (dropout, Adam + weight decay) with one branch at another learning rate."""
    exp = load_preset("spiral").with_overrides({"train.epochs": 30, "train.batch_size": 64,
                                                "train.device": "cpu"})
    tree = RunTree(exp)
    parent = _train_into(tree, MAIN)
    slower = tree.add_branch(MAIN, 11, exp.with_overrides({"optim.lr": 0.001}))
    branch = _train_into(tree, slower.key, tree.resume(MAIN, 11))
    return exp, tree, parent, branch


def _same_value(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype \
            and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):   # tuples come back as lists (Adam's betas)
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same_value, a, b))
    return type(a) is type(b) and a == b


def _same_frame(a: Frame, b: Frame) -> bool:
    return all(_same_value(getattr(a, f), getattr(b, f)) for f in
               ("epoch", "state", "grads", "optimizer", "scheduler", "rng", "best_epoch", "best_val_loss", "on_stride"))


def test_a_saved_tree_comes_back_whole(run, tmp_path):
    exp, tree, parent, branch = run
    path = save(tmp_path / "run", tree.branches["b1"].experiment, branch, tree=tree)
    ck = load(path)
    assert ck.tree is not None and ck.tree is not tree
    assert list(ck.tree.branches) == [MAIN, "b1"] and ck.tree.current == "b1" and ck.tree.budget == DEFAULT_BUDGET
    for key, before in tree.branches.items():
        after = ck.tree[key]
        assert (after.label, after.experiment, after.parent, after.from_epoch, after.reason) == \
               (before.label, before.experiment, before.parent, before.from_epoch, before.reason)
        assert after.history == before.history
        assert after.metrics["test_accuracy"] == before.metrics["test_accuracy"]
        assert after.metrics["confusion"] == before.metrics["confusion"].tolist()
        assert after.timeline.epochs == before.timeline.epochs
        assert all(_same_frame(before.timeline.frame(e), after.timeline.frame(e)) for e in before.timeline.epochs)
    assert ck.tree.epochs("b1") == list(range(30))      # its past through its parent, as before saving
    assert ck.tree.nbytes() == tree.nbytes()
    assert ck.history == branch.history                  # the model saved is the current branch's


def test_a_branch_from_the_reopened_file_repeats_its_parent_exactly(run, tmp_path):
    exp, tree, parent, _ = run
    ck = load(save(tmp_path / "run", exp, parent, tree=tree))
    again = ck.tree.add_branch(MAIN, 17, exp)
    assert again.key == "b2"                             # a new key: b1 is taken
    copy = _train_into(ck.tree, again.key, ck.tree.resume(MAIN, 17))
    assert [[r[k] for k in FIGURES] for r in copy.history] == [[r[k] for k in FIGURES] for r in parent.history]
    assert copy.metrics["test_accuracy"] == parent.metrics["test_accuracy"]
    for key, value in parent.state.items():
        assert np.array_equal(copy.state[key], value), key


def test_branch_keys_stay_new_after_a_deleted_branch_and_a_reopen(run, tmp_path):
    exp, tree, parent, _ = run
    ck = load(save(tmp_path / "run", exp, parent, tree=tree))
    ck.tree.add_branch(MAIN, 5, exp)                     # b2 ...
    ck.tree.delete("b2")                                 # ... deleted: the next one is b3, after a reopen too
    reopened = load(save(tmp_path / "again", exp, parent, tree=ck.tree)).tree
    assert list(reopened.branches) == [MAIN, "b1"]
    assert reopened.add_branch(MAIN, 5, exp).key == "b3"


def test_a_model_saved_without_a_timeline_has_none(run, tmp_path):
    exp, _, parent, _ = run
    ck = load(save(tmp_path / "plain", exp, parent))
    assert ck.tree is None and ck.history == parent.history
    assert torch.load(ck.path, weights_only=True)["version"] == checkpoint.VERSION == 2


def _old_save(path: Path, exp, finished: Finished) -> Path:
    """trainer/checkpoint.py's save_state as it was in format version 1 (commit 04eaa48 and before)."""
    payload = {"format": checkpoint.FORMAT, "version": 1, "experiment": exp.to_json(indent=None),
               "history": json.dumps(finished.history),
               "metrics": json.dumps({k: v.tolist() if isinstance(v, np.ndarray) else v
                                      for k, v in finished.metrics.items()
                                      if k not in ("predictions", "confidence", "probabilities")}),
               "norm": [float(v) for v in finished.extra.get("norm", (0.0, 1.0))],
               "state_dict": {k: torch.as_tensor(np.asarray(v)).clone() for k, v in finished.state.items()}}
    path.mkdir(parents=True)
    torch.save(payload, path / "model.pt")
    return path / "model.pt"


def test_a_version_1_file_still_opens_and_predicts_as_before(run, tmp_path):
    exp, _, parent, _ = run
    ck = load(_old_save(tmp_path / "v1", exp, parent))
    assert ck.tree is None and ck.experiment == exp and ck.history == parent.history
    x = load_data(exp.data).x_test
    with torch.no_grad():
        predicted = ck.model(torch.from_numpy(x)).argmax(1).numpy()
    np.testing.assert_array_equal(predicted, parent.metrics["predictions"])


def _damaged(tmp_path: Path, run, change) -> Path:
    exp, tree, parent, _ = run
    path = save(tmp_path / "good", exp, parent, tree=tree)
    payload = torch.load(path, weights_only=True)
    change(payload["timeline"])
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    return bad


def _layout(group: dict) -> dict:
    return json.loads(group["layout"])


def _set_layout(group: dict, layout: dict) -> None:
    group["layout"] = json.dumps(layout)


def _leaf(group: dict, *names: str) -> int:
    """The index among the group's tensors of the column at path `names`."""
    arrays = [leaf for leaf in _layout(group)["leaves"] if leaf["kind"] == "array"]
    return [[step[1] for step in leaf["path"]] for leaf in arrays].index(list(names))


def _retyped(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    group["tensors"][_leaf(group, "state", "0.weight")] = torch.zeros(30, 5, 2)


def _wrong_dtype(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    i = _leaf(group, "state", "0.bias")
    group["tensors"][i] = group["tensors"][i].double()


def _short_column(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    i = _leaf(group, "rng", "torch")
    group["tensors"][i] = group["tensors"][i][:3]


def _lost_tensor(timeline: dict) -> None:
    timeline["branches"][0]["frames"][0]["tensors"].pop()


def _garbled_layout(timeline: dict) -> None:
    timeline["branches"][0]["frames"][0]["layout"] = "{not json"


def _epochs_backwards(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    layout = _layout(group)
    epochs = next(leaf for leaf in layout["leaves"] if leaf["path"] == [["d", "epoch"]])
    epochs["values"] = epochs["values"][::-1]
    _set_layout(group, layout)


def _path_given_twice(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    layout = _layout(group)
    layout["leaves"].append(next(leaf for leaf in layout["leaves"] if leaf["path"] == [["d", "on_stride"]]))
    _set_layout(group, layout)


def _odd_optimizer(timeline: dict) -> None:
    group = timeline["branches"][0]["frames"][0]
    layout = _layout(group)
    for leaf in layout["leaves"]:
        if leaf["path"][0] == ["d", "optimizer"] and leaf["path"][1] == ["d", "param_groups"]:
            leaf["path"][1] = ["d", "groups"]
    _set_layout(group, layout)


def _branch_with_other_shapes(timeline: dict) -> None:
    branch = timeline["branches"][1]
    raw = json.loads(branch["experiment"])
    raw["model"]["layers"][0]["units"] = 50
    branch["experiment"] = json.dumps(raw)


def _unknown_parent(timeline: dict) -> None:
    timeline["branches"][1]["parent"] = "b7"


def _branch_from_an_unrecorded_epoch(timeline: dict) -> None:
    timeline["branches"][1]["from_epoch"] = 500


def _main_twice(timeline: dict) -> None:
    timeline["branches"][1]["key"] = MAIN


def _no_current(timeline: dict) -> None:
    timeline["current"] = "elsewhere"


def _history_not_a_list(timeline: dict) -> None:
    timeline["branches"][1]["history"] = json.dumps({"epoch": 1})


def _budget_text(timeline: dict) -> None:
    timeline["budget"] = "lots"


DAMAGE = {"a weight of another shape": _retyped, "a weight of another dtype": _wrong_dtype,
          "a column shorter than its frames": _short_column, "a tensor missing": _lost_tensor,
          "a layout that is no JSON": _garbled_layout, "epochs out of order": _epochs_backwards,
          "a path given twice": _path_given_twice, "an optimizer state of another layout": _odd_optimizer,
          "a branch that changes the model's shapes": _branch_with_other_shapes,
          "a branch of an unknown parent": _unknown_parent, "a branch from an epoch never recorded":
          _branch_from_an_unrecorded_epoch, "the run itself twice": _main_twice,
          "a current branch that is none": _no_current, "a history that is no list": _history_not_a_list,
          "a budget that is text": _budget_text}


@pytest.mark.parametrize("what", DAMAGE)
def test_a_damaged_timeline_is_refused_in_one_line(run, tmp_path, what):
    bad = _damaged(tmp_path, run, DAMAGE[what])
    with pytest.raises(CheckpointError) as refused:
        load(bad)
    message = str(refused.value)
    assert message.startswith(f"{bad}: the file is damaged:") and "timeline" in message, message
    assert "\n" not in message and "\n" not in refused.value.detail


def test_a_timeline_holding_code_is_refused_and_never_runs(run, tmp_path):
    marker = tmp_path / "marker"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('pwned')",))

    def evil(timeline: dict) -> None:
        timeline["branches"][0]["frames"][0]["tensors"][0] = Payload()
    with pytest.raises(CheckpointError, match="not a Neural Playground model file"):
        load(_damaged(tmp_path, run, evil))
    assert not marker.exists()


def test_a_spaced_timeline_comes_back_with_its_spacing_and_bests(tmp_path):
    # A budget that keeps every few epochs of this run: the spacing, the bests the kept frames name and
    # the last epoch come back as they were kept.
    exp = load_preset("spiral").with_overrides({"train.epochs": 23, "train.device": "cpu"})
    frame_bytes = 20_000
    tree = RunTree(exp, budget_bytes=2 * frame_bytes * 6)
    finished = _train_into(tree, MAIN)
    kept = tree[MAIN].timeline.epochs
    assert kept[0] == 0 and kept[-1] == 22 and len(kept) < 23
    reopened = load(save(tmp_path, exp, finished, tree=tree)).tree
    assert reopened[MAIN].timeline.epochs == kept and reopened.budget == tree.budget


def test_recorded_epochs_are_described_in_few_words():
    assert describe_epochs(list(range(300))) == "0-299"
    assert describe_epochs([0, 4, 8, 12, 13, 16, 20, 22]) == "0-12 every 4, 13, 16, 20, 22"
    assert describe_epochs([3, 8]) == "3, 8"
    assert describe_epochs([]) == "none"
    assert describe_epochs(list(range(0, 100, 2)) + [101]) == "0-98 every 2, 101"
