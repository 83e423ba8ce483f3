"""Bad input, faults and long use in the window (issue 7).

test_window.py / test_training_client.py already prove: an out-of-range and an empty experiment file, a
non-model checkpoint as a dialog, a worker exception as a dialog with a working next Train, closing
while running, a preset and a hidden dock remembered, damaged settings values. This file covers the rest.
"""
from __future__ import annotations

import json
import logging
import math
import os
import pickle
import re
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop import settings
from desktop.training import running_threads
from trainer.config import Experiment
from trainer.events import Diverged, EpochEnd
from trainer.presets import load_preset

TIMEOUT = 120_000


def _short(name: str, **overrides) -> Experiment:
    return load_preset(name).with_overrides(overrides)


def _settled(qtbot, threads_before: int) -> None:
    """No training thread and no other Python thread left over (helpers may take a moment to end)."""
    qtbot.waitUntil(lambda: running_threads() == 0 and threading.active_count() <= threads_before,
                    timeout=TIMEOUT)
    assert running_threads() == 0
    assert threading.active_count() == threads_before, [t.name for t in threading.enumerate()]


@pytest.fixture
def log_file():
    """The app's real logging set-up (a file in the test log folder); removed again afterwards."""
    from desktop import app
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = app.setup_logging()
    assert path is not None
    yield path
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def edited(window) -> Experiment:
    """Settings that are not a preset: xor-mlp with a learning rate and epochs typed into the docks."""
    window.apply_experiment(load_preset("xor-mlp"))
    window.optimizer_panel.lr_slider.setValue(-15)          # 10^-1.5 on the log slider
    window.optimizer_panel.epochs.setValue(40)
    window.revalidate()
    exp = window.current_experiment()
    assert exp != load_preset("xor-mlp") and exp.train.epochs == 40
    return exp


# -- File > Open of a bad experiment file ------------------------------------------------------------
def _xor_raw(**changes) -> dict:
    raw = load_preset("xor-mlp").to_dict()
    for path, value in changes.items():
        section, key = path.split("__")
        raw[section][key] = value
    return raw


BAD_EXPERIMENTS = {
    "truncated": (b'{"schema": 1, "data": {"name": "xor"',
                  "not valid JSON: Expecting ',' delimiter at line 1 column 37"),
    "not JSON": (b"<html>an experiment</html>", "not valid JSON: Expecting value at line 1 column 1"),
    "not UTF-8": (b'{"name": "\xff\xfe"}', "not a UTF-8 text file (invalid start byte at byte 10)"),
    "a newer schema": (json.dumps({**_xor_raw(), "schema": 3}).encode(),
                       "schema: version 3 is newer than this program reads (1); update Neural Playground"),
    "a wrong type": (json.dumps(_xor_raw(optim__lr="fast")).encode(), "optim.lr: must be a number, got a string"),
    "out of range, a fraction": (json.dumps(_xor_raw(data__val_fraction=1.5)).encode(),
                                 "data.val_fraction: must be in [0, 1), got 1.5"),
    "a huge number": (json.dumps(_xor_raw()).replace('"epochs": 5000', '"epochs": 1' + "0" * 5000).encode(),
                      "train.epochs: must be an integer, got inf"),
    "NaN": (json.dumps(_xor_raw(optim__lr=math.nan)).encode(), "optim.lr: must be a finite number, got nan"),
    "a missing section": (json.dumps({k: v for k, v in _xor_raw().items() if k != "model"}).encode(),
                          "model: missing"),
    "nested too deeply": (b"[" * 100_000 + b"]" * 100_000, "not valid JSON: nested too deeply"),
    "a list": (b"[1, 2, 3]", "an experiment must be a JSON object, got a list"),
}


def test_file_open_of_a_bad_experiment_is_one_dialog_and_keeps_the_settings(window, edited, tmp_path, monkeypatch):
    chosen: list[Path] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(chosen[-1]), "*.json"))
    title_before = window.windowTitle()
    cases = {what: (data, f"lesson.json: {reason}") for what, (data, reason) in BAD_EXPERIMENTS.items()}
    cases["a missing file"] = (None, "lesson.json: no such file")
    cases["a folder"] = ("folder", "lesson.json: cannot be read (Is a directory)")
    for what, (data, expected) in cases.items():
        path = tmp_path / what.replace(" ", "-") / "lesson.json"
        path.parent.mkdir()
        if data == "folder":
            path.mkdir()
        elif data is not None:
            path.write_bytes(data)
        chosen.append(path)
        window.dialogs_shown.clear()
        window.open_action.trigger()                              # File > Open experiment…
        assert len(window.dialogs_shown) == 1, what
        title, text = window.dialogs_shown[0]
        assert title == "Could not open the experiment", what
        assert text.startswith(expected), (what, text)             # names the file, the field, the reason
        assert "\n" not in text and "Traceback" not in text, what
        assert window.current_experiment() == edited, what          # untouched, edits included
        assert window.windowTitle() == title_before and window.train_action.isEnabled(), what


