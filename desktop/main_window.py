"""The main window: it builds its parts and wires them to the training client and to each other.

Each part holds one job: the docks as one Experiment (experiment_form.py), where the docks sit
(layout.py), the status bar (status.py), the File menu's reads and writes (files.py), the
Playground tab (playground.py), actions and menus (actions.py), the MNIST tab (workspaces/) and
the lessons (lessons/; these two see the window through window_api.py). Train hands the docks'
Experiment to the training client; settings are locked while a run is going (points clicked
into the plot join the data of the next run).
"""
from __future__ import annotations

import gc
import logging
import sys
import threading
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from trainer.config import ConfigError, DataSpec, Experiment
from trainer.events import BatchProgress, DataProgress, Diverged, EpochEnd, Finished, Started
from trainer.pacing import WINDOW
from trainer.splits import Splits

from . import dialogs, guide, settings, speed
from .actions import icon, make_action, menu, toolbar
from .docks.architecture import ArchitecturePanel
from .docks.dataset import DatasetPanel
from .docks.optimizer import OptimizerPanel
from .experiment_form import ExperimentForm
from .experiment_state import experiment_or_none, run_belongs, shapes_key
from .files import FileActions
from .layout import DockLayout
from .playground import PlaygroundPage
from .status import RunStatus
from .training import TrainingClient
from .throttle import Throttle
from .views.boundary import BoundaryView
from .views.curves import CurvesView
from .views.model_pictures import ModelPictures
from .views.network import NetworkView
from .views.neurons import NeuronView

log = logging.getLogger(__name__)

DEFAULT_PRESET = "spiral"


