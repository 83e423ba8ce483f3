"""The time travel's views (issue 16 items 4 and 5), as tabs beside the decision boundary:

- "Weights over time": the branch on show's layers, their weight and gradient histograms over the recorded
  epochs and their gradient norms (trainer.timeline.stats), with a cursor at the timeline's epoch;
- "Loss landscape": Compute draws the training loss over a plane through the trained weights in a training
  process (desktop/training/landscape_job.py), with the branch's path on it, the other branches' paths
  projected on the same plane in their colours, and the timeline's epoch ringed.

Both follow window.time_travel (the desktop/timetravel controller: `tree`, `treeChanged`, `epochShown`,
`shown()`) and, while a run trains, its keyframes at the pacing's `timeline_views_every_s`. The histograms
are computed only while their tab is on screen. `install(window)` hooks them in and returns them.
"""
from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from trainer.pacing import WINDOW
from trainer.timeline.runs import MAIN, RunTree

from .throttle import Throttle
from .training import process, warmup
from .training.client import _THREADS   # the threads the tests wait for, and the window's shutdown
from .training.landscape_job import LandscapeJob
from .views.colors import BRANCH_COLORS, INK
from .views.landscape import NOTHING, READY, LandscapeView, PlanePath, path_notes
from .views.weights_over_time import NOTHING as NO_WEIGHTS
from .views.weights_over_time import WeightsOverTimeView
from .window_api import TimelineViewsHost

log = logging.getLogger(__name__)

RUN_COLOR = INK     # the run's own path (its validation curve's colour); branches take the curves' colours


def branch_color(host: TimelineViewsHost, tree: RunTree, key: str) -> tuple[int, int, int]:
    """The colour branch `key` has on the curves (the run: ink), so a path and its curves match."""
    if key == MAIN:
        return RUN_COLOR
    if key in host.curves.branch_keys():
        return host.curves.branch_color(key)
    keys = [k for k in tree.branches if k != MAIN]   # not on the curves: in the order they were made
    return BRANCH_COLORS[keys.index(key) % len(BRANCH_COLORS)] if key in keys else RUN_COLOR


def shown_branch(tree: RunTree | None, shown: tuple[str, int]) -> str | None:
    """The branch on show, or None when there is no run (or it was deleted meanwhile)."""
    if tree is None:
        return None
    key = shown[0]
    return key if key in tree.branches else tree.current


class _Watcher(QObject):
    """Calls `fn` when `widget` gets an event of `kind` (Show: its tab picked, work skipped while hidden is
    done then; Close: the window closing)."""

    def __init__(self, widget: QObject, kind: QEvent.Type, fn):
        super().__init__(widget)
        self._kind, self._fn = kind, fn
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == self._kind:
            self._fn()
        return False


