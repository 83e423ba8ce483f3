"""The curves' timeline additions (issue 16): the cursor at the epoch on show, and branches drawn over the run.

Fed with real epochs of trainer.loop.train (the spiral, short): the run, and two other runs of the same data
whose records stand for branches (the widget draws a branch's records from its epoch on, wherever they come
from; the trainer's branches are the lead's, tested in tests/trainer/).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QTextDocument

from desktop.views.colors import BRANCH_COLORS
from desktop.views.curves import CurvesView
from desktop.views.curves_timeline import RUN_COLORS
from trainer.config import Experiment
from trainer.events import EpochEnd, Finished, NewBest, Started
from trainer.loop import train
from trainer.presets import load_preset

EPOCHS = 60


@dataclass
class Run:
    exp: Experiment
    started: Started
    epochs: list[EpochEnd]
    bests: list[NewBest]
    finished: Finished

    @property
    def history(self) -> list[dict]:
        return self.finished.history


def _run(lr: float, epochs: int = EPOCHS) -> Run:
    exp = load_preset("spiral").with_overrides({"train.epochs": epochs, "train.patience": 0, "optim.lr": lr})
    events = list(train(exp))
    return Run(exp, next(e for e in events if isinstance(e, Started)), [e for e in events if isinstance(e, EpochEnd)],
               [e for e in events if isinstance(e, NewBest)], events[-1])


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    """The run (lr 0.01), and two more whose records serve as branches (lr 0.05; lr 0.002, 80 epochs)."""
    return {"run": _run(0.01), "fast": _run(0.05), "slow": _run(0.002, epochs=80)}


def _view(qtbot, run: Run) -> CurvesView:
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    view.reset(run.exp)
    view.on_started(run.started)
    view.on_epochs(run.epochs)
    for best in run.bests:
        view.on_new_best(best)
    view.on_finished(run.finished)
    return view


def _near(a: QPointF, b: QPointF, px: float = 1.5) -> bool:
    return abs(a.x() - b.x()) <= px and abs(a.y() - b.y()) <= px


def _drawn(item) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


def test_the_cursor_stands_at_the_asked_epoch_in_every_plot_with_a_dot_on_each_curve(qtbot, runs):
    view = _view(qtbot, runs["run"])
    data = view.data()
    for epoch in (0, 17, 42, EPOCHS - 1):
        view.set_cursor(epoch)
        assert view.cursor_epoch() == epoch
        for plot, line in zip((view.loss_plot, view.acc_plot), view.cursor.lines):
            assert line.isVisible() and line.value() == epoch
            # Where the user sees it: at the epoch's x on the plot's own axis.
            expected_x = plot.vb.mapViewToScene(QPointF(epoch, 0)).x()
            assert abs(line.sceneBoundingRect().center().x() - expected_x) <= 1.5
        for name, dot in view.cursor.dots.items():
            plot = view.loss_plot if name.endswith("loss") else view.acc_plot
            at = plot.vb.mapViewToScene(QPointF(epoch, data[name][epoch]))
            assert dot.isVisible() and _near(dot.sceneBoundingRect().center(), at), name
    view.set_cursor(None)
    assert view.cursor_epoch() is None
    assert not any(item.isVisible() for item in (*view.cursor.lines, *view.cursor.dots.values()))


def test_the_cursor_dots_follow_the_log_scale_and_new_epochs(qtbot, runs):
    run = runs["run"]
    view = CurvesView()
    qtbot.addWidget(view)
    view.reset(run.exp)
    view.on_started(run.started)
    view.set_cursor(30)          # recorded before its epoch is drawn (the timeline may lead the curves)
    assert not view.cursor.dots["train_loss"].isVisible() and view.cursor.lines[0].isVisible()
    view.on_epochs(run.epochs)
    view.on_finished(run.finished)
    assert view.cursor.dots["train_loss"].isVisible()
    view.show()
    view.set_log_loss(True)                    # drawn where the log axis puts the value
    value = view.data()["val_loss"][30]
    at = view.loss_plot.vb.mapViewToScene(QPointF(30, np.log10(value)))
    assert _near(view.cursor.dots["val_loss"].sceneBoundingRect().center(), at)
    view.reset(run.exp)
    assert view.cursor_epoch() == 30 and not view.cursor.dots["val_loss"].isVisible()   # no epoch drawn: no dot


def test_a_branch_is_drawn_from_its_epoch_on_in_its_own_colour_and_removed_again(qtbot, runs):
    view = _view(qtbot, runs["run"])
    fast, slow = runs["fast"].history, runs["slow"].history
    view.add_branch("fast", fast, 20, "lr 0.05 from epoch 20")
    view.add_branch("slow", slow, 35, "lr 0.002 from epoch 35")
    assert view.branch_keys() == ["fast", "slow"]
    for key, history, start in (("fast", fast, 20), ("slow", slow, 35)):
        kept = [r for r in history if r["epoch"] >= start]
        for name, item in view.branches.branches[key].items.items():
            x, y = _drawn(item)
            np.testing.assert_array_equal(x, [r["epoch"] for r in kept])
            np.testing.assert_allclose(y, [r[name] for r in kept])
            assert item.getViewBox() is (view.loss_plot if name.endswith("loss") else view.acc_plot).vb
        assert view.branch_data(key)["epoch"][0] == start
    assert view.branch_color("fast") == BRANCH_COLORS[0] and view.branch_color("slow") == BRANCH_COLORS[1]
    assert view.branches.branches["fast"].items["val_loss"].opts["pen"].style() == Qt.PenStyle.DashLine
    assert "lr 0.05 from epoch 20" in view.branch_legend.toolTip() and "from epoch 35" in view.branch_legend.toolTip()
    # The slow branch trained 80 epochs: the x axis takes in its end (the run has 60).
    assert view.loss_plot.vb.viewRange()[0][1] >= 79

    items = list(view.branches.branches["fast"].items.values())
    view.remove_branch("fast")
    assert view.branch_keys() == ["slow"]
    assert all(item.scene() is None and item not in view.loss_plot.items + view.acc_plot.items for item in items)
    assert "lr 0.05" not in view.branch_legend.toolTip() + view.branch_legend.text()
    # A new branch takes the free colour: the others keep theirs.
    view.add_branch("again", fast, 50, "again")
    assert view.branch_color("again") == BRANCH_COLORS[0] and view.branch_color("slow") == BRANCH_COLORS[1]
    view.clear_branches()
    assert view.branch_keys() == []
    assert not [i for i in view.loss_plot.items if i.scene() is not None and i in items]
    assert view.branch_legend.text() == "" and view.branch_legend.toolTip() == ""


def test_the_current_branch_is_solid_in_front_and_bold_in_the_legend(qtbot, runs):
    view = _view(qtbot, runs["run"])
    view.add_branch("a", runs["fast"].history, 10, "A")
    view.add_branch("b", runs["slow"].history, 10, "B")
    view.set_current_branch("b")
    assert view.current_branch() == "b"
    a, b = view.branches.branches["a"].items["train_loss"], view.branches.branches["b"].items["train_loss"]
    assert b.opts["pen"].style() == Qt.PenStyle.SolidLine and a.opts["pen"].style() == Qt.PenStyle.DashLine
    assert b.zValue() > a.zValue() > view.curves["train_loss"].zValue()
    assert "<b>╌╌ B</b>" in view.branch_legend.toolTip()
    assert "B" in view.branch_legend.text().split("&nbsp;&nbsp;")[0]    # named first, where a short line has room
    with pytest.raises(KeyError):
        view.set_current_branch("nope")
    view.remove_branch("b")
    assert view.current_branch() is None


def test_a_training_branch_is_redrawn_at_the_curves_pace(qtbot, runs):
    """update_branch keeps the newer history and draws it with the curves' next redraw (curves_every_s),
    never dropping the last one."""
    view = _view(qtbot, runs["run"])
    history = runs["fast"].history
    view.add_branch("live", history[:25], 20, "training")
    assert len(_drawn(view.branches.branches["live"].items["val_loss"])[0]) == 5   # epochs 20..24 at once
    view._throttle.interval_s = 1.0
    view._throttle()                      # a redraw now: the next request comes too soon
    view.update_branch("live", history[:40])
    assert len(_drawn(view.branches.branches["live"].items["val_loss"])[0]) == 5   # held back...
    qtbot.waitUntil(lambda: len(_drawn(view.branches.branches["live"].items["val_loss"])[0]) == 20, timeout=5000)


def test_branch_names_never_widen_the_curves(qtbot, runs):
    view = _view(qtbot, runs["run"])
    before = view.minimumSizeHint().width()
    for i in range(6):
        view.add_branch(str(i), runs["fast"].history, 5 * i, f"a rather long branch name, number {i}, from epoch {5 * i}")
    assert view.minimumSizeHint().width() <= before
    qtbot.waitUntil(lambda: "more" in view.branch_legend.text() or "branches" in view.branch_legend.text())
    assert "number 5" in view.branch_legend.toolTip()
    for width in (700, 613):                  # what it names fits, never a clipped scrap
        view.resize(width, 400)
        qtbot.waitUntil(lambda: view.width() == width)
        doc = QTextDocument()
        doc.setDefaultFont(view.branch_legend.font())
        doc.setHtml(view.branch_legend.text())
        assert doc.idealWidth() - 2 * doc.documentMargin() <= view.branch_legend.width() + 1, width


def test_the_run_curves_and_the_reset_leave_the_branches_to_their_owner(qtbot, runs):
    """reset() (a branch's own run starts through it too) clears the run's curves, not the timeline's."""
    run = runs["run"]
    view = _view(qtbot, run)
    view.add_branch("a", runs["fast"].history, 10, "A")
    view.set_cursor(12)
    view.reset(run.exp)
    assert view.branch_keys() == ["a"] and view.cursor_epoch() == 12
    assert len(view.data()["epoch"]) == 0
    assert len(_drawn(view.branches.branches["a"].items["train_acc"])[0]) == EPOCHS - 10


def test_the_cursor_dots_sit_on_the_current_branch_after_its_epoch(qtbot, runs):
    """With a branch current, the dots follow its curves after the epoch it starts from (the status bar shows
    its figures there), in its colours; up to that epoch, and with the run current, they sit on the run's."""
    view = _view(qtbot, runs["run"])
    run = view.data()
    # As a branch's history is: its parent's records up to the branch point, then its own.
    fast = runs["run"].history[:21] + runs["fast"].history[21:]
    view.add_branch("fast", fast, 20, "lr 0.05 from epoch 20")
    view.add_branch("other", runs["run"].history[:31] + runs["slow"].history[31:], 30, "another branch")

    def on(values, epoch: int, colors) -> None:
        for name, dot in view.cursor.dots.items():
            plot = view.loss_plot if name.endswith("loss") else view.acc_plot
            at = plot.vb.mapViewToScene(QPointF(epoch, values(name)))
            assert dot.isVisible() and _near(dot.sceneBoundingRect().center(), at), (name, epoch)
            assert dot.brush().color().getRgb()[:3] == colors[name], name

    def drawn_in(key: str) -> dict:   # the colour each of the branch's curves is drawn in
        return {name: item.opts["pen"].color().getRgb()[:3] for name, item in view.branches.branches[key].items.items()}

    run_colors = {name: curve.opts["pen"].color().getRgb()[:3] for name, curve in view.curves.items()}
    assert run_colors == RUN_COLORS
    view.set_cursor(42)
    on(lambda name: run[name][42], 42, run_colors)                  # the run is current
    assert fast[42]["val_loss"] != run["val_loss"][42]
    view.set_current_branch("fast")                                   # the dots move to the branch, its colours
    tint = drawn_in("fast")
    on(lambda name: fast[42][name], 42, tint)
    view.set_cursor(55)
    on(lambda name: fast[55][name], 55, tint)
    view.set_cursor(12)                                               # before the branch point: the run's
    on(lambda name: run[name][12], 12, run_colors)
    view.set_cursor(42)
    view.set_current_branch(None)
    on(lambda name: run[name][42], 42, run_colors)

    # A branch still training: where it has no epoch yet, no dot (not the run's value in its colours).
    view.add_branch("live", fast[:30], 20, "training")
    view.set_current_branch("live")
    assert not any(dot.isVisible() for dot in view.cursor.dots.values())
    view.update_branch("live", fast[:50])
    qtbot.waitUntil(lambda: view.cursor.dots["val_loss"].isVisible(), timeout=5000)   # drawn: the dots follow
    on(lambda name: fast[42][name], 42, drawn_in("live"))
    view.remove_branch("live")                                        # gone: back on the run's
    on(lambda name: run[name][42], 42, run_colors)


def test_the_best_epoch_line_and_label_follow_the_current_branch(qtbot, runs):
    """Newcomer 16, finding 3: the dashed best-epoch line and its label are the line on show's, not always the run's."""
    view = _view(qtbot, runs["run"])
    run, slow = runs["run"].finished, runs["slow"].history
    view.add_branch("slow", slow, 20, "lr 0.002 from epoch 20")
    val = [r["val_loss"] for r in slow]
    best = int(np.argmin(val))
    assert best != run.best_epoch
    view.set_current_branch("slow")
    assert all(line.isVisible() and line.value() == best for line in view.best_lines)
    assert view.best_label.text().startswith(f"best epoch {best} ·")
    view.set_current_branch(None)   # the run on show again: its own best
    assert all(line.value() == run.best_epoch for line in view.best_lines)
    assert view.best_label.text().startswith(f"best epoch {run.best_epoch} ·")
    assert view.best_epoch() == run.best_epoch
