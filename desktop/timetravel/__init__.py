"""Time travel in the window (issue 16): the timeline bar under the views, scrubbing every view back to a
recorded epoch, and branching from it.

`install(window)` puts the bar under the workspace tabs (shown on the Playground and MNIST tabs, where
the training views are), adds Training > Branch from here (Ctrl+B) and File > Export animation… (the
boundary over the recorded epochs as a GIF: animation.py) and returns the TimeTravel controller.
"""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..actions import make_action
from ..views.timeline_bar import TimelineBar
from ..window_api import TimeTravelHost
from .animation import AnimationExport
from .controller import LIVE, TimeTravel

BRANCH_SHORTCUT = "Ctrl+B"


def install(window: TimeTravelHost) -> TimeTravel:
    """The bar under the tabs, the controller, and the menu entry; the window keeps the controller."""
    bar = TimelineBar()
    tabs = window.takeCentralWidget()   # not setCentralWidget alone: it would delete the tabs
    central = QWidget()
    central.setObjectName("workspaceArea")
    column = QVBoxLayout(central)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(tabs, 1)
    column.addWidget(bar)
    window.setCentralWidget(central)
    bar.attach_keys(window.playground)      # Left / Right step the timeline while the plane or curves have focus
    controller = TimeTravel(window, bar, window)
    controller.bar_host = central
    controller.action = make_action(window, "Branch from here…", controller.branch, BRANCH_SHORTCUT, "",
                                    "Train on from the epoch the timeline shows, with the settings in the "
                                    "docks (learning rate, optimizer, batch size, dropout, epochs, …)")
    controller.action.setEnabled(False)
    window.training_menu.addSeparator()
    window.training_menu.addAction(controller.action)
    controller.animation = AnimationExport(window, controller)   # File > Export animation…

    def follow_tab() -> None:
        bar.setVisible(window.tabs.currentWidget() in (window.playground, window.mnist))
    window.tabs.currentChanged.connect(lambda _index: follow_tab())
    follow_tab()
    return controller


__all__ = ["BRANCH_SHORTCUT", "LIVE", "TimeTravel", "install"]
