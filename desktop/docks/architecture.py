"""The Architecture dock: the hidden layers between the fixed input and output, and the parameter count."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QMenu, QStackedWidget, QToolButton,
                               QWidget)

from trainer.config import ACTIVATIONS, DataSpec, LayerSpec, ModelSpec

from . import CountBox, NumberBox, Panel, compact, select, tip

ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
                     "gelu": "GELU", "identity": "Identity (none)"}
LOSS_LABELS = {"auto": "Automatic (from the dataset)", "bce": "Binary cross-entropy", "cross_entropy":
               "Cross-entropy", "mse": "Mean squared error"}
INIT_LABELS = {"default": "PyTorch default (random)", "zeros": "All zeros (as the seed's A1)"}


def layer_text(layer: LayerSpec) -> str:
    if layer.kind == "linear":
        return f"Linear · {layer.units} units"
    if layer.kind == "activation":
        return ACTIVATION_LABELS.get(layer.fn or "", str(layer.fn))
    if layer.kind == "dropout":
        return f"Dropout · p = {layer.p:g}" if layer.p is not None else "Dropout"
    if layer.kind == "batchnorm":
        return "BatchNorm"
    return layer.kind


NEW_LAYERS = {
    "linear": LayerSpec("linear", units=8),
    "activation": LayerSpec("activation", fn="relu"),
    "dropout": LayerSpec("dropout", p=0.2),
    "batchnorm": LayerSpec("batchnorm"),
}


class ArchitecturePanel(Panel):
    prefixes = ("model.",)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layers: list[LayerSpec] = []
        self._loading = False

        self.input_label = QLabel()
        self.input_label.setObjectName("fixedLayer")
        self.output_label = QLabel()
        self.output_label.setObjectName("fixedLayer")
        self.output_label.setWordWrap(True)
        self.input_label.setWordWrap(True)

        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumHeight(72)
        self.list.setMaximumHeight(120)
        tip(self.list, "The hidden layers, first to last")
        self.list.currentRowChanged.connect(self._show_editor)

        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        menu.addAction("Hidden layer (Linear + ReLU)", self.add_hidden_layer)
        menu.addSeparator()
        for kind, label in (("linear", "Linear"), ("activation", "Activation"), ("dropout", "Dropout"),
                            ("batchnorm", "BatchNorm")):
            menu.addAction(label, lambda k=kind: self.add_layer(NEW_LAYERS[k]))
        self.add_button.setMenu(menu)
        tip(self.add_button, "Add a layer after the selected one")
        self.remove_button = _button("Remove", "Remove the selected layer", self.remove_layer)
        self.up_button = _button("↑", "Move the selected layer up", lambda: self.move_layer(-1))
        self.down_button = _button("↓", "Move the selected layer down", lambda: self.move_layer(1))
        self.dup_button = _button("Duplicate", "Copy the selected layer below it", self.duplicate_layer)
        buttons = QHBoxLayout()
        buttons.setSpacing(3)
        for b in (self.add_button, self.remove_button, self.dup_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)

        # One editor page per layer kind.
        self.units = CountBox(1, 8192, "Units")
        tip(self.units, "Neurons in this layer")
        self.fn = QComboBox()
        compact(self.fn)
        for key in ACTIVATIONS:
            self.fn.addItem(ACTIVATION_LABELS.get(key, key), key)
        self.p = NumberBox(0.0, 0.99, 0.05, label="Dropout p")
        tip(self.p, "The share of activations dropped at random while training")
        self.editor = QStackedWidget()
        self.editor.addWidget(_page("Select a layer to edit it", None))
        self.editor.addWidget(_page("Units", self.units))
        self.editor.addWidget(_page("Function", self.fn))
        self.editor.addWidget(_page("Drop p", self.p))
        self.editor.addWidget(_page("Normalises each unit over the batch", None))
        self.units.valueChanged.connect(lambda v: self._edit(units=int(v)))
        self.fn.currentIndexChanged.connect(lambda _i: self._edit(fn=self.fn.currentData()))
        self.p.valueChanged.connect(lambda v: self._edit(p=float(v)))

        self.loss = QComboBox()
        compact(self.loss)
        for key, label in LOSS_LABELS.items():
            self.loss.addItem(label, key)
        tip(self.loss, "What the training minimises; Automatic picks what the dataset needs")
        self.init = QComboBox()
        compact(self.init)
        for key, label in INIT_LABELS.items():
            self.init.addItem(label, key)
        tip(self.init, "The starting weights")
        self.loss.currentIndexChanged.connect(self._emit)
        self.init.currentIndexChanged.connect(self._emit)

        self.params = QLabel("…")
        self.params.setObjectName("paramCount")

        self.outer.addWidget(self.input_label)
        self.outer.addWidget(self.list)
        self.outer.addLayout(buttons)
        self.outer.addWidget(self.editor)
        self.outer.addWidget(self.output_label)
        self.form.addRow("Loss", self.loss)
        self.form.addRow("Weights", self.init)
        self.outer.addLayout(self.form)
        self.outer.addWidget(self.params)
        self.outer.addWidget(self.error_label)
        self.register("model.layers", self.list)
        self.register("model.loss", self.loss)
        self.register("model.init", self.init)
        self._refresh_list()

    # -- the spec ---------------------------------------------------------------------
    def spec(self) -> ModelSpec:
        return ModelSpec(layers=tuple(self._layers), loss=self.loss.currentData(), init=self.init.currentData())

    def apply(self, m: ModelSpec) -> None:
        self._loading = True
        try:
            self._layers = list(m.layers)
            select(self.loss, m.loss)
            select(self.init, m.init)
        finally:
            self._loading = False
        self._refresh_list()
        self.changed.emit()

    def layers(self) -> list[LayerSpec]:
        return list(self._layers)

    def show_io(self, data: DataSpec, inputs: str, outputs: str) -> None:
        self.input_label.setText(f"Input: {inputs}")
        self.output_label.setText(f"Output: {outputs}")

    def show_params(self, count: int | None) -> None:
        self.params.setText("parameters: …" if count is None else f"{count:,} trainable parameters")

    # -- editing ------------------------------------------------------------------------
    def add_layer(self, layer: LayerSpec) -> None:
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self._layers)
        self._layers.insert(at, layer)
        self._refresh_list(select=at)
        self._emit()

    def add_hidden_layer(self) -> None:
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self._layers)
        self._layers[at:at] = [NEW_LAYERS["linear"], NEW_LAYERS["activation"]]
        self._refresh_list(select=at)
        self._emit()

    def remove_layer(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._layers):
            del self._layers[row]
            self._refresh_list(select=min(row, len(self._layers) - 1))
            self._emit()

    def move_layer(self, delta: int) -> None:
        row = self.list.currentRow()
        new = row + delta
        if 0 <= row < len(self._layers) and 0 <= new < len(self._layers):
            self._layers[row], self._layers[new] = self._layers[new], self._layers[row]
            self._refresh_list(select=new)
            self._emit()

    def duplicate_layer(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._layers):
            self._layers.insert(row + 1, self._layers[row])
            self._refresh_list(select=row + 1)
            self._emit()

    def select_layer(self, row: int) -> None:
        self.list.setCurrentRow(row)

    # -- internals ------------------------------------------------------------------------
    def _emit(self, *_args) -> None:
        if not self._loading:
            self.changed.emit()

    def _refresh_list(self, select: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for layer in self._layers:
            self.list.addItem(QListWidgetItem(layer_text(layer)))
        if not self._layers:
            item = QListWidgetItem("(no hidden layers: input connects straight to output)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if select is not None and 0 <= select < len(self._layers):
            self.list.setCurrentRow(select)
        else:
            self.list.setCurrentRow(-1)
        self._show_editor(self.list.currentRow())

    def _show_editor(self, row: int) -> None:
        has = 0 <= row < len(self._layers)
        for b in (self.remove_button, self.dup_button):
            b.setEnabled(has)
        self.up_button.setEnabled(has and row > 0)
        self.down_button.setEnabled(has and row < len(self._layers) - 1)
        if not has:
            self.editor.setCurrentIndex(0)
            return
        layer = self._layers[row]
        self._loading = True
        try:
            if layer.kind == "linear":
                self.units.setValue(layer.units or 1)
                self.editor.setCurrentIndex(1)
            elif layer.kind == "activation":
                select(self.fn, layer.fn)
                self.editor.setCurrentIndex(2)
            elif layer.kind == "dropout":
                self.p.setValue(layer.p or 0.0)
                self.editor.setCurrentIndex(3)
            else:
                self.editor.setCurrentIndex(4)
        finally:
            self._loading = False

    def _edit(self, **change) -> None:
        if self._loading:
            return
        row = self.list.currentRow()
        if not 0 <= row < len(self._layers):
            return
        self._layers[row] = replace(self._layers[row], **change)
        self.list.item(row).setText(layer_text(self._layers[row]))
        self._emit()


def _button(text: str, tooltip: str, slot) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    tip(b, tooltip)
    b.clicked.connect(slot)
    return b


def _page(label: str, field: QWidget | None) -> QWidget:
    page = QWidget()
    grid = QGridLayout(page)
    grid.setContentsMargins(0, 0, 0, 0)
    text = QLabel(label)
    if field is None:
        text.setObjectName("hint")
        text.setWordWrap(True)
        grid.addWidget(text, 0, 0, 1, 2)
    else:
        grid.addWidget(text, 0, 0)
        grid.addWidget(field, 0, 1)
        grid.setColumnStretch(1, 1)
    return page


