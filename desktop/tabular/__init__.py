"""Your own data in the window (issue 17): File > Import data… and the views of tables.

`install(window)` adds the File menu's action (and the Dataset dock's Import button's), the dialog
(import_dialog.py) and the Playground's tabs for tables (results.py). The trainer side, which
reads, checks and splits the tables, is trainer/tabular/.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from trainer.config import ConfigError, Experiment

from .. import settings
from ..window_api import TabularHost
from .import_dialog import ImportDataDialog, open_dialog
from .results import TabularResults

log = logging.getLogger(__name__)

FILTER = "Tables (*.csv *.tsv *.tab *.txt);;All files (*)"


class ImportData(QObject):
    """File > Import data…: choose a file, show the dialog, put its DataSpec into the docks."""

    def __init__(self, host: TabularHost):
        super().__init__(host.window())
        self._host = host
        self.dialog: ImportDataDialog | None = None    # the one open now, if any
        self.action = QAction("&Import data…", host.window())
        self.action.setStatusTip("Train on your own table: a CSV, TSV or semicolon-separated text file")
        self.action.setShortcut("Ctrl+I")
        self.action.triggered.connect(lambda: self.start())
        host.file_menu.insertAction(host.save_action, self.action)   # after Open experiment…
        host.dataset_panel.importRequested.connect(lambda: self.start())
        host.session.stateChanged.connect(lambda _state: self.action.setEnabled(not host.session.is_running()))

    def start(self, path: str | Path | None = None) -> ImportDataDialog | None:
        """Open the dialog for `path` (asked for when None); None when cancelled or the file is unreadable."""
        if self._host.session.is_running():
            return None
        if path is None:
            path = self._ask()
            if path is None:
                return None
        self.dialog = open_dialog(path, self._base().data, self._host.window(), self._apply)
        return self.dialog

    def _ask(self) -> Path | None:
        from PySide6.QtWidgets import QFileDialog
        start = settings.value("folders/data", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self._host.window(), "Import data", start, FILTER)
        if not path:
            return None
        settings.set_value("folders/data", str(Path(path).parent))
        return Path(path)

    def _base(self) -> Experiment:
        """The docks' experiment (its model, optimizer, split); the default preset's while one is invalid."""
        try:
            return self._host.current_experiment()
        except ConfigError:
            from trainer.presets import load_preset
            return load_preset("spiral")

    def _apply(self, spec) -> None:
        if spec is None or self._host.session.is_running():
            return
        name = Path(spec.csv.path).name
        what = f"predict {spec.csv.target}" if spec.csv.task == "regression" else f"classify {spec.csv.target}"
        exp = replace(self._base(), data=spec, name=Path(name).stem,
                      description=f"{name}: {what} from {len(spec.features)} columns")
        self._host.apply_experiment(exp)
        log.info("imported %s (%s, target %s, %d features)", spec.csv.path, spec.csv.task, spec.csv.target,
                 len(spec.features))
        self._host.statusBar().showMessage(f"Imported {name}: press Train to learn from it.", 10_000)


class Tabular:
    """What install() built: the import action and the table views."""

    def __init__(self, host: TabularHost):
        self.importer = ImportData(host)
        self.results = TabularResults(host)


def install(host: TabularHost) -> Tabular:
    return Tabular(host)


__all__ = ["install", "Tabular", "ImportData", "TabularResults", "ImportDataDialog"]
