"""`pad` (visible_*): from the mouse release that ends a stroke to the probability chart showing the new prediction.

The real DrawingPad of the window's MNIST tab, holding a model trained in the window (the mnist-mlp
lesson, 5,000 images, its own epochs and early stopping). Each stroke is synthetic mouse events sent
to the pad's canvas widget: a press, moves every MOVE_PX pixels along the stroke (the event loop runs
between them, so the pad's throttled predictions while drawing happen as they do for a hand), then
the release. The clock starts just before the release is sent and stops once the probability bars
have painted after the prediction that release made (their Paint event, then a zero-delay timer so
the frame is drawn). The two strokes of a "7" (bench/pad.STROKES) make one digit; Clear between digits.
"""
from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from trainer.presets import load_preset

from . import gui
from .common import BenchError
from .pad import STROKES

MOVE_PX = 6.0
TIMEOUT_S = 10.0


class _BarsPainted(QObject):
    """Notes when the bars have drawn a frame after `arm()`; quits the loop it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: QEventLoop | None = None
        self.done_at: float | None = None

    def arm(self, loop: QEventLoop) -> None:
        self.loop, self.done_at = loop, None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if self.loop is not None and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._painted)
        return False

    def _painted(self) -> None:
        if self.loop is not None and self.done_at is None:
            self.done_at = time.perf_counter()
            self.loop.quit()
            self.loop = None


def _send(widget, kind: QEvent.Type, at: QPointF, buttons: Qt.MouseButton) -> None:
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, at, widget.mapToGlobal(at), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _points(stroke: tuple[tuple[int, int], ...]) -> list[QPointF]:
    out = [QPointF(*stroke[0])]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / MOVE_PX))
        out += [QPointF(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps) for k in range(1, steps + 1)]
    return out


def stroke_ms(pad, watch: _BarsPainted, stroke) -> float:
    """Draw one stroke on the pad's canvas; ms from its release to the bars' next painted frame."""
    canvas, app = pad.canvas, QApplication.instance()
    points = _points(stroke)
    held = Qt.MouseButton.LeftButton
    _send(canvas, QEvent.Type.MouseButtonPress, points[0], held)
    for at in points[1:]:
        _send(canvas, QEvent.Type.MouseMove, at, held)
        app.processEvents()
    gui.spin(0.08)                  # the throttled prediction of the last moves has come and gone
    before = pad.predictions
    loop = QEventLoop()
    watch.arm(loop)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(TIMEOUT_S * 1000))
    t0 = time.perf_counter()
    _send(canvas, QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)
    if watch.done_at is None:
        loop.exec()
    deadline.stop()
    if watch.done_at is None or pad.predictions == before:
        raise BenchError("the pad showed no new prediction after a stroke")
    return (watch.done_at - t0) * 1000


def trained_pad(window):
    """The window's pad, shown, with the mnist-mlp lesson trained in the window."""
    fin = gui.train_in_window(window, load_preset("mnist-mlp"))
    window.tabs.setCurrentWidget(window.mnist)
    pad, tabs = window.mnist.pad, window.mnist.tabs
    for i in range(tabs.count()):            # the "Draw" page: the pad itself or a page holding it
        if tabs.widget(i) is pad or tabs.widget(i).isAncestorOf(pad):
            tabs.setCurrentIndex(i)
    # The MNIST tab hands the window's trained model to the pad when it is shown (a busy machine: seconds).
    if not gui.spin_until(lambda: pad.has_model() and pad.canvas.isVisible(), 30):
        raise BenchError(f"after training mnist-mlp the pad has {'a' if pad.has_model() else 'no'} model and is "
                         f"{'' if pad.canvas.isVisible() else 'not '}shown")
    gui.spin(0.3)
    return pad, float(fin.metrics["test_accuracy"])


def visible_ms(window, strokes: int) -> tuple[list[float], float]:
    """(ms per stroke, the pad model's test accuracy %) over `strokes` strokes."""
    pad, accuracy = trained_pad(window)
    watch = _BarsPainted()
    pad.bars.installEventFilter(watch)
    times: list[float] = []
    try:
        while len(times) < strokes:
            pad.canvas.clear()
            gui.spin(0.02)
            for stroke in STROKES:
                times.append(stroke_ms(pad, watch, stroke))
                if len(times) == strokes:
                    break
    finally:
        pad.bars.removeEventFilter(watch)
        pad.canvas.clear()
        window.tabs.setCurrentWidget(window.playground)
    return times, accuracy