class WeightsPane(QObject):
    """Keeps the Weights over time view on the branch on show: its statistics, the cursor.

    The statistics are computed on a helper thread (numpy, mostly without the interpreter lock): an MNIST
    MLP's 235,000 parameters over 20 epochs took 0.3-0.9 s here, too long for the GUI thread while it
    trains; one computation at a time, the newest asked for follows when it ends."""

    statsReady = Signal(object, object)   # (what they were computed from, WeightStats or a message)

    def __init__(self, host: TimelineViewsHost, view: WeightsOverTimeView):
        super().__init__(view)
        self.host, self.view = host, view
        self._key: Any = None                   # what the statistics on show were computed from
        self._worker: threading.Thread | None = None
        self._again = False                     # asked again while computing
        self.computed = 0                       # how many times (tests: a hidden tab computes nothing)
        self.statsReady.connect(self._on_stats)
        self._throttle = Throttle(WINDOW.timeline_views_every_s, self.refresh, self)
        travel = host.time_travel
        travel.treeChanged.connect(self.refresh)
        travel.epochShown.connect(self._on_epoch)
        # After the controller's own slots have put the frames into its tree: a zero timer.
        host.session.keyframes.connect(lambda _frames: QTimer.singleShot(0, self, lambda: self._throttle()))
        host.session.ended.connect(lambda: QTimer.singleShot(0, self, self.refresh))
        _Watcher(view, QEvent.Type.Show, self.refresh)
        self.refresh()

    def busy(self) -> bool:
        """True while statistics are being computed."""
        return self._worker is not None

    def refresh(self) -> None:
        """Recompute the statistics if the branch on show recorded something new (only while on screen)."""
        travel = self.host.time_travel
        tree = travel.tree
        key = shown_branch(tree, travel.shown())
        if tree is None or key is None or not tree.epochs(key):
            self._key = None
            self.view.show_message(NO_WEIGHTS)
            return
        if not self.view.isVisible():
            return
        epochs = tree.epochs(key)
        # A weak reference: the signature must not keep a forgotten run's frames alive.
        signature = (weakref.ref(tree), key, len(epochs), epochs[0], epochs[-1])
        if signature == self._key:
            return
        if self._worker is not None:
            self._again = True
            return
        frames = [tree.frame(key, e) for e in epochs]
        self._worker = threading.Thread(target=self._compute, args=(signature, tree[key].experiment, frames),
                                        name="np-weight-stats", daemon=True)
        _THREADS.add(self._worker)
        self._worker.start()

    def _compute(self, signature: tuple, experiment: Any, frames: list) -> None:
        """On the helper thread."""
        from trainer.timeline.stats import weight_stats
        try:
            result: Any = weight_stats(experiment, [f.state for f in frames], [f.grads for f in frames],
                                       [f.epoch for f in frames])
        except ValueError as exc:   # nothing a user did: say it, keep the window going
            log.warning("weights over time: %s", exc)
            result = f"Weights over time cannot be drawn for this run: {exc}"
        try:
            self.statsReady.emit(signature, result)
        except RuntimeError:        # the window has gone meanwhile
            pass

    def _on_stats(self, signature: tuple, result: Any) -> None:
        self._worker.join()
        self._worker = None
        tree = self.host.time_travel.tree
        if signature[0]() is tree and tree is not None and signature[1] == shown_branch(tree, self.host.time_travel.shown()):
            if isinstance(result, str):
                self.view.show_message(result)
            else:
                self._key = signature
                self.computed += 1
                self.view.show_stats(result)
                self.view.set_epoch(self.host.time_travel.shown()[1])
        else:
            self._again = True                  # another run or branch meanwhile
        if self._again:
            self._again = False
            self.refresh()

    def _on_epoch(self, key: str, epoch: int) -> None:
        if self._key is not None and key != self._key[1]:
            self.refresh()                      # another branch: its own epochs
        self.view.set_epoch(epoch)


