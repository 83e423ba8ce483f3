"""The window's warm-up: a training process and torch imported on a helper thread, so the window
shows first and Train starts at once. (The app's own process still needs torch: the pad, the
lessons, checkpoints.)

The training process is started first, as the app starts (`prestart_soon`): its imports (torch,
then what the first optimizer step imports, ~4 s here) then run on the other core while the window
builds. The window's own process says it is ready once torch is imported, and imports what an
optimizer step needs afterwards: only the lessons that train in the window's process step an
optimizer there, and the training process already has it for Train.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from . import process

log = logging.getLogger(__name__)

POLL_MS = 50   # how often the GUI thread looks whether the helper thread got further


def prestart_soon() -> None:
    """Start the first training process now, on a helper thread (spawning and connecting take a while)."""
    threading.Thread(target=_prestart, name="np-prestart", daemon=True).start()


def start(torch_ready: bool, on_ready: Callable[[], None], on_warm: Callable[[], None],
          parent: QObject) -> threading.Thread | None:
    """Warm up; on the GUI thread, call on_ready once torch is imported and on_warm once the first
    optimizer step's imports are done too. Returns the thread to join before exiting (exiting
    mid-import crashes the interpreter), or None when it all ran here at once."""
    from trainer.remote import first_optimizer_step, import_torch
    if torch_ready:   # imported already (a test, a benchmark): seconds at most once
        _prestart()
        import_torch()
        first_optimizer_step()
        on_ready()
        on_warm()
        return None
    prestart_soon()
    stages = [threading.Event(), threading.Event()]

    def work() -> None:
        try:
            for stage, step in zip(stages, (import_torch, first_optimizer_step)):
                step()
                stage.set()
        except Exception as exc:  # noqa: BLE001 -- reported when Train is pressed
            log.error("importing torch failed: %s", exc, exc_info=True)
        finally:
            for stage in stages:
                stage.set()

    thread = threading.Thread(target=work, name="np-torch-import", daemon=True)
    thread.start()
    pending = list(zip(stages, (on_ready, on_warm)))
    poll = QTimer(parent)
    poll.setInterval(POLL_MS)

    def check() -> None:
        while pending and pending[0][0].is_set():
            pending.pop(0)[1]()
        if not pending:
            poll.stop()

    poll.timeout.connect(check)
    poll.start()
    return thread


def _prestart() -> None:
    """A warm training process for the first Train; without one, runs train on a thread (logged)."""
    try:
        process.POOL.prestart()
    except OSError as exc:
        log.warning("could not start a training process yet (%s)", exc)
