"""What the timeline (issue 16) draws over the curves: a cursor at the epoch on show, and a run's
branches, each from the epoch it was branched at, in its own colour and dashed over the run's curves."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QLabel, QSizePolicy, QWidget

from .colors import BLUE, BRANCH_COLORS, INK, WHITE, css
from .curves_history import History, columns_from_records, loss_span

# The epoch on show: a solid dark line over everything (the best epoch's is dashed, the hover's light grey).
CURSOR_RGBA = (60, 60, 60, 210)
CURVE_NAMES = ("train_loss", "val_loss", "train_acc", "val_acc")
DOT_PX = 7                    # the cursor's dot on each curve
TRAIN_TINT = 0.45             # a branch's training curves: its colour this much toward white (validation: full)
RUN_COLORS = {name: BLUE if name.startswith("train") else INK for name in CURVE_NAMES}   # the run's own curves


def curve_colors(color: tuple[int, int, int]) -> dict[str, tuple[int, int, int]]:
    """A branch's colour for each of its curves: training lighter, validation full (as the run's blue and ink)."""
    light = tuple(round(c + TRAIN_TINT * (w - c)) for c, w in zip(color, WHITE))
    return {name: light if name.startswith("train") else color for name in CURVE_NAMES}


class EpochCursor:
    """A vertical line at one epoch through every plot, and a dot on each curve there: the current branch's
    after the epoch it starts from (the status bar shows that branch's figures then), else the run's.

    Moving it sets a handful of item positions, no curve data: cheap enough for a slider dragged at
    20+ epochs a second. The dots are plain QGraphicsEllipseItems (a pyqtgraph PlotDataItem's setData
    cost ~1 ms each, most of a move), placed in the plot's data coordinates (log10 on a log axis)."""

    def __init__(self, plots: tuple[pg.PlotItem, ...], curve_plots: dict[str, pg.PlotItem],
                 branches: BranchOverlays | None = None):
        pen = pg.mkPen(CURSOR_RGBA, width=2)
        self.lines = [pg.InfiniteLine(angle=90, movable=False, pen=pen) for _ in plots]
        for plot, line in zip(plots, self.lines):
            line.setZValue(50)    # over the curves and branches, under the hover label (100)
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.dots: dict[str, QGraphicsEllipseItem] = {}
        self._plots = curve_plots
        for name, plot in curve_plots.items():
            r = DOT_PX / 2
            dot = QGraphicsEllipseItem(-r, -r, DOT_PX, DOT_PX)
            dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)   # round at any zoom
            dot.setPen(pg.mkPen(WHITE, width=1.5))
            dot.setBrush(pg.mkBrush(RUN_COLORS[name]))
            dot.setZValue(51)
            plot.addItem(dot, ignoreBounds=True)
            dot.hide()
            self.dots[name] = dot
        self.epoch: int | None = None
        self._branches = branches
        self._colors: dict[str, tuple[int, int, int]] = dict(RUN_COLORS)   # the dots' colours now

    def set(self, epoch: int | None, hist: History) -> None:
        """Show the cursor at `epoch` (None hides it), the dots at that epoch's values in `hist`."""
        self.epoch = None if epoch is None else int(epoch)
        if self.epoch is None:
            for item in (*self.lines, *self.dots.values()):
                item.hide()
            return
        for line in self.lines:
            line.setValue(self.epoch)
            line.show()
        self.place_dots(hist)

    def place_dots(self, hist: History) -> None:
        """The dots follow the values at the cursor (called again when epochs arrive, a branch is drawn or
        another becomes current): the current branch's records where it has the epoch (a branch's history
        holds its parent's epochs too), else the run's `hist`."""
        if self.epoch is None:
            return
        branch = self._branches.branches.get(self._branches.current) if self._branches else None
        own = branch is not None and self.epoch > branch.from_epoch   # its own epoch: none yet, no dot
        if own or (branch is not None and self.epoch in branch.records["epoch"]):
            epochs, column = branch.records["epoch"], branch.records.__getitem__
        else:
            epochs, column = hist.view("epoch"), hist.view
        i = int(np.searchsorted(epochs, self.epoch))
        found = i < len(epochs) and epochs[i] == self.epoch
        colors = curve_colors(branch.color) if own else RUN_COLORS   # its own colours on its own curves
        for name, dot in self.dots.items():
            if colors[name] != self._colors[name]:
                self._colors[name] = colors[name]
                dot.setBrush(pg.mkBrush(colors[name]))
            value = float(column(name)[i]) if found else math.nan
            if self._plots[name].getAxis("left").logMode:
                value = math.log10(value) if value > 0 else math.nan
            if math.isfinite(value):
                dot.setPos(self.epoch, value)
                dot.show()
            else:
                dot.hide()


