"""The window after lesson D and friends: no deleted label used, no self-growing window, no stale tab or text."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from trainer.presets import load_preset


def _open_d(window, qtbot, mnist_root, monkeypatch):
    monkeypatch.setenv("NEURAL_PLAYGROUND_DATA", str(mnist_root))
    window.lessons.actions["D"].trigger()
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.lessons.tab_pages["Convolution"], timeout=5000)
    window.architecture_dock.show()
    window.architecture_dock.raise_()        # the CNN diagram on show, as the newcomer had it
    QApplication.processEvents()
    assert window.network.cnn is not None


def test_a_lesson_after_d_draws_the_mlp_and_leaves_the_convolution_tab(window, qtbot, mnist_root, monkeypatch):
    # pytest-qt fails the test on any exception raised in a Qt slot (the "Label already deleted" one)
    _open_d(window, qtbot, mnist_root, monkeypatch)
    window.lessons.actions["B"].trigger()
    QApplication.processEvents()
    assert window.current_experiment() == load_preset("spiral")
    assert window.network.cnn is None and [len(c) for c in window.network.columns][0] == 2   # the MLP drawn
    assert window.tabs.currentWidget() is window.playground


def test_a_preset_after_d_leaves_the_convolution_tab(window, qtbot, mnist_root, monkeypatch):
    _open_d(window, qtbot, mnist_root, monkeypatch)
    window.apply_experiment(load_preset("spiral"))         # what Lessons > Presets > spiral does
    QApplication.processEvents()
    assert window.tabs.currentWidget() is window.playground
    assert window.lessons.lesson_dock.isHidden()


def test_part_one_does_not_keep_lesson_ds_text(window, qtbot, mnist_root, monkeypatch):
    _open_d(window, qtbot, mnist_root, monkeypatch)
    assert window.lessons.lesson_dock.isVisible()
    window.lessons.autograd.action.trigger()
    assert window.tabs.currentWidget() is window.lessons.autograd.page
    assert window.lessons.lesson_dock.isHidden() and window.lessons.current is None


def test_your_network_follows_the_windows_experiment(window, qtbot):
    window.apply_experiment(load_preset("xor-mlp"))
    page = window.lessons.autograd.open()
    page.setCurrentIndex(1)                              # "Your network": draws the xor 2-4-1 model's graph
    assert page.network.result is not None and len(page.network.result.input) == 2
    window.tabs.setCurrentWidget(window.playground)      # off screen while the experiment changes
    window.apply_experiment(load_preset("linear-regression"))
    assert page.network.result is None                   # the xor graph is not shown as if it were this model's
    assert "model changed" in page.network.header.text()
    window.tabs.setCurrentWidget(page)
    page.setCurrentIndex(0)
    page.setCurrentIndex(1)
    assert page.network.result is not None and len(page.network.result.input) == 1
    window.apply_experiment(load_preset("xor-mlp"))      # on show: redrawn at once
    assert page.network.result is not None and len(page.network.result.input) == 2


def test_the_window_never_grows_by_itself(window, qtbot, mnist_root, monkeypatch):
    start = window.size()

    def check(step: str) -> None:
        QApplication.processEvents()
        size = window.size()
        assert size.width() <= start.width() and size.height() <= start.height(), \
            f"{step}: the window grew from {start.toTuple()} to {size.toTuple()}"

    page = window.lessons.autograd.open()
    page.explorer.expression.setText("w * x + " + "no_such_function_" * 17 + "(x)")   # the name is in the message
    assert len(page.explorer.expression.text()) >= 300 and page.explorer.error.isVisible()
    check("a 300-character bad expression")
    window.lessons.actions["B"].trigger()
    window.optimizer_panel.mistakes.setChecked(True)
    window.optimizer_panel.mistake_group.buttons()[-1].setChecked(True)
    window.curves.reset(window.current_experiment())
    assert window.curves.mistake_text().startswith("<b>Mistake on purpose")
    check("the mistake's banner")
    panel = window.dataset_panel                         # the spiral's MLP on iris's 4 features
    panel.name.setCurrentIndex(panel.name.findData("iris"))
    assert window.current_experiment().data.name == "iris"
    check("iris from the Dataset dock")
    _open_d(window, qtbot, mnist_root, monkeypatch)
    check("lesson D")


def test_an_mnist_run_leaves_the_window_its_size(window, train_window, qtbot, mnist_root):
    # The MNIST tab shows its live curves once a run starts: at a fixed 300 px they raised the tab's minimum
    # height past what a 1280x800 window holds, and the window grew to 894 px after the run.
    window.resize(1280, 800)
    QApplication.processEvents()
    # data.root, not the environment: the training process was started before this test set anything
    train_window(window, load_preset("mnist-mlp").with_overrides({"train.epochs": 1, "data.root": str(mnist_root)}))
    window.tabs.setCurrentWidget(window.mnist)
    QApplication.processEvents()
    assert window.mnist.live.isVisible()
    assert window.height() <= 800 and window.minimumSizeHint().height() <= 800
