"""The MNIST tab: loading through the GUI, the evaluation views, the drawing pad and the comparison.

Trainings are a few epochs: the point here is the wiring (the real accuracy is checked in tests/trainer).
"""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QInputDevice, QMouseEvent, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from torch import nn

from desktop.views.gallery import MAX_TILES
from desktop.views.pad import THROTTLE_MS
from trainer.config import Experiment
from trainer.digits import BRUSH_PX, CANVAS_PX, DigitModel
from trainer.mnist import FILES
from trainer.presets import load_preset

TIMEOUT = 180_000


def _mnist(root: Path | str, name: str = "mnist-mlp", epochs: int = 3) -> Experiment:
    return load_preset(name).with_overrides({"data.root": str(root), "train.epochs": epochs})


def _labels_from_gz(raw: Path, name: str) -> np.ndarray:
    """Read labels straight from the .gz, independently of trainer.mnist."""
    with gzip.open(raw / f"{name}.gz", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8)[8:]


def _drag(widget, points: list[tuple[int, int]]) -> None:
    """Press, move with the left button held (QTest.mouseMove holds none), release."""
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0]))
    for x, y in points[1:]:
        local = QPointF(x, y)
        event = QMouseEvent(QEvent.Type.MouseMove, local, widget.mapToGlobal(local), Qt.MouseButton.NoButton,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1]))


def _line(a: tuple[int, int], b: tuple[int, int], steps: int = 12) -> list[tuple[int, int]]:
    return [(round(a[0] + (b[0] - a[0]) * k / steps), round(a[1] + (b[1] - a[1]) * k / steps))
            for k in range(steps + 1)]


SEVEN = [_line((70, 60), (210, 60)) + _line((210, 60), (120, 235))[1:], _line((115, 150), (190, 150))]


def _any_model() -> DigitModel:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10)).eval()
    with torch.no_grad():
        model[2].weight.mul_(1000)   # confident, so the pad names its digit rather than "not sure"
    return DigitModel(model, (0.0, 1.0))


@pytest.fixture
def window(window):
    """The shared window fixture, plus: the comparison's own thread is stopped at the end of each test."""
    yield window
    assert window.mnist.shutdown(30_000)


