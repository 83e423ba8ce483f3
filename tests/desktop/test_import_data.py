"""File > Import data… in the window (issue 17): the dialog on CSV files the tests write, the detection
shown and corrected, and every bad file as one message that leaves the experiment as it was."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from trainer.tabular import reader

SPECIES = ("setosa", "versicolor", "virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length")


def rows(n: int = 30, seed: int = 0) -> list[tuple[float, float, float, str]]:
    """Three well-separated groups with text labels, in the file's order."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        k = i % 3
        a, b, c = rng.normal(loc=(1 + 2 * k, 3 - k, 5 * k), scale=0.3)
        out.append((round(a, 2), round(b, 2), round(c, 2), SPECIES[k]))
    return out


def write_table(path, separator: str = ",", header: bool = True, decimal: str = ".", newline: str = "\n",
                data=None) -> str:
    lines = [separator.join((*FEATURES, "species"))] if header else []
    for *values, label in (data if data is not None else rows()):
        cells = [f"{v}".replace(".", decimal) for v in values] + [label]
        lines.append(separator.join(cells))
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return str(path)


def open_dialog(window, qtbot, path):
    dialog = window.tabular.importer.start(path)
    assert dialog is not None, window.dialogs_shown
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    return dialog


@pytest.mark.parametrize("separator,header,decimal", [(",", True, "."), (";", True, ","), ("\t", True, "."),
                                                      (",", False, "."), (";", False, ",")])
def test_each_separator_and_header_is_detected_and_imported(window, qtbot, tmp_path, separator, header, decimal):
    path = write_table(tmp_path / "flowers.csv", separator, header, decimal, newline="\r\n")
    dialog = open_dialog(window, qtbot, path)
    assert dialog.separator.currentData() == separator
    assert dialog.decimal.currentData() == decimal
    assert dialog.header.currentData() is header
    names = (*FEATURES, "species") if header else tuple(f"column {j}" for j in range(1, 5))
    assert dialog.table().names == names
    assert dialog.target.currentText() == names[-1]             # the last column by default
    assert dialog.chosen_features() == names[:3]                 # every other numeric column
    assert dialog.task.currentData() == "classification"         # text labels
    assert not dialog.drop_bad.isChecked()
    assert dialog.preview.rowCount() == 30 and dialog.preview.columnCount() == 4
    assert "3 classes: setosa, versicolor, virginica" in dialog.summary.text()

    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.dialogs_shown == []
    data = window.current_experiment().data
    assert data.name == "csv" and data.features == names[:3]
    assert (data.csv.separator, data.csv.decimal, data.csv.header) == (separator, decimal, header)
    assert data.csv.class_names == SPECIES and data.csv.target == names[-1]
    assert window.dataset_panel.name.currentText().strip() == "flowers.csv (3 features)"
    assert "30 rows" in window.dataset_panel.about.text()
    assert window.title_label.text().strip() == "flowers"


def test_correcting_the_detection_reads_the_file_again(window, qtbot, tmp_path):
    path = write_table(tmp_path / "semi.csv", ";", True, ",")
    dialog = open_dialog(window, qtbot, path)
    assert dialog.detected.text() == "Detected: semicolon-separated, decimal comma, first row is the header"

    dialog.header.setCurrentIndex(dialog.header.findData(False))     # the header read as a data row
    assert dialog.table().names == ("column 1", "column 2", "column 3", "column 4")
    assert dialog.table().n_rows == 31
    assert "not a number" in dialog.summary.text() and "row 1" in dialog.summary.text()

    dialog.header.setCurrentIndex(dialog.header.findData(True))
    dialog.decimal.setCurrentIndex(dialog.decimal.findData("."))     # '5,1' is not a number with a decimal point
    assert "is not a number" in dialog.summary.text() and "row 2" in dialog.summary.text()
    dialog.decimal.setCurrentIndex(dialog.decimal.findData(","))
    assert dialog.chosen_features() == FEATURES
    assert "30 rows · 3 features → 3 classes" in dialog.summary.text()

    dialog.separator.setCurrentIndex(dialog.separator.findData(","))  # the decimal comma too: said
    assert "cannot both be a comma" in dialog.summary.text()
    dialog.separator.setCurrentIndex(dialog.separator.findData("\t"))  # one column: said
    assert "has only one column" in dialog.summary.text()
    dialog.separator.setCurrentIndex(dialog.separator.findData(";"))
    assert dialog.table().names == (*FEATURES, "species")

    # The user's own choices: another target, one feature left out, regression refused for text.
    dialog.target.setCurrentText("petal_length")
    assert dialog.task.currentData() == "regression"
    assert "species" not in dialog.chosen_features()                 # text cannot be a feature
    dialog.set_feature("sepal_width", False)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.dialogs_shown == []
    data = window.current_experiment().data
    assert data.csv.task == "regression" and data.csv.target == "petal_length"
    assert data.features == ("sepal_length",)


