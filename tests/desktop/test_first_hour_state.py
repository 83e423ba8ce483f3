"""Issue 19, items 2, 4 and 5: state that goes stale when the experiment, the data folder or the dataset
changes. Each test repeats the newcomer's steps in the real window."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from desktop.views.curves import NO_RUN
from trainer.presets import load_preset

TIMEOUT = 300_000


def _nothing_of_a_run_shown(window) -> None:
    assert window.trained() is None
    assert window.curves.best_label.text() == NO_RUN
    assert all(len(v) == 0 for v in window.curves.data().values())
    assert window.status_text() == ""                      # no "test MSE 0.2698" of the last run
    assert not window.save_model_action.isEnabled()


# -- item 2: switching lessons keeps the previous run on screen -------------------------------------
def test_the_next_lesson_does_not_show_the_last_lessons_run(train_window, qtbot, window):
    lessons = window.lessons
    assert lessons.open("A1")
    fin = train_window(window)
    assert fin.reason == "completed"
    assert "best epoch" in window.curves.best_label.text()
    assert "MSE" in window.status_text()

    assert lessons.open("A2")
    _nothing_of_a_run_shown(window)
    assert window.title_label.text().strip() == "perceptron-and"
    assert window.boundary.image() is None or window.boundary.fit_curve.getData()[0] is None \
        or len(window.boundary.fit_curve.getData()[0]) == 0   # A1's fitted line is gone

    train_window(window)
    assert lessons.open("A3")
    _nothing_of_a_run_shown(window)


def test_the_same_experiment_again_keeps_its_run_and_an_edit_of_the_data_drops_it(train_window, qtbot, window):
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 50})   # a run's length changes nothing here
    train_window(window, exp)
    window.apply_experiment(exp)                      # the very experiment that run trained
    assert window.trained() is not None
    assert "best epoch" in window.curves.best_label.text()
    window.optimizer_panel.apply(replace(exp.optim, lr=exp.optim.lr / 2), exp.train)   # a new learning rate:
    window.revalidate()
    assert window.trained() is not None               # the last run still shows what the old one did
    window.dataset_panel.name.setCurrentIndex(window.dataset_panel.name.findData("circles"))
    window.revalidate()
    _nothing_of_a_run_shown(window)


def test_the_title_follows_the_dataset_chosen(qtbot, window):
    window.apply_experiment(load_preset("spiral"))
    assert window.title_label.text().strip() == "spiral"
    panel = window.dataset_panel
    panel.name.setCurrentIndex(panel.name.findData("circles"))
    window.revalidate()
    assert "spiral" not in window.title_label.text()
    assert "spiral" not in window.windowTitle()
    panel.name.setCurrentIndex(panel.name.findData("spiral"))
    window.revalidate()
    assert window.title_label.text().strip() == "spiral"


def test_the_lesson_dock_closes_when_another_experiment_replaces_the_lessons(qtbot, window):
    lessons = window.lessons
    assert lessons.open("B")
    assert lessons.lesson_dock.isVisible()
    window.load_lesson("mnist-mlp")                      # as File > Open or Lessons > mnist-mlp would
    assert lessons.current is None
    assert not lessons.lesson_dock.isVisible()
    assert lessons.open("C")                            # lesson C's own Train keeps lesson C
    window.mnist.train_button.setEnabled(False)         # (no training here: only the experiment is applied)
    window.load_lesson("mnist-mlp")
    assert lessons.current is not None and lessons.current.key == "C"
    assert lessons.lesson_dock.isVisible()


def test_a_loaded_model_closes_the_lesson_and_shows_its_own_run(train_window, qtbot, window, tmp_path):
    train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 50}))
    path = tmp_path / "xor.pt"
    assert window.files.save_model(str(path))
    assert window.lessons.open("B")
    _nothing_of_a_run_shown(window)
    assert window.files.load_model(str(path))
    assert window.lessons.current is None
    assert not window.lessons.lesson_dock.isVisible()
    assert window.trained() is not None and window.trained()[0].data.name == "xor"
    assert window.title_label.text().strip() == "xor-mlp"


# -- item 5: added points block a dataset switch -----------------------------------------------------
def _click_points(qtbot, window, points: list[tuple[float, float, int]]) -> None:
    view = window.boundary
    for x, y, cls in points:
        view.set_chosen_class(cls)
        with qtbot.waitSignal(view.pointAdded, timeout=2000):
            qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=view.view_to_widget(x, y))
    window.revalidate()


def test_points_of_a_class_the_new_dataset_lacks_are_set_aside_and_come_back(qtbot, window):
    window.apply_experiment(load_preset("spiral"))
    window.plane_tabs.setCurrentWidget(window.boundary)
    qtbot.wait(50)
    _click_points(qtbot, window, [(0.3, -0.4, 0), (0.5, 0.2, 2), (-0.2, 0.3, 1), (0.1, 0.6, 2)])
    panel = window.dataset_panel
    assert len(window.current_experiment().data.extra_points) == 4

    panel.name.setCurrentIndex(panel.name.findData("circles"))     # as choosing it in the combo box does
    exp = window.revalidate()
    assert exp is not None, panel.error_text()                      # no dead end: Train stays possible
    assert window.train_action.isEnabled()
    assert [p[2] for p in exp.data.extra_points] == [0, 1]          # those that fit stay
    message = window.statusBar().currentMessage()
    assert "2 added points set aside" in message and "class 2 does not exist in Circles" in message, message
    assert "set aside" in panel.extra_label.text()
    assert len(window.boundary.user_points()) == 2

    panel.name.setCurrentIndex(panel.name.findData("spiral"))       # back: they return
    exp = window.revalidate()
    assert sorted(p[2] for p in exp.data.extra_points) == [0, 1, 2, 2]
    assert "back" in window.statusBar().currentMessage()
    assert panel.extra_label.text() == "4 points"


def test_a_dataset_without_a_plane_sets_every_point_aside_and_clear_drops_them(qtbot, window):
    window.apply_experiment(load_preset("spiral"))
    window.plane_tabs.setCurrentWidget(window.boundary)
    qtbot.wait(50)
    _click_points(qtbot, window, [(0.3, -0.4, 0), (0.5, 0.2, 1)])
    panel = window.dataset_panel
    for name in ("linear", "mnist", "xor"):
        panel.name.setCurrentIndex(panel.name.findData(name))
        exp = window.revalidate()
        assert exp is not None, (name, panel.error_text())
        assert len(exp.data.extra_points) == (2 if name == "xor" else 0), name
    panel.name.setCurrentIndex(panel.name.findData("mnist"))
    window.revalidate()
    assert panel.clear_extra.isEnabled()
    panel.clear_extra.click()
    panel.name.setCurrentIndex(panel.name.findData("spiral"))
    assert window.revalidate().data.extra_points == ()


# -- item 4: the MNIST folder is forgotten -----------------------------------------------------------
def _browse_to(monkeypatch, window, folder) -> None:
    """Press Browse… in the Dataset dock and choose `folder` in the (recorded) dialog."""
    from PySide6.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    window.dataset_panel.browse.click()
    window.revalidate()


def test_the_chosen_mnist_folder_survives_lessons_presets_and_a_restart(qtbot, window, monkeypatch, tmp_path):
    lessons = window.lessons
    assert lessons.open("C")
    chosen = tmp_path / "my-mnist"
    chosen.mkdir()
    _browse_to(monkeypatch, window, chosen)
    assert window.current_experiment().data.root == str(chosen)
    for step in (lambda: lessons.open("B"), lambda: window.load_lesson("spiral"), lambda: lessons.open("A1"),
                 lambda: window.load_lesson("mnist-deep"), lambda: lessons.open("C")):
        step()
        assert window.dataset_panel.root.text() == str(chosen)
    assert window.current_experiment().data.root == str(chosen)          # what the next MNIST Train reads
    window.apply_experiment(load_preset("mnist-mlp").with_overrides({"data.root": str(tmp_path)}))
    assert window.current_experiment().data.root == str(tmp_path)       # an experiment's own folder wins
    window.load_lesson("spiral")
    assert window.current_experiment().data.root is None                # made here: no folder in it

    from desktop.main_window import MainWindow
    again = MainWindow(restore_layout=False)                             # a restart
    qtbot.addWidget(again)
    try:
        again.load_lesson("mnist-mlp")
        assert again.current_experiment().data.root == str(chosen)
    finally:
        assert again.session.shutdown(30_000)
        again.close()


def test_the_sample_strip_follows_the_folder_chosen(qtbot, window, monkeypatch, mnist_root, tmp_path):
    nowhere = tmp_path / "default-data"
    nowhere.mkdir()
    monkeypatch.setenv("NEURAL_PLAYGROUND_DATA", str(nowhere))           # MNIST is not in the default folder
    assert window.lessons.open("C")
    ws = window.mnist
    window.tabs.setCurrentWidget(ws)
    qtbot.waitUntil(lambda: "not on this computer" in ws.samples.message(), timeout=30_000)
    _browse_to(monkeypatch, window, mnist_root)
    qtbot.waitUntil(lambda: len(ws.samples.labels()) == 20, timeout=60_000)
    assert ws.samples.message() == ""
