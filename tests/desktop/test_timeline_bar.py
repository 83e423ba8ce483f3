"""The timeline bar (issue 16) on its own, driven as a user drives it: mouse, keys, buttons, the list.

The epochs are a large run's as the recorder keeps them: every 5th, plus an off-stride best epoch (47).
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSlider, QToolButton, QVBoxLayout, QWidget

from desktop.views.curves import CurvesView
from desktop.views.timeline_bar import NOTHING_RECORDED, REPLAY_LABEL, SPEEDS, TimelineBar

RECORDED = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 47, 50, 55, 60]


@pytest.fixture
def bar(qtbot) -> TimelineBar:
    b = TimelineBar()
    qtbot.addWidget(b)
    b.resize(800, b.sizeHint().height())
    b.show()
    qtbot.waitExposed(b)
    return b


class Signals:
    """Every signal the bar emits, in order, as (name, value)."""

    def __init__(self, bar: TimelineBar):
        self.got: list[tuple[str, object]] = []
        for name in ("epochChanged", "liveChanged", "branchRequested", "branchSelected", "branchDeleted"):
            getattr(bar, name).connect(lambda value, n=name: self.got.append((n, value)))

    def of(self, name: str) -> list:
        return [v for n, v in self.got if n == name]


def _x_of(bar: TimelineBar, epoch: int) -> int:
    """The slider's x (in its own pixels) where `epoch` lies along the groove."""
    s = bar.slider
    handle = 12   # about the handle's width: the groove's ends are half a handle in
    return round(handle / 2 + (epoch - s.minimum()) / (s.maximum() - s.minimum()) * (s.width() - handle))


def test_nothing_recorded_disables_the_bar_and_says_why(bar):
    assert bar.epoch_label.text() == NOTHING_RECORDED
    for control in (bar.play_button, bar.speed_box, bar.slider, bar.branch_button):
        assert not control.isEnabled()
    assert not bar.branch_box.isVisible() and not bar.live_button.isVisible()
    assert NOTHING_RECORDED in bar.toolTip()
    bar.set_epochs(RECORDED)
    assert all(c.isEnabled() for c in (bar.play_button, bar.speed_box, bar.slider, bar.branch_button))
    assert bar.epoch() == 60 and bar.epoch_label.text() == "epoch 60 / 60"
    bar.set_epochs([])
    assert bar.epoch() is None and not bar.slider.isEnabled() and bar.epoch_label.text() == NOTHING_RECORDED


def test_the_bar_is_one_compact_row_and_every_control_says_what_it_does(bar):
    bar.set_epochs(RECORDED)
    bar.set_training(True)
    bar.set_branches([("run", "the run"), ("b1", "lr 0.01 -> 0.001 from epoch 10")])
    assert bar.sizeHint().height() <= 32 and bar.height() <= 32
    # Under the curves it never makes the pane (and the window) wider than the curves already need.
    assert bar.minimumSizeHint().width() <= CurvesView().minimumSizeHint().width()
    controls = [w for w in bar.findChildren(QWidget) if isinstance(w, (QToolButton, QComboBox, QSlider, QLabel))]
    assert len(controls) >= 8
    assert [c.objectName() for c in controls if c.isVisible() and not c.toolTip()] == []


def test_dragging_the_slider_stops_only_on_recorded_epochs(qtbot, bar):
    bar.set_epochs(RECORDED)
    bar.set_epoch(0)
    signals = Signals(bar)
    s = bar.slider
    y = s.height() // 2
    qtbot.mousePress(s, Qt.MouseButton.LeftButton, pos=QPoint(_x_of(bar, 0), y))
    for epoch in (3, 12, 33, 46, 52):
        qtbot.mouseMove(s, QPoint(_x_of(bar, epoch), y))
        assert s.value() in RECORDED and bar.epoch() == s.value()
    qtbot.mouseRelease(s, Qt.MouseButton.LeftButton, pos=QPoint(_x_of(bar, 52), y))
    moved = signals.of("epochChanged")
    assert moved and all(e in RECORDED for e in moved) and moved[-1] == bar.epoch()
    assert bar.epoch() in (50, 55) and bar.epoch_label.text() == f"epoch {bar.epoch()} / 60"
    # A click on the groove goes to the recorded epoch nearest to it (not one page as Qt's slider does).
    qtbot.mouseClick(s, Qt.MouseButton.LeftButton, pos=QPoint(_x_of(bar, 21), y))
    assert bar.epoch() in (20, 25) and signals.of("epochChanged")[-1] == bar.epoch()


