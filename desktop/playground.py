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


__all__ = ["PlaygroundPage"]
