"""Tables in the window (issue 17): a real dataset chosen in the Dataset dock trains through the window,
and the views for more than two inputs show (the plane picker, the regression scatter, the worst rows,
class names); a CSV experiment whose file moved is reported on open; a CSV model saves, loads and exports."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

SPECIES = ("setosa", "versicolor", "virginica")


def write_table(path: Path, separator: str = ",", decimal: str = ".") -> str:
    """30 rows of three well-separated species (text labels) under a header, as a spreadsheet saves them."""
    rng = np.random.default_rng(0)
    lines = [separator.join(("sepal_length", "sepal_width", "petal_length", "species"))]
    for i in range(30):
        k = i % 3
        values = rng.normal(loc=(1 + 2 * k, 3 - k, 5 * k), scale=0.3).round(2)
        lines.append(separator.join([f"{v}".replace(".", decimal) for v in values] + [SPECIES[k]]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def open_dialog(window, qtbot, path: str):
    dialog = window.tabular.importer.start(path)
    assert dialog is not None, window.dialogs_shown
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog


def choose_dataset(window, qtbot, name: str, epochs: int = 40) -> None:
    """Pick a dataset in the Dataset dock as a user does, with a short run."""
    combo = window.dataset_panel.name
    combo.setCurrentIndex(combo.findData(name))
    qtbot.waitUntil(lambda: window.current_experiment().data.name == name, timeout=5000)
    box = window.optimizer_panel.epochs
    box.setValue(epochs)
    qtbot.waitUntil(lambda: window.revalidate() is not None and window.current_experiment().train.epochs == epochs,
                    timeout=5000)
    qtbot.waitUntil(window.tabular.results.showing, timeout=10_000)   # the table's tabs follow the dock


def visible_tabs(window) -> list[str]:
    tabs = window.plane_tabs
    return [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabVisible(i)]


def test_iris_from_the_dock_trains_and_shows_its_plane_classes_and_worst_rows(window, qtbot, train_window):
    choose_dataset(window, qtbot, "iris", epochs=60)
    panel = window.dataset_panel
    assert "150 iris flowers" in panel.about.text()
    for hidden in (panel.samples, panel.noise, panel.classes, panel.extra_row):   # a table's rows are given
        assert not panel.form.isRowVisible(hidden)
    results = window.tabular.results
    assert "Decision boundary" not in visible_tabs(window)   # no clicking points into a table
    assert {"Data plane", "Confusion matrix", "Worst test rows"} <= set(visible_tabs(window))
    assert "Predicted vs actual" not in visible_tabs(window)
    assert window.plane_tabs.currentWidget() is results.plane
    labels = [results.plane.picker.itemText(i) for i in range(results.plane.picker.count())]
    assert labels[0] == "First two principal components" and len(labels) == 1 + 6   # + each pair of 4 features
    untrained = results.plane.plane()
    assert untrained is not None and untrained.points.shape == (150, 2)

    fin = train_window(window)
    assert fin.metrics["test_accuracy"] > 80
    qtbot.waitUntil(lambda: results.worst.table.rowCount() > 0, timeout=10_000)
    plane = results.plane.plane()
    assert plane.axis_labels[0].startswith("PC 1")
    assert "training means" in plane.note and "training means" in results.plane.plot.titleLabel.text
    assert "setosa" in results.plane.legend.text() and "virginica" in results.plane.legend.text()

    results.plane.choose("petal length (cm) × petal width (cm)")
    plane = results.plane.plane()
    assert plane.axis_labels == ("petal length (cm)", "petal width (cm)")
    assert "the other 2 inputs held at their training means" in results.plane.note.text()
    sizes = window.dataset_panel.sizes.text()     # the dock's small preview does not claim to be this plane
    assert "this preview: principal components 1 and 2" in sizes and "Data plane tab" in sizes
    np.testing.assert_allclose(plane.points[:, 1].min(), 0.1, atol=1e-5)     # petal width in cm, as in the data
    np.testing.assert_allclose(plane.points[:, 1].max(), 2.5, atol=1e-5)
    assert plane.probabilities.shape[2] == 3

    assert results.confusion.class_names() == SPECIES
    cm = results.confusion.matrix()
    assert cm.sum() == 22 and np.trace(cm) == round(fin.metrics["test_accuracy"] * 22 / 100)
    assert "test rows of class setosa" in results.confusion.describe(0, 0)
    assert "test set" in results.confusion.title().lower()              # it says which rows it counts
    assert [results.confusion.row_label(i) for i in range(3)] == list(SPECIES)   # no name cut ("versic…")
    table = results.worst
    assert table.cell_text(0, "actual") in SPECIES
    assert table.cell_text(0, "predicted").lstrip("✗ ") in SPECIES
    assert float(table.cell_text(0, "petal length (cm)")) > 0.5   # the value as in the data, not standardised
    assert window.network._classes == SPECIES


def test_diabetes_regression_gets_the_predicted_vs_actual_scatter(window, qtbot, train_window):
    choose_dataset(window, qtbot, "diabetes", epochs=40)
    results = window.tabular.results
    assert "Predicted vs actual" in visible_tabs(window) and "Confusion matrix" not in visible_tabs(window)
    fin = train_window(window)
    qtbot.waitUntil(lambda: results.scatter.values() is not None, timeout=10_000)
    actual, predicted = results.scatter.values()
    assert len(actual) == len(predicted) == 66
    assert 25 <= actual.min() and actual.max() <= 346             # disease progression, in its own units
    np.testing.assert_allclose(np.sqrt(np.mean((predicted - actual) ** 2)), fin.metrics["test_rmse"], rtol=1e-4)
    assert f"RMSE {fin.metrics['test_rmse']:.4g}" in results.scatter.summary.text()
    assert results.plane.plane().values is not None                # the plane shows the predicted number
    assert results.worst.cell_text(0, "error") != ""
    # The curves are on the standardised target; the status bar's test MSE is in the target's units.
    assert "standardised target" in window.curves.loss_plot.getAxis("left").labelText
    assert "test MSE" in window.status_text() and "in the target's units" in window.status_text()


def test_a_csv_with_text_labels_trains_keeps_its_names_saves_loads_and_exports(window, qtbot, train_window, tmp_path):
    path = write_table(tmp_path / "flowers.csv", ";", ",")
    dialog = open_dialog(window, qtbot, path)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    exp = window.current_experiment()
    window.apply_experiment(replace(exp, train=replace(exp.train, epochs=80, patience=0, device="cpu")))
    fin = train_window(window)
    results = window.tabular.results
    qtbot.waitUntil(lambda: results.worst.table.rowCount() > 0, timeout=10_000)
    assert results.confusion.class_names() == SPECIES
    assert results.worst.cell_text(0, "row").isdigit() and int(results.worst.cell_text(0, "row")) >= 2   # file lines
    assert "line in the file" in results.worst.caption.text()

    # Save the trained model, forget it, load it back: its results come back.
    saved = tmp_path / "flowers.pt"
    assert window.files.save_model(saved)
    window.reset()
    qtbot.waitUntil(lambda: results.worst.table.rowCount() == 0, timeout=5000)
    assert window.files.load_model(saved)
    qtbot.waitUntil(lambda: results.worst.table.rowCount() > 0, timeout=10_000)
    assert window.current_experiment().data == exp.data
    np.testing.assert_array_equal(results.confusion.matrix(), fin.metrics["confusion"])

    # The Code panel and File > Export script: the script takes the CSV's path and gives the same test accuracy.
    window.lessons.code_panel.refresh()
    assert "sys.argv" in window.lessons.code_panel.text() or "argparse" in window.lessons.code_panel.text()
    script = window.lessons.export_script(tmp_path / "flowers_script.py")
    assert script is not None and window.dialogs_shown == []
    env = {**os.environ, "PYTHONPATH": ""}
    proc = subprocess.run([sys.executable, str(script), path], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"Test accuracy: {fin.metrics['test_accuracy']:.2f}%" in proc.stdout


def test_opening_an_experiment_whose_csv_moved_or_changed_says_which_and_locates_it(window, qtbot, tmp_path,
                                                                                    monkeypatch):
    from desktop import dialogs
    path = write_table(tmp_path / "flowers.csv")
    dialog = open_dialog(window, qtbot, path)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    saved = tmp_path / "flowers.json"
    assert window.files.save_experiment(saved)
    moved = tmp_path / "elsewhere" / "flowers.csv"
    moved.parent.mkdir()
    shutil.move(path, moved)

    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask", lambda parent, title, text, yes, no: asked.append(text) or True)
    monkeypatch.setattr(window.files, "ask_path", lambda *args, **kwargs: moved)
    assert window.files.open_experiment(saved)
    assert len(asked) == 1 and "is not there any more" in asked[0] and path in asked[0]
    assert window.current_experiment().data.csv.path == str(moved.resolve())
    assert window.dataset_panel.error_text() == ""

    # The file changed since: said as such; declined, the experiment opens and the dock says why it cannot train.
    saved_again = tmp_path / "flowers2.json"
    assert window.files.save_experiment(saved_again)
    moved.write_text(moved.read_text(encoding="utf-8").replace("setosa", "setosa2", 1), encoding="utf-8")
    monkeypatch.setattr(dialogs, "ask", lambda parent, title, text, yes, no: asked.append(text) and False)
    window.load_lesson("spiral")   # another experiment in between, as after a restart
    assert window.files.open_experiment(saved_again)
    assert len(asked) == 2 and "changed since the experiment was made" in asked[1]
    assert "changed since the experiment was made" in window.dataset_panel.error_text()
    assert json.loads(saved_again.read_text())["data"]["csv"]["path"] == str(moved.resolve())
