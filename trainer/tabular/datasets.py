"""Tabular data as Splits: scikit-learn's real datasets and the user's CSV files (data.name "csv").

The recipe is the generated datasets' (trainer/data.py): rows permuted with RandomState(data.seed),
then cut train | validation | test. Then, when data.standardize, each feature (and a regression
target) is standardised with the mean and std of the training rows only, so nothing about the
validation or test rows leaks into training. The exported script repeats these steps line for line.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..config import CsvSpec, DataSpec
from ..splits import Splits
from .catalog import CSV, REAL_DATASETS
from .choose import MIN_ROWS, Selection, select, to_arrays
from .errors import TableError
from .reader import Dialect, Table, read_table


def is_tabular(spec: DataSpec) -> bool:
    return spec.name == CSV or spec.name in REAL_DATASETS


def load_tabular(spec: DataSpec) -> Splits:
    """The dataset `spec` names, split and standardised."""
    if spec.name == CSV:
        x, y, rows, features, classes, task = csv_arrays(spec)
    else:
        x, y, rows, features, classes, task = real_arrays(spec)
    return split(spec, x, y, rows, features, classes, task)


# -- scikit-learn ------------------------------------------------------------------------

def real_arrays(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...], str]:
    """(x float64, y, row numbers, feature names, class names, task) of a scikit-learn dataset."""
    import sklearn.datasets   # seconds to import: only when one of its sets is used
    info = REAL_DATASETS[spec.name]
    kwargs = {"scaled": False} if spec.name == "diabetes" else {}   # the file's own units (years, mm Hg...)
    bunch = getattr(sklearn.datasets, info.loader)(**kwargs)
    names = tuple(str(n) for n in bunch.feature_names)
    x = np.asarray(bunch.data, dtype=np.float64)
    columns = feature_columns(spec.name, names, spec.features)
    y = np.asarray(bunch.target, dtype=np.float64 if info.task == "regression" else np.int64)
    return (x[:, columns], y, np.arange(len(y), dtype=np.int64), tuple(names[j] for j in columns),
            info.class_names, info.task)


def feature_columns(name: str, names: tuple[str, ...], chosen: tuple[str, ...]) -> list[int]:
    """Indices of the chosen features (all when none are chosen), in the dataset's order."""
    if not chosen:
        return list(range(len(names)))
    from ..config import ConfigError
    for feature in chosen:
        if feature not in names:
            raise ConfigError("data.features", f"{name} has no feature {feature!r}; it has {', '.join(names)}")
    return [j for j, n in enumerate(names) if n in chosen]


def real_feature_names(name: str) -> tuple[str, ...]:
    """The feature names of a scikit-learn dataset (imports scikit-learn)."""
    return real_arrays(DataSpec(name=name))[3]


# -- the user's file ----------------------------------------------------------------------

def dialect_of(spec: CsvSpec) -> Dialect:
    return Dialect(spec.separator, spec.decimal, spec.header)


def selection_of(spec: DataSpec) -> Selection:
    return Selection(spec.csv.target, spec.features, spec.csv.task, spec.csv.class_names)


def csv_arrays(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...], str]:
    """(x float64, y, file lines, feature names, class names, task) of data.csv's file.

    A file that changed since the experiment was made (its SHA-256 differs) is refused: training on
    other numbers would not be the experiment any more. trainer.tabular.provenance says which.
    """
    c = spec.csv
    table = read_table(c.path, dialect_of(c))
    if c.sha256 and table.sha256 != c.sha256:
        raise TableError(c.path, "changed since the experiment was made (its SHA-256 differs); "
                                 "import it again, or give the original file")
    table.column(c.target)
    x, y, lines = to_arrays(table, selection_of(spec), c.drop_bad_rows)
    return x, y, lines, spec.features, c.class_names, c.task


def csv_data_spec(table: Table, selection: Selection, base: DataSpec | None = None,
                  drop_bad_rows: bool = False) -> DataSpec:
    """The DataSpec that trains on `table` as `selection` says: path, SHA-256, dialect and columns stored.

    `base` keeps its split fractions, seed and standardize setting. The file is checked here, whole,
    so a bad cell is reported when the user imports it, not when training starts.
    """
    base = base or DataSpec()
    to_arrays(table, selection, drop_bad_rows)
    csv = CsvSpec(path=str(Path(table.path).expanduser().resolve()), sha256=table.sha256,
                  separator=table.dialect.separator, decimal=table.dialect.decimal, header=table.dialect.header,
                  target=selection.target, task=selection.task, class_names=selection.class_names,
                  drop_bad_rows=drop_bad_rows)
    spec = replace(base, name=CSV, features=selection.features, csv=csv, extra_points=())
    check_split(spec, table.n_rows)
    return spec


