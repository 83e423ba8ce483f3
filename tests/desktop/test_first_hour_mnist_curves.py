"""Issue 19, item 10: MNIST training showed only a progress bar on the MNIST tab; the accuracy
curves lesson C asks you to watch were on the other tab. The MNIST tab now has live curves."""
from __future__ import annotations

import math

from trainer.presets import load_preset


def test_mnist_training_shows_live_curves_on_the_mnist_tab(qtbot, window, mnist_root):
    window.lessons.actions["C"].trigger()                       # Lessons > C MNIST: the MNIST tab
    assert window.tabs.currentWidget() is window.mnist
    window.apply_experiment(load_preset("mnist-mlp").with_overrides(
        {"data.root": str(mnist_root), "train.epochs": 100_000}))
    window.speed.setCurrentIndex(window.speed.findText("5/s"))  # slow enough to look while it runs
    live = window.mnist.live
    assert window.train()
    qtbot.waitUntil(lambda: window.session.state == "running" and len(window.session.history) >= 3,
                    timeout=120_000)
    qtbot.waitUntil(lambda: live.curves.data()["val_acc"].size >= 3, timeout=10_000)
    assert window.tabs.currentWidget() is window.mnist and live.isVisible()   # where the learner looks
    assert not math.isnan(live.curves.data()["val_acc"][-1])                    # the accuracy curve
    window.grab().save("/tmp/first-hour/item10-mnist-live-curves.png")
    with qtbot.waitSignal(window.session.ended, timeout=120_000):
        window.stop()
    assert live.isVisible() and live.curves.data()["val_acc"].size >= 3       # the last run's curves stay


def test_a_playground_run_leaves_the_mnist_curves_alone(qtbot, window, train_window):
    train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 20}))
    assert not window.mnist.live.isVisibleTo(window.mnist)
    assert window.mnist.live.curves.data()["train_loss"].size == 0