# -- loading ------------------------------------------------------------------------------------------------
def test_mnist_loads_from_a_folder_holding_only_the_gz_files(train_window, qtbot, window, mnist_root, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FILES:
        shutil.copy(mnist_root / "MNIST" / "raw" / f"{name}.gz", raw)
    ws = window.mnist
    window.tabs.setCurrentWidget(ws)
    stages: list[str] = []
    shown_progress: list[str] = []

    def seen(ev) -> None:
        stages.append(getattr(ev, "stage", "batch"))
        shown_progress.append(ws.progress_text())

    window.session.progress.connect(seen)
    fin = train_window(window, _mnist(tmp_path, epochs=2))
    assert fin.reason == "completed"
    assert window.dialogs_shown == []
    assert "extract" in stages and "read" in stages
    assert any("MNIST" in text for text in shown_progress), shown_progress   # the tab's own progress bar
    assert all((raw / name).is_file() for name in FILES)                      # extracted beside the .gz
    # the seed's sample strip: the first 20 training images, each with its own label
    qtbot.waitUntil(lambda: len(ws.samples.labels()) == 20, timeout=30_000)
    assert ws.samples.labels() == [int(v) for v in _labels_from_gz(raw, "train-labels-idx1-ubyte")[:20]]
    assert ws.progress_text() == ""


def test_offline_without_the_files_the_message_reaches_the_user(qtbot, window, tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    empty.chmod(0o555)          # no download can land here either: it fails at once, as offline would
    try:
        window.apply_experiment(_mnist(empty))
        window.tabs.setCurrentWidget(window.mnist)
        with qtbot.waitSignal(window.session.failed, timeout=TIMEOUT):
            assert window.train()
        qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    finally:
        empty.chmod(0o755)
    assert len(window.dialogs_shown) == 1
    title, text = window.dialogs_shown[0]
    assert str(empty) in text
    assert all(f"{name}.gz" in text for name in FILES)
    ws = window.mnist
    assert "No MNIST model yet" in ws.summary.text()
    assert ws.progress_text() == ""
    assert window.train_action.isEnabled()            # the app stays usable
    qtbot.waitUntil(lambda: "not on this computer" in ws.samples.message(), timeout=30_000)
    assert str(empty) in ws.samples.message()


# -- after training: confusion matrix, gallery, most-confused pairs, the pad ---------------------------------
def test_confusion_matrix_gallery_and_pad_follow_the_trained_model(train_window, qtbot, window, mnist_root, tmp_path):
    ws = window.mnist
    window.tabs.setCurrentWidget(ws)
    fin = train_window(window, _mnist(mnist_root, epochs=3))
    acc = fin.metrics["test_accuracy"]

    cm = ws.confusion.matrix()
    assert cm is not None and cm.shape == (10, 10)
    assert cm.sum() == 10_000
    assert np.trace(cm) / 10_000 * 100 == pytest.approx(acc)
    assert f"{acc:.2f}%" in ws.summary.text()
    np.testing.assert_allclose(ws.confusion.per_digit_accuracy(), np.diag(cm) / cm.sum(axis=1) * 100)

    qtbot.waitUntil(ws.images_ready, timeout=30_000)
    truth = _labels_from_gz(mnist_root / "MNIST" / "raw", "t10k-labels-idx1-ubyte").astype(np.int64)
    pred = np.asarray(fin.metrics["predictions"])
    # the gallery starts on the mistakes, all of them counted
    assert ws.gallery.total() == 10_000 - np.trace(cm)
    assert (truth[ws.gallery.shown_indices()] != pred[ws.gallery.shown_indices()]).all()

    # clicking an off-diagonal cell shows exactly the digits of that cell
    off = cm.copy()
    np.fill_diagonal(off, 0)
    t, p = (int(v) for v in np.unravel_index(off.argmax(), cm.shape))
    assert f"{cm[t, p]:,} test images of a {t} were taken for a {p}" in \
        ws.confusion.tooltip_at(ws.confusion.cell_center(t, p))
    qtbot.mouseClick(ws.confusion, Qt.MouseButton.LeftButton, pos=ws.confusion.cell_center(t, p))
    assert ws.gallery.cell() == (t, p) and ws.confusion.selected() == (t, p)
    shown = ws.gallery.shown_indices()
    assert ws.gallery.total() == cm[t, p] and len(shown) == min(cm[t, p], MAX_TILES)
    assert (truth[shown] == t).all() and (pred[shown] == p).all()
    conf = np.asarray(fin.metrics["confidence"])[shown]
    assert (np.diff(conf) <= 0).all()                                  # most confident mistakes first
    assert f"of a {t} it took for a {p}" in ws.gallery.caption_text()

    # a diagonal cell: the digits it recognised (capped tiles, the full count in the caption)
    qtbot.mouseClick(ws.confusion, Qt.MouseButton.LeftButton, pos=ws.confusion.cell_center(3, 3))
    assert ws.gallery.total() == cm[3, 3]
    assert len(ws.gallery.shown_indices()) == min(cm[3, 3], MAX_TILES)
    assert ((truth[ws.gallery.shown_indices()] == 3) & (pred[ws.gallery.shown_indices()] == 3)).all()

    # "Show all" goes back; the most-confused list filters the same way
    qtbot.mouseClick(ws.gallery.show_all, Qt.MouseButton.LeftButton)
    assert ws.gallery.cell() is None
    first = ws.pairs.item(0)
    assert first.text().startswith(f"{t} → {p}: {cm[t, p]:,}")
    ws.pairs.itemClicked.emit(first)
    assert ws.gallery.cell() == (t, p)

    # the pad uses the model just trained
    ws.tabs.setCurrentWidget(ws.draw_page)
    assert ws.pad.has_model() and ws.pad.notice() == ""
    for stroke in SEVEN:
        _drag(ws.pad.canvas, stroke)
    assert ws.pad.prediction() is not None
    answer = ws.pad.answer()   # a 3-epoch model may be unsure of the drawn 7: then "?" (see trainer.digits.unsure)
    assert ws.pad.digit.text() == ("?" if answer is None else str(answer))

    # saved, forgotten, loaded back: the checkpoint has no per-image answers, the tab recomputes them
    path = tmp_path / "mnist.pt"
    assert window.files.save_model(path)
    window.reset()
    assert ws.confusion.matrix() is None and not ws.pad.has_model()
    assert "mnist-mlp" in ws.pad.notice()
    assert window.files.load_model(path)
    assert ws.pad.has_model()
    np.testing.assert_array_equal(ws.confusion.matrix(), cm)
    qtbot.waitUntil(lambda: ws.gallery.total() == 10_000 - np.trace(cm), timeout=30_000)


# -- the drawing pad ----------------------------------------------------------------------------------------
def test_pad_canvas_matches_the_preprocessing_constants(pad):
    assert pad.canvas.width() == pad.canvas.height() == CANVAS_PX
    _drag(pad.canvas, _line((40, 140), (240, 140)))
    ink = pad.canvas.array()
    assert ink.shape == (CANVAS_PX, CANVAS_PX)
    # a horizontal stroke is one brush wide: BRUSH_PX rows of full ink (anti-aliased edges aside)
    assert abs(int((ink[:, 140] > 128).sum()) - BRUSH_PX) <= 2


def test_drawing_with_the_mouse_predicts_while_drawing_and_after_the_stroke(qtbot, pad):
    pad.set_model(_any_model())
    assert pad.prediction() is None and pad.digit.text() == "–"
    canvas = pad.canvas
    start = QPoint(70, 60)
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for x, y in _line((70, 60), (210, 60))[1:]:
        local = QPointF(x, y)
        QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseMove, local, canvas.mapToGlobal(local),
                                                   Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                                   Qt.KeyboardModifier.NoModifier))
    # the button is still down: the throttled update predicts while drawing
    qtbot.waitUntil(lambda: pad.prediction() is not None, timeout=20 * THROTTLE_MS)
    asked = pad.predictions
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(210, 60))
    assert pad.predictions == asked + 1             # and once more when the stroke ends
    probs = pad.probabilities()
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    assert pad.digit.text() == str(int(np.argmax(probs)))
    assert pad.confidence.text() == f"{probs.max() * 100:.0f}% sure"
    image = pad.model_input()
    assert image.shape == (28, 28) and image.max() == pytest.approx(1.0)
    ink = canvas.array()
    assert ink[60, 140] == 255 and ink[200, 140] == 0     # ink along the path, none far from it


