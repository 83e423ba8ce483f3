"""File > Import data…: a CSV / TSV / semicolon file read, shown and chosen from, then put into the docks.

What trainer.tabular detected (separator, decimal mark, header) is shown in combo boxes; a
correction reads the file again with that Dialect. A preview of the first rows, the target column
(default: the last), the feature columns (default: every other numeric one), the task and the
"drop rows with missing values" option (off). Import checks the whole file first: a file that
cannot be trained on is one message naming the file, row and column, and nothing changes.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from trainer.config import DataSpec
from trainer.tabular.catalog import TASKS
from trainer.tabular.choose import default_features, default_target, detect_task, select, to_arrays
from trainer.tabular.datasets import csv_data_spec
from trainer.tabular.errors import TableError
from trainer.tabular.reader import DECIMALS, SEPARATORS, Dialect, Table, read_table

from .. import dialogs

log = logging.getLogger(__name__)

TITLE = "Import data"
ERROR_TITLE = "Cannot import the data"
HEADERS = {True: "First row is the header", False: "No header row (columns are numbered)"}
TARGET_BACKGROUND = QColor(255, 236, 214)    # the target column in the preview (the app's orange, light)
FEATURE_BACKGROUND = QColor(224, 239, 250)   # the feature columns (the app's blue, light)
PROBLEM_BACKGROUND = QColor(255, 205, 210)   # the cell the summary's error names
PROBLEM_INK = QColor(176, 0, 32)             # the summary's error, and a feature that cannot be used as it is


class ImportDataDialog(QDialog):
    """One file's table and the user's choices; `spec` is the DataSpec once Import succeeded."""

    def __init__(self, table: Table, base: DataSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importData")
        self.setWindowTitle(TITLE)
        self.spec: DataSpec | None = None
        self._base = base
        self._table = table
        self._detected = table.dialect
        self._loading = False
        self._problem: tuple[int, int] | None = None   # the preview's (row, column) the error names

        self.file_label = QLabel()
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detected = QLabel(f"Detected: {table.dialect.describe()}")
        self.detected.setObjectName("hint")
        self.separator = QComboBox()
        for sep, name in SEPARATORS.items():
            self.separator.addItem(name.capitalize(), sep)
        self.decimal = QComboBox()
        for mark, name in DECIMALS.items():
            self.decimal.addItem(f"{name.capitalize()} ({mark})", mark)
        self.header = QComboBox()
        for has, text in HEADERS.items():
            self.header.addItem(text, has)
        for box in (self.separator, self.decimal, self.header):
            box.setToolTip("Detected from the file; correct it if the preview looks wrong: the file is read again")
            box.currentIndexChanged.connect(self._reread)
        dialect_row = QHBoxLayout()
        for label, box in (("Separator", self.separator), ("Decimal mark", self.decimal), ("Header", self.header)):
            dialect_row.addWidget(QLabel(label))
            dialect_row.addWidget(box)
        dialect_row.addStretch(1)

        self.preview = QTableWidget()
        self.preview.setObjectName("importPreview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setMinimumHeight(180)
        self.preview.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

        self.target = QComboBox()
        self.target.setToolTip("The column the network learns to predict")
        self.target.currentIndexChanged.connect(self._on_target)
        self.features = QListWidget()
        self.features.setObjectName("importFeatures")
        self.features.setToolTip("The columns the network learns from; only columns of numbers can be features")
        self.features.setMaximumHeight(130)
        self.features.itemChanged.connect(self._on_choice)
        self.task = QComboBox()
        for task in TASKS:
            self.task.addItem(task.capitalize(), task)
        self.task.setToolTip("Classification: the target names a class (text, or a few whole numbers). "
                             "Regression: the target is a measurement, predicted as a number")
        self.task.currentIndexChanged.connect(self._on_choice)
        self.drop_bad = QCheckBox("Drop rows with missing or non-finite values (empty, NaN, inf)")
        self.drop_bad.setToolTip("Off: such a cell is reported, with its row and column, and nothing is imported")
        self.drop_bad.toggled.connect(self._on_choice)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)

        form = QFormLayout()
        form.addRow("File", self.file_label)
        form.addRow("", self.detected)
        form.addRow("Read as", dialect_row)
        choose = QFormLayout()
        choose.addRow("Target", self.target)
        choose.addRow("Features", self.features)
        choose.addRow("Task", self.task)
        choose.addRow("", self.drop_bad)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addLayout(choose)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.resize(760, 640)
        self._show_table(table, keep_choice=False)

    # -- what the user sees and chooses ---------------------------------------------------------
    def table(self) -> Table:
        return self._table

    def dialect(self) -> Dialect:
        return Dialect(self.separator.currentData(), self.decimal.currentData(), bool(self.header.currentData()))

    def chosen_features(self) -> tuple[str, ...]:
        return tuple(self.features.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.features.count())
                     if self.features.item(i).checkState() == Qt.CheckState.Checked
                     and not self.features.item(i).isHidden())

    def set_feature(self, name: str, on: bool) -> None:
        """Tick or untick one feature column (as a click on its box does)."""
        for i in range(self.features.count()):
            item = self.features.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def _show_table(self, table: Table, keep_choice: bool) -> None:
        """Fill every widget from `table` (a new dialect: the choices are kept where the columns still exist)."""
        old_target, old_features = self.target.currentText(), set(self.chosen_features())
        self._table = table
        self._loading = True
        try:
            self.file_label.setText(f"{table.path}  ({table.n_rows:,} rows, {len(table.columns)} columns, "
                                    f"{table.size / 1024:,.1f} KB)")
            for box, value in ((self.separator, table.dialect.separator), (self.decimal, table.dialect.decimal),
                               (self.header, table.dialect.header)):
                box.setCurrentIndex(box.findData(value))
            self.target.clear()
            self.target.addItems(list(table.names))
            target = old_target if keep_choice and old_target in table.names else default_target(table)
            self.target.setCurrentText(target)
            kept = old_features & set(table.names) if keep_choice else set()   # else the columns were renamed
            self._fill_features(target, kept or None)
            self.task.setCurrentIndex(self.task.findData(detect_task(table, target)))
        finally:
            self._loading = False
        self._on_choice()

    def _fill_features(self, target: str, chosen: set[str] | None) -> None:
        defaults = set(default_features(self._table, target))
        self.features.clear()
        for col in self._table.columns:
            kind = "numbers" if col.numeric else "text"
            if col.numeric and col.first_text is not None:   # mostly numbers, but a text cell stops training
                kind = f"text in row {col.first_text[0]}: {col.first_text[1]!r}; not usable as it is"
            extra = f", {col.missing} missing" if col.missing else ""
            item = QListWidgetItem(f"{col.name}   ({kind}{extra})")
            if col.first_text is not None:
                item.setForeground(QBrush(PROBLEM_INK if col.numeric else QColor(110, 110, 110)))
            item.setData(Qt.ItemDataRole.UserRole, col.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = col.name in (defaults if chosen is None else chosen)
            item.setCheckState(Qt.CheckState.Checked if on and col.name != target else Qt.CheckState.Unchecked)
            self.features.addItem(item)
            item.setHidden(col.name == target)

    def _fill_preview(self) -> None:
        table, target, features = self._table, self.target.currentText(), set(self.chosen_features())
        rows = table.preview()
        self.preview.clear()
        self.preview.setColumnCount(len(table.columns))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(list(table.names))
        self.preview.setVerticalHeaderLabels([str(line) for line in table.lines[:len(rows)]])
        bold = QFont(self.preview.font())
        bold.setBold(True)
        for c, name in enumerate(table.names):
            head = self.preview.horizontalHeaderItem(c)
            role = "target" if name == target else "feature" if name in features else "not used"
            head.setToolTip(f"{name}: {role}")
            if name == target:
                head.setFont(bold)
                head.setText(f"{name} (target)")
            background = (TARGET_BACKGROUND if name == target else FEATURE_BACKGROUND if name in features else None)
            for r, row in enumerate(rows):
                item = QTableWidgetItem(row[c])
                if background is not None:
                    item.setBackground(QBrush(background))
                self.preview.setItem(r, c, item)
        self.preview.resizeColumnsToContents()

    # -- reactions ----------------------------------------------------------------------------------
    def _reread(self, *_args) -> None:
        """A corrected separator, decimal mark or header: the file is read again with it."""
        if self._loading:
            return
        try:
            table = read_table(self._table.path, self.dialect())
        except TableError as exc:
            self._show_problem(exc)
            return
        self._show_table(table, keep_choice=True)

    def _on_target(self, *_args) -> None:
        if self._loading:
            return
        target = self.target.currentText()
        self._loading = True
        try:
            self._fill_features(target, None)
            self.task.setCurrentIndex(self.task.findData(detect_task(self._table, target)))
        finally:
            self._loading = False
        self._on_choice()

    def _on_choice(self, *_args) -> None:
        if self._loading:
            return
        self._fill_preview()
        try:
            selection = select(self._table, self.target.currentText(), self.chosen_features(),
                               self.task.currentData())
            x, _, _ = to_arrays(self._table, selection, self.drop_bad.isChecked())
        except TableError as exc:
            self._show_problem(exc)
            return
        self.ok_button.setEnabled(True)
        self._problem = None
        dropped = self._table.n_rows - len(x)
        what = (f"{len(selection.class_names)} classes: {', '.join(selection.class_names[:8])}"
                f"{', …' if len(selection.class_names) > 8 else ''}" if selection.task == "classification"
                else f"a number ({selection.target})")
        self.summary.setStyleSheet("")
        self.summary.setText(f"{len(x):,} rows{f' ({dropped:,} dropped)' if dropped else ''} · "
                             f"{len(selection.features)} features → {what}")

    def _show_problem(self, exc: TableError) -> None:
        """The error in red, Import disabled until a choice fixes it, and its cell shown if the preview has it."""
        self.summary.setStyleSheet(f"color: {PROBLEM_INK.name()}")
        self.summary.setText(str(exc))
        self.ok_button.setEnabled(False)
        names, lines = self._table.names, self._table.lines[:self.preview.rowCount()]
        self._problem = None
        if exc.row in lines and exc.column in names:
            self._problem = (lines.index(exc.row), names.index(exc.column))
            item = self.preview.item(*self._problem)
            if item is not None:
                item.setBackground(QBrush(PROBLEM_BACKGROUND))
        QTimer.singleShot(0, self._scroll_to_problem)   # once the preview has its size

    def _scroll_to_problem(self) -> None:
        item = self.preview.item(*self._problem) if self._problem is not None else None
        if item is not None:
            self.preview.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtCenter)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._scroll_to_problem()

    def accept(self) -> None:
        """Check the whole file as chosen; one message (and the dialog stays) when it cannot be trained on."""
        try:
            selection = select(self._table, self.target.currentText(), self.chosen_features(),
                               self.task.currentData())
            self.spec = csv_data_spec(self._table, selection, self._base, self.drop_bad.isChecked())
        except TableError as exc:
            log.warning("%s: %s", ERROR_TITLE, exc)
            dialogs.show_error(self, ERROR_TITLE, str(exc))
            return
        super().accept()


def open_dialog(path: str | Path, base: DataSpec, parent: QWidget | None,
                done: Callable[[DataSpec], None]) -> ImportDataDialog | None:
    """Read `path` (its dialect detected) and show the dialog, not blocking; `done(spec)` on Import.
    A file that cannot be read as a table is one message, and no dialog."""
    try:
        table = read_table(path)
    except TableError as exc:
        log.warning("%s: %s", ERROR_TITLE, exc)
        dialogs.show_error(parent, ERROR_TITLE, str(exc))
        return None
    dialog = ImportDataDialog(table, replace(base, extra_points=()), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: done(dialog.spec))
    dialog.open()
    return dialog


__all__ = ["ImportDataDialog", "open_dialog", "TITLE", "ERROR_TITLE"]
