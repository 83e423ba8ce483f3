"""What the terminal and the log file say: expected situations one WARNING line, tracebacks only in the file
for unexpected failures, saves / loads / quits at INFO."""
from __future__ import annotations

import io
import logging

import pytest

from trainer.presets import load_preset

TIMEOUT = 120_000
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


@pytest.fixture
def logs():
    """The app's own logging set-up (its console handler writing to a buffer, the file); removed afterwards."""
    from desktop import app
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = app.setup_logging()
    assert path is not None
    terminal = io.StringIO()
    consoles = [h for h in root.handlers if h not in handlers and isinstance(h.formatter, app.OneLineFormatter)]
    assert len(consoles) == 1
    consoles[0].setStream(terminal)
    start = path.stat().st_size if path.exists() else 0

    def read() -> tuple[str, str]:
        """(what the terminal showed, what the log file got) since the test began."""
        for handler in root.handlers:
            handler.flush()
        return terminal.getvalue(), path.read_text(encoding="utf-8")[start:]
    yield read
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_mnist_that_cannot_be_read_is_one_warning_line_and_no_traceback(qtbot, window, logs, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in MNIST_NAMES:
        (raw / f"{name}.gz").write_bytes(b"not gzip at all")
    window.apply_experiment(load_preset("mnist-mlp").with_overrides({"train.epochs": 1, "data.root": str(tmp_path)}))
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        assert window.train()
    terminal, logged = logs()
    assert window.dialogs_shown and window.dialogs_shown[0][0] == "Training failed"
    lines = [line for line in terminal.splitlines() if "training" in line]
    assert len(lines) == 1 and lines[0].startswith("WARNING desktop.training.client: training stopped in the "
                                                   "training process"), terminal
    assert "damaged gzip file" in lines[0]
    assert "Traceback" not in terminal and "Traceback" not in logged and " ERROR " not in logged


def test_an_unexpected_failure_keeps_its_traceback_for_the_log_file_only(logs):
    from desktop.training.client import log as client_log
    try:
        raise ValueError("boom")
    except ValueError:
        client_log.error("training failed on the app's training thread: ValueError: boom", exc_info=True)
    client_log.error("training failed: ValueError: boom\nTraceback (most recent call last):\n  File ...")
    terminal, logged = logs()
    assert terminal.count("\n") == 2 and "Traceback" not in terminal
    assert "ERROR desktop.training.client: training failed on the app's training thread: ValueError: boom " \
           "(details in " in terminal
    assert logged.count("Traceback (most recent call last)") == 2      # the file keeps both


def test_the_remote_says_which_errors_are_expected():
    from trainer.checkpoint import CheckpointError
    from trainer.config import ConfigError
    from trainer.mnist import DataError
    from trainer.errors import expected_error
    assert expected_error(DataError("no MNIST")) and expected_error(ConfigError("data.root", "bad"))
    assert expected_error(CheckpointError("model.pt", "damaged"))
    assert not expected_error(ValueError("a bug")) and not expected_error(RuntimeError("CUDA error"))


def test_saves_loads_and_quits_are_logged_at_info(train_window, qtbot, window, logs, tmp_path):
    fin = train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 3}))
    assert fin.reason == "completed"
    assert window.files.save_experiment(tmp_path / "xor.json")
    assert window.files.open_experiment(tmp_path / "xor.json")
    assert window.files.save_model(tmp_path / "xor.pt")
    assert window.files.load_model(tmp_path / "xor.pt")
    assert not window.files.open_experiment(tmp_path / "missing.json")    # an expected failure: a WARNING
    window.persist = False
    window.close()
    terminal, logged = logs()
    for text in (f"INFO desktop.files [MainThread]: saved the experiment to {tmp_path / 'xor.json'}",
                 f"INFO desktop.files [MainThread]: opened the experiment {tmp_path / 'xor.json'}",
                 "INFO desktop.files [MainThread]: saved the model to ",
                 "INFO desktop.files [MainThread]: loaded the model ",
                 "WARNING desktop.files [MainThread]: Could not open the experiment: missing.json: no such file",
                 "INFO desktop.main_window [MainThread]: quitting: the window was closed"):
        assert text in logged, text
    assert terminal.splitlines() == ["WARNING desktop.files: Could not open the experiment: missing.json: "
                                     "no such file"]
