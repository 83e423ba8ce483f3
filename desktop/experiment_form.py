"""The three settings docks read and written as one Experiment, checked, and their data previewed.

The docks only edit widgets; here they become one immutable Experiment (with the name and
description of the preset or file it came from), a ConfigError is shown next to the field it
names, and the Architecture dock learns the inputs, outputs and parameter count that follow.
"""
from __future__ import annotations

import logging

from trainer.config import ConfigError, DataSpec, Experiment, resolved_loss
from trainer.errors import error_message
from trainer.splits import Splits

from .docks.architecture import ArchitecturePanel
from .docks.dataset import DatasetPanel, outputs_text
from .docks.optimizer import OptimizerPanel

log = logging.getLogger(__name__)

MNIST_SIZES = {"seed": "5,000 / 1,000 / 10,000", "full": "55,000 / 5,000 / 10,000"}   # train / val / test


class ExperimentForm:
    """Dataset, Architecture and Optimizer as one form whose value is an Experiment."""

    def __init__(self, dataset: DatasetPanel, architecture: ArchitecturePanel, optimizer: OptimizerPanel):
        self.dataset, self.architecture, self.optimizer = dataset, architecture, optimizer
        self.panels = (dataset, architecture, optimizer)
        self._name = ""
        self._description = ""

    def experiment(self) -> Experiment:
        """The Experiment the docks show; raises ConfigError naming the first bad field."""
        return Experiment(data=self.dataset.spec(), model=self.architecture.spec(),
                          optim=self.optimizer.optim_spec(), train=self.optimizer.train_spec(),
                          name=self._name, description=self._description)

    def apply(self, exp: Experiment) -> None:
        """Show an experiment in the docks (not checked: call check())."""
        self._name, self._description = exp.name, exp.description
        self.dataset.apply(exp.data)
        self.architecture.apply(exp.model)
        self.optimizer.apply(exp.optim, exp.train)

    def check(self, cuda: bool | None = None) -> Experiment | None:
        """The docks' Experiment, or None with the first problem shown next to its field.

        cuda: whether this machine has a CUDA device (None: not known yet, so not refused).
        """
        for panel in self.panels:
            panel.clear_error()
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
        """Load 1-D / 2-D data (cheap) for the Dataset dock's preview and the views; None for MNIST,
        which the run loads, and for data that cannot be made (the reason is shown in the dock)."""
        if d.name == "mnist":
            self.dataset.show_message("MNIST: 28×28 grey images of handwritten digits 0–9. "
                                      "The files are read when training starts.",
                                      f"train / validation / test: {MNIST_SIZES[d.mnist_subset]}")
            return None
        from trainer.data import load
        try:
            splits = load(d)
        except Exception as exc:  # noqa: BLE001 -- bad data settings are shown, not raised
            self.dataset.show_error("data", error_message(exc))
            self.dataset.show_message("no preview")
            return None
        self.dataset.show_splits(splits)
        return splits


def _param_count(exp: Experiment) -> int | None:
    """Counted by arithmetic (trainer.config.experiment_param_count): no torch needed, so shown from the start."""
    from trainer.config import experiment_param_count
    try:
        return experiment_param_count(exp)  # never build_model here: it would draw from a running training's RNG
    except Exception as exc:  # noqa: BLE001 -- a count is not worth a crash
        log.warning("could not count the parameters: %s", exc)
        return None


__all__ = ["ExperimentForm"]
