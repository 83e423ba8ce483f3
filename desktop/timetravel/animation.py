"""File > Export animation… (issue 16 item 6): the decision boundary's evolution over the current branch's
recorded epochs as an animated GIF, for a teacher's slides.

Each frame is drawn by the window's own boundary view (views.boundary.BoundaryView: a second one, of a
fixed size, never shown on screen) from the Snapshot the timeline draws for that epoch (pictures.py: the
live run's own Plane.snapshot, bit for bit), with the data points and the window's Discretize and Test
points choices; the epoch, numbered as the timeline bar and the curves number it, and that epoch's
validation loss and accuracy are written above it. The window's own views are never touched, so the
epoch (or Live) on screen stays what it was. At most MAX_FRAMES epochs, evenly spread over the recorded
ones (the first and the last always); the file is written through trainer.atomic, all or nothing.
"""
from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication, QFileDialog, QProgressDialog, QWidget

from trainer.atomic import atomic_path
from trainer.config import Experiment, input_dim, task_of
from trainer.timeline.frame import Frame
from trainer.timeline.runs import MAIN, RunTree

from .. import dialogs, settings
from ..actions import group_end
from ..status import short_number
from ..views.boundary import BoundaryView
from ..views.colors import BLUE, INK, WHITE, class_color
from .pictures import FramePictures

log = logging.getLogger(__name__)

MAX_FRAMES = 150          # epochs shown at most: a long run is sampled evenly (first and last always)
ANIMATION_MS = 5000       # the frames before the last take about this long together...
HOLD_MS = 1500            # ...and the last one is held this long: the trained boundary stays in sight
# GIF delays count hundredths of a second, and browsers play a delay under 20 ms as 100 ms; a run of a
# few epochs gets at most a second a frame rather than a slow slide show.
MIN_FRAME_MS, MAX_FRAME_MS = 40, 1000
PLOT_SIZE = (600, 540)    # the boundary plot in each frame, pixels (the caption goes above it)
CAPTION_PX = 64
PALETTE_FRAMES = 9         # frames the shared GIF palette is made from
EXACT_COLORS = 48          # the commonest colours of those frames, kept exact in it (SharedPalette)
GIF_FILTER = "Animated GIF (*.gif)"


# -- what the animation shows ----------------------------------------------------------------------------
def sample_epochs(epochs: list[int], most: int = MAX_FRAMES) -> list[int]:
    """At most `most` of the recorded `epochs` (ascending), spread evenly over the run's epochs: the first
    and the last always, each the recorded epoch nearest its even step."""
    if len(epochs) <= most:
        return list(epochs)
    recorded = np.asarray(epochs)
    targets = np.linspace(recorded[0], recorded[-1], most)
    picked = recorded[np.abs(recorded[None, :] - targets[:, None]).argmin(axis=1)]
    return sorted({int(e) for e in picked})


def frame_durations(n: int) -> list[int]:
    """Each frame's delay in ms: ANIMATION_MS over the frames (a short run's kept readable, a long one's
    kept playable), the last one held HOLD_MS."""
    step = min(max(round(ANIMATION_MS / max(n - 1, 1), -1), MIN_FRAME_MS), MAX_FRAME_MS)
    return [int(step)] * (n - 1) + [max(HOLD_MS, int(step))] if n else []


@dataclass(frozen=True)
class Shot:
    """One frame of the animation: a recorded epoch, its weights, the experiment that trained it and the
    branch's record of it (EpochEnd.as_record(); None where the history has no such epoch)."""
    epoch: int
    frame: Frame
    experiment: Experiment
    record: dict[str, Any] | None


def plan(tree: RunTree, key: str, owner: Callable[[str, int], Any], most: int = MAX_FRAMES) -> list[Shot]:
    """The shots of branch `key`'s recorded epochs (its parent's up to where it starts, then its own);
    `owner(key, epoch)` is the branch that trained an epoch (TimeTravel.owner)."""
    history = tree[key].history
    shots = []
    for epoch in sample_epochs(tree.epochs(key), most):
        record = history[epoch] if epoch < len(history) and history[epoch].get("epoch") == epoch else None
        shots.append(Shot(epoch, tree.frame(key, epoch), owner(key, epoch).experiment, record))
    return shots


def unavailable(tree: RunTree | None, key: str | None = None) -> str | None:
    """Why there is nothing to animate (the action's tooltip), or None when there is."""
    if tree is None or not tree.epochs(key or tree.current):
        return "Train a run first: the animation shows the epochs its timeline recorded"
    data = tree[MAIN].experiment.data
    if input_dim(data) != 2 or task_of(data) == "regression":
        return "The animation shows the decision boundary: it needs data with two inputs and classes"
    return None


