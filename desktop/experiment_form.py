"""The three settings docks read and written as one Experiment, checked, and their data previewed.

The docks only edit widgets; here they become one immutable Experiment (with the name and
description of the preset or file it came from), a ConfigError is shown next to the field it
names, and the Architecture dock learns the inputs, outputs and parameter count that follow.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from trainer.config import ConfigError, DataSpec, Experiment, resolved_loss
from trainer.errors import error_message
from trainer.splits import Splits

from .docks.architecture import ArchitecturePanel
from .docks.dataset import DatasetPanel, outputs_text
from .docks.optimizer import OptimizerPanel

log = logging.getLogger(__name__)

MNIST_SIZES = {"seed": "5,000 / 1,000 / 10,000", "full": "55,000 / 5,000 / 10,000"}   # train / val / test
# The most points the preview and the plane views draw. Each drawn point costs the GUI thread about
# 0.1 ms (pyqtgraph renders a symbol per brush): 99,999 points froze the window for 10-15 s after Tab,
# 2,000 take ~0.3 s. Training always uses every point; only the drawing is a sample.
SHOWN_MAX = 2_000


class ExperimentForm:
    """Dataset, Architecture and Optimizer as one form whose value is an Experiment."""

    def __init__(self, dataset: DatasetPanel, architecture: ArchitecturePanel, optimizer: OptimizerPanel):
        self.dataset, self.architecture, self.optimizer = dataset, architecture, optimizer
        self.panels = (dataset, architecture, optimizer)
        self._name = ""
        self._description = ""
        self._data_name = ""   # the dataset of the experiment applied: its name holds while that is chosen

    def experiment(self) -> Experiment:
        """The Experiment the docks show; raises ConfigError naming the first bad field."""
        data = self.dataset.spec()
        # Another dataset makes it a custom experiment: the title must not say "spiral" over circles.
        named = data.name == self._data_name
        return Experiment(data=data, model=self.architecture.spec(),
                          optim=self.optimizer.optim_spec(), train=self.optimizer.train_spec(),
                          name=self._name if named else "", description=self._description if named else "")

    def apply(self, exp: Experiment) -> None:
        """Show an experiment in the docks (not checked: call check())."""
        self._name, self._description, self._data_name = exp.name, exp.description, exp.data.name
        self.dataset.apply(exp.data)
        self.architecture.apply(exp.model)
        self.optimizer.apply(exp.optim, exp.train)

    def check(self, cuda: bool | None = None) -> Experiment | None:
        """The docks' Experiment, or None with the first problem shown next to its field.

        cuda: whether this machine has a CUDA device (None: not known yet, so not refused).
        """
        for panel in self.panels:
            panel.clear_error()
        self.architecture.show_shapes(self.dataset.spec())   # also while a shape is impossible
        try:
            exp = self.experiment()
            if exp.train.device == "cuda" and cuda is False:
                raise ConfigError("train.device",
                                  "no CUDA device was found on this machine; choose Automatic or CPU")
        except ConfigError as exc:
            owner = next((p for p in self.panels if p.owns(exc.path)), self.optimizer)
            owner.show_error(exc.path, str(exc))
            self.architecture.show_params(None)
            return None
        d = exp.data
        self.architecture.show_io(d, self.dataset.describe(), outputs_text(d, resolved_loss(exp)))
        self.architecture.show_params(_param_count(exp))
        return exp

    def add_point(self, x: float, y: float, cls: int) -> None:
        """A point clicked into the plane joins the data (of the next run, while one is going)."""
        self.dataset.set_extra_points(self.dataset.extra_points() + ((x, y, cls),))

    def remove_point(self, index: int) -> None:
        """Drop the index-th clicked-in point (right click on it)."""
        points = list(self.dataset.extra_points())
        if 0 <= index < len(points):
            del points[index]
            self.dataset.set_extra_points(points)

    def preview(self, d: DataSpec) -> Splits | None:
        """1-D / 2-D data for the Dataset dock's preview and the views: at most SHOWN_MAX points of it
        (display_sample), while the dock gives the full sizes. None for MNIST, which the run loads,
        and for data that cannot be made (the reason is shown in the dock).

        Making the data is cheap (~30 ms for 100,000 spiral points); drawing it is not, hence the sample."""
        if d.name == "mnist":
            self.dataset.show_message("MNIST: 28×28 grey images of handwritten digits 0–9. "
                                      "The files are read when training starts.",
                                      f"train / validation / test: {MNIST_SIZES[d.mnist_subset]}")
            return None
        from trainer.data import load
        if d.n_samples > SHOWN_MAX:
            _busy_until_idle()   # making and sampling the data, then the views' redraw in the caller
        try:
            splits = load(d)
        except Exception as exc:  # noqa: BLE001 -- bad data settings are shown, not raised
            self.dataset.show_error("data", error_message(exc))
            self.dataset.show_message("no preview")
            return None
        shown = display_sample(splits, SHOWN_MAX, len(d.extra_points))
        self.dataset.show_splits(shown, full=splits)
        return shown


def _busy_until_idle() -> None:
    """A wait cursor until the event loop next runs, i.e. until the work of this event is done."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication
    if QApplication.instance() is None:
        return
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    QTimer.singleShot(0, QApplication.restoreOverrideCursor)


