"""The toolbar's Speed: slow motion for every run, down to a few epochs a second, up to Max.

The choice is a run command like Pause (TrainingClient.set_speed -> ("speed", value) -> the run's
Control, which waits out the rest of each epoch's time slice); it applies to the running run at
once and to every later one, and is kept in the settings. A lesson may start at its own speed
(desktop/lessons/catalog.py: Lesson.speed).
"""
from __future__ import annotations

import logging

from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from . import settings

log = logging.getLogger(__name__)

SPEEDS: tuple[float | None, ...] = (2.0, 5.0, 10.0, 30.0, 100.0, 300.0, None)   # epochs a second; None: Max
KEY = "training/speed"


def label(speed: float | None) -> str:
    return "Max" if speed is None else f"{speed:g}/s"


def remembered() -> float | None:
    """The speed of the last session (Max when none was chosen or the setting is damaged)."""
    text = settings.value(KEY, label(None))
    for speed in SPEEDS:
        if text == label(speed):
            return speed
    log.warning("ignored a damaged settings value %s=%r", KEY, text)
    return None


class SpeedControl(QComboBox):
    """Epochs a second at most, for the run going on and the next ones."""

    def __init__(self, toolbar: QToolBar, session) -> None:
        super().__init__()
        self.setObjectName("speed")
        self._session = session
        for speed in SPEEDS:
            self.addItem(label(speed), speed)
        self.setToolTip("How many epochs a second the training runs at most: slow motion to watch the "
                        "boundary and the curves change epoch by epoch, Max to train as fast as the "
                        "computer can. Applies at once, also to a running training.")
        self.setCurrentIndex(SPEEDS.index(remembered()))
        session.set_speed(self.speed())
        self.currentIndexChanged.connect(self._changed)
        toolbar.addWidget(QLabel("  Speed "))
        toolbar.addWidget(self)

    def speed(self) -> float | None:
        return SPEEDS[self.currentIndex()]

    def set(self, speed: float | None) -> None:
        """Choose `speed` (the nearest on the list), as if picked by hand."""
        if speed is None:
            self.setCurrentIndex(len(SPEEDS) - 1)
            return
        near = min((s for s in SPEEDS if s is not None), key=lambda s: abs(s - speed))
        self.setCurrentIndex(SPEEDS.index(near))

    def _changed(self, _index: int) -> None:
        speed = self.speed()
        self._session.set_speed(speed)
        settings.set_value(KEY, label(speed))


__all__ = ["SPEEDS", "SpeedControl", "label", "remembered"]
