"""Help > Guide, Help > Keyboard shortcuts (read from the actions themselves), and a line on each view."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QTextBrowser

from desktop.guide import VIEW_LINES, shortcuts


def _help_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")


def _open(window, text: str) -> str:
    """Trigger the Help entry `text` as a click would; the page it opened, as plain text."""
    entry = next(a for a in _help_menu(window).actions() if a.text() == text)
    entry.trigger()
    QApplication.processEvents()
    pages = [d for d in window.findChildren(QDialog) if d.objectName() == "helpDocument" and d.isVisible()]
    assert pages, text
    page = pages[-1].findChild(QTextBrowser).toPlainText()
    pages[-1].close()
    return page


def test_help_holds_guide_shortcuts_and_about(window):
    texts = [a.text() for a in _help_menu(window).actions() if not a.isSeparator()]
    assert texts == ["&Guide", "&Keyboard shortcuts", "&About Neural Playground"]
    guide = next(a for a in _help_menu(window).actions() if a.text() == "&Guide")
    assert guide.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)


def test_the_guide_says_what_each_view_shows(qtbot, window):
    page = _open(window, "&Guide")
    for title, line in VIEW_LINES.values():
        assert title in page and line in page


def test_each_view_says_what_it_shows(window):
    for name, (title, line) in VIEW_LINES.items():
        view = getattr(window, name)
        assert line in view.toolTip().replace("&amp;", "&") and view.whatsThis() == line, name


def test_the_shortcuts_page_is_generated_from_the_actions(qtbot, window):
    page = _open(window, "&Keyboard shortcuts")
    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(with_keys) >= 5
    for action in with_keys:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys in page and action.text().replace("&", "") in page, action.text()
    # change a key: the page follows, as nothing is typed twice
    window.train_action.setShortcut(QKeySequence("Ctrl+Shift+T"))
    assert ("Ctrl+Shift+T", window.train_action.text().replace("&", "")) in shortcuts(window.findChildren(QAction))
    assert "Ctrl+Shift+T" in _open(window, "&Keyboard shortcuts")