class LandscapePane(QObject):
    """Computes the landscape on Compute (in a training process) and keeps its paths and ring in step."""

    def __init__(self, host: TimelineViewsHost, view: LandscapeView):
        super().__init__(view)
        self.host, self.view = host, view
        self.job = LandscapeJob(self)
        self._tree: RunTree | None = None       # the run the landscape on show belongs to
        self._for: tuple[str, list[int]] | None = None   # the branch and epochs it was computed from
        self._asked: tuple[Any, str, list[int], int] | None = None   # the job running: tree, key, epochs, centre
        self._landscape = None
        self._said = ""                         # what was computed, with the notes on reading it
        self._throttle = Throttle(WINDOW.timeline_views_every_s, self._on_tree, self)   # Compute, branch paths
        travel = host.time_travel
        travel.treeChanged.connect(self._on_tree)
        travel.epochShown.connect(self._on_epoch)
        host.session.keyframes.connect(lambda _frames: QTimer.singleShot(0, self, lambda: self._throttle()))
        view.computeRequested.connect(self.compute)
        view.cancelRequested.connect(self.cancel)
        self.job.progress.connect(lambda done, total: view.set_computing((done, total)))
        self.job.result.connect(self._on_result)
        self.job.failed.connect(lambda message: view.show_status(f"Could not compute the landscape: {message}",
                                                                 error=True))
        self.job.ended.connect(self._on_ended)
        _Watcher(host.plane_tabs.window(), QEvent.Type.Close, self.job.shutdown)   # its process, its threads
        _Watcher(view, QEvent.Type.Show, self._warm_a_process)
        self._on_tree()

    # -- Compute / Cancel ----------------------------------------------------------------------------
    def _warm_a_process(self) -> None:
        """The tab is shown while no training process waits warm in the pool (a run holds the only one):
        start one now, on a helper thread, so that Compute, a few seconds later, does not wait for its
        imports (a fresh process took 4-9 s to be ready here, the landscape itself under 1 s)."""
        nothing_soon = self.host.time_travel.tree is None and not self.host.session.is_running()
        if nothing_soon or process.POOL.idle_pids():
            return
        warmup.prestart_soon()

    def compute(self, kind: str, steps: int) -> bool:
        """Start computing the landscape of the branch on show; False (and why, shown) when there is none."""
        travel = self.host.time_travel
        tree = travel.tree
        key = shown_branch(tree, travel.shown())
        if tree is None or key is None or not tree.epochs(key) or self.job.is_running():
            return False
        epochs = tree.epochs(key)
        centre = centre_epoch(tree, key)
        self._asked = (tree, key, epochs, centre)
        self.view.set_computing((0, steps * steps))
        self.view.show_status(f"Computing the loss at {steps} × {steps} points around the weights of epoch "
                              f"{centre} ({tree[key].label})…")
        self.job.start(tree[key].experiment, tree.states(key), steps=steps, kind=kind,
                       centre=epochs.index(centre))
        return True

    def cancel(self) -> None:
        if self.job.is_running():
            self.view.cancelling()
            self.job.cancel()

    def _on_result(self, landscape) -> None:
        asked, self._asked = self._asked, None
        tree = self.host.time_travel.tree
        if asked is None or asked[0] is not tree:
            return                               # a new run started meanwhile: this one's plane is gone
        _, key, epochs, centre = asked
        self._tree, self._for, self._landscape = tree, (key, epochs), landscape
        path = PlanePath(key, tree[key].label, branch_color(self.host, tree, key), landscape.path,
                         _array(epochs))
        self.view.show_landscape(landscape, path, centre)
        rows = f"{landscape.rows:,}" + (f" of {landscape.rows_total:,}" if landscape.rows < landscape.rows_total else "")
        recorded = {int(r["epoch"]): float(r["train_loss"]) for r in tree[key].history
                    if isinstance(r.get("train_loss"), (int, float))}
        notes = "".join(f"; {n}" for n in filter(None, [landscape.note, *path_notes(landscape, epochs, recorded)]))
        self._said = (f"Training loss on {rows} rows around the weights of {tree[key].label}'s epoch {centre} "
                      f"(loss {landscape.centre_loss:.3g}); its path: {len(epochs)} recorded epochs{notes}.")
        self._update_paths()
        self._say(computed=True)
        self.view.set_epoch(*self._ring_at(*self.host.time_travel.shown()))

    def _on_ended(self, cancelled: bool) -> None:
        self.view.set_computing(None)
        if cancelled:
            self._asked = None
            self.view.show_status("Cancelled: nothing was computed." if self._landscape is None else
                                  "Cancelled: the picture below is still the one computed before.")

    # -- following the timeline ----------------------------------------------------------------------
    def _on_tree(self) -> None:
        """A new run (or its branch deleted) drops the picture; a branch added redraws the paths; Compute
        is enabled while the branch on show has recorded epochs."""
        tree = self.host.time_travel.tree
        key = shown_branch(tree, self.host.time_travel.shown())
        recorded = tree is not None and key is not None and bool(tree.epochs(key))
        self.view.set_can_compute(recorded, "Nothing recorded yet: train first")
        if self._landscape is not None and tree is self._tree and self._for is not None \
                and self._for[0] in tree.branches:
            self._update_paths()
            return
        if self._landscape is not None:
            self._tree = self._for = self._landscape = None
            self._said = ""
            self.view.show_status(" ")
        self.view.show_message(READY if recorded else NOTHING)

    def _on_epoch(self, key: str, epoch: int) -> None:
        if self._landscape is not None:
            self.view.set_epoch(*self._ring_at(key, epoch))
            self._say()                         # another branch on show: the header says whose plane this is
        else:
            self._on_tree()                     # Compute follows the branch on show

    def _update_paths(self) -> None:
        """Project every other branch's path onto the plane (each from where it leaves its parent)."""
        tree, landscape = self._tree, self._landscape
        if tree is None or landscape is None or self._for is None:
            return
        from trainer.timeline.landscape import project
        paths = []
        for key, branch in tree.branches.items():
            if key == self._for[0]:
                continue
            epochs = [e for e in tree.epochs(key) if branch.from_epoch is None or e >= branch.from_epoch]
            if not epochs:
                continue
            points = project(landscape, [tree.frame(key, e).state for e in epochs])
            paths.append(PlanePath(key, branch.label, branch_color(self.host, tree, key), points, _array(epochs)))
        self.view.set_branch_paths(paths)
        self._say()

    def _say(self, computed: bool = False) -> None:
        """The status line: what was computed, for which branch, and whether that is the one on show now
        (not while computing, the line says what is being computed then, unless it has just been)."""
        tree = self._tree
        busy = self.job.is_running() and not computed
        if tree is None or self._for is None or self._for[0] not in tree.branches or busy:
            return
        key = self._for[0]
        newest = tree.epochs(key)
        text = self._said
        if newest and newest[-1] > self._for[1][-1]:
            text = (f"{tree[key].label} has trained on to epoch {newest[-1]} since this was computed: press "
                    f"Compute to include it. {text}")
        shown = shown_branch(tree, self.host.time_travel.shown())
        if shown is not None and shown != key:
            text = (f"On show: {tree[shown].label}, drawn on the plane computed for {tree[key].label} (press "
                    f"Compute for one around its own weights). {text}")
        if text != self.view.status_text():
            self.view.show_status(text)

    def _ring_at(self, key: str, epoch: int) -> tuple[str, int]:
        """The drawn path that holds branch `key`'s `epoch`: its own, or (before it branched) its parent's."""
        tree = self._tree
        if tree is None or key not in tree.branches:
            return key, epoch
        drawn = self.view.paths()
        if epoch < 0:
            epochs = tree.epochs(key)
            epoch = epochs[-1] if epochs else epoch
        while key in tree.branches:
            branch = tree[key]
            path = drawn.get(key)
            if path is not None and len(path.epochs) and epoch >= path.epochs[0]:
                return key, epoch
            if branch.parent is None:
                break
            key = branch.parent
        return key, epoch


