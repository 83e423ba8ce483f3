"""Desktop tests run offscreen, with QSettings and the log redirected to a temporary folder.

Teardown waits for every training thread (as Vorta's tests wait for their workers),
so no test leaves a thread running into the next one.
"""
from __future__ import annotations

import os
import textwrap

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
    from desktop.training import running_threads, wait_until
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
def pad(qtbot):
    """The drawing pad on its own, shown at the size it has in the MNIST tab."""
    from desktop.views.pad import DrawingPad
    p = DrawingPad()
    qtbot.addWidget(p)
    p.resize(760, 420)
    p.show()
    qtbot.waitExposed(p)
    return p


@pytest.fixture
def session(qapp):
    from desktop.training import TrainingClient
    s = TrainingClient()
    yield s
    assert s.shutdown(30_000)


@pytest.fixture
def child_train(monkeypatch, tmp_path_factory):
    """child_train(source): from now on runs train in fresh training processes whose
    `trainer.loop.train` is the `train` that `source` defines (it may call `real`, the loop's own).

    The replacement is installed by a sitecustomize.py on the child's PYTHONPATH, so the test drives
    the path the app ships (the client, the link, trainer.remote) with a fault only the child has.
    """
    from desktop.training import process
    pools = []

    def install(source: str) -> None:
        folder = tmp_path_factory.mktemp("child")
        (folder / "sitecustomize.py").write_text(
            "import numpy as np\nimport trainer.loop\nfrom trainer.events import *\nreal = trainer.loop.train\n"
            + textwrap.dedent(source) + "\ntrainer.loop.train = train\n", encoding="utf-8")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")])))
        pools.append(process.ProcessPool())   # no warm child without the replacement
        monkeypatch.setattr(process, "POOL", pools[-1])

    yield install
    for pool in pools:
        pool.close_all()


@pytest.fixture
def window(qapp, qtbot, monkeypatch):
    """The main window, shown offscreen; dialogs are recorded instead of blocking (questions answered yes)."""
    from desktop import dialogs
    from desktop.main_window import MainWindow
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text, details="": shown.append((title, text)))
    monkeypatch.setattr(dialogs, "show_info", lambda parent, title, text: shown.append((title, text)))
    # A question is recorded and answered with w.ask_answer (True: the first button, e.g. "Delete").
    monkeypatch.setattr(dialogs, "ask", lambda parent, title, text, yes, no: shown.append((title, text)) is None
                        and getattr(w, "ask_answer", True))
    from desktop import resources_dir
    style = (resources_dir() / "style.qss").read_text(encoding="utf-8")   # as the app looks
    if qapp.styleSheet() != style:   # setting it again re-polishes every widget alive: seconds, for nothing
        qapp.setStyleSheet(style)
    w = MainWindow()
    w.dialogs_shown = shown
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    assert w.session.shutdown(30_000)
    _delete_now(w)


def _delete_now(widget) -> None:
    """Destroy a closed window now. pytest-qt's deleteLater() waits for an event loop that a test without
    waits never runs, so closed windows piled up (~1,300 widgets each) and slowed every later one."""
    from PySide6.QtCore import QCoreApplication, QEvent
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
