"""File > Export animation… (issue 16 item 6): the decision boundary over the recorded epochs as a GIF.

A short spiral run trained through the real window; the GIF is read back with PIL. Its first frame is
compared with what the window's own boundary view shows when the timeline is moved to the first epoch.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from desktop.timetravel.animation import (CAPTION_PX, HOLD_MS, MAX_FRAMES, FrameRenderer,
                                          frame_durations, plan, sample_epochs, to_pil)
from desktop.views.colors import class_color
from trainer.presets import load_preset
from trainer.timeline.runs import MAIN

EPOCHS = 12
TIMEOUT = 300_000


def _spiral(**overrides):
    return load_preset("spiral").with_overrides({"train.epochs": EPOCHS, **overrides})


def _frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as gif:
        out = []
        for i in range(gif.n_frames):
            gif.seek(i)
            out.append(np.asarray(gif.convert("RGB"), dtype=np.int16))
        return out


def _durations(path: Path) -> list[int]:
    with Image.open(path) as gif:
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
        return durations


def _grab(widget) -> np.ndarray:
    return np.asarray(to_pil(widget.grab().toImage()), dtype=np.int16)


def _scrub(window, qtbot, epoch: int) -> np.ndarray:
    """Move the timeline to `epoch`; the boundary plot as the window shows it then (grabbed at once: 40 ms
    later a plot wider than the picture redraws it for the plane in sight, as after a run)."""
    window.time_travel.bar.slider.setValue(epoch)
    seen = _grab(window.boundary.plot_widget)
    qtbot.waitUntil(lambda: not window.diagram_pending(), timeout=5_000)
    return seen


def test_the_frames_are_spread_over_the_run_and_last_5_to_8_seconds():
    assert sample_epochs(list(range(40))) == list(range(40))
    long = sample_epochs(list(range(912)))
    assert len(long) == MAX_FRAMES and long[0] == 0 and long[-1] == 911 and long == sorted(long)
    steps = np.diff(long)
    assert steps.min() >= 6 and steps.max() <= 7            # evenly: 911 / 149 epochs apart
    strided = [*range(0, 2000, 5), 1998, 1999]                # a spacing, and the best and last epochs kept
    picked = sample_epochs(strided)
    assert len(picked) == MAX_FRAMES and picked[0] == 0 and picked[-1] == 1999 and set(picked) <= set(strided)
    for n in (6, EPOCHS, 60, MAX_FRAMES):
        durations = frame_durations(n)
        assert len(durations) == n and durations[-1] == max(durations) >= HOLD_MS
        assert 5_000 <= sum(durations) <= 8_000, (n, sum(durations))
        assert all(d % 10 == 0 and d >= 40 for d in durations)   # GIF delays: hundredths, none a browser slows
    assert frame_durations(2) == [1000, HOLD_MS] and frame_durations(1) == [HOLD_MS] and frame_durations(0) == []
    assert sample_epochs([7]) == [7]


def test_the_gif_shows_the_boundary_of_each_recorded_epoch_as_the_window_does(window, qtbot, train_window,
                                                                              tmp_path):
    tt = window.time_travel
    action = tt.animation.action
    assert not action.isEnabled() and action.toolTip().startswith("Train a run first")
    assert action in window.file_menu.actions() and window.file_menu.toolTipsVisible()   # the menu says why
    train_window(window, _spiral())
    assert action.isEnabled()
    _scrub(window, qtbot, 5)
    shown, image = tt.shown(), window.boundary.image()

    plot = window.boundary.plot_widget
    size = (plot.width(), plot.height())
    written = tt.animation.export(tmp_path / "spiral", plot_size=size)   # the window's plot size: comparable
    assert written == tmp_path / "spiral.gif" and sorted(p.name for p in tmp_path.iterdir()) == ["spiral.gif"]
    assert "Exported the animation (12 frames" in window.statusBar().currentMessage()
    # What the window shows stayed as it was: the epoch, the picture.
    assert tt.shown() == shown == (MAIN, 5)
    np.testing.assert_array_equal(window.boundary.image(), image)

    frames = _frames(written)
    assert len(frames) == EPOCHS and frames[0].shape == (size[1] + CAPTION_PX, size[0], 3)
    durations = _durations(written)
    assert durations[-1] == max(durations) and 5_000 <= sum(durations) <= 8_000
    # Each epoch its own picture: consecutive frames differ, and the first from the last by far.
    assert all(np.abs(a - b).mean() > 0.05 for a, b in zip(frames, frames[1:]))

    # The first frame is the window's boundary at the first recorded epoch (dithered to 256 colours).
    first_seen = _scrub(window, qtbot, 0)
    last_seen = _scrub(window, qtbot, EPOCHS - 1)
    in_gif = frames[0][CAPTION_PX:]
    near, far = np.abs(in_gif - first_seen).mean(), np.abs(in_gif - last_seen).mean()
    assert near < 2.5 and far > 4 * near, (near, far)
    assert np.abs(frames[-1][CAPTION_PX:] - last_seen).mean() < 2.5
    for cls in range(3):   # the data points keep their colours exactly (256 colours hold the fades only roughly)
        fill = (first_seen == class_color(cls)).all(axis=2)
        assert fill.sum() > 1000 and (in_gif[fill] == class_color(cls)).all(), cls
    # ...and, before the palette, pixel for pixel the view's own drawing of that epoch.
    shots = plan(tt.tree, MAIN, tt.owner)
    assert [s.epoch for s in shots] == list(range(EPOCHS))
    assert [s.record for s in shots] == tt.tree[MAIN].history    # the caption's figures: that epoch's record
    renderer = FrameRenderer(plot_size=size)
    try:
        np.testing.assert_array_equal(np.asarray(to_pil(renderer.plot_image(shots[0])), dtype=np.int16),
                                      first_seen)
    finally:
        renderer.close()


def test_cancel_writes_nothing_and_keeps_the_file_there(window, qtbot, train_window, tmp_path):
    train_window(window, _spiral())
    tt = window.time_travel
    target = tmp_path / "old.gif"
    target.write_bytes(b"an earlier animation")
    pressed = []

    def press_cancel() -> None:   # as a click on the progress dialog's Cancel, once a few frames are drawn
        dialog = next((d for d in window.findChildren(QProgressDialog) if d.isVisible()), None)
        if dialog is None or dialog.value() < 3:
            QTimer.singleShot(1, press_cancel)
            return
        pressed.append(dialog.value())
        dialog.cancel()
    QTimer.singleShot(0, press_cancel)
    assert tt.animation.export(target) is None
    assert pressed and pressed[0] < EPOCHS
    assert sorted(tmp_path.iterdir()) == [target] and target.read_bytes() == b"an earlier animation"
    assert "nothing was written" in window.statusBar().currentMessage()
    assert tt.shown()[1] == -1   # still live


def test_a_bad_path_is_one_message_and_nothing_is_written(window, qtbot, train_window, tmp_path):
    train_window(window, _spiral())
    tt = window.time_travel
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    window.dialogs_shown.clear()
    assert tt.animation.export(a_file / "anim.gif") is None
    assert window.dialogs_shown == [("Could not export the animation",
                                     f"{a_file / 'anim.gif'}: {a_file} is a file, not a folder")]
    assert sorted(tmp_path.iterdir()) == [a_file]

    # A folder that cannot be written to. Root may write into a read-only folder: then /sys, which no one may
    # write to, and the failure comes from the write itself, after the frames are drawn.
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        folder = Path("/sys") if os.access(locked, os.W_OK) else locked
        window.dialogs_shown.clear()
        assert tt.animation.export(folder / "anim.gif") is None
        (title, text), = window.dialogs_shown
        assert title == "Could not export the animation" and text.startswith(f"{folder / 'anim.gif'}: ")
        assert "\n" not in text and ("denied" in text or "cannot be written" in text), text
        assert not (folder / "anim.gif").exists() and not list(folder.glob(".anim.*"))
    finally:
        locked.chmod(0o755)


def test_the_action_says_why_it_is_off_for_data_without_a_plane(window, train_window, tmp_path):
    exp = load_preset("linear-regression").with_overrides({"train.epochs": 3})
    train_window(window, exp)
    action = window.time_travel.animation.action
    assert window.time_travel.tree.epochs(MAIN) == [0, 1, 2]
    assert not action.isEnabled() and "two inputs" in action.toolTip()
    window.statusBar().clearMessage()
    assert window.time_travel.animation.export(tmp_path / "never.gif") is None
    assert "two inputs" in window.statusBar().currentMessage()
    assert list(tmp_path.iterdir()) == []
