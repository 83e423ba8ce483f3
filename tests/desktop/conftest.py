"""Desktop tests run offscreen, with QSettings and the log redirected to a temporary folder.

Teardown waits for every training thread (as Vorta's tests wait for their workers),
so no test leaves a QThread running into the next one.
"""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_settings(tmp_path_factory):
    """Never read or write the real user's settings or log."""
    root = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(root))
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, str(root / "system"))
    os.environ["NEURAL_PLAYGROUND_LOG_DIR"] = str(tmp_path_factory.mktemp("logs"))
    yield root


@pytest.fixture(scope="session", autouse=True)
def _gc_on_gui_thread(qapp):
    """As the app does: cycles are collected on the GUI thread only, never on a training thread."""
    from desktop.app import collect_garbage_on_gui_thread
    collect_garbage_on_gui_thread()


@pytest.fixture(autouse=True)
def _clean_settings(_isolated_settings):
    """Each test starts from empty settings, as on a first launch."""
    from desktop import settings
    settings.store().clear()
    yield
    settings.store().clear()


@pytest.fixture(autouse=True)
def _no_thread_left(qapp):
    yield
    from desktop.session import running_threads, wait_until
    assert wait_until(lambda: running_threads() == 0, 30), "a training thread outlived its test"


@pytest.fixture
def train_window(qtbot):
    """train(window, exp=None): apply `exp` when given, press Train, return the run's Finished event
    once the window has drawn the end of the run (the diagram's last weights come a few ms later)."""
    def train(window, exp=None, timeout: int = 300_000):
        if exp is not None:
            window.apply_experiment(exp)
        with qtbot.waitSignal(window.session.finished, timeout=timeout) as blocker:
            assert window.train()
        qtbot.waitUntil(lambda: not window.session.is_running() and not window.diagram_pending(), timeout=timeout)
        return blocker.args[0]
    return train


@pytest.fixture
def session(qapp):
    from desktop.session import TrainingSession
    s = TrainingSession()
    yield s
    assert s.shutdown(30_000)


@pytest.fixture
def window(qapp, qtbot, monkeypatch):
    """The main window, shown offscreen; dialogs are recorded instead of blocking."""
    from desktop import dialogs
    from desktop.main_window import MainWindow
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text, details="": shown.append((title, text)))
    monkeypatch.setattr(dialogs, "show_info", lambda parent, title, text: shown.append((title, text)))
    from desktop import resources_dir
    qapp.setStyleSheet((resources_dir() / "style.qss").read_text(encoding="utf-8"))  # as the app looks
    w = MainWindow()
    w.dialogs_shown = shown
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    assert w.session.shutdown(30_000)
