"""Classification metrics on numpy arrays."""
from __future__ import annotations

import numpy as np

from trainer.metrics import accuracy, confusion_matrix, most_confused, per_class_accuracy

TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
PRED = np.array([0, 1, 0, 1, 2, 2, 1, 1, 2, 3])


def test_accuracy_in_percent():
    assert accuracy(PRED, TRUE) == 60.0
    assert accuracy(np.array([]), np.array([])) == 0.0


def test_confusion_matrix_rows_are_truth_columns_predictions():
    cm = confusion_matrix(TRUE, PRED, 5)
    assert cm.shape == (5, 5) and cm.sum() == len(TRUE)
    assert cm[0].tolist() == [2, 1, 0, 0, 0]
    assert cm[2].tolist() == [0, 2, 2, 0, 0]
    assert np.trace(cm) == 6


def test_per_class_accuracy_and_nan_for_an_absent_class():
    pc = per_class_accuracy(confusion_matrix(TRUE, PRED, 5))
    np.testing.assert_allclose(pc[:4], [200 / 3, 50.0, 50.0, 100.0])
    assert np.isnan(pc[4])


def test_most_confused_pairs_largest_first_without_zeros():
    pairs = most_confused(confusion_matrix(TRUE, PRED, 5), k=5)
    assert pairs[0] == (2, 1, 2)
    assert set(pairs[1:]) == {(0, 1, 1), (1, 2, 1)}
    assert most_confused(np.eye(3, dtype=np.int64) * 4) == []
