"""The timeline bar under the views (issue 16): one compact row to move every view to a recorded epoch.

A slider over the run's recorded epochs (it snaps to them: a large run records every k-th epoch),
"epoch 40 / 311" as the curves number epochs (0-based, the x axis), Play / Pause replaying the run at
a chosen speed, Live (follow the newest epoch while a run trains), "Branch from here…", and the run's
branches (pick one, delete one). Left / Right step one recorded epoch, Home / End go to the first /
last, when the bar has the focus, or a view given to `attach_keys`.

The bar only says what the user asked (signals); its owner moves the views, records, branches and
deletes, and tells the bar what there is (set_epochs, set_training, set_branches).
"""
from __future__ import annotations

import bisect
import time

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QMouseEvent, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QStyleOptionComboBox,
                               QStyleOptionSlider, QStylePainter, QToolButton, QWidget)

NOTHING_RECORDED = "Train to record a timeline"
BRANCH_TEXT = ("Branch from here…", "Branch…")   # the button's text, and its text where the row is short
BRANCH_LIST_PX = 160      # the branch list's widest (a longer name is cut short with "…")
SWATCH_PX = 10            # a branch's colour beside its name in the list
SLIDER_HINT_PX = 240      # the slider's share of a row that is short of room
SLIDER_MIN_PX = 80        # the slider keeps this much of a narrow row; the branch button's text gives way first
REPLAY_FRAME_MS = 40     # a replay moves the views 25 times a second (the issue asks scrubbing for >= 20)
BAR_STYLE = """
QWidget#timelineBar { background: #f6f7f9; border-top: 1px solid #dcdfe3; }
QWidget#timelineBar QToolButton { padding: 1px 5px; border: 1px solid transparent; border-radius: 4px; }
QWidget#timelineBar QToolButton:hover { background: #e8eef6; border-color: #cfd8e3; }
QWidget#timelineBar QToolButton:checked { background: #dbe8f7; border-color: #a9c4e4; color: #0b5394; }
QWidget#timelineBar QToolButton:disabled { color: #9aa0a6; }
QLabel#timelineEpoch { color: #282828; }
QLabel#timelineEpoch:disabled { color: #80868b; }
"""


REPLAY_LABEL = "Replay"   # beside the replay speed: the toolbar's Speed is the training's
# Replay speeds in epochs a second, labelled as the toolbar's Speed labels training speeds ("30/s"):
# 1000/s shows a 5,000-epoch run in 5 s, 10/s a short run epoch by epoch.
SPEEDS: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0, 1000.0)
DEFAULT_SPEED = 1        # 30 epochs a second: 300 epochs in 10 s, slow enough to watch


class EpochSlider(QSlider):
    """A horizontal slider whose values are epochs, that only stops on recorded ones.

    Keys and the wheel step one recorded epoch (not one unit); a click on the groove jumps there."""

    userActed = Signal()   # a key, the wheel or the mouse on it: even one that leaves the value where it was

    def __init__(self, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.epochs: list[int] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """Wide: where the row is short the slider asks its share, not Qt's 84 px, while the names give way."""
        hint = super().sizeHint()
        return QSize(max(hint.width(), SLIDER_HINT_PX), hint.height())

    def nearest(self, epoch: int) -> int:
        """The recorded epoch nearest to `epoch` (the earlier one on a tie)."""
        i = bisect.bisect_left(self.epochs, epoch)
        if i == 0:
            return self.epochs[0]
        if i == len(self.epochs):
            return self.epochs[-1]
        before, after = self.epochs[i - 1], self.epochs[i]
        return before if epoch - before <= after - epoch else after

    def stepped(self, epoch: int, steps: int) -> int:
        """The recorded epoch `steps` recorded epochs after (before, if negative) `epoch`."""
        i = bisect.bisect_left(self.epochs, epoch)
        if steps < 0 and (i == len(self.epochs) or self.epochs[i] != epoch):
            steps += 1                     # between two recorded epochs: one step back is the earlier one
        return self.epochs[max(0, min(len(self.epochs) - 1, i + steps))]

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.epochs and event.key() in STEP_KEYS:
            self.userActed.emit()
            _step_key(self, event.key())
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt name)
        if self.epochs and event.angleDelta().y():
            self.userActed.emit()
            self.setValue(self.stepped(self.value(), -1 if event.angleDelta().y() > 0 else 1))
            event.accept()
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        self.userActed.emit()
        if event.button() == Qt.MouseButton.LeftButton and not handle.contains(event.position().toPoint()):
            # Jump to the click (Qt's own slider moves one page), then the handle is under the mouse to drag.
            groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove,
                                          self)
            span = groove.width() - handle.width()
            x = int(event.position().x() - groove.x() - handle.width() / 2)
            self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), x, span, opt.upsideDown))
        super().mousePressEvent(event)


