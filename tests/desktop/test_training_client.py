"""TrainingClient: runs in the training process, coalesced signals, control, failures, the fallback."""
from __future__ import annotations

import numpy as np
import pytest

from desktop.training import TrainingClient, running_threads
from trainer.config import ConfigError
from trainer.events import Finished
from trainer.presets import load_preset

TIMEOUT = 120_000


def _short(name: str, **overrides) -> object:
    return load_preset(name).with_overrides(overrides)


def _collect(session: TrainingClient) -> dict[str, list]:
    got: dict[str, list] = {"epochs": [], "snapshot": [], "finished": [], "failed": [], "states": []}
    session.epochs.connect(lambda evs: got["epochs"].append(list(evs)))
    session.snapshot.connect(got["snapshot"].append)
    session.finished.connect(got["finished"].append)
    session.failed.connect(got["failed"].append)
    session.stateChanged.connect(got["states"].append)
    return got


def test_xor_trains_in_the_training_process_with_every_epoch_once(qtbot, session):
    got = _collect(session)
    exp = _short("xor-mlp", **{"train.epochs": 2000})
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.start(exp)
    fin: Finished = blocker.args[0]
    assert fin.reason == "completed" and fin.epochs_run == 2000
    epochs = [ev.epoch for batch in got["epochs"] for ev in batch]
    assert epochs == list(range(exp.train.epochs))          # none lost, none twice, in order
    assert [ev.epoch for ev in session.history] == epochs
    # 2000 epochs arrive in far fewer signal batches: the GUI is not flooded.
    assert len(got["epochs"]) < exp.train.epochs / 5
    assert got["snapshot"] and got["snapshot"][-1].boundary is not None
    qtbot.waitUntil(lambda: not session.is_running(), timeout=TIMEOUT)
    assert got["states"][0] == "running" and got["states"][-1] == "idle"
    assert got["failed"] == []


def test_model_predicts_what_the_run_measured(qtbot, session):
    exp = _short("spiral", **{"train.epochs": 60, "train.patience": 0})
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT):
        session.start(exp)
    import torch
    from trainer.data import load
    splits = load(exp.data)
    model = session.model()
    assert not model.training
    with torch.no_grad():
        pred = model(torch.from_numpy(splits.x_test)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(pred, session.result.metrics["predictions"])


def test_stop_ends_the_run_early_with_reason_stopped(qtbot, session):
    exp = _short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0, "train.batch_size": 8})
    got = _collect(session)
    session.start(exp)
    qtbot.waitUntil(lambda: len(session.history) >= 3, timeout=TIMEOUT)
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.stop()
    assert blocker.args[0].reason == "stopped"
    assert blocker.args[0].epochs_run < exp.train.epochs
    qtbot.waitUntil(lambda: not session.is_running(), timeout=TIMEOUT)
    assert got["failed"] == []


def test_pause_step_resume(qtbot, session):
    exp = _short("xor-mlp", **{"train.epochs": 300})
    got = _collect(session)
    session.start(exp, paused_after_first=True)        # the Step button pressed while idle
    qtbot.waitUntil(lambda: len(session.history) == 1, timeout=TIMEOUT)
    assert session.state == "paused"
    qtbot.wait(300)                                    # paused means paused: nothing more arrives
    assert len(session.history) == 1
    session.step()
    qtbot.waitUntil(lambda: len(session.history) == 2, timeout=TIMEOUT)
    qtbot.wait(300)
    assert len(session.history) == 2 and session.is_running()
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT):
        session.resume()
    assert [ev.epoch for ev in session.history] == list(range(300))
    assert "paused" in got["states"] and "running" in got["states"]


def test_pause_then_stop(qtbot, session):
    session.start(_short("xor-mlp", **{"train.epochs": 100_000}))
    qtbot.waitUntil(lambda: len(session.history) > 0, timeout=TIMEOUT)
    session.pause()
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.stop()                                  # a paused loop must wake up to stop
    assert blocker.args[0].reason == "stopped"


def test_a_failing_run_reports_and_the_next_one_works(qtbot, session, child_train):
    """Failures in the child come back as the dialog's words: ours as they are, others with their type."""
    child_train("""
        def train(experiment, control=None, pacing=None, allow_download=True, record=0, resume=None):
            if experiment.train.epochs == 5:
                yield from ()
                raise ZeroDivisionError("something inside broke")
            if experiment.train.epochs == 6:
                from trainer.config import ConfigError
                raise ConfigError("optim.lr", "must be > 0, got 0")
            yield from real(experiment, control, pacing)
    """)
    with qtbot.waitSignal(session.failed, timeout=TIMEOUT) as blocker:
        session.start(_short("xor-mlp", **{"train.epochs": 5}))
    assert blocker.args[0] == "ZeroDivisionError: something inside broke"
    qtbot.waitUntil(lambda: not session.is_running(), timeout=TIMEOUT)

    with qtbot.waitSignal(session.failed, timeout=TIMEOUT) as blocker:
        session.start(_short("xor-mlp", **{"train.epochs": 6}))
    assert blocker.args[0] == "optim.lr: must be > 0, got 0"     # our own errors as they are
    qtbot.waitUntil(lambda: not session.is_running(), timeout=TIMEOUT)

    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.start(_short("xor-mlp", **{"train.epochs": 7}))
    assert blocker.args[0].epochs_run == 7


