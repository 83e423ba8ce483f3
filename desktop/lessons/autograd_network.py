"""The Autograd tab's "Your network" page: the graph torch records for the window's model on one example.

The model is the one the window shows (trained here or loaded), else the current experiment's
untrained model with the weights its training would start from. One training example goes
through it in train mode, its loss is backpropagated once, and each parameter's gradient norm is listed.
"""
from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..views.autograd_graph import BAD, GRAD_COLOR, MUTED, Card, GraphView
from ..window_api import AutogradHost

log = logging.getLogger(__name__)

PARAM_COLUMNS = ("parameter", "shape", "‖p‖", "‖p.grad‖")


def _num(x: float) -> str:
    return f"{x:.4g}"


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"


class NetworkPage(QWidget):
    """A button, an example number, a line saying what is shown, the graph and the parameters' gradient norms."""

    def __init__(self, host: AutogradHost, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.result = None              # trainer.autograd.network_graph.NetworkGraph shown
        self.show_button = QPushButton("Show the graph of the current model")
        self.show_button.clicked.connect(lambda: self.show_graph())
        self.example = QSpinBox()
        self.example.setRange(0, 0)
        self.example.setPrefix("training example #")
        self.example.valueChanged.connect(lambda _: self.result is not None and self.show_graph())
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.view = GraphView()
        self.params = QTableWidget(0, len(PARAM_COLUMNS))
        self.params.setHorizontalHeaderLabels(PARAM_COLUMNS)
        self.params.verticalHeader().hide()
        self.params.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.params.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.params.setMaximumHeight(150)

        row = QHBoxLayout()
        row.addWidget(self.show_button)
        row.addWidget(self.example)
        row.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.params)
        split.setStretchFactor(0, 1)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(row)
        layout.addWidget(self.header)
        layout.addWidget(split, 1)
        self.header.setText(f"<span style='color:{MUTED}'>Press the button: one training example goes through the "
                            "model, torch records every operation, and one backward fills in the gradients.</span>")
        self.view.set_cards([], placeholder="No graph yet.")

    def show_if_empty(self) -> None:
        if self.result is None:
            self.show_graph()

    def model_changed(self) -> None:
        """The window's model changed: redraw at once when on show, else drop the old graph until shown."""
        if self.result is None:
            return
        self.result = None
        if self.isVisible():
            self.show_graph()
            return
        self.header.setText(f"<span style='color:{MUTED}'>The model changed since this graph was drawn. "
                            "Press <b>Show the graph of the current model</b>.</span>")
        self.view.set_cards([], placeholder="The model changed: press Show the graph of the current model.")

    def model(self) -> tuple[Any, Any, str]:
        """(experiment, model, which): the window's model, else the untrained one training would start from."""
        trained = self.host.trained()
        if trained is not None:
            exp, fin = trained
            return exp, self.host.trained_model(), f"the trained model ({fin.epochs_run:,} epochs)"
        import torch

        from trainer.models import build_model
        exp = self.host.current_experiment()
        with torch.random.fork_rng(devices=[]):      # the weights train() starts from, globals untouched
            torch.manual_seed(exp.train.seed)
            model = build_model(exp)
        return exp, model, "the untrained model (the weights training starts from)"

    def show_graph(self, index: int | None = None) -> bool:
        """Draw the graph for training example `index` (default: the spin box's). False when it cannot."""
        from trainer.autograd.network_graph import network_graph
        from trainer.config import ConfigError
        from trainer.data import load
        from trainer.errors import error_message
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            exp, model, which = self.model()
            splits = load(exp.data, allow_download=False)
            n = len(splits.x_train)
            i = min(self.example.value() if index is None else index, n - 1)
            self.example.blockSignals(True)
            self.example.setRange(0, n - 1)
            self.example.setValue(i)
            self.example.blockSignals(False)
            result = network_graph(exp, model, splits, i)
        except ConfigError as exc:
            self._fail(f"These settings cannot build a model: {exc}")
            return False
        except Exception as exc:     # no MNIST files, a broken checkpoint: say so, keep the window
            log.warning("network graph: %s", error_message(exc))
            self._fail(error_message(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.result = result
        self._draw(result, which)
        return True

    def _fail(self, text: str) -> None:
        self.header.setText(f"<span style='color:{BAD}'>{html.escape(text)}</span>")

    def _draw(self, g, which: str) -> None:
        ops = [n for n in g.nodes if n.kind == "op"]
        x = g.input
        shown_x = ", ".join(f"{v:.3g}" for v in x) if len(x) <= 4 else f"{len(x)} numbers"
        self.header.setText(
            f"Training example #{g.example} (input {html.escape(shown_x)}, target {g.target:g}) through {which}, "
            f"in train mode: torch recorded <b>{len(ops)} operations</b> ending "
            f"in the loss <b>{g.loss:.4g}</b>. A Linear layer is <code>AddmmBackward0</code> (x·Wᵀ + b); the input "
            f"and target need no grad, so no node reads them. <span style='color:{GRAD_COLOR}'>‖grad‖</span>: "
            "each gradient's norm after one backward (drag to pan, Ctrl+wheel to zoom).")
        cards = [self._card(n, n.index == len(g.nodes) - 1) for n in g.nodes]
        self.view.set_cards(cards, flow=True)
        self.params.setRowCount(len(g.params))
        for r, p in enumerate(g.params):
            for c, text in enumerate((p.name, _shape(p.shape), _num(p.norm), _num(p.grad_norm))):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.params.setItem(r, c, item)

    @staticmethod
    def _card(node, is_loss: bool) -> Card:
        lines: list[tuple[str, str]] = []
        if node.kind == "leaf":
            lines.append((f"parameter · {_shape(node.shape)}", "#1f2328"))
            if node.grad is not None:
                lines.append((f"‖grad‖  {_num(node.grad)}", GRAD_COLOR))
            return Card(node.index, "leaf", node.label, "AccumulateGrad", tuple(lines), node.inputs)
        if node.value is not None and is_loss:
            lines.append((f"loss  {_num(node.value)}", "#1f2328"))
        elif node.shape:
            lines.append((f"value  {_shape(node.shape)}", "#1f2328"))
        if node.grad is not None and not is_loss:
            lines.append((f"‖grad‖  {_num(node.grad)}", GRAD_COLOR))
        return Card(node.index, "op", node.name, node.label, tuple(lines), node.inputs, is_loss)


__all__ = ["NetworkPage", "PARAM_COLUMNS"]