def test_snapping_picks_the_nearest_recorded_epoch(bar):
    bar.set_epochs(RECORDED)
    assert [bar.slider.nearest(e) for e in (-3, 2, 3, 46, 48, 49, 99)] == [0, 0, 5, 45, 47, 50, 60]
    signals = Signals(bar)
    bar.set_epoch(44)                 # what the owner sets is snapped too, and not echoed back
    assert bar.epoch() == 45 and bar.slider.value() == 45 and signals.got == []


def test_left_right_home_end_step_one_recorded_epoch(qtbot, bar):
    bar.set_epochs(RECORDED)
    bar.set_epoch(40)
    signals = Signals(bar)
    bar.slider.setFocus()
    for key, expected in ((Qt.Key.Key_Right, 45), (Qt.Key.Key_Right, 47), (Qt.Key.Key_Right, 50),
                          (Qt.Key.Key_Left, 47), (Qt.Key.Key_Home, 0), (Qt.Key.Key_Left, 0), (Qt.Key.Key_Right, 5),
                          (Qt.Key.Key_End, 60), (Qt.Key.Key_Right, 60)):
        qtbot.keyClick(bar.slider, key)
        assert bar.epoch() == expected, key
    assert signals.of("epochChanged") == [45, 47, 50, 47, 0, 5, 60]
    # With the play button focused, the keys still step.
    bar.play_button.setFocus()
    qtbot.keyClick(bar.play_button, Qt.Key.Key_Left)
    assert bar.epoch() == 55


def test_the_keys_step_from_a_view_given_to_attach_keys_but_a_text_field_keeps_them(qtbot):
    """The window's layout: views above, the bar under them; the keys work while a view has the focus."""
    window = QWidget()
    qtbot.addWidget(window)
    views = QWidget(window)
    view, field = QWidget(views), QLineEdit("abc", views)
    view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    inner = QVBoxLayout(views)
    inner.addWidget(view)
    inner.addWidget(field)
    bar = TimelineBar(window)
    outer = QVBoxLayout(window)
    outer.addWidget(views, 1)
    outer.addWidget(bar)
    bar.set_epochs(RECORDED)
    bar.set_epoch(20)
    bar.attach_keys(views)
    window.resize(700, 300)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert bar.epoch() == 25
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert bar.epoch() == 60
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert bar.epoch() == 55
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    field.setCursorPosition(3)
    qtbot.keyClick(field, Qt.Key.Key_Left)
    assert bar.epoch() == 55 and field.cursorPosition() == 2


def test_play_replays_to_the_end_and_stops_there(qtbot, bar):
    bar.set_epochs(RECORDED)
    bar.set_epoch(30)
    bar.speed_box.setCurrentIndex(SPEEDS.index(100.0))
    signals = Signals(bar)
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert bar.is_playing() and bar.play_button.toolTip().startswith("Pause")
    qtbot.waitUntil(lambda: not bar.is_playing(), timeout=10_000)
    shown = signals.of("epochChanged")
    assert shown[-1] == 60 and bar.epoch() == 60
    assert shown == sorted(shown) and len(set(shown)) == len(shown) and set(shown) <= set(RECORDED[RECORDED.index(35):])
    assert bar.play_button.toolTip().startswith("Replay")
    # Play at the end starts over from the first epoch; a key pauses it.
    signals.got.clear()
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert signals.of("epochChanged")[0] == 0 and bar.is_playing()
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Home)
    assert not bar.is_playing() and bar.epoch() == 0


