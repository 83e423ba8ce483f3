"""`boundary`: how often the decision boundary is redrawn while the spiral trains, and what that costs.

hz: new boundary images shown per second of training (calls of the BoundaryView's ImageItem.setImage;
`paint_hz` counts the plot's actual repaints, which also follow any other change on it).

slowdown = 1 - eps_on / eps_off, where eps_on is the training speed of the spiral in the window as a user
runs it (snapshots ~12 a second: boundary, neuron maps, network weights) and eps_off the same run in the
same window with the live snapshots off (the client's pacing with snapshot_every_s = 0: only the final picture).
So it is what the live pictures cost the training, the worker's grids and the GUI's drawing together;
the curves and status bar are drawn in both. Runs come in adjacent pairs (on-off, off-on, ...); the
slowdown is the median of the pairs' own ratios.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from trainer.presets import load_preset

from . import gui
from .common import emit, median, note, r, training_eps

EPOCHS = 2000
PAIRS = 6


class _PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def run(window, quick: bool = False) -> None:
    import dataclasses
    exp = load_preset("spiral").with_overrides({"train.epochs": EPOCHS, "train.patience": 0})
    item = window.boundary.image_item
    original_set_image = item.setImage
    updates = [0]

    def counting_set_image(*args, **kwargs):
        updates[0] += 1
        return original_set_image(*args, **kwargs)

    painter = _PaintCounter()
    viewport = window.boundary.plot_widget.viewport()
    viewport.installEventFilter(painter)
    item.setImage = counting_set_image
    live_pacing = window.session.pacing
    eps_on, eps_off, hz, paint_hz = [], [], [], []
    window.plane_tabs.setCurrentWidget(window.boundary)   # the tab a user watches the spiral in

    def live() -> None:
        updates[0] = painter.count = 0
        fin = gui.train_in_window(window, exp)
        seconds = fin.history[-1]["seconds"]
        eps_on.append(len(fin.history) / seconds)
        hz.append(updates[0] / seconds)
        paint_hz.append(painter.count / seconds)

    def still() -> None:
        window.session.pacing = dataclasses.replace(live_pacing, snapshot_every_s=0.0)
        try:
            eps_off.append(training_eps(gui.train_in_window(window, exp)))
        finally:
            window.session.pacing = live_pacing

    try:
        for i in range(1 if quick else PAIRS):
            # on-off, off-on, ...: a machine getting busier or quieter during the pair hits both alike
            for step in ((live, still) if i % 2 == 0 else (still, live)):
                step()
            note(f"boundary #{i + 1}: {hz[-1]:.1f} Hz (paints {paint_hz[-1]:.1f} Hz), "
                 f"{eps_on[-1]:.0f} epochs/s live vs {eps_off[-1]:.0f} without")
    finally:
        item.setImage = original_set_image
        viewport.removeEventFilter(painter)
    # Each pair's own ratio, then the median: the load on this shared machine drifts between pairs.
    slowdown = median(1 - on / off for on, off in zip(eps_on, eps_off))
    emit({"bench": "boundary", "hz": r(median(hz)), "slowdown": round(slowdown, 3), "paint_hz": r(median(paint_hz)),
          "eps_live": r(median(eps_on), 4), "eps_no_snapshots": r(median(eps_off), 4), "epochs": EPOCHS,
          "pairs": len(eps_on)})