# -- Load trained model of a bad file ---------------------------------------------------------------
class Payload:
    """Unpickling this would write the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def _bad_models(tmp_path: Path, good: Path) -> dict[str, tuple[Path, str]]:
    import torch
    from trainer import checkpoint
    from trainer.models import build_model
    payload = torch.load(good, weights_only=True)
    files: dict[str, tuple[Path, str]] = {}

    def put(name: str, data, reason: str) -> None:
        path = tmp_path / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            torch.save(data, path)
        files[name] = (path, reason)

    raw = good.read_bytes()
    put("random.pt", np.random.default_rng(1).bytes(5000), "not a Neural Playground model file, or it is damaged")
    put("truncated.pt", raw[: len(raw) // 2], "not a Neural Playground model file, or it is damaged")
    put("empty.pt", b"", "not a Neural Playground model file, or it is damaged")
    put("other-architecture.pt", {**payload, "experiment": load_preset("spiral").to_json(), "metrics": "{}"},
        "the file is damaged: its weights do not fit its architecture")
    put("other-weights.pt", {**payload, "state_dict": build_model(load_preset("mnist-mlp")).state_dict()},
        "the file is damaged: its weights do not fit its architecture")
    put("nan-weights.pt", {**payload, "state_dict": {k: torch.full_like(v, math.nan)
                                                     for k, v in payload["state_dict"].items()}},
        "the file is damaged: its weights are not all finite numbers")
    put("bad-history.pt", {**payload, "history": '[{"epoch": "zero"}]'},
        "the file is damaged: part of what was saved with the model is missing or wrong")
    put("plain-state-dict.pt", torch.nn.Linear(2, 1).state_dict(), "not a Neural Playground model file")
    evil = Payload(tmp_path / "marker")
    put("evil-pickle.pt", pickle.dumps({"format": checkpoint.FORMAT, "version": 1, "experiment": evil}),
        "not a Neural Playground model file")
    put("evil-torch.pt", {"format": checkpoint.FORMAT, "version": 1, "experiment": evil, "state_dict": {}},
        "not a Neural Playground model file")
    files["missing.pt"] = (tmp_path / "missing.pt", "no such file")
    return files


def test_loading_a_bad_model_is_a_dialog_and_keeps_the_current_model(train_window, qtbot, window, tmp_path):
    exp = _short("xor-mlp", **{"train.epochs": 30})
    fin = train_window(window, exp)
    good = tmp_path / "good.pt"
    assert window.files.save_model(good)
    trained, curves = window.trained(), window.curves.data()
    window.optimizer_panel.epochs.setValue(77)                     # an edit made after training
    window.revalidate()
    settings_now = window.current_experiment()
    for name, (path, reason) in _bad_models(tmp_path, good).items():
        window.dialogs_shown.clear()
        assert window.files.load_model(path) is False, name
        assert window.dialogs_shown == [("Could not load the model", window.dialogs_shown[0][1])], name
        text = window.dialogs_shown[0][1]
        assert text.startswith(f"{path}: {reason}") and "\n" not in text, (name, text)
        assert "\x1b" not in text and "weights_only" not in text, (name, text)      # no torch advice, no colours
        assert window.trained() is trained, name                   # the model shown is the one trained
        assert window.current_experiment() == settings_now, name
        for key, values in window.curves.data().items():
            np.testing.assert_array_equal(values, curves[key], err_msg=name)
        assert window.save_model_action.isEnabled(), name
    assert not (tmp_path / "marker").exists()                     # the pickles never ran
    assert window.trained()[1] is fin
    assert window.files.load_model(good)                                 # and a good file still loads


# -- training faults -------------------------------------------------------------------------------
def test_a_diverging_run_says_where_and_the_next_train_works(train_window, qtbot, window):
    diverged: list[Diverged] = []
    window.session.diverged.connect(diverged.append)
    fin = train_window(window, _short("linear-regression", **{"optim.lr": 100.0}))
    assert fin.reason == "diverged" and len(diverged) == 1
    epoch = diverged[0].epoch
    assert f"diverged at epoch {epoch}" in window.statusBar().currentMessage()
    assert window.dialogs_shown == []                              # a message, not an error dialog
    assert all(np.isfinite(v).all() for v in window.trained()[1].state.values())   # the last good weights
    fin = train_window(window, _short("linear-regression", **{"train.epochs": 30}))
    assert fin.reason == "completed" and fin.epochs_run == 30
    assert "diverged" not in window.statusBar().currentMessage()


def test_a_run_failing_mid_way_reaches_a_dialog_the_log_and_the_curves_and_the_next_train_works(
        train_window, qtbot, window, log_file, child_train):
    child_train("""
        def train(experiment, control=None, pacing=None, allow_download=True, record=0, resume=None):
            for event in real(experiment, control, pacing):
                yield event
                if isinstance(event, EpochEnd) and event.epoch == 3 and experiment.train.epochs == 50:
                    raise RuntimeError("simulated fault after epoch 3")
    """)
    window.apply_experiment(_short("xor-mlp", **{"train.epochs": 50}))
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        assert window.train()
    assert window.dialogs_shown == [("Training failed", "RuntimeError: simulated fault after epoch 3")]
    assert list(window.curves.data()["epoch"]) == [0, 1, 2, 3]          # every epoch before the fault is drawn
    logged = log_file.read_text(encoding="utf-8")
    assert re.search(r"ERROR desktop\.training\.client \[[^]]+\]: training failed in the training process "
                     r"\(pid \d+\): RuntimeError: simulated fault after epoch 3\nTraceback", logged)
    assert "in train" in logged and "RuntimeError: simulated fault after epoch 3" in logged   # the child's own
    assert window.train_action.isEnabled() and window.session.state == "idle"
    window.apply_experiment(_short("xor-mlp", **{"train.epochs": 40}))
    fin = train_window(window)
    assert fin.reason == "completed" and fin.epochs_run == 40 and len(window.dialogs_shown) == 1


# -- lifecycle ---------------------------------------------------------------------------------------
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


def test_a_failure_inside_the_training_process_reaches_a_dialog_and_the_log_and_the_next_train_works(
        train_window, qtbot, window, log_file, tmp_path):
    """A real failure in the child (a damaged MNIST file): the message comes back, the log has one line."""
    before = log_file.stat().st_size if log_file.exists() else 0   # the file is shared with earlier tests
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_NAMES:
        (raw / f"{name}.gz").write_bytes(b"not gzip at all")
    window.apply_experiment(_short("mnist-mlp", **{"train.epochs": 1, "data.root": str(tmp_path)}))
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        assert window.train()
    damaged = str(raw / "train-images-idx3-ubyte.gz")
    assert window.dialogs_shown == [("Training failed", f"{damaged}: damaged gzip file (Not a gzipped file "
                                                         "(b'no')); replace it with a fresh copy")]
    logged = log_file.read_text(encoding="utf-8")[before:]
    # an expected situation (trainer.mnist.DataError): one WARNING line, no traceback (tests/desktop/
    # test_first_hour_logging.py); an unexpected failure keeps the child's traceback (the test above)
    assert "WARNING desktop.training.client [MainThread]: training stopped in the training process" in logged
    assert "Traceback" not in logged and "damaged gzip file" in logged
    fin = train_window(window, _short("xor-mlp", **{"train.epochs": 30}))
    assert fin.reason == "completed" and len(window.dialogs_shown) == 1


def test_a_training_process_killed_mid_run_is_a_dialog_and_the_next_train_starts_a_new_one(
        train_window, qtbot, window):
    from desktop.training import process
    window.apply_experiment(_short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0}))
    assert window.train()
    qtbot.waitUntil(lambda: len(window.session.history) > 2, timeout=TIMEOUT)
    busy = set(_child_pids()) - set(process.POOL.idle_pids())
    assert len(busy) == 1
    killed = busy.pop()
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        os.kill(killed, signal.SIGKILL)            # as the kernel's out-of-memory killer would
    assert window.dialogs_shown == [("Training failed", "the training process stopped unexpectedly (killed by "
                                                         "signal 9); the run is lost. Press Train to start a new one.")]
    assert window.train_action.isEnabled() and window.session.state == "idle"
    fin = train_window(window, _short("xor-mlp", **{"train.epochs": 30}))
    assert fin.reason == "completed" and len(window.dialogs_shown) == 1
    children = _child_pids()
    assert killed not in children and children    # the dead one was reaped; a live one trained
    assert all(_alive(pid) for pid in children)


def _child_pids() -> list[int]:
    """This process's children that run trainer.remote (read from /proc)."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(os.getpid()) and b"trainer.remote" in cmdline:
            pids.append(int(status.parent.name))
    return pids


