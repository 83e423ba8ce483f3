"""What the parts plugged into the main window may touch of it: one Protocol per part.

MainWindow satisfies each of them (tests/desktop/test_window.py checks it). A part that needs
more of the window adds the member here first, so what it depends on stays in one place and
nothing reaches into the window by a menu's or a tab's visible text. `window()` is Qt's
QWidget.window(): the main window itself, the parent of a part's docks, actions and dialogs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtCore import QObject, Qt, SignalInstance
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMenu, QStatusBar, QTabWidget, QWidget

    from trainer.config import Experiment
    from trainer.events import Finished

    from .docks import Panel
    from .docks.dataset import DatasetPanel
    from .training import TrainingClient
    from .views.boundary import BoundaryView
    from .views.curves import CurvesView


@runtime_checkable
class LessonHost(Protocol):
    """What desktop.lessons.controller.LessonController uses: docks, menus, tabs, the plane and curves."""

    session: TrainingClient
    experimentApplied: SignalInstance      # noqa: N815 -- another experiment replaced the lesson's: it closes
    panels: Sequence[Panel]                # their `changed` signals refresh the Code panel
    tabs: QTabWidget                       # the central workspaces
    playground: QWidget                    # the tabs' first page: the plane over the curves
    mnist: QWidget                         # the MNIST workspace's tab page (lesson C)
    plane_tabs: QTabWidget                 # the decision boundary and the neuron map
    boundary: BoundaryView                 # A1 draws its line here
    curves: CurvesView                     # A1's own loss curve
    dataset_dock: QDockWidget              # the Lesson dock tabs in with it
    architecture_dock: QDockWidget         # the Code dock tabs in with it
    optimizer_dock: QDockWidget            # the dock below the Lesson dock, which gives it room
    file_menu: QMenu
    view_menu: QMenu
    lessons_menu: QMenu
    quit_action: QAction                   # File > Export as PyTorch script goes above it
    reset_layout_action: QAction           # after the window's reset, the lessons' docks go back too

    def window(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 (Qt's names, here and below)
    def installEventFilter(self, watcher: QObject) -> None: ...  # noqa: N802
    def addDockWidget(self, area: Qt.DockWidgetArea, dock: QDockWidget) -> None: ...  # noqa: N802
    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802
    def tabifiedDockWidgets(self, dock: QDockWidget) -> list[QDockWidget]: ...  # noqa: N802
    def dockWidgetArea(self, dock: QDockWidget) -> Qt.DockWidgetArea: ...  # noqa: N802
    def resizeDocks(self, docks: Sequence[QDockWidget], sizes: Sequence[int],  # noqa: N802
                    orientation: Qt.Orientation) -> None: ...
    def add_tab(self, title: str, widget: QWidget) -> int: ...
    def current_experiment(self) -> Experiment: ...
    def apply_experiment(self, exp: Experiment) -> None: ...


@runtime_checkable
class WorkspaceHost(Protocol):
    """What desktop.workspaces.mnist.MnistWorkspace uses: the run, the model shown, the MNIST folder."""

    session: TrainingClient
    trainedModelChanged: SignalInstance    # noqa: N815 (Qt's signal style)
    dataset_panel: DatasetPanel            # its MNIST folder

    def installEventFilter(self, watcher: QObject) -> None: ...  # noqa: N802
    def current_experiment(self) -> Experiment: ...
    def apply_experiment(self, exp: Experiment) -> None: ...
    def load_lesson(self, name: str) -> None: ...
    def train(self) -> bool: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def trained_model(self) -> Any: ...


@runtime_checkable
class FileHost(Protocol):
    """What desktop.files.FileActions uses: the experiment, the model shown, the plots, the status bar."""

    session: TrainingClient
    curves: CurvesView
    boundary: BoundaryView
    time_travel: Any                       # desktop.timetravel's TimeTravel: tree_of(fin), adopt(tree, fin)

    def window(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def current_experiment(self) -> Experiment: ...
    def apply_experiment(self, exp: Experiment) -> None: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def show_loaded(self, exp: Experiment, fin: Finished, model: Any) -> None: ...


@runtime_checkable
class AutogradHost(Protocol):
    """What desktop.lessons.autograd uses: the Lessons menu, the tabs, and the model to draw the graph of."""

    tabs: QTabWidget
    lessons_menu: QMenu
    experimentApplied: SignalInstance      # noqa: N815 -- "Your network" then shows a stale graph: redrawn
    trainedModelChanged: SignalInstance    # noqa: N815

    def window(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def add_tab(self, title: str, widget: QWidget) -> int: ...
    def current_experiment(self) -> Experiment: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def trained_model(self) -> Any: ...


@runtime_checkable
class TabularHost(Protocol):
    """What desktop.tabular uses: File > Import data, the Dataset dock's Import button, the plane tabs."""

    session: TrainingClient
    trainedModelChanged: SignalInstance    # noqa: N815
    experimentApplied: SignalInstance      # noqa: N815
    dataset_panel: DatasetPanel            # its Import button; its changes redraw the table views
    plane_tabs: QTabWidget                 # the table views are tabs here, beside the decision boundary
    boundary: BoundaryView                 # whose tab a table's plane replaces
    file_menu: QMenu
    save_action: QAction                   # Import data goes above it, after Open

    def window(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def current_experiment(self) -> Experiment: ...
    def apply_experiment(self, exp: Experiment) -> None: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def trained_model(self) -> Any: ...


@runtime_checkable
class TimeTravelHost(Protocol):
    """What desktop.timetravel uses: the run and its views, the status bar's figures, the Training menu,
    the tabs it puts the timeline under, the docks' Experiment (a branch trains it)."""

    session: TrainingClient
    trainedModelChanged: SignalInstance    # noqa: N815 -- a run forgotten or a model loaded: the timeline goes
    tabs: QTabWidget                       # the timeline sits under them, on the Playground and MNIST tabs
    playground: QWidget
    mnist: Any                             # MnistWorkspace: show_epoch(), its live curves (live.curves)
    curves: CurvesView                     # the cursor and the branches
    boundary: BoundaryView                 # the epoch shown redraws on zoom
    pictures: Any                          # views.model_pictures.ModelPictures: let_redraw()
    status: Any                            # status.RunStatus: show_past(), set(), running()
    training_menu: QMenu
    form: Any                              # ExperimentForm: a line picked in the branch list puts its settings here
    file_menu: QMenu                       # File > Export animation…, in the group above Quit
    quit_action: QAction

    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def takeCentralWidget(self) -> QWidget: ...  # noqa: N802
    def setCentralWidget(self, widget: QWidget) -> None: ...  # noqa: N802
    def revalidate(self) -> Experiment | None: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def show_snapshot(self, ev: Any) -> None: ...


@runtime_checkable
class TimelineViewsHost(Protocol):
    """What desktop.timetravel_views uses: the timeline's controller, the run's keyframes, the plane tabs
    (its views are tabs there), the curves (a branch's colour on them)."""

    session: TrainingClient                # its keyframes: the views follow a run as it records
    time_travel: Any                       # desktop.timetravel's TimeTravel: tree, treeChanged, epochShown, shown()
    plane_tabs: QTabWidget
    curves: CurvesView


__all__ = ["AutogradHost", "FileHost", "LessonHost", "TabularHost", "TimelineViewsHost", "WorkspaceHost"]
