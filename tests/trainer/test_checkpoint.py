"""Checkpoints: a round trip that predicts the same, atomic writes, and every bad file refused."""
from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from trainer import checkpoint
from trainer.checkpoint import CheckpointError, load, save
from trainer.config import DataSpec, Experiment, LayerSpec, ModelSpec, TrainSpec
from trainer.data import load as load_data
from trainer.loop import run_to_end


@pytest.fixture(scope="module")
def trained():
    exp = Experiment(data=DataSpec(name="spiral"),
                     model=ModelSpec(layers=(LayerSpec("linear", units=32), LayerSpec("batchnorm"),
                                             LayerSpec("activation", fn="relu"), LayerSpec("dropout", p=0.2))),
                     train=TrainSpec(epochs=30), name="ckpt-test")
    return exp, run_to_end(exp)


def predictions(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def test_round_trip_gives_the_same_predictions_experiment_and_history(trained, tmp_path):
    exp, finished = trained
    path = save(tmp_path / "run", exp, finished)
    assert path == tmp_path / "run" / "model.pt"
    ck = load(tmp_path / "run")
    assert not ck.model.training                         # eval mode: dropout off, BatchNorm running stats
    assert ck.experiment == exp
    assert ck.history == finished.history
    assert ck.metrics["test_accuracy"] == finished.metrics["test_accuracy"]
    assert ck.metrics["confusion"] == finished.metrics["confusion"].tolist()
    x_test = load_data(exp.data).x_test
    expected = np.argmax(predictions(ck.model, x_test), axis=1)
    np.testing.assert_array_equal(expected, finished.metrics["predictions"])
    for k, v in ck.model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), finished.state[k])
    assert load(path).experiment == exp                 # the file itself loads too


def test_save_is_atomic_and_a_failed_save_keeps_the_previous_file(trained, tmp_path, monkeypatch):
    exp, finished = trained
    path = save(tmp_path, exp, finished)
    before = path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]   # no temp file left behind

    def crash(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise OSError("disk full")
    monkeypatch.setattr(checkpoint.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save(tmp_path, exp, finished)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
    monkeypatch.undo()
    assert load(tmp_path).history == finished.history


class Payload:
    """Unpickling this would create the marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def corrupt_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    files = {}
    rng = np.random.default_rng(0)
    files["random bytes"] = tmp_path / "random.pt"
    files["random bytes"].write_bytes(rng.bytes(4096))
    files["empty"] = tmp_path / "empty.pt"
    files["empty"].write_bytes(b"")
    data = good.read_bytes()
    files["truncated"] = tmp_path / "truncated.pt"
    files["truncated"].write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    for i in range(len(flipped) // 3, len(flipped) // 3 + 64):
        flipped[i] ^= 0xFF
    files["bytes flipped"] = tmp_path / "flipped.pt"
    files["bytes flipped"].write_bytes(bytes(flipped))
    files["plain torch.save of a dict"] = tmp_path / "foreign.pt"
    torch.save({"weights": torch.randn(3, 3), "step": 7}, files["plain torch.save of a dict"])
    files["a bare state_dict"] = tmp_path / "state.pt"
    torch.save(torch.nn.Linear(2, 3).state_dict(), files["a bare state_dict"])
    files["a text file"] = tmp_path / "notes.pt"
    files["a text file"].write_text("just some notes\n")
    return files


def test_corrupt_truncated_and_foreign_files_are_refused(trained, tmp_path):
    exp, finished = trained
    good = save(tmp_path / "good", exp, finished)
    for what, path in corrupt_files(tmp_path, good).items():
        with pytest.raises(CheckpointError) as info:
            load(path)
        message = str(info.value)
        assert message.startswith(str(path)), what
        assert "\n" not in message, what


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path, writer):
    marker = tmp_path / "marker"
    evil = Payload(marker)
    pickle.loads(pickle.dumps(evil))          # the payload is real: a plain unpickle runs it
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.pt"
    if writer == "pickle":
        path.write_bytes(pickle.dumps({"format": checkpoint.FORMAT, "version": 1, "x": evil}))
    else:
        torch.save({"format": checkpoint.FORMAT, "version": 1, "experiment": evil}, path)
        assert zipfile.is_zipfile(path)
    with pytest.raises(CheckpointError, match="not a Neural Playground model file"):
        load(path)
    assert not marker.exists()


def test_a_checkpoint_whose_weights_do_not_fit_its_architecture(trained, tmp_path):
    exp, finished = trained
    state = dict(finished.state)
    state["0.weight"] = np.zeros((5, 2), dtype=np.float32)
    checkpoint.save_state(tmp_path, exp, state, finished.history, finished.metrics)
    with pytest.raises(CheckpointError, match="do not fit its architecture"):
        load(tmp_path)


def test_a_newer_format_and_a_missing_file_say_so(trained, tmp_path):
    exp, finished = trained
    path = save(tmp_path, exp, finished)
    payload = torch.load(path, weights_only=True)
    payload["version"] = checkpoint.VERSION + 1
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="newer version"):
        load(path)
    with pytest.raises(CheckpointError, match="no such file"):
        load(tmp_path / "elsewhere")
    assert not os.path.exists(tmp_path / "elsewhere")