def _alive(pid: int) -> bool:
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


def test_train_and_stop_pressed_100_times_leave_no_thread(train_window, qtbot, window):
    window.apply_experiment(_short("xor-mlp", **{"train.epochs": 1_000_000}))
    threads = threading.active_count()
    for _ in range(100):
        window.train_action.trigger()                 # the toolbar: Train is disabled while a run goes
        window.stop_action.trigger()
        QApplication.processEvents()
        window.train()                                # the same commands however they arrive
        window.stop()
        QApplication.processEvents()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    _settled(qtbot, threads)
    assert window.dialogs_shown == []
    assert window.session.state == "idle" and window.train_action.isEnabled() and window.dataset_panel.isEnabled()
    assert "starting" not in window.status_text()               # no run is shown as still starting
    fin = train_window(window, _short("xor-mlp", **{"train.epochs": 20}))
    assert fin.reason == "completed" and len(window.session.history) == 20


def test_switching_datasets_mid_run_changes_nothing_until_the_run_ends(train_window, qtbot, window):
    from desktop.docks import select
    threads = threading.active_count()
    running = _short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0})
    window.apply_experiment(running)
    assert window.train()
    qtbot.waitUntil(lambda: len(window.session.history) > 3, timeout=TIMEOUT)
    for action in window.lesson_actions.values():
        action.trigger()                              # the Lessons menu is locked during a run
    window.load_lesson("xor-mlp")
    window.mnist.train_lesson()                       # the MNIST tab's Train button
    select(window.dataset_panel.name, "moons")        # the (locked) dataset box changed anyway
    window.revalidate()
    seen = len(window.session.history)
    qtbot.waitUntil(lambda: len(window.session.history) > seen + 3, timeout=TIMEOUT)   # still training spiral
    assert window.session.experiment == running and window.session.is_running()
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT) as blocker:
        window.stop()
    assert blocker.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert window.current_experiment().data.name == "moons"
    fin = train_window(window, window.current_experiment().with_overrides({"train.epochs": 15}))
    assert fin.epochs_run == 15 and window.session.experiment.data.name == "moons"
    assert window.dialogs_shown == []
    _settled(qtbot, threads)


