"""TimeTravel: the run on screen, its recorded epochs and its branches, in the window (issue 16).

It keeps the run's RunTree (trainer/timeline/runs.py) from the training client's signals: a run's
Started makes a new tree (a branch's goes to the branch it started), its epochs grow the branch's
history, its keyframes the branch's timeline, Finished gives the metrics and how it ended. It tells the
timeline bar and the curves what there is, and when the bar moves (drag, keys, Play) shows that epoch
in every view: the frame's pictures drawn as the live run draws them (pictures.py) handed to the
window's snapshot slot, the curves' cursor, the status bar's figures of that epoch and, once the
slider rests, the MNIST tab's results with that epoch's weights. Live (or a new run) gives the views
back to the run. "Branch from here" trains the docks' settings on from the epoch shown.

The views engineer's views follow `epochShown` and `tree`; nothing else of this is theirs to call.
"""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from trainer.config import Experiment
from trainer.events import EpochEnd, Finished, Keyframe, Started
from trainer.timeline.frame import Frame
from trainer.timeline.runs import MAIN, Branch, RunTree

from .. import dialogs
from ..experiment_state import experiment_or_none, shapes_key
from ..status import STARTING, epoch_figures, final_accuracy
from .branching import STOP_FIRST, refusal
from .pictures import FramePictures

LIVE = -1            # the epoch of shown(): the run's own newest pictures, not a recorded epoch
REST_MS = 150        # the MNIST results are classified again once the slider rests this long
MESSAGE_MS = 8000


