"""The main window: docks <-> Experiment, training through the worker, controls, files, settings."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QDockWidget, QLabel

from desktop import settings
from desktop.views.network import line_widths
from desktop.training import running_threads
from trainer.config import Experiment
from trainer.presets import load_preset, names

TIMEOUT = 180_000
REPO = Path(__file__).resolve().parents[2]


def _short(name: str, **overrides) -> Experiment:
    return load_preset(name).with_overrides(overrides)


# -- building and the docks <-> Experiment round trip ------------------------------------------------
def test_window_builds_with_docks_views_and_controls(window):
    docks = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert {"Dataset", "Architecture", "Optimizer"} <= docks         # workspaces may add their own
    for dock in (window.dataset_dock, window.architecture_dock, window.optimizer_dock):
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetMovable
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
    assert window.tabs.tabText(0) == "Playground"
    tabs = window.plane_tabs   # a table's tabs (desktop/tabular/) are there, hidden for the generated data
    assert [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabVisible(i)] == [
        "Decision boundary", "Neuron", "Weights over time", "Loss landscape"]   # the last two: the timeline's
    shortcuts = {a.text(): a.shortcut().toString() for a in (window.train_action, window.pause_action,
                                                            window.step_action, window.stop_action,
                                                            window.reset_action)}
    assert shortcuts == {"Train": "Ctrl+Return", "Pause": "Space", "Step": "Ctrl+Right", "Stop": "Esc",
                         "Reset": "Ctrl+R"}
    assert window.train_action.isEnabled() and not window.stop_action.isEnabled()
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Training", "&Lessons", "&View", "&Help"]
    assert list(window.lesson_actions) == names()
    index = window.add_tab("Extra", QLabel("a workspace"))
    assert window.tabs.tabText(index) == "Extra"


def test_the_window_offers_what_its_parts_are_typed_to_use(window):
    """The lessons, the MNIST tab and the File actions see the window through desktop.window_api."""
    from desktop.window_api import FileHost, LessonHost, TimelineViewsHost, TimeTravelHost, WorkspaceHost
    for protocol in (LessonHost, WorkspaceHost, FileHost, TimeTravelHost, TimelineViewsHost):
        assert isinstance(window, protocol), protocol.__name__
    file_items = [a.text() for a in window.file_menu.actions()]
    quit_at = file_items.index(window.quit_action.text())   # the exports' group ends above Quit's separator
    assert file_items.index("Export as &PyTorch script…") == quit_at - 3
    assert file_items.index("Export &animation…") == quit_at - 2
    view_items = window.view_menu.actions()
    assert view_items[-1] is window.reset_layout_action and view_items[-2].isSeparator()
    assert [a.text() for a in view_items[3:5]] == ["Lesson", "Code"]     # after the window's three docks


def test_every_preset_round_trips_through_the_docks(window):
    for name in names():
        exp = load_preset(name)
        window.apply_experiment(exp)
        assert window.current_experiment() == exp, name
        assert window.dataset_panel.name.currentData() == exp.data.name
        assert window.architecture_panel.layers() == list(exp.model.layers)
        assert window.optimizer_panel.lr.value() == exp.optim.lr
        assert window.optimizer_panel.epochs.value() == exp.train.epochs


def test_editing_the_docks_changes_the_experiment(window):
    window.apply_experiment(load_preset("spiral"))
    arch = window.architecture_panel
    arch.select_layer(0)
    arch.units.setValue(12)
    arch.add_hidden_layer()                     # Linear(8) + ReLU after the selected layer
    arch.select_layer(3)
    arch.move_layer(-1)
    window.optimizer_panel.full_batch.setChecked(False)
    window.optimizer_panel.batch.setValue(32)
    window.optimizer_panel.lr_slider.setValue(-30)      # 10^-3 on the log slider
    window.dataset_panel.noise.setValue(0.1)
    exp = window.current_experiment()
    kinds = [(layer.kind, layer.units, layer.fn) for layer in exp.model.layers]
    assert kinds == [("linear", 12, None), ("linear", 8, None), ("activation", None, "relu"),
                     ("activation", None, "relu"), ("dropout", None, None)]
    assert exp.train.batch_size == 32 and exp.optim.lr == pytest.approx(1e-3) and exp.data.noise == 0.1
    window.revalidate()
    from trainer.models import build_model, param_count
    assert window.architecture_panel.params.text() == f"{param_count(build_model(exp)):,} trainable parameters"


def test_a_bad_setting_is_shown_next_to_its_field_and_train_is_refused(window):
    window.apply_experiment(load_preset("spiral"))
    window.dataset_panel.val.setValue(0.5)
    window.dataset_panel.test.setValue(0.45)
    window.revalidate()
    text = window.dataset_panel.error_text()
    assert text.startswith("data.val_fraction: validation and test together must leave at least 10%")
    assert window.dataset_panel.val.property("invalid") is True
    assert not window.train_action.isEnabled()
    assert window.train() is False and not window.session.is_running()
    window.dataset_panel.test.setValue(0.15)
    window.revalidate()
    assert window.dataset_panel.error_text() == "" and window.train_action.isEnabled()
    # A combination: mean squared error on a classification dataset, shown on the Architecture dock.
    from desktop.docks import select
    select(window.architecture_panel.loss, "mse")
    window.revalidate()
    assert window.architecture_panel.error_text() == "model.loss: mse is for regression, but spiral has 3 classes"
    assert not window.train_action.isEnabled()
    assert window.dialogs_shown == []          # shown in place, never as a dialog or a traceback


# -- training through the worker ------------------------------------------------------------------
def test_xor_self_test_trains_to_completion_and_every_view_follows(qtbot, window, capsys):
    """The --self-test routine on this window: xor-mlp's 5,000 epochs through the worker, 4/4 right."""
    from desktop import app
    first: list = []
    window.session.snapshot.connect(lambda ev: first.append(window.boundary.image()) if not first else None)
    assert app.self_test(window) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["self_test"] == "ok" and result["correct"] == "4/4"
    assert result["epochs_received"] == result["epochs"] == 5000
    assert result["signal_batches"] < 5000 / 5                          # coalesced, not one per epoch
    fin = window.session.result
    assert fin.reason == "completed"
    curves = window.curves.data()
    np.testing.assert_array_equal(curves["epoch"], np.arange(5000))        # one point per epoch
    np.testing.assert_allclose(curves["train_loss"], [h["train_loss"] for h in fin.history])
    final = window.boundary.image()
    assert final is not None and first and first[0] is not None
    assert np.abs(final.astype(int) - first[0].astype(int)).max() > 50       # the picture moved with training
    assert "test 100.0%" in window.status_text()
    assert "epoch 5,000 / 5,000" in window.status_text()
    assert window.dialogs_shown == []


