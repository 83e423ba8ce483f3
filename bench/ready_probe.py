"""`python -m bench.ready_probe`: the app's own `desktop.app.main()`, watched for when Train would work.

bench/startup.py starts this instead of `python -m desktop` (the same main(), the same imports in
the same order, plus this module's few lines). It prints the app's {"window_shown_s": ...} line, then
{"ready": true} once, at the first frame the window paints after all of these hold:
  - torch is imported in the window's process (MainWindow.torch_loaded has run, Train is enabled);
  - the prestarted training process has answered: its "ready" message (sent when its own imports and
    first fused optimizer step are done, trainer/remote.py) is waiting on the link.
So a click on Train at that moment starts training at once. The bundle cannot be watched this way
(it is frozen); bench/startup.py reports its ready_s only if the app prints a ready_s line itself.
"""
from __future__ import annotations

import json
import sys

POLL_MS = 10


def _answered() -> bool:
    """Whether a warm training process has said "ready" (read without taking the message)."""
    from desktop.training.process import POOL
    with POOL._lock:   # noqa: SLF001 -- a probe: the pool has no public "is a child ready" question
        return any(p.alive() and p.conn.poll() for p in POOL._idle)  # noqa: SLF001


def _watch(window) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer

    class PaintAfterReady(QObject):
        armed = False

        def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
            if self.armed and event.type() == QEvent.Type.Paint:
                self.armed = False
                # After this paint event is handled: the frame is drawn.
                QTimer.singleShot(0, lambda: print(json.dumps({"ready": True}), flush=True))
            return False

    painted = PaintAfterReady(window)
    window.installEventFilter(painted)
    poll = QTimer(window)
    poll.setInterval(POLL_MS)

    def check() -> None:
        if window._torch_ready.is_set() and window.train_action.isEnabled() and _answered():  # noqa: SLF001
            poll.stop()
            painted.armed = True
            window.update()   # the frame that shows it: Train enabled, the status bar's "Ready"

    poll.timeout.connect(check)
    poll.start()


def main() -> int:
    from desktop import app, main_window
    shown = main_window.MainWindow.show

    def show_and_watch(self) -> None:
        shown(self)
        _watch(self)

    main_window.MainWindow.show = show_and_watch
    return app.main([])


if __name__ == "__main__":
    sys.exit(main())
