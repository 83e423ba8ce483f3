"""Lesson D's tab: one convolution, step by step, on a test digit or one the learner draws.

Pick a digit (an MNIST test digit, or draw one on the pad's canvas), pick or type a kernel, and the
feature map is there at once; Step / Play / the slider (or a click on the input or the map) move the
kernel, and the middle column shows the patch under it, the products cell by cell and their sum, the
number that lands in the map's outlined cell. Below the map: the same map after ReLU and after 2x2
max-pooling. Every number comes from trainer.convolution (NumPy; its tests check it against torch).
"""
from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QRadioButton, QScrollArea, QSizePolicy, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from trainer.config import ConfigError
from trainer.convolution import (KERNELS, SIZES, KernelError, Step, feature_map, max_pool, padded, parse_kernel,
                                 relu, same_padding, step, unit_image)

from ..views.colors import diverging_rgba
from ..views.grids import DIVERGING, GREY, GridView, number_text
from ..views.pad import Canvas
from .catalog import CONVOLUTION

log = logging.getLogger(__name__)

CUSTOM = "Custom (typed)"
FIRST_KERNEL = "Vertical edges"
# Play's speeds: (label, ms between moves, whole rows at a time)
PLAY_RATES = (("2 a second", 500, False), ("10 a second", 100, False), ("30 a second", 33, False),
              ("a row at a time", 150, True))
PATCH_CELL_PX = {3: 44, 5: 28}   # the patch and products grids: room for "-0.75" in each cell
DRAW_THROTTLE_MS = 80      # the maps follow the pen at ~12 updates a second
FIRST_DIGIT = 0            # MNIST's first test digit, a 7: a horizontal bar and a diagonal stroke


class KernelEditor(QWidget):
    """The kernel's numbers as a 3x3 or 5x5 grid of line edits, each tinted by its value."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self.cells: list[list[QLineEdit]] = []
        for r in range(max(SIZES)):
            row = []
            for c in range(max(SIZES)):
                edit = QLineEdit()
                edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
                edit.setFixedWidth(46)
                edit.setToolTip("Type any number (e.g. -1, 0.5, 2e-1); the map follows as you type")
                grid.addWidget(edit, r, c)
                row.append(edit)
            self.cells.append(row)
        self.size = 3

    def set_size(self, size: int) -> None:
        self.size = size
        for r, row in enumerate(self.cells):
            for c, edit in enumerate(row):
                edit.setVisible(r < size and c < size)

    def set_kernel(self, kernel: np.ndarray) -> None:
        """Show these numbers (and the size they have) without announcing an edit."""
        self.set_size(kernel.shape[0])
        for r in range(self.size):
            for c in range(self.size):
                edit = self.cells[r][c]
                edit.blockSignals(True)
                edit.setText(f"{kernel[r, c]:.4g}")
                edit.blockSignals(False)
        self.tint(kernel)

    def texts(self) -> list[list[str]]:
        return [[self.cells[r][c].text() for c in range(self.size)] for r in range(self.size)]

    def tint(self, kernel: np.ndarray | None) -> None:
        """Each cell on the app's diverging scale (orange < 0 < blue), as the maps are drawn."""
        top = float(np.max(np.abs(kernel))) if kernel is not None and kernel.size else 0.0
        rgba = diverging_rgba(kernel, top or 1.0) if kernel is not None else None
        for r in range(self.size):
            for c in range(self.size):
                if rgba is None:
                    style = ""
                else:
                    red, green, blue, _ = (int(v) for v in rgba[r, c])
                    light = 0.299 * red + 0.587 * green + 0.114 * blue > 140
                    style = (f"QLineEdit {{ background: rgb({red},{green},{blue}); "
                             f"color: {'#222' if light else 'white'}; border: 1px solid #b8bec6; }}")
                self.cells[r][c].setStyleSheet(style)


