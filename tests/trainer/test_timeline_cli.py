"""`python -m trainer run --out` keeps the timeline; `branch DIR --epoch K` trains on from it and prints
`run`'s JSON line (the parent's, but for `seconds`, when nothing changes); bad input exits 2 in one line."""
from __future__ import annotations

import json
import pytest

from trainer.__main__ import main
from trainer.checkpoint import load, save
from trainer.loop import run_to_end
from trainer.presets import load_preset
from trainer.timeline.runs import MAIN

EPOCHS = 40


def _line(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    """The spiral preset (dropout, full batch, Adam + weight decay), 40 epochs on the CPU, saved with `run --out`."""
    out = tmp_path_factory.mktemp("cli") / "parent"
    assert main(["run", "spiral", "--set", f"train.epochs={EPOCHS}", "--set", "train.device=cpu", "--quiet",
                 "--out", str(out)]) == 0
    return out


def test_run_out_keeps_every_epoch_of_the_spiral(parent):
    ck = load(parent)
    assert ck.tree is not None and list(ck.tree.branches) == [MAIN] and ck.tree.current == MAIN
    assert ck.tree[MAIN].timeline.epochs == list(range(EPOCHS))
    assert ck.tree[MAIN].history == ck.history and ck.tree[MAIN].reason == "completed"


def test_a_branch_without_changes_prints_the_parents_line_and_saves_the_tree(run_cli, tmp_path):
    parent = tmp_path / "parent"
    first = _line(run_cli("run", "spiral", "--set", f"train.epochs={EPOCHS}", "--set", "train.device=cpu",
                          "--quiet", "--out", str(parent)))
    copy = _line(run_cli("branch", str(parent), "--epoch", "15", "--quiet", "--out", str(tmp_path / "copy")))
    assert copy.keys() == first.keys()
    assert {k: v for k, v in copy.items() if k != "seconds"} == {k: v for k, v in first.items() if k != "seconds"}
    ck = load(tmp_path / "copy")
    assert list(ck.tree.branches) == [MAIN, "b1"] and ck.tree.current == "b1"
    b1 = ck.tree["b1"]
    assert (b1.parent, b1.from_epoch, b1.label) == (MAIN, 15, "no change from epoch 15")
    assert b1.timeline.epochs == list(range(16, EPOCHS)) and ck.tree.epochs("b1") == list(range(EPOCHS))
    assert _figures(ck.history) == _figures(load(parent).history)     # every epoch's losses (not its clock)

    # A branch of the branch, changing the learning rate and a dropout rate (a list index in the path).
    changed = _line(run_cli("branch", str(tmp_path / "copy"), "--epoch", "30", "--set", "optim.lr=0.001",
                            "--set", "model.layers[2].p=0.5", "--quiet", "--out", str(tmp_path / "changed")))
    assert changed["epochs_run"] == EPOCHS and changed["final_train_loss"] != first["final_train_loss"]
    ck = load(tmp_path / "changed")
    b2 = ck.tree[ck.tree.current]
    assert (b2.key, b2.parent, b2.from_epoch) == ("b2", "b1", 30)
    assert b2.experiment.optim.lr == 0.001 and b2.experiment.model.layers[2].p == 0.5
    assert ck.experiment == b2.experiment and _figures(ck.history[:31]) == _figures(load(parent).history[:31])
    assert _figures(ck.history[31:]) != _figures(load(parent).history[31:])


def _figures(history: list[dict]) -> list[list[float]]:
    return [[r[k] for k in ("epoch", "train_loss", "val_loss", "train_acc", "val_acc")] for r in history]


def _error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


@pytest.mark.parametrize("argv, says", [
    (["--epoch", str(EPOCHS)], f"--epoch {EPOCHS}: out of range; recorded epochs: 0-{EPOCHS - 1}"),
    (["--epoch", "-1"], "--epoch -1: out of range; recorded epochs: 0-"),
    (["--epoch", "3", "--set", "model.layers[0].units=50"],
     "model.layers[0].units: a branch keeps the network's layers and shapes, so this cannot change (100 -> 50)"),
    (["--epoch", "3", "--set", "data.noise=0.1"], "data.noise: a branch keeps the data it trained on"),
    (["--epoch", "3", "--set", "optim.lr=-1"], "optim.lr: must be > 0"),
    (["--epoch", "3", "--set", "optim.lr=fast"], "optim.lr: must be a number"),
    (["--epoch", "3", "--set", "optim.speed=2"], "optim.speed: no such setting"),
    (["--epoch", "3", "--set", "model.layers[9].p=0.5"], "model.layers[9].p: no such setting"),
    (["--epoch", "30", "--set", "train.epochs=20"], "--epoch 30: nothing left to train"),
    (["--epoch", str(EPOCHS - 1)], f"--epoch {EPOCHS - 1}: nothing left to train"),
    (["--epoch", "3", "--from", "b7"], "--from b7: no such line in model.pt; it has main (the run)"),
])
def test_bad_branch_input_exits_2_in_one_line(parent, tmp_path, capsys, argv, says):
    out = tmp_path / "never"
    err = _error(["branch", str(parent), *argv, "--quiet", "--out", str(out)], capsys)
    assert says in err
    assert not out.exists()                              # nothing written


def test_an_epoch_between_recorded_ones_names_the_spacing(tmp_path, capsys):
    # A budget that keeps every few epochs (as for a large model): the error lists what was recorded.
    from trainer.events import Finished, Keyframe
    from trainer.loop import train
    from trainer.timeline.runs import RunTree
    exp = load_preset("spiral").with_overrides({"train.epochs": 23, "train.device": "cpu"})
    tree = RunTree(exp, budget_bytes=240_000)
    for event in train(exp, record=tree.budget):
        if isinstance(event, Keyframe):
            tree[MAIN].timeline.add(event.frame)
        elif isinstance(event, Finished):
            finished = event
    tree[MAIN].history = finished.history
    save(tmp_path / "spaced", exp, finished, tree=tree)
    missing = next(e for e in range(23) if e not in tree[MAIN].timeline)
    err = _error(["branch", str(tmp_path / "spaced"), "--epoch", str(missing), "--out", str(tmp_path / "b")], capsys)
    assert f"--epoch {missing}: not recorded; recorded epochs: 0-20 every 5" in err


def test_no_timeline_and_an_out_that_is_a_file_say_so(tmp_path, capsys):
    exp = load_preset("spiral").with_overrides({"train.epochs": 3, "train.device": "cpu"})
    save(tmp_path / "plain", exp, run_to_end(exp))      # a model saved without its timeline
    err = _error(["branch", str(tmp_path / "plain"), "--epoch", "1", "--out", str(tmp_path / "b")], capsys)
    assert err.startswith(f"error: {tmp_path / 'plain'}: no timeline in model.pt")
    (tmp_path / "a-file").write_text("keep me")
    err = _error(["branch", str(tmp_path / "plain"), "--epoch", "1", "--out", str(tmp_path / "a-file")], capsys)
    assert err == f"error: --out {tmp_path / 'a-file'}: exists and is not a folder"
    assert (tmp_path / "a-file").read_text() == "keep me"
    err = _error(["branch", str(tmp_path / "nowhere"), "--epoch", "1", "--out", str(tmp_path / "b")], capsys)
    assert "no such file" in err


def test_a_version_1_file_has_no_timeline_to_branch_from(run_cli, tmp_path):
    import numpy as np
    import torch
    from trainer import checkpoint
    exp = load_preset("spiral").with_overrides({"train.epochs": 3, "train.device": "cpu"})
    fin = run_to_end(exp)
    old = tmp_path / "v1"
    old.mkdir()
    torch.save({"format": checkpoint.FORMAT, "version": 1, "experiment": exp.to_json(indent=None),
                "history": json.dumps(fin.history), "metrics": json.dumps({"test_accuracy": 50.0}),
                "norm": [0.0, 1.0], "state_dict": {k: torch.from_numpy(np.array(v)) for k, v in fin.state.items()}},
               old / "model.pt")
    proc = run_cli("branch", str(old), "--epoch", "1", "--out", str(tmp_path / "b"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == (f"error: {old}: no timeline in model.pt (saved without one, or before timelines "
                                   f"existed): train it again with `python -m trainer run ... --out DIR`")


def test_branch_help_says_how_epochs_are_counted(run_cli):
    proc = run_cli("branch", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "counted from 0 as `run`'s JSON (best_epoch)" in text and "model.layers[*].p" in text


def test_from_picks_the_line_a_branch_starts_from(parent, tmp_path, capsys):
    assert main(["branch", str(parent), "--epoch", "10", "--set", "optim.lr=0.001", "--quiet",
                 "--out", str(tmp_path / "one")]) == 0
    assert "branching main (the run) at epoch 10" in capsys.readouterr().err
    # DIR's current line is now b1; --from main branches the run itself instead.
    assert main(["branch", str(tmp_path / "one"), "--epoch", "20", "--from", "main", "--quiet",
                 "--out", str(tmp_path / "two")]) == 0
    tree = load(tmp_path / "two").tree
    assert (tree.current, tree[tree.current].parent, tree[tree.current].from_epoch) == ("b2", MAIN, 20)
