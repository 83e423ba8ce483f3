"""The Architecture dock: the hidden layers between the fixed input and output, and the parameter count.

Each layer shows its output shape (trainer.shapes): `Conv 1->16, 3x3, pad 1 · 16x28x28`; a layer whose
shape is impossible is drawn in red with the reason, and the window's check refuses the experiment
(config.validate says the same), which locks Train.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QMenu, QStackedWidget, QToolButton,
                               QWidget)

from trainer.config import ACTIVATIONS, MAX_CHANNELS, MAX_KERNEL, DataSpec, LayerSpec, ModelSpec, input_shape
from trainer.shape_walk import POOL_KINDS, LayerShape, format_shape, padding_of, stride_of
from trainer.shapes import draft_shapes, totals

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


def shape_text(layer: LayerSpec, shape: LayerShape | None) -> str:
    """The list's line for a layer: its label and output shape, or the reason its shape is impossible."""
    if shape is None:   # shapes not known yet (no dataset shown)
        return layer_text(layer)
    base = shape.label if layer.kind in ("conv2d", "flatten", "batchnorm2d", *POOL_KINDS) else layer_text(layer)
    if shape.error:
        return f"✗ {base}: {shape.error}"
    return f"{base} · {format_shape(shape.out_shape)}" if shape.out_shape else base


def shape_details(shape: LayerShape) -> str:
    """Output shape, parameters and multiply-adds of one layer, for its tooltip and the editor."""
    if shape.error:
        return shape.error
    if not shape.out_shape:
        return "shape unknown: a layer before this one has an impossible shape"
    return (f"output {format_shape(shape.out_shape)} · {shape.params:,} parameters · "
            f"{shape.macs:,} multiply-adds per image")


ERROR_COLOR = QColor("#c62828")   # the red of an impossible layer


NEW_LAYERS = {
    "linear": LayerSpec("linear", units=8),
    "activation": LayerSpec("activation", fn="relu"),
    "dropout": LayerSpec("dropout", p=0.2),
    "batchnorm": LayerSpec("batchnorm"),
    "conv2d": LayerSpec("conv2d", channels=16, kernel=3, padding=1),
    "maxpool2d": LayerSpec("maxpool2d", kernel=2),
    "avgpool2d": LayerSpec("avgpool2d", kernel=2),
    "flatten": LayerSpec("flatten"),
    "batchnorm2d": LayerSpec("batchnorm2d"),
}


