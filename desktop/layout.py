"""Where the main window's docks sit: made so a panel scrolls rather than clips, the default
arrangement, the one saved at the last close, and putting the default back (View > Reset layout)."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QSplitter, QWidget

from . import settings

log = logging.getLogger(__name__)


class DockLayout:
    """Makes a window's docks and keeps its default layout; saves and restores the user's."""

    def __init__(self, window: QMainWindow):
        self._window = window
        self._fit_on_show: list[tuple[QScrollArea, QWidget]] = []
        self._default: QByteArray | None = None

    def dock(self, title: str, panel: QWidget, name: str, area: Qt.DockWidgetArea,
             below: QWidget | None = None) -> QDockWidget:
        """A movable, floatable dock; the panel scrolls rather than clips, `below` shares the dock under it."""
        dock = QDockWidget(title, self._window)
        dock.setObjectName(f"{name}Dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(panel.minimumSizeHint().width() + 14)   # never clip a field sideways
        if below is None:
            dock.setWidget(scroll)
        else:
            split = QSplitter(Qt.Orientation.Vertical)
            split.setObjectName(f"{name}Split")
            split.setChildrenCollapsible(False)
            split.addWidget(scroll)
            split.addWidget(below)
            split.setStretchFactor(0, 0)
            split.setStretchFactor(1, 1)
            split.setSizes([panel.sizeHint().height(), 10_000])
            self._fit_on_show.append((scroll, panel))
            dock.setWidget(split)
        self._window.addDockWidget(area, dock)
        return dock

    def fit_panels(self) -> None:
        """Once the window is shown and the labels have wrapped at their real width: show each panel
        that shares its dock whole (up to 460 px), the widget below it takes the rest."""
        for scroll, panel in self._fit_on_show:
            scroll.setMinimumHeight(min(panel.sizeHint().height() + 2, 460))
        self._fit_on_show.clear()

    def keep_default(self) -> None:
        """Remember the arrangement now as the one Reset layout goes back to."""
        self._default = self._window.saveState(settings.LAYOUT_VERSION)

    def restore(self) -> None:
        """The size, place and docks saved at the last close (a layout of another version is ignored)."""
        w = self._window
        geometry, state = settings.window_layout()
        if geometry is None or not w.restoreGeometry(geometry):
            w.resize(1280, 800)
        if state is not None and not w.restoreState(state, settings.LAYOUT_VERSION):
            log.warning("ignored a saved window layout that did not fit this version")

    def reset(self, docks: Iterable[QDockWidget]) -> None:
        """Back to the default arrangement, with these docks shown and docked."""
        if self._default is not None:
            self._window.restoreState(self._default, settings.LAYOUT_VERSION)
        for dock in docks:
            dock.show()
            dock.setFloating(False)

    def save(self) -> None:
        """Remember the size, place and docks for the next start."""
        w = self._window
        settings.save_window(w.saveGeometry(), w.saveState(settings.LAYOUT_VERSION))


__all__ = ["DockLayout"]