# -- drawing the frames ------------------------------------------------------------------------------------
class FrameRenderer:
    """Draws shots as the window's boundary view draws them, into images of one fixed size."""

    def __init__(self, discrete: bool = False, test_points: bool = True, plot_size: tuple[int, int] = PLOT_SIZE):
        self.view = BoundaryView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)   # drawn for the file, never seen
        self.view.discrete_box.setChecked(discrete)
        self.view.test_box.setChecked(test_points)
        self.view.plot_widget.setFixedSize(*plot_size)
        self.view.show()
        self.pictures = FramePictures()
        self._data: Any = None
        self._last_epoch = 0
        self._first_epoch = 0
        self._title = ""

    def colors(self) -> list[tuple[int, int, int]]:
        """The colours the frames must show exactly: the page's white, the text's ink, each class's."""
        return [WHITE, INK, *(class_color(c) for c in range(self.view.class_box.count()))]

    def set_run(self, shots: list[Shot], title: str) -> None:
        """The epochs the frames run over (for the progress line) and the title above each frame."""
        self._first_epoch, self._last_epoch = shots[0].epoch, shots[-1].epoch
        self._title = title

    def plot_image(self, shot: Shot) -> QImage:
        """The boundary view's plot at the shot's epoch, as it is on screen (the data, the picture)."""
        exp = shot.experiment
        if exp.data != self._data:   # a branch may add points: its epochs show them
            from trainer.data import load
            self.view.reset(exp)
            self.view.set_data(load(exp.data))
            self._data = exp.data
        snap, _model = self.pictures.snapshot(exp, shot.frame)
        self.view.on_snapshot(snap)
        plot = self.view.plot_widget
        # QWidget.render, not grab(): a pixel per pixel whatever the screen's scale (grab() doubles on HiDPI);
        # QWidget's own, as QGraphicsView's render() draws the scene, not the widget.
        image = QImage(plot.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        QWidget.render(plot, image)
        return image

    def render(self, shot: Shot) -> QImage:
        """A whole frame: the caption (title, epoch, validation figures, where in the run) over the plot."""
        plot = self.plot_image(shot)
        image = QImage(plot.width(), plot.height() + CAPTION_PX, QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            self._caption(painter, shot, plot.width())
            painter.drawImage(0, CAPTION_PX, plot)
        finally:
            painter.end()
        return image

    def _caption(self, painter: QPainter, shot: Shot, width: int) -> None:
        pad = 12
        font = QFont(QApplication.font())
        font.setPixelSize(13)
        painter.setFont(font)
        painter.setPen(QColor(90, 90, 90))
        top = QRectF(pad, 4, width - 2 * pad, 18)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._title)
        # The markers, as the view's own legend line under the plane names them.
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.view.legend.text())
        font.setPixelSize(20)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(*INK))
        row = QRectF(pad, 22, width - 2 * pad, 28)
        painter.drawText(row, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"epoch {shot.epoch:,} / {self._last_epoch:,}")
        font.setPixelSize(15)
        font.setBold(False)
        painter.setFont(font)
        painter.drawText(row, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, figures(shot.record))
        # Where this epoch lies in the run: a thin line filling from left to right.
        span = max(self._last_epoch - self._first_epoch, 1)
        done = (shot.epoch - self._first_epoch) / span
        y = CAPTION_PX - 8
        painter.setPen(QPen(QColor(225, 225, 225), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(pad, y, width - pad, y)
        painter.setPen(QPen(QColor(*BLUE), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(pad, y, round(pad + done * (width - 2 * pad)), y)

    def close(self) -> None:
        self.view.close()
        self.view.deleteLater()


def figures(record: dict[str, Any] | None) -> str:
    """The validation loss and accuracy of a history record, as the caption writes them."""
    if record is None:
        return ""
    text = f"validation loss {short_number(record['val_loss'])}"
    acc = record.get("val_acc")
    if acc is not None and math.isfinite(acc):
        text += f"   accuracy {acc:.1f}%"
    return text


def to_pil(image: QImage) -> Any:
    """A QImage as a PIL RGB image (a copy)."""
    from PIL import Image
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return Image.frombuffer("RGB", (rgb.width(), rgb.height()), bytes(rgb.constBits()), "raw", "RGB",
                            rgb.bytesPerLine(), 1).copy()


def rgb_keys(pixels: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 RGB as one uint32 per pixel (r, g, b in its low three bytes)."""
    p = pixels.astype(np.uint32)
    return (p[..., 0] << 16) | (p[..., 1] << 8) | p[..., 2]


class SharedPalette:
    """One 256-colour GIF palette for every frame, made from a few frames side by side, so nothing changes
    colour from frame to frame and the file needs one colour table.

    EXACT_COLORS colours are kept as they are: those asked for (the white page, the text's ink, the data
    points' class colours) and the commonest exact colours of those frames (the axes, the boundary where
    the model is sure); median cut shares the rest among the fades. Pillow picks the colour of each 4x4x4 cell of RGB by the cell's lowest corner, so a
    pixel of a kept colour may come out as a neighbour of it (an orange point a grey speckle on an orange
    plain): those pixels are set back to their own colour after the dithering."""

    def __init__(self, images: list[Any], keep: Sequence[tuple[int, int, int]] = ()):
        """`keep`: colours kept exact whatever their share (the classes' colours: four XOR points are a
        few hundred pixels, fewer than any plain of the boundary)."""
        from PIL import Image
        w, h = images[0].size
        strip = Image.new("RGB", (w * len(images), h))
        for i, im in enumerate(images):
            strip.paste(im, (i * w, 0))
        keys, counts = np.unique(rgb_keys(np.asarray(strip)), return_counts=True)
        kept = np.unique(rgb_keys(np.array(keep, dtype=np.uint8).reshape(-1, 3)))
        common = [k for k in keys[np.argsort(counts, kind="stable")[::-1]] if k not in kept]
        exact = np.sort(np.concatenate([kept, common[:max(EXACT_COLORS - len(kept), 0)]]).astype(np.uint32))
        rest = strip.quantize(colors=256 - len(exact), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        shared = (rest.getpalette() or [])[:3 * (256 - len(exact))]
        shared += [0] * (3 * (256 - len(exact)) - len(shared))
        self.exact_keys = exact                                            # ascending, for searchsorted
        self.exact_index = np.arange(256 - len(exact), 256, dtype=np.uint8)  # where each sits in the palette
        rgb = np.stack([(exact >> 16) & 255, (exact >> 8) & 255, exact & 255], axis=1).astype(np.uint8)
        self.image = rest
        self.image.putpalette(shared + rgb.ravel().tolist())

    def apply(self, rgb: Any) -> Any:
        """A frame (PIL RGB) in this palette: dithered, the kept colours exact."""
        from PIL import Image
        # Dithered: 256 colours cannot hold the boundary's smooth fades, and undithered they fall into bands.
        frame = rgb.quantize(palette=self.image, dither=Image.Dither.FLOYDSTEINBERG)
        index = np.array(frame)
        keys = rgb_keys(np.asarray(rgb))
        at = np.minimum(np.searchsorted(self.exact_keys, keys), len(self.exact_keys) - 1)
        kept = self.exact_keys[at] == keys
        index[kept] = self.exact_index[at[kept]]
        frame.frombytes(index.tobytes())
        return frame


class Cancelled(Exception):
    """The user pressed Cancel: nothing is written."""


def render_frames(renderer: FrameRenderer, shots: list[Shot],
                  progress: Callable[[int], bool] = lambda _drawn: True) -> list[Any]:
    """Every shot as a PIL palette image, all with one palette (made from PALETTE_FRAMES of them spread over
    the run, drawn first). `progress(frames drawn so far)` after each; False from it cancels (Cancelled)."""
    drawn: dict[int, Any] = {}

    def draw(i: int) -> Any:
        drawn[i] = to_pil(renderer.render(shots[i]))
        if not progress(len(drawn)):
            raise Cancelled
        return drawn[i]
    samples = sorted({round(i) for i in np.linspace(0, len(shots) - 1, min(PALETTE_FRAMES, len(shots)))})
    palette = SharedPalette([draw(i) for i in samples], keep=renderer.colors())
    frames = []
    for i in range(len(shots)):
        rgb = drawn[i] if i in drawn else draw(i)
        drawn[i] = None   # the RGB copy is no longer needed: the palette image is kept
        frames.append(palette.apply(rgb))
    return frames


def write_gif(path: Path, frames: list[Any], durations: list[int]) -> Path:
    """Palette images (PIL "P") as a looping GIF at `path`, all of it or nothing (trainer.atomic)."""
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return path


# -- File > Export animation… --------------------------------------------------------------------------------
class AnimationExport(QObject):
    """The File menu's Export animation… for one window: enabled while there is a recorded 2-D run to show
    (else its tooltip says why), a file dialog, a progress dialog with Cancel, the GIF written atomically."""

    def __init__(self, window: Any, time_travel: Any):
        super().__init__(window)
        self.window, self.time_travel = window, time_travel
        self.action = QAction("Export &animation…", window)
        self.action.triggered.connect(lambda _checked=False: self.export())
        menu = window.file_menu
        menu.setToolTipsVisible(True)   # a disabled entry's tooltip says why (entries without one show none)
        menu.insertAction(group_end(menu, window.quit_action), self.action)
        time_travel.treeChanged.connect(self.update_action)
        window.session.keyframes.connect(lambda _kfs: self.update_action())   # the first recorded epoch
        self.update_action()

    def update_action(self) -> None:
        reason = unavailable(self.time_travel.tree)
        tip = reason or ("Write the decision boundary's evolution over the recorded epochs as an animated GIF "
                         "(for slides)")
        self.action.setEnabled(reason is None)
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    def export(self, path: str | Path | None = None, plot_size: tuple[int, int] = PLOT_SIZE) -> Path | None:
        """Render and write the animation of the current branch, its boundary plot `plot_size` pixels; the
        path written, or None (cancelled, or the reason shown)."""
        w, tt = self.window, self.time_travel
        reason = unavailable(tt.tree)
        if reason is not None:
            w.statusBar().showMessage(reason, 8000)
            return None
        tree, key = tt.tree, tt.tree.current
        exp = tree[key].experiment
        if path is None:
            start = Path(settings.value("folders/exports", str(Path.home())))
            name = f"{exp.name or 'run'}{'' if key == MAIN else '-' + key}.gif"
            chosen, _ = QFileDialog.getSaveFileName(w.window(), "Export animation", str(start / name), GIF_FILTER)
            if not chosen:
                return None
            path = chosen
        path = Path(path)
        if path.suffix.lower() != ".gif":
            path = path.with_name(path.name + ".gif")
        problem = unwritable(path)
        if problem is not None:   # said before a single frame is drawn
            return self._failed(path, problem)
        shots = plan(tree, key, tt.owner)
        title = exp.name or "Neural Playground"
        if key != MAIN:
            title += f"  ·  {tree[key].label}"
        boundary = w.boundary
        renderer = FrameRenderer(boundary.discrete_box.isChecked(), boundary.test_box.isChecked(), plot_size)
        renderer.set_run(shots, title)
        dialog = QProgressDialog(f"Drawing {len(shots)} frames…", "Cancel", 0, len(shots) + 1, w.window())
        dialog.setWindowTitle("Export animation")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)

        def progress(drawn: int) -> bool:
            dialog.setValue(drawn)   # a window-modal dialog handles its events here: Cancel is seen
            return not dialog.wasCanceled()
        try:
            frames = render_frames(renderer, shots, progress)
            dialog.setLabelText("Writing the GIF…")
            dialog.setCancelButton(None)   # the write is all or nothing and takes a moment: no half-way stop
            QApplication.processEvents()
            durations = frame_durations(len(frames))
            write_gif(path, frames, durations)
        except Cancelled:
            w.statusBar().showMessage("Export animation cancelled: nothing was written.", 6000)
            return None
        except OSError as exc:
            return self._failed(path, exc.strerror or str(exc))
        finally:
            dialog.reset()
            dialog.deleteLater()
            renderer.close()
        settings.set_value("folders/exports", str(path.parent))
        log.info("exported the animation (%d frames) to %s", len(frames), path)
        w.statusBar().showMessage(f"Exported the animation ({len(frames)} frames, {sum(durations) / 1000:.1f} s) "
                                  f"to {path}", 10_000)
        return path

    def _failed(self, path: Path, why: str) -> None:
        log.warning("could not export the animation to %s: %s", path, why)   # expected: one line, no traceback
        dialogs.show_error(self.window.window(), "Could not export the animation", f"{path}: {why}")
        return None


def unwritable(path: Path) -> str | None:
    """Why `path` cannot be written (a folder, a folder that cannot be written to), or None: said before
    the frames are drawn. The write itself still decides (trainer.atomic)."""
    if path.is_dir():
        return "this is a folder; choose a file name"
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} cannot be written to"
    return None


__all__ = ["ANIMATION_MS", "AnimationExport", "Cancelled", "FrameRenderer", "HOLD_MS", "MAX_FRAMES", "Shot",
           "SharedPalette", "figures", "frame_durations", "plan", "render_frames", "sample_epochs", "to_pil",
           "unavailable",
           "unwritable", "write_gif"]
