"""The Playground's tabs for tables (issue 17), beside the decision boundary, shown only for tabular data.

- "Data plane": the rows in a plane the user picks, over the model's prediction there (the untrained
  model's before a run, live from the run's weights while it trains, the trained one's after);
  it takes the decision boundary's place, whose clicked-in points do not apply to a table.
- "Confusion matrix" (classification): per class, by name, with each class's accuracy.
- "Predicted vs actual" (regression): the test rows, in the target's units, with RMSE and R².
- "Worst test rows": the test rows the model gets most wrong, with their values.

Their numbers come from trainer.tabular.plane, on this (the GUI) thread: a table's model is small
(an iris plane is a few milliseconds), and the data is loaded once per DataSpec.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea

from trainer.config import ConfigError, DataSpec, Experiment, input_dim, task_of
from trainer.errors import error_message
from trainer.tabular.catalog import CSV, REAL_DATASETS, TABULAR

from ..throttle import Throttle
from ..views.confusion import ConfusionMatrixView
from ..views.tabular import PredictedActualView, TablePlaneView, WorstRowsTable
from ..window_api import TabularHost

log = logging.getLogger(__name__)

LIVE_EVERY_S = 0.5     # the plane follows a run's weights at most this often (one model pass over a grid)
WORST_ROWS = 15
TABS = (("plane", "Data plane"), ("confusion", "Confusion matrix"), ("scatter", "Predicted vs actual"),
        ("worst", "Worst test rows"))


def shows_tables(data: DataSpec) -> bool:
    """These tabs replace the decision boundary for a table with two inputs or more."""
    return data.name in TABULAR and input_dim(data) >= 2


class TabularResults(QObject):
    """Builds the tabs into the window's plane tabs and keeps them in step with the data and the model."""

    def __init__(self, host: TabularHost):
        super().__init__(host.window())
        self._host = host
        self.plane = TablePlaneView()
        self.confusion = ConfusionMatrixView()
        self.scatter = PredictedActualView()
        self.worst = WorstRowsTable()
        # The matrix keeps its readable minimum size inside a scroll area: a tab's minimum is every
        # page's, so unwrapped it would stop the user from shrinking the plane for the generated sets too.
        confusion_page = QScrollArea()
        confusion_page.setWidgetResizable(True)
        confusion_page.setFrameShape(QFrame.Shape.NoFrame)
        confusion_page.setWidget(self.confusion)
        self.widgets = {"plane": self.plane, "confusion": confusion_page, "scatter": self.scatter, "worst": self.worst}
        for key, title in TABS:   # the plane first, where the decision boundary's tab was
            if key == "plane":
                host.plane_tabs.insertTab(host.plane_tabs.indexOf(host.boundary) + 1, self.widgets[key], title)
            else:
                host.plane_tabs.addTab(self.widgets[key], title)
        self._exp: Experiment | None = None        # the experiment the tabs show
        self._splits: Any = None                   # its data, whole (not the drawing sample)
        self._splits_spec: DataSpec | None = None
        self._model_key: Any = None                # what the plane was last drawn for
        self._model: Any = None                    # the model the plane shows
        self._live: Any = None                     # the model a run's weights are copied into
        self._live_throttle = Throttle(LIVE_EVERY_S, self._draw_live, self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.sync)
        host.dataset_panel.changed.connect(self._timer.start)
        host.experimentApplied.connect(lambda _exp: self._timer.start())
        host.trainedModelChanged.connect(self._on_model)
        host.session.started.connect(self._on_started)
        host.session.snapshot.connect(self._on_snapshot)
        host.session.ended.connect(self._on_model)     # trainedModelChanged comes while the run still ends
        self.plane.planeChosen.connect(lambda _choice: self._draw_plane())
        self._show_tabs(None)

    # -- which tabs ---------------------------------------------------------------------------------
    def _show_tabs(self, exp: Experiment | None) -> None:
        tabs, boundary = self._host.plane_tabs, self._host.boundary
        table = exp is not None and shows_tables(exp.data)
        regression = table and task_of(exp.data) == "regression"
        visible = {"plane": table, "confusion": table and not regression, "scatter": regression, "worst": table}
        current = tabs.currentWidget()
        for key, widget in self.widgets.items():
            tabs.setTabVisible(tabs.indexOf(widget), visible[key])
        tabs.setTabVisible(tabs.indexOf(boundary), not table)
        if table and current is boundary:
            tabs.setCurrentWidget(self.plane)
        elif not table and current in self.widgets.values():
            tabs.setCurrentWidget(boundary)

    def showing(self) -> bool:
        """True while the tabs are shown (the data is a table of two inputs or more)."""
        return self._exp is not None

    # -- the data and the model -------------------------------------------------------------------
    def sync(self, force: bool = False) -> None:
        """Follow the docks' experiment: the tabs, the data, the plane; the results of the model shown."""
        self._timer.stop()
        if self._host.session.is_running():
            return   # the run's own experiment is drawn until it ends
        try:
            exp = self._host.current_experiment()
        except ConfigError:
            return   # a half-edited setting: keep what is shown
        if not shows_tables(exp.data):
            self._exp = None
            self._show_tabs(None)
            return
        self._show_tabs(exp)
        self._exp = exp
        if exp.data != self._splits_spec:
            self._splits_spec, self._splits = exp.data, self._load(exp.data)
            if self._splits is not None:
                from trainer.tabular.plane import plane_choices
                self.plane.set_choices(plane_choices(self._splits))
        trained = self._trained_for(exp)
        key = (exp.data, exp.model, exp.train.seed, id(trained[1]) if trained else None)
        if force or key != self._model_key:
            self._model_key = key
            self._model = self._model_of(exp, trained)
            self._draw_plane()
            self._show_results(exp, trained)

    def _load(self, data: DataSpec) -> Any:
        from trainer.data import load
        try:
            return load(data)
        except Exception as exc:  # noqa: BLE001 -- the Dataset dock shows the reason; the tabs say there is no data
            log.info("no data for the table views: %s", exc)
            self.plane.clear(f"No data to draw: {error_message(exc)}")
            for view in (self.confusion, self.scatter, self.worst):
                view.clear() if view is not self.confusion else view.set_matrix(None)
            return None

    def _trained_for(self, exp: Experiment) -> Any:
        """The window's trained model's (experiment, Finished) when it is this experiment's, else None."""
        trained = self._host.trained()
        if trained is None or trained[0].data != exp.data or trained[0].model != exp.model:
            return None
        return trained

    def _model_of(self, exp: Experiment, trained: Any) -> Any:
        if self._splits is None:
            return None
        try:
            if trained is not None:
                return self._host.trained_model()
            from trainer.plane import initial_model
            return initial_model(exp)   # what a run starts from, as the boundary shows before training
        except Exception as exc:  # noqa: BLE001 -- a picture is a bonus: say why there is none
            log.warning("no model to draw for the table views: %s", exc)
            return None

    def _draw_plane(self) -> None:
        exp, splits, model = self._exp, self._splits, self._model
        choice = self.plane.choice()
        if exp is None or splits is None or model is None or choice is None:
            return
        from trainer.tabular.plane import prediction_plane
        try:
            view = prediction_plane(model, exp, splits, choice)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not draw the plane: %s", exc, exc_info=True)
            self.plane.clear(f"Could not draw this plane: {error_message(exc)}")
            return
        self.plane.set_plane(view, splits.class_names, splits.task == "regression")

    def _show_results(self, exp: Experiment, trained: Any) -> None:
        splits = self._splits
        regression = splits is not None and splits.task == "regression"
        if splits is not None and not regression:
            self.confusion.set_classes(splits.class_names, "Train a model\nto fill this in")
        if trained is None or splits is None or self._model is None:
            self.scatter.clear()
            self.worst.clear()
            return
        from trainer.tabular.plane import predicted_vs_actual, worst_rows
        fin = trained[1]
        if regression:
            actual, predicted = predicted_vs_actual(self._model, exp, splits)
            target = (exp.data.csv.target if exp.data.csv is not None
                      else REAL_DATASETS[exp.data.name].label.lower() if exp.data.name in REAL_DATASETS else "target")
            self.scatter.set_values(actual, predicted, target, fin.metrics)
        elif fin.metrics.get("confusion") is not None:
            self.confusion.set_matrix(fin.metrics["confusion"])
        where = ("the line in the file (the header is line 1)" if exp.data.name == CSV
                 else "the dataset's row number, counted from 0")
        self.worst.set_rows(worst_rows(self._model, exp, splits, WORST_ROWS), splits.feature_names, regression,
                            where, splits.class_names)

    # -- a run ----------------------------------------------------------------------------------------
    def _on_model(self) -> None:
        """A run finished, a model was loaded, or the model was forgotten (Reset, other settings)."""
        self._live_throttle.reset()
        self._live = None
        self.sync(force=True)

    def _on_started(self, _ev: Any) -> None:
        exp = self._host.session.experiment
        self._live = None
        if exp is None or self._exp is None or exp.data != self._exp.data or self._splits is None:
            return
        self._exp = exp
        from trainer.models import linear_layers
        from trainer.plane import initial_model
        model = initial_model(exp)
        # Only a model whose every parameter is in the diagram's weights (Linear layers: no batch norm)
        # can follow the run from them.
        linear = sum(p.numel() for m in linear_layers(model) for p in m.parameters())
        if linear == sum(p.numel() for p in model.parameters()):
            self._live = model
        for view in (self.scatter, self.worst):
            view.clear()
        self.confusion.set_matrix(None)

    def _on_snapshot(self, ev: Any) -> None:
        if self._live is None or not ev.weights or self._host.plane_tabs.currentWidget() is not self.plane:
            return
        import torch
        from trainer.models import linear_layers
        layers = linear_layers(self._live)
        if len(layers) != len(ev.weights):
            return
        with torch.no_grad():
            for layer, (w, b) in zip(layers, ev.weights):
                layer.weight.copy_(torch.as_tensor(w))
                layer.bias.copy_(torch.as_tensor(b))
        self._live_throttle()

    def _draw_live(self) -> None:
        if self._live is not None:
            self._model = self._live
            self._draw_plane()


__all__ = ["TabularResults", "shows_tables", "TABS"]
