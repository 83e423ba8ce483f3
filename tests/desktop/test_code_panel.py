"""The Code side panel (the exported script, live) and File > Export as PyTorch script."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QFileDialog

from desktop.views.code_panel import CodePanel, PythonHighlighter
from trainer.config import ConfigError
from trainer.export import render_script
from trainer.presets import load_preset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def code(window, qtbot):
    """The window's Code panel, brought to the front of its dock tab group."""
    lessons = window.lessons
    qtbot.waitUntil(lambda: lessons.code_dock.isVisible(), timeout=5000)
    lessons.code_dock.raise_()
    qtbot.waitUntil(lambda: lessons.code_panel.is_seen(), timeout=5000)
    return lessons.code_panel


def test_the_code_dock_sits_behind_architecture_on_the_right(window, code):
    dock = window.lessons.code_dock
    assert dock.windowTitle() == "Code"
    assert window.dockWidgetArea(dock) == window.dockWidgetArea(window.architecture_dock)
    assert window.architecture_dock in window.tabifiedDockWidgets(dock)


def test_the_panel_shows_the_script_for_the_current_settings(window, code, qtbot):
    window.apply_experiment(load_preset("xor-mlp"))
    qtbot.waitUntil(lambda: code.text() == render_script(window.current_experiment()), timeout=5000)
    assert "nn.Linear(2, 4)" in code.text() and "optim.Adam" in code.text()
    assert "xor-mlp" in code.note.text()


def test_the_panel_follows_a_setting_change(window, code, qtbot):
    window.apply_experiment(load_preset("xor-mlp"))
    qtbot.waitUntil(lambda: "lr=0.01" in code.text(), timeout=5000)
    window.optimizer_panel.lr.setValue(0.05)                   # an edit in the Optimizer dock
    qtbot.waitUntil(lambda: "lr=0.05" in code.text(), timeout=5000)
    window.architecture_panel.select_layer(0)
    window.architecture_panel.units.setValue(7)                # and one in the Architecture dock
    qtbot.waitUntil(lambda: "nn.Linear(2, 7)" in code.text(), timeout=5000)
    assert code.text() == render_script(window.current_experiment())


def test_a_hidden_panel_renders_when_it_is_shown_again(window, code, qtbot):
    window.apply_experiment(load_preset("xor-mlp"))
    qtbot.waitUntil(lambda: "nn.Linear(2, 4)" in code.text(), timeout=5000)
    window.architecture_dock.raise_()                          # Code goes behind its tab
    qtbot.waitUntil(lambda: not code.is_seen(), timeout=5000)
    window.apply_experiment(load_preset("spiral"))
    qtbot.wait(600)                                            # past the debounce: nothing rendered unseen
    assert code.is_stale() and "nn.Linear(2, 4)" in code.text()
    window.lessons.code_dock.raise_()
    qtbot.waitUntil(lambda: code.text() == render_script(load_preset("spiral")), timeout=5000)


def test_copy_puts_the_whole_script_on_the_clipboard(window, code, qtbot):
    window.apply_experiment(load_preset("perceptron-and"))
    qtbot.waitUntil(lambda: "nn.Linear(2, 1)" in code.text(), timeout=5000)
    QGuiApplication.clipboard().clear()
    code.copy_button.click()
    assert QGuiApplication.clipboard().text() == render_script(load_preset("perceptron-and"))
    assert "Copied" in code.note.text()


def test_invalid_settings_keep_the_last_script_and_say_why(qtbot):
    current = {"exp": load_preset("xor-mlp")}

    def source():
        if current["exp"] is None:
            raise ConfigError("optim.lr", "must be > 0, got 0")
        return current["exp"]
    panel = CodePanel(source)
    qtbot.addWidget(panel)
    assert panel.refresh()
    good = panel.text()
    current["exp"] = None
    assert not panel.refresh()
    assert panel.text() == good
    assert "optim.lr: must be > 0" in panel.note.text()


def test_the_highlighter_colours_keywords_strings_comments_and_numbers(qtbot):
    panel = CodePanel(lambda: load_preset("xor-mlp"))
    qtbot.addWidget(panel)
    panel.editor.setPlainText('import torch  # a comment with "quotes"\n'
                              'x = "a # not a comment" + 42\n'
                              '"""doc\nstill doc"""\n'
                              'for i in range(3): pass\n')
    doc = panel.editor.document()

    def colour_at(line: int, column: int) -> QColor | None:
        block = doc.findBlockByNumber(line)
        for r in block.layout().formats():
            if r.start <= column < r.start + r.length:
                return r.format.foreground().color()
        return None
    styles = PythonHighlighter.STYLES
    assert colour_at(0, 0) == styles["keyword"].foreground().color()           # import
    assert colour_at(0, 16) == styles["comment"].foreground().color()          # the comment
    assert colour_at(0, 30) == styles["comment"].foreground().color()          # "quotes" inside it
    assert colour_at(1, 8) == styles["string"].foreground().color()            # '#' inside a string
    assert colour_at(1, 27) == styles["number"].foreground().color()           # 42
    assert colour_at(3, 2) == styles["string"].foreground().color()            # inside the docstring
    assert colour_at(4, 0) == styles["keyword"].foreground().color()           # for
    assert colour_at(4, 9) == styles["builtin"].foreground().color()           # range(
    assert colour_at(1, 0) is None                                             # a plain name


