"""The Dataset dock: which data, how much, how noisy, how split, and a preview of the points.

Besides the generated sets and MNIST: a "Real data" group (scikit-learn's tables, one line each on
what they are) and the user's own CSV file (File > Import data, or the Import button here), shown
as its file name with its row and feature counts. Tabular data keeps its columns and file
(data.features, data.csv) as imported; the settings that only make points (samples, noise,
classes, clicked-in points) are hidden for it.
"""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QStatusTipEvent
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QWidget)

from trainer.config import DataSpec, input_dim, n_classes, task_of
from trainer.tabular.catalog import CSV, REAL_DATASETS, TABULAR

from .. import settings
from . import CountBox, IntBox, NumberBox, Panel, compact, select, tip

LABELS = {
    "spiral": "Spiral (3 arms)",
    "two-spirals": "Two spirals",
    "circles": "Circles",
    "moons": "Moons",
    "blobs": "Blobs",
    "xor": "XOR gate (4 points)",
    "and": "AND gate (4 points)",
    "or": "OR gate (4 points)",
    "linear": "Line y = 2x + 1 (regression)",
    "mnist": "MNIST handwritten digits",
}
ORDER = ("spiral", "two-spirals", "circles", "moons", "blobs", "xor", "and", "or", "linear", "mnist")
GATES = ("and", "or", "xor")
GENERATED = ("spiral", "two-spirals", "circles", "moons", "blobs", "linear")
REAL_GROUP = "Real data"      # the combo's heading over scikit-learn's tables
OWN_GROUP = "Your data"       # ... and over an imported file

