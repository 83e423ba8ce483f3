"""Menus and toolbar pieces: an action with its icon, shortcut and tip; a menu from a list of entries."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

from . import resources_dir

# An entry of menu(): an action, a submenu as (title, entries), or None for a separator.
Entry = QAction | tuple[str, "Iterable[Entry]"] | None


def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg, or no icon when the file is missing."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def make_action(parent: QWidget, text: str, slot: Callable[[], Any], shortcut: Any = None, icon_name: str = "",
                tip: str = "") -> QAction:
    """An action on `parent` (so its shortcut works anywhere in it); the tooltip names the shortcut."""
    action = QAction(icon(icon_name) if icon_name else QIcon(), text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        shortcut_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shortcut_text})" if shortcut_text else tip)
        action.setStatusTip(tip)
    # Not connect(slot): PySide passes `checked` (False) to a slot with an optional first parameter,
    # and File > Open would then try to open the path False.
    action.triggered.connect(lambda _checked=False: slot())
    parent.addAction(action)
    return action


def group_end(menu: QMenu, next_group: QAction) -> QAction | None:
    """Where an entry goes to end the group above `next_group`: before the separator that precedes it."""
    actions = menu.actions()
    if next_group in actions:
        i = actions.index(next_group)
        return actions[i - 1] if i > 0 and actions[i - 1].isSeparator() else next_group
    return None


def menu(parent: QMenuBar | QMenu, title: str, entries: Iterable[Entry]) -> QMenu:
    """Add a menu to a menu bar (or a submenu to a menu) holding `entries` in order."""
    added = parent.addMenu(title)
    for entry in entries:
        if entry is None:
            added.addSeparator()
        elif isinstance(entry, tuple):
            menu(added, *entry)
        else:
            added.addAction(entry)
    return added


def toolbar(title: str, name: str, actions: Iterable[QAction]) -> QToolBar:
    """A fixed toolbar of text-beside-icon buttons."""
    bar = QToolBar(title)
    bar.setObjectName(name)
    bar.setMovable(False)
    bar.setIconSize(QSize(20, 20))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in actions:
        bar.addAction(action)
    return bar


__all__ = ["Entry", "icon", "make_action", "menu", "toolbar"]