def test_every_epoch_before_a_failure_reaches_the_window(qtbot, session, child_train):
    """The child sends the epochs it had batched before the error, so the curves miss none."""
    child_train("""
        def train(experiment, control=None, pacing=None, allow_download=True, record=0, resume=None):
            for event in real(experiment, control, pacing):
                yield event
                if isinstance(event, EpochEnd) and event.epoch == 40:
                    raise RuntimeError("simulated fault after epoch 40")
    """)
    got = _collect(session)
    with qtbot.waitSignal(session.ended, timeout=TIMEOUT):
        session.start(_short("xor-mlp", **{"train.epochs": 1000}))
    assert got["failed"] == ["RuntimeError: simulated fault after epoch 40"]
    assert [ev.epoch for batch in got["epochs"] for ev in batch] == list(range(41))
    assert got["finished"] == [] and session.state == "idle"


def test_start_while_running_is_refused(qtbot, session):
    session.start(_short("xor-mlp", **{"train.epochs": 100_000}))
    with pytest.raises(RuntimeError):
        session.start(_short("xor-mlp", **{"train.epochs": 5}))
    assert session.shutdown(30_000)


def test_shutdown_mid_run_leaves_no_thread(qtbot, session):
    session.start(_short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0}))
    qtbot.waitUntil(lambda: len(session.history) > 0, timeout=TIMEOUT)
    assert running_threads() == 1
    assert session.shutdown(30_000)
    assert running_threads() == 0
    assert not session.is_running() and session.state == "idle"


def test_a_newer_boundary_in_the_same_frame_keeps_the_diagrams_weights(qtbot, session, child_train):
    """The loop sends weights twice a second; a boundary-only snapshot right after must not drop them."""
    child_train("""
        def train(experiment, control=None, pacing=None, allow_download=True, record=0, resume=None):
            weights = ((np.ones((3, 2), np.float32), np.zeros(3, np.float32)),)
            neurons = (np.zeros((4, 4, 3), np.float32),)
            yield EpochEnd(0, 1.0, 1.0, 50.0, 50.0, 0.01)
            yield Snapshot(0, boundary=np.full((2, 2, 3), 0.25, np.float32), extent=(0, 1, 0, 1),
                           weights=weights, neurons=neurons)
            yield EpochEnd(1, 0.9, 0.9, 60.0, 60.0, 0.02)
            yield Snapshot(1, boundary=np.full((2, 2, 3), 0.75, np.float32), extent=(0, 1, 0, 1))
            yield Finished(reason="completed", epochs_run=2, best_epoch=1, best_val_loss=0.9, history=[],
                           metrics={}, state={}, params=9, device="cpu", seconds=0.02)
    """)
    got = _collect(session)
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT):
        session.start(_short("xor-mlp"))
    assert len(got["snapshot"]) == 1        # the four events came in one message: one frame
    last = got["snapshot"][-1]
    assert last.epoch == 1 and float(last.boundary[0, 0, 0]) == 0.75
    assert last.weights[0][0].tolist() == np.ones((3, 2)).tolist() and last.neurons[0].shape == (4, 4, 3)


def test_a_live_run_updates_the_diagram_twice_a_second_and_ends_with_it(qtbot, session):
    got = _collect(session)
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.start(_short("spiral", **{"train.epochs": 2000, "train.patience": 0}))
    seconds = blocker.args[0].seconds
    with_diagram = [s for s in got["snapshot"] if s.weights and s.neurons]
    assert len(got["snapshot"]) > len(with_diagram) >= 2
    assert len(with_diagram) <= seconds / 0.5 + 2      # the loop's pace, plus the first and the final one
    assert with_diagram[-1] is got["snapshot"][-1] and with_diagram[-1].epoch == 1999


def test_where_no_training_process_can_start_the_run_trains_on_the_thread(qtbot, session, monkeypatch, caplog):
    """The documented fallback: the same client, frames and signals, with the loop on a thread here."""
    from desktop.training import process
    monkeypatch.setattr(process, "remote_command", lambda: ["/nonexistent/neural-playground-worker"])
    monkeypatch.setattr(process, "POOL", process.ProcessPool())   # no warm child to reuse
    got = _collect(session)
    session.start(_short("xor-mlp", **{"train.epochs": 100_000}), paused_after_first=True)
    assert "could not start a training process" in caplog.text and "training in the app's own process" in caplog.text
    qtbot.waitUntil(lambda: len(session.history) == 1, timeout=TIMEOUT)
    assert running_threads() == 1 and session.state == "paused"
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.stop()
    assert blocker.args[0].reason == "stopped" and got["failed"] == []
    qtbot.waitUntil(lambda: not session.is_running(), timeout=TIMEOUT)
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.start(_short("xor-mlp", **{"train.epochs": 1500}))
    assert blocker.args[0].metrics["test_accuracy"] == 100.0


def test_a_child_that_dies_before_it_connects_is_the_fallback_not_a_hang(qtbot, session, monkeypatch, caplog):
    import sys

    from desktop.training import process
    monkeypatch.setattr(process, "remote_command", lambda: [sys.executable, "-c", "raise SystemExit(3)"])
    monkeypatch.setattr(process, "POOL", process.ProcessPool())
    with qtbot.waitSignal(session.finished, timeout=TIMEOUT) as blocker:
        session.start(_short("xor-mlp", **{"train.epochs": 20}))
    assert blocker.args[0].epochs_run == 20
    assert "could not start a training process" in caplog.text
