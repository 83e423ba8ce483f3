"""Message boxes: errors (with details folded away), information, About.

Everything goes through these functions so tests can replace them and never block.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout, QWidget

from . import __version__, log_file

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A modal error box; `details` (e.g. a traceback) sits behind 'Show Details…'."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def ask(parent: QWidget | None, title: str, text: str, yes: str, no: str) -> bool:
    """A question with two answers, each a button with its own words; True when `yes` was chosen."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes_button


def show_document(parent: QWidget | None, title: str, html: str) -> QDialog:
    """A scrollable page of rich text (Help's Guide, the shortcuts) beside the window, not blocking it."""
    box = QDialog(parent)
    box.setObjectName("helpDocument")
    box.setWindowTitle(title)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    browser = QTextBrowser(box)
    browser.setOpenExternalLinks(True)
    browser.setHtml(html)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, box)
    buttons.rejected.connect(box.close)
    layout = QVBoxLayout(box)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    box.resize(560, 620)
    box.show()   # not exec(): the guide can stay open while the user looks at the views it explains
    return box


def about_text() -> str:
    return (f"<h3>Neural Playground {__version__}</h3>"
            "<p>Build a small neural network, train it with real PyTorch and watch it learn: "
            "live curves, the decision boundary, what each neuron sees.</p>"
            "<p>Made from the lesson <i>PyTorch: an introduction</i> (mini-projects A, B and C). "
            "Inspired by TensorFlow Playground, ConvNetJS and MATLAB's training-progress plot.</p>"
            f"<p>Log file: <code>{log_file()}</code></p>")


def about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About Neural Playground", about_text())