@dataclass
class Branch:
    """One branch on the curves: its records from `from_epoch` on, and the four items drawing them."""
    key: str
    label: str
    from_epoch: int
    color: tuple[int, int, int]
    items: dict[str, pg.PlotDataItem]
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    records: dict[str, np.ndarray] = field(default_factory=dict)   # all its records, its parent's first ones too
    pending: list[dict[str, Any]] | None = None     # a newer history, drawn at the view's next redraw


class BranchOverlays:
    """A run's branches over the loss and accuracy plots; the view says when to draw pending updates."""

    def __init__(self, curve_plots: dict[str, pg.PlotItem]):
        self._plots = curve_plots
        self.branches: dict[str, Branch] = {}   # in the order they were added
        self.current: str | None = None
        self.lo = self.hi = math.nan             # the branches' loss range, which the loss axis takes in

    # -- what the view asks -----------------------------------------------------------
    def add(self, key: str, history: list[dict[str, Any]], from_epoch: int, label: str) -> None:
        if key in self.branches:
            self.remove(key)
        used = {b.color for b in self.branches.values()}
        # The first colour no branch on show has: removing one never recolours the others.
        color = next((c for c in BRANCH_COLORS if c not in used), BRANCH_COLORS[len(self.branches) % len(BRANCH_COLORS)])
        items = {name: pg.PlotDataItem() for name in CURVE_NAMES}
        for name, item in items.items():
            item.setCurveClickable(False)
            self._plots[name].addItem(item)
        branch = Branch(key, label, int(from_epoch), color, items)
        self.branches[key] = branch
        self._style(branch)
        self._draw(branch, history)

    def update(self, key: str, history: list[dict[str, Any]]) -> None:
        """Keep `history` for the next draw_pending() (the view paces it)."""
        self.branches[key].pending = history

    def remove(self, key: str) -> None:
        branch = self.branches.pop(key)
        for name, item in branch.items.items():
            self._plots[name].removeItem(item)
        if self.current == key:
            self.current = None
        self._span()

    def set_current(self, key: str | None) -> None:
        """Draw branch `key` solid and in front (None: the run's own curves are the current run)."""
        if key is not None and key not in self.branches:
            raise KeyError(f"no branch {key!r} on the curves")
        self.current = key
        for branch in self.branches.values():
            self._style(branch)

    def best(self, key: str) -> tuple[int, float] | None:
        """Branch `key`'s best epoch and validation loss over its whole history (its parent's first epochs
        too), drawn so far; None before it has a validation loss."""
        records = self.branches[key].records
        val = records.get("val_loss")
        if val is None or not np.isfinite(val).any():
            return None
        i = int(np.nanargmin(np.where(np.isfinite(val), val, np.nan)))
        return int(records["epoch"][i]), float(val[i])

    def draw_pending(self) -> bool:
        """Draw the histories update() kept; True when any was drawn."""
        due = [b for b in self.branches.values() if b.pending is not None]
        for branch in due:
            history, branch.pending = branch.pending, None
            self._draw(branch, history)
        return bool(due)

    def last_epoch(self) -> float:
        return max((float(b.columns["epoch"][-1]) for b in self.branches.values() if b.columns["epoch"].size),
                   default=0.0)

    def legend_entries(self) -> list[tuple[str, str]]:
        """Each branch's legend entry as (plain text, rich text): the current one first (a short line names
        it before the others) and bold, then in the order they were added."""
        entries = []
        for b in sorted(self.branches.values(), key=lambda b: b.key != self.current):
            text = f"╌╌ {b.label}"
            rich = html.escape(text)
            entries.append((text, f"<span style='color:{css(b.color)}'>"
                                  f"{f'<b>{rich}</b>' if b.key == self.current else rich}</span>"))
        return entries

    def tooltip(self) -> str:
        """Every branch, its colour and where it starts (the legend line may have room for a few only)."""
        if not self.branches:
            return ""
        ordered = sorted(self.branches.values(), key=lambda b: b.key != self.current)   # as legend_entries
        rows = "".join(f"<br>{rich} <span style='color:#5a5a5a'>from epoch {b.from_epoch}</span>"
                       for b, (_, rich) in zip(ordered, self.legend_entries()))
        return f"Branches, light: training, dark: validation; solid: the branch on show{rows}"

    # -- drawing ------------------------------------------------------------------------
    def _draw(self, branch: Branch, history: list[dict[str, Any]]) -> None:
        cols = columns_from_records(history)
        branch.records = cols
        keep = cols["epoch"] >= branch.from_epoch   # records before the branch point are its parent's
        branch.columns = {name: values[keep] for name, values in cols.items()}
        for name, item in branch.items.items():
            item.setData(branch.columns["epoch"], branch.columns[name], connect="finite")
        self._span()

    def _style(self, branch: Branch) -> None:
        current = branch.key == self.current
        colors = curve_colors(branch.color)
        for name, item in branch.items.items():
            # Training lighter than validation, as the run's blue and ink; dashed, the branch on show solid, in front.
            color = colors[name]
            style = Qt.PenStyle.SolidLine if current else Qt.PenStyle.DashLine
            item.setPen(pg.mkPen(color, width=2 if current else 1.5, style=style))
            item.setZValue(8 if current else 6)

    def _span(self) -> None:
        spans = [loss_span(b.columns) for b in self.branches.values() if b.columns]
        self.lo = min((lo for lo, _ in spans if math.isfinite(lo)), default=math.nan)
        self.hi = max((hi for _, hi in spans if math.isfinite(hi)), default=math.nan)


