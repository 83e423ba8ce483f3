"""The lesson panel: the lesson's title, what to watch for, and its live widget (read-outs, truth table)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from .catalog import Lesson


class LessonPanel(QWidget):
    """Shown in the Lesson dock; `show_lesson` swaps in a lesson's text and live widget."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.title = QLabel("")
        self.title.setObjectName("lessonTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.live_box = QFrame()
        self.live_box.setObjectName("lessonLive")
        self.live_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.live_layout = QVBoxLayout(self.live_box)
        self.live_layout.setContentsMargins(6, 6, 6, 6)
        self.live_box.hide()
        self.text = QLabel("")
        self.text.setObjectName("lessonText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.live_box)     # the numbers first: they are what changes
        layout.addWidget(self.text)
        layout.addStretch(1)
        self.lesson: Lesson | None = None
        self.live: QWidget | None = None
        self.show_lesson(None)

    def adopt(self, widget: QWidget) -> None:
        """Take a lesson's live widget into the panel, hidden until its lesson is shown."""
        if self.live_layout.indexOf(widget) < 0:
            self.live_layout.addWidget(widget)
        widget.setVisible(widget is self.live)

    def show_lesson(self, lesson: Lesson | None, live: QWidget | None = None) -> None:
        """Show a lesson's text, with its live widget (read-outs, truth table) above it.

        A live widget is adopted once and then only hidden or shown: a QWidget must always
        have a parent here, or Python owns it and the garbage collector may destroy it on
        whatever thread happens to run a collection (a training thread: a crash).
        """
        self.lesson = lesson
        if live is not None:
            self.adopt(live)
        for i in range(self.live_layout.count()):
            widget = self.live_layout.itemAt(i).widget()
            if widget is not None:
                widget.setVisible(widget is live)
        self.live = live
        self.live_box.setVisible(live is not None)
        if lesson is None:
            self.title.setText("Lessons")
            self.text.setText("<p>Choose a lesson in the <b>Lessons</b> menu: each loads its settings, "
                              "opens the views it needs and says here what to watch for.</p>")
        else:
            self.title.setText(lesson.label)
            self.text.setText(lesson.text.strip())

    def plain_text(self) -> str:
        """The lesson's words without markup (for tests and screen readers)."""
        from PySide6.QtGui import QTextDocument
        doc = QTextDocument()
        doc.setHtml(self.text.text())
        return f"{self.title.text()}\n{doc.toPlainText()}"


__all__ = ["LessonPanel"]