@pytest.mark.parametrize("when", ["right after Train", "paused", "mid-step", "loading MNIST"])
def test_closing_at_any_moment_of_a_run_leaves_no_thread(when, qtbot, window, mnist_root):
    threads = threading.active_count()
    if when == "loading MNIST":
        exp = _short("mnist-mlp", **{"train.epochs": 1, "data.root": str(mnist_root)})
    else:
        exp = _short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0, "train.batch_size": 8})
    window.apply_experiment(exp)
    if when == "mid-step":
        window.step_action.trigger()
    else:
        assert window.train()
    if when == "paused":
        qtbot.waitUntil(lambda: len(window.session.history) > 2, timeout=TIMEOUT)
        window.pause_action.trigger()
        assert window.session.state == "paused"
    window.close()
    assert not window.session.is_running() and running_threads() == 0
    _settled(qtbot, threads)
    assert window.dialogs_shown == []


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_gui_slot_goes_to_the_dialog_and_the_log(train_window, qtbot, window, log_file, monkeypatch):
    from desktop import app
    monkeypatch.setattr(sys, "excepthook", app._excepthook)        # as main() installs it

    def broken_slot() -> None:
        raise ValueError("a slot went wrong: 42")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: len(window.dialogs_shown) == 1, timeout=10_000)
    title, text = window.dialogs_shown[0]
    assert title == "Unexpected error"
    assert text.startswith("ValueError: a slot went wrong: 42\n\nNeural Playground keeps running.")
    assert str(log_file) in text
    logged = log_file.read_text(encoding="utf-8")
    assert "ERROR desktop [MainThread]: uncaught exception" in logged and "a slot went wrong: 42" in logged
    assert "in broken_slot" in logged
    # A slot failing while a run ends: the run still finishes and the next one works.
    calls: list[int] = []

    def failing_view(*_args) -> None:
        calls.append(1)
        raise KeyError("a view could not draw")

    window.trainedModelChanged.connect(failing_view)
    fin = train_window(window, _short("xor-mlp", **{"train.epochs": 10}))
    assert fin.epochs_run == 10 and calls
    assert window.dialogs_shown[-1][1].startswith("KeyError: 'a view could not draw'")
    window.trainedModelChanged.disconnect(failing_view)
    fin = train_window(window)
    assert fin.epochs_run == 10 and window.session.state == "idle"