class FittingLegend(QLabel):
    """A legend line of entries that names as many as its width holds, then "+N more" (all in the tooltip).

    It never asks for more width than it has: long branch names must not widen the curves' pane."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._entries: list[tuple[str, str]] = []

    def set_entries(self, entries: list[tuple[str, str]], tooltip: str) -> None:
        self._entries = entries
        self.setToolTip(tooltip)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        metrics, gap = self.fontMetrics(), self.fontMetrics().horizontalAdvance("   ")
        room, shown = self.width(), []
        for i, (plain, rich) in enumerate(self._entries):
            more = f"+{len(self._entries) - i - 1} more" if i < len(self._entries) - 1 else ""
            need = sum(metrics.horizontalAdvance(p) + gap for p, _ in self._entries[:i + 1])
            need += metrics.horizontalAdvance(more) if more else 0
            if need > room:
                break
            shown.append(rich)
        rest = len(self._entries) - len(shown)
        tail = f"+{rest} {'more' if shown else ('branches' if rest > 1 else 'branch')}"
        # Nothing rather than a clipped scrap where not even "+2 branches" fits (the bar's list names them).
        if rest and (shown or metrics.horizontalAdvance(tail) <= room):
            shown.append(f"<span style='color:#5a5a5a'>{tail}</span>")
        text = "&nbsp;&nbsp;".join(shown)
        if text != self.text():
            self.setText(text)


__all__ = ["BRANCH_COLORS", "Branch", "BranchOverlays", "CURSOR_RGBA", "EpochCursor", "FittingLegend", "RUN_COLORS",
           "curve_colors"]
