"""What the views draw for data with more than two inputs, as numbers (no Qt).

- `prediction_plane`: the model's prediction over a plane the user picks, two features (in the
  file's units) or the first two principal components of the standardised training inputs, with
  every other input held at its training mean; the rows projected onto it; a note saying so.
- `predicted_vs_actual`: a regression's test rows, both in the target's units.
- `worst_rows`: the test rows the model gets most wrong, with their values as the file has them.
- `class_table`: per-class counts and accuracy under the class names (the confusion matrix's rows).

All take the trained model (e.g. trainer.models.model_from_state(experiment, finished.state)), the
experiment and the Splits that trainer.data.load(experiment.data) gives.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..config import Experiment, resolved_loss
from ..metrics import per_class_accuracy
from ..splits import Splits

RESOLUTION = 100        # grid cells per side of the prediction image
MARGIN = 0.1            # the plane extends this fraction of the data's range beyond it on every side
PARTS = ("train", "validation", "test")


@dataclass(frozen=True)
class PlaneChoice:
    """Which plane: kind "features" (features[x] across, features[y] up) or "pca" (PC 1, PC 2)."""
    kind: str = "pca"
    x: int = 0
    y: int = 1


@dataclass(frozen=True)
class PlaneView:
    """The model over one plane. Image row 0 is at ymin; axes in `axis_labels`' units."""
    axis_labels: tuple[str, str]
    extent: tuple[float, float, float, float]       # xmin, xmax, ymin, ymax
    probabilities: np.ndarray | None                # (H, W, classes) for classification
    values: np.ndarray | None                       # (H, W) predicted target, in its units, for regression
    points: np.ndarray                              # (N, 2) every row of train, validation, test, projected
    labels: np.ndarray                              # (N,) class index, or the target in its units
    parts: np.ndarray                               # (N,) 0 train, 1 validation, 2 test (index into PARTS)
    note: str                                       # what the plane holds fixed: show it on the plot


def plane_choices(splits: Splits) -> list[tuple[str, PlaneChoice]]:
    """(label, choice) for the picker: the principal components first, then each pair of features."""
    names = splits.feature_names or tuple(f"feature {j + 1}" for j in range(splits.input_dim))
    out = [("First two principal components", PlaneChoice("pca"))]
    out += [(f"{names[i]} × {names[j]}", PlaneChoice("features", i, j))
            for i in range(len(names)) for j in range(i + 1, len(names))]
    return out


def _all_rows(splits: Splits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test]).astype(np.float64)
    y = np.concatenate([splits.y_train, splits.y_val, splits.y_test])
    parts = np.repeat(np.arange(3), [len(splits.x_train), len(splits.x_val), len(splits.x_test)])
    if splits.task == "regression":
        y = splits.unscale_y(y)
    return x, y, parts


