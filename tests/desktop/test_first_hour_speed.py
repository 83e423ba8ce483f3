"""Issue 19, item 11: the spiral trained in about a second, so "watch the boundary curling" was over
before one looked. The toolbar's Speed slows any run down to a few epochs a second, applies at once
(also to a running run), is remembered, and lessons start at a speed their run can be watched at."""
from __future__ import annotations

import time

from desktop import speed as speed_module
from desktop.training import wait_until
from trainer.events import EpochEnd


def test_slow_motion_then_max_on_the_spiral(qtbot, window):
    window.speed.set(10.0)                                   # the learner picks "10/s" on the toolbar
    assert window.speed.currentText() == "10/s"
    window.load_lesson("spiral")
    seen = []
    window.session.epochs.connect(seen.extend)
    assert window.train()
    qtbot.waitUntil(lambda: len(seen) >= 1, timeout=60_000)  # the run is going (the process may be warming)
    t0 = time.monotonic()
    wait_until(lambda: False, 1.0)
    arrived = len(seen)
    assert 2 <= arrived < 30, arrived                        # ~10 an epochs a second, not hundreds
    assert time.monotonic() - t0 < 5
    assert window.session.is_running()
    snapshots = []
    window.session.snapshot.connect(snapshots.append)
    wait_until(lambda: False, 0.6)
    assert len({s.epoch for s in snapshots}) >= 3            # the boundary follows each epoch shown
    with qtbot.waitSignal(window.session.finished, timeout=120_000) as blocker:
        window.speed.setCurrentIndex(window.speed.findText("Max"))   # then as fast as it goes: it finishes
    assert blocker.args[0].epochs_run > arrived
    assert all(isinstance(e, EpochEnd) for e in seen)


def test_the_speed_is_remembered_and_lessons_start_at_a_watchable_one(qtbot, window):
    window.speed.setCurrentIndex(window.speed.findText("5/s"))
    assert speed_module.remembered() == 5.0 and window.session.speed == 5.0
    window.lessons.actions["B"].trigger()                    # Lessons > B Spiral
    assert window.speed.currentText() == "30/s" and window.session.speed == 30.0
    window.lessons.actions["C"].trigger()                    # MNIST's epochs are slow enough: Max
    assert window.speed.currentText() == "Max" and window.session.speed is None
    window.speed.set(2.0)
    from desktop.main_window import MainWindow
    again = MainWindow()                                     # the next start
    qtbot.addWidget(again)
    assert again.speed.currentText() == "2/s" and again.session.speed == 2.0
    window.grab().save("/tmp/first-hour/item11-toolbar-speed.png")
