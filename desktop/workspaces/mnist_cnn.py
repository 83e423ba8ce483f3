"""The MNIST tab's "Inside the CNN": what each convolution of the CNN makes of a digit, live.

For the digit on the pad or a chosen test digit, every convolution's feature maps and the first
layer's learned kernels (trainer.feature_maps). While a CNN trains, the training process sends the
convolutions' weights with its snapshots (Snapshot.image_state, several times an epoch); they are
loaded into a copy of the model kept here, so the maps change as the filters form. After the run,
or once a model is loaded, the trained model itself is used. The Draw page shows the same maps of
the pad's digit beside the pad (`pad_maps`), redrawn as the learner draws.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QFrame, QHBoxLayout, QLabel, QRadioButton, QScrollArea, QSpinBox,
                               QVBoxLayout, QWidget)

from trainer.events import Snapshot, Started

from ..views.feature_maps import FeatureMapsView
from ..views.grids import GREY, GridView
from ..views.pad import DrawingPad

log = logging.getLogger(__name__)

NOT_CNN = ("The model now trained is not a CNN, so it has no feature maps. Lesson D (Lessons menu) loads "
           "mnist-cnn-seed; the presets mnist-cnn and mnist-cnn-seed train one.")
NO_MODEL = "No CNN yet: train mnist-cnn or mnist-cnn-seed (or lesson D), or load a trained one."
SIDE_PX = 170          # the left column: the digit's choice, the digit, what is shown
EMPTY_PAD = "The pad is empty: draw a digit on the Draw page, or choose a test digit."


class CnnInside(QWidget):
    """The "Inside the CNN" page, and the maps beside the pad (`pad_maps`), kept up to date."""

    def __init__(self, session: Any, pad: DrawingPad, test_digits: Callable[[], tuple[np.ndarray, np.ndarray] | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cnnInside")
        self._session = session
        self._pad = pad
        self._test_digits = test_digits
        self._model: Any = None              # the model whose maps are shown (trained, loaded or live)
        self._norm = (0.0, 1.0)
        self._live = False                   # the model is the training run's copy, fed by snapshots
        self._trained: tuple[Any, tuple[float, float]] | None = None
        self._why_none = NO_MODEL            # what the page says while there is no CNN to show
        self._epoch: int | None = None       # the live snapshot's epoch
        self.refreshes = 0                   # how many times the maps were computed (tests)

        self.pad_radio = QRadioButton("The pad's drawing")
        self.test_radio = QRadioButton("Test digit")
        self.test_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.pad_radio)
        group.addButton(self.test_radio)
        self.digit_index = QSpinBox()
        self.digit_index.setRange(0, 9_999)
        self.digit_index.setToolTip("Which of MNIST's 10,000 test digits")
        self.digit_label = QLabel("")
        self.digit_label.setObjectName("hint")
        self.status = QLabel(NO_MODEL)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.input_view = GridView(min_cell=4)
        self.input_view.setFixedSize(SIDE_PX, SIDE_PX)
        # left: which digit, the digit itself and what is shown; right: kernels and maps, scrolling
        index_row = QHBoxLayout()
        index_row.addWidget(self.test_radio)
        index_row.addWidget(self.digit_index)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Digit</b>"))
        side.addLayout(index_row)
        side.addWidget(self.digit_label)
        side.addWidget(self.pad_radio)
        side.addWidget(self.input_view)
        side.addWidget(self.status)
        side.addStretch(1)
        self.status.setFixedWidth(SIDE_PX)
        self.view = FeatureMapsView(tile=44)
        scroll = QScrollArea()
        scroll.setWidget(self.view)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(side)
        layout.addSpacing(6)
        layout.addWidget(scroll, 1)

        # beside the pad: the maps of the digit being drawn (no kernels: the page is the pad's); shown
        # only while there is a CNN to show
        self.pad_maps = FeatureMapsView(tile=24, with_kernels=False, compact=True)
        self.pad_maps_box = QScrollArea()
        self.pad_maps_box.setWidget(self.pad_maps)
        self.pad_maps_box.setWidgetResizable(True)
        self.pad_maps_box.setFrameShape(QFrame.Shape.NoFrame)
        self.pad_maps_box.setMinimumWidth(80)      # three maps across: the pad keeps its room at 1280 px
        self.pad_maps_box.hide()

        self.digit_index.valueChanged.connect(lambda _v: self.refresh())
        self.test_radio.toggled.connect(lambda _on: self.refresh())
        # a stroke changes the pad's maps, and this page's only when it shows the pad's digit
        pad.predicted.connect(lambda _p: self.refresh(page=self.pad_radio.isChecked()))
        session.started.connect(self._on_started)
        session.snapshot.connect(self._on_snapshot)
        session.ended.connect(self._on_ended)
        self.refresh()

    # -- which model --------------------------------------------------------------------------
    def set_trained(self, model: Any, norm: tuple[float, float]) -> None:
        """The window's trained or loaded model (None: none); a CNN's maps are drawn from it."""
        from trainer.feature_maps import is_cnn_model
        self._trained = (model, norm) if model is not None and is_cnn_model(model) else None
        self._why_none = NO_MODEL if model is None else NOT_CNN
        if self._live and self._session.is_running():
            return      # the run going on is shown; this model takes over when it ends
        self._use_trained()

    def _use_trained(self) -> None:
        self._live, self._epoch = False, None
        self._model, self._norm = self._trained if self._trained is not None else (None, (0.0, 1.0))
        self.refresh()

    def _on_started(self, _ev: Started) -> None:
        exp = self._session.experiment
        from trainer.shapes import is_cnn
        if exp is None or not is_cnn(exp):
            return
        from trainer.feature_maps import input_norm
        from trainer.models import build_model
        self._model, self._norm, self._live = build_model(exp).eval(), input_norm(exp), True
        self.refresh()

    def _on_snapshot(self, ev: Snapshot) -> None:
        if not self._live or not ev.image_state:
            return
        from trainer.feature_maps import load_image_state
        if load_image_state(self._model, ev.image_state):
            self._epoch = ev.epoch
            self.refresh()

    def _on_ended(self) -> None:
        if self._live:
            self._use_trained()

    def is_live(self) -> bool:
        """Whether the maps follow a training run's snapshots (else a trained or loaded model)."""
        return self._live

    # -- drawing ------------------------------------------------------------------------------
    def image(self) -> np.ndarray | None:
        """The 28x28 digit shown: the pad's (as the model sees it) or the chosen test digit."""
        if self.pad_radio.isChecked():
            return self._pad.model_input()
        found = self._test_digits()
        if found is None:
            return None
        images, labels = found
        i = self.digit_index.value()
        self.digit_label.setText(f"(a {int(labels[i])})")
        return images[i].astype(np.float32) / 255.0

    def refresh(self, page: bool = True) -> None:
        """Compute and draw the maps of the digit shown (`page`) and of the pad's digit beside the pad."""
        self.pad_maps_box.setVisible(self._model is not None)
        image = self.image()
        self.input_view.set_values(np.zeros((28, 28)) if image is None else image, GREY)
        if self._model is None:
            self.view.set_kernels(None)
            self.view.set_maps([])
            self._say(self._why_none)
            return
        from trainer.feature_maps import feature_maps, first_kernels
        if page:
            self.view.show_message("")
            self.view.set_kernels(first_kernels(self._model))
            if image is None:
                self.view.set_maps([])
                self._say(EMPTY_PAD if self.pad_radio.isChecked() else
                          "The MNIST test digits are not read yet (open the Results page, or choose the folder "
                          "in the Dataset dock).")
            else:
                self.view.set_maps(feature_maps(self._model, image, self._norm))
                self._say_model()
        drawn = self._pad.model_input()
        if drawn is None:
            self.pad_maps.show_message("<b>Inside the CNN</b>: draw a digit, and each convolution's feature "
                                       "maps of it appear here.")
        else:
            self.pad_maps.show_message("")
            self.pad_maps.set_maps(feature_maps(self._model, drawn, self._norm))
        self.refreshes += 1

    def _say_model(self) -> None:
        if self._live:
            when = f" (epoch {self._epoch + 1})" if self._epoch is not None else ""
            self._say(f"<b>Training</b>{when}: the kernels and maps follow the weights as they change. "
                      "Watch the kernels form.")
        else:
            self._say("The trained CNN. Each map is one kernel slid over the layer's input (lesson D shows one "
                      "step by step): blue where its pattern is, orange where its opposite is.")

    def _say(self, text: str) -> None:
        self.status.setText(text)


__all__ = ["CnnInside"]