def spec_for_file(path: str, target: str | None = None, base: DataSpec | None = None,
                  features: tuple[str, ...] | None = None, task: str | None = None,
                  dialect: Dialect | None = None, drop_bad_rows: bool = False) -> DataSpec:
    """Read, detect and choose with the defaults (what `python -m trainer run --data-file` does)."""
    table = read_table(path, dialect)
    return csv_data_spec(table, select(table, target, features, task), base, drop_bad_rows)


# -- split and standardise -------------------------------------------------------------------

def split_sizes(spec: DataSpec, n: int) -> tuple[int, int, int]:
    n_test = int(n * spec.test_fraction)
    n_val = int(n * spec.val_fraction)
    return n - n_val - n_test, n_val, n_test


def check_split(spec: DataSpec, n: int) -> None:
    """Every part the fractions ask for gets at least one row (an empty validation set has no loss)."""
    n_train, n_val, n_test = split_sizes(spec, n)
    name = spec.csv.path if spec.csv is not None else spec.name
    for part, size, fraction in (("validation", n_val, spec.val_fraction), ("test", n_test, spec.test_fraction)):
        if fraction > 0 and size == 0:
            raise TableError(name, f"{n} rows leave no {part} row at {fraction:.0%}; add rows or raise "
                                   f"data.{'val' if part == 'validation' else 'test'}_fraction")
    if n_train < max(2, MIN_ROWS // 2):
        raise TableError(name, f"{n} rows leave only {n_train} for training")


def split(spec: DataSpec, x: np.ndarray, y: np.ndarray, rows: np.ndarray, features: tuple[str, ...],
          classes: tuple[str, ...], task: str) -> Splits:
    """Permute, cut train | validation | test, standardise with the training rows' statistics."""
    n = len(y)
    check_split(spec, n)
    idx = np.random.RandomState(spec.seed).permutation(n)
    x, y, rows = x[idx], y[idx], rows[idx]
    n_train, n_val, _ = split_sizes(spec, n)
    feature_scale = target_scale = None
    if spec.standardize:
        mean, std = x[:n_train].mean(axis=0), x[:n_train].std(axis=0)
        std[std == 0] = 1.0                       # a constant column stays 0 instead of dividing by 0
        x = (x - mean) / std
        feature_scale = (mean, std)
        if task == "regression":
            y_mean, y_std = float(y[:n_train].mean()), float(y[:n_train].std())
            y_std = y_std if y_std > 0 else 1.0
            y = (y - y_mean) / y_std
            target_scale = (y_mean, y_std)
    x = x.astype(np.float32)
    y = y.astype(np.float32 if task == "regression" else np.int64)
    cut = (slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n))
    k = 1 if task == "regression" else len(classes)
    kind = "regression" if task == "regression" else ("binary" if k == 2 else "multiclass")
    return Splits(x[cut[0]], y[cut[0]], x[cut[1]], y[cut[1]], x[cut[2]], y[cut[2]], kind, k, x.shape[1],
                  feature_names=features, class_names=classes, feature_scale=feature_scale,
                  target_scale=target_scale, test_rows=rows[cut[2]])


def class_names_of(spec: DataSpec) -> tuple[str, ...]:
    """The class names of any dataset without loading it: a CSV's labels, a real set's names, else
    '0', '1', ... (() for regression)."""
    from ..config import n_classes, task_of
    if task_of(spec) == "regression":
        return ()
    if spec.name == CSV and spec.csv is not None:
        return spec.csv.class_names
    if spec.name in REAL_DATASETS:
        return REAL_DATASETS[spec.name].class_names
    return tuple(str(i) for i in range(n_classes(spec)))


__all__ = ["is_tabular", "load_tabular", "real_arrays", "real_feature_names", "csv_arrays", "csv_data_spec",
           "spec_for_file", "split", "split_sizes", "check_split", "class_names_of", "dialect_of", "selection_of"]
