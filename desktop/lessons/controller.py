"""Wires the lessons, the Code panel and File > Export as PyTorch script into the main window.

`install(window)` adds, through what desktop.window_api.LessonHost names of the window:
- the lesson entries A1 ... C at the top of the Lessons menu (the presets stay below them);
- a Lesson dock (left, tabbed with Dataset) with the lesson's text and live widget;
- a Code dock (right, tabbed with Architecture) showing the exported script;
- File > Export as PyTorch script…
The lessons' own trainings (A1's raw autograd, A4's manual vs PyTorch) run on a
LessonRunner thread; the toolbar's Train stays the TrainingSession's.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QFrame, QScrollArea, QWidget

from trainer.config import ConfigError, Experiment
from trainer.control import Control
from trainer.events import EpochEnd, Finished, ParamStep, Snapshot, Started

from .. import dialogs, settings
from ..actions import group_end
from ..views.code_panel import CodePanel
from ..window_api import LessonHost
from .catalog import COMPARISON, LESSONS, MNIST, Lesson, lesson
from .panel import LessonPanel
from .views import ComparisonView, ParameterReadout, TruthTable, line_gradients
from .runner import LessonRunner

log = logging.getLogger(__name__)

SLOW_MOTION_S = 0.01      # per epoch: A1's 500 epochs take ~5 s, long enough to watch the line move
LESSON_WIDTH = 330        # px: the text wraps to readable lines, the truth table fits without a scroll bar


def raw_autograd_source(exp: Experiment):
    """A1's run: trainer.manual.autograd_regression with the docks' data and learning settings."""
    d, o, t = exp.data, exp.optim, exp.train

    def source(control: Control) -> Iterator[Any]:
        from trainer.manual import autograd_regression
        yield from autograd_regression(seed=d.seed, lr=o.lr, epochs=t.epochs, n=d.n_samples, noise=d.noise,
                                       control=control)
    return source


def side_by_side_source(pytorch_exp: Experiment, manual_lr: float = 2.0, seed: int = 42):
    """A4's run: the seed's NumPy ManualMLP and the PyTorch MLP, one epoch each in turn."""
    def source(control: Control) -> Iterator[tuple[str, Any]]:
        from trainer.loop import train
        from trainer.manual import manual_xor
        streams = {"manual": manual_xor(seed=seed, lr=manual_lr, epochs=pytorch_exp.train.epochs,
                                        control=control),
                   "pytorch": train(pytorch_exp, control)}
        # Lockstep: each stream runs to its next EpochEnd, then the other, so both curves grow together.
        while streams:
            for which in list(streams):
                for ev in streams[which]:
                    yield which, ev
                    if isinstance(ev, EpochEnd):
                        break
                else:
                    del streams[which]
    return source


class LessonController(QObject):
    """Owns the lesson dock, the Code dock, the lesson views and the lesson runner."""

    def __init__(self, window: LessonHost):
        super().__init__(window.window())
        self.window = window
        self.current: Lesson | None = None
        self.runner = LessonRunner(self)
        self.runner.events.connect(self._on_runner_events)
        self.runner.failed.connect(
            lambda msg: dialogs.show_error(window.window(), "The lesson's training failed", msg))
        self.runner.runningChanged.connect(self._on_runner_state)
        self._run_kind = ""
        self._last_loss: float | None = None
        self._line_x: np.ndarray | None = None
        self._session_xy: tuple[np.ndarray, np.ndarray] | None = None

        # Every widget here has a Qt parent from birth: a parentless QWidget is Python's, and the
        # garbage collector may then destroy it on a training thread, which crashes Qt.
        self.panel = LessonPanel()
        self.readout = ParameterReadout(self.panel.live_box)
        self.readout.run_button.clicked.connect(self.toggle_raw_autograd)
        self.truth_table = TruthTable(self.panel.live_box)
        self.panel.adopt(self.readout)
        self.panel.adopt(self.truth_table)
        self.comparison = ComparisonView(window.tabs)     # becomes a tab when lesson A4 first opens
        self.comparison.hide()
        self.comparison.run_button.clicked.connect(self.toggle_comparison)
        self.comparison_index: int | None = None
        self.tab_pages: dict[str, QWidget] = {}           # a lesson's own tab (lesson D), added when first opened

        # Both docks start hidden and join their tab groups once the window is on screen: tabifying
        # two groups before the first show leaves a stray copy of a tab bar painted mid-window (Qt 6.11).
        self.lesson_dock = self._make_dock("Lesson", "lesson", _scrolling(self.panel),
                                           Qt.DockWidgetArea.LeftDockWidgetArea)
        self.code_panel = CodePanel(window.current_experiment)
        self.code_panel.exportRequested.connect(lambda: self.export_script())
        self.code_dock = self._make_dock("Code", "code", self.code_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.code_dock.visibilityChanged.connect(self.code_panel.on_shown)   # its tab chosen, or shown
        self._shown_once = False
        for panel in window.panels:
            panel.changed.connect(self.code_panel.schedule)

        self._build_menu_entries()
        s = window.session
        s.started.connect(self._on_session_started)
        s.snapshot.connect(self._on_session_snapshot)
        s.finished.connect(self._on_session_finished)
        s.stateChanged.connect(self._on_session_state)
        window.experimentApplied.connect(self._on_experiment_applied)
        window.installEventFilter(self)
        self._update_actions()

    # -- construction ------------------------------------------------------------------------
    def _make_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self.window.window())
        dock.setObjectName(f"{name}Dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        dock.setWidget(widget)
        self.window.addDockWidget(area, dock)
        dock.hide()
        return dock

    def _tab_into(self, dock: QDockWidget, host: QDockWidget) -> None:
        """Put a dock that has never been placed into `host`'s tab group (if host is docked and shown)."""
        w = self.window
        if dock.isFloating() or w.tabifiedDockWidgets(dock) or host.isFloating() or host.isHidden():
            return
        w.tabifyDockWidget(host, dock)

    def place_docks(self, restored: bool | None = None) -> None:
        """The default places: Code as a tab behind Architecture; Lesson waits for a lesson.

        Skipped when the window restored a saved layout that already knows the Code dock:
        then the user's arrangement wins.
        """
        if restored is None:
            restored = _saved_layout_mentions(self.code_dock.objectName())
        if restored:
            return
        w = self.window
        self._tab_into(self.code_dock, w.architecture_dock)
        self.code_dock.show()
        w.architecture_dock.raise_()      # the diagram stays in front; Code is one click away

    def _after_reset_layout(self) -> None:
        self.lesson_dock.hide()
        self.place_docks(restored=False)

    def _build_menu_entries(self) -> None:
        w = self.window
        menu = w.lessons_menu
        first = menu.actions()[0] if menu.actions() else None
        self.actions: dict[str, QAction] = {}
        for entry in LESSONS:
            action = QAction(entry.label, w.window())
            action.setStatusTip(entry.title)
            action.setToolTip(f"{entry.title}: loads the preset {entry.preset}")
            action.triggered.connect(lambda _=False, k=entry.key: self.open(k))
            self.actions[entry.key] = action
        menu.insertActions(first, list(self.actions.values()))
        if first is not None:
            menu.insertSection(first, "Presets")

        self.export_action = QAction("Export as &PyTorch script…", w.window())
        self.export_action.setStatusTip("Write a standalone PyTorch script that repeats this experiment")
        self.export_action.triggered.connect(lambda: self.export_script())
        # after the plot exports, before Quit; the docks' toggles with the window's, above Reset layout
        w.file_menu.insertAction(group_end(w.file_menu, w.quit_action), self.export_action)
        w.view_menu.insertActions(group_end(w.view_menu, w.reset_layout_action),
                                  [self.lesson_dock.toggleViewAction(), self.code_dock.toggleViewAction()])
        # connected after the window's own slot: runs once the window has restored its default layout
        w.reset_layout_action.triggered.connect(self._after_reset_layout)

    # -- lessons -------------------------------------------------------------------------------
    def open(self, key: str) -> bool:
        """Load lesson `key` (A1 ... C): its preset, its views, its text. False when refused."""
        w = self.window
        entry = lesson(key)
        if w.session.is_running():
            w.statusBar().showMessage("Stop the training first, then open the lesson.", 6000)
            return False
        self.runner.shutdown()
        from trainer.presets import load_preset
        try:
            exp = load_preset(entry.preset)
        except ConfigError as exc:
            dialogs.show_error(w.window(), "Could not open the lesson", f"{entry.label}: {exc}")
            return False
        self.current = None        # so that applying its preset does not close the lesson being opened
        w.apply_experiment(exp)
        self.current = entry
        live: QWidget | None = None
        if entry.kind == "regression":
            self.readout.reset()
            live = self.readout
        elif entry.kind == "truth-table":
            self.truth_table.reset(exp)
            live = self.truth_table
        self.panel.show_lesson(entry, live)
        self._show_tab(entry)
        if key == "A3":
            w.architecture_dock.show()
            w.architecture_dock.raise_()    # the hidden neurons' pictures live in its diagram
        if self.lesson_dock.isHidden():
            self._tab_into(self.lesson_dock, w.dataset_dock)
        self.lesson_dock.show()
        self.lesson_dock.raise_()
        self._make_room()
        self.code_panel.schedule()
        w.statusBar().showMessage(f"Lesson {entry.label}: {exp.description}", 8000)
        return True

    def _on_experiment_applied(self, exp: Experiment) -> None:
        """Another experiment (a preset, a file, a loaded model) replaces the lesson's: the lesson closes."""
        if self.current is not None and exp.name != self.current.preset:
            self.close_lesson(exp)

    def close_lesson(self, exp: Experiment | None = None) -> None:
        """No lesson open: the Lesson dock goes away until the next one (its text would describe other settings).
        A lesson's own tab (A4's comparison, D's convolution) gives way to the tab of `exp`'s data."""
        self.runner.shutdown()
        self.current = None
        self.lesson_dock.hide()
        w = self.window
        if w.tabs.currentWidget() in (self.comparison, *self.tab_pages.values()):
            mnist = exp is not None and exp.data.name == "mnist" and w.tabs.indexOf(w.mnist) >= 0
            w.tabs.setCurrentWidget(w.mnist if mnist else w.playground)

    def _make_room(self) -> None:
        """Give the lesson text the height it needs in the left column (the dock below scrolls)."""
        w = self.window
        below = w.optimizer_dock
        if self.lesson_dock.isFloating() or below.isFloating() or below.isHidden() \
                or w.dockWidgetArea(self.lesson_dock) != w.dockWidgetArea(below):
            return
        total = self.lesson_dock.height() + below.height()
        want = min(self.panel.sizeHint().height() + 40, int(total * 0.68))
        if self.lesson_dock.height() < want:
            w.resizeDocks([self.lesson_dock, below], [want, total - want], Qt.Orientation.Vertical)
        if self.lesson_dock.width() < LESSON_WIDTH:
            w.resizeDocks([self.lesson_dock], [LESSON_WIDTH], Qt.Orientation.Horizontal)

    def _show_tab(self, entry: Lesson) -> None:
        w = self.window
        if entry.tab == COMPARISON:
            if self.comparison_index is None or w.tabs.indexOf(self.comparison) < 0:
                self.comparison_index = w.add_tab(COMPARISON, self.comparison)
            w.tabs.setCurrentWidget(self.comparison)
            return
        own = self.tab_pages.get(entry.tab)
        if own is not None:
            if w.tabs.indexOf(own) < 0:
                w.add_tab(entry.tab, own)
            w.tabs.setCurrentWidget(own)
            return
        page = w.mnist if entry.tab == MNIST else w.playground
        if w.tabs.indexOf(page) < 0:
            page = w.playground
        w.tabs.setCurrentWidget(page)
        if page is w.playground:
            w.plane_tabs.setCurrentWidget(w.boundary)

    # -- A1: raw autograd ----------------------------------------------------------------------
    def toggle_raw_autograd(self) -> None:
        if self.runner.is_running():
            self.runner.stop()
            return
        self.start_raw_autograd()

    def start_raw_autograd(self, slow: bool | None = None) -> bool:
        """Train w and b with raw autograd on the docks' linear data; False when it cannot start."""
        w = self.window
        if w.session.is_running() or self.runner.is_running():
            return False
        try:
            exp = w.current_experiment()
        except ConfigError as exc:
            dialogs.show_error(w.window(), "Cannot run these settings", str(exc))
            return False
        if exp.data.name != "linear":
            dialogs.show_info(w.window(), "Raw autograd needs the linear dataset",
                              "This lesson learns y = 2x + 1: choose the Linear dataset (or reopen lesson A1).")
            return False
        from trainer.data import linear
        x, _ = linear(exp.data.seed, exp.data.n_samples, exp.data.noise)
        self._line_x = np.linspace(float(x.min()) - 0.3, float(x.max()) + 0.3, 2)
        self._run_kind, self._last_loss = "raw", None
        self.readout.reset("Raw autograd: w and b are plain tensors; the gradients are the ones "
                           "loss.backward() computed for the last step.")
        w.curves.reset(exp)
        self._draw_line(0, 0.0, 0.0)
        slow = self.readout.slow_box.isChecked() if slow is None else slow
        self.runner.start(raw_autograd_source(exp), delay_s=SLOW_MOTION_S if slow else 0.0)
        return True

    def _draw_line(self, epoch: int, w_: float, b_: float) -> None:
        xs = self._line_x
        if xs is not None:
            self.window.boundary.on_snapshot(Snapshot(epoch, curve=(xs, w_ * xs + b_)))

    def _raw_events(self, items: list[Any]) -> None:
        w = self.window
        epochs = [ev for ev in items if isinstance(ev, EpochEnd)]
        last_step: ParamStep | None = None
        for ev in items:
            if isinstance(ev, Started):
                w.curves.on_started(ev)
            elif isinstance(ev, ParamStep):
                last_step = ev
            elif isinstance(ev, EpochEnd):
                self._last_loss = ev.train_loss
        if epochs:
            w.curves.on_epochs(epochs)
        if last_step is not None:
            loss = next((e.train_loss for e in reversed(epochs) if e.epoch == last_step.epoch), self._last_loss)
            self.readout.on_param_step(last_step, loss)
            self._draw_line(last_step.epoch, last_step.values["w"], last_step.values["b"])
        fin = next((ev for ev in items if isinstance(ev, Finished)), None)
        if fin is not None:
            w.curves.on_finished(fin)
            wf, bf = fin.extra["w"], fin.extra["b"]
            self._draw_line(fin.epochs_run, wf, bf)
            self.readout.show_result(wf, bf, fin.epochs_run)
            how = {"diverged": "diverged (try a smaller learning rate); kept",
                   "stopped": "was stopped at"}.get(fin.reason, "learned")
            w.statusBar().showMessage(f"Raw autograd {how} y = {wf:.3f}x + {bf:.3f} after {fin.epochs_run:,} "
                                      f"epochs (truth: y = 2x + 1).", 20000)

    # -- A4: manual vs PyTorch -----------------------------------------------------------------
    def toggle_comparison(self) -> None:
        if self.runner.is_running():
            self.runner.stop()
            return
        self.start_comparison()

    def start_comparison(self) -> bool:
        """Train the seed's NumPy MLP and the xor-mlp preset side by side; False when it cannot start."""
        if self.window.session.is_running() or self.runner.is_running():
            return False
        from trainer.presets import load_preset
        exp = load_preset("xor-mlp")
        self._run_kind = "compare"
        self.comparison.reset()
        self.runner.start(side_by_side_source(exp))
        return True

    # -- the runner ------------------------------------------------------------------------------
    def _on_runner_events(self, items: list[Any]) -> None:
        if self._run_kind == "raw":
            self._raw_events(items)
        elif self._run_kind == "compare":
            self.comparison.on_events(items)

    def _on_runner_state(self, running: bool) -> None:
        self.readout.set_running(running and self._run_kind == "raw")
        self.comparison.set_running(running and self._run_kind == "compare")
        if not running and self._run_kind == "compare":
            self.comparison.finish()
            if len(self.comparison.results) < 2:
                self.comparison.status.setText("Stopped.")
        self._update_actions()

    # -- the toolbar's Train (TrainingSession) ----------------------------------------------------
    def _on_session_state(self, state: str) -> None:
        if state != "idle" and self.runner.is_running():
            # One training at a time. stateChanged comes from session.start(), after the window has
            # reset its views and before any event loop turn: nothing of ours reaches them after this.
            self.runner.shutdown()
        self._update_actions()

    def _on_session_started(self, ev: Started) -> None:
        exp = self.window.session.experiment
        if self.current is None or exp is None:
            return
        if self.current.kind == "truth-table":
            self.truth_table.reset(exp)
        elif self.current.kind == "regression":
            self._session_xy = None
            if exp.data.name == "linear" and not exp.model.layers:
                from trainer.data import load
                splits = load(exp.data)
                self._session_xy = (splits.x_train[:, 0].astype(float), splits.y_train.astype(float))
                self.readout.reset("Train: nn.Linear(1, 1) and optim.SGD; the gradients are those at the "
                                   "current w and b.")

    def _on_session_snapshot(self, ev: Snapshot) -> None:
        if self.current is None:
            return
        if self.current.kind == "truth-table":
            self.truth_table.on_snapshot(ev)
        elif self.current.kind == "regression" and self._session_xy is not None and ev.weights:
            (wm, bm), = ev.weights[:1]
            if np.size(wm) == 1 and np.size(bm) == 1:
                w_, b_ = float(np.ravel(wm)[0]), float(np.ravel(bm)[0])
                gw, gb, loss = line_gradients(w_, b_, *self._session_xy)
                self.readout.show_step(ev.epoch, w_, b_, gw, gb, loss)

    def _on_session_finished(self, ev: Finished) -> None:
        if self.current is None:
            return
        if self.current.kind == "truth-table":
            self.truth_table.on_model(self.window.session.model())
        elif self.current.kind == "regression" and self._session_xy is not None and "w" in ev.extra:
            w_, b_ = ev.extra["w"], ev.extra["b"]
            gw, gb, loss = line_gradients(w_, b_, *self._session_xy)
            self.readout.show_step(max(ev.epochs_run - 1, 0), w_, b_, gw, gb, loss)
            self.readout.show_result(w_, b_, ev.epochs_run)

    def _update_actions(self) -> None:
        busy = self.window.session.is_running()
        for action in self.actions.values():
            action.setEnabled(not busy)
        own = self.runner.is_running()
        # A run button is live when nothing trains, or when its own run does (it then reads Stop).
        self.readout.run_button.setEnabled(not busy and (not own or self._run_kind == "raw"))
        self.comparison.run_button.setEnabled(not busy and (not own or self._run_kind == "compare"))

    # -- File > Export as PyTorch script -----------------------------------------------------------
    def export_script(self, path: str | os.PathLike | None = None) -> Path | None:
        """Write the script for the docks' settings; the path written, or None (reason shown)."""
        w = self.window
        try:
            exp = w.current_experiment()
        except ConfigError as exc:
            dialogs.show_error(w.window(), "Cannot export these settings", str(exc))
            return None
        if path is None:
            start = Path(settings.value("folders/scripts", str(Path.home())))
            name = f"{exp.name or 'experiment'}.py"
            chosen, _ = QFileDialog.getSaveFileName(w.window(), "Export as PyTorch script", str(start / name),
                                                    "Python scripts (*.py);;All files (*)")
            if not chosen:
                return None
            path = chosen
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".py")
        from trainer.export import ExportError, write_script
        try:
            written = write_script(exp, path)
        except (ExportError, OSError) as exc:
            dialogs.show_error(w.window(), "Could not export the script", str(exc))
            return None
        settings.set_value("folders/scripts", str(written.parent))
        w.statusBar().showMessage(f"Exported the PyTorch script to {written}", 8000)
        return written

    # -- closing -----------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.runner.shutdown()
        elif obj is self.window and event.type() == QEvent.Type.Show and not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self.place_docks)
        return False

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        return self.runner.shutdown(timeout_ms)


def _scrolling(widget: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def _saved_layout_mentions(object_name: str) -> bool:
    """Whether the window layout saved last time includes a dock of this name (QDataStream: UTF-16 BE)."""
    _geometry, state = settings.window_layout()
    return state is not None and object_name.encode("utf-16-be") in bytes(state)


__all__ = ["LessonController", "raw_autograd_source", "side_by_side_source"]
