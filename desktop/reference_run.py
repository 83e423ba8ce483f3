"""The normal run beside a mistake: when the window trains with a mistake made on purpose
(train.mistake, the Optimizer dock's "Common mistakes"), the same settings without it train too, and
the curves draw them grey under the mistaken run's own.

The normal run is a run like any other: its own TrainingClient (the one client path) sends it to a
training process, where trainer.loop.train runs it, headless (no pictures), at full speed, beside the
window's run. Its epochs go to CurvesView.set_reference. It is kept for the settings it trained, so
training the same mistake again, or another mistake of the same settings, shows it at once.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, QObject

from trainer.config import Experiment
from trainer.events import EpochEnd, Finished, Started
from trainer.mistakes import NONE, without_mistake
from trainer.pacing import HEADLESS

from .training import TrainingClient
from .views.curves import CurvesView

log = logging.getLogger(__name__)


class ReferenceRun(QObject):
    """Trains the normal run of a mistaken run's settings, and hands its curves to the curves view."""

    def __init__(self, session: TrainingClient, curves: CurvesView, window: QObject):
        super().__init__(window)
        self.session, self.curves = session, curves
        self.client = TrainingClient(self, pacing=HEADLESS)
        self.client.record_bytes = 0              # only its curve is drawn: nothing to scrub or branch
        self._key: Experiment | None = None      # the normal experiment trained (or training) here
        self._records: list[dict[str, Any]] = []
        self._done = False
        session.started.connect(self._on_session_started)
        self.client.epochs.connect(self._on_epochs)
        self.client.finished.connect(self._on_finished)
        self.client.failed.connect(lambda message: log.warning("the normal run beside a mistake failed: %s", message))
        window.installEventFilter(self)          # the window closing stops the normal run too

    def is_running(self) -> bool:
        return self.client.is_running()

    def _on_session_started(self, _ev: Started) -> None:
        exp = self.session.experiment
        if exp is None or exp.train.mistake == NONE.key:
            return
        normal = without_mistake(exp)
        if normal == self._key and (self._done or self.client.is_running()):
            self.curves.set_reference(normal, self._records, self._done)   # trained already, or on its way
            return
        self.client.shutdown()
        self._key, self._records, self._done = normal, [], False
        self.curves.set_reference(normal, [])
        self.client.start(normal)

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        self._records.extend(ev.as_record() for ev in evs)
        self._show()

    def _on_finished(self, ev: Finished) -> None:
        self._records = list(ev.history)          # the record, whatever a frame may have coalesced
        self._done = True
        self._show()

    def _show(self) -> None:
        if self.curves.reference_key() == self._key:   # the curves still show these settings' mistake
            self.curves.set_reference(self._key, self._records, self._done)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Close:
            self.client.shutdown()
        return False


__all__ = ["ReferenceRun"]
