"""The MNIST tab: the data, what the trained model got right and wrong, the drawing pad, and a comparison.

Results: the seed's 2x10 sample strip, the confusion matrix (click a cell), the
per-digit accuracy, the most-confused pairs and the gallery of test digits.
Draw: the pad, using the model now trained or loaded in the window.
Compare: several architectures trained one after another in their own session.

The images come from the MNIST files, read once, lazily (when the tab is first
shown or an MNIST run ends), on a helper thread; only the 20 sample images and
the 10,000 test images are kept. Predictions come from Finished.metrics; a loaded
checkpoint has none per image, so they are recomputed from its model on that
helper thread.
"""
from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QProgressBar,
                               QPushButton, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from trainer.config import ConfigError, Experiment
from trainer.events import BatchProgress, DataProgress, EpochEnd, Finished, Started

from ..views.comparison import ComparisonView
from ..views.confusion import ConfusionMatrixView
from ..views.gallery import GalleryView
from ..views.pad import DrawingPad
from ..views.samples import SampleStrip
from ..window_api import WorkspaceHost
from .comparison import ArchitectureComparison
from .mnist_cnn import CnnInside
from .mnist_live import LiveCurves

log = logging.getLogger(__name__)

LESSON = "mnist-mlp"
N_SAMPLES = 20
POLL_MS = 40
NO_MODEL = ("No MNIST model yet. Press \"Train mnist-mlp\" (or choose Lessons > mnist-mlp and press Train), "
            "or open a saved model with File > Load trained model.")


@dataclass(frozen=True)
class MnistImages:
    """What the workspace keeps of the files: the seed's 20 samples and the test set."""
    root: Path
    sample_images: np.ndarray     # uint8 (20, 28, 28)
    sample_labels: np.ndarray     # (20,)
    test_images: np.ndarray       # uint8 (10000, 28, 28)
    test_labels: np.ndarray       # (10000,)


def read_images(root: Path) -> MnistImages:
    """Read the files (never downloading: looking at a tab must not start a download). DataError if missing."""
    from trainer.mnist import load_arrays
    train_x, train_y, test_x, test_y = load_arrays(root, allow_download=False)
    return MnistImages(root, train_x[:N_SAMPLES].copy(), train_y[:N_SAMPLES].copy(), test_x, test_y)