class ConvolutionLesson(QWidget):
    """The Convolution tab. `digits` reads the MNIST test digits (uint8 images, labels) when first needed."""

    def __init__(self, digits: Callable[[], tuple[np.ndarray, np.ndarray]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("convolutionLesson")
        self._read_digits = digits
        self._digits: tuple[np.ndarray, np.ndarray] | None = None
        self._digits_error = ""
        self.image = np.zeros((28, 28))
        self.kernel = KERNELS[FIRST_KERNEL]
        self.padding = same_padding(self.kernel)
        self.fmap = np.zeros((28, 28))
        self.position = 0
        self._play = QTimer(self)
        self._play.timeout.connect(self._advance)
        self._draw_timer = QTimer(self)
        self._draw_timer.setSingleShot(True)
        self._draw_timer.setInterval(DRAW_THROTTLE_MS)
        self._draw_timer.timeout.connect(self._use_drawing)
        self._build()
        self.kernels.setCurrentText(FIRST_KERNEL)
        self._choose_kernel(FIRST_KERNEL)

    # -- construction -------------------------------------------------------------------------
    def _build(self) -> None:
        self.test_radio = QRadioButton("Test digit")
        self.draw_radio = QRadioButton("Draw one")
        self.test_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.test_radio)
        group.addButton(self.draw_radio)
        self.digit_index = QSpinBox()
        self.digit_index.setRange(0, 9_999)
        self.digit_index.setToolTip("Which of MNIST's 10,000 test digits")
        self.random_button = QPushButton("Random")
        self.digit_label = QLabel("")
        self.digit_label.setObjectName("hint")
        self.kernels = QComboBox()
        self.kernels.addItems([*KERNELS, CUSTOM])
        self.kernels.setToolTip("A ready-made kernel; type into the grid below for your own")
        self.size_box = QComboBox()
        for s in SIZES:
            self.size_box.addItem(f"{s}×{s}", s)
        self.padding_box = QComboBox()
        self.padding_box.addItem("same", True)
        self.padding_box.addItem("none", False)
        self.padding_box.setToolTip("Same: a border of zeros keeps the map the size of the image; "
                                    "none: the kernel stays inside the image and the map shrinks")
        top = QHBoxLayout()
        for w in (self.test_radio, self.digit_index, self.random_button, self.digit_label):
            top.addWidget(w)
        top.addSpacing(12)
        top.addWidget(self.draw_radio)
        top.addStretch(1)
        kernel_row = QHBoxLayout()
        kernel_row.addWidget(_bold("Kernel"))
        kernel_row.addWidget(self.kernels, 1)
        shape_row = QHBoxLayout()
        for text, w in (("size", self.size_box), ("padding", self.padding_box)):
            shape_row.addWidget(QLabel(text))
            shape_row.addWidget(w)
        shape_row.addStretch(1)

        # the input: the canvas (only while drawing) above the 28x28 numbers the kernel reads
        self.canvas = Canvas()
        self.canvas_box = QFrame()
        self.canvas_box.setStyleSheet("QFrame#canvasBox { border: 1px solid #9aa3ad; background: white; }")
        self.canvas_box.setObjectName("canvasBox")
        inner = QVBoxLayout(self.canvas_box)
        inner.setContentsMargins(1, 1, 1, 1)
        inner.addWidget(self.canvas)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.canvas.clear)
        draw_row = QHBoxLayout()
        draw_row.addWidget(self.canvas_box)
        draw_row.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.draw_page = QWidget()
        self.draw_page.setLayout(draw_row)
        draw_row.setContentsMargins(0, 0, 0, 0)
        self.draw_page.hide()
        self.input_view = GridView(min_cell=6)
        self.input_caption = _caption()

        # the step: kernel, patch, products, sum
        self.editor = KernelEditor()
        self.kernel_error = QLabel("")
        self.kernel_error.setObjectName("errorLabel")
        self.kernel_error.setWordWrap(True)
        self.kernel_error.hide()
        self.patch_view = GridView()
        self.products_view = GridView()
        self.sum_label = _caption()
        self.sum_label.setObjectName("convolutionSum")
        self.sum_label.setStyleSheet("QLabel#convolutionSum { font-size: 11pt; }")

        # the maps
        self.map_view = GridView(min_cell=6)
        self.relu_view = GridView(min_cell=3)
        self.pool_view = GridView(min_cell=6)
        self.map_caption = _caption()
        self.pool_caption = _caption()

        # stepping
        self.first_button = QPushButton("Start")
        self.first_button.setToolTip("Back to the top-left corner")
        self.back_button = QPushButton("◀ Step")
        self.step_button = QPushButton("Step ▶")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.rate_box = QComboBox()
        for text, ms, rows in PLAY_RATES:
            self.rate_box.addItem(text, (ms, rows))
        self.rate_box.setCurrentIndex(2)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.position_label = QLabel("")
        self.position_label.setMinimumWidth(120)
        bottom = QHBoxLayout()
        for w in (self.first_button, self.back_button, self.step_button, self.play_button, self.rate_box):
            bottom.addWidget(w)
        bottom.addWidget(self.slider, 1)
        bottom.addWidget(self.position_label)

        left = QVBoxLayout()
        left.addWidget(self.input_caption)
        left.addWidget(self.draw_page)
        left.addWidget(self.input_view)
        middle = QVBoxLayout()
        middle.addLayout(kernel_row)
        middle.addLayout(shape_row)
        self.kernel_caption = _caption()
        self.kernel_caption.setObjectName("hint")
        middle.addWidget(self.editor, 0, Qt.AlignmentFlag.AlignLeft)
        middle.addWidget(self.kernel_caption)
        middle.addWidget(self.kernel_error)
        middle.addSpacing(6)
        pair = QGridLayout()
        pair.setHorizontalSpacing(10)
        pair.addWidget(_bold("Patch under it"), 0, 0)
        pair.addWidget(_bold("× kernel = products"), 0, 1)
        pair.addWidget(self.patch_view, 1, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        pair.addWidget(self.products_view, 1, 1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        pair.setColumnStretch(2, 1)
        middle.addLayout(pair)
        middle.addWidget(self.sum_label)
        middle.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.map_caption)
        right.addWidget(self.map_view)
        small = QGridLayout()
        small.addWidget(_bold("After ReLU"), 0, 0)
        small.addWidget(_bold("2×2 max-pool"), 0, 1)
        small.addWidget(self.relu_view, 1, 0, Qt.AlignmentFlag.AlignTop)
        small.addWidget(self.pool_view, 1, 1, Qt.AlignmentFlag.AlignTop)
        right.addLayout(small)
        right.addWidget(self.pool_caption)
        right.addStretch(1)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addSpacing(10)
        body.addLayout(middle, 0)
        body.addSpacing(10)
        body.addLayout(right, 1)
        # The page scrolls where the centre is narrower than its three columns, instead of its
        # minimum width pushing the whole main window wider (and that size being saved).
        content = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(scroll)
        outer = QVBoxLayout(content)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.addLayout(top)
        outer.addLayout(body, 1)
        outer.addLayout(bottom)

        self.digit_index.valueChanged.connect(self.show_test_digit)
        self.random_button.clicked.connect(self._random_digit)
        self.draw_radio.toggled.connect(self._drawing_toggled)
        self.canvas.inkChanged.connect(self._draw_timer.start)
        self.canvas.edited.connect(self._use_drawing)
        self.kernels.textActivated.connect(self._choose_kernel)
        self.size_box.activated.connect(lambda _i: self.set_size(self.size_box.currentData()))
        self.padding_box.activated.connect(lambda _i: self.set_same_padding(self.padding_box.currentData()))
        for row in self.editor.cells:
            for edit in row:
                edit.textEdited.connect(self._kernel_typed)
        self.first_button.clicked.connect(lambda: self.set_position(0))
        self.back_button.clicked.connect(lambda: self.step_by(-1))
        self.step_button.clicked.connect(lambda: self.step_by(1))
        self.play_button.toggled.connect(self._play_toggled)
        self.rate_box.activated.connect(lambda _i: self._play_toggled(self.play_button.isChecked()))
        self.slider.valueChanged.connect(self.set_position)
        self.input_view.cellPicked.connect(self._input_picked)
        self.map_view.cellPicked.connect(lambda r, c: self.set_position(r * self.fmap.shape[1] + c))
        self.relu_view.cellPicked.connect(lambda r, c: self.set_position(r * self.fmap.shape[1] + c))

    # -- the digit ------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._digits is None and not self._digits_error and self.test_radio.isChecked():
            self.show_test_digit(self.digit_index.value())

    def digits(self) -> tuple[np.ndarray, np.ndarray] | None:
        """MNIST's test digits, read once; None (and the reason shown) when the files are not there."""
        if self._digits is None and not self._digits_error:
            from trainer.mnist import DataError
            try:
                self._digits = self._read_digits()
            except DataError as exc:
                self._digits_error = f"No test digits ({exc}). Draw one instead."
                log.info("the convolution lesson has no MNIST digits: %s", exc)
        return self._digits

    def show_test_digit(self, index: int) -> None:
        """Use MNIST test digit `index` (the spin box follows)."""
        found = self.digits()
        if found is None:
            self.digit_label.setText(self._digits_error)
            self.draw_radio.setChecked(True)
            return
        images, labels = found
        index = int(np.clip(index, 0, len(images) - 1))
        if self.digit_index.value() != index:
            self.digit_index.setValue(index)     # comes back here through valueChanged
            return
        self.test_radio.setChecked(True)
        self.digit_label.setText(f"(a {int(labels[index])})")
        self.set_image(unit_image(images[index]))

    def _random_digit(self) -> None:
        self.show_test_digit(int(np.random.default_rng().integers(0, 10_000)))

    def _drawing_toggled(self, drawing: bool) -> None:
        self.draw_page.setVisible(drawing)
        self.digit_index.setEnabled(not drawing)
        self.random_button.setEnabled(not drawing)
        if drawing:
            self._use_drawing()
        else:
            self.show_test_digit(self.digit_index.value())

    def _use_drawing(self) -> None:
        """The canvas as MNIST's 28x28 (trainer.digits, as the pad prepares a digit for the model)."""
        from trainer.digits import render_strokes, to_mnist
        self._draw_timer.stop()
        if not self.draw_radio.isChecked():
            return
        points = self.canvas.stroke_points()
        drawn = render_strokes(points) if points else None
        image = to_mnist(drawn if drawn is not None else self.canvas.array())
        self.digit_label.setText("" if image is not None else "(the pad is empty)")
        self.set_image(np.zeros((28, 28)) if image is None else image.astype(np.float64))

    def set_image(self, image: np.ndarray) -> None:
        """The 28x28 input (floats in [0, 1]); the maps follow at once."""
        self.image = np.asarray(image, dtype=np.float64)
        self._recompute()

    # -- the kernel -----------------------------------------------------------------------------
    def _choose_kernel(self, name: str) -> None:
        if name in KERNELS:
            self.set_kernel(KERNELS[name], name)

    def set_kernel(self, kernel: np.ndarray, name: str = CUSTOM) -> None:
        """Use these numbers (3x3 or 5x5); the grid, the size box and the maps follow."""
        self.kernel = np.asarray(kernel, dtype=np.float64)
        self.editor.set_kernel(self.kernel)
        self.kernels.setCurrentText(name if name in KERNELS else CUSTOM)
        self.size_box.setCurrentIndex(SIZES.index(self.kernel.shape[0]))
        self._show_kernel_error("")
        self._recompute()

    def set_size(self, size: int) -> None:
        """3x3 <-> 5x5: a smaller kernel sits in the middle of zeros; a larger one keeps its middle."""
        k = self.kernel.shape[0]
        if size == k:
            return
        if size > k:
            grown = np.zeros((size, size))
            o = (size - k) // 2
            grown[o:o + k, o:o + k] = self.kernel
            self.set_kernel(grown)
        else:
            o = (k - size) // 2
            self.set_kernel(self.kernel[o:o + size, o:o + size].copy())

    def _kernel_typed(self, _text: str) -> None:
        try:
            kernel = parse_kernel(self.editor.texts())
        except KernelError as exc:
            self._show_kernel_error(f"{exc}. The maps keep the last kernel that was all numbers.")
            return
        self._show_kernel_error("")
        self.kernel = kernel
        self.kernels.setCurrentText(CUSTOM)
        self.editor.tint(kernel)
        self._recompute()

    def _show_kernel_error(self, text: str) -> None:
        self.kernel_error.setText(text)
        self.kernel_error.setVisible(bool(text))

    def kernel_error_text(self) -> str:
        return self.kernel_error.text() if not self.kernel_error.isHidden() else ""

    def set_same_padding(self, same: bool) -> None:
        self.padding_box.setCurrentIndex(0 if same else 1)
        self._recompute()

    # -- the maps -------------------------------------------------------------------------------
    def _recompute(self) -> None:
        same = bool(self.padding_box.currentData())
        self.padding = same_padding(self.kernel) if same else 0
        old_cols = self.fmap.shape[1]
        r, c = divmod(self.position, old_cols)
        self.fmap = feature_map(self.image, self.kernel, self.padding)
        rows, cols = self.fmap.shape
        top = float(np.max(np.abs(self.fmap))) or 1.0    # one scale for the map, its ReLU and its pool
        k, p = self.kernel.shape[0], self.padding
        self.input_view.set_values(padded(self.image, p), GREY)
        self.input_view.set_inner((p, p, *self.image.shape) if p else None)
        self.map_view.set_values(self.fmap, DIVERGING, top)
        self.relu_view.set_values(relu(self.fmap), DIVERGING, top)
        self.pool_view.set_values(max_pool(relu(self.fmap)), DIVERGING, top)
        self.kernel_caption.setText(f"{k}×{k}: pick one above or type your own numbers")
        cell = PATCH_CELL_PX[k]
        for view in (self.patch_view, self.products_view):
            view.setFixedSize(k * cell, k * cell)
        h, w = self.image.shape
        around = f" in a border of {p} zero{'s' if p > 1 else ''} (dashed: the image's edge)" if p else ""
        self.input_caption.setText(f"<b>Input</b> {h}×{w}, ink = 1{around}. Click to move the kernel.")
        self.map_caption.setText(f"<b>Feature map</b> {rows}×{cols}: blue &gt; 0, orange &lt; 0 "
                                 f"(up to ±{number_text(top)}); faded: not reached yet")
        self.slider.blockSignals(True)
        self.slider.setRange(0, rows * cols - 1)
        self.slider.blockSignals(False)
        # the kernel keeps its place on the image when the map changes size
        self.set_position(min(r, rows - 1) * cols + min(c, cols - 1), force=True)

    def set_position(self, position: int, force: bool = False) -> None:
        """Put the kernel at `position` (row by row over the map): patch, products and sum follow."""
        rows, cols = self.fmap.shape
        position = int(np.clip(position, 0, rows * cols - 1))
        if position == self.position and not force:
            return
        self.position = position
        if self.slider.value() != position:
            self.slider.blockSignals(True)
            self.slider.setValue(position)
            self.slider.blockSignals(False)
        s = self.current_step()
        k = self.kernel.shape[0]
        self.input_view.set_box((s.row, s.col, k, k))
        self.map_view.set_box((s.row, s.col, 1, 1))
        self.map_view.set_shown_upto(position)
        self.relu_view.set_box((s.row, s.col, 1, 1))
        pooled_rows, pooled_cols = rows // 2, cols // 2
        pr, pc = s.row // 2, s.col // 2
        in_pool = pr < pooled_rows and pc < pooled_cols
        self.pool_view.set_box((pr, pc, 1, 1) if in_pool else None)
        self.patch_view.set_values(s.patch, GREY, numbers=True)
        self.products_view.set_values(s.products, DIVERGING, numbers=True)
        after = max(s.total, 0.0)
        self.sum_label.setText(
            f"Sum of the {k * k} products: <b>{s.total:.3f}</b><br>→ the map's cell at row {s.row}, "
            f"column {s.col} (outlined)<br>after ReLU: max(0, {s.total:.3f}) = <b>{after:.3f}</b>")
        if in_pool:
            block = relu(self.fmap)[2 * pr:2 * pr + 2, 2 * pc:2 * pc + 2]
            self.pool_caption.setText(f"Pooled cell ({pr}, {pc}) = the largest of its 2×2 block: "
                                      f"<b>{float(block.max()):.3f}</b> · {pooled_rows}×{pooled_cols}, "
                                      "half the size")
        else:
            self.pool_caption.setText(f"This cell is in the last odd row or column: 2×2 pooling drops it "
                                      f"({pooled_rows}×{pooled_cols})")
        self.position_label.setText(f"{position + 1:,} of {rows * cols:,}")

    def current_step(self) -> Step:
        """The kernel where it is now: patch, products, their sum (trainer.convolution.step)."""
        return step(self.image, self.kernel, self.padding, self.position)

    def _input_picked(self, r: int, c: int) -> None:
        """A click on the input centres the kernel there (as near as the map allows)."""
        rows, cols = self.fmap.shape
        half = self.kernel.shape[0] // 2
        self.set_position(int(np.clip(r - half, 0, rows - 1)) * cols + int(np.clip(c - half, 0, cols - 1)))

    # -- stepping -------------------------------------------------------------------------------
    def step_by(self, n: int) -> None:
        """n positions on, wrapping round at the end (and back)."""
        total = self.fmap.size
        self.set_position((self.position + n) % total)

    def _advance(self) -> None:
        _ms, whole_rows = self.rate_box.currentData()
        self.step_by(self.fmap.shape[1] if whole_rows else 1)

    def _play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self._play.start(int(self.rate_box.currentData()[0]))
        else:
            self._play.stop()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.play_button.setChecked(False)     # no timer ticking on a tab nobody sees
        super().hideEvent(event)


def _caption() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _bold(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label


def install(controller, window) -> ConvolutionLesson:
    """Give the lesson controller the Convolution tab (added to the window when lesson D first opens)."""
    from trainer.convolution import mnist_test_digits

    def digits() -> tuple[np.ndarray, np.ndarray]:
        try:
            root = window.current_experiment().data.root
        except ConfigError:   # the docks mid-edit: the default folder will do
            root = None
        return mnist_test_digits(root)

    view = ConvolutionLesson(digits, window.tabs)
    view.hide()
    controller.tab_pages[CONVOLUTION] = view
    return view


__all__ = ["ConvolutionLesson", "KernelEditor", "install", "CUSTOM"]