class ElidingCombo(QComboBox):
    """A combo box that cuts a long current name short with "…" (Qt's own clips it mid-letter), and asks
    for no more than BRANCH_LIST_PX: Qt's row would give it all it asks and squeeze the slider first."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        return QSize(min(hint.width(), BRANCH_LIST_PX), hint.height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        room = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()
        if not opt.currentIcon.isNull():
            room -= opt.iconSize.width() + 4
        opt.currentText = self.fontMetrics().elidedText(opt.currentText, Qt.TextElideMode.ElideRight, room)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)


# Recorded epochs a key moves (None: Home / End, to the first / last).
STEP_KEYS: dict[int, int | None] = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: -1, Qt.Key.Key_Up: 1,
                                    Qt.Key.Key_PageDown: -10, Qt.Key.Key_PageUp: 10,
                                    Qt.Key.Key_Home: None, Qt.Key.Key_End: None}


def _step_key(slider: EpochSlider, key: int) -> None:
    """Move `slider` as STEP_KEYS says for `key`."""
    steps = STEP_KEYS[key]
    if steps is None:
        slider.setValue(slider.epochs[0] if key == Qt.Key.Key_Home else slider.epochs[-1])
    else:
        slider.setValue(slider.stepped(slider.value(), steps))


class TimelineBar(QWidget):
    """Slider, epoch, Play / speed, Live, Branch from here…, the branches: one row ~32 px high."""

    epochChanged = Signal(int)       # the user (or a replay) moved to this recorded epoch
    liveChanged = Signal(bool)       # True: follow the newest epoch of the training run (the views are live)
    branchRequested = Signal(int)    # "Branch from here…" at this epoch
    branchSelected = Signal(str)     # the user picked this branch in the list
    branchDeleted = Signal(str)      # the user asked to delete this branch (the owner deletes it, then set_branches)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(BAR_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._epoch: int | None = None
        self._live = False
        self._training = False
        self._root: str | None = None
        self._colors: dict[str, tuple[int, int, int]] = {}
        self._replay: tuple[float, int, float] | None = None   # (wall time, epoch, epochs a second) at Play

        self.play_button = QToolButton()
        self.play_button.setObjectName("timelinePlay")
        self.play_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_box = QComboBox()
        self.speed_box.setObjectName("timelineSpeed")
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}/s")
        self.speed_box.setCurrentIndex(DEFAULT_SPEED)
        self.speed_box.setToolTip("How fast Play replays the run, in epochs a second")
        self.speed_box.currentIndexChanged.connect(self._speed_changed)
        # Named, so it is not taken for the toolbar's training Speed (newcomer 16, finding 13).
        self.speed_label = QLabel(REPLAY_LABEL)
        self.speed_label.setObjectName("timelineSpeedLabel")
        self.speed_label.setBuddy(self.speed_box)
        self.speed_label.setToolTip(self.speed_box.toolTip())
        self.slider = EpochSlider()
        self.slider.setObjectName("timelineSlider")
        self.slider.setMinimumWidth(SLIDER_MIN_PX)
        self.slider.setToolTip("Drag to show an earlier epoch in every view (it stops on the recorded epochs). "
                               "Left / Right: one recorded epoch, Home / End: the first / last.")
        self.slider.valueChanged.connect(self._slider_moved)
        self.slider.userActed.connect(self._user_moves)
        self.epoch_label = QLabel()
        self.epoch_label.setObjectName("timelineEpoch")
        self.epoch_label.setToolTip("The epoch every view shows, numbered as on the curves' axis (the first "
                                    "epoch is 0) / the last recorded one. The status bar counts epochs "
                                    "trained: epoch 40 here is its 'epoch 41'.")
        self.live_button = QToolButton()
        self.live_button.setObjectName("timelineLive")
        self.live_button.setText("Live")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip("Follow the newest epoch while the run trains (moving the slider leaves it)")
        self.live_button.clicked.connect(lambda on: self.set_live(on, emit=True))
        self.branch_button = QToolButton()
        self.branch_button.setObjectName("timelineBranch")
        self.branch_button.setText(BRANCH_TEXT[1])
        self.branch_button.ensurePolished()
        # Its least width is the short text's, whichever it shows: the row never asks for more than that.
        self.branch_button.setMinimumWidth(self.branch_button.sizeHint().width())
        self.branch_button.setText(BRANCH_TEXT[0])
        self.branch_button.setToolTip("Branch from here: train on from the epoch shown with other settings (learning "
                                      "rate, optimizer, batch size, …); the branch's curves are drawn over this run's")
        self.branch_button.clicked.connect(lambda: self._epoch is not None and self.branchRequested.emit(self._epoch))
        self.branch_box = ElidingCombo()
        self.branch_box.setObjectName("timelineBranches")
        # As wide as the longest name up to BRANCH_LIST_PX, down to six characters where the row is short
        # (cut short with "…"; whole in the list and the tooltip).
        self.branch_box.setIconSize(QSize(SWATCH_PX, SWATCH_PX))
        self.branch_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.branch_box.setMinimumContentsLength(6)
        self.branch_box.setMinimumWidth(self.branch_box.sizeHint().width())
        self.branch_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.branch_box.activated.connect(self._branch_picked)
        self.delete_button = QToolButton()
        self.delete_button.setObjectName("timelineDeleteBranch")
        self.delete_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon))
        self.delete_button.setToolTip("Delete the branch picked in the list (the run itself stays)")
        self.delete_button.clicked.connect(self._delete_picked)
        # A focused button would take Left / Right to move the focus: the keys step the timeline instead.
        for button in (self.play_button, self.live_button, self.branch_button, self.delete_button):
            button.installEventFilter(self)

        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(4)
        row.addWidget(self.play_button)
        row.addWidget(self.speed_label)
        row.addWidget(self.speed_box)
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        row.addWidget(self.live_button)
        row.addWidget(self.branch_button)
        row.addWidget(self.branch_box)
        row.addWidget(self.delete_button)

        self._timer = QTimer(self)
        self._timer.setInterval(REPLAY_FRAME_MS)
        self._timer.timeout.connect(self._replay_step)
        self._shortcuts: list[QShortcut] = []
        self.set_branches([])
        self.set_epochs([])

    # -- what the owner tells the bar -------------------------------------------------------
    def set_epochs(self, epochs: list[int]) -> None:
        """The recorded epochs (any order; 0-based). Live: the bar moves to the newest, without a signal."""
        epochs = sorted(set(int(e) for e in epochs))
        self.slider.epochs = epochs
        self.slider.blockSignals(True)
        if epochs:
            self.slider.setRange(epochs[0], epochs[-1])
            self.slider.setPageStep(max(1, (epochs[-1] - epochs[0]) // 10))
        else:
            self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        if not epochs:
            self.stop()
            self._epoch = None
        elif self._live or self._epoch is None:
            self._epoch = epochs[-1]
        else:
            self._epoch = self.slider.nearest(self._epoch)
        self._show_epoch()
        self._enable()

    def set_epoch(self, epoch: int) -> None:
        """Show `epoch` (snapped to a recorded one) without emitting epochChanged; leaves Live unless it is
        the newest."""
        if not self.slider.epochs:
            return
        self._epoch = self.slider.nearest(int(epoch))
        if self._live and self._epoch != self.slider.epochs[-1]:
            self.set_live(False, emit=True)
        self._show_epoch()

    def set_training(self, on: bool) -> None:
        """A run is (no longer) training: Live can follow it. A run that starts is followed (Live)."""
        self._training = bool(on)
        self.set_live(self._training, emit=True)
        self._enable()

    def set_branches(self, branches: list[tuple[str, str]], current: str | None = None) -> None:
        """The run and its branches as (key, label), the run itself first (it cannot be deleted).
        The list and the delete button show only when there is a branch."""
        self._root = branches[0][0] if branches else None
        self.branch_box.blockSignals(True)
        self.branch_box.clear()
        for key, label in branches:
            self.branch_box.addItem(label, key)
            self.branch_box.setItemData(self.branch_box.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        self.branch_box.blockSignals(False)
        self.set_branch_colors(self._colors)
        many = len(branches) > 1
        self.branch_box.setVisible(many)
        self.delete_button.setVisible(many)
        view = self.branch_box.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + 24 if branches else 0)   # whole names in the list
        self._fit_texts()
        self.set_current_branch(current if current is not None else self._root)

    def set_branch_colors(self, colors: dict[str, tuple[int, int, int]]) -> None:
        """A swatch of each branch's colour on the curves (CurvesView.branch_color) beside its name; kept
        for the branches set later."""
        self._colors = dict(colors)
        for i in range(self.branch_box.count()):
            rgb = self._colors.get(self.branch_box.itemData(i))
            swatch = QPixmap(SWATCH_PX, SWATCH_PX)
            if rgb is not None:
                swatch.fill(QColor(*rgb))
            self.branch_box.setItemIcon(i, QIcon(swatch) if rgb is not None else QIcon())

    def set_current_branch(self, key: str | None) -> None:
        """Mark `key` as the branch on show, without emitting branchSelected."""
        i = self.branch_box.findData(key)
        self.branch_box.blockSignals(True)
        self.branch_box.setCurrentIndex(i)
        self.branch_box.blockSignals(False)
        self._enable()

    def attach_keys(self, widget: QWidget) -> None:
        """Left / Right / Home / End step the bar also while `widget` (a view, or the views' page) or a
        child of it has the focus; a text field there keeps its keys (Qt gives them to it first)."""
        for key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End):
            shortcut = QShortcut(QKeySequence(key), widget)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda k=key: self._step(k))
            self._shortcuts.append(shortcut)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit_texts()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        """The keys also step while a button of the bar has the focus (the slider handles its own)."""
        if event.type() == QEvent.Type.KeyPress and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            return self._step(event.key())
        return super().eventFilter(watched, event)

    # -- what the owner may ask -----------------------------------------------------------------
    def epoch(self) -> int | None:
        """The epoch shown (None when nothing is recorded)."""
        return self._epoch

    def epochs(self) -> list[int]:
        return list(self.slider.epochs)

    def is_live(self) -> bool:
        return self._live

    def is_playing(self) -> bool:
        return self._replay is not None

    def current_branch(self) -> str | None:
        return self.branch_box.currentData()

    def set_live(self, on: bool, emit: bool = False) -> None:
        """Follow the newest recorded epoch while a run trains (`emit`: say so, and the newest epoch)."""
        on = bool(on) and self._training
        changed = on != self._live
        self._live = on
        self.live_button.setChecked(on)
        if on:
            self.stop()
            if self.slider.epochs:
                self._epoch = self.slider.epochs[-1]
                self._show_epoch()
        if changed and emit:
            self.liveChanged.emit(on)
            if on and self._epoch is not None:
                self.epochChanged.emit(self._epoch)

    def play(self) -> None:
        """Replay from the epoch shown (from the first, when at the last) at the chosen speed."""
        epochs = self.slider.epochs
        if len(epochs) < 2:
            return
        self.set_live(False, emit=True)
        if self._epoch is None or self._epoch >= epochs[-1]:
            self._move_to(epochs[0])
        self._replay = (time.perf_counter(), self._epoch, SPEEDS[self.speed_box.currentIndex()])
        self._timer.start()
        self._show_play()

    def stop(self) -> None:
        """Pause a replay (the epoch shown stays)."""
        self._replay = None
        self._timer.stop()
        self._show_play()

    def toggle_play(self) -> None:
        self.stop() if self.is_playing() else self.play()

    # -- internals ------------------------------------------------------------------------------
    def _replay_step(self) -> None:
        start_s, start_epoch, rate = self._replay
        want = start_epoch + (time.perf_counter() - start_s) * rate
        epochs = self.slider.epochs
        # The last recorded epoch at or before where the replay is now: it never skips ahead of time.
        target = epochs[max(0, bisect.bisect_right(epochs, want) - 1)]
        if target != self._epoch:
            self._move_to(target)
        if target >= epochs[-1]:
            self.stop()

    def _step(self, key: int) -> bool:
        """A stepping key pressed on a button of the bar or an attached view: True if it was one."""
        if key not in STEP_KEYS or not self.slider.epochs:
            return False
        self._user_moves()
        _step_key(self.slider, key)
        return True

    def _move_to(self, epoch: int) -> None:
        self._epoch = epoch
        self._show_epoch()
        self.epochChanged.emit(epoch)

    def _user_moves(self) -> None:
        """The user took the slider (drag, key, click): a replay pauses and Live lets go."""
        self.stop()
        self.set_live(False, emit=True)

    def _slider_moved(self, value: int) -> None:
        if not self.slider.epochs:
            return
        snapped = self.slider.nearest(value)
        if snapped != value:
            self.slider.blockSignals(True)
            self.slider.setValue(snapped)
            self.slider.blockSignals(False)
        # The bar sets the slider with its signals blocked: this is the user's move (drag, key, wheel, click).
        self._user_moves()
        if snapped != self._epoch:
            self._move_to(snapped)

    def _speed_changed(self, _index: int) -> None:
        if self.is_playing():
            self.stop()
            self.play()

    def _branch_picked(self, index: int) -> None:
        key = self.branch_box.itemData(index)
        if key is not None:
            self._enable()
            self.branchSelected.emit(key)

    def _delete_picked(self) -> None:
        key = self.branch_box.currentData()
        if key is not None and key != self._root:
            self.branchDeleted.emit(key)

    def _show_branch_tip(self) -> None:
        name = self.branch_box.currentText()
        self.branch_box.setToolTip((f"{name}\n" if name else "") + "The run and its branches: pick one to show it "
                                   "in every view")

    def _fit_texts(self) -> None:
        """"Branch from here…" where the row has room for it, else "Branch…" (the tooltip says the rest).
        Measured, not tried: a longer text, even for a moment, would ask the window for more width."""
        if self.layout() is None:
            return
        metrics = self.branch_button.fontMetrics()
        extra = metrics.horizontalAdvance(BRANCH_TEXT[0]) - metrics.horizontalAdvance(BRANCH_TEXT[1])
        short_row = self.layout().sizeHint().width() - (extra if self.branch_button.text() == BRANCH_TEXT[0] else 0)
        text = BRANCH_TEXT[0] if short_row + extra <= self.width() else BRANCH_TEXT[1]
        if self.branch_button.text() != text:
            self.branch_button.setText(text)

    def _show_epoch(self) -> None:
        if self._epoch is None:
            self.epoch_label.setMinimumWidth(0)
            self.epoch_label.setText(NOTHING_RECORDED)
            return
        self.slider.blockSignals(True)
        self.slider.setValue(self._epoch)
        self.slider.blockSignals(False)
        last = f"{self.slider.epochs[-1]:,}"
        # As wide as the widest epoch: the slider does not shift as the number changes.
        self.epoch_label.setMinimumWidth(self.epoch_label.fontMetrics().horizontalAdvance(f"epoch {last} / {last}"))
        self.epoch_label.setText(f"epoch {self._epoch:,} / {last}")

    def _show_play(self) -> None:
        playing = self.is_playing()
        pixmap = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(pixmap))
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setToolTip("Pause the replay" if playing else
                                    "Replay the run from the epoch shown (from the start at its end), at the "
                                    "speed chosen beside")

    def _enable(self) -> None:
        recorded = bool(self.slider.epochs)
        for widget in (self.play_button, self.speed_box, self.slider, self.branch_button, self.branch_box):
            widget.setEnabled(recorded)
        self.play_button.setEnabled(len(self.slider.epochs) > 1)
        self.epoch_label.setEnabled(recorded)
        # Only while a run trains (its room goes to the slider after): nothing else is live.
        self.live_button.setVisible(self._training)
        self.live_button.setEnabled(recorded)
        self.delete_button.setEnabled(self.branch_box.currentData() not in (None, self._root))
        self._show_branch_tip()
        self.setToolTip("" if recorded else f"{NOTHING_RECORDED}: every epoch of a run is kept, to show it "
                                            "again here and branch from it")


__all__ = ["DEFAULT_SPEED", "EpochSlider", "NOTHING_RECORDED", "REPLAY_FRAME_MS", "REPLAY_LABEL", "SPEEDS", "TimelineBar"]