def test_live_follows_new_epochs_scrubbing_leaves_it_and_live_returns(qtbot, bar):
    bar.set_epochs(range(10))
    signals = Signals(bar)
    bar.set_training(True)
    assert bar.is_live() and bar.live_button.isVisible() and bar.live_button.isChecked()
    assert signals.got == [("liveChanged", True), ("epochChanged", 9)]
    signals.got.clear()
    bar.set_epochs(range(15))                     # new epochs recorded: the bar follows, the views are live anyway
    assert bar.epoch() == 14 and signals.got == []
    bar.slider.setFocus()
    qtbot.keyClick(bar.slider, Qt.Key.Key_Left)   # scrubbing back leaves live
    assert not bar.is_live() and not bar.live_button.isChecked()
    assert signals.got == [("liveChanged", False), ("epochChanged", 13)]
    bar.set_epochs(range(20))
    assert bar.epoch() == 13 and bar.epoch_label.text() == "epoch 13 / 19"
    signals.got.clear()
    qtbot.mouseClick(bar.live_button, Qt.MouseButton.LeftButton)
    assert bar.is_live() and bar.epoch() == 19 and signals.got == [("liveChanged", True), ("epochChanged", 19)]
    bar.set_training(False)                       # the run ended: nothing to follow, Live makes room
    assert not bar.is_live() and not bar.live_button.isVisible() and signals.of("liveChanged")[-1] is False


def test_branch_from_here_the_list_and_delete_say_which(qtbot, bar):
    bar.set_epochs(RECORDED)
    bar.set_epoch(47)
    signals = Signals(bar)
    qtbot.mouseClick(bar.branch_button, Qt.MouseButton.LeftButton)
    assert signals.of("branchRequested") == [47]

    bar.set_branches([("run", "spiral"), ("a", "lr 0.01 -> 0.001 from epoch 10"), ("b", "sgd from epoch 47")], "a")
    bar.set_branch_colors({"a": (230, 110, 0), "b": (44, 150, 44)})
    assert bar.branch_box.isVisible() and bar.current_branch() == "a"
    assert not bar.branch_box.itemIcon(1).isNull() and bar.branch_box.itemIcon(0).isNull()
    assert signals.of("branchSelected") == []     # set by the owner: not echoed
    bar.branch_box.setFocus()
    qtbot.keyClick(bar.branch_box, Qt.Key.Key_Down)
    assert bar.current_branch() == "b" and signals.of("branchSelected") == ["b"]
    assert "sgd from epoch 47" in bar.branch_box.toolTip()
    qtbot.mouseClick(bar.delete_button, Qt.MouseButton.LeftButton)
    assert signals.of("branchDeleted") == ["b"]
    assert bar.branch_box.count() == 3            # the owner deletes it, then sets the list again
    bar.set_branches([("run", "spiral"), ("a", "lr 0.01 -> 0.001 from epoch 10")])
    assert bar.current_branch() == "run" and not bar.delete_button.isEnabled()   # the run itself stays
    qtbot.mouseClick(bar.delete_button, Qt.MouseButton.LeftButton)
    assert signals.of("branchDeleted") == ["b"]
    bar.set_branches([("run", "spiral")])
    assert not bar.branch_box.isVisible() and not bar.delete_button.isVisible()


def test_the_replay_speed_is_named_so_it_is_not_taken_for_the_training_speed(bar):
    """Newcomer 16, finding 13: the bar's speed box has a visible name just before it, in the same row."""
    bar.set_epochs(RECORDED)
    label = bar.speed_label
    assert label.isVisible() and label.text() == REPLAY_LABEL and label.buddy() is bar.speed_box
    assert label.geometry().right() < bar.speed_box.geometry().left()
    assert abs(label.geometry().center().y() - bar.speed_box.geometry().center().y()) <= 2
