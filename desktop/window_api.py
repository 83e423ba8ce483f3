"""What the parts plugged into the main window may touch of it: one Protocol per part.

MainWindow satisfies each of them. A part that needs
more of the window adds the member here first, so what it depends on stays in one place and
nothing reaches into the window by a menu's or a tab's visible text. `window()` is Qt's
QWidget.window(): the main window itself, the parent of a part's docks, actions and dialogs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar, QWidget

    from trainer.config import Experiment
    from trainer.events import Finished

    from .session import TrainingSession
    from .views.boundary import BoundaryView
    from .views.curves import CurvesView


@runtime_checkable
class FileHost(Protocol):
    """What desktop.files.FileActions uses: the experiment, the model shown, the plots, the status bar."""

    session: TrainingSession
    curves: CurvesView
    boundary: BoundaryView

    def window(self) -> QWidget: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802
    def current_experiment(self) -> Experiment: ...
    def apply_experiment(self, exp: Experiment) -> None: ...
    def trained(self) -> tuple[Experiment, Finished] | None: ...
    def show_loaded(self, exp: Experiment, fin: Finished, model: Any) -> None: ...


__all__ = ["FileHost"]