class TimeTravel(QObject):
    """The window's timeline: the RunTree, the bar, and every view at the epoch the bar shows."""

    treeChanged = Signal()               # a new run, a branch added / finished / deleted, current changed
    epochShown = Signal(str, int)        # (branch key, epoch) every view shows now; epoch -1 = live (newest)

    def __init__(self, window: Any, bar: Any, parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.bar = window, bar
        self.tree: RunTree | None = None     # None before the first run (and after Reset)
        self.pictures = FramePictures()
        self._shown: tuple[str, int] = (MAIN, LIVE)
        self._run: str | None = None         # the branch the session's run records into; None: no run going
        self._finished: dict[str, Finished] = {}
        self._quiet = False                  # the bar's own Live going off as a run ends is no scrub
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self._show_mnist_epoch)
        s = window.session   # connected after the window's own slots: those have run when these do
        s.started.connect(self._on_started)
        s.epochs.connect(self._on_epochs)
        s.keyframes.connect(self._on_keyframes)
        s.finished.connect(self._on_finished)
        s.ended.connect(self._on_ended)
        window.trainedModelChanged.connect(self._on_model_changed)
        bar.epochChanged.connect(self._on_bar_epoch)
        bar.liveChanged.connect(self._on_live_changed)
        bar.branchRequested.connect(self.branch)
        bar.branchSelected.connect(self.select)
        bar.branchDeleted.connect(self.ask_delete)

    # -- what others ask ----------------------------------------------------------------------
    def shown(self) -> tuple[str, int]:
        """The branch and epoch on screen now (epoch -1: live, the run's newest pictures)."""
        return self._shown

    def holds_views(self) -> bool:
        """True while the views show a recorded epoch: the run's live pictures must not replace it."""
        return self._shown[1] != LIVE

    def run_views(self, views: tuple) -> tuple:
        """The views a run's events reach: a branch's curves are drawn over its parent's, by the timeline."""
        if self._run in (None, MAIN):
            return views
        return tuple(v for v in views if v not in self._curves())

    # -- the run's events ---------------------------------------------------------------------
    def _on_started(self, ev: Started) -> None:
        if self._run is None:   # Train or Step: a run from scratch, a new tree
            self.clear(signal=False)
            self.tree = RunTree(self.window.session.experiment, self.window.session.record_bytes)
            self._run = MAIN
            self._show_branches()
        self._shown = (self._run, LIVE)
        self.bar.set_epochs(self.tree.epochs(self._run))
        self.bar.set_training(True)
        self.treeChanged.emit()
        self.epochShown.emit(*self._shown)

    def _on_epochs(self, evs: list[EpochEnd]) -> None:
        if self.tree is None or self._run is None:
            return
        branch = self.tree[self._run]
        branch.history.extend(ev.as_record() for ev in evs)
        if self._run != MAIN:
            for curves in self._curves():
                curves.update_branch(self._run, branch.history)

    def _on_keyframes(self, kfs: list[Keyframe]) -> None:
        if self.tree is None or self._run is None:
            return
        timeline = self.tree[self._run].timeline
        for kf in kfs:
            timeline.add(kf.frame)
        if self.tree.current == self._run:
            self.bar.set_epochs(self.tree.epochs(self._run))

    def _on_finished(self, fin: Finished) -> None:
        if self.tree is None or self._run is None:
            return
        branch = self.tree[self._run]
        branch.history = [dict(r) for r in fin.history]   # the record, also of epochs a frame may have missed
        branch.metrics, branch.reason = dict(fin.metrics), fin.reason
        self._finished[self._run] = fin
        if self._run != MAIN:
            for curves in self._curves():
                curves.update_branch(self._run, branch.history)
        if self.holds_views():   # the window just drew the run's end over the epoch shown: show it again
            self.show(*self._shown)
        self.treeChanged.emit()

    def _on_ended(self) -> None:
        run, self._run = self._run, None
        self._quiet = True
        self.bar.set_training(False)
        self._quiet = False
        self._show_restored(run)
        if self.tree is not None and run not in (None, MAIN) and run in self.tree.branches \
                and not self.tree[run].timeline.epochs:
            self.delete(run)   # it trained no epoch (it failed, or was stopped at once): nothing to keep
            self._say("The branch trained no epoch, so it was not kept.")
        self._update_action()

    def _show_restored(self, run: str | None) -> None:
        """A run that restored its best weights shows the best epoch on the bar: the pictures are of that
        model, so the bar must not say the last epoch (newcomer 16, finding 4)."""
        fin = self._finished.get(run) if run is not None else None
        if fin is None or self.tree is None or run not in self.tree.branches or self.tree.current != run:
            return
        epochs = self.tree.epochs(run)
        best = fin.best_epoch
        if not (self.tree[run].experiment.train.restore_best and fin.reason != "diverged"
                and epochs and 0 <= best < epochs[-1] and best in epochs):
            return
        ended = self.window.statusBar().currentMessage()   # how the run ended (status.finish_message)
        self.bar.set_epoch(best)
        self.show(run, best)
        m = fin.metrics
        # The test figure is the kept model's: it stays in view (accuracy, or a regression's test MSE).
        if m.get("n_test") and "test_accuracy" in m:
            acc = epoch_figures(self.tree[run].history[best], 0)["acc"]
            self.window.status.set(acc=" · ".join(filter(None, [acc, f"test {m['test_accuracy']:.1f}%"])))
        elif "test_mse" in m:
            self.window.status.set(acc=final_accuracy(fin, ""))
        # First, where the status bar cannot cut it off: how the run ended follows.
        self._say(f"Showing epoch {best}, whose weights were restored (the best). {ended}".strip())

    def _on_model_changed(self) -> None:
        """The window forgot its run (Reset, another experiment, other data or layers) or loaded a model
        that was not trained here: the timeline goes with it."""
        trained = self.window.trained()
        if self.window.session.is_running():
            return
        if trained is None or not any(trained[1] is fin for fin in self._finished.values()):
            if self.tree is not None:
                self.clear()

    # -- the bar --------------------------------------------------------------------------------
    def _on_bar_epoch(self, epoch: int) -> None:
        if self.tree is not None and not self.bar.is_live():   # live: the run's own pictures come
            self.show(self.tree.current, epoch)

    def _on_live_changed(self, live: bool) -> None:
        if live and not self._quiet and self.tree is not None:
            self.go_live()

    def go_live(self) -> None:
        """Back to the run's own pictures (they come with its next frame)."""
        self._rest.stop()
        key = self._run or (self.tree.current if self.tree else MAIN)
        self._shown = (key, LIVE)
        for curves in self._curves():
            curves.set_cursor(None)
        self.window.status.show_past(None, 0)
        self.window.boundary.set_model(None)   # a run's pictures are its snapshots, never a redraw here
        self.epochShown.emit(*self._shown)

    # -- showing an epoch ---------------------------------------------------------------------------
    def show(self, key: str, epoch: int) -> None:
        """Every view at branch `key`'s recorded `epoch` (the nearest recorded one, if not recorded)."""
        tree = self.tree
        try:
            frame = tree.frame(key, epoch)
        except KeyError:
            frame = tree.nearest(key, epoch)
        exp = self.owner(key, frame.epoch).experiment
        snap, model = self.pictures.snapshot(exp, frame)
        self._shown = (key, frame.epoch)
        w = self.window
        w.show_snapshot(snap)                  # the slot the run's live snapshots reach
        w.pictures.let_redraw(exp, model=model)   # zooming redraws this epoch (small 2-D models)
        for curves in self._curves():
            curves.set_cursor(frame.epoch)
        history = tree[key].history
        if frame.epoch < len(history):
            w.status.show_past(history[frame.epoch], tree[key].experiment.train.epochs)
        self._rest.start()
        self.epochShown.emit(*self._shown)

    def owner(self, key: str, epoch: int) -> Branch:
        """The branch that trained `epoch` as `key` sees it (a branch's first epochs are its parent's)."""
        branch = self.tree[key]
        while branch.parent is not None and epoch <= branch.from_epoch:
            branch = self.tree[branch.parent]
        return branch

    def frame_shown(self) -> Frame | None:
        """The recorded frame on screen, or None while live."""
        key, epoch = self._shown
        return None if self.tree is None or epoch == LIVE else self.tree.frame(key, epoch)

    def _show_mnist_epoch(self) -> None:
        """Once the slider rests: the MNIST tab's results with the shown epoch's weights (its own copy of
        the model: the tab classifies on a helper thread)."""
        frame = self.frame_shown()
        if frame is None or self.window.session.is_running():
            return
        exp = self.owner(self._shown[0], frame.epoch).experiment
        norm = next((tuple(f.extra["norm"]) for f in self._finished.values() if "norm" in f.extra), None)
        if exp.data.name != "mnist" or norm is None:
            return
        from trainer.models import model_from_state
        self.window.mnist.show_epoch(model_from_state(exp, frame.state), norm, frame.epoch)

    # -- branches -----------------------------------------------------------------------------------
    def branch(self, epoch: int | None = None) -> bool:
        """Branch from here: the docks' settings train on from the shown branch's `epoch` (None: the bar's).
        False, with the reason shown, when they cannot (a setting a branch must keep, nothing recorded, ...)."""
        w = self.window
        if w.session.is_running():
            self._say(STOP_FIRST)
            return False
        exp = w.revalidate()   # the docks' Experiment, built as Train builds it
        if exp is None:
            self._say("Fix the setting marked in red first.")
            return False
        parent = self.tree.current if self.tree is not None else MAIN
        epoch = self.bar.epoch() if epoch is None else epoch
        refused = refusal(self.tree, parent, epoch, exp)
        if refused is not None:
            dialogs.show_error(w, *refused)
            return False
        self._start_branch(parent, epoch, exp)
        return True

    def _start_branch(self, parent: str, epoch: int, exp: Experiment) -> None:
        resume = self.tree.resume(parent, epoch)
        branch = self.tree.add_branch(parent, epoch, exp)
        for curves in self._curves():
            curves.add_branch(branch.key, branch.history, epoch, branch.label)
            curves.set_current_branch(branch.key)
            curves.set_cursor(None)
        self._show_branches()
        self._run = branch.key
        self._rest.stop()
        w = self.window
        w.status.show_past(None, 0)
        w.status.set(epoch=STARTING, loss="", acc="", speed="", device="")
        w.status.running(f"a branch ({branch.label})")
        w.session.start(exp, resume=resume)
        self.treeChanged.emit()

    def select(self, key: str) -> None:
        """Show branch `key`: its curves as the current ones, its last recorded epoch in every view."""
        if self.tree is None or key not in self.tree.branches:
            return
        if self.window.session.is_running():
            self.bar.set_current_branch(self.tree.current)
            self._say(STOP_FIRST)
            return
        self.tree.current = key
        for curves in self._curves():
            curves.set_current_branch(None if key == MAIN else key)
        epochs = self.tree.epochs(key)
        self.bar.set_current_branch(key)
        self.bar.set_epochs(epochs)
        if epochs:
            self.bar.set_epoch(epochs[-1])
            self.show(key, epochs[-1])
        self._put_in_docks(key)
        self.treeChanged.emit()

    def _put_in_docks(self, key: str) -> None:
        """Line `key`'s settings into the docks, so Branch from here with nothing touched repeats that line
        (newcomer 16, finding 1). An edit, not a new experiment: the run stays, its shapes are the same."""
        w = self.window
        if w.session.is_running():
            return
        exp, now = self.tree[key].experiment, experiment_or_none(w.form)
        if now is not None and shapes_key(now)[0] != shapes_key(exp)[0]:   # a data file located on load: keep its place
            exp = replace(exp, data=replace(now.data, extra_points=exp.data.extra_points))
        w.form.apply(exp)
        w.revalidate()

    def ask_delete(self, key: str) -> None:
        """The bar's delete button: delete branch `key` once the user agrees, told which branches go with it."""
        if self.tree is None or key == MAIN or key not in self.tree.branches:
            return
        children = [self.tree[k].label for k in self.tree.made_from(key)]
        text = f"Delete the branch \u201c{self.tree[key].label}\u201d?"
        if children:
            text += " The branches made from it go too: " + "; ".join(f"\u201c{c}\u201d" for c in children) + "."
        text += " This cannot be undone."
        if dialogs.ask(self.window, "Delete branch", text, "Delete", "Cancel"):
            self.delete(key)

    def delete(self, key: str) -> None:
        """Delete branch `key` and the branches made from it (the run itself stays)."""
        if self.tree is None or key == MAIN:
            return
        if self.window.session.is_running() and self._run is not None and self._run != MAIN:
            self._say(STOP_FIRST)
            return
        current = self.tree.current
        for gone in self.tree.delete(key):
            self._finished.pop(gone, None)
            for curves in self._curves():
                curves.remove_branch(gone)
        self._show_branches()
        if self.tree.current != current:
            self.select(self.tree.current)
        self.treeChanged.emit()

    # -- kept in a model file (File > Save / Load trained model) ---------------------------------------
    def tree_of(self, fin: Finished) -> RunTree | None:
        """The run's tree to save with `fin`, its current branch the one `fin` ended (None: not this run's)."""
        key = next((k for k, f in self._finished.items() if f is fin), None)
        if self.tree is None or key is None:
            return None
        saved = copy.copy(self.tree)   # the branches are shared, not copied: only `current` differs
        saved.current = key
        return saved

    def adopt(self, tree: RunTree, fin: Finished) -> None:
        """A loaded model's timeline: the window shows `fin` (the end of the tree's current branch); the
        run's own curves become its first run's, the branches are drawn over them and it can be scrubbed
        and branched again."""
        self.clear(signal=False)
        self.tree = tree
        self._finished[tree.current] = fin
        main = tree[MAIN].history
        if tree.current != MAIN and main:   # the window drew the branch's history as the run's: the run's own
            from trainer.results import finished_from_record
            self.window.curves.reset(tree[MAIN].experiment)
            self.window.curves.on_finished(finished_from_record(main, tree[MAIN].metrics, fin.state))
        for key, branch in tree.branches.items():
            if key != MAIN:
                for curves in self._curves():
                    curves.add_branch(key, branch.history, branch.from_epoch, branch.label)
        for curves in self._curves():
            curves.set_current_branch(None if tree.current == MAIN else tree.current)
        self._show_branches()
        self.bar.set_epochs(self.tree.epochs(tree.current))
        self._shown = (tree.current, LIVE)
        self.treeChanged.emit()
        self.epochShown.emit(*self._shown)

    def clear(self, signal: bool = True) -> None:
        """No run on screen: no tree, an empty bar, no branches or cursor on the curves."""
        self.tree = None
        self._finished.clear()
        self.pictures.clear()
        self._rest.stop()
        self._shown = (MAIN, LIVE)
        if not self.window.session.is_running():
            self._run = None
        self._quiet = True
        self.bar.set_training(False)
        self._quiet = False
        self.bar.set_epochs([])
        self.bar.set_branches([])
        for curves in self._curves(every=True):
            curves.clear_branches()
            curves.set_cursor(None)
        self.window.status.show_past(None, 0)
        self._update_action()
        if signal:
            self.treeChanged.emit()
            self.epochShown.emit(*self._shown)

    # -- helpers ------------------------------------------------------------------------------------
    def _show_branches(self) -> None:
        tree = self.tree
        self.bar.set_branches([(k, b.label) for k, b in tree.branches.items()], tree.current)
        main_curves = self.window.curves
        self.bar.set_branch_colors({k: main_curves.branch_color(k) for k in tree.branches
                                    if k in main_curves.branch_keys()})
        self._update_action()

    def _curves(self, every: bool = False) -> tuple:
        """The curves that draw this run: the Playground's, and the MNIST tab's for an MNIST run."""
        w = self.window
        mnist = every or (self.tree is not None and self.tree[MAIN].experiment.data.name == "mnist")
        return (w.curves, w.mnist.live.curves) if mnist else (w.curves,)

    def _update_action(self) -> None:
        action = getattr(self, "action", None)
        if action is not None:
            action.setEnabled(self.tree is not None and not self.window.session.is_running())

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, MESSAGE_MS)


__all__ = ["LIVE", "REST_MS", "TimeTravel"]
