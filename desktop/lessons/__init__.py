"""The Lessons menu (mini-projects A, B and C of the seed), the Code panel and the script export.

`install(window)` hooks them into a MainWindow and returns the LessonController.
"""
from __future__ import annotations

from .catalog import LESSONS, Lesson, lesson


def install(window):
    """Add the lesson entries, the Lesson and Code docks and File > Export as PyTorch script."""
    from .controller import LessonController
    controller = LessonController(window)
    from .convolution import install as install_convolution
    install_convolution(controller, window)      # lesson D's Convolution tab
    for entry in LESSONS:   # a lesson starts at a speed its run can be watched at (the toolbar's Speed)
        controller.actions[entry.key].triggered.connect(
            lambda _=False, e=entry: controller.current is e and window.speed.set(e.speed))
    from .autograd import install as install_autograd
    controller.autograd = install_autograd(window)   # Lessons > Part I: autograd (its Autograd tab)
    # Part I has no text of its own in the Lesson dock: the last lesson's text would describe other settings
    controller.autograd.action.triggered.connect(lambda _=False: controller.close_lesson())
    return controller


__all__ = ["install", "LESSONS", "Lesson", "lesson"]
