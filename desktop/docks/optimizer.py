"""The Optimizer dock: how the weights move (optimizer, learning rate) and how long training runs."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QRadioButton, QSlider,
                               QVBoxLayout, QWidget)

from trainer.config import OPTIMIZER_TABLE, OptimSpec, TrainSpec
from trainer.mistakes import MISTAKE_TABLE, NONE

from . import CountBox, IntBox, NumberBox, Panel, compact, select, tip

DEVICE_LABELS = {"auto": "Automatic", "cpu": "CPU", "cuda": "CUDA GPU"}
LR_MIN, LR_MAX = 1e-6, 10.0
TICKS_PER_DECADE = 10


class OptimizerPanel(Panel):
    prefixes = ("optim.", "train.")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._loading = False

        self.name = QComboBox()
        compact(self.name)
        for kind in OPTIMIZER_TABLE.values():
            self.name.addItem(kind.label, kind.name)
        tip(self.name, "The rule that turns gradients into weight updates")

        self.lr = NumberBox(1e-9, 1000.0, log_steps=True, label="Learning rate")
        tip(self.lr, "Learning rate: the size of each step (the slider moves on a log scale)")
        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(round(math.log10(LR_MIN) * TICKS_PER_DECADE),
                                round(math.log10(LR_MAX) * TICKS_PER_DECADE))
        tip(self.lr_slider, f"Learning rate, {LR_MIN:g} to {LR_MAX:g} on a log scale (type other values in the box)")
        lr_row = QHBoxLayout()
        lr_row.setSpacing(6)
        lr_row.addWidget(self.lr_slider, 3)
        lr_row.addWidget(self.lr, 2)

        self.momentum = NumberBox(0.0, 0.999, 0.05, label="Momentum")
        tip(self.momentum, "How much of the previous step carries into the next (SGD + momentum, RMSprop)")
        self.weight_decay = NumberBox(0.0, 10.0, log_steps=True, label="Weight decay")
        tip(self.weight_decay, "L2 penalty on the weights (AdamW: decoupled weight decay)")
        self.lr_decay = NumberBox(1e-6, 1.0, 0.05, label="LR decay")
        tip(self.lr_decay, "After every epoch the learning rate is multiplied by this (1 = constant)")

        self.full_batch = QCheckBox("Full batch")
        tip(self.full_batch, "Each step sees every training point, as the seed trains")
        self.batch = CountBox(1, 100_000, "Batch")
        self.batch.setValue(64)
        tip(self.batch, "Points per step (mini-batch size)")
        batch_row = QHBoxLayout()
        batch_row.setSpacing(6)
        batch_row.addWidget(self.full_batch)
        batch_row.addWidget(self.batch, 1)

        self.epochs = CountBox(1, 1_000_000, "Epochs")
        self.epochs.setSingleStep(100)
        tip(self.epochs, "Passes over the training data")
        self.patience = CountBox(0, 1_000_000, "Early stop")
        self.patience.setSingleStep(10)
        self.patience.setSpecialValueText("off")
        tip(self.patience, "Stop when the validation loss has not improved for this many epochs (off = never)")
        self.restore_best = QCheckBox("Restore the best weights")
        tip(self.restore_best, "At the end, restore the weights of the epoch with the lowest validation loss")
        self.seed = IntBox(0, 2 ** 53, label="Training seed")
        tip(self.seed, "Seed of the initial weights and the shuffling: the same seed trains the same way")
        self.device = QComboBox()
        compact(self.device)
        for key, label in DEVICE_LABELS.items():
            self.device.addItem(label, key)
        tip(self.device, "Where the model trains; Automatic uses a CUDA GPU when there is one")
        self.set_cuda_available(False)

        f = self.form
        f.addRow("Optimizer", self.name)
        f.addRow("Learning rate", lr_row)
        f.addRow("Momentum", self.momentum)
        f.addRow("Weight decay", self.weight_decay)
        f.addRow("LR decay / epoch", self.lr_decay)
        f.addRow("Batch", batch_row)
        f.addRow("Epochs", self.epochs)
        f.addRow("Early stop", self.patience)
        f.addRow("", self.restore_best)
        f.addRow("Seed", self.seed)
        f.addRow("Device", self.device)
        self.outer.addLayout(f)
        self._build_mistakes()
        self.outer.addWidget(self.error_label)
        self.outer.addStretch(1)

        for path, w in (("optim.name", self.name), ("optim.lr", self.lr), ("optim.momentum", self.momentum),
                        ("optim.weight_decay", self.weight_decay), ("optim.lr_decay", self.lr_decay),
                        ("train.batch_size", self.batch),
                        ("train.epochs", self.epochs), ("train.patience", self.patience),
                        ("train.restore_best", self.restore_best), ("train.seed", self.seed),
                        ("train.device", self.device), ("train.mistake", self.mistakes)):
            self.register(path, w)

        self.name.currentIndexChanged.connect(self._emit)
        self.lr.valueChanged.connect(self._lr_from_box)
        self.lr_slider.valueChanged.connect(self._lr_from_slider)
        for box in (self.momentum, self.weight_decay, self.lr_decay, self.batch, self.epochs, self.patience, self.seed):
            box.valueChanged.connect(self._emit)
        self.full_batch.toggled.connect(self._emit)
        self.restore_best.toggled.connect(self._emit)
        self.device.currentIndexChanged.connect(self._emit)
        self.mistakes.toggled.connect(self._emit)
        self.mistake_group.idToggled.connect(lambda _id, on: on and self._emit())
        self.apply(OptimSpec(), TrainSpec())

    def _build_mistakes(self) -> None:
        """"Common mistakes": off by default; on, one of trainer.mistakes' table at a time."""
        self.mistakes = QGroupBox("Common mistakes")
        self.mistakes.setObjectName("mistakes")
        self.mistakes.setCheckable(True)
        self.mistakes.setChecked(False)
        tip(self.mistakes, "Train with a classic mistake on purpose: the curves show it beside the normal run "
                           "of the same settings, and the exported script makes it too")
        self.mistake_group = QButtonGroup(self)   # exclusive: one mistake at a time
        column = QVBoxLayout(self.mistakes)
        column.setContentsMargins(8, 4, 8, 6)
        column.setSpacing(2)
        self.mistake_buttons: dict[str, QRadioButton] = {}
        for i, row in enumerate(m for m in MISTAKE_TABLE.values() if m is not NONE):
            button = QRadioButton(row.label)
            tip(button, row.why)
            self.mistake_group.addButton(button, i)
            self.mistake_buttons[row.key] = button
            column.addWidget(button)
        next(iter(self.mistake_buttons.values())).setChecked(True)
        self.outer.addWidget(self.mistakes)

    def mistake(self) -> str:
        """The value of train.mistake the group shows: "none" while it is off."""
        if not self.mistakes.isChecked():
            return NONE.key
        return next((key for key, b in self.mistake_buttons.items() if b.isChecked()), NONE.key)

    def set_mistake(self, key: str) -> None:
        """Show train.mistake: the group on with that mistake chosen, or off for "none"."""
        if key in self.mistake_buttons:
            self.mistake_buttons[key].setChecked(True)
        self.mistakes.setChecked(key != NONE.key)

    # -- the specs ------------------------------------------------------------------------
    def optim_spec(self) -> OptimSpec:
        return OptimSpec(name=self.name.currentData(), lr=self.lr.value(), momentum=self.momentum.value(),
                         weight_decay=self.weight_decay.value(), lr_decay=self.lr_decay.value())

    def train_spec(self) -> TrainSpec:
        return TrainSpec(epochs=self.epochs.value(), batch_size=0 if self.full_batch.isChecked() else self.batch.value(),
                         patience=self.patience.value(), restore_best=self.restore_best.isChecked(),
                         seed=self.seed.int_value(), device=self.device.currentData(), mistake=self.mistake())

    def apply(self, o: OptimSpec, t: TrainSpec) -> None:
        self._loading = True
        try:
            select(self.name, o.name)
            self.lr.setValue(o.lr)
            self._sync_slider(o.lr)
            self.momentum.setValue(o.momentum)
            self.weight_decay.setValue(o.weight_decay)
            self.lr_decay.setValue(o.lr_decay)
            self.full_batch.setChecked(t.batch_size == 0)
            if t.batch_size > 0:
                self.batch.setValue(t.batch_size)
            self.epochs.setValue(t.epochs)
            self.patience.setValue(t.patience)
            self.restore_best.setChecked(t.restore_best)
            self.seed.setValue(t.seed)
            select(self.device, t.device)
            self.set_mistake(t.mistake)
        finally:
            self._loading = False
        self._update_enabled()
        self.changed.emit()

    def set_cuda_available(self, available: bool) -> None:
        """Grey out the CUDA choice on machines without one (a loaded file may still name it)."""
        item = self.device.model().item(self.device.findData("cuda"))
        if item is not None:
            item.setEnabled(available)
            item.setToolTip("" if available else "No CUDA device was found on this machine")

    # -- internals ------------------------------------------------------------------------
    def _emit(self, *_args) -> None:
        if not self._loading:
            self._update_enabled()
            self.changed.emit()

    def _update_enabled(self) -> None:
        kind = OPTIMIZER_TABLE.get(self.name.currentData())
        self.momentum.setEnabled(kind is not None and kind.takes_momentum)
        self.batch.setEnabled(not self.full_batch.isChecked())
        self.restore_best.setEnabled(True)

    def _sync_slider(self, lr: float) -> None:
        self.lr_slider.blockSignals(True)
        if lr > 0:
            self.lr_slider.setValue(round(math.log10(lr) * TICKS_PER_DECADE))
        self.lr_slider.blockSignals(False)

    def _lr_from_box(self, value: float) -> None:
        self._sync_slider(value)
        self._emit()

    def _lr_from_slider(self, tick: int) -> None:
        value = 10 ** (tick / TICKS_PER_DECADE)
        value = float(f"{value:.2g}")          # 0.01, 0.013, 0.016, 0.02, 0.025 ... round numbers
        self.lr.blockSignals(True)
        self.lr.setValue(value)
        self.lr.blockSignals(False)
        self._emit()