# -- settings ----------------------------------------------------------------------------------------
def test_edited_settings_and_moved_docks_come_back(qtbot, window, edited):
    """The offscreen screen is 800x800, so a restored size is clamped there; the dock layout is checked."""
    from desktop.main_window import MainWindow
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, window.optimizer_dock)
    window.tabifyDockWidget(window.architecture_dock, window.optimizer_dock)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.current_experiment() == edited
    assert again.dockWidgetArea(again.optimizer_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert again.dockWidgetArea(again.dataset_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.optimizer_dock in again.tabifiedDockWidgets(again.architecture_dock)
    again.persist = False
    again.close()


def _settings_file() -> Path:
    return Path(settings.store().fileName())


GARBAGE = {
    "random bytes": np.random.default_rng(7).bytes(4096),
    "binary junk": b"\x00\x01[[[=]]]\n\xff\xfe=\n[experiment]\nlast=@Variant(\\0\\0\\0\\x7f)\n",
    "plain text": b"this is not a settings file\njust some text\n",
    "a NUL in a good file": b"[General]\nfoo=bar\x00\n",
}


def test_a_garbage_settings_file_is_set_aside_with_a_warning(caplog):
    path = _settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = path.with_name(path.name + ".damaged")
    for what, garbage in GARBAGE.items():
        path.write_bytes(garbage)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert settings.check_store() is False, what
        assert f"the settings file {path} was damaged; it is kept as {kept}" in caplog.text, what
        assert kept.read_bytes() == garbage and not path.exists(), what     # kept for a look, never read again
    settings.save_experiment(load_preset("xor-mlp"))                    # what Qt writes passes the check
    settings.set_value("folders/experiments", "/tmp/ä ö")
    assert settings.check_store() is True and path.exists()
    kept.unlink()


def test_a_window_started_on_a_garbage_settings_file_starts_fresh(qtbot, caplog):
    from desktop.main_window import MainWindow
    path = _settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GARBAGE["random bytes"])
    with caplog.at_level(logging.WARNING):
        w = MainWindow()
    qtbot.addWidget(w)
    assert w.current_experiment() == load_preset("spiral")          # the first-launch default
    assert f"the settings file {path} was damaged" in caplog.text
    w.apply_experiment(load_preset("perceptron-and"))
    w.close()                                                        # remembers into a clean file
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = MainWindow()
    qtbot.addWidget(again)
    assert again.current_experiment() == load_preset("perceptron-and")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    again.persist = False
    again.close()
    path.with_name(path.name + ".damaged").unlink()


def test_wrong_typed_settings_values_are_ignored_with_a_warning(qtbot, caplog, tmp_path):
    from desktop.main_window import MainWindow
    s = settings.store()
    s.setValue("experiment/last", ["not", "json"])
    s.setValue("window/geometry", "a geometry")
    s.setValue("window/state", QByteArray(np.random.default_rng(3).bytes(300)))
    s.setValue("folders/experiments", ["a", "list"])
    s.sync()
    with caplog.at_level(logging.WARNING):
        w = MainWindow()
    qtbot.addWidget(w)
    assert w.current_experiment() == load_preset("spiral")
    text = caplog.text
    assert "experiment/last" in text and "window/geometry" in text
    assert "window layout" in text                                   # the random dock state was refused
    assert settings.value("folders/experiments", str(tmp_path)) == str(tmp_path)
    w.persist = False
    w.close()


def test_an_unreadable_settings_store_is_a_warning_not_a_crash(qtbot, caplog):
    from desktop.main_window import MainWindow
    path = _settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.mkdir()                                                     # a folder where the file should be
    try:
        with caplog.at_level(logging.WARNING):
            w = MainWindow()
        qtbot.addWidget(w)
        assert w.current_experiment() == load_preset("spiral")
        assert any(str(path) in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
        w.close()                                                    # saving fails quietly, no crash
    finally:
        path.rmdir()
