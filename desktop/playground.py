"""The Playground tab: the plane (the decision boundary, or one neuron's map) over the training curves.

The plane on top and the curves full width below (a time series likes width), as in TensorFlow
Playground; the network diagram lives in the Architecture dock, under the layers it draws.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget


class PlaygroundPage(QSplitter):
    """The boundary and the neuron map as tabs (`plane_tabs`), above the curves."""

    def __init__(self, boundary: QWidget, neurons: QWidget, curves: QWidget, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("playground")
        self.plane_tabs = QTabWidget()
        self.plane_tabs.setObjectName("planeTabs")
        self.plane_tabs.setDocumentMode(True)
        self.plane_tabs.addTab(boundary, "Decision boundary")
        self.plane_tabs.addTab(neurons, "Neuron")
        self.plane_tabs.setMinimumWidth(300)
        self.setChildrenCollapsible(False)
        self.addWidget(self.plane_tabs)
        self.addWidget(curves)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        curves.setMinimumHeight(160)
        # Until the user drags the handle, the plane keeps 3/5 of the height. Left to itself, the
        # splitter shares the height by the views' size hints the first time it is shown, and with
        # an MNIST experiment on screen then (no plane to draw) the boundary kept a ~150 px strip.
        self._user_sized = False
        self.splitterMoved.connect(self._moved)

    def _moved(self, _pos: int, _index: int) -> None:
        self._user_sized = True

    def reset_sizes(self) -> None:
        """The plane 3/5 of the height, the curves the rest (View > Reset layout)."""
        self._user_sized = False
        self._fit()

    def _fit(self) -> None:
        height = self.height() - self.handleWidth()
        if height > 0:
            self.setSizes([height * 3 // 5, height - height * 3 // 5])

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self._user_sized:
            self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        if not self._user_sized:
            self._fit()


__all__ = ["PlaygroundPage"]
