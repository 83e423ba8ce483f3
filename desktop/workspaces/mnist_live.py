"""The MNIST tab's live curves: loss and accuracy of an MNIST run, epoch by epoch, on the tab where
the learner is looking (lesson C says "watch accuracy climbing"; the Playground's curves are on the
other tab). The same CurvesView as the Playground's, fed by the same session signals; it appears when
the first MNIST run starts and keeps the last MNIST run's curves until the next one starts.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..views.curves import CurvesView

HEIGHT = 300   # two small plots: enough to read the trend, the results below keep their room
# ...and as little as this where the window is short (1280x800 with the timeline bar): at a fixed 300 px
# the tab's minimum height (756 px) made the window grow past an 800 px screen after an MNIST run.
MIN_HEIGHT = 200


class LiveCurves(QWidget):
    """Loss and accuracy of the MNIST run going on (or the last one), compact."""

    def __init__(self, session, is_mnist_run: Callable[[], bool], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mnistLiveCurves")
        self._session = session
        self._is_mnist_run = is_mnist_run
        self._live = False          # the session's run is an MNIST run: its events go to the curves
        self.curves = CurvesView()
        caption = QLabel("<b>Training: loss and accuracy per epoch</b> (train and validation)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(self.curves, 1)
        self.setMinimumHeight(MIN_HEIGHT)
        self.setMaximumHeight(HEIGHT)
        self.hide()                 # until the first MNIST run starts
        session.started.connect(self._on_started)
        session.epochs.connect(lambda evs: self._live and self.curves.on_epochs(evs))
        session.newBest.connect(lambda ev: self._live and self.curves.on_new_best(ev))
        session.finished.connect(lambda ev: self._live and self.curves.on_finished(ev))
        session.ended.connect(self._on_ended)

    def _on_started(self, ev) -> None:
        # A branch's run (it starts at a later epoch) is drawn over its parent's by the timeline (desktop/timetravel).
        self._live = self._is_mnist_run() and not getattr(ev, "start_epoch", 0)
        if self._live:
            self.curves.reset(self._session.experiment)
            self.curves.on_started(ev)
            self.show()

    def _on_ended(self) -> None:
        self._live = False


__all__ = ["LiveCurves"]
