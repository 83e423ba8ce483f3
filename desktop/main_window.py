"""The main window: settings docks, the playground views, the toolbar, menus and status bar.

The docks edit widgets; `current_experiment()` assembles one immutable Experiment
from them, and Train hands it to the TrainingSession. Settings are locked while a
run is going (points clicked into the plot join the data of the next run).
"""
from __future__ import annotations

import csv
import gc
import logging
import math
import os
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QProgressBar, QScrollArea,
                               QSplitter, QTabWidget, QToolBar, QWidget)

from trainer.config import ConfigError, Experiment, resolved_loss
from trainer.events import Diverged, EpochEnd, Finished, Started

from . import dialogs, resources_dir, settings
from .docks.architecture import ArchitecturePanel
from .docks.dataset import DatasetPanel, outputs_text
from .docks.optimizer import OptimizerPanel
from .session import TrainingSession, error_message, snapshot_of
from .throttle import Throttle
from .views.boundary import BoundaryView
from .views.curves import CurvesView
from .views.network import NetworkView
from .views.neurons import NeuronView

log = logging.getLogger(__name__)

DEFAULT_PRESET = "spiral"
DIAGRAM_DELAY_MS = 8   # a diagram update waits this long after its frame (see _on_snapshot)


def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class MainWindow(QMainWindow):
    """Neural Playground's window; owns one TrainingSession."""

    trainedModelChanged = Signal()       # a run finished or a model was loaded

    def __init__(self, experiment: Experiment | None = None, restore_layout: bool = True,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle("Neural Playground")
        self.setWindowIcon(icon("app"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.session = TrainingSession(self)
        self.persist = True                      # False: remember nothing (self-test, screenshots)
        self._name = ""
        self._description = ""
        self._valid = False
        self._splits: Any = None
        self._splits_spec: Any = None
        self._view_key: Any = None
        self._boundary_key: Any = None
        self._trained: tuple[Experiment, Finished] | None = None
        self._eps_ref: tuple[float, int] | None = None
        # The status bar follows the epochs 4 times a second: each change re-lays it out and repaints it.
        self._live_status: dict[str, str] = {}
        self._status_throttle = Throttle(0.25, self._show_live_status, self)
        self._diverged: Diverged | None = None   # of the current run
        self._device = ""
        self._cuda: bool | None = None           # unknown until torch is imported
        self._torch_ready = threading.Event()
        if "torch" in sys.modules and "trainer.models" in sys.modules:
            self._torch_ready.set()
        self._fit_on_show: list[tuple[QScrollArea, QWidget]] = []
        self._revalidate_timer = QTimer(self)
        self._revalidate_timer.setSingleShot(True)
        self._revalidate_timer.setInterval(0)
        self._revalidate_timer.timeout.connect(self.revalidate)

        self._build_views()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_status()
        self._connect_session()
        from .workspaces.mnist import MnistWorkspace
        self.mnist = MnistWorkspace(self)
        self.add_tab("MNIST", self.mnist)
        from .lessons import install as install_lessons
        self.lessons = install_lessons(self)   # Lessons A1–C, the Lesson and Code docks, File > Export script
        self._default_state = self.saveState(settings.LAYOUT_VERSION)

        settings.check_store()                   # a damaged settings file is set aside, with a warning
        if experiment is None:
            experiment = settings.last_experiment()
        if experiment is None:
            from trainer.presets import load_preset
            experiment = load_preset(DEFAULT_PRESET)
        self.apply_experiment(experiment)
        if restore_layout:
            self._restore_layout()
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
        self._diagram_views = (self.network, self.neurons)
        self._diagram_pending = None            # a snapshot whose weights wait for their own turn
        self._diagram_timer = QTimer(self)
        self._diagram_timer.setSingleShot(True)
        self._diagram_timer.setInterval(DIAGRAM_DELAY_MS)
        self._diagram_timer.timeout.connect(self._show_diagram)
        self.boundary.pointAdded.connect(self._on_point_added)
        self.boundary.pointRemoved.connect(self._on_point_removed)
        self.network.neuronClicked.connect(self._on_neuron_clicked)

        # The plane: the boundary, and one neuron's map beside it when one is clicked (TF Playground's view).
        self.plane_tabs = QTabWidget()
        self.plane_tabs.setObjectName("planeTabs")
        self.plane_tabs.setDocumentMode(True)
        self.plane_tabs.addTab(self.boundary, "Decision boundary")
        self.plane_tabs.addTab(self.neurons, "Neuron")
        # The plane on top, the curves full width below (time series like width); the network
        # diagram lives in the Architecture dock, under the layers it draws.
        self.plane_tabs.setMinimumWidth(300)
        self.playground = QSplitter(Qt.Orientation.Vertical)
        self.playground.setObjectName("playground")
        self.playground.setChildrenCollapsible(False)
        self.playground.addWidget(self.plane_tabs)
        self.playground.addWidget(self.curves)
        self.playground.setStretchFactor(0, 3)
        self.playground.setStretchFactor(1, 2)
        self.curves.setMinimumHeight(160)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaces")
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)
        self.add_tab("Playground", self.playground)

    def add_tab(self, title: str, widget: QWidget) -> int:
        """Add a workspace tab (MNIST, lessons, ...); returns its index."""
        return self.tabs.addTab(widget, title)

    def _dock(self, title: str, panel: QWidget, name: str, area: Qt.DockWidgetArea,
              below: QWidget | None = None) -> QDockWidget:
        """A movable, floatable dock; the panel scrolls rather than clips, `below` shares the dock under it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}Dock")
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(panel.minimumSizeHint().width() + 14)   # never clip a field sideways
        if below is None:
            dock.setWidget(scroll)
        else:
            split = QSplitter(Qt.Orientation.Vertical)
            split.setObjectName(f"{name}Split")
            split.setChildrenCollapsible(False)
            split.addWidget(scroll)
            split.addWidget(below)
            split.setStretchFactor(0, 0)
            split.setStretchFactor(1, 1)
            split.setSizes([panel.sizeHint().height(), 10_000])
            self._fit_on_show.append((scroll, panel))
            dock.setWidget(split)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.dataset_panel = DatasetPanel()
        self.architecture_panel = ArchitecturePanel()
        self.optimizer_panel = OptimizerPanel()
        self.panels = (self.dataset_panel, self.architecture_panel, self.optimizer_panel)
        # Data and how it learns on the left; the model (layers and its live diagram) on the right.
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.dataset_dock = self._dock("Dataset", self.dataset_panel, "dataset", left)
        self.optimizer_dock = self._dock("Optimizer", self.optimizer_panel, "optimizer", left)
        self.architecture_dock = self._dock("Architecture", self.architecture_panel, "architecture", right,
                                            below=self.network)
        self.network.setMinimumHeight(180)
        self.resizeDocks([self.dataset_dock, self.architecture_dock], [280, 340], Qt.Orientation.Horizontal)
        for panel in self.panels:
            panel.changed.connect(self._revalidate_timer.start)

    def _action(self, text: str, slot, shortcut: Any = None, icon_name: str = "", tip: str = "") -> QAction:
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            shortcut_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({shortcut_text})" if shortcut_text else tip)
            action.setStatusTip(tip)
        # Not connect(slot): PySide passes `checked` (False) to a slot with an optional first parameter,
        # and File > Open would then try to open the path False.
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.train_action = self._action("Train", self.train, "Ctrl+Return", "train", "Train from scratch")
        self.pause_action = self._action("Pause", self.toggle_pause, Qt.Key.Key_Space, "pause",
                                         "Pause or resume the training")
        self.step_action = self._action("Step", self.step, "Ctrl+Right", "step",
                                        "Train one epoch, then pause")
        self.stop_action = self._action("Stop", self.stop, Qt.Key.Key_Escape, "stop", "Stop the training")
        self.reset_action = self._action("Reset", self.reset, "Ctrl+R", "reset",
                                         "Stop, and clear the model and the curves")
        toolbar = QToolBar("Training")
        toolbar.setObjectName("trainingToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.train_action, self.pause_action, self.step_action, self.stop_action,
                       self.reset_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        self.title_label = QLabel()
        self.title_label.setObjectName("experimentTitle")
        toolbar.addWidget(self.title_label)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.open_action = self._action("&Open experiment…", self.open_experiment, QKeySequence.StandardKey.Open)
        self.save_action = self._action("&Save experiment…", self.save_experiment, QKeySequence.StandardKey.Save)
        self.save_model_action = self._action("Save trained &model…", self.save_model, "Ctrl+Shift+S")
        self.load_model_action = self._action("&Load trained model…", self.load_model, "Ctrl+L")
        self.export_curves_png = self._action("Training curves as PNG…", lambda: self.export_plot("curves", "png"))
        self.export_curves_csv = self._action("Training curves as CSV…", lambda: self.export_plot("curves", "csv"))
        self.export_plane_png = self._action("Decision boundary as PNG…",
                                             lambda: self.export_plot("boundary", "png"))
        self.export_plane_csv = self._action("Decision boundary points as CSV…",
                                             lambda: self.export_plot("boundary", "csv"))
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file.addAction(self.open_action)
        file.addAction(self.save_action)
        file.addSeparator()
        file.addAction(self.save_model_action)
        file.addAction(self.load_model_action)
        file.addSeparator()
        export = file.addMenu("&Export plot")
        for a in (self.export_curves_png, self.export_curves_csv, self.export_plane_png, self.export_plane_csv):
            export.addAction(a)
        file.addSeparator()
        file.addAction(self.quit_action)

        train = bar.addMenu("&Training")
        for a in (self.train_action, self.pause_action, self.step_action, self.stop_action, self.reset_action):
            train.addAction(a)

        from trainer.presets import load_preset, names
        self.lessons_menu = bar.addMenu("&Lessons")
        self.lesson_actions: dict[str, QAction] = {}
        for name in names():
            try:
                description = load_preset(name).description
            except ConfigError as exc:   # a broken preset must not take the window down
                log.warning("preset %s is unreadable: %s", name, exc)
                continue
            action = self._action(name, lambda _=False, n=name: self.load_lesson(n), tip=description)
            self.lessons_menu.addAction(action)
            self.lesson_actions[name] = action
        self.lessons_menu.setToolTipsVisible(True)

        view = bar.addMenu("&View")
        for dock in (self.dataset_dock, self.architecture_dock, self.optimizer_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self._action("Reset layout", self.reset_layout))

        help_ = bar.addMenu("&Help")
        help_.addAction(self._action("&About Neural Playground", lambda: dialogs.about(self)))

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.status_epoch = QLabel("")
        self.status_loss = QLabel("")
        self.status_acc = QLabel("")
        self.status_speed = QLabel("")
        self.status_device = QLabel("")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.hide()
        for w in (self.status_epoch, self.status_loss, self.status_acc, self.status_speed, self.status_device):
            w.setObjectName("statusField")
        bar.addPermanentWidget(self.progress)
        for w in (self.status_epoch, self.status_loss, self.status_acc, self.status_speed, self.status_device):
            bar.addPermanentWidget(w)

    def _connect_session(self) -> None:
        s = self.session
        s.started.connect(self._on_started)
        s.epochs.connect(self._on_epochs)
        s.newBest.connect(lambda ev: [v.on_new_best(ev) for v in self.views])
        s.snapshot.connect(self._on_snapshot)
        s.progress.connect(self._on_progress)
        s.diverged.connect(self._on_diverged)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._on_failed)
        s.stateChanged.connect(lambda _state: self._update_actions())
        s.ended.connect(self._on_ended)

    def _on_snapshot(self, ev) -> None:
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
        return Experiment(data=self.dataset_panel.spec(), model=self.architecture_panel.spec(),
                          optim=self.optimizer_panel.optim_spec(), train=self.optimizer_panel.train_spec(),
                          name=self._name, description=self._description)

    def apply_experiment(self, exp: Experiment) -> None:
        """Show an experiment in the docks (presets, File > Open, lessons); refused while training."""
        if self.session.is_running():
            raise RuntimeError("cannot change the settings while training; stop first")
        self._name, self._description = exp.name, exp.description
        self.dataset_panel.apply(exp.data)
        self.architecture_panel.apply(exp.model)
        self.optimizer_panel.apply(exp.optim, exp.train)
        self.revalidate()

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

    def revalidate(self) -> None:
        """Check the settings now; show the first problem next to its field and lock Train."""
        self._revalidate_timer.stop()
        for panel in self.panels:
            panel.clear_error()
        try:
            exp = self.current_experiment()
            self._check_device(exp)
        except ConfigError as exc:
            self._valid = False
            owner = next((p for p in self.panels if p.owns(exc.path)), self.optimizer_panel)
            owner.show_error(exc.path, str(exc))
            self.architecture_panel.show_params(None)
            self._update_actions()
            return
        self._valid = True
        title = exp.name or "custom experiment"
        self.title_label.setText(f"  {title}")
        self.title_label.setToolTip(exp.description)
        self.setWindowTitle(f"Neural Playground — {title}")
        d = exp.data
        inputs = self.dataset_panel.describe()
        self.architecture_panel.show_io(d, inputs, outputs_text(d, resolved_loss(exp)))
        self.architecture_panel.show_params(self._param_count(exp))
        self._refresh_data(d)
        if not self.session.is_running():
            self._sync_views(exp)
        self._update_actions()

    def _sync_views(self, exp: Experiment, force: bool = False) -> None:
        """reset + set_data the plane views when what they draw changed (the curves keep the last run)."""
        d = exp.data
        splits = self._splits if self._splits_spec == d else None
        model_key = (replace(d, extra_points=()), exp.model)
        if force or model_key != self._view_key:      # the diagram and the neuron maps follow the model
            self._view_key = model_key
            for view in (self.network, self.neurons):
                view.reset(exp)
                if splits is not None:
                    view.set_data(splits)
        if force or d != self._boundary_key:          # the plane also follows clicked-in points
            self._boundary_key = d
            self.boundary.reset(exp)
            if splits is not None:
                self.boundary.set_data(splits)

    def _check_device(self, exp: Experiment) -> None:
        if exp.train.device == "cuda" and self._cuda is False:
            raise ConfigError("train.device", "no CUDA device was found on this machine; choose Automatic or CPU")

    def _param_count(self, exp: Experiment) -> int | None:
        """Counted by arithmetic (trainer.config.experiment_param_count): no torch needed, so shown from the start."""
        from trainer.config import experiment_param_count
        try:
            return experiment_param_count(exp)  # never build_model here: it would draw from a running training's RNG
        except Exception as exc:  # noqa: BLE001 -- a count is not worth a crash
            log.warning("could not count the parameters: %s", exc)
            return None

    def _refresh_data(self, d) -> None:
        """Load the 1-D / 2-D data for the preview and the views (cheap); MNIST is loaded by the run."""
        if d == self._splits_spec:
            return
        self._splits_spec = d
        if d.name == "mnist":
            self._splits = None
            subset = {"seed": "5,000 / 1,000 / 10,000", "full": "55,000 / 5,000 / 10,000"}[d.mnist_subset]
            self.dataset_panel.show_message("MNIST: 28×28 grey images of handwritten digits 0–9. "
                                            "The files are read when training starts.",
                                            f"train / validation / test: {subset}")
            return
        from trainer.data import load
        try:
            self._splits = load(d)
        except Exception as exc:  # noqa: BLE001 -- bad data settings are shown, not raised
            self._splits = None
            self.dataset_panel.show_error("data", error_message(exc))
            self.dataset_panel.show_message("no preview")
            return
        self.dataset_panel.show_splits(self._splits)

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

    def start_warmup(self) -> None:
        """Start the training process and import torch on a helper thread, so the window shows first
        and Train starts at once. (This process still needs torch: the pad, the lessons, checkpoints.)"""
        if self.session.in_process:
            from .process import POOL
            POOL.prestart()
        if self._torch_ready.is_set():   # imported already (a test, a benchmark): seconds at most once
            _warm_torch()
            self.torch_loaded()
            return
        done = threading.Event()

        def work() -> None:
            try:
                _warm_torch()
            except Exception as exc:  # noqa: BLE001 -- reported when Train is pressed
                log.error("importing torch failed: %s", exc, exc_info=True)
            finally:
                done.set()

        self._warmup = threading.Thread(target=work, name="np-torch-import", daemon=True)
        self._warmup.start()
        poll = QTimer(self)
        poll.setInterval(100)

        def check() -> None:
            if done.is_set():
                poll.stop()
                self.torch_loaded()

        poll.timeout.connect(check)
        poll.start()

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
        self.revalidate()
        if not self._valid:
            self.statusBar().showMessage("Fix the setting marked in red first.", 6000)
            return False
        exp = self.current_experiment()
        if self.persist:
            settings.save_experiment(exp)
        self._start(exp, paused_after_first=False)
        return True

    def _start(self, exp: Experiment, paused_after_first: bool) -> None:
        self._show_diagram()     # the last run's final weights, if they were still waiting
        self._eps_ref = None
        self._diverged = None
        self.curves.reset(exp)
        self.curves.set_data(self._splits if self._splits_spec == exp.data else None)
        # Rebuilt only if the data or the model changed: the pictures of the last run stay until the
        # new run's first snapshot (~70 ms) replaces them, and Train does not repaint a whole diagram.
        self._sync_views(exp)
        self._set_status(epoch="starting…", loss="", acc="", speed="", device="")
        # Replaces "Ready: press Train" (or the last run's result) for as long as this run lasts.
        self.statusBar().showMessage(f"Training {exp.name or 'the network'}: Space pauses, Esc stops.")
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
        self.revalidate()
        if self._valid:
            self._start(self.current_experiment(), paused_after_first=True)

    def stop(self) -> None:
        self.session.stop()

    def reset(self) -> None:
        """Stop, and forget the trained model: the views go back to the untrained network."""
        self.session.shutdown()
        self._trained = None
        self._view_key = self._boundary_key = None
        self.revalidate()
        try:
            self.curves.reset(self.current_experiment())
        except ConfigError:
            self.curves.reset(None)
        self._set_status(epoch="", loss="", acc="", speed="", device="")
        self.progress.hide()
        self._update_actions()
        self.trainedModelChanged.emit()

    # -- session signals ------------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        self._device = ev.device
        self._live_status.clear()
        self._status_throttle.reset()
        self.progress.hide()
        for view in self.views:
            view.on_started(ev)
        self._set_status(epoch=f"epoch 0 / {ev.epochs:,}", device=f"on {ev.device}")

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        for view in self.views:
            view.on_epochs(evs)
        last = evs[-1]
        total = self.session.experiment.train.epochs if self.session.experiment else 0
        self._live_status.update(epoch=f"epoch {last.epoch + 1:,} / {total:,}",
                                 loss=f"loss {_num(last.train_loss)} / val {_num(last.val_loss)}",
                                 acc=("" if last.train_acc is None
                                      else f"accuracy {last.train_acc:.1f}% / val {last.val_acc:.1f}%"))
        ref = self._eps_ref
        if ref is None:
            self._eps_ref = (last.seconds, last.epoch)
        elif last.seconds - ref[0] >= 0.5:
            eps = (last.epoch - ref[1]) / (last.seconds - ref[0])
            self._live_status["speed"] = f"{eps:,.0f} epochs/s" if eps >= 10 else f"{eps:.2g} epochs/s"
            self._eps_ref = (last.seconds, last.epoch)
        self._status_throttle()

    def _show_live_status(self) -> None:
        self._set_status(**self._live_status)
        self._live_status.clear()

    def _on_progress(self, ev) -> None:
        from trainer.events import BatchProgress
        self.progress.show()
        if isinstance(ev, BatchProgress):
            self.progress.setRange(0, ev.n_batches)
            self.progress.setValue(ev.batch)
            self.progress.setFormat(f"batch {ev.batch}/{ev.n_batches}")
        else:
            self.progress.setRange(0, max(ev.total, 0))
            self.progress.setValue(ev.done if ev.total else 0)
            self.progress.setFormat(f"{ev.stage} %p%" if ev.total else ev.stage)

    def _on_diverged(self, ev: Diverged) -> None:
        self._diverged = ev     # the Finished that follows at once says it again (it would hide this one)
        self.statusBar().showMessage(f"The training {ev.message}. Try a smaller learning rate.", 15000)

    def _on_finished(self, ev: Finished) -> None:
        self._status_throttle.flush()   # the last epoch's figures first; the result's replace some
        for view in self.views:
            view.on_finished(ev)
        self.progress.hide()
        if self.session.experiment is not None:
            self._trained = (self.session.experiment, ev)
        self._set_status(epoch=f"epoch {ev.epochs_run:,} / {self.session.experiment.train.epochs:,}",
                         device=f"on {ev.device}")
        if ev.seconds > 0 and ev.epochs_run:
            self._set_status(speed=f"{ev.epochs_run / ev.seconds:,.0f} epochs/s")
        self._set_status(acc=self._final_accuracy(ev))
        self.statusBar().showMessage(self._finish_message(ev), 20000)
        self.trainedModelChanged.emit()

    def _final_accuracy(self, ev: Finished) -> str:
        m = ev.metrics
        last = ev.history[-1] if ev.history else None
        if "test_accuracy" in m:
            train = f"train {last['train_acc']:.1f}% · " if last and last.get("train_acc") is not None else ""
            return f"accuracy {train}test {m['test_accuracy']:.1f}%"
        if "test_mse" in m and math.isfinite(m["test_mse"]):
            return f"test MSE {_num(m['test_mse'])}"
        return self.status_acc.text()

    def _finish_message(self, ev: Finished) -> str:
        if ev.reason == "diverged" and self._diverged is not None:
            return f"The training {self._diverged.message}. Try a smaller learning rate."
        how = {"completed": "Finished", "early_stopped": "Stopped early (no progress)",
               "stopped": "Stopped", "diverged": "Diverged"}.get(ev.reason, ev.reason)
        best = f"; best epoch {ev.best_epoch}" if ev.history else ""   # 0-based, as the curves count
        extra = ""
        if "w" in ev.extra:
            extra = f"; learned y = {ev.extra['w']:.3f}x + {ev.extra['b']:.3f}"
        return f"{how} after {ev.epochs_run:,} epochs in {ev.seconds:.1f} s{best}{extra}."

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self._set_status(epoch="failed")
        self.statusBar().showMessage("Training failed (the message says why).", 20000)
        dialogs.show_error(self, "Training failed", message)

    def _on_ended(self) -> None:
        if self.status_epoch.text() == "starting…":    # stopped before the first epoch: no Finished came
            self.progress.hide()
            self._set_status(epoch="")
            self.statusBar().showMessage("Stopped before the first epoch.", 6000)
        self.revalidate()       # settings are editable again; points clicked in meanwhile are drawn

    # -- points clicked into the plane ----------------------------------------------------
    def _on_point_added(self, x: float, y: float, cls: int) -> None:
        self.dataset_panel.set_extra_points(self.dataset_panel.extra_points() + ((x, y, cls),))
        if self.session.is_running():
            self.statusBar().showMessage("Point added: it joins the training data on the next run.", 5000)

    def _on_point_removed(self, index: int) -> None:
        points = list(self.dataset_panel.extra_points())
        if 0 <= index < len(points):
            del points[index]
            self.dataset_panel.set_extra_points(points)

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

    def _set_status(self, **fields: str) -> None:
        for key, text in fields.items():
            label = getattr(self, f"status_{key}")
            label.setText(text)
            label.setVisible(bool(text))

    def status_text(self) -> str:
        """Everything the status bar shows now (for tests and the self-test)."""
        parts = [w.text() for w in (self.status_epoch, self.status_loss, self.status_acc, self.status_speed,
                                    self.status_device) if w.text()]
        return " | ".join(parts)

    # -- files ------------------------------------------------------------------------------
    def _ask_path(self, save: bool, caption: str, key: str, filters: str, default_name: str = "") -> Path | None:
        start = settings.value(f"folders/{key}", str(Path.home()))
        if save:
            path, _ = QFileDialog.getSaveFileName(self, caption, str(Path(start) / default_name), filters)
        else:
            path, _ = QFileDialog.getOpenFileName(self, caption, start, filters)
        if not path:
            return None
        settings.set_value(f"folders/{key}", str(Path(path).parent))
        return Path(path)

    def open_experiment(self, path: str | os.PathLike | None = None) -> bool:
        """Load an experiment JSON file; a bad file leaves the settings as they were."""
        if path is None:
            path = self._ask_path(False, "Open experiment", "experiments", "Experiments (*.json);;All files (*)")
            if path is None:
                return False
        path = Path(path)
        try:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise ConfigError("", "no such file") from None
            except OSError as exc:
                raise ConfigError("", f"cannot be read ({exc.strerror or exc})") from None
            exp = Experiment.from_json(data)
        except ConfigError as exc:
            dialogs.show_error(self, "Could not open the experiment", f"{path.name}: {exc}")
            return False
        self.apply_experiment(exp)
        self.statusBar().showMessage(f"Opened {path.name}", 6000)
        return True

    def save_experiment(self, path: str | os.PathLike | None = None) -> bool:
        try:
            exp = self.current_experiment()
        except ConfigError as exc:
            dialogs.show_error(self, "Cannot save these settings", str(exc))
            return False
        if path is None:
            path = self._ask_path(True, "Save experiment", "experiments", "Experiments (*.json)",
                                  f"{exp.name or 'experiment'}.json")
            if path is None:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        try:
            _atomic_write(path, (exp.to_json() + "\n").encode("utf-8"))
        except OSError as exc:
            dialogs.show_error(self, "Could not save the experiment", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 6000)
        return True

    def trained(self) -> tuple[Experiment, Finished] | None:
        """The experiment and result of the model now shown (trained here or loaded)."""
        return self._trained

    def trained_model(self):
        """The model now shown, in eval mode, or None."""
        if self._trained is None:
            return None
        from trainer.models import model_from_state
        exp, fin = self._trained
        return model_from_state(exp, fin.state)

    def save_model(self, path: str | os.PathLike | None = None) -> bool:
        if self._trained is None:
            dialogs.show_info(self, "No trained model", "Train a model first (or load one).")
            return False
        exp, fin = self._trained
        if path is None:
            path = self._ask_path(True, "Save trained model", "models", "Neural Playground models (*.pt)",
                                  f"{exp.name or 'model'}.pt")
            if path is None:
                return False
        from trainer.checkpoint import save
        try:
            written = save(Path(path), exp, fin)
        except OSError as exc:
            dialogs.show_error(self, "Could not save the model", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Saved the model to {written}", 6000)
        return True

    def load_model(self, path: str | os.PathLike | None = None) -> bool:
        """Load a checkpoint: its settings into the docks, its history and pictures into the views."""
        if self.session.is_running():
            return False
        if path is None:
            path = self._ask_path(False, "Load trained model", "models",
                                  "Neural Playground models (*.pt);;All files (*)")
            if path is None:
                return False
        from trainer.checkpoint import CheckpointError, load
        try:
            ckpt = load(Path(path))
        except CheckpointError as exc:
            dialogs.show_error(self, "Could not load the model", str(exc))
            return False
        self.apply_experiment(ckpt.experiment)
        exp = self.current_experiment()
        state = {k: v.detach().cpu().numpy().copy() for k, v in ckpt.model.state_dict().items()}
        history = list(ckpt.history)
        best = min(range(len(history)), key=lambda i: history[i]["val_loss"]) if history else 0
        fin = Finished(reason="loaded", epochs_run=len(history), best_epoch=best,
                       best_val_loss=history[best]["val_loss"] if history else math.nan, history=history,
                       metrics=ckpt.metrics, state=state, params=sum(v.size for v in state.values()),
                       device="cpu", seconds=0.0, extra={"norm": list(ckpt.norm)})
        self._trained = (exp, fin)
        self.curves.reset(exp)
        self._sync_views(exp, force=True)
        splits = self._splits if self._splits_spec == exp.data else None
        try:
            snap = snapshot_of(ckpt.model, exp, splits)
        except Exception as exc:  # noqa: BLE001 -- the pictures are a bonus; the model is loaded
            log.warning("could not draw the loaded model: %s", exc, exc_info=True)
            snap = None
        if snap is not None:
            for view in self.views:
                view.on_snapshot(snap)
        for view in self.views:
            view.on_finished(fin)
        acc = ckpt.metrics.get("test_accuracy")
        self._set_status(epoch=f"{len(history):,} epochs (loaded)", loss="", speed="",
                         acc=f"test accuracy {acc:.1f}%" if isinstance(acc, (int, float)) else "", device="")
        self.statusBar().showMessage(f"Loaded {ckpt.path}", 8000)
        self._update_actions()
        self.trainedModelChanged.emit()
        return True

    def export_plot(self, which: str, fmt: str, path: str | os.PathLike | None = None) -> bool:
        """Write the curves or the boundary plot as PNG (pyqtgraph's ImageExporter) or CSV."""
        if path is None:
            filters = "PNG image (*.png)" if fmt == "png" else "CSV table (*.csv)"
            path = self._ask_path(True, "Export plot", "exports", filters, f"{which}.{fmt}")
            if path is None:
                return False
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_suffix(f".{fmt}")
        try:
            if fmt == "png":
                _export_png(self.curves.plot_widget().scene() if which == "curves" else self.boundary.plot, path)
            elif which == "curves":
                _write_curves_csv(self.curves.data(), path)
            else:
                import pyqtgraph.exporters as exporters
                _atomic_export(exporters.CSVExporter(self.boundary.plot), path)
        except OSError as exc:
            dialogs.show_error(self, "Could not export the plot", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 6000)
        return True

    # -- layout and closing ----------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry, state = settings.window_layout()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        if state is not None and not self.restoreState(state, settings.LAYOUT_VERSION):
            log.warning("ignored a saved window layout that did not fit this version")

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, settings.LAYOUT_VERSION)
        for dock in (self.dataset_dock, self.architecture_dock, self.optimizer_dock):
            dock.show()
            dock.setFloating(False)

    def remember(self) -> None:
        """Save the experiment and the layout for the next start."""
        settings.save_window(self.saveGeometry(), self.saveState(settings.LAYOUT_VERSION))
        try:
            settings.save_experiment(self.current_experiment())
        except ConfigError:
            pass   # an invalid half-edit is not worth remembering over the last good one

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        # Once the labels have wrapped at their real width: show the panel whole, the diagram takes the rest.
        for scroll, panel in self._fit_on_show:
            scroll.setMinimumHeight(min(panel.sizeHint().height() + 2, 460))
        self._fit_on_show.clear()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.session.shutdown()
        if self.persist:
            self.remember()
        super().closeEvent(event)


def _num(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4f}" if abs(v) >= 1e-3 else f"{v:.2e}"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_export(exporter, path: Path) -> None:
    """pyqtgraph exporters pick the format from the suffix: write a same-suffix temp file, then replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        exporter.export(tmp)
        if not Path(tmp).stat().st_size:
            raise OSError(f"the exporter wrote nothing to {path.name}")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _export_png(item, path: Path) -> None:
    import pyqtgraph.exporters as exporters
    exporter = exporters.ImageExporter(item)
    width = int(exporter.parameters()["width"])
    if width < 1200:   # a crisper image than the on-screen size
        exporter.parameters()["width"] = 1200
    _atomic_export(exporter, path)


def _write_curves_csv(data: dict[str, Any], path: Path) -> None:
    import io
    buf = io.StringIO()
    writer = csv.writer(buf)
    cols = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc")
    writer.writerow(cols)
    for i in range(len(data["epoch"])):
        row = []
        for c in cols:
            v = float(data[c][i])
            row.append(int(v) if c == "epoch" else ("" if math.isnan(v) else repr(v)))
        writer.writerow(row)
    _atomic_write(path, buf.getvalue().encode("utf-8"))


def _warm_torch() -> None:
    """Import what the first training needs: torch, the loop, and what the first optimizer imports.

    Creating an optimizer imports torch._dynamo (sympy and ~900 modules, seconds). Paid here, on the
    warm-up thread, it is neither in the first Train nor left outside gc.freeze() in torch_loaded(),
    where its ~150,000 objects would make every later full collection a 50 ms stall.
    """
    from trainer.worker import warm_up   # what the training process does first, too
    warm_up()


__all__ = ["MainWindow"]