# -- File > Export as PyTorch script -------------------------------------------------------------
def test_file_export_writes_a_script_that_runs(window, tmp_path):
    window.apply_experiment(load_preset("xor-mlp"))
    window.optimizer_panel.epochs.setValue(200)                # a short run for the test
    target = tmp_path / "xor"
    written = window.lessons.export_script(target)
    assert written == tmp_path / "xor.py" and written.read_text() == render_script(window.current_experiment())
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.run([sys.executable, str(written)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["preset"] == "xor-mlp" and summary["epochs_run"] == 200
    assert summary["test_accuracy"] == 100.0


def test_the_menu_entry_asks_for_a_file_and_writes_it(window, tmp_path, monkeypatch):
    asked = []

    def fake_dialog(parent, caption, start, filters):
        asked.append((caption, start, filters))
        return str(tmp_path / "spiral_script.py"), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    window.apply_experiment(load_preset("spiral"))
    action = window.lessons.export_action
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert action in file_menu.actions()
    action.trigger()
    assert asked and asked[0][1].endswith("spiral.py") and "*.py" in asked[0][2]
    assert (tmp_path / "spiral_script.py").read_text() == render_script(load_preset("spiral"))
    assert window.dialogs_shown == []


def test_an_unwritable_place_is_a_dialog_not_a_traceback(window, tmp_path):
    window.apply_experiment(load_preset("xor-mlp"))
    assert window.lessons.export_script(tmp_path / "no" / "such" / "folder" / "x.py") is None
    (title, text), = window.dialogs_shown
    assert title == "Could not export the script" and "does not exist" in text
    assert not (tmp_path / "no").exists()


def test_reset_layout_puts_the_code_dock_back_behind_architecture(window, code, qtbot):
    lessons = window.lessons
    lessons.open("A2")
    lessons.code_dock.setFloating(True)
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    titles = [a.text() for a in view_menu.actions()]
    assert "Lesson" in titles and "Code" in titles
    next(a for a in view_menu.actions() if a.text() == "Reset layout").trigger()
    qtbot.waitUntil(lambda: lessons.code_dock.isVisible() and not lessons.code_dock.isFloating(), timeout=5000)
    assert window.architecture_dock in window.tabifiedDockWidgets(lessons.code_dock)
    assert not lessons.lesson_dock.isVisible()                  # back as on a first start
    lessons.open("A3")                                          # and a lesson brings it back, in its tab
    assert lessons.lesson_dock.isVisible()
    assert window.dataset_dock in window.tabifiedDockWidgets(lessons.lesson_dock)


def _dock_tab_bars(window) -> list[tuple[str, ...]]:
    from PySide6.QtWidgets import QTabBar
    return [tuple(bar.tabText(i) for i in range(bar.count())) for bar in window.findChildren(QTabBar)
            if bar.parent() is window and bar.isVisible() and bar.count()
            and window.rect().intersects(bar.geometry())]


def test_one_tab_bar_per_dock_group_and_the_layout_comes_back(window, code, qtbot):
    lessons = window.lessons
    lessons.open("A1")
    qtbot.wait(50)                                                # the dock layout settles
    bars = _dock_tab_bars(window)
    assert sorted(bars) == [("Architecture", "Code"), ("Dataset", "Lesson")]   # no stray copy mid-window
    window.close()                                                # remembers the layout

    from desktop.main_window import MainWindow
    again = MainWindow()
    qtbot.addWidget(again)
    again.resize(1280, 800)
    again.show()
    qtbot.waitExposed(again)
    qtbot.wait(100)
    try:
        assert again.lessons.lesson_dock.isVisible() and again.lessons.code_dock.isVisible()
        assert again.architecture_dock in again.tabifiedDockWidgets(again.lessons.code_dock)
        assert again.dataset_dock in again.tabifiedDockWidgets(again.lessons.lesson_dock)
        assert sorted(_dock_tab_bars(again)) == [("Architecture", "Code"), ("Dataset", "Lesson")]
    finally:
        assert again.session.shutdown(30_000)
