"""A newcomer's first hour with File > Save / Load trained model, through the menu actions and the
file dialog (replaced by the name the user types), as the app ships them."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from trainer.checkpoint import EXPERIMENT_FILE, NOT_A_MODEL
from trainer.presets import load_preset


def choose_file(monkeypatch, path: Path) -> None:
    """The file dialog answers `path`, as if the user typed it and pressed Save / Open."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def detail_lines(caplog) -> list[str]:
    """The log's WARNING lines that give why a model file was refused."""
    return [r.getMessage() for r in caplog.records if r.name == "desktop.files" and r.levelno == logging.WARNING
            and r.getMessage().startswith("could not load the model ")]


@pytest.fixture
def trained_window(train_window, window):
    train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 20}))
    return window


# -- 16: a name without an extension ------------------------------------------------------------------
def test_save_trained_model_as_a_bare_name_writes_that_file_with_pt(trained_window, monkeypatch, tmp_path):
    window = trained_window
    choose_file(monkeypatch, tmp_path / "my model")
    window.save_model_action.trigger()
    saved = tmp_path / "my model.pt"
    assert saved.is_file()                                               # was: a folder "my model" with model.pt
    assert not (tmp_path / "my model").exists()
    assert window.statusBar().currentMessage() == f"Saved the trained model as my model.pt in {tmp_path}"
    assert not window.dialogs_shown
    choose_file(monkeypatch, saved)
    window.reset()
    window.load_model_action.trigger()
    assert window.trained() is not None and not window.dialogs_shown


def test_a_model_file_named_without_pt_by_hand_still_loads(trained_window, tmp_path):
    window = trained_window
    assert window.files.save_model(tmp_path / "kept.pt")
    (tmp_path / "kept.pt").rename(tmp_path / "kept")                    # renamed in a file manager
    assert window.files.load_model(tmp_path / "kept")
    assert not window.dialogs_shown


def test_saving_over_a_folder_is_refused_and_writes_nothing(trained_window, tmp_path):
    window = trained_window
    (tmp_path / "runs.pt").mkdir()
    assert window.files.save_model(tmp_path / "runs.pt") is False
    assert window.dialogs_shown[-1] == ("Could not save the model", f"{tmp_path / 'runs.pt'}: this is a folder; "
                                                                    "choose a file name")
    assert list((tmp_path / "runs.pt").iterdir()) == []


# -- 14: words a learner understands; the detail in the log ------------------------------------------
def test_an_experiment_file_loaded_as_a_model_says_to_open_it_as_an_experiment(window, monkeypatch, tmp_path,
                                                                                caplog):
    window.apply_experiment(load_preset("spiral"))
    settings_before = window.current_experiment()
    exp_file = tmp_path / "xor.json"
    assert window.files.save_experiment(exp_file)
    choose_file(monkeypatch, exp_file)
    with caplog.at_level(logging.WARNING):
        window.load_model_action.trigger()
    assert window.dialogs_shown == [("Could not load the model", f"{exp_file}: {EXPERIMENT_FILE}")]
    assert EXPERIMENT_FILE == ("this is an experiment file (settings), not a trained model: "
                               "use File > Open experiment")
    assert "weights-only" not in window.dialogs_shown[0][1] and "(" not in window.dialogs_shown[0][1].split(": ", 1)[1][:20]
    lines = detail_lines(caplog)
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "weights-only unpickler" in lines[0]                          # the technical reason went to the log
    assert window.current_experiment() == settings_before                # nothing lost


@pytest.mark.parametrize("content", [b"", b"garbage \x00\x01\x02 not a model", np.random.default_rng(3).bytes(4000)])
def test_garbage_loaded_as_a_model_is_one_plain_sentence(window, monkeypatch, tmp_path, caplog, content):
    bad = tmp_path / "downloaded.pt"
    bad.write_bytes(content)
    choose_file(monkeypatch, bad)
    with caplog.at_level(logging.WARNING):
        window.load_model_action.trigger()
    assert window.dialogs_shown == [("Could not load the model", f"{bad}: {NOT_A_MODEL}")]
    assert NOT_A_MODEL == "not a Neural Playground model file, or it is damaged"
    lines = detail_lines(caplog)
    assert len(lines) == 1 and lines[0].startswith(f"could not load the model {bad}: ") and "\n" not in lines[0]