def principal_axes(splits: Splits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre (D,), the first two principal directions (2, D), their share of the variance (2,)) of the
    training inputs as the model sees them (standardised when data.standardize)."""
    x = splits.x_train.astype(np.float64)
    centre = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - centre, full_matrices=False)
    share = s ** 2 / max(float(np.sum(s ** 2)), 1e-300)
    axes = np.zeros((2, x.shape[1]))
    axes[:min(2, len(vt))] = vt[:2]
    # A direction's sign is arbitrary: point each where its largest loading is positive, so the
    # picture does not flip between two runs on the same data.
    for k in range(2):
        j = int(np.argmax(np.abs(axes[k])))
        if axes[k, j] < 0:
            axes[k] = -axes[k]
    return centre, axes, np.pad(share[:2], (0, max(0, 2 - len(share))))


def prediction_plane(model: nn.Module, experiment: Experiment, splits: Splits, choice: PlaneChoice = PlaneChoice(),
                     resolution: int = RESOLUTION) -> PlaneView:
    """The model's prediction over the chosen plane, other inputs at their training means."""
    x, labels, parts = _all_rows(splits)
    d = x.shape[1]
    centre = splits.x_train.astype(np.float64).mean(axis=0)   # the training means, as the model sees inputs
    names = splits.feature_names or tuple(f"feature {j + 1}" for j in range(d))
    if choice.kind == "pca":
        centre, axes, share = principal_axes(splits)
        points = (x - centre) @ axes.T
        labels_ = (f"PC 1 ({share[0]:.0%} of the variance)", f"PC 2 ({share[1]:.0%} of the variance)")
        note = (f"The plane of the first two principal components of the {d} standardised inputs; "
                "along every other direction the inputs are at their training means.")

        def to_model(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
            return centre + gx[:, None] * axes[0] + gy[:, None] * axes[1]
    elif choice.kind == "features":
        i, j = choice.x, choice.y
        if not (0 <= i < d and 0 <= j < d and i != j):
            raise ValueError(f"features {i} and {j}: need two different features of {d}")
        raw = splits.unscale_x(x)
        points = raw[:, [i, j]]
        labels_ = (names[i], names[j])
        others = d - 2
        note = (f"{names[i]} across, {names[j]} up; the other {others} input{'s' if others != 1 else ''} "
                "held at their training means." if others else f"{names[i]} across, {names[j]} up.")
        scale = splits.feature_scale

        def to_model(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
            grid = np.repeat(centre[None, :], len(gx), axis=0)
            if scale is None:
                grid[:, i], grid[:, j] = gx, gy
            else:
                grid[:, i] = (gx - scale[0][i]) / scale[1][i]
                grid[:, j] = (gy - scale[0][j]) / scale[1][j]
            return grid
    else:
        raise ValueError(f"unknown plane {choice.kind!r}; choose pca or features")
    extent = _extent(points)
    xmin, xmax, ymin, ymax = extent
    gy, gx = np.meshgrid(np.linspace(ymin, ymax, resolution), np.linspace(xmin, xmax, resolution), indexing="ij")
    outputs = _outputs(model, to_model(gx.reshape(-1), gy.reshape(-1)))
    probabilities = values = None
    if splits.task == "regression":
        values = splits.unscale_y(outputs[:, 0]).reshape(resolution, resolution)
    else:
        probabilities = _probabilities(outputs, resolved_loss(experiment)).reshape(resolution, resolution, -1)
    return PlaneView(labels_, extent, probabilities, values, points, labels, parts, note)


def _extent(points: np.ndarray) -> tuple[float, float, float, float]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.where(hi > lo, (hi - lo) * MARGIN, 1.0)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def _outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """The model's raw outputs for rows as the model sees them (eval mode, no gradients, on the CPU)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32, device=device))
    finally:
        model.train(was_training)
    return out.cpu().numpy().astype(np.float64)


def _probabilities(outputs: np.ndarray, loss: str) -> np.ndarray:
    if loss == "bce":   # the model ends in Sigmoid: one column, the probability of class 1
        return np.concatenate([1 - outputs, outputs], axis=1)
    z = outputs - outputs.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def predict(model: nn.Module, experiment: Experiment, splits: Splits, x: np.ndarray) -> np.ndarray:
    """Class probabilities (N, classes), or predictions in the target's units (N,), for inputs as the model sees them."""
    out = _outputs(model, x)
    if splits.task == "regression":
        return splits.unscale_y(out[:, 0])
    return _probabilities(out, resolved_loss(experiment))


def predicted_vs_actual(model: nn.Module, experiment: Experiment, splits: Splits) -> tuple[np.ndarray, np.ndarray]:
    """(actual, predicted) for the test rows of a regression, both in the target's units."""
    return splits.unscale_y(splits.y_test), predict(model, experiment, splits, splits.x_test)


@dataclass(frozen=True)
class WrongRow:
    """One test row the model gets wrong (or nearly): where it came from, its values, what went wrong."""
    row: int                        # the file's line (CSV) or the dataset's row number (scikit-learn)
    values: tuple[float, ...]       # the features, in the file's units, in feature_names' order
    actual: str                     # the class name, or the target's value
    predicted: str
    error: float                    # regression: |predicted - actual|; classification: 1 - P(actual class)
    confidence: float | None        # classification: the probability of the predicted class


def worst_rows(model: nn.Module, experiment: Experiment, splits: Splits, k: int = 10) -> list[WrongRow]:
    """The k test rows with the largest error, largest first."""
    if len(splits.x_test) == 0:
        return []
    raw = splits.unscale_x(splits.x_test)
    rows = splits.test_rows if splits.test_rows is not None else np.arange(len(raw))
    out = predict(model, experiment, splits, splits.x_test)
    if splits.task == "regression":
        actual = splits.unscale_y(splits.y_test)
        error = np.abs(out - actual)
        order = np.argsort(-error, kind="stable")[:k]
        return [WrongRow(int(rows[i]), tuple(float(v) for v in raw[i]), f"{actual[i]:.6g}", f"{out[i]:.6g}",
                         float(error[i]), None) for i in order]
    names = splits.class_names or tuple(str(c) for c in range(splits.n_classes))
    true = splits.y_test.astype(np.int64)
    pred = out.argmax(axis=1)
    error = 1.0 - out[np.arange(len(true)), true]
    order = np.argsort(-error, kind="stable")[:k]
    return [WrongRow(int(rows[i]), tuple(float(v) for v in raw[i]), names[true[i]], names[pred[i]],
                     float(error[i]), float(out[i, pred[i]])) for i in order]


@dataclass(frozen=True)
class ClassRow:
    name: str
    count: int              # test rows of this class
    accuracy: float         # percent of them classified right; NaN when there are none
    confused_with: str      # the class they are most often taken for ("" when never wrong)


def class_table(confusion: np.ndarray, class_names: tuple[str, ...]) -> list[ClassRow]:
    """The confusion matrix's rows under the class names (cm[t, p]: true t predicted as p)."""
    cm = np.asarray(confusion)
    acc = per_class_accuracy(cm)
    out = []
    for t, name in enumerate(class_names):
        off = cm[t].copy()
        off[t] = 0
        worst = int(np.argmax(off))
        out.append(ClassRow(name, int(cm[t].sum()), float(acc[t]), class_names[worst] if off[worst] > 0 else ""))
    return out


__all__ = ["PlaneChoice", "PlaneView", "plane_choices", "principal_axes", "prediction_plane", "predict",
           "predicted_vs_actual", "WrongRow", "worst_rows", "ClassRow", "class_table", "PARTS", "RESOLUTION"]
