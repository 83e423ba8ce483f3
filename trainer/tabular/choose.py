"""Which columns a model learns from and what it predicts: `select` (with the defaults the import dialog
shows) and `to_arrays` (the chosen columns as numbers, every bad cell named).

Defaults: the target is the last column; the features are every other mostly-numeric column; the
task is classification when the target holds text or at most AUTO_CLASSES_UP_TO distinct whole
numbers, else regression. Class labels keep their names, ordered as numbers when they are numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import AUTO_CLASSES_UP_TO, MAX_CLASSES, TASKS
from .errors import TableError
from .reader import Table, cell_kind, label_text, parse_number

MIN_ROWS = 10   # fewer rows than this cannot be split into training, validation and test rows


@dataclass(frozen=True)
class Selection:
    """What to learn: the target column, the feature columns (in the file's order), the task, and
    for classification the class names (class i is class_names[i])."""
    target: str
    features: tuple[str, ...]
    task: str                           # "classification" | "regression"
    class_names: tuple[str, ...] = ()


def default_target(table: Table) -> str:
    return table.names[-1]


def default_features(table: Table, target: str) -> tuple[str, ...]:
    """Every other column that holds mostly numbers."""
    return tuple(c.name for c in table.columns if c.name != target and c.numeric)


def detect_task(table: Table, target: str) -> str:
    """classification for text or at most AUTO_CLASSES_UP_TO distinct whole numbers, else regression."""
    col = table.column(target)
    if not col.numeric or (col.integer and col.distinct <= AUTO_CLASSES_UP_TO):
        return "classification"
    return "regression"


def select(table: Table, target: str | None = None, features: tuple[str, ...] | list[str] | None = None,
           task: str | None = None) -> Selection:
    """The selection with defaults filled in and checked: a TableError names the column at fault."""
    target = default_target(table) if target is None else target
    col = table.column(target)
    features = default_features(table, target) if features is None else tuple(features)
    for name in features:
        table.column(name)
        if name == target:
            raise TableError(table.path, "is the target; it cannot also be a feature", column=target)
    if not features:
        raise TableError(table.path, "no feature column: choose at least one column of numbers besides the target "
                                     f"{target!r}")
    if len(set(features)) != len(features):
        raise TableError(table.path, "a feature column is chosen twice")
    features = tuple(n for n in table.names if n in features)   # the file's order
    task = detect_task(table, target) if task is None else task
    if task not in TASKS:
        raise TableError(table.path, f"unknown task {task!r}; choose classification or regression")
    if task == "regression":
        if col.texts:
            line, cell = col.first_text
            raise TableError(table.path, f"{cell!r} is not a number; regression predicts a number "
                                         "(choose classification for labels)", row=line, column=target)
        return Selection(target, features, task)
    return Selection(target, features, task, _class_names(table, target))


def _class_names(table: Table, target: str) -> tuple[str, ...]:
    col = table.column(target)
    dec = table.dialect.decimal
    labels = {label_text(row[col.index], dec) for row in table.rows if cell_kind(row[col.index], dec) != "missing"}
    if len(labels) > MAX_CLASSES:
        hint = "choose regression if it is a measurement" if col.numeric else "is it an identifier column?"
        raise TableError(table.path, f"has {len(labels)} different values, more than the {MAX_CLASSES} classes a "
                                     f"classifier here takes; {hint}", column=target)
    if len(labels) < 2:
        only = f" ({next(iter(labels))!r})" if labels else ""
        raise TableError(table.path, f"holds a single class{only}; a classifier needs at least two", column=target)
    if all(parse_number(v) is not None for v in labels):
        return tuple(sorted(labels, key=lambda v: float(v)))
    return tuple(sorted(labels))


def to_arrays(table: Table, selection: Selection,
              drop_bad_rows: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x float64 (N, features), y, lines int64 (N,)): y holds class indices (int64) or numbers (float64).

    A missing, NaN or infinite cell is an error naming its row and column, unless `drop_bad_rows`;
    text in a feature column, or a label that is not one of the selection's classes, always is.
    """
    dec = table.dialect.decimal
    feats = [table.column(n) for n in selection.features]
    tcol = table.column(selection.target)
    index = {name: i for i, name in enumerate(selection.class_names)}
    xs: list[list[float]] = []
    ys: list[float] = []
    lines: list[int] = []
    for line, row in zip(table.lines, table.rows):
        values, bad = [], None
        for col in feats:
            cell = row[col.index]
            kind = cell_kind(cell, dec)
            if kind == "text":
                raise TableError(table.path, f"{cell!r} is not a number; a feature column must hold numbers "
                                             "(leave the column out, or fix the cell)", row=line, column=col.name)
            if kind == "missing":
                bad = bad or (col.name, cell)
                continue
            values.append(parse_number(cell, dec))
        cell = row[tcol.index]
        kind = cell_kind(cell, dec)
        if kind == "missing":
            bad = bad or (tcol.name, cell)
        if bad is not None:
            if drop_bad_rows:
                continue
            what = "is empty" if not bad[1] else f"holds {bad[1]!r}, not a finite number"
            raise TableError(table.path, f"{what}; fix the cell, or choose to drop such rows", row=line,
                             column=bad[0])
        if selection.task == "classification":
            label = label_text(cell, dec)
            if label not in index:
                raise TableError(table.path, f"the label {label!r} is not one of the classes "
                                             f"({', '.join(selection.class_names[:10])}"
                                             f"{', ...' if len(selection.class_names) > 10 else ''})",
                                 row=line, column=tcol.name)
            ys.append(index[label])
        else:
            if kind == "text":
                raise TableError(table.path, f"{cell!r} is not a number; regression predicts a number",
                                 row=line, column=tcol.name)
            ys.append(parse_number(cell, dec))
        xs.append(values)
        lines.append(line)
    if len(xs) < MIN_ROWS:
        dropped = f" after dropping {table.n_rows - len(xs)} rows with missing values" if drop_bad_rows else ""
        raise TableError(table.path, f"has {len(xs)} usable rows{dropped}; at least {MIN_ROWS} are needed "
                                     "to train, validate and test")
    y = np.array(ys, dtype=np.int64 if selection.task == "classification" else np.float64)
    if selection.task == "classification" and len(np.unique(y)) < 2:
        only = selection.class_names[int(y[0])]
        raise TableError(table.path, f"holds a single class ({only!r}) in the rows used; a classifier needs "
                                     "at least two", column=tcol.name)
    return np.array(xs, dtype=np.float64).reshape(len(xs), len(feats)), y, np.array(lines, dtype=np.int64)


__all__ = ["Selection", "MIN_ROWS", "select", "default_target", "default_features", "detect_task", "to_arrays"]