def test_spiral_trains_to_completion(train_window, qtbot, window):
    fin = train_window(window, load_preset("spiral"))
    assert fin.reason in ("completed", "early_stopped")
    assert len(window.curves.data()["epoch"]) == fin.epochs_run == len(window.session.history)
    assert window.curves.best_epoch() == fin.best_epoch
    assert f"test {fin.metrics['test_accuracy']:.1f}%" in window.status_text()
    assert fin.metrics["test_accuracy"] > 80
    assert window.network.line_widths()                  # the diagram got the trained weights
    assert window.save_model_action.isEnabled()


def test_the_diagram_takes_new_weights_in_its_own_turn_after_the_boundary(train_window, qtbot, window):
    """A diagram update waits a few ms after its frame (the window stays responsive); then it shows them."""
    from trainer.events import Snapshot
    from trainer.loop import train
    from trainer.pacing import Pacing
    exp = _short("spiral", **{"train.epochs": 20, "train.patience": 0})
    train_window(window, exp)
    shown, picture = window.network.line_widths(), window.boundary.image()
    early = [e for e in train(exp, None, Pacing(snapshot_every_s=1e-9)) if isinstance(e, Snapshot)][1]
    window.session.snapshot.emit(early)
    assert not np.array_equal(window.boundary.image(), picture)                           # the boundary at once
    assert window.diagram_pending()
    assert all(np.array_equal(a, b) for a, b in zip(window.network.line_widths(), shown))   # not yet
    qtbot.waitUntil(lambda: not window.diagram_pending(), timeout=5_000)
    now = window.network.line_widths()
    assert not all(np.array_equal(a, b) for a, b in zip(now, shown))                     # the early weights
    np.testing.assert_allclose(now[0], line_widths(early.weights[0][0]))


def test_step_pause_resume_stop_from_the_toolbar(qtbot, window):
    window.apply_experiment(_short("spiral", **{"train.epochs": 100_000, "train.patience": 0}))
    window.step_action.trigger()                                  # from idle: one epoch, then paused
    qtbot.waitUntil(lambda: len(window.session.history) == 1, timeout=TIMEOUT)
    assert window.session.state == "paused" and window.pause_action.text() == "Resume"
    assert not window.dataset_panel.isEnabled() and not window.train_action.isEnabled()
    assert window.statusBar().currentMessage().startswith("Paused (spiral)")   # not "Ready: press Train"
    window.step_action.trigger()
    qtbot.waitUntil(lambda: len(window.session.history) == 2, timeout=TIMEOUT)
    # The status bar redraws at most 4 times a second; paused, it still catches up with the last epoch.
    qtbot.waitUntil(lambda: "epoch 2 / 100,000" in window.status_text(), timeout=TIMEOUT)
    window.pause_action.trigger()                                 # resume
    assert window.session.state == "running" and window.pause_action.text() == "Pause"
    qtbot.waitUntil(lambda: len(window.session.history) > 20, timeout=TIMEOUT)
    window.pause_action.trigger()                                 # pause
    assert window.session.state == "paused"
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT) as blocker:
        window.stop_action.trigger()
    assert blocker.args[0].reason == "stopped"
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert window.dataset_panel.isEnabled() and window.train_action.isEnabled()
    assert len(window.curves.data()["epoch"]) == blocker.args[0].epochs_run
    window.reset_action.trigger()
    assert window.trained() is None and len(window.curves.data()["epoch"]) == 0


