"""The real datasets that ship with scikit-learn, in one table, and the names of the tabular data kinds.

config.py imports this table (data.name, input_dim, n_classes), so it imports nothing of trainer.
tests/trainer/test_tabular_datasets.py checks every number here against scikit-learn itself.
"""
from __future__ import annotations

from dataclasses import dataclass

CSV = "csv"                                       # data.name of a user's own file
TASKS = ("classification", "regression")          # data.task of a CSV file
MAX_CLASSES = 100                                 # more distinct labels than this is not a classification
AUTO_CLASSES_UP_TO = 20                           # integer targets with at most this many values are classes


@dataclass(frozen=True)
class RealDataset:
    name: str                        # the value of data.name
    label: str                       # what the Dataset dock shows
    loader: str                      # sklearn.datasets.<loader>
    task: str                        # "classification" | "regression"
    n_rows: int
    n_features: int
    class_names: tuple[str, ...]     # () for regression
    description: str                 # one line on what the data is
    image_shape: tuple[int, int] | None = None   # the rows are images of this (height, width)


REAL_DATASETS: dict[str, RealDataset] = {d.name: d for d in (
    RealDataset("iris", "Iris flowers", "load_iris", "classification", 150, 4,
                ("setosa", "versicolor", "virginica"),
                "150 iris flowers: sepal and petal length and width (cm) -> one of 3 species (Fisher, 1936)"),
    RealDataset("wine", "Wine", "load_wine", "classification", 178, 13,
                ("class_0", "class_1", "class_2"),
                "178 Italian wines: 13 chemical measurements (alcohol, phenols, colour...) -> one of 3 cultivars"),
    RealDataset("breast-cancer", "Breast cancer", "load_breast_cancer", "classification", 569, 30,
                ("malignant", "benign"),
                "569 breast tumour biopsies: 30 measurements of the cell nuclei -> malignant or benign (Wisconsin)"),
    RealDataset("diabetes", "Diabetes progression", "load_diabetes", "regression", 442, 10, (),
                "442 diabetes patients: age, sex, BMI, blood pressure and 6 blood serum values -> "
                "disease progression one year later (a number)"),
    RealDataset("digits", "Digits 8 x 8", "load_digits", "classification", 1797, 64,
                tuple(str(d) for d in range(10)),
                "1,797 handwritten digits as 8 x 8 images (64 pixels, 0-16) -> the digit 0-9",
                image_shape=(8, 8)),
)}

TABULAR = (*REAL_DATASETS, CSV)                   # every data.name this package loads


__all__ = ["CSV", "TASKS", "MAX_CLASSES", "AUTO_CLASSES_UP_TO", "RealDataset", "REAL_DATASETS", "TABULAR"]
