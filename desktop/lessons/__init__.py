"""The Lessons menu (mini-projects A, B and C of the seed), the Code panel and the script export.

`install(window)` hooks them into a MainWindow and returns the LessonController.
"""
from __future__ import annotations

from .catalog import LESSONS, Lesson, lesson


def install(window):
    """Add the lesson entries, the Lesson and Code docks and File > Export as PyTorch script."""
    from .controller import LessonController
    return LessonController(window)


__all__ = ["install", "LESSONS", "Lesson", "lesson"]