def test_a_pen_draws_like_the_mouse(qtbot, pad):
    pad.set_model(_any_model())
    device = QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                             QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3)
    canvas = pad.canvas

    def send(kind, x, y, pressure, buttons):
        local = QPointF(x, y)
        QApplication.sendEvent(canvas, QTabletEvent(kind, device, local, canvas.mapToGlobal(local), pressure,
                                                    0.0, 0.0, 0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier,
                                                    Qt.MouseButton.LeftButton, buttons))

    points = _line((140, 40), (140, 240))
    send(QEvent.Type.TabletPress, *points[0], 0.6, Qt.MouseButton.LeftButton)
    for x, y in points[1:]:
        send(QEvent.Type.TabletMove, x, y, 0.6, Qt.MouseButton.LeftButton)
    send(QEvent.Type.TabletRelease, *points[-1], 0.0, Qt.MouseButton.NoButton)
    assert canvas.stroke_count() == 1
    assert canvas.array()[140, 140] == 255
    assert pad.prediction() is not None


def test_undo_takes_back_one_stroke_and_clear_wipes_the_pad(qtbot, pad):
    pad.set_model(_any_model())
    assert not pad.undo_button.isEnabled() and not pad.clear_button.isEnabled()
    _drag(pad.canvas, SEVEN[0])
    after_one = pad.canvas.array()
    first_answer = pad.probabilities()
    _drag(pad.canvas, SEVEN[1])
    assert pad.canvas.stroke_count() == 2
    assert not np.array_equal(pad.canvas.array(), after_one)
    qtbot.mouseClick(pad.undo_button, Qt.MouseButton.LeftButton)
    assert pad.canvas.stroke_count() == 1
    np.testing.assert_array_equal(pad.canvas.array(), after_one)
    np.testing.assert_allclose(pad.probabilities(), first_answer, rtol=1e-5)
    qtbot.mouseClick(pad.clear_button, Qt.MouseButton.LeftButton)
    assert pad.canvas.is_empty() and not pad.canvas.array().any()
    assert pad.prediction() is None and pad.model_input() is None     # an empty canvas has no prediction
    assert pad.digit.text() == "–"
    assert not pad.undo_button.isEnabled()


def test_without_a_model_the_pad_says_how_to_get_one_instead_of_guessing(qtbot, window):
    pad = window.mnist.pad
    window.tabs.setCurrentWidget(window.mnist)
    window.mnist.tabs.setCurrentWidget(window.mnist.draw_page)
    assert not pad.has_model()
    assert "mnist-mlp" in pad.notice() and "File > Load trained model" in pad.notice()
    assert pad.train_button.isVisible()
    _drag(pad.canvas, SEVEN[0])
    assert pad.prediction() is None and pad.digit.text() == "?"
    assert pad.model_input() is not None          # the preview still shows what a model would see


def test_a_model_that_does_not_read_digits_is_refused_with_the_reason(train_window, qtbot, window):
    fin = train_window(window, load_preset("xor-mlp").with_overrides({"train.epochs": 5}))
    assert fin.reason == "completed"
    ws = window.mnist
    assert not ws.pad.has_model()
    assert "cannot read digits" in ws.pad.notice() and "2 inputs" in ws.pad.notice()
    assert "not for digits" in ws.summary.text()
    assert ws.confusion.matrix() is None


