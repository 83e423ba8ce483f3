"""What a newcomer trying the app under Xvfb missed in the status bar (issue 19's trial)."""
from __future__ import annotations

from trainer.presets import load_preset

TIMEOUT = 120_000


def test_the_status_bar_says_paused_while_paused_and_training_again_on_resume(qtbot, window):
    window.apply_experiment(load_preset("xor-mlp").with_overrides({"train.epochs": 1_000_000}))
    assert window.train()
    qtbot.waitUntil(lambda: len(window.session.history) > 0, timeout=TIMEOUT)
    assert window.statusBar().currentMessage().startswith("Training xor-mlp: Space pauses")
    window.toggle_pause()
    assert window.statusBar().currentMessage().startswith("Paused (xor-mlp): Space resumes")
    window.toggle_pause()
    assert window.statusBar().currentMessage().startswith("Training xor-mlp")
    with qtbot.waitSignal(window.session.ended, timeout=TIMEOUT):
        window.stop()
    assert window.statusBar().currentMessage().startswith("Stopped")


def test_a_finished_runs_message_goes_when_another_experiment_replaces_it(qtbot, window, train_window):
    train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 30}))
    assert window.statusBar().currentMessage().startswith("Finished")
    window.apply_experiment(load_preset("spiral"))
    assert not window.statusBar().currentMessage().startswith("Finished")


def test_the_title_names_the_experiment_once(window):
    window.apply_experiment(load_preset("spiral"))
    assert window.windowTitle().count("Neural Playground") == 0 and "spiral" in window.windowTitle()