def test_closing_mid_run_stops_and_waits_for_the_thread(qtbot, window):
    window.apply_experiment(_short("spiral", **{"train.epochs": 1_000_000, "train.patience": 0}))
    window.train()
    qtbot.waitUntil(lambda: len(window.session.history) > 5, timeout=TIMEOUT)
    assert running_threads() == 1
    window.close()
    assert running_threads() == 0 and not window.session.is_running()


def test_an_exception_in_the_training_process_reaches_a_dialog_and_the_next_train_works(
        train_window, qtbot, window, child_train):
    child_train("""
        def train(experiment, control=None, pacing=None, allow_download=True, record=0, resume=None):
            if experiment.train.epochs == 20:
                yield from ()
                raise KeyError("weights")
            yield from real(experiment, control, pacing)
    """)
    window.apply_experiment(_short("xor-mlp", **{"train.epochs": 20}))
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        window.train()
    assert window.dialogs_shown == [("Training failed", "KeyError: 'weights'")]
    assert window.statusBar().currentMessage().startswith("Training failed")
    assert window.train_action.isEnabled()
    fin = train_window(window, _short("xor-mlp", **{"train.epochs": 21}))
    assert fin.epochs_run == 21


# -- files ------------------------------------------------------------------------------------------
def test_a_saved_model_loads_back_and_predicts_the_same(train_window, qtbot, window, tmp_path):
    import torch
    from trainer.data import load
    exp = _short("spiral", **{"train.epochs": 80, "train.patience": 0})
    train_window(window, exp)
    x = torch.from_numpy(load(exp.data).x_test)
    with torch.no_grad():
        before = window.trained_model()(x).numpy()
    assert window.files.save_model(tmp_path / "spiral.pt")
    window.reset()
    window.apply_experiment(load_preset("xor-mlp"))          # something else in the docks meanwhile
    assert window.files.load_model(tmp_path / "spiral.pt")
    assert window.current_experiment() == exp
    with torch.no_grad():
        after = window.trained_model()(x).numpy()
    np.testing.assert_array_equal(before, after)
    assert len(window.curves.data()["epoch"]) == 80             # the history came back with it
    assert window.boundary.image() is not None                  # and its decision boundary


def test_a_bad_checkpoint_is_a_dialog(window, tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"not a model")
    assert window.files.load_model(bad) is False
    assert window.dialogs_shown and window.dialogs_shown[0][0] == "Could not load the model"
    assert "not a Neural Playground model file" in window.dialogs_shown[0][1]


def test_experiment_files_save_and_open(window, tmp_path):
    window.apply_experiment(load_preset("perceptron-and"))
    assert window.files.save_experiment(tmp_path / "mine.json")
    saved = Experiment.from_json((tmp_path / "mine.json").read_text())
    assert saved == load_preset("perceptron-and")
    window.apply_experiment(load_preset("spiral"))
    assert window.files.open_experiment(tmp_path / "mine.json")
    assert window.current_experiment() == saved


