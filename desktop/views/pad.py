"""The drawing pad: draw a digit with the mouse or a pen and watch the network read it.

The canvas holds white ink on black, as MNIST does, and shows it as dark ink on
paper. `trainer.digits` turns it into the 28x28 image the model sees (shown in
the preview) and classifies it; that takes about a millisecond, so it runs on the
GUI thread, throttled to ~15 times a second while drawing and once more when a
stroke ends. With no MNIST model the pad says how to get one instead of guessing.
It answers "?" (not sure) rather than a digit when there is too little ink or the
model's best guess is weak (trainer.digits.unsure; UNSURE_RULE says it in the UI).
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QFont, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QTabletEvent)
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from trainer.digits import BRUSH_PX, CANVAS_PX, MIN_SPAN_PX, SIZE, UNSURE_BELOW

from .colors import BLUE, INK

log = logging.getLogger(__name__)

THROTTLE_MS = 66          # ~15 predictions a second while drawing

# How the pad decides to answer "?" rather than a digit (the figures live at trainer.digits' constants).
UNSURE_RULE = (f"the ink spans under {MIN_SPAN_PX} of the pad's {CANVAS_PX} pixels, or the model's best "
               f"guess is under {UNSURE_BELOW:.0%} (a level chosen on MNIST's validation digits: below it the "
               "mnist-mlp lesson's model was right only about half the time).")

NO_MODEL = ("No MNIST model yet, so there is nothing to ask. Train one: press \"Train mnist-mlp now\" (or choose "
            "Lessons > mnist-mlp and press Train), or open a saved one with File > Load trained model.")


class Canvas(QWidget):
    """A CANVAS_PX square to draw on with a round brush of BRUSH_PX; Undo takes back whole strokes."""

    inkChanged = Signal()        # while drawing, after Undo and Clear
    strokeFinished = Signal()    # the pen or the mouse button was lifted
    edited = Signal()            # a whole change is done: a stroke ended, Undo, Clear, set_array

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._image = QImage(CANVAS_PX, CANVAS_PX, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._strokes: list[list[QPointF] | QImage] = []   # an image: set_array
        self._drawing = False
        self.setFixedSize(CANVAS_PX, CANVAS_PX)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip("Draw one digit with the mouse or a pen")
        # A child label rather than text painted in paintEvent: a stroke repaints only the rectangle it
        # touched, so painted text stayed on screen around the first strokes; a hidden child is erased whole.
        self.placeholder = QLabel("Draw a digit here", self)
        self.placeholder.setObjectName("padPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #aaaaaa; background: transparent; border: none;")
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.setGeometry(0, 0, CANVAS_PX, CANVAS_PX)

    # -- strokes --------------------------------------------------------------------------
    def _pen_painter(self) -> QPainter:
        p = QPainter(self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 255, 255), BRUSH_PX, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        return p

    def _dot(self, p: QPainter, at: QPointF) -> None:
        p.save()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255))
        p.drawEllipse(at, BRUSH_PX / 2, BRUSH_PX / 2)
        p.restore()

    def begin_stroke(self, at: QPointF) -> None:
        self._drawing = True
        self._strokes.append([QPointF(at)])
        self.placeholder.hide()
        p = self._pen_painter()
        self._dot(p, at)
        p.end()
        self._changed(at, at)

    def extend_stroke(self, at: QPointF) -> None:
        if not self._drawing or not self._strokes or isinstance(self._strokes[-1], QImage):
            return
        last = self._strokes[-1][-1]
        if last == at:
            return
        self._strokes[-1].append(QPointF(at))
        p = self._pen_painter()
        p.drawLine(last, at)
        p.end()
        self._changed(last, at)

    def end_stroke(self) -> None:
        if self._drawing:
            self._drawing = False
            self.strokeFinished.emit()
            self.edited.emit()

    def _changed(self, a: QPointF, b: QPointF) -> None:
        pad = BRUSH_PX / 2 + 2
        self.update(QRectF(a, b).normalized().adjusted(-pad, -pad, pad, pad).toAlignedRect())
        self.inkChanged.emit()

    def undo(self) -> bool:
        """Take back the last stroke; False when there was none."""
        if not self._strokes:
            return False
        self._drawing = False
        self._strokes.pop()
        self._redraw()
        return True

    def clear(self) -> None:
        self._drawing = False
        self._strokes.clear()
        self._redraw()

    def _redraw(self) -> None:
        self._image.fill(0)
        if self._strokes:
            p = self._pen_painter()
            for stroke in self._strokes:
                if isinstance(stroke, QImage):   # a pasted image: ink is the brighter of the two
                    p.save()
                    p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Lighten)
                    p.drawImage(0, 0, stroke)
                    p.restore()
                    continue
                self._dot(p, stroke[0])
                for a, b in zip(stroke, stroke[1:]):
                    p.drawLine(a, b)
            p.end()
        self.placeholder.setVisible(not self._strokes)
        self.update()
        self.inkChanged.emit()
        self.edited.emit()

    def stroke_points(self) -> list[list[tuple[float, float]]] | None:
        """Each stroke's points in canvas pixels, for trainer.digits.render_strokes; None once an image was set."""
        if any(isinstance(s, QImage) for s in self._strokes):
            return None
        return [[(pt.x(), pt.y()) for pt in stroke] for stroke in self._strokes]

    def stroke_count(self) -> int:
        return len(self._strokes)

    def is_empty(self) -> bool:
        return not self._strokes

    def array(self) -> np.ndarray:
        """The ink as uint8 (CANVAS_PX, CANVAS_PX), 255 = ink, 0 = background (MNIST's polarity)."""
        img = self._image
        h, w, stride = img.height(), img.width(), img.bytesPerLine()
        raw = np.frombuffer(img.constBits(), dtype=np.uint8, count=h * stride)
        return raw.reshape(h, stride)[:, :w].copy()

    def set_array(self, pixels: np.ndarray) -> None:
        """Replace the drawing with an image (uint8, 255 = ink); Undo takes it back like a stroke."""
        arr = np.ascontiguousarray(np.clip(pixels, 0, 255), dtype=np.uint8)
        if arr.shape != (CANVAS_PX, CANVAS_PX):
            raise ValueError(f"canvas: expected {CANVAS_PX}x{CANVAS_PX} pixels, got {arr.shape}")
        self._drawing = False
        self._strokes = [QImage(arr.data, CANVAS_PX, CANVAS_PX, CANVAS_PX, QImage.Format.Format_Grayscale8).copy()]
        self._redraw()

    # -- input: mouse and tablet ----------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.begin_stroke(event.position())
        elif event.button() == Qt.MouseButton.RightButton:
            self.undo()   # a quick way back, as in many paint programs

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.end_stroke()

    def tabletEvent(self, event: QTabletEvent) -> None:  # noqa: N802
        # A fixed-width brush on purpose: trainer.digits tunes BRUSH_PX to MNIST's stroke width,
        # so pen pressure would only make the digit less like the ones the model learned from.
        kind = event.type()
        if kind == QTabletEvent.Type.TabletPress:
            self.begin_stroke(event.position())
        elif kind == QTabletEvent.Type.TabletMove:
            if event.pressure() > 0 or event.buttons() & Qt.MouseButton.LeftButton:
                self.extend_stroke(event.position())
        elif kind == QTabletEvent.Type.TabletRelease:
            self.end_stroke()
        event.accept()   # no synthesized mouse events: they would draw the stroke twice

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        shown = self._image.copy(event.rect())
        shown.invertPixels()   # dark ink on white paper for the eye; the model gets white on black
        p.drawImage(event.rect().topLeft(), shown)
        p.end()


