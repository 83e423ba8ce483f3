"""Reading the user's CSV / TSV / semicolon files (trainer/tabular/reader.py, choose.py): each dialect is
detected, defaults are chosen as the issue says, and every bad file is one message naming file, row, column."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.tabular.choose import default_features, select, to_arrays
from trainer.tabular.errors import TableError
from trainer.tabular.reader import Dialect, read_table, sniff

FUZZ = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Twelve flowers of three kinds: four measurements and a text label.
FLOWERS = [(5.1, 3.5, 1.4, 0.2, "setosa"), (4.9, 3.0, 1.4, 0.2, "setosa"), (4.7, 3.2, 1.3, 0.2, "setosa"),
           (4.6, 3.1, 1.5, 0.2, "setosa"), (7.0, 3.2, 4.7, 1.4, "versicolor"), (6.4, 3.2, 4.5, 1.5, "versicolor"),
           (6.9, 3.1, 4.9, 1.5, "versicolor"), (5.5, 2.3, 4.0, 1.3, "versicolor"), (6.3, 3.3, 6.0, 2.5, "virginica"),
           (5.8, 2.7, 5.1, 1.9, "virginica"), (7.1, 3.0, 5.9, 2.1, "virginica"), (6.5, 3.0, 5.8, 2.2, "virginica")]
HEADER = ("sepal length", "sepal width", "petal length", "petal width", "species")


def write(tmp_path, text: str | bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def flowers_text(sep: str = ",", decimal: str = ".", header: bool = True, newline: str = "\n",
                 bom: bool = False) -> str:
    lines = [sep.join(HEADER)] if header else []
    for row in FLOWERS:
        lines.append(sep.join([str(v).replace(".", decimal) for v in row[:4]] + [row[4]]))
    return ("\ufeff" if bom else "") + newline.join(lines) + newline


@pytest.mark.parametrize("sep, decimal", [(",", "."), (";", ","), (";", "."), ("\t", "."), ("\t", ",")],
                         ids=["comma", "semicolon-decimal-comma", "semicolon", "tab", "tab-decimal-comma"])
@pytest.mark.parametrize("header", [True, False], ids=["header", "no-header"])
@pytest.mark.parametrize("newline, bom", [("\n", False), ("\r\n", True)], ids=["lf", "crlf-bom"])
def test_each_dialect_is_detected_and_read_the_same(tmp_path, sep, decimal, header, newline, bom):
    path = write(tmp_path, flowers_text(sep, decimal, header, newline, bom))
    dialect = sniff(path)
    assert dialect == Dialect(sep, decimal, header)
    table = read_table(path, dialect)
    assert table.n_rows == 12
    assert table.names == (HEADER if header else tuple(f"column {j}" for j in range(1, 6)))
    assert table.lines[0] == (2 if header else 1) and table.rows[0][0] == str(5.1).replace(".", decimal)
    sel = select(table)   # the defaults: the last column, every other numeric one, text -> classes
    assert sel.target == table.names[-1] and sel.features == table.names[:4]
    assert sel.task == "classification" and sel.class_names == ("setosa", "versicolor", "virginica")
    x, y, lines = to_arrays(table, sel)
    assert np.allclose(x, [row[:4] for row in FLOWERS]) and y.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert "first row is the header" in dialect.describe() or not header


def test_a_corrected_dialect_reads_what_the_guess_did_not(tmp_path):
    path = write(tmp_path, flowers_text(";", ","))
    wrong = read_table(path, Dialect(";", ".", True))      # '5,1' is text with a decimal point
    assert not wrong.column("sepal length").numeric and default_features(wrong, "species") == ()
    right = read_table(path, Dialect(";", ",", True))
    assert right.column("sepal length").numeric and not right.column("sepal length").integer


def test_whole_numbers_with_few_values_are_classes_and_many_values_a_regression(tmp_path):
    rows = "\n".join(f"{i * 0.5},{i % 3}" for i in range(30))
    table = read_table(write(tmp_path, "x,grade\n" + rows + "\n"))
    sel = select(table)
    assert sel.task == "classification" and sel.class_names == ("0", "1", "2")
    rows = "\n".join(f"{i * 0.5},{i * 7}" for i in range(30))      # 30 distinct whole numbers
    assert select(read_table(write(tmp_path, "x,price\n" + rows + "\n"))).task == "regression"
    rows = "\n".join(f"{i * 0.5},{i * 0.25}" for i in range(30))
    assert select(read_table(write(tmp_path, "x,y\n" + rows + "\n"))).task == "regression"
    rows = "\n".join(f"{i},{i % 3}" for i in range(30))
    forced = select(read_table(write(tmp_path, "x,grade\n" + rows + "\n")), task="regression")
    assert forced.task == "regression" and forced.class_names == ()   # the user's choice wins


def test_numeric_labels_are_ordered_as_numbers_and_named_without_a_trailing_zero(tmp_path):
    rows = "\n".join(f"{i},{[2, 10, 1.0][i % 3]}" for i in range(12))
    sel = select(read_table(write(tmp_path, "x,label\n" + rows + "\n")))
    assert sel.class_names == ("1", "2", "10")


def test_chosen_target_and_features(tmp_path):
    table = read_table(write(tmp_path, flowers_text()))
    sel = select(table, target="petal width", features=["sepal length", "petal length"])
    assert sel.features == ("sepal length", "petal length") and sel.task == "regression"


# -- bad files: one line naming the file, the row and the column --------------------------------

def error(path, dialect=None, **choose) -> str:
    with pytest.raises(TableError) as info:
        table = read_table(path, dialect)
        drop = choose.pop("drop_bad_rows", False)
        to_arrays(table, select(table, **choose), drop)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_empty_file(tmp_path):
    assert error(write(tmp_path, "")).endswith(": the file is empty")
    assert error(write(tmp_path, "\n\r\n  \n")).endswith(": the file is empty")


def test_header_only(tmp_path):
    assert error(write(tmp_path, "a,b,label\n")).endswith("has a header row but no data rows")


def test_ragged_row_names_its_row(tmp_path):
    text = flowers_text().splitlines()
    text[5] += ",9.9"
    assert "row 6: has 6 cells, but the header has 5" in error(write(tmp_path, "\n".join(text)))


def test_text_in_a_feature_column_names_row_and_column(tmp_path):
    lines = flowers_text().splitlines()
    lines[3] = lines[3].replace("4.7", "4.7cm", 1)
    message = error(write(tmp_path, "\n".join(lines)), features=list(HEADER[:4]))
    assert "row 4, column 'sepal length': '4.7cm' is not a number" in message


@pytest.mark.parametrize("cell, shown", [("", "is empty"), ("NaN", "holds 'NaN'"), ("inf", "holds 'inf'"),
                                         ("-Infinity", "holds '-Infinity'"), ("NA", "holds 'NA'")])
def test_missing_and_infinite_cells_are_refused_or_dropped_when_asked(tmp_path, cell, shown):
    lines = flowers_text().splitlines()
    lines[7] = lines[7].replace("1.5", cell, 1)   # petal width of line 8
    path = write(tmp_path, "\n".join(lines))
    message = error(path)
    assert f"row 8, column 'petal width': {shown}" in message and "drop such rows" in message
    table = read_table(path)
    x, y, lines_kept = to_arrays(table, select(table), drop_bad_rows=True)
    assert len(x) == 11 and 8 not in lines_kept and np.isfinite(x).all()


def test_a_single_class(tmp_path):
    rows = "\n".join(f"{i},{i * 2},yes" for i in range(12))
    message = error(write(tmp_path, "a,b,answer\n" + rows))
    assert "column 'answer': holds a single class ('yes'); a classifier needs at least two" in message


def test_more_than_100_classes(tmp_path):
    rows = "\n".join(f"{i},{i * 2},name{i}" for i in range(150))
    message = error(write(tmp_path, "a,b,who\n" + rows))
    assert "column 'who': has 150 different values, more than the 100 classes" in message
    rows = "\n".join(f"{i},{i * 2},{i}" for i in range(150))
    assert "choose regression" in error(write(tmp_path, "a,b,n\n" + rows), task="classification")


def test_a_target_that_does_not_exist(tmp_path):
    message = error(write(tmp_path, flowers_text()), target="colour")
    assert "no column 'colour'; the columns are 'sepal length'" in message


def test_regression_on_text_names_the_cell(tmp_path):
    assert "row 2, column 'species': 'setosa' is not a number" in error(write(tmp_path, flowers_text()),
                                                                        task="regression")


@pytest.mark.parametrize("data, words", [
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "zip file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text (a NUL byte at byte 8)"),
    ("a,b\n1,2\n".encode("utf-16"), "UTF-16"),
    (b"a,b,c\n1,2,caf\xe9\n", "row 2: is not UTF-8 text (byte 0xe9 at byte 13)"),
])
def test_binary_and_foreign_files(tmp_path, data, words):
    assert words in error(write(tmp_path, data))


def test_a_file_too_large_for_the_machine_says_the_limit_and_why(tmp_path, monkeypatch):
    from trainer.tabular import reader
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 100)
    message = error(write(tmp_path, flowers_text()))
    assert "too large: 0.0 MB, the limit is 0.0 MB" in message and "in memory" in message
    limit, why = reader.size_limit()
    assert limit <= 100 and why


def test_one_column_and_missing_files(tmp_path):
    assert "only one column" in error(write(tmp_path, "x\n1\n2\n3\n"))
    assert error(tmp_path / "nowhere.csv").endswith("nowhere.csv: no such file")
    assert error(tmp_path).endswith("is a folder, not a file")


def test_too_few_rows(tmp_path):
    assert "has 4 usable rows; at least 10" in error(write(tmp_path, "a,b\n1,0\n2,1\n3,0\n4,1\n"))


# -- fuzz: any bytes are a table or a TableError, never anything else -----------------------------

@st.composite
def damaged_tables(draw):
    data = flowers_text(draw(st.sampled_from([",", ";", "\t"])), draw(st.sampled_from([".", ","])),
                        draw(st.booleans()), draw(st.sampled_from(["\n", "\r\n"]))).encode("utf-8")
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
        i = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:i]
        elif op == "flip" and i < len(data):
            data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
        elif op == "insert":
            data = data[:i] + draw(st.sampled_from([b",", b";", b"\t", b'"', b"\n", b"nan", b"x", b"\x00", b"\xff"])
                                   | st.binary(max_size=6)) + data[i:]
        else:
            data = data[:i] + data[i + draw(st.integers(1, 20)):]
    return data


@FUZZ
@given(data=damaged_tables() | st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_file_is_a_table_or_one_table_error(data, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "fuzzed.csv"
    path.write_bytes(data)
    try:
        table = read_table(path)
        sel = select(table)
        x, y, lines = to_arrays(table, sel, drop_bad_rows=True)
    except TableError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message and len(message) < 2000
        return
    assert x.shape == (len(y), len(sel.features)) and np.isfinite(x).all()
    assert all(math.isfinite(v) for v in y.tolist())
