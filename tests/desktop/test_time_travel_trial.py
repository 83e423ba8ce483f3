"""Time travel after newcomer 16's trial (notes/newcomer16.md): the docks follow the line on show (finding 1),
a run that restored its best weights shows that epoch on the bar (finding 4), and the bar's delete button asks
first, naming what goes (finding 2). Short spiral runs through the real window and its training process.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from trainer.presets import load_preset
from trainer.timeline.runs import MAIN

TIMEOUT = 300_000
EPOCHS = 30


def _spiral(**overrides):
    return load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0, **overrides})


def _branch(window, qtbot, epoch: int) -> None:
    """Ctrl+B (Training > Branch from here) at `epoch`, waited until the branch has trained."""
    window.time_travel.bar.slider.setValue(epoch)
    with qtbot.waitSignal(window.session.finished, timeout=TIMEOUT):
        window.time_travel.action.trigger()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)


def _pick(bar, key: str) -> None:
    """Pick `key` in the bar's branch list, as a click does."""
    index = bar.branch_box.findData(key)
    bar.branch_box.setCurrentIndex(index)
    bar.branch_box.activated.emit(index)


def test_switching_lines_puts_their_settings_in_the_docks_and_delete_asks_first(window, qtbot, train_window):
    exp = _spiral()
    train_window(window, exp)
    tt, bar = window.time_travel, window.time_travel.bar
    run = tt.tree[MAIN].experiment
    window.optimizer_panel.apply(replace(exp.optim, name="momentum", lr=0.05, momentum=0.9), exp.train)
    _branch(window, qtbot, 10)                        # b1: SGD with momentum; the docks hold it
    assert tt.tree["b1"].experiment.optim.name == "momentum"

    # Finding 1: back on the run, the docks hold the run's settings, and the run (its timeline) stays.
    _pick(bar, MAIN)
    assert window.current_experiment().optim == run.optim and tt.tree is not None
    assert window.trained() is not None and window.curves.branch_keys() == ["b1"]
    _branch(window, qtbot, 15)                        # nothing touched: the branch repeats the run
    assert tt.tree["b2"].experiment.optim == run.optim and tt.tree["b2"].label.startswith("no change")
    _pick(bar, "b1")
    assert window.current_experiment().optim.name == "momentum"
    _branch(window, qtbot, 20)                        # b3, made from b1, with b1's settings
    assert tt.tree["b3"].parent == "b1" and tt.tree["b3"].label.startswith("no change")

    # Finding 2: the bin asks, naming the branch and the one made from it; Cancel keeps everything.
    _pick(bar, "b1")
    window.dialogs_shown.clear()
    window.ask_answer = False
    qtbot.mouseClick(bar.delete_button, Qt.MouseButton.LeftButton)
    title, text = window.dialogs_shown[-1]
    assert tt.tree["b1"].label in text and tt.tree["b3"].label in text and tt.tree["b2"].label not in text
    assert list(tt.tree.branches) == [MAIN, "b1", "b2", "b3"] and window.curves.branch_keys() == ["b1", "b2", "b3"]
    window.ask_answer = True
    qtbot.mouseClick(bar.delete_button, Qt.MouseButton.LeftButton)
    assert list(tt.tree.branches) == [MAIN, "b2"] and window.curves.branch_keys() == ["b2"]
    # The deleted line was on show: the run is, with its settings in the docks.
    assert tt.shown()[0] == MAIN and window.current_experiment().optim == run.optim


def test_a_run_that_restored_its_best_weights_shows_that_epoch_on_the_bar(window, qtbot, train_window):
    exp = _spiral(**{"train.patience": 3, "optim.lr": 0.3})   # too large a step: it stops early, past its best
    fin = train_window(window, exp)
    tt, bar = window.time_travel, window.time_travel.bar
    assert exp.train.restore_best and fin.reason == "early_stopped" and fin.best_epoch < bar.epochs()[-1]
    assert bar.epoch() == fin.best_epoch and not bar.is_live() and tt.shown() == (MAIN, fin.best_epoch)
    assert bar.epoch_label.text().startswith(f"epoch {fin.best_epoch} /")
    assert f"Showing epoch {fin.best_epoch}, whose weights were restored" in window.statusBar().currentMessage()
    assert f"epoch {fin.best_epoch + 1} /" in window.status_text()          # its figures (counted from 1 there)
    assert f"test {fin.metrics['test_accuracy']:.1f}%" in window.status_text()   # and the kept model's test figure