# Class colours for the preview; the views draw with their own palette (desktop.views.colors).
PALETTE = ("#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def class_colour(k: int) -> QColor:
    try:
        from desktop.views.colors import class_qcolor
        return class_qcolor(int(k))
    except Exception:  # the views' palette is optional here
        return QColor(PALETTE[int(k) % len(PALETTE)])


class PointsPreview(QWidget):
    """A small scatter of the split: training points filled, validation and test hollow."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._parts: list[tuple[np.ndarray, np.ndarray, str]] = []
        self._message = ""
        self._regression = False
        # The drawing, kept until the points or the size change: a repaint (the dock is greyed out and
        # back at every Train) costs one pixmap copy instead of ~17 ms of ellipses on the GUI thread.
        self._drawn: QPixmap | None = None
        self._drawn_key: tuple | None = None

    def sizeHint(self):  # noqa: N802
        from PySide6.QtCore import QSize
        return QSize(200, 130)

    def set_splits(self, splits) -> None:
        self._message = ""
        self._regression = splits.task == "regression"
        self._parts = [(splits.x_train, splits.y_train, "train"), (splits.x_val, splits.y_val, "val"),
                       (splits.x_test, splits.y_test, "test")]
        flat = 2 if not self._regression else 1
        if splits.input_dim > flat:   # a table of many columns: its first principal components
            self._parts = [(principal_components(x, splits.x_train, flat), y, kind) for x, y, kind in self._parts]
        self._drawn = None
        self.update()

    def set_message(self, text: str) -> None:
        self._parts, self._message = [], text
        self._drawn = None
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio)
        if self._drawn is None or self._drawn_key != key:
            self._drawn = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
            self._drawn.setDevicePixelRatio(ratio)
            self._drawn.fill(Qt.GlobalColor.transparent)
            painter = QPainter(self._drawn)
            self._draw(painter)
            painter.end()
            self._drawn_key = key
        QPainter(self).drawPixmap(0, 0, self._drawn)

    def _draw(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        p.fillRect(rect, QColor("#fbfbfb"))
        p.setPen(QPen(QColor("#d0d0d0")))
        p.drawRect(rect)
        if self._message or not self._parts:
            p.setPen(QColor("#555"))
            p.drawText(rect.adjusted(8, 4, -8, -4), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._message)
            return
        xs = [x for x, _, _ in self._parts if len(x)]
        x = np.concatenate(xs)
        if self._regression:   # 1-D: plot y against x
            ys = np.concatenate([y for x_, y, _ in self._parts if len(x_)])
            pts = np.column_stack([x[:, 0], ys])
        else:
            pts = x
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
        # Square scale for 2-D inputs: a circle should look round.
        inner = rect.adjusted(8, 8, -8, -8)
        if not self._regression:
            s = min(inner.width() / span[0], inner.height() / span[1])
            sx = sy = s
            ox = inner.left() + (inner.width() - span[0] * s) / 2
            oy = inner.top() + (inner.height() - span[1] * s) / 2
        else:
            sx, sy = inner.width() / span[0], inner.height() / span[1]
            ox, oy = inner.left(), inner.top()
        r = 2.6 if len(pts) < 600 else 1.8
        for xpart, ypart, kind in self._parts:
            for i in range(len(xpart)):
                px = xpart[i, 0]
                py = ypart[i] if self._regression else xpart[i, 1]
                cx = ox + (px - lo[0]) * sx
                cy = oy + (hi[1] - py) * sy
                colour = QColor("#0877bd") if self._regression else class_colour(int(ypart[i]))
                if kind == "train":
                    p.setPen(QPen(colour.darker(130), 0.6))
                    p.setBrush(colour)
                else:
                    p.setPen(QPen(colour, 1.2))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(QPointF(cx, cy), r, r)


def principal_components(x: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """x projected on the first k principal directions of `reference` (the training rows)."""
    ref = np.asarray(reference, dtype=np.float64)
    centre = ref.mean(axis=0) if len(ref) else np.zeros(x.shape[1])
    _, _, vt = np.linalg.svd(ref - centre, full_matrices=False) if len(ref) > 1 else (None, None, np.eye(x.shape[1]))
    return (np.asarray(x, dtype=np.float64) - centre) @ vt[:k].T


def data_label(d: DataSpec) -> str:
    """What the Dataset combo calls a dataset: an imported file by its name, rows and feature counts."""
    if d.name == CSV and d.csv is not None:   # short: the combo is narrow; the line below it says more
        return f"{Path(d.csv.path).name} ({len(d.features)} features)"
    if d.name in REAL_DATASETS:
        return REAL_DATASETS[d.name].label
    return LABELS.get(d.name, d.name)


class DatasetPanel(Panel):
    prefixes = ("data.",)
    rootChosen = Signal(str)   # noqa: N815 -- the user chose the MNIST folder (Browse or typed): '' for the default
    importRequested = Signal()   # noqa: N815 -- Import…: the window opens File > Import data

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._extra: tuple[tuple[float, float, int], ...] = ()   # the added points that fit the dataset
        self._extra_kind = "classes"       # what they are: "classes" (a 2-D point of a class) or "line" (x, y)
        self._aside: list[tuple[tuple[float, float, int], str]] = []   # added points that do not fit: (point, kind)
        self.last_notice = ""              # the last message about added points (also in the status bar)
        self._loading = False
        self._tables: dict[str, DataSpec] = {}   # the features and file of each tabular set, as applied
        self._rows: dict[str, int] = {}          # its number of usable rows, once loaded

        self.name = QComboBox()
        compact(self.name)
        for key in ORDER:
            self.name.addItem(LABELS[key], key)
        self.name.insertSeparator(self.name.count())
        self._heading(REAL_GROUP)
        for key, info in REAL_DATASETS.items():
            self.name.addItem("   " + info.label, key)
            self.name.setItemData(self.name.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        tip(self.name, "The data the network learns from")
        self.import_button = QPushButton("Import CSV…")
        tip(self.import_button, "Train on your own table: a CSV, TSV or semicolon-separated file (File > Import data)")
        self.import_button.clicked.connect(self.importRequested.emit)
        self.about = QLabel()
        self.about.setObjectName("hint")
        self.about.setWordWrap(True)
        self.standardize = QCheckBox("Standardise the inputs")
        tip(self.standardize, "Scale each feature (and a regression target) to mean 0 and std 1, with the "
                              "statistics of the training rows only")
        self.standardize.setChecked(True)
        self.samples = CountBox(4, 100_000, "Samples")
        self.samples.setSingleStep(50)
        tip(self.samples, "How many points to generate (all splits together)")
        self.noise = NumberBox(0.0, 10.0, 0.05, label="Noise")
        tip(self.noise, "How far points scatter from the clean shape")
        self.classes = CountBox(2, 10, "Classes")
        tip(self.classes, "Number of classes (spiral arms, blobs)")
        self.val = NumberBox(0.0, 0.95, 0.05, label="Validation")
        tip(self.val, "Share of the points held out to watch over-fitting (validation)")
        self.test = NumberBox(0.0, 0.95, 0.05, label="Test")
        tip(self.test, "Share of the points kept untouched until the end (test)")
        self.seed = IntBox(0, 2 ** 32 - 1, label="Data seed")
        tip(self.seed, "The random seed of the points: the same seed gives the same data")
        self.regenerate = QPushButton("Regenerate")
        tip(self.regenerate, "New points from a new random seed")
        self.regenerate.clicked.connect(self._new_seed)
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.regenerate)

        # MNIST only
        self.subset = QComboBox()
        compact(self.subset)
        self.subset.addItem("Seed: 5,000 train / 1,000 val", "seed")
        self.subset.addItem("Full: 55,000 train / 5,000 val", "full")
        tip(self.subset, "How many MNIST training images to use (the test set is always all 10,000)")
        self.normalize = QComboBox()
        compact(self.normalize)
        self.normalize.addItem("Pixels in [0, 1] (as the seed)", "none")
        self.normalize.addItem("Standardised (mean 0.1307, std 0.3081)", "standard")
        tip(self.normalize, "How pixel values are scaled before the network sees them")
        self.root = QLineEdit()
        self.root.setPlaceholderText("default folder")
        tip(self.root, "The folder holding MNIST/raw, kept for every MNIST lesson and preset (one that names its "
                       "own folder uses that); empty uses NEURAL_PLAYGROUND_DATA or the user data folder")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._choose_root)
        root_row = QHBoxLayout()
        root_row.setSpacing(4)
        root_row.addWidget(self.root, 1)
        root_row.addWidget(self.browse)
        self.root_row = QWidget()
        self.root_row.setLayout(root_row)
        root_row.setContentsMargins(0, 0, 0, 0)

        self.extra_label = QLabel()
        self.extra_label.setObjectName("hint")
        tip(self.extra_label, "Left-click the decision-boundary plot to add a training point of the chosen class; "
                              "right-click removes the nearest")
        self.clear_extra = QPushButton("Clear")
        tip(self.clear_extra, "Remove the points you added on the decision-boundary plot")
        self.clear_extra.clicked.connect(self._clear_all_points)
        extra_row = QHBoxLayout()
        extra_row.setContentsMargins(0, 0, 0, 0)
        extra_row.addWidget(self.extra_label, 1)
        extra_row.addWidget(self.clear_extra)
        self.extra_row = QWidget()
        self.extra_row.setLayout(extra_row)

        self.sizes = QLabel()
        self.sizes.setObjectName("hint")
        self.sizes.setWordWrap(True)
        self.preview = PointsPreview()

        f = self.form
        f.addRow("Dataset", self.name)
        f.addRow("", self.about)
        f.addRow("Your data", self.import_button)
        f.addRow("Samples", self.samples)
        f.addRow("Noise", self.noise)
        f.addRow("Classes", self.classes)
        f.addRow("Validation", self.val)
        f.addRow("Test", self.test)
        f.addRow("Seed", seed_row)
        f.addRow("Subset", self.subset)
        f.addRow("Inputs", self.normalize)
        f.addRow("Folder", self.root_row)
        f.addRow("Added", self.extra_row)
        f.addRow("Inputs", self.standardize)
        self.outer.addLayout(f)
        self.outer.addWidget(self.error_label)
        self.outer.addWidget(self.sizes)
        self.outer.addWidget(self.preview, 1)

        for path, w in (("data.name", self.name), ("data.n_samples", self.samples), ("data.noise", self.noise),
                        ("data.classes", self.classes), ("data.val_fraction", self.val),
                        ("data.test_fraction", self.test), ("data.seed", self.seed),
                        ("data.mnist_subset", self.subset), ("data.normalize", self.normalize),
                        ("data.root", self.root), ("data.extra_points", self.extra_label),
                        ("data.standardize", self.standardize), ("data.features", self.about),
                        ("data.csv", self.about)):
            self.register(path, w)
        self.name.currentIndexChanged.connect(self._on_name)
        for box in (self.samples, self.classes):
            box.valueChanged.connect(self._emit)
        for box in (self.noise, self.val, self.test, self.seed):
            box.valueChanged.connect(self._emit)
        for box in (self.subset, self.normalize):
            box.currentIndexChanged.connect(self._emit)
        self.standardize.toggled.connect(self._emit)
        self.root.editingFinished.connect(self._root_edited)
        self.apply(DataSpec())

    # -- the spec ---------------------------------------------------------------------
    def spec(self) -> DataSpec:
        # The folder is MNIST's: the other datasets are made here and have none.
        name = self.name.currentData()
        root = (self.root.text().strip() or None) if name == "mnist" else None
        spec = DataSpec(name=name, n_samples=self.samples.value(), noise=self.noise.value(),
                        classes=self.classes.value(), val_fraction=self.val.value(),
                        test_fraction=self.test.value(), seed=self.seed.int_value(),
                        mnist_subset=self.subset.currentData(), normalize=self.normalize.currentData(),
                        root=root, extra_points=self._extra)
        if name not in TABULAR:
            return spec
        # A table's rows are its own: no points are made or clicked in; its columns and file are kept.
        table = self._tables.get(name, DataSpec(name=name))
        defaults = DataSpec()
        return replace(spec, n_samples=defaults.n_samples, noise=defaults.noise, classes=defaults.classes,
                       extra_points=(), standardize=self.standardize.isChecked(), features=table.features,
                       csv=table.csv)

    def apply(self, d: DataSpec) -> None:
        """Show a DataSpec; unknown combo values are added so nothing is silently changed."""
        self._loading = True
        try:
            if d.name in TABULAR:
                self._remember_table(d)
            select(self.name, d.name)
            self.standardize.setChecked(d.standardize)
            self.samples.setValue(d.n_samples)
            self.noise.setValue(d.noise)
            self.classes.setValue(d.classes)
            self.val.setValue(d.val_fraction)
            self.test.setValue(d.test_fraction)
            self.seed.setValue(d.seed)
            select(self.subset, d.mnist_subset)
            select(self.normalize, d.normalize)
            self.root.setText(d.root or settings.mnist_root())   # the user's folder unless the experiment names one
            self._extra = tuple(tuple(p) for p in d.extra_points)
            self._extra_kind, self._aside = _kind(d.name), []    # another experiment: its own points only
        finally:
            self._loading = False
        self._update_enabled()
        self.changed.emit()

    def _heading(self, text: str) -> None:
        """A grey, unselectable line in the Dataset combo over a group of datasets."""
        self.name.addItem(text)
        item = self.name.model().item(self.name.count() - 1)
        item.setEnabled(False)

    def _remember_table(self, d: DataSpec) -> None:
        """Keep a tabular set's columns and file; an imported file gets its own entry under Your data."""
        self._tables[d.name] = replace(d, extra_points=())
        self._rows.pop(d.name, None)
        if d.name != CSV:
            return
        i = self.name.findData(CSV)
        if i < 0:
            self.name.insertSeparator(self.name.count())
            self._heading(OWN_GROUP)
            self.name.addItem("", CSV)
            i = self.name.count() - 1
        self.name.setItemText(i, "   " + data_label(d))
        self.name.setItemData(i, d.csv.path if d.csv is not None else "", Qt.ItemDataRole.ToolTipRole)

    def table_spec(self, name: str) -> DataSpec | None:
        """The columns and file kept for a tabular set (None: not applied since the window opened)."""
        return self._tables.get(name)

    def set_extra_points(self, points) -> None:
        self._extra = tuple((float(x), float(y), int(c)) for x, y, c in points)
        self._update_enabled()
        self._emit()

    def mnist_root(self) -> str | None:
        """The MNIST folder shown (whatever dataset is chosen); None: the default one."""
        return self.root.text().strip() or None

    def extra_points(self) -> tuple[tuple[float, float, int], ...]:
        """The added points of the dataset chosen (those set aside are not part of it)."""
        return self._extra

    def set_aside(self) -> tuple[tuple[float, float, int], ...]:
        """Added points that cannot belong to the dataset chosen; they come back with one they fit."""
        return tuple(p for p, _ in self._aside)

    def _refit(self) -> None:
        """After a change of dataset or classes: set aside the added points that cannot belong to it (a
        class it lacks, a plane it has not) and bring back those set aside that fit it; say so."""
        name, classes = self.name.currentData(), self.classes.value()
        pool = [(p, self._extra_kind) for p in self._extra] + self._aside
        keep = [(p, k) for p, k in pool if _fits(p, k, name, classes)]
        aside = [(p, k) for p, k in pool if not _fits(p, k, name, classes)]
        left, back = len(aside) - len(self._aside), len(keep) - len(self._extra)
        self._extra, self._extra_kind, self._aside = tuple(p for p, _ in keep), _kind(name), aside
        label = LABELS.get(name, name)
        if left > 0:
            self._notice(f"{_count(left)} set aside: {_why_not(aside, name, classes)}. They come back when "
                         f"you choose a dataset they fit (Clear drops them).")
        elif back > 0:
            self._notice(f"{_count(back)} back in the data: they fit {label}.")

    def _notice(self, text: str) -> None:
        """A message in the window's status bar (a status tip goes up to the QMainWindow, which shows it)."""
        self.last_notice = text
        QApplication.sendEvent(self, QStatusTipEvent(text))

    def _clear_all_points(self) -> None:
        self._aside = []
        self.set_extra_points(())

    # -- preview ----------------------------------------------------------------------
    def show_splits(self, splits, full=None) -> None:
        """Draw `splits`; the sizes given are those of `full` when `splits` is a sample of it."""
        full = full if full is not None else splits
        self.preview.set_splits(splits)
        n_tr, n_va, n_te = full.sizes
        note = f" ({full.note})" if getattr(full, "note", "") else ""
        name = self.name.currentData()
        if name in TABULAR:
            self._rows[name] = sum(full.sizes)
            self._show_about()
            flat = 1 if full.task == "regression" else 2
            if full.input_dim > flat:
                # This small preview stays on the principal components; the Data plane tab picks the plane.
                note += (" · this preview: principal component 1 against the target" if flat == 1
                         else " · this preview: principal components 1 and 2 (other planes: the Data plane tab)")
        drawn, total = sum(splits.sizes), sum(full.sizes)
        sample = f" · showing {drawn:,} of {total:,} points" if drawn < total else ""
        self.sizes.setText(f"train {n_tr} · val {n_va} · test {n_te}{note}{sample}")
        self.sizes.setToolTip(f"{n_tr} training, {n_va} validation and {n_te} test points"
                              + (f"; the plots draw an even sample of {drawn:,}, training uses them all"
                                 if sample else ""))

    def show_message(self, text: str, sizes: str = "") -> None:
        self.preview.set_message(text)
        self.sizes.setText(sizes)

    # -- internals --------------------------------------------------------------------
    def _emit(self, *_args) -> None:
        if not self._loading:
            self._refit()
            self._update_enabled()
            self.changed.emit()

    def _on_name(self, *_args) -> None:
        self._emit()

    def _update_enabled(self) -> None:
        name = self.name.currentData()
        mnist, gate = name == "mnist", name in GATES
        generated, table = name in GENERATED, name in TABULAR
        for w in (self.samples, self.noise, self.seed, self.regenerate):
            w.setEnabled(generated or (table and w in (self.seed, self.regenerate)))   # a table's split has a seed
        self.classes.setEnabled(name in ("spiral", "blobs"))
        self.val.setEnabled(generated or table)
        self.test.setEnabled(generated or table)
        for w in (self.samples, self.noise, self.classes):   # a table's rows are given, not made
            self._set_row_visible(w, not table)
        self._set_row_visible(self.standardize, table)
        self._show_about()
        for w in (self.subset, self.normalize, self.root_row):
            self._set_row_visible(w, mnist)
        self._set_row_visible(self.extra_row, not table and (bool(self._extra or self._aside)
                                                             or (not mnist and not gate and name != "linear")))
        k = len(self._extra)
        aside = f" · {len(self._aside)} set aside" if self._aside else ""
        self.extra_label.setText((f"{k} point{'s' if k != 1 else ''}" if k else "none yet") + aside)
        self.extra_label.setToolTip("Left-click the decision-boundary plot to add a training point of the chosen "
                                    "class; right-click removes the nearest" + (
                                        f". {len(self._aside)} added point(s) do not fit this dataset and wait "
                                        "for one they fit" if aside else ""))
        self.clear_extra.setEnabled(k > 0 or bool(self._aside))

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self.form.setRowVisible(field, visible)

    def _show_about(self) -> None:
        """One line on what a table is: a real set's description, or the file, its target and classes."""
        name = self.name.currentData()
        text = ""
        if name in REAL_DATASETS:
            text = REAL_DATASETS[name].description
        elif name == CSV and self._tables.get(CSV) is not None and self._tables[CSV].csv is not None:
            d = self._tables[CSV]
            rows = self._rows.get(CSV)
            what = ("predicts the number in " if d.csv.task == "regression" else "classifies ") + repr(d.csv.target)
            classes = "" if d.csv.task == "regression" else f" into {_names(d.csv.class_names)}"
            text = (f"{Path(d.csv.path).name}: {f'{rows:,} rows, ' if rows else ''}{len(d.features)} features; "
                    f"{what}{classes}")
        self.about.setText(text)
        self._set_row_visible(self.about, bool(text))

    def _new_seed(self) -> None:
        self.seed.setValue(random.randrange(0, 2 ** 31))

    def _choose_root(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding MNIST/raw", self.root.text())
        if folder:
            self.root.setText(folder)
            self._root_edited()

    def _root_edited(self) -> None:
        """The user chose the MNIST folder: it is their setting from now on (lessons, presets, restarts)."""
        settings.set_mnist_root(self.root.text().strip())
        self._emit()
        self.rootChosen.emit(self.root.text().strip())

    def describe(self) -> str:
        d = self.spec()
        if d.name == "mnist":
            return "28×28 = 784 inputs"
        if d.name in TABULAR:
            k = input_dim(d)
            cols = f": {_names(d.features)}" if d.features else ""
            return f"{k} input{'s' if k != 1 else ''}{cols}"
        return {"linear": "1 input (x)"}.get(d.name, "2 inputs (x₁, x₂)")




def _names(names: tuple[str, ...], shown: int = 6) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _kind(name: str) -> str:
    """What an added point is on this dataset: a 2-D point of a class, or an (x, y) of the line."""
    return "line" if name == "linear" else "classes"


def _fits(point: tuple[float, float, int], kind: str, name: str, classes: int) -> bool:
    """Whether an added point of `kind` can belong to the dataset `name` (with `classes` classes)."""
    if name == "mnist" or name in TABULAR or kind != _kind(name):
        return False
    return kind == "line" or 0 <= point[2] < n_classes(DataSpec(name=name, classes=classes))


def _count(n: int) -> str:
    return f"{n} added point{'s' if n != 1 else ''}"


def _why_not(aside: list, name: str, classes: int) -> str:
    label = LABELS.get(name, name)
    if name == "mnist":
        return "MNIST's inputs are images, not points of the plane"
    if name in TABULAR:
        return f"{data_label(DataSpec(name=name))} is a table of its own rows, not points of the plane"
    if name == "linear":
        return f"{label} takes (x, y) values, not points of a class"
    if any(k == "line" for _, k in aside):
        return f"points of the line are not points of a class of {label}"
    missing = sorted({p[2] for p, _ in aside})
    have = n_classes(DataSpec(name=name, classes=classes))
    return (f"class{'es' if len(missing) > 1 else ''} {', '.join(map(str, missing))} "
            f"{'do' if len(missing) > 1 else 'does'} not exist in {label} ({have} classes)")


def outputs_text(d: DataSpec, loss: str) -> str:
    """What the fixed output layer is, in words."""
    task = task_of(d)
    if task == "regression":
        return "1 output: the predicted y (MSE loss)"
    if loss == "bce":
        return "1 output → sigmoid: P(class 1) (binary cross-entropy)"
    return f"{n_classes(d)} outputs → softmax over the classes (cross-entropy)"


__all__ = ["DatasetPanel", "PointsPreview", "LABELS", "REAL_GROUP", "data_label", "outputs_text",
           "principal_components"]