def display_sample(splits: Splits, limit: int, n_extra: int = 0) -> Splits:
    """At most about `limit` points of `splits` to draw, each part (train / val / test) in proportion.

    Evenly spaced rows (the generated sets are shuffled already; `linear` is ordered along x, where
    spacing keeps the line's shape), plus each part's extreme points, so the plane's extent is the one
    of the full data. The last `n_extra` training points (clicked in by the user) are always kept, at
    the end, where the boundary view looks for them. `splits.note` is kept: the views read it.
    """
    parts = ((splits.x_train, splits.y_train), (splits.x_val, splits.y_val), (splits.x_test, splits.y_test))
    total = sum(len(x) for x, _ in parts)
    if total <= limit:
        return splits
    out = []
    for i, (x, y) in enumerate(parts):
        keep_tail = n_extra if i == 0 else 0
        body_x, body_y = x[:len(x) - keep_tail], y[:len(y) - keep_tail]
        k = max(1, round(limit * len(x) / total)) if len(x) else 0
        rows = _spread_rows(body_x, body_y, k, splits.task == "regression")
        out.append((np.concatenate([body_x[rows], x[len(x) - keep_tail:]]),
                    np.concatenate([body_y[rows], y[len(y) - keep_tail:]])))
    (xt, yt), (xv, yv), (xs, ys) = out
    return replace(splits, x_train=xt, y_train=yt, x_val=xv, y_val=yv, x_test=xs, y_test=ys)


def _spread_rows(x: np.ndarray, y: np.ndarray, k: int, regression: bool) -> np.ndarray:
    """k evenly spaced row indices of x, with the rows holding each column's minimum and maximum."""
    n = len(x)
    if n == 0 or k >= n:
        return np.arange(n)
    cols = [x[:, j] for j in range(x.shape[1])] + ([y] if regression else [])
    extremes = [int(np.argmin(c)) for c in cols] + [int(np.argmax(c)) for c in cols]
    return np.unique(np.concatenate([np.linspace(0, n - 1, k).astype(np.int64), np.array(extremes, np.int64)]))


def _param_count(exp: Experiment) -> int | None:
    """Counted by arithmetic (trainer.config.experiment_param_count): no torch needed, so shown from the start."""
    from trainer.config import experiment_param_count
    try:
        return experiment_param_count(exp)  # never build_model here: it would draw from a running training's RNG
    except Exception as exc:  # noqa: BLE001 -- a count is not worth a crash
        log.warning("could not count the parameters: %s", exc)
        return None


__all__ = ["ExperimentForm"]