def centre_epoch(tree: RunTree, key: str) -> int:
    """The epoch whose weights are the branch's trained model: its best when a finished run restored it
    (train.restore_best), else its newest."""
    epochs = tree.epochs(key)
    branch = tree[key]
    if branch.reason and branch.reason != "diverged" and branch.experiment.train.restore_best:
        best = tree.frame(key, epochs[-1]).best_epoch
        if best in epochs:
            return best
    return epochs[-1]


def _array(epochs: list[int]):
    import numpy as np
    return np.asarray(epochs, dtype=np.int64)


class TimelineViews:
    """What install() built: the two views and what keeps them in step."""

    def __init__(self, host: TimelineViewsHost):
        self.weights_view = WeightsOverTimeView()
        self.landscape_view = LandscapeView()
        host.plane_tabs.addTab(self.weights_view, "Weights over time")
        host.plane_tabs.addTab(self.landscape_view, "Loss landscape")
        self.weights = WeightsPane(host, self.weights_view)
        self.landscape = LandscapePane(host, self.landscape_view)


def install(host: TimelineViewsHost) -> TimelineViews:
    """Add the Weights over time and Loss landscape tabs to the window's plane tabs."""
    return TimelineViews(host)


__all__ = ["LandscapePane", "TimelineViews", "WeightsPane", "branch_color", "centre_epoch", "install"]