def predict_test_set(model: Any, norm: tuple[float, float], images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, confidence) of a model over the test images (a loaded checkpoint stores no per-image ones)."""
    import torch
    from trainer.mnist import features
    mean, std = norm
    x = features(images, "none")
    if (mean, std) != (0.0, 1.0):
        x = (x - mean) / std
    model.eval()
    with torch.inference_mode():
        probs = torch.softmax(model(torch.from_numpy(x)).float(), dim=1).numpy()
    return probs.argmax(axis=1), probs.max(axis=1)


class _Background(QObject):
    """One helper thread for file reading and inference; results come back through a GUI-thread timer.

    Polling a Future from a timer owned by this QObject (instead of emitting from the helper thread)
    means a result can never reach a widget that was deleted meanwhile.
    """

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="np-mnist-images")
        self._jobs: list[tuple[concurrent.futures.Future, Callable[[Any], None], Callable[[BaseException], None]]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._closed = False

    def submit(self, work: Callable[[], Any], done: Callable[[Any], None],
               failed: Callable[[BaseException], None]) -> None:
        if self._closed:
            return   # the window is closing: nothing is shown any more
        self._jobs.append((self._pool.submit(work), done, failed))
        self._timer.start()

    def busy(self) -> bool:
        return bool(self._jobs)

    def _poll(self) -> None:
        still = []
        finished = []
        for job in self._jobs:
            (finished if job[0].done() else still).append(job)
        self._jobs = still
        if not still:
            self._timer.stop()
        for future, done, failed in finished:
            exc = future.exception()
            if exc is None:
                done(future.result())
            else:
                failed(exc)

    def shutdown(self) -> None:
        self._closed = True
        self._timer.stop()
        self._jobs.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)


class MnistWorkspace(QWidget):
    """The MNIST tab; give it the MainWindow and it connects itself."""

    def __init__(self, window: WorkspaceHost, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mnistWorkspace")
        self.window_ = window
        self._images: MnistImages | None = None
        self._loading_root: Path | None = None
        self._load_error = ""
        self._failed_root: Path | None = None
        self._deferred: tuple[str | None, bool] | None = None
        self._run_finished = True
        self._result: tuple[Experiment, Finished] | None = None
        self._needs_predictions = False
        self._epochs_total = 1
        self._batches = 0
        self._background = _Background(self)
        self._epoch_token = 0               # the newest results asked for (the run's, or a timeline epoch's)
        self.epoch_shown: int | None = None  # the timeline's epoch the results show (None: the run's own)

        # -- header: what is shown, and loading progress -----------------------------------
        self.summary = QLabel(NO_MODEL)
        self.summary.setObjectName("mnistSummary")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("QLabel#mnistSummary { font-size: 11pt; padding: 2px 0; }")
        self.train_button = QPushButton("Train mnist-mlp")
        self.train_button.setToolTip("Load the mnist-mlp lesson (the seed's 784-256-128-10 MLP) and train it")
        self.train_button.clicked.connect(self.train_lesson)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(200)
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.progress)
        header.addWidget(self.train_button)

        # -- results page ----------------------------------------------------------------
        self.samples = SampleStrip()
        self.confusion = ConfusionMatrixView()
        self.pairs = QListWidget()
        self.pairs.setObjectName("confusedPairs")
        self.pairs.setToolTip("The mistakes the model makes most often; click one to see those digits")
        self.pairs.setFlow(QListView.Flow.LeftToRight)
        self.pairs.setWrapping(True)
        self.pairs.setResizeMode(QListView.ResizeMode.Adjust)
        self.pairs.setSpacing(2)
        self.pairs.setFixedHeight(2 * (self.pairs.fontMetrics().height() + 10) + 8)
        self.pairs.itemClicked.connect(self._on_pair_clicked)
        self.gallery = GalleryView()
        self.confusion.cellClicked.connect(self.show_cell)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(_titled("Confusion matrix · accuracy per digit", self.confusion), 1)
        left_layout.addWidget(_titled("Most confused (click one)", self.pairs))
        right = _titled("Test digits: prediction, confidence, truth", self.gallery)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setChildrenCollapsible(False)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(4, 4, 4, 4)
        results_layout.addWidget(_titled("Training samples: the first 20 of 60,000 with their labels", self.samples))
        results_layout.addWidget(split, 1)
        results_scroll = QScrollArea()
        results_scroll.setWidget(results)
        results_scroll.setWidgetResizable(True)
        results_scroll.setFrameShape(QFrame.Shape.NoFrame)
        results.setMinimumSize(560, 470)

        # -- draw and compare ------------------------------------------------------------
        self.pad = DrawingPad()
        self.pad.trainRequested.connect(self.train_lesson)
        self.comparison_view = ComparisonView()
        self.comparison = ArchitectureComparison(self.comparison_view, root=self._data_root, parent=self)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mnistTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(results_scroll, "Results")
        # the CNN's feature maps: beside the pad as it draws, and large on their own page
        self.cnn = CnnInside(window.session, self.pad, self._test_digits)
        self.draw_page = QSplitter(Qt.Orientation.Horizontal)
        self.draw_page.addWidget(self.pad)
        self.draw_page.addWidget(self.cnn.pad_maps_box)
        self.draw_page.setChildrenCollapsible(False)
        self.draw_page.setStretchFactor(0, 3)
        self.draw_page.setStretchFactor(1, 2)
        self.tabs.addTab(self.draw_page, "Draw")
        self.tabs.addTab(self.cnn, "Inside the CNN")
        self.tabs.addTab(self.comparison_view, "Compare")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        self.live = LiveCurves(window.session, self._is_mnist_run)   # loss and accuracy as the run goes
        layout.addWidget(self.live)
        layout.addWidget(self.tabs, 1)

        # -- wiring ----------------------------------------------------------------------
        s = window.session
        s.started.connect(self._on_started)
        s.stateChanged.connect(self._on_state)
        s.progress.connect(self._on_progress)
        s.epochs.connect(self._on_epochs)
        s.finished.connect(self._on_run_finished)
        s.ended.connect(self._on_run_ended)
        window.trainedModelChanged.connect(self.refresh_model)
        window.dataset_panel.rootChosen.connect(self._on_root_chosen)   # the user chose another MNIST folder
        window.installEventFilter(self)     # stop the comparison's thread when the window closes
        self.refresh_model()

    # -- the window ----------------------------------------------------------------------
    def _data_root(self) -> str | None:
        """The Dataset dock's MNIST folder (None: the default one), also while another dataset is chosen."""
        try:
            return self.window_.dataset_panel.mnist_root()
        except AttributeError:
            return None

    def _on_root_chosen(self, _folder: str) -> None:
        """Another folder chosen in the Dataset dock: the strip reads it at once when the tab is in sight.
        (Not on every change of the docks: a run about to start may be extracting those very files.)"""
        if self.isVisible() and not self.window_.session.is_running():
            self.ensure_images()

    def train_lesson(self) -> None:
        """Load the mnist-mlp lesson into the docks (keeping the chosen folder) and train it."""
        w = self.window_
        if w.session.is_running():
            return
        root = self._data_root()
        w.load_lesson(LESSON)
        if root:
            try:
                w.apply_experiment(w.current_experiment().with_overrides({"data.root": root}))
            except ConfigError:
                pass
        w.train()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.window_ and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the comparison and the helper thread (the window is closing)."""
        self._background.shutdown()
        return self.comparison.shutdown(timeout_ms)

    # -- the images ----------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.ensure_images()

    def ensure_images(self, root: str | None = None, retry: bool = False) -> None:
        """Read the MNIST files for the strip and the gallery unless they are read (or being read) already.

        root: the folder (None: the Dataset dock's); retry: try again a folder that failed before
        (a run has just read it), where merely showing the tab again does not.
        """
        from trainer.mnist import resolve_root
        folder = resolve_root(root if root is not None else self._data_root())
        if (self._images is not None and self._images.root == folder) or self._loading_root == folder:
            return
        if folder == self._failed_root and not retry:
            return
        if self._is_mnist_run() and self.window_.session.is_running():
            # the run is reading (maybe extracting) these very files; read them once it has
            self._deferred = (root, retry)
            if self._images is None:
                self.samples.set_message("MNIST is being read for the training run…")
            return
        self._deferred = None
        self._loading_root = folder
        self.samples.set_message(f"Reading MNIST from {folder}…")
        self._background.submit(lambda: read_images(folder), self._images_read,
                                lambda exc: self._images_failed(folder, exc))

    def _test_digits(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The test images and labels, once read (for Inside the CNN)."""
        return None if self._images is None else (self._images.test_images, self._images.test_labels)

    def images_ready(self) -> bool:
        return self._images is not None and not self._background.busy()

    def _images_read(self, images: MnistImages) -> None:
        if images.root != self._loading_root:
            return   # a newer request is on its way
        self._loading_root = None
        self._load_error = ""
        self._failed_root = None
        self._images = images
        self.samples.set_samples(images.sample_images, images.sample_labels)
        self.gallery.set_images(images.test_images, images.test_labels)
        self.cnn.refresh()
        self._predict_if_needed()

    def _images_failed(self, folder: Path, exc: BaseException) -> None:
        from trainer.mnist import DataError, raw_folder
        if folder != self._loading_root:
            return
        self._loading_root = None
        self._failed_root = folder
        if isinstance(exc, DataError) and "downloading is off" in str(exc):
            text = (f"MNIST is not on this computer yet (looked in {raw_folder(folder)}). Train an MNIST lesson "
                    "to download it, or choose the folder holding the four files in the Dataset dock.")
        elif isinstance(exc, DataError):
            text = str(exc)
        else:
            log.warning("reading MNIST for the MNIST tab failed", exc_info=exc)
            text = f"Could not read MNIST: {type(exc).__name__}: {exc}"
        self._load_error = text
        self.samples.set_message(text)
        if self._result is not None:
            self.gallery.set_images(None, None)

    # -- the model and its results -------------------------------------------------------
    def refresh_model(self) -> None:
        """Show the window's trained model: results when it is an MNIST model, and give it to the pad."""
        trained = self.window_.trained()
        if trained is None:
            self._result = None
            self._show_results(None)
            self.pad.set_model(None)
            self.cnn.set_trained(None, (0.0, 1.0))
            self.summary.setText(NO_MODEL)
            self.train_button.show()
            return
        exp, fin = trained
        model = self.window_.trained_model()
        norm = tuple(fin.extra.get("norm", (0.0, 1.0)))
        self.pad.set_model((model, norm) if model is not None else None)
        self.cnn.set_trained(model, norm)
        if exp.data.name != "mnist":
            self._result = None
            self._show_results(None)
            self.summary.setText(f"The model now trained is for the {exp.data.name} data, not for digits. "
                                 + NO_MODEL.removeprefix("No MNIST model yet. "))
            self.train_button.show()
            return
        self._result = (exp, fin)
        self.train_button.hide()
        self._show_results(fin)
        self.ensure_images(exp.data.root, retry=True)

    def _show_results(self, fin: Finished | None) -> None:
        self._epoch_token += 1   # an epoch the timeline asked for before this must not replace it
        self.epoch_shown = None
        m = fin.metrics if fin is not None else {}
        cm = self._show_metrics(m)
        self._needs_predictions = fin is not None and m.get("predictions") is None
        if fin is not None:
            exp = self._result[0] if self._result else None
            acc = m.get("test_accuracy")
            n_test = int(cm.sum()) if cm is not None else 0
            how = "loaded" if fin.reason == "loaded" else f"{fin.epochs_run:,} epochs"
            acc_text = f"Test accuracy {acc:.2f}% on {n_test:,} test digits" if acc is not None else "No test accuracy"
            self.summary.setText(f"<b>{acc_text}</b> — {exp.name if exp and exp.name else 'MNIST model'}, "
                                 f"{fin.params:,} parameters, {how}.")
        self._predict_if_needed()

    def _show_metrics(self, m: dict[str, Any]) -> np.ndarray | None:
        """The confusion matrix, the most-confused pairs and the gallery's answers of `m` (test metrics)."""
        from trainer.metrics import most_confused
        cm = m.get("confusion")
        cm = None if cm is None else np.asarray(cm, dtype=np.int64)
        self.confusion.set_matrix(cm)
        self.pairs.clear()
        if cm is not None:
            for true, pred, count in most_confused(cm, k=8):
                item = QListWidgetItem(f"{true} → {pred}: {count:,}")
                item.setToolTip(f"{count:,} test images of a {true} were taken for a {pred}")
                item.setData(Qt.ItemDataRole.UserRole, (true, pred))
                self.pairs.addItem(item)
        pred, conf = m.get("predictions"), m.get("confidence")
        self.gallery.set_predictions(None if pred is None else np.asarray(pred),
                                     None if conf is None else np.asarray(conf))
        return cm

    # -- the timeline (issue 16): the results with a recorded epoch's weights -----------------
    def show_epoch(self, model: Any, norm: tuple[float, float], epoch: int) -> bool:
        """Classify the test digits again with `model` (a recorded epoch's weights, its own copy) on the
        helper thread; the confusion matrix, the pairs, the gallery and the summary follow, and the pad
        and Inside the CNN use the model at once. False when there is no MNIST result or images to redo."""
        if self._result is None or self._images is None:
            return False
        self._epoch_token += 1
        token, images = self._epoch_token, self._images
        self.pad.set_model((model, norm))
        self.cnn.set_trained(model, norm)
        self._background.submit(lambda: None if token != self._epoch_token else
                                predict_test_set(model, norm, images.test_images),
                                lambda out: self._epoch_ready(token, epoch, images.test_labels, out),
                                lambda exc: log.warning("classifying the test digits at epoch %d failed", epoch,
                                                        exc_info=exc))
        return True

    def _epoch_ready(self, token: int, epoch: int, labels: np.ndarray, out: tuple | None) -> None:
        if out is None or token != self._epoch_token:
            return   # a newer epoch (or the run's own result) was asked for meanwhile
        from trainer.metrics import accuracy, confusion_matrix
        pred, conf = out
        cm = confusion_matrix(labels, pred, 10)
        self._show_metrics({"confusion": cm, "predictions": pred, "confidence": conf})
        self.epoch_shown = epoch
        exp = self._result[0] if self._result else None
        self.summary.setText(f"<b>Test accuracy {accuracy(pred, labels):.2f}% at epoch {epoch:,}</b> of the "
                             f"timeline — {exp.name if exp and exp.name else 'MNIST model'} with that epoch's "
                             "weights.")

    def _predict_if_needed(self) -> None:
        """A loaded checkpoint carries the confusion matrix but no per-image answers: recompute them."""
        if not self._needs_predictions or self._images is None or self._result is None:
            return
        model = self.window_.trained_model()   # a fresh copy: the pad uses its own on the GUI thread
        if model is None:
            return
        self._needs_predictions = False
        fin = self._result[1]
        norm = tuple(fin.extra.get("norm", (0.0, 1.0)))
        images = self._images.test_images
        self.gallery.caption.setText("Asking the model about the 10,000 test digits…")
        self._background.submit(lambda: predict_test_set(model, norm, images),
                                lambda out: self._predictions_ready(fin, out),
                                lambda exc: self.gallery.caption.setText(f"Could not classify the test digits: {exc}"))

    def _predictions_ready(self, fin: Finished, out: tuple[np.ndarray, np.ndarray]) -> None:
        if self._result is None or self._result[1] is not fin:
            return
        self.gallery.set_predictions(*out)

    # -- clicks ----------------------------------------------------------------------------
    def show_cell(self, true: int, pred: int) -> None:
        """Show the digits of one confusion-matrix cell in the gallery."""
        self.confusion.select(true, pred)
        self.gallery.set_cell(true, pred)

    def _on_pair_clicked(self, item: QListWidgetItem) -> None:
        true, pred = item.data(Qt.ItemDataRole.UserRole)
        self.show_cell(int(true), int(pred))

    # -- the window's training run ----------------------------------------------------------
    def _is_mnist_run(self) -> bool:
        exp = self.window_.session.experiment
        return exp is not None and exp.data.name == "mnist"

    def _on_state(self, state: str) -> None:
        idle = state == "idle"
        self.train_button.setEnabled(idle)
        self.pad.train_button.setEnabled(idle)
        if not idle and self._run_finished and self._is_mnist_run():   # a new MNIST run, still loading
            self._run_finished = False
            exp = self.window_.session.experiment
            self.summary.setText(f"Training {exp.name or 'an MNIST model'}: reading MNIST…")
            self.train_button.hide()

    def _on_started(self, ev: Started) -> None:
        if not self._is_mnist_run():
            return
        exp = self.window_.session.experiment
        self._run_finished = False
        self._deferred = (exp.data.root, True)   # the run has read the files: the strip reads them when it ends
        self.summary.setText(f"Training {exp.name or 'an MNIST model'} on {ev.n_train:,} images "
                             f"({ev.params:,} parameters); the results appear here when it is done.")
        self.train_button.hide()
        self._epochs_total = max(ev.epochs, 1)
        self._batches = 0
        self.progress.show()
        self.progress.setRange(0, self._epochs_total)
        self.progress.setValue(0)
        self.progress.setFormat(f"epoch 0 / {ev.epochs:,}")

    def _on_progress(self, ev: DataProgress | BatchProgress) -> None:
        if not self._is_mnist_run():
            return
        self.progress.show()
        if isinstance(ev, DataProgress):
            names = {"download": "downloading MNIST", "extract": "extracting MNIST", "read": "reading MNIST"}
            self.progress.setRange(0, max(ev.total, 0))
            self.progress.setValue(ev.done if ev.total else 0)
            self.progress.setFormat(f"{names.get(ev.stage, ev.stage)} %p%")
        else:
            # one bar over the whole run: epochs, and the batches of the current one (full set)
            self._batches = ev.n_batches
            self.progress.setRange(0, self._epochs_total * ev.n_batches)
            self.progress.setValue(ev.epoch * ev.n_batches + ev.batch)
            self.progress.setFormat(f"epoch {ev.epoch + 1:,} / {self._epochs_total:,} · batch {ev.batch} / "
                                    f"{ev.n_batches}")

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        if not self._is_mnist_run() or not evs:
            return
        done = evs[-1].epoch + 1
        per = max(self._batches, 1)
        self.progress.setRange(0, self._epochs_total * per)
        self.progress.setValue(done * per)
        self.progress.setFormat(f"epoch {done:,} / {self._epochs_total:,}")

    def _on_run_finished(self, ev: Finished) -> None:
        self._run_finished = True
        self.progress.hide()

    def _on_run_ended(self) -> None:
        self.progress.hide()
        if not self._run_finished:
            self._run_finished = True
            self.refresh_model()   # a failed run: back to what was shown before it
        if self._deferred is not None:
            root, retry = self._deferred
            self.ensure_images(root, retry)

    def progress_text(self) -> str:
        """The progress bar's text while visible ('' when hidden), for tests."""
        return self.progress.text() if not self.progress.isHidden() else ""


def _titled(title: str, widget: QWidget) -> QWidget:
    """A small bold caption above a widget."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


__all__ = ["MnistWorkspace", "MnistImages", "read_images", "predict_test_set"]