class ProbabilityBars(QWidget):
    """Ten vertical bars, one per digit, with the winner in colour and its percentage on top."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._p: np.ndarray | None = None
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_probabilities(self, probs: np.ndarray | None) -> None:
        self._p = None if probs is None else np.asarray(probs, dtype=np.float64)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 170)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(255, 255, 255))
        fm = self.fontMetrics()
        label_h, value_h = fm.height() + 4, fm.height() + 2
        w = self.width() / 10
        base = self.height() - label_h
        top = value_h + 2
        best = int(np.argmax(self._p)) if self._p is not None else -1
        p.setPen(QColor(210, 214, 219))
        p.drawLine(QPointF(0, base), QPointF(self.width(), base))
        for d in range(10):
            x = d * w
            p.setPen(QColor(*INK))
            bold = QFont(self.font())
            bold.setBold(d == best)
            p.setFont(bold)
            p.drawText(QRectF(x, base + 2, w, label_h - 2), Qt.AlignmentFlag.AlignCenter, str(d))
            if self._p is None:
                continue
            h = (base - top) * float(self._p[d])
            bar = QRectF(x + w * 0.18, base - h, w * 0.64, h)
            p.fillRect(bar, QColor(*BLUE) if d == best else QColor(160, 168, 178))
            if d == best or self._p[d] >= 0.1:
                p.drawText(QRectF(x - 6, base - h - value_h, w + 12, value_h), Qt.AlignmentFlag.AlignCenter,
                           f"{self._p[d] * 100:.0f}%")
        p.end()


class Preview(QWidget):
    """The 28x28 image the model sees, enlarged with square pixels."""

    def __init__(self, scale: int = 4, parent: QWidget | None = None):
        super().__init__(parent)
        self._image: QImage | None = None
        self.setFixedSize(SIZE * scale, SIZE * scale)
        self.setToolTip("What the model sees: your drawing cropped, scaled to 20 px and centred in 28×28, "
                        "as MNIST's digits were")

    def set_image(self, image: np.ndarray | None) -> None:
        """float (28, 28) in [0, 1] from trainer.digits.to_mnist, or None."""
        if image is None:
            self._image = None
        else:
            arr = np.ascontiguousarray(np.clip(np.rint(np.asarray(image) * 255), 0, 255).astype(np.uint8))
            self._image = QImage(arr.data, SIZE, SIZE, SIZE, QImage.Format.Format_Grayscale8).copy()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is not None:
            p.drawImage(QRectF(self.rect()), self._image)
        p.end()


class DrawingPad(QWidget):
    """Canvas, Clear / Undo, the predicted digit in large type, the ten probabilities and the 28x28 preview."""

    trainRequested = Signal()            # "Train mnist-mlp now" was pressed
    predicted = Signal(object)           # probabilities (10,) or None for an empty canvas

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._model: Any = None                  # trainer.digits.DigitModel, or None
        self._probs: np.ndarray | None = None
        self._mnist_image: np.ndarray | None = None
        self._unsure: str | None = None          # trainer.digits.unsure's reason, shown instead of a digit
        self.predictions = 0                     # how many times the model was asked (tests, bench)

        self.canvas = Canvas()
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.Box)
        frame.setStyleSheet("QFrame { border: 1px solid #9aa3ad; background: white; }")
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(1, 1, 1, 1)
        inner.addWidget(self.canvas)
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last stroke (Ctrl+Z, or right-click the pad)")
        self.undo_button.setShortcut("Ctrl+Z")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the pad (Delete)")
        self.clear_button.setShortcut("Delete")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button.clicked.connect(self.canvas.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        tips = QLabel("Draw one digit, at any size and place. Right-click or Ctrl+Z takes back a stroke; "
                      "Delete clears. \"?\" means not sure: " + UNSURE_RULE)
        tips.setObjectName("hint")
        tips.setWordWrap(True)
        tips.setMaximumWidth(CANVAS_PX + 4)
        left = QVBoxLayout()
        left.addWidget(frame, 0, Qt.AlignmentFlag.AlignLeft)
        left.addLayout(buttons)
        left.addWidget(tips)
        left.addStretch(1)

        self.digit = QLabel("–")
        self.digit.setObjectName("predictedDigit")
        big = QFont(self.font())
        big.setPixelSize(96)
        big.setBold(True)
        self.digit.setFont(big)
        self.digit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.digit.setMinimumWidth(110)
        self.confidence = QLabel("")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.confidence.setObjectName("hint")
        self.confidence.setWordWrap(True)
        self.digit.setToolTip("The digit the model reads; \"?\" means not sure: " + UNSURE_RULE)
        self.bars = ProbabilityBars()
        self.bars.setMaximumHeight(240)
        self.preview = Preview()
        preview_caption = QLabel("what the model sees\n(28×28)")
        preview_caption.setObjectName("hint")
        preview_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)

        right = QGridLayout()
        right.addWidget(self.digit, 0, 0)
        right.addWidget(self.preview, 0, 1, Qt.AlignmentFlag.AlignCenter)
        right.addWidget(self.confidence, 1, 0)
        right.addWidget(preview_caption, 1, 1)
        right.addWidget(self.bars, 2, 0, 1, 2)
        right.setRowStretch(3, 1)

        self.message = QLabel(NO_MODEL)
        self.message.setObjectName("padMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("QLabel#padMessage { color: #5f4b00; background: #fff8e1; "
                                   "border: 1px solid #f0d98c; border-radius: 3px; padding: 6px 8px; }")
        self.train_button = QPushButton("Train mnist-mlp now")
        self.train_button.setToolTip("Load the mnist-mlp lesson (784-256-128-10) and train it; "
                                     "the pad uses it when it is done")
        self.train_button.clicked.connect(self.trainRequested)
        notice = QHBoxLayout()
        notice.addWidget(self.message, 1)
        notice.addWidget(self.train_button, 0, Qt.AlignmentFlag.AlignTop)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addSpacing(12)
        body.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(notice)
        outer.addLayout(body, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(THROTTLE_MS)
        self._timer.timeout.connect(self.predict_now)
        self.canvas.inkChanged.connect(self._ink_changed)
        self.canvas.edited.connect(self.predict_now)
        self._update_buttons()
        self._show(None, None)

    # -- the model ------------------------------------------------------------------------
    def set_model(self, source: Any) -> bool:
        """A Checkpoint, a (model, (mean, std)) pair, a DigitModel, or None; False (and why shown) if unusable."""
        from trainer.digits import digit_model
        if source is None:
            self._model = None
            self._set_notice(NO_MODEL, offer_training=True)
            self._show(None, None)
            return False
        try:
            self._model = digit_model(source)
        except ValueError as exc:
            self._model = None
            reason = str(exc).removeprefix("model: ")
            self._set_notice(f"The model now loaded cannot read digits ({reason}). Train the mnist-mlp lesson "
                             "(\"Train mnist-mlp now\", or Lessons > mnist-mlp and Train) or load an MNIST model "
                             "with File > Load trained model.", offer_training=True)
            self._show(None, None)
            return False
        self._set_notice("", offer_training=False)
        self.predict_now()
        return True

    def has_model(self) -> bool:
        return self._model is not None

    def _set_notice(self, text: str, offer_training: bool) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.train_button.setVisible(offer_training)

    def notice(self) -> str:
        """The message shown instead of a prediction ('' when a model is there)."""
        return self.message.text() if not self.message.isHidden() else ""

    # -- predicting -----------------------------------------------------------------------
    def _ink_changed(self) -> None:
        self._update_buttons()
        if not self._timer.isActive():
            self._timer.start()   # at most one prediction per THROTTLE_MS while the ink changes

    def _update_buttons(self) -> None:
        empty = self.canvas.is_empty()
        self.undo_button.setEnabled(not empty)
        self.clear_button.setEnabled(not empty)

    def predict_now(self) -> None:
        """Prepare the canvas and classify it (nothing for an empty canvas or without a model)."""
        from trainer.digits import classify, ink_span, render_strokes, to_mnist, unsure
        self._timer.stop()
        ink = self.canvas.array()
        points = self.canvas.stroke_points()
        # Strokes are re-drawn with a brush fitted to the drawing's size, so a digit drawn small is not
        # bold once scaled to 28x28; a set image has no strokes and goes as it is.
        drawn = render_strokes(points) if points else None
        image = to_mnist(drawn if drawn is not None else ink)
        probs = None
        if image is not None and self._model is not None:
            try:
                probs = classify(self._model, image)
                self.predictions += 1
            except (ValueError, RuntimeError) as exc:   # a model that breaks on input: say so, keep the pad
                log.warning("the pad's prediction failed: %s", exc)
                self._set_notice(f"The model could not read the drawing: {exc}", offer_training=False)
        self._unsure = unsure(probs, ink_span(ink)) if image is not None and self._model is not None else None
        self._show(image, probs)

    def _show(self, image: np.ndarray | None, probs: np.ndarray | None) -> None:
        self._mnist_image, self._probs = image, probs
        if probs is None:
            self._unsure = None
        self.preview.set_image(image)
        self.bars.set_probabilities(probs)
        self.digit.setStyleSheet(f"color: rgb{BLUE}" if probs is not None else "color: #a0a6ad")
        if probs is None:
            self.digit.setText("–" if self._model is not None else "?")
            self.confidence.setText("draw a digit" if self._model is not None else "no model")
        elif self._unsure is not None:
            self.digit.setStyleSheet("color: #a0a6ad")
            self.digit.setText("?")
            self.confidence.setText(self._unsure)
        else:
            best = int(np.argmax(probs))
            self.digit.setText(str(best))
            self.confidence.setText(f"{probs[best] * 100:.0f}% sure")
        self.predicted.emit(probs)

    def probabilities(self) -> np.ndarray | None:
        return None if self._probs is None else self._probs.copy()

    def prediction(self) -> int | None:
        """The model's best guess (also when the pad answers "not sure"); None without one."""
        return None if self._probs is None else int(np.argmax(self._probs))

    def answer(self) -> int | None:
        """The digit the pad names; None when there is none or it says "not sure" (see `unsure_reason`)."""
        return None if self._unsure is not None else self.prediction()

    def unsure_reason(self) -> str | None:
        """Why the pad shows "?" rather than a digit (trainer.digits.unsure), or None."""
        return self._unsure

    def model_input(self) -> np.ndarray | None:
        """The 28x28 image last given to the model (what the preview shows)."""
        return None if self._mnist_image is None else self._mnist_image.copy()


__all__ = ["Canvas", "DrawingPad", "Preview", "ProbabilityBars", "NO_MODEL", "THROTTLE_MS"]