def test_a_bad_experiment_file_names_the_field_and_keeps_the_settings(window, tmp_path):
    window.apply_experiment(load_preset("spiral"))
    raw = load_preset("xor-mlp").to_dict()
    raw["optim"]["lr"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    assert window.files.open_experiment(bad) is False
    title, text = window.dialogs_shown[-1]
    assert title == "Could not open the experiment"
    assert "optim.lr: must be > 0, got -1" in text and "bad.json" in text
    assert window.current_experiment() == load_preset("spiral")          # untouched
    (tmp_path / "empty.json").write_text("")
    assert window.files.open_experiment(tmp_path / "empty.json") is False
    assert "the file is empty" in window.dialogs_shown[-1][1]


def test_export_plot_png_and_csv(train_window, qtbot, window, tmp_path):
    fin = train_window(window, _short("spiral", **{"train.epochs": 30, "train.patience": 0}))
    assert window.files.export_plot("curves", "png", tmp_path / "curves.png")
    assert window.files.export_plot("boundary", "png", tmp_path / "boundary.png")
    assert window.files.export_plot("curves", "csv", tmp_path / "curves.csv")
    assert window.files.export_plot("boundary", "csv", tmp_path / "points.csv")
    for png in ("curves.png", "boundary.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = (tmp_path / "curves.csv").read_text().splitlines()
    assert rows[0] == "epoch,train_loss,val_loss,train_acc,val_acc"
    assert len(rows) == 1 + fin.epochs_run
    assert float(rows[1].split(",")[1]) == pytest.approx(fin.history[0]["train_loss"])
    assert (tmp_path / "points.csv").stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]     # no temp files left


# -- interaction between views and docks --------------------------------------------------------------
def test_points_clicked_into_the_plot_join_the_experiment(window):
    window.apply_experiment(load_preset("spiral"))
    window.boundary.pointAdded.emit(0.5, -0.25, 2)
    window.boundary.pointAdded.emit(-0.1, 0.2, 0)
    window.revalidate()
    assert window.current_experiment().data.extra_points == ((0.5, -0.25, 2), (-0.1, 0.2, 0))
    window.boundary.pointRemoved.emit(0)
    window.revalidate()
    assert window.current_experiment().data.extra_points == ((-0.1, 0.2, 0),)
    assert window.dataset_panel.extra_label.text() == "1 point"


def test_clicking_a_neuron_shows_it(window):
    window.apply_experiment(load_preset("xor-mlp"))
    window.network.neuronClicked.emit(0, 2)
    assert window.neurons.neuron() == (0, 2)
    assert window.plane_tabs.currentWidget() is window.neurons


# -- settings ------------------------------------------------------------------------------------------
def test_the_last_experiment_and_layout_are_remembered(qtbot, window):
    from desktop.main_window import MainWindow
    window.apply_experiment(load_preset("perceptron-and"))
    window.optimizer_dock.hide()
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.current_experiment() == load_preset("perceptron-and")
    assert not again.optimizer_dock.isVisible() and again.dataset_dock.isVisible()
    again.reset_layout()
    assert again.optimizer_dock.isVisible()
    again.persist = False
    again.close()


def test_damaged_settings_are_ignored_with_a_warning(qtbot, caplog):
    from desktop.main_window import MainWindow
    s = settings.store()
    s.setValue("experiment/last", '{"schema": 1, "data": {"name": "nope"}}')
    s.setValue("window/state", "garbage")
    s.setValue("window/layout_version", "x")
    s.sync()
    with caplog.at_level(logging.WARNING):
        w = MainWindow()
    qtbot.addWidget(w)
    assert w.current_experiment() == load_preset("spiral")        # the default lesson instead
    assert "experiment/last" in caplog.text and "window/layout_version" in caplog.text
    w.persist = False
    w.close()


# -- the environment ------------------------------------------------------------------------------------
def test_qt_painting_keeps_none_alive(qapp):
    """PySide6 6.12.0 dropped a reference to None per Python paint(); Python 3.11 then aborts."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

    class Item(QGraphicsItem):
        def boundingRect(self):  # noqa: N802
            return QRectF(0, 0, 10, 10)

        def paint(self, painter, option, widget=None):
            painter.drawRect(self.boundingRect())

    scene = QGraphicsScene()
    items = [Item() for _ in range(20)]
    for item in items:
        scene.addItem(item)
    image = QImage(50, 50, QImage.Format.Format_ARGB32)
    before = sys.getrefcount(None)
    for _ in range(50):                          # 1,000 paint() calls
        painter = QPainter(image)
        scene.render(painter)
        painter.end()
    assert sys.getrefcount(None) - before > -100, "this PySide6 build leaks None references (see pyproject.toml)"


def test_command_line_screenshot_without_training(tmp_path):
    config = tmp_path / "config"          # where QSettings writes on Linux: keep the real one out of it
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config)}
    out = subprocess.run([sys.executable, "-m", "desktop", "--preset", "xor-mlp", "--screenshot",
                          str(tmp_path / "shot.png")], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "shot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(config.rglob("*.conf"))      # a scripted grab leaves the user's settings alone


def test_unknown_preset_on_the_command_line_is_one_error_line():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "desktop", "--preset", "nope", "--screenshot", "x.png"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: preset: no preset named 'nope'")


def test_an_uncaught_exception_is_logged_and_shown_not_fatal(qapp, monkeypatch, caplog):
    from desktop import app, dialogs
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text, details="": shown.append(
        (title, text, details)))
    try:
        raise ValueError("a slot went wrong")
    except ValueError:
        exc_info = sys.exc_info()
    with caplog.at_level(logging.ERROR):
        app._excepthook(*exc_info)
    assert shown and shown[0][0] == "Unexpected error"
    assert shown[0][1].startswith("ValueError: a slot went wrong")
    assert "Traceback" in shown[0][2] and "a slot went wrong" in caplog.text
