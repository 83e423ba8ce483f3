"""The File menu's reads and writes: experiments (JSON), trained models (.pt), plots (PNG, CSV).

Every write goes through trainer.atomic: all of the file or none of it, never a half-written
one over a good one. A failure is one dialog naming the file, never a traceback. The folder
last used for each kind of file is remembered.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from trainer.atomic import atomic_path, atomic_write
from trainer.config import ConfigError, Experiment

from . import dialogs, settings
from .window_api import FileHost

log = logging.getLogger(__name__)

EXPERIMENT_FILTER = "Experiments (*.json)"
MODEL_FILTER = "Neural Playground models (*.pt)"
DATA_FILTER = "Tables (*.csv *.tsv *.tab *.txt);;All files (*)"


class FileActions:
    """File > Open / Save experiment, Save / Load trained model, Export plot, for one window."""

    def __init__(self, host: FileHost):
        self._host = host

    def ask_path(self, save: bool, caption: str, key: str, filters: str, default_name: str = "") -> Path | None:
        """A file dialog starting in the folder last used for `key`; None when cancelled."""
        parent = self._host.window()
        start = settings.value(f"folders/{key}", str(Path.home()))
        if save:
            path, _ = QFileDialog.getSaveFileName(parent, caption, str(Path(start) / default_name), filters)
        else:
            path, _ = QFileDialog.getOpenFileName(parent, caption, start, filters)
        if not path:
            return None
        settings.set_value(f"folders/{key}", str(Path(path).parent))
        return Path(path)

    def _error(self, title: str, text: str) -> None:
        log.warning("%s: %s", title, text)   # an expected situation: one line, no traceback
        dialogs.show_error(self._host.window(), title, text)   # looked up on the module: tests replace it

    def _say(self, text: str, ms: int = 6000) -> None:
        self._host.statusBar().showMessage(text, ms)

    # -- experiments -----------------------------------------------------------------------------
    def open_experiment(self, path: str | os.PathLike | None = None) -> bool:
        """Load an experiment JSON file; a bad file leaves the settings as they were."""
        if path is None:
            path = self.ask_path(False, "Open experiment", "experiments", f"{EXPERIMENT_FILTER};;All files (*)")
            if path is None:
                return False
        path = Path(path)
        try:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise ConfigError("", "no such file") from None
            except OSError as exc:
                raise ConfigError("", f"cannot be read ({exc.strerror or exc})") from None
            exp = Experiment.from_json(data)
        except ConfigError as exc:
            self._error("Could not open the experiment", f"{path.name}: {exc}")
            return False
        self._host.apply_experiment(self.located(exp))
        log.info("opened the experiment %s", path)
        self._say(f"Opened {path.name}")
        return True

    def save_experiment(self, path: str | os.PathLike | None = None) -> bool:
        """Write the docks' experiment as JSON; refused (with the reason) while a setting is invalid."""
        try:
            exp = self._host.current_experiment()
        except ConfigError as exc:
            self._error("Cannot save these settings", str(exc))
            return False
        if path is None:
            path = self.ask_path(True, "Save experiment", "experiments", EXPERIMENT_FILTER,
                                 f"{exp.name or 'experiment'}.json")
            if path is None:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        try:
            atomic_write(path, exp.to_json() + "\n")
        except OSError as exc:
            self._error("Could not save the experiment", f"{path}: {exc.strerror or exc}")
            return False
        log.info("saved the experiment to %s", path)
        self._say(f"Saved {path}")
        return True

    def located(self, exp: Experiment) -> Experiment:
        """An experiment on a data file (data.csv) that moved or changed: say which, and offer to locate
        it. Opened either way; without the file the Dataset dock says why it cannot train."""
        if exp.data.csv is None:
            return exp
        from trainer.tabular.errors import TableError
        from trainer.tabular.provenance import check_file, locate
        check = check_file(exp.data)
        while not check.ok:
            log.warning("the experiment's data file: %s", check.message)
            if not dialogs.ask(self._host.window(), "The experiment's data file", check.message,
                               "Locate the file…", "Open without it"):
                return exp
            found = self.ask_path(False, "Locate the data file", "data", DATA_FILTER)
            if found is None:
                return exp
            try:
                exp = replace(exp, data=locate(exp.data, found))
            except TableError as exc:
                self._error("Not the experiment's data file", str(exc))
                continue
            self._say(f"The data file is now {exp.data.csv.path}")
            check = check_file(exp.data)
        return exp

    # -- trained models --------------------------------------------------------------------------
    def save_model(self, path: str | os.PathLike | None = None) -> bool:
        """Write the model now shown (trained here or loaded) with its experiment and history."""
        trained = self._host.trained()
        if trained is None:
            dialogs.show_info(self._host.window(), "No trained model", "Train a model first (or load one).")
            return False
        exp, fin = trained
        if path is None:
            path = self.ask_path(True, "Save trained model", "models", MODEL_FILTER, f"{exp.name or 'model'}.pt")
            if path is None:
                return False
        path = model_file(Path(path))
        if path.is_dir():   # trainer.checkpoint.save would write model.pt inside it: not what was named
            self._error("Could not save the model", f"{path}: this is a folder; choose a file name")
            return False
        from trainer.checkpoint import save
        try:
            written = save(path, exp, fin, tree=self._host.time_travel.tree_of(fin))   # with its timeline
        except OSError as exc:
            self._error("Could not save the model", f"{path}: {exc.strerror or exc}")
            return False
        log.info("saved the model to %s", written)
        self._say(f"Saved the trained model as {written.name} in {written.parent}", 10_000)
        return True

    def load_model(self, path: str | os.PathLike | None = None) -> bool:
        """Load a checkpoint: its settings into the docks, its history and pictures into the views."""
        if self._host.session.is_running():
            return False
        if path is None:
            path = self.ask_path(False, "Load trained model", "models", f"{MODEL_FILTER};;All files (*)")
            if path is None:
                return False
        from trainer.checkpoint import CheckpointError, load
        from trainer.results import finished_from_checkpoint
        try:
            ckpt = load(Path(path))
        except CheckpointError as exc:
            log.warning("could not load the model %s: %s", exc.path, exc.detail)   # the technical reason
            self._error("Could not load the model", str(exc))
            return False
        fin = finished_from_checkpoint(ckpt)
        self._host.show_loaded(self.located(ckpt.experiment), fin, ckpt.model)
        if ckpt.tree is not None:
            self._host.time_travel.adopt(ckpt.tree, fin)   # its timeline and branches: scrub and branch again
        log.info("loaded the model %s", ckpt.path)
        self._say(f"Loaded {ckpt.path}", 8000)
        return True

    # -- plots -----------------------------------------------------------------------------------
    def export_plot(self, which: str, fmt: str, path: str | os.PathLike | None = None) -> bool:
        """Write the curves or the boundary plot as PNG (pyqtgraph's ImageExporter) or CSV."""
        if path is None:
            filters = "PNG image (*.png)" if fmt == "png" else "CSV table (*.csv)"
            path = self.ask_path(True, "Export plot", "exports", filters, f"{which}.{fmt}")
            if path is None:
                return False
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_suffix(f".{fmt}")
        host = self._host
        try:
            if fmt == "png":
                export_png(host.curves.plot_widget().scene() if which == "curves" else host.boundary.plot, path)
            elif which == "curves":
                atomic_write(path, curves_csv(host.curves.data()))
            else:
                import pyqtgraph.exporters as exporters
                with atomic_path(path) as tmp:   # the exporter picks the format from the (kept) suffix
                    exporters.CSVExporter(host.boundary.plot).export(str(tmp))
        except OSError as exc:
            self._error("Could not export the plot", f"{path}: {exc.strerror or exc}")
            return False
        self._say(f"Exported {path}")
        return True


def model_file(path: Path) -> Path:
    """The file a model is saved as: the name the user gave, with `.pt` added when it has another ending
    or none (a name without one would otherwise become a folder holding model.pt)."""
    return path if path.suffix.lower() == ".pt" else path.with_name(path.name + ".pt")


def export_png(item: Any, path: Path) -> None:
    """A pyqtgraph scene or plot item as a PNG at least 1200 px wide, written atomically."""
    import pyqtgraph.exporters as exporters
    exporter = exporters.ImageExporter(item)
    if int(exporter.parameters()["width"]) < 1200:   # a crisper image than the on-screen size
        exporter.parameters()["width"] = 1200
    with atomic_path(path) as tmp:
        exporter.export(str(tmp))


def curves_csv(data: dict[str, Any]) -> str:
    """The curves' data as CSV text: one row per epoch, a missing value as an empty cell."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    cols = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc")
    writer.writerow(cols)
    for i in range(len(data["epoch"])):
        row: list[Any] = []
        for c in cols:
            v = float(data[c][i])
            row.append(int(v) if c == "epoch" else ("" if math.isnan(v) else repr(v)))
        writer.writerow(row)
    return buf.getvalue()


__all__ = ["FileActions", "curves_csv", "export_png", "model_file"]