def bad_files(tmp_path) -> dict[str, tuple[str, str]]:
    """name -> (path, a piece of the one message it must give)."""
    good = rows()
    files = {}

    def put(name: str, text: str | bytes) -> str:
        p = tmp_path / f"{name}.csv"
        p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(p)

    files["empty"] = (put("empty", ""), "the file is empty")
    files["header only"] = (put("header_only", "a,b,c\n"), "header row but no data rows")
    ragged = write_table(tmp_path / "ragged.csv")
    lines = open(ragged, encoding="utf-8").read().splitlines()
    lines[5] += ",9.9"
    files["ragged row"] = (put("ragged", "\n".join(lines) + "\n"), "row 6: has 5 cells, but the header has 4")
    text = [list(r) for r in good]
    text[6][1] = "abc"
    files["text in a feature"] = (write_table(tmp_path / "text.csv", data=text),
                                  "row 8, column 'sepal_width': 'abc' is not a number")
    nan = [list(r) for r in good]
    nan[3][2] = "NaN"
    files["NaN cell"] = (write_table(tmp_path / "nan.csv", data=nan), "row 5, column 'petal_length': holds 'NaN'")
    inf = [list(r) for r in good]
    inf[4][0] = "inf"
    files["inf cell"] = (write_table(tmp_path / "inf.csv", data=inf), "row 6, column 'sepal_length'")
    empty_cell = [list(r) for r in good]
    empty_cell[2][0] = ""
    files["empty cell"] = (write_table(tmp_path / "gap.csv", data=empty_cell), "row 4, column 'sepal_length': is empty")
    single = [(*r[:3], "setosa") for r in good]
    files["single class"] = (write_table(tmp_path / "single.csv", data=single), "holds a single class ('setosa')")
    many = [(*r[:3], f"label{i}") for i, r in enumerate(rows(120))]
    files["over 100 classes"] = (write_table(tmp_path / "many.csv", data=many),
                                 "120 different values, more than the 100 classes")
    files["binary"] = (put("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), "is a binary file")
    return files


@pytest.mark.parametrize("kind", ["empty", "header only", "ragged row", "text in a feature", "NaN cell", "inf cell",
                                  "empty cell", "single class", "over 100 classes", "binary", "too large"])
def test_each_bad_file_gives_one_message_and_changes_nothing(window, qtbot, tmp_path, monkeypatch, kind):
    before = window.current_experiment()
    if kind == "too large":
        path, expected = write_table(tmp_path / "big.csv"), "too large"
        monkeypatch.setattr(reader, "MAX_FILE_BYTES", 100)
    else:
        path, expected = bad_files(tmp_path)[kind]
    dialog = window.tabular.importer.start(path)
    if dialog is not None:                   # readable as a table: the problem is in its cells
        qtbot.waitUntil(dialog.isVisible, timeout=5000)
        assert not dialog.ok_button.isEnabled()   # Import waits for a choice that makes the file usable
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and window.dialogs_shown == []   # the dialog stays, the summary says why
        text = dialog.summary.text()
        dialog.reject()
    else:                                    # not a table at all: one message, no dialog
        assert len(window.dialogs_shown) == 1, window.dialogs_shown
        title, text = window.dialogs_shown[0]
        assert title == "Cannot import the data"
    assert expected in text and str(path) in text
    assert "\n" not in text and "Traceback" not in text
    if kind == "too large":
        assert "the limit is 0.0 MB" in text and "in memory" in text   # says the limit and why
    assert window.current_experiment() == before


def test_text_in_a_number_column_is_marked_shown_and_blocks_import_until_left_out(window, qtbot, tmp_path):
    data = [list(r) for r in rows(60)]
    data[19][1] = "abc"                      # file line 21 (the header is line 1)
    dialog = open_dialog(window, qtbot, write_table(tmp_path / "plants.csv", data=data))
    dialog.resize(760, 640)
    qtbot.wait(50)
    item = next(dialog.features.item(i) for i in range(dialog.features.count())
                if dialog.features.item(i).data(Qt.ItemDataRole.UserRole) == "sepal_width")
    assert "(numbers" not in item.text() and "text in row 21: 'abc'" in item.text() and "not usable" in item.text()
    assert "row 21, column 'sepal_width': 'abc' is not a number" in dialog.summary.text()
    assert not dialog.ok_button.isEnabled()
    preview = dialog.preview                 # the preview scrolled to the offending cell, marked
    row = [preview.verticalHeaderItem(r).text() for r in range(preview.rowCount())].index("21")
    cell = preview.item(row, 1)
    assert preview.viewport().rect().intersects(preview.visualItemRect(cell))
    assert preview.rowAt(0) > 0              # scrolled: line 2 is no longer the first row shown
    assert cell.background().color() != preview.item(row, 0).background().color()
    dialog.set_feature("sepal_width", False)  # leave the column out: the file is usable
    assert dialog.ok_button.isEnabled() and "60 rows · 2 features" in dialog.summary.text()
    dialog.set_feature("sepal_width", True)
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_drop_rows_option_imports_a_file_with_missing_cells(window, qtbot, tmp_path):
    data = [list(r) for r in rows()]
    data[3][2] = "NaN"
    data[7][0] = ""
    dialog = open_dialog(window, qtbot, write_table(tmp_path / "gaps.csv", data=data))
    dialog.drop_bad.setChecked(True)
    assert "28 rows (2 dropped)" in dialog.summary.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.dialogs_shown == []
    assert window.current_experiment().data.csv.drop_bad_rows
    assert window.dataset_panel.error_text() == ""


def test_import_is_in_the_file_menu_and_the_dataset_dock(window, monkeypatch):
    from desktop.window_api import TabularHost
    assert isinstance(window, TabularHost)
    titles = [a.text() for a in window.file_menu.actions()]
    assert titles.index("&Import data…") == titles.index("&Open experiment…") + 1
    asked = []
    monkeypatch.setattr(window.tabular.importer, "_ask", lambda: asked.append(1))   # cancelled
    window.dataset_panel.import_button.click()
    window.tabular.importer.action.trigger()
    assert asked == [1, 1] and window.dialogs_shown == []
