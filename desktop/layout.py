"""Where the main window's docks sit: made so a panel scrolls rather than clips, the default
arrangement, the one saved at the last close (restored only when it leaves the views room), and
putting the default back, splitters included (View > Reset layout)."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QSplitter, QWidget

from . import settings

log = logging.getLogger(__name__)

MIN_WINDOW = (900, 560)    # a restored window smaller than this opens at the default size instead
MIN_CENTRAL = (360, 300)   # a restored dock arrangement leaving the views less than this is not kept


class DockLayout:
    """Makes a window's docks and keeps its default layout; saves and restores the user's."""

    def __init__(self, window: QMainWindow):
        self._window = window
        self._fit_on_show: list[tuple[QScrollArea, QWidget]] = []
        self._default: QByteArray | None = None
        self._splits: list[tuple[QSplitter, QWidget]] = []   # a dock's panel over the widget below it
        self._restored = False     # a saved arrangement was restored: checked once the window shows

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
            self._splits.append((split, panel))
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
        if self._restored:
            self._restored = False
            self._check_room()

    def _check_room(self) -> None:
        """A restored arrangement whose docks leave the views a strip goes back to the default."""
        central = self._window.centralWidget()
        if central is None or self._default is None:
            return
        if central.width() < MIN_CENTRAL[0] or central.height() < MIN_CENTRAL[1]:
            log.warning("the saved window layout left the views %d x %d px; using the default layout",
                        central.width(), central.height())
            self._window.restoreState(self._default, settings.LAYOUT_VERSION)

    def keep_default(self) -> None:
        """Remember the arrangement now as the one Reset layout goes back to."""
        self._default = self._window.saveState(settings.LAYOUT_VERSION)

    def restore(self) -> None:
        """The size, place and docks saved at the last close (a layout of another version is ignored)."""
        w = self._window
        geometry, state = settings.window_layout()
        if geometry is None or not w.restoreGeometry(geometry):
            w.resize(1280, 800)
            self._restore_state(state)
            return
        # On a screen smaller than MIN_WINDOW, a window filling 90% of it is as large as it can sanely be.
        screen = w.screen().availableGeometry() if w.screen() is not None else None
        least = MIN_WINDOW if screen is None else (min(MIN_WINDOW[0], int(screen.width() * 0.9)),
                                                   min(MIN_WINDOW[1], int(screen.height() * 0.9)))
        if w.width() < least[0] or w.height() < least[1]:
            log.warning("the saved window size %d x %d is too small; using the default size", w.width(), w.height())
            w.resize(1280, 800)
        self._restore_state(state)

    def _restore_state(self, state: QByteArray | None) -> None:
        w = self._window
        if state is not None:
            if w.restoreState(state, settings.LAYOUT_VERSION):
                self._restored = True
            else:
                log.warning("ignored a saved window layout that did not fit this version")

    def reset(self, docks: Iterable[QDockWidget]) -> None:
        """Back to the default arrangement, with these docks shown and docked, and the splitters' default sizes."""
        if self._default is not None:
            self._window.restoreState(self._default, settings.LAYOUT_VERSION)
        for dock in docks:
            dock.show()
            dock.setFloating(False)
        for split, panel in self._splits:     # the splitters too: restoreState leaves them as they are
            split.setSizes([panel.sizeHint().height(), 10_000])
        for split in self._window.findChildren(QSplitter):
            if callable(getattr(split, "reset_sizes", None)):   # e.g. the Playground's plane over its curves
                split.reset_sizes()

    def save(self) -> None:
        """Remember the size, place and docks for the next start."""
        w = self._window
        settings.save_window(w.saveGeometry(), w.saveState(settings.LAYOUT_VERSION))


__all__ = ["DockLayout"]
