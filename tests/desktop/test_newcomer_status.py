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


def test_a_run_without_test_points_does_not_claim_0_percent_on_them(window, train_window):
    """4 samples split 70 / 15 / 15 leave no test point: the newcomer saw 'test 0.0%'."""
    exp = load_preset("spiral").with_overrides({"data.n_samples": 4, "data.classes": 2, "train.epochs": 5})
    fin = train_window(window, exp)
    assert fin.metrics["n_test"] == 0
    assert "no test points" in window.status_text() and "test 0.0%" not in window.status_text()
