"""The window's warm-up: a training process and torch imported on a helper thread, so the window
shows first and Train starts at once. (The app's own process still needs torch: the pad, the
lessons, checkpoints.)"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from . import process

log = logging.getLogger(__name__)


def start(torch_ready: bool, on_ready: Callable[[], None], parent: QObject) -> threading.Thread | None:
    """Warm up; call on_ready on the GUI thread when torch is imported. Returns the thread to join
    before exiting (exiting mid-import crashes the interpreter), or None when it ran here at once."""
    if torch_ready:   # imported already (a test, a benchmark): seconds at most once
        _prestart()
        _warm_torch()
        on_ready()
        return None
    done = threading.Event()

    def work() -> None:
        _prestart()
        try:
            _warm_torch()
        except Exception as exc:  # noqa: BLE001 -- reported when Train is pressed
            log.error("importing torch failed: %s", exc, exc_info=True)
        finally:
            done.set()

    thread = threading.Thread(target=work, name="np-torch-import", daemon=True)
    thread.start()
    poll = QTimer(parent)
    poll.setInterval(100)

    def check() -> None:
        if done.is_set():
            poll.stop()
            on_ready()

    poll.timeout.connect(check)
    poll.start()
    return thread


def _warm_torch() -> None:
    """Import what the first training needs: torch, the loop, and what the first optimizer imports.

    Creating an optimizer imports torch._dynamo (sympy and ~900 modules, seconds). Paid here, on the
    warm-up thread, it is neither in the first Train nor left outside gc.freeze() in torch_loaded(),
    where its ~150,000 objects would make every later full collection a 50 ms stall.
    """
    from trainer.remote import warm_up   # what the training process does first, too
    warm_up()


def _prestart() -> None:
    """A warm training process for the first Train; without one, runs train on a thread (logged)."""
    try:
        process.POOL.prestart()
    except OSError as exc:
        log.warning("could not start a training process yet (%s)", exc)
