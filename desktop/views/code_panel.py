"""The "Code" side panel: the PyTorch script for the current settings, highlighted, with Copy.

The script is `trainer.export.render_script(experiment)`, the very text File >
Export writes. It follows the settings as they change, debounced so a slider
drag renders once at the end, and only while the panel can be seen (a hidden
panel, or one behind another dock's tab, is marked stale and renders when it
comes into view again).
"""
from __future__ import annotations

import keyword
import logging
import re
from typing import Callable

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QGuiApplication, QSyntaxHighlighter, QTextCharFormat,
                           QTextDocument)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from trainer.config import ConfigError, Experiment

log = logging.getLogger(__name__)

DEBOUNCE_MS = 300


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, builtins, numbers, strings (triple-quoted across lines too) and comments."""

    STYLES = {
        "keyword": _format("#0033b3", bold=True),
        "builtin": _format("#7a3e9d"),
        "number": _format("#1750eb"),
        "string": _format("#067d17"),
        "comment": _format("#8c8c8c", italic=True),
        "decorator": _format("#9e880d"),
        "self": _format("#94558d", italic=True),
    }
    BUILTINS = ("print", "range", "len", "sum", "min", "max", "float", "int", "str", "list", "dict", "tuple",
                "zip", "enumerate", "abs", "round", "isinstance", "open", "super", "sorted", "any", "all")
    _TRIPLE = re.compile(r'"""|\'\'\'')

    def __init__(self, document: QTextDocument):
        super().__init__(document)
        rules: list[tuple[str, str]] = [
            (r"\b(?:%s)\b" % "|".join(keyword.kwlist), "keyword"),
            (r"\b(?:%s)\b(?=\s*\()" % "|".join(self.BUILTINS), "builtin"),
            (r"\bself\b", "self"),
            (r"^\s*@[\w.]+", "decorator"),
            (r"\b(?:0[xX][0-9a-fA-F_]+|\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\b", "number"),
        ]
        self._rules = [(QRegularExpression(pattern), self.STYLES[name]) for pattern, name in rules]
        # Strings and comments are scanned together, left to right, so a '#' inside a string
        # is not a comment and a quote inside a comment is not a string.
        self._string_or_comment = re.compile(
            r"""(?P<string>[rbfRBF]{0,2}(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))|(?P<comment>\#.*)""")

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt name)
        for expression, fmt in self._rules:
            it = expression.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)
        self._strings_and_comments(text)

    def _strings_and_comments(self, text: str) -> None:
        """Single-line strings, comments and triple-quoted strings; state 1/2 = inside ''' / \"\"\"."""
        delimiters = {1: "'''", 2: '"""'}
        state = self.previousBlockState()
        pos = 0
        if state in delimiters:
            end = text.find(delimiters[state])
            if end < 0:
                self.setFormat(0, len(text), self.STYLES["string"])
                self.setCurrentBlockState(state)
                return
            self.setFormat(0, end + 3, self.STYLES["string"])
            pos = end + 3
        self.setCurrentBlockState(0)
        while pos < len(text):
            triple = self._TRIPLE.search(text, pos)
            single = self._string_or_comment.search(text, pos)
            if triple is not None and (single is None or triple.start() <= single.start()):
                quote = triple.group()
                end = text.find(quote, triple.end())
                if end < 0:
                    self.setFormat(triple.start(), len(text) - triple.start(), self.STYLES["string"])
                    self.setCurrentBlockState(1 if quote == "'''" else 2)
                    return
                self.setFormat(triple.start(), end + 3 - triple.start(), self.STYLES["string"])
                pos = end + 3
            elif single is not None:
                kind = "string" if single.group("string") is not None else "comment"
                self.setFormat(single.start(), single.end() - single.start(), self.STYLES[kind])
                if kind == "comment":
                    return
                pos = single.end()
            else:
                return


class CodePanel(QWidget):
    """Shows `render_script(source())`; `schedule()` after a settings change, `refresh()` to render now."""

    exportRequested = Signal()
    rendered = Signal(str)           # the new script text, after each render that changed it

    def __init__(self, source: Callable[[], Experiment], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("codePanel")
        self._source = source
        self._stale = True
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("codeEditor")
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF() - 1, 8))
        self.editor.setFont(font)
        self.editor.setTabStopDistance(4 * self.editor.fontMetrics().horizontalAdvance(" "))
        self.highlighter = PythonHighlighter(self.editor.document())
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the whole script to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.export_button = QPushButton("Save as…")
        self.export_button.setToolTip("Write the script to a .py file (File > Export as PyTorch script)")
        self.export_button.clicked.connect(self.exportRequested)
        self.note = QLabel("")
        self.note.setObjectName("codeNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        layout.addWidget(self.editor, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._render_if_seen)
        self._force_next = False

    # -- public --------------------------------------------------------------------------
    def schedule(self) -> None:
        """The settings changed: render once they have been still for DEBOUNCE_MS."""
        self._stale = True
        self._timer.start()

    def refresh(self) -> bool:
        """Render now, seen or not; False (and the reason shown) when the settings are not valid."""
        self._timer.stop()
        self._stale = False
        try:
            experiment = self._source()
            from trainer.export import render_script
            text = render_script(experiment)
        except ConfigError as exc:
            self._show_note(f"The settings are not valid yet ({exc}); the script below is for the last "
                            "valid ones.", dim=True)
            return False
        except Exception as exc:  # noqa: BLE001 -- the panel must never take the window down
            log.warning("could not render the script: %s", exc, exc_info=True)
            self._show_note(f"Could not write the script for these settings: {exc}", dim=True)
            return False
        name = experiment.name or "these settings"
        self._show_note(f"The script for {name}: run it with python; it repeats the app's run.", dim=False)
        if text != self.editor.toPlainText():
            bar = self.editor.verticalScrollBar()
            keep = bar.value()     # a setting changed: stay where the reader was
            self.editor.setPlainText(text)
            bar.setValue(min(keep, bar.maximum()))
            self.rendered.emit(text)
        return True

    def text(self) -> str:
        return self.editor.toPlainText()

    def copy(self) -> None:
        """Put the whole script on the clipboard (rendering first if it is stale)."""
        if self._stale:
            self.refresh()
        QGuiApplication.clipboard().setText(self.text())
        self._show_note("Copied the script to the clipboard.", dim=False)

    def is_stale(self) -> bool:
        return self._stale

    def on_shown(self, shown: bool = True) -> None:
        """The panel came into view (its dock's tab was chosen): catch up if settings changed meanwhile."""
        if shown and self._stale:
            self._timer.start(0)
            self._force_next = True

    # -- internals -------------------------------------------------------------------------
    def is_seen(self) -> bool:
        """On screen: shown, and not behind another dock's tab (Qt keeps those 'visible')."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def _render_if_seen(self) -> None:
        if self._force_next or self.is_seen():
            self.refresh()
        self._force_next = False

    def _show_note(self, text: str, dim: bool) -> None:
        self.note.setText(text)
        self.editor.setStyleSheet("QPlainTextEdit { color: #888; }" if dim else "")

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self.on_shown(True)


__all__ = ["CodePanel", "PythonHighlighter"]
