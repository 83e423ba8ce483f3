"""A thread-safe remote for a running `train()`: stop, pause, resume, step one epoch."""
from __future__ import annotations

import threading
from typing import Callable


class Control:
    """Checked by the loop between batches; any thread may press the buttons.

    `before_pause` runs on the loop's thread just before it blocks on a pause (the training
    process sends what it has, so a paused window shows the current epoch).
    """

    def __init__(self, before_pause: Callable[[], None] | None = None) -> None:
        self._before_pause = before_pause
        self._stop = threading.Event()
        self._running = threading.Event()   # cleared while paused
        self._running.set()
        self._lock = threading.Lock()
        self._steps = 0                    # epochs still allowed before pausing again

    def stop(self) -> None:
        self._stop.set()
        self._running.set()                # wake a paused loop so it can see the stop

    def pause(self) -> None:
        with self._lock:
            self._steps = 0
            self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._steps = 0
            self._running.set()

    def step(self) -> None:
        """Run to the end of the current epoch, then pause.

        Pressed while paused between epochs, that is exactly one more epoch;
        pressed while paused mid-epoch (mini-batches), the rest of that epoch.
        """
        with self._lock:
            self._steps = 1
            self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait(self) -> bool:
        """Block while paused; True when the loop should stop."""
        if self._before_pause is not None and self.paused:
            self._before_pause()
        # Checking the stop flag in the loop too: a pause() pressed after stop() must not block forever.
        while not self._running.wait(0.05):
            if self._stop.is_set():
                return True
        return self._stop.is_set()

    def epoch_done(self) -> None:
        """Called by the loop after each epoch: an ordered step ends here."""
        with self._lock:
            if self._steps > 0:
                self._steps -= 1
                if self._steps == 0:
                    self._running.clear()