class MainWindow(QMainWindow):
    """Neural Playground's window; owns one TrainingSession."""

    trainedModelChanged = Signal()       # a run finished or a model was loaded
    experimentApplied = Signal(object)   # a whole experiment was put into the docks (lesson, preset, file)

    def __init__(self, experiment: Experiment | None = None, restore_layout: bool = True,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle("Neural Playground")
        self.setWindowIcon(icon("app"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.session = TrainingClient(self)
        self.persist = True                      # False: remember nothing (self-test, screenshots)
        self._valid = False
        self._splits: Splits | None = None       # the data of the docks' DataSpec, for the preview and views
        self._splits_spec: DataSpec | None = None
        self._view_key: Any = None
        self._boundary_key: Any = None
        self._trained: tuple[Experiment, Finished] | None = None
        # The status bar follows the epochs 4 times a second: each change re-lays it out and repaints it.
        self._status_throttle = Throttle(WINDOW.status_every_s, self._show_live_status, self)
        self._cuda: bool | None = None           # unknown until torch is imported
        self._torch_ready = threading.Event()
        self._froze = False                      # this window moved the objects alive at torch_loaded out of gc
        if "torch" in sys.modules and "trainer.models" in sys.modules:
            self._torch_ready.set()
        self._revalidate_timer = QTimer(self)
        self._revalidate_timer.setSingleShot(True)
        self._revalidate_timer.setInterval(0)
        self._revalidate_timer.timeout.connect(self.revalidate)

        self._build_views()
        self.dock_layout = DockLayout(self)
        self._build_docks()
        self.status = RunStatus(self.statusBar(), self)   # the run's figures and progress bar
        self.files = FileActions(self)                    # File menu's reads and writes
        self._build_actions()
        self._build_menus()
        self._connect_session()
        from .reference_run import ReferenceRun
        self.reference_run = ReferenceRun(self.session, self.curves, self)   # a mistake's normal run, beside it
        from .workspaces.mnist import MnistWorkspace
        self.mnist = MnistWorkspace(self)
        self.add_tab("MNIST", self.mnist)
        from .lessons import install as install_lessons
        self.lessons = install_lessons(self)   # Lessons A1–C, the Lesson and Code docks, File > Export script
        from .tabular import install as install_tabular
        self.tabular = install_tabular(self)   # File > Import data, the views of tables (issue 17)
        from .timetravel import install as install_time_travel
        self.time_travel = install_time_travel(self)   # the timeline under the views: scrub, branch (issue 16)
        from .timetravel_views import install as install_timeline_views
        self.timeline_views = install_timeline_views(self)   # Weights over time, Loss landscape (issue 16)
        self.dock_layout.keep_default()

        settings.check_store()                   # a damaged settings file is set aside, with a warning
        if experiment is None:
            experiment = settings.last_experiment()
        if experiment is None:
            from trainer.presets import load_preset
            experiment = load_preset(DEFAULT_PRESET)
        self.apply_experiment(experiment)
        if restore_layout:
            self.dock_layout.restore()
        else:
            self.resize(1280, 800)
        self._update_actions()
        self.statusBar().showMessage("Ready: press Train (Ctrl+Enter) to watch the network learn.")

    # -- construction -------------------------------------------------------------------
    def _build_views(self) -> None:
        self.curves = CurvesView()
        self.boundary = BoundaryView()
        self.network = NetworkView()
        self.neurons = NeuronView()
        self.views = (self.curves, self.boundary, self.network, self.neurons)
        self.pictures = ModelPictures(self.views, self.boundary)   # the untrained network; zoom redraws
        self._diagram_views = (self.network, self.neurons)
        self._diagram_pending = None            # a snapshot whose weights wait for their own turn
        self._diagram_timer = QTimer(self)
        self._diagram_timer.setSingleShot(True)
        self._diagram_timer.setInterval(WINDOW.diagram_delay_ms)
        self._diagram_timer.timeout.connect(self._show_diagram)
        self.network.neuronClicked.connect(self._on_neuron_clicked)

        self.playground = PlaygroundPage(self.boundary, self.neurons, self.curves)
        self.plane_tabs = self.playground.plane_tabs
        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaces")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.add_tab("Playground", self.playground)

    def add_tab(self, title: str, widget: QWidget) -> int:
        """Add a workspace tab (MNIST, lessons, ...); returns its index."""
        return self.tabs.addTab(widget, title)

    def _build_docks(self) -> None:
        self.dataset_panel = DatasetPanel()
        self.architecture_panel = ArchitecturePanel()
        self.optimizer_panel = OptimizerPanel()
        self.form = ExperimentForm(self.dataset_panel, self.architecture_panel, self.optimizer_panel)
        self.panels = self.form.panels
        self.boundary.pointAdded.connect(self._on_point_added)      # points clicked into the plane
        self.boundary.pointRemoved.connect(self.form.remove_point)
        # Data and how it learns on the left; the model (layers and its live diagram) on the right.
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        dock = self.dock_layout.dock
        self.dataset_dock = dock("Dataset", self.dataset_panel, "dataset", left)
        self.optimizer_dock = dock("Optimizer", self.optimizer_panel, "optimizer", left)
        self.architecture_dock = dock("Architecture", self.architecture_panel, "architecture", right,
                                      below=self.network)
        self.network.setMinimumHeight(180)
        self.resizeDocks([self.dataset_dock, self.architecture_dock], [280, 340], Qt.Orientation.Horizontal)
        for panel in self.panels:
            panel.changed.connect(self._revalidate_timer.start)

    def _build_actions(self) -> None:
        action = partial(make_action, self)
        self.train_action = action("Train", self.train, "Ctrl+Return", "train", "Train from scratch")
        self.pause_action = action("Pause", self.toggle_pause, Qt.Key.Key_Space, "pause",
                                   "Pause or resume the training")
        self.step_action = action("Step", self.step, "Ctrl+Right", "step", "Train one epoch, then pause")
        self.stop_action = action("Stop", self.stop, Qt.Key.Key_Escape, "stop", "Stop the training")
        self.reset_action = action("Reset", self.reset, "Ctrl+R", "reset", "Stop, and clear the model and the curves")
        files = self.files
        self.open_action = action("&Open experiment…", files.open_experiment, QKeySequence.StandardKey.Open)
        self.save_action = action("&Save experiment…", files.save_experiment, QKeySequence.StandardKey.Save)
        self.save_model_action = action("Save trained &model…", files.save_model, "Ctrl+Shift+S")
        self.load_model_action = action("&Load trained model…", files.load_model, "Ctrl+L")
        self.export_curves_png = action("Training curves as PNG…", lambda: files.export_plot("curves", "png"))
        self.export_curves_csv = action("Training curves as CSV…", lambda: files.export_plot("curves", "csv"))
        self.export_plane_png = action("Decision boundary as PNG…", lambda: files.export_plot("boundary", "png"))
        self.export_plane_csv = action("Decision boundary points as CSV…",
                                       lambda: files.export_plot("boundary", "csv"))
        self.quit_action = action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.reset_layout_action = action("Reset layout", self.reset_layout)
        self.about_action = action("&About Neural Playground", lambda: dialogs.about(self))
        from trainer.presets import load_preset, names
        self.lesson_actions: dict[str, QAction] = {}    # one per preset, by name
        for name in names():
            try:
                description = load_preset(name).description
            except ConfigError as exc:   # a broken preset must not take the window down
                log.warning("preset %s is unreadable: %s", name, exc)
                continue
            self.lesson_actions[name] = action(name, lambda n=name: self.load_lesson(n), tip=description)

    def _build_menus(self) -> None:
        running = (self.train_action, self.pause_action, self.step_action, self.stop_action, self.reset_action)
        self.toolbar = toolbar("Training", "trainingToolbar", running)
        self.speed = speed.SpeedControl(self.toolbar, self.session)   # slow motion .. Max, for every run
        self.toolbar.addSeparator()
        self.title_label = QLabel()
        self.title_label.setObjectName("experimentTitle")
        self.toolbar.addWidget(self.title_label)
        self.addToolBar(self.toolbar)

        bar = self.menuBar()
        exports = (self.export_curves_png, self.export_curves_csv, self.export_plane_png, self.export_plane_csv)
        self.file_menu = menu(bar, "&File", [self.open_action, self.save_action, None, self.save_model_action,
                                             self.load_model_action, None, ("&Export plot", exports), None,
                                             self.quit_action])
        self.training_menu = menu(bar, "&Training", running)
        self.lessons_menu = menu(bar, "&Lessons", self.lesson_actions.values())
        self.lessons_menu.setToolTipsVisible(True)
        docks = (self.dataset_dock, self.architecture_dock, self.optimizer_dock)
        self.view_menu = menu(bar, "&View", [*(d.toggleViewAction() for d in docks), None, self.reset_layout_action])
        menu(bar, "&Help", [*guide.install(self), None, self.about_action])   # Guide, shortcuts; views' lines

    def _connect_session(self) -> None:
        s = self.session
        s.started.connect(self._on_started)
        s.epochs.connect(self._on_epochs)
        s.newBest.connect(lambda ev: [v.on_new_best(ev) for v in self.time_travel.run_views(self.views)])
        s.snapshot.connect(self._on_snapshot)
        s.progress.connect(self._on_progress)
        s.diverged.connect(self._on_diverged)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._on_failed)
        s.stateChanged.connect(lambda state: (self._update_actions(), self.status.state_changed(state)))
        s.ended.connect(self._on_ended)

    def _on_snapshot(self, ev) -> None:
        if not self.time_travel.holds_views():   # else the timeline shows a recorded epoch: the live one waits
            self.show_snapshot(ev)

    def show_snapshot(self, ev) -> None:
        """Draw a Snapshot in every view: a run's live one, or the timeline's of a recorded epoch."""
        for view in self.views:
            if view not in self._diagram_views:
                view.on_snapshot(ev)
        if not (ev.weights or ev.neurons):
            for view in self._diagram_views:
                view.on_snapshot(ev)
            return
        # A diagram update (weights, ~100 neuron thumbnails, then their repaint: 10-20 ms while the
        # training process shares the cores) is a frame's biggest piece. It comes a few milliseconds
        # after the boundary and curves are painted, so that timers and input are handled in between
        # and the window never blocks for both at once (bench/stall.py's worst frames were these).
        self._diagram_pending = ev
        self._diagram_timer.start()

    def _show_diagram(self) -> None:
        ev, self._diagram_pending = self._diagram_pending, None
        self._diagram_timer.stop()
        if ev is not None:
            for view in self._diagram_views:
                view.on_snapshot(ev)

    def diagram_pending(self) -> bool:
        """True for the few milliseconds a diagram update waits after its frame (tests wait it out)."""
        return self._diagram_pending is not None

    # -- the experiment -----------------------------------------------------------------
    def current_experiment(self) -> Experiment:
        """The Experiment the docks show; raises ConfigError naming the first bad field."""
        return self.form.experiment()

    def apply_experiment(self, exp: Experiment) -> None:
        """Show an experiment in the docks (presets, File > Open, lessons); refused while training."""
        if self.session.is_running():
            raise RuntimeError("cannot change the settings while training; stop first")
        self.form.apply(exp)
        if not run_belongs(self._trained and self._trained[0], exp, whole=True):
            self.forget_run()
        self.revalidate()
        self.experimentApplied.emit(exp)

    def load_lesson(self, name: str) -> None:
        from trainer.presets import load_preset
        if self.session.is_running():
            return
        try:
            exp = load_preset(name)
        except ConfigError as exc:
            dialogs.show_error(self, "Could not load the lesson", f"{name}: {exc}")
            return
        self.apply_experiment(exp)
        self.statusBar().showMessage(f"Loaded lesson {name}: {exp.description}", 8000)

    def revalidate(self) -> Experiment | None:
        """Check the settings now; show the first problem next to its field and lock Train.

        Returns the docks' Experiment, or None when a setting is refused."""
        self._revalidate_timer.stop()
        exp = self.form.check(cuda=self._cuda)
        self._valid = exp is not None
        if exp is not None:
            title = exp.name or "custom experiment"
            self.title_label.setText(f"  {title}")
            self.title_label.setToolTip(exp.description)
            self.setWindowTitle(title)   # Qt adds " — Neural Playground", the application's display name
            if exp.data != self._splits_spec:      # the data the preview and the views show
                self._splits_spec, self._splits = exp.data, self.form.preview(exp.data)
            if not self.session.is_running():
                if self._trained is not None and not run_belongs(self._trained[0], exp, whole=False):
                    self.forget_run()   # other data or layers: the last run is not this one's
                self._sync_views(exp)
        self._update_actions()
        return exp

    def _sync_views(self, exp: Experiment, force: bool = False, initial: bool = True) -> None:
        """reset + set_data the plane views when what they draw changed (the curves keep the last run);
        initial: draw the untrained network there (False: a run's or a loaded model's pictures follow)."""
        d = exp.data
        splits = self._splits if self._splits_spec == d else None
        model_key = shapes_key(exp)
        new_model = force or model_key != self._view_key
        if new_model:                                 # the diagram and the neuron maps follow the model
            self._view_key = model_key
            self.pictures.due = True
            for view in (self.network, self.neurons):
                view.reset(exp)
                if splits is not None:
                    view.set_data(splits)
        if new_model or d != self._boundary_key:      # the plane also follows clicked-in points
            self._boundary_key = d
            self.boundary.reset(exp)
            if splits is not None:
                self.boundary.set_data(splits)
        if not initial:
            self.pictures.forget()
        elif self._torch_ready.is_set() and not self.session.is_running():   # else torch_loaded() does it
            self.pictures.show_untrained(exp, splits)

    def torch_loaded(self) -> None:
        """Called once torch is importable without waiting: count parameters, look for CUDA."""
        self._torch_ready.set()
        try:
            import torch
            self._cuda = bool(torch.cuda.is_available())
        except Exception:  # noqa: BLE001
            self._cuda = False
        self.optimizer_panel.set_cuda_available(bool(self._cuda))
        self.revalidate()
        # torch, Qt and the window are a few hundred thousand objects that live as long as the app:
        # move them out of the collector's way, so a full collection during training takes ~1 ms
        # on the GUI thread instead of ~15 (a visible hitch, and GIL time the training waits for).
        # Once per process: a later window (tests open many) would freeze the earlier ones' garbage.
        if not gc.get_freeze_count():
            gc.freeze()
            self._froze = True

    def torch_is_loaded(self) -> bool:
        """torch is imported in this process (torch_loaded has run): Train can start."""
        return self._torch_ready.is_set()

    def optimizer_loaded(self) -> None:
        """What the first optimizer step imports (torch._dynamo, ~150,000 objects) is loaded too: out of
        the collector's way as well, if this window froze the rest."""
        if self._froze:
            gc.freeze()

    def start_warmup(self) -> None:
        """Start the training process and import torch without blocking the window (training/warmup.py)."""
        from .training import warmup
        self._warmup = warmup.start(self._torch_ready.is_set(), self.torch_loaded, self.optimizer_loaded, self)

    def join_warmup(self, timeout: float = 60.0) -> None:
        """Wait for the background torch import: exiting mid-import crashes the interpreter."""
        thread = getattr(self, "_warmup", None)
        if thread is not None:
            thread.join(timeout)

    # -- training commands ---------------------------------------------------------------
    def train(self) -> bool:
        """Start a run with the docks' experiment; False (and the reason shown) when refused."""
        if self.session.is_running():
            return False
        exp = self.revalidate()   # the one Experiment this run trains, built once from the docks
        if exp is None:
            self.statusBar().showMessage("Fix the setting marked in red first.", 6000)
            return False
        if self.persist:
            settings.save_experiment(exp)
        self._start(exp, paused_after_first=False)
        return True

    def _start(self, exp: Experiment, paused_after_first: bool) -> None:
        self._show_diagram()     # the last run's final weights, if they were still waiting
        self.curves.reset(exp)
        self.curves.set_data(self._splits if self._splits_spec == exp.data else None)
        # Rebuilt only if the data or the model changed: the pictures of the last run stay until the
        # new run's first snapshot (~70 ms) replaces them, and Train does not repaint a whole diagram.
        self._sync_views(exp, initial=False)
        self.status.set(epoch="starting…", loss="", acc="", speed="", device="")
        # Replaces "Ready: press Train" (or the last run's result) for as long as this run lasts.
        self.status.running(exp.name)
        self.session.start(exp, paused_after_first=paused_after_first)
        self._update_actions()

    def toggle_pause(self) -> None:
        if not self.session.is_running():
            return
        if self.session.state == "paused":
            self.session.resume()
        else:
            self.session.pause()

    def step(self) -> None:
        """One epoch, then pause; from idle it starts a run that pauses after its first epoch."""
        if self.session.is_running():
            self.session.step()
            return
        exp = self.revalidate()
        if exp is not None:
            self._start(exp, paused_after_first=True)

    def stop(self) -> None:
        self.session.stop()

    def reset(self) -> None:
        """Stop, and forget the trained model: the views go back to the untrained network."""
        self.session.shutdown()
        self.forget_run()
        self.revalidate()

    def forget_run(self) -> None:
        """No run or model on screen (Reset, or the experiment shown is not the last run's): untrained views."""
        self._trained = None
        self._view_key = self._boundary_key = None
        self.boundary.clear_picture()   # same settings: without this the trained boundary would stay
        self.curves.reset(experiment_or_none(self.form))
        self.status.clear()
        self._update_actions()
        self.trainedModelChanged.emit()

    # -- session signals ------------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        self._status_throttle.reset()
        for view in self.time_travel.run_views(self.views):
            view.on_started(ev)
        self.status.started(ev)

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        for view in self.time_travel.run_views(self.views):
            view.on_epochs(evs)
        exp = self.session.experiment
        self.status.epochs(evs, exp.train.epochs if exp else 0)
        self._status_throttle()

    def _show_live_status(self) -> None:
        self.status.show_live()

    def _on_progress(self, ev: DataProgress | BatchProgress) -> None:
        self.status.show_progress(ev)

    def _on_diverged(self, ev: Diverged) -> None:
        self.status.diverged(ev)

    def _on_finished(self, ev: Finished) -> None:
        self._status_throttle.flush()   # the last epoch's figures first; the result's replace some
        for view in self.time_travel.run_views(self.views):
            view.on_finished(ev)
        exp = self.session.experiment
        if exp is not None:
            self._trained = (exp, ev)
            self.pictures.let_redraw(exp, state=ev.state)
        self.status.finished(ev, exp.train.epochs if exp else ev.epochs_run)
        self.trainedModelChanged.emit()

    def _on_failed(self, message: str) -> None:
        self.status.failed()
        dialogs.show_error(self, "Training failed", message)

    def _on_ended(self) -> None:
        self.status.ended()
        self.revalidate()       # settings are editable again; points clicked in meanwhile are drawn

    # -- points clicked into the plane ----------------------------------------------------
    def _on_point_added(self, x: float, y: float, cls: int) -> None:
        self.form.add_point(x, y, cls)
        if self.session.is_running():
            self.statusBar().showMessage("Point added: it joins the training data on the next run.", 5000)

    def _on_neuron_clicked(self, layer: int, unit: int) -> None:
        self.neurons.show_neuron(layer, unit)
        self.network.select(layer, unit)
        self.plane_tabs.setCurrentWidget(self.neurons)

    # -- state of the controls ----------------------------------------------------------------
    def _update_actions(self) -> None:
        running = self.session.is_running()
        paused = self.session.state == "paused"
        self.train_action.setEnabled(not running and self._valid)
        self.pause_action.setEnabled(running)
        self.pause_action.setText("Resume" if paused else "Pause")
        self.pause_action.setIcon(icon("train" if paused else "pause"))
        self.step_action.setEnabled(paused or (not running and self._valid))
        self.stop_action.setEnabled(running)
        for panel in self.panels:
            panel.setEnabled(not running)
        for action in (self.open_action, self.load_model_action, *self.lesson_actions.values()):
            action.setEnabled(not running)
        has_model = self._trained is not None and not running
        self.save_model_action.setEnabled(has_model)

    def status_text(self) -> str:
        """Everything the status bar's fields show now (for tests and the self-test)."""
        return self.status.text()

    # -- the model shown ---------------------------------------------------------------------
    def trained(self) -> tuple[Experiment, Finished] | None:
        """The experiment and result of the model now shown (trained here or loaded)."""
        return self._trained

    def trained_model(self) -> Any:
        """The model now shown, in eval mode, or None."""
        if self._trained is None:
            return None
        from trainer.models import model_from_state
        exp, fin = self._trained
        return model_from_state(exp, fin.state)

    def show_loaded(self, exp: Experiment, fin: Finished, model: Any) -> None:
        """Show a model that was not trained here (a checkpoint): its settings, history and pictures."""
        self.apply_experiment(exp)
        exp = self.current_experiment()
        self._trained = (exp, fin)
        self.curves.reset(exp)
        self._sync_views(exp, force=True, initial=False)
        splits = self._splits if self._splits_spec == exp.data else None
        try:
            from trainer.plane import snapshot_of
            snap = snapshot_of(model, exp, splits)
        except Exception as exc:  # noqa: BLE001 -- the pictures are a bonus; the model is loaded
            log.warning("could not draw the loaded model: %s", exc, exc_info=True)
            snap = None
        if snap is not None:
            for view in self.views:
                view.on_snapshot(snap)
            self.pictures.let_redraw(exp, model)
        for view in self.views:
            view.on_finished(fin)
        self.status.loaded(fin)
        self._update_actions()
        self.trainedModelChanged.emit()

    # -- layout and closing ----------------------------------------------------------------
    def reset_layout(self) -> None:
        self.dock_layout.reset((self.dataset_dock, self.architecture_dock, self.optimizer_dock))

    def remember(self) -> None:
        """Save the experiment and the layout for the next start."""
        self.dock_layout.save()
        try:
            settings.save_experiment(self.current_experiment())
        except ConfigError:
            pass   # an invalid half-edit is not worth remembering over the last good one

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.dock_layout.fit_panels()   # the Architecture panel whole, the diagram below it takes the rest

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        log.info("quitting: the window was closed")   # the log's last line says how a session ended
        self.session.shutdown()
        if self.persist:
            self.remember()
        super().closeEvent(event)


__all__ = ["MainWindow"]