def test_the_train_button_trains_the_lesson_and_the_pad_gets_the_model(qtbot, window, mnist_root, monkeypatch):
    from desktop.workspaces import mnist as workspace
    # the lesson's own 200 epochs are not the point here
    real = load_preset
    monkeypatch.setattr("trainer.presets.load_preset",
                        lambda name: real(name).with_overrides({"train.epochs": 2}) if name == workspace.LESSON
                        else real(name))
    window.dataset_panel.root.setText(str(mnist_root))
    ws = window.mnist
    with qtbot.waitSignal(window.trainedModelChanged, timeout=TIMEOUT):
        qtbot.mouseClick(ws.pad.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert window.session.experiment.name == "mnist-mlp"
    assert window.session.experiment.data.root == str(mnist_root)
    assert ws.pad.has_model() and ws.pad.notice() == ""


# -- architecture comparison --------------------------------------------------------------------------------
def test_comparison_runs_three_experiments_one_after_another_and_fills_the_table(qtbot, window, mnist_root):
    from trainer.models import build_model, param_count
    comp, view = window.mnist.comparison, window.mnist.comparison_view
    window.dataset_panel.root.setText(str(mnist_root))
    assert view.checked_presets() == ["mnist-small", "mnist-medium", "mnist-deep"]
    view.epochs.setValue(2)
    started: list[str] = []
    comp.runStarted.connect(started.append)
    with qtbot.waitSignal(comp.allDone, timeout=3 * TIMEOUT):
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert started == ["mnist-small", "mnist-medium", "mnist-deep"]
    assert window.trained() is None                       # the playground's model is left alone
    results = comp.results()
    assert [r["experiment"] for r in results] == started
    for r, exp in zip(results, comp.experiments()):
        assert r["params"] == param_count(build_model(exp))
        assert r["epochs"] == 2 and r["reason"] == "completed"
        assert 0 < r["test_acc"] <= 100 and r["best_val_acc"] == max(r["val_acc"])
    rows = view.table_rows()
    assert len(rows) == 3
    assert {row[1] for row in rows} == {f"{r['params']:,}" for r in results}
    # the legend carries test accuracy and parameter count, one curve per run with one point per epoch
    labels = [label.text for _, label in view.legend.items]
    for r in results:
        assert any(f"test {r['test_acc']:.1f}%" in text and f"{r['params']:,} params" in text for text in labels)
    curves = view.plot.getPlotItem().listDataItems()
    assert [len(c.getData()[0]) for c in curves] == [2, 2, 2]
    # sortable: by test accuracy, numerically
    view.table.sortItems(4, Qt.SortOrder.DescendingOrder)
    shown = [float(row[4]) for row in view.table_rows()]
    assert shown == sorted(shown, reverse=True)
    view.table.sortItems(1, Qt.SortOrder.AscendingOrder)
    params = [int(row[1].replace(",", "")) for row in view.table_rows()]
    assert params == sorted(params)


def test_stop_ends_the_comparison_and_cancels_the_rest(qtbot, window, mnist_root):
    comp, view = window.mnist.comparison, window.mnist.comparison_view
    exps = [_mnist(mnist_root, name, epochs=100_000) for name in ("mnist-small", "mnist-medium", "mnist-deep")]
    assert comp.run(exps)

    def epochs_drawn() -> int:
        curves = view.plot.getPlotItem().listDataItems()
        xs = curves[0].getData()[0] if curves else None
        return 0 if xs is None else len(xs)

    qtbot.waitUntil(lambda: epochs_drawn() >= 2, timeout=TIMEOUT)
    with qtbot.waitSignal(comp.allDone, timeout=TIMEOUT):
        qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    results = comp.results()
    assert len(results) == 1 and results[0]["reason"] == "stopped"
    assert results[0]["name"].endswith("(stopped)")
    assert "Stopped after 1 run" in view.status.text()
    assert view.run_button.isEnabled() and not view.stop_button.isEnabled()
    assert not comp.is_running()


def test_closing_the_window_mid_comparison_stops_and_waits_for_its_thread(qtbot, window, mnist_root):
    from desktop.training import running_threads
    comp = window.mnist.comparison
    assert comp.run([_mnist(mnist_root, "mnist-small", epochs=100_000), _mnist(mnist_root, "mnist-deep")])
    qtbot.waitUntil(lambda: len(comp.view.plot.getPlotItem().listDataItems()) == 1, timeout=TIMEOUT)
    window.persist = False
    window.close()
    assert not comp.is_running()
    assert running_threads() == 0