class ArchitecturePanel(Panel):
    prefixes = ("model.",)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layers: list[LayerSpec] = []
        self._loading = False
        self._data: DataSpec | None = None           # the dataset the shapes are worked out for
        self._shapes: list[LayerShape] = []          # one per layer, then the output layer

        self.input_label = QLabel()
        self.input_label.setObjectName("fixedLayer")
        self.output_label = QLabel()
        self.output_label.setObjectName("fixedLayer")
        self.output_label.setWordWrap(True)
        self.input_label.setWordWrap(True)

        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumHeight(72)
        self.list.setMaximumHeight(200)
        self.list.setWordWrap(True)   # an impossible layer's reason wraps under its name
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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
        menu.addSeparator()
        menu.addAction("Conv block (Conv 3x3 + ReLU + Max pool 2x2)", self.add_conv_block)
        for kind, label in (("conv2d", "Conv2d"), ("maxpool2d", "Max pool"), ("avgpool2d", "Average pool"),
                            ("batchnorm2d", "BatchNorm2d"), ("flatten", "Flatten")):
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
        self.channels = CountBox(1, MAX_CHANNELS, "Channels")
        tip(self.channels, "Output channels: how many filters this convolution learns")
        self.kernel = CountBox(1, MAX_KERNEL, "Kernel")
        tip(self.kernel, "The side of the square window that slides over the image")
        self.stride = CountBox(1, MAX_KERNEL, "Stride")
        tip(self.stride, "How far the window moves at each step (a pool's default is its kernel)")
        self.padding = CountBox(0, MAX_KERNEL, "Padding")
        tip(self.padding, "Zeros added around the image, so the window can centre on the edge pixels")
        self.editor.addWidget(_grid_page([("Channels", self.channels), ("Kernel", self.kernel),
                                          ("Stride", self.stride), ("Padding", self.padding)]))
        self.editor.addWidget(_page("Lays the maps out in one row of features, for linear layers", None))
        self.editor.addWidget(_page("Normalises each channel over the batch and the image", None))
        self.channels.valueChanged.connect(lambda v: self._edit(channels=int(v)))
        self.kernel.valueChanged.connect(lambda v: self._edit(kernel=int(v)))
        self.stride.valueChanged.connect(lambda v: self._edit_window(stride=int(v)))
        self.padding.valueChanged.connect(lambda v: self._edit_window(padding=int(v)))
        self.layer_info = QLabel()
        self.layer_info.setObjectName("hint")
        self.layer_info.setWordWrap(True)
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
        self.macs = QLabel()
        self.macs.setObjectName("hint")
        tip(self.macs, "Multiply-adds of one forward pass of one image: the work a layer does")

        self.outer.addWidget(self.input_label)
        self.outer.addWidget(self.list)
        self.outer.addLayout(buttons)
        self.outer.addWidget(self.editor)
        self.outer.addWidget(self.layer_info)
        self.outer.addWidget(self.output_label)
        self.form.addRow("Loss", self.loss)
        self.form.addRow("Weights", self.init)
        self.outer.addLayout(self.form)
        self.outer.addWidget(self.params)
        self.outer.addWidget(self.macs)
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
        image = input_shape(data, tuple(self._layers))
        if len(image) == 3:   # a CNN sees the pixels as an image (channels x height x width)
            inputs = f"{format_shape(image)} image (channels x height x width)"
        self.input_label.setText(f"Input: {inputs}")
        self.output_label.setText(f"Output: {outputs}")

    def show_params(self, count: int | None) -> None:
        self.params.setText("parameters: …" if count is None else f"{count:,} trainable parameters")

    def show_shapes(self, data: DataSpec) -> None:
        """Work out each layer's shape for this dataset and show it; called on every check of the form."""
        self._data = data
        self._update_shapes()

    def shapes(self) -> list[LayerShape]:
        """The shapes shown: one per layer, then the output layer ([] before show_shapes)."""
        return list(self._shapes)

    # -- editing ------------------------------------------------------------------------
    def add_layer(self, layer: LayerSpec) -> None:
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self._layers)
        self._layers.insert(at, layer)
        self._refresh_list(select=at)
        self._emit()

    def add_conv_block(self) -> None:
        """Conv 3x3 (pad 1, so the map keeps its size) + ReLU + 2x2 max pool (halves it)."""
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self._layers)
        self._layers[at:at] = [NEW_LAYERS["conv2d"], NEW_LAYERS["activation"], NEW_LAYERS["maxpool2d"]]
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
        self._update_shapes()
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
            elif layer.kind in ("conv2d", *POOL_KINDS):
                conv = layer.kind == "conv2d"
                self.channels.setEnabled(conv)
                self.channels.setValue(layer.channels or 1)
                self.kernel.setValue(layer.kernel or 1)
                self.stride.setValue(stride_of(layer))
                self.padding.setValue(padding_of(layer))
                self.editor.setCurrentIndex(5)
            elif layer.kind == "flatten":
                self.editor.setCurrentIndex(6)
            elif layer.kind == "batchnorm2d":
                self.editor.setCurrentIndex(7)
            else:
                self.editor.setCurrentIndex(4)
        finally:
            self._loading = False
        self._show_layer_info()

    def _edit(self, **change) -> None:
        if self._loading:
            return
        row = self.list.currentRow()
        if not 0 <= row < len(self._layers):
            return
        self._layers[row] = replace(self._layers[row], **change)
        self.list.item(row).setText(layer_text(self._layers[row]))
        if self._layers[row].kind in POOL_KINDS:   # a pool's default stride follows its kernel
            self._loading = True
            self.stride.setValue(stride_of(self._layers[row]))
            self._loading = False
        self._update_shapes()
        self._emit()

    def _edit_window(self, **change: int) -> None:
        """Stride or padding of a convolution or pool; the default value is stored as None (unset)."""
        row = self.list.currentRow()
        if self._loading or not 0 <= row < len(self._layers):
            return
        layer = self._layers[row]
        defaults = {"stride": stride_of(replace(layer, stride=None)), "padding": 0}
        self._edit(**{k: None if v == defaults[k] else v for k, v in change.items()})

    def _update_shapes(self) -> None:
        """Each item's text, colour and tooltip from the layers' shapes; the totals below the list."""
        if self._data is None:
            return
        try:
            self._shapes = draft_shapes(self._data, ModelSpec(layers=tuple(self._layers)))
        except Exception:  # noqa: BLE001 -- a field out of range: config.validate names it in the dock
            self._shapes = []
        for row, layer in enumerate(self._layers):
            item = self.list.item(row)
            shape = self._shapes[row] if row < len(self._shapes) else None
            item.setText(shape_text(layer, shape))
            bad = shape is not None and shape.error is not None
            item.setForeground(QBrush(ERROR_COLOR) if bad else QBrush())
            item.setToolTip(shape_details(shape) if shape is not None else "")
        head = self._shapes[-1] if self._shapes else None
        self.output_label.setStyleSheet(f"color: {ERROR_COLOR.name()}" if head and head.error else "")
        self.output_label.setToolTip((head.error or "") if head else "")
        if self._shapes and not any(s.error for s in self._shapes):
            self.macs.setText(f"{totals(self._shapes).macs:,} multiply-adds per image")
        else:
            self.macs.setText("multiply-adds per image: …")
        self._show_layer_info()

    def _show_layer_info(self) -> None:
        row = self.list.currentRow()
        shape = self._shapes[row] if 0 <= row < len(self._layers) and row < len(self._shapes) else None
        self.layer_info.setText(shape_details(shape) if shape is not None else "")
        bad = shape is not None and shape.error is not None   # red also while the layer is selected
        self.layer_info.setStyleSheet(f"color: {ERROR_COLOR.name()}" if bad else "")
        self.layer_info.setVisible(shape is not None)


def _button(text: str, tooltip: str, slot) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    tip(b, tooltip)
    b.clicked.connect(slot)
    return b


def _grid_page(fields: list[tuple[str, QWidget]]) -> QWidget:
    """Several labelled fields, two to a row."""
    page = QWidget()
    grid = QGridLayout(page)
    grid.setContentsMargins(0, 0, 0, 0)
    for i, (label, field) in enumerate(fields):
        grid.addWidget(QLabel(label), i // 2, 2 * (i % 2))
        grid.addWidget(field, i // 2, 2 * (i % 2) + 1)
    grid.setColumnStretch(1, 1)
    grid.setColumnStretch(3, 1)
    return page


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


