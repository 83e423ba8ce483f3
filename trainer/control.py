"""A thread-safe remote for a running `train()`: stop, pause, resume, step one epoch, set the speed."""
from __future__ import annotations

import threading
import time
from typing import Callable


class Control:
    """Checked by the loop between batches; any thread may press the buttons.

    `before_pause` runs on the loop's thread just before it blocks on a pause or waits out a slow
    epoch (the training process sends what it has, so a paused or slowed window shows the current epoch).
    `speed` is at most how many epochs a second the loop runs (None: as fast as it can).
    """

    def __init__(self, before_pause: Callable[[], None] | None = None, speed: float | None = None) -> None:
        self._before_pause = before_pause
        self._stop = threading.Event()
        self._running = threading.Event()   # cleared while paused
        self._running.set()
        self._lock = threading.Lock()
        self._steps = 0                    # epochs still allowed before pausing again
        self._speed: float | None = None
        self._wake = threading.Event()     # any button: a slow epoch's wait looks again at once
        self._last_epoch: float | None = None   # when the current epoch's time slice began
        self.set_speed(speed)

    def stop(self) -> None:
        self._stop.set()
        self._running.set()                # wake a paused loop so it can see the stop
        self._wake.set()

    def pause(self) -> None:
        with self._lock:
            self._steps = 0
            self._running.clear()
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            self._steps = 0
            self._running.set()
        self._wake.set()

    def step(self) -> None:
        """Run to the end of the current epoch, then pause.

        Pressed while paused between epochs, that is exactly one more epoch;
        pressed while paused mid-epoch (mini-batches), the rest of that epoch.
        """
        with self._lock:
            self._steps = 1
            self._running.set()
        self._wake.set()

    def set_speed(self, epochs_per_s: float | None) -> None:
        """At most this many epochs a second from the next epoch on (None or <= 0: as fast as possible)."""
        with self._lock:
            self._speed = float(epochs_per_s) if epochs_per_s is not None and epochs_per_s > 0 else None
        self._wake.set()

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait(self) -> bool:
        """Block while paused; True when the loop should stop."""
        if self._last_epoch is None:   # the first epoch's time slice starts with its first batch
            self._last_epoch = time.perf_counter()
        if self._before_pause is not None and self.paused:
            self._before_pause()
        # Checking the stop flag in the loop too: a pause() pressed after stop() must not block forever.
        while not self._running.wait(0.05):
            if self._stop.is_set():
                return True
        return self._stop.is_set()

    def epoch_done(self) -> None:
        """Called by the loop after each epoch: an ordered step ends here; in slow motion the rest of
        the epoch's time slice is waited out here, and any button (stop, pause, step, a new speed)
        ends or shortens that wait at once."""
        with self._lock:
            if self._steps > 0:
                self._steps -= 1
                if self._steps == 0:
                    self._running.clear()
        self._slow_down()
        self._last_epoch = time.perf_counter()

    def _slow_down(self) -> None:
        if self._speed is None or self._last_epoch is None or self.paused or self.stopped:
            return
        if self._before_pause is not None:
            self._before_pause()   # this epoch's figures and picture go out now, not after the wait
        while True:
            speed = self._speed
            if speed is None or self.paused or self.stopped or self._steps:   # a step: its epoch now
                return
            left = self._last_epoch + 1.0 / speed - time.perf_counter()
            if left <= 0:
                return
            if self._wake.wait(left):
                self._wake.clear()
