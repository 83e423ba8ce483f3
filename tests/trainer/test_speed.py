"""Slow motion (issue 19, item 11): Control.set_speed caps the epochs a second, and a slow epoch's
wait never delays a stop, a pause or a step. Timings are loose: the machines are noisy."""
from __future__ import annotations

import threading
import time

from trainer.config import DataSpec, Experiment, ModelSpec, TrainSpec
from trainer.control import Control
from trainer.events import EpochEnd, Snapshot
from trainer.loop import train
from trainer.pacing import WINDOW


def _epochs_done_in(control: Control, seconds: float) -> int:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        control.epoch_done()
        n += 1
    return n


def test_the_speed_caps_epochs_per_second():
    assert _epochs_done_in(Control(speed=10), 1.0) <= 13          # ~11: the first epoch is not held back
    assert _epochs_done_in(Control(), 0.05) > 1000                # None: as fast as possible
    control = Control(speed=5)
    control.epoch_done()
    control.set_speed(None)                                       # Max from now on
    assert _epochs_done_in(control, 0.05) > 1000


def _blocked_epoch(control: Control) -> threading.Thread:
    """An epoch_done() waiting out a 5-second time slice, on its own thread."""
    control.epoch_done()
    thread = threading.Thread(target=control.epoch_done, daemon=True)
    thread.start()
    time.sleep(0.1)
    assert thread.is_alive()
    return thread


def test_stop_pause_step_and_a_new_speed_end_a_slow_wait_at_once():
    for press in (Control.stop, Control.pause, Control.step, lambda c: c.set_speed(None),
                  lambda c: c.set_speed(1000.0)):
        control = Control(speed=0.2)
        thread = _blocked_epoch(control)
        t0 = time.perf_counter()
        press(control)
        thread.join(2.0)
        assert not thread.is_alive()
        assert time.perf_counter() - t0 < 1.0


def test_a_slow_run_sends_its_epochs_as_they_come_with_a_boundary_for_each():
    """In slow motion the loop sends each epoch before it waits (before_pause flushes) and every epoch
    shown gets its picture."""
    sent: list[float] = []
    exp = Experiment(data=DataSpec(name="moons", n_samples=100), model=ModelSpec(),
                     train=TrainSpec(epochs=6))
    control = Control(before_pause=lambda: sent.append(time.perf_counter()), speed=10)
    t0 = time.perf_counter()
    events = list(train(exp, control, WINDOW))
    assert time.perf_counter() - t0 >= 0.4                         # 6 epochs at 10 a second: ~0.5 s
    epochs = [e.epoch for e in events if isinstance(e, EpochEnd)]
    pictures = {e.epoch for e in events if isinstance(e, Snapshot)}
    assert epochs == list(range(6)) and set(epochs) <= pictures
    assert len(sent) >= 5                                          # flushed before each wait
