"""What `trainer.loop.train` yields: small frozen records of floats and numpy arrays.

In order: DataProgress while MNIST loads; Started; for each epoch BatchProgress (mini-batches),
EpochEnd, NewBest when validation improved and now and then a Snapshot; then Stopped or Diverged
when that ended the run, a last Snapshot (1-D and 2-D data) and Finished. A run stopped while its
data loads yields neither Started nor Finished: train() just returns. An error (a DataError, a
TrainingError) is raised from the generator instead of ending in Finished.

No event ever carries a torch tensor, so a consumer on another thread (the GUI)
can keep them without holding on to the autograd graph or the device.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .timeline.frame import Frame

# Models with more parameters than this send no weights or neuron maps: their diagram is a summary.
WEIGHTS_MAX_PARAMS = 20_000


@dataclass(frozen=True)
class DataProgress:
    """Loading the data: stage is 'download', 'extract' or 'read'; total 0 = unknown."""
    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class Started:
    task: str                 # regression | binary | multiclass
    input_dim: int
    n_classes: int
    n_train: int
    n_val: int
    n_test: int
    params: int
    device: str
    epochs: int
    batches_per_epoch: int
    start_epoch: int = 0      # a branch's first epoch (the parent's history before it comes in Finished)


@dataclass(frozen=True)
class BatchProgress:
    """Within a mini-batch epoch; yielded at most ~10 times a second."""
    epoch: int
    batch: int
    n_batches: int


@dataclass(frozen=True)
class EpochEnd:
    epoch: int                # 0-based, as the seed counts
    train_loss: float
    val_loss: float
    train_acc: float | None   # percent; None for regression
    val_acc: float | None
    seconds: float            # wall time since training began
    # Only with train.mistake = no_no_grad: bytes the autograd graphs of the validation passes still hold.
    graph_bytes: int | None = None

    def as_record(self) -> dict[str, Any]:
        record = {"epoch": self.epoch, "train_loss": self.train_loss, "val_loss": self.val_loss,
                  "train_acc": self.train_acc, "val_acc": self.val_acc, "seconds": self.seconds}
        if self.graph_bytes is not None:
            record["graph_bytes"] = self.graph_bytes
        return record


@dataclass(frozen=True)
class NewBest:
    epoch: int
    val_loss: float


@dataclass(frozen=True)
class Snapshot:
    """The model seen from outside, every so often while training.

    boundary: (H, W, C) class probabilities over the input plane for 2-D data,
    with extent (xmin, xmax, ymin, ymax); curve: (xs, ys) for 1-D regression;
    weights: each Linear layer's weight matrix (out, in) and bias, for the diagram (none above
    WEIGHTS_MAX_PARAMS parameters).
    neurons: for 2-D data, each hidden Linear layer's units after their activation over
    the plane, (H, W, units) at `neuron_resolution` (TensorFlow Playground's neuron view).
    image_state: a CNN's convolution and 2-D batch-norm tensors by state-dict key
    (trainer.feature_maps.image_state), in every snapshot of a CNN, also mid-epoch: the window
    redraws the feature maps of the digit on its pad from them while the model trains.
    """
    epoch: int
    boundary: np.ndarray | None = None
    extent: tuple[float, float, float, float] | None = None
    curve: tuple[np.ndarray, np.ndarray] | None = None
    weights: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    neurons: tuple[np.ndarray, ...] = ()
    image_state: tuple[tuple[str, np.ndarray], ...] = ()


@dataclass(frozen=True)
class Keyframe:
    """A recorded epoch of the run's timeline (train(record=...)): after its EpochEnd and NewBest, or
    just before Finished for the last epoch when it was not recorded yet."""
    frame: Frame


@dataclass(frozen=True)
class ParamStep:
    """Named scalar parameters after one update, with the gradients that made it.

    Yielded by `trainer.manual.autograd_regression` (w and b) just before its EpochEnd,
    so a view can show the numbers autograd computed; `train()` does not yield it.
    """
    epoch: int
    values: dict[str, float]
    grads: dict[str, float]


@dataclass(frozen=True)
class Stopped:
    """A stop arrived during this epoch, which did not finish; Finished(reason="stopped") follows."""
    epoch: int


@dataclass(frozen=True)
class Diverged:
    """Training blew up to inf or NaN; the last finite weights are back, Finished(reason="diverged") follows."""
    epoch: int
    loss: float

    @property
    def message(self) -> str:
        return f"diverged at epoch {self.epoch} (loss {self.loss}); kept the last finite weights"


@dataclass(frozen=True)
class Finished:
    """The run is over: the last event of every run that got as far as Started, whatever ended it.

    A run stopped while its data was still loading ends without it (train() returns before
    Started), and so does one that raises.
    reason: completed | early_stopped | stopped | diverged.
    state: the model's final weights (the best ones when restore_best), as numpy.
    metrics: test metrics (test_loss, and test_accuracy + confusion / predictions
    for classification, test_mse for regression).
    """
    reason: str
    epochs_run: int
    best_epoch: int
    best_val_loss: float
    history: list[dict[str, Any]]
    metrics: dict[str, Any]
    state: dict[str, np.ndarray]
    params: int
    device: str
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


Event = (DataProgress | Started | BatchProgress | EpochEnd | NewBest | Keyframe | Snapshot | ParamStep | Stopped
         | Diverged | Finished)


@dataclass(frozen=True)
class LandscapeProgress:
    """Computing a loss landscape (trainer/timeline/landscape.py): `done` of `total` grid points."""
    done: int
    total: int


@dataclass(frozen=True, eq=False)
class Landscape:
    """The training loss over a plane through the weights, and the path the run took on it (issue 16).

    The plane's points are centre + alpha * directions[0] + beta * directions[1], over the parameters
    flattened in the order of `keys`. loss[j, i] is the loss at (alphas[i], betas[j]): row 0 at the
    lowest beta, as the boundary's images; alphas[steps // 2] == betas[steps // 2] == 0: the centre.
    """
    kind: str                        # the directions used: "pca" (the path's two main ones) or "random"
    alphas: np.ndarray               # (steps,) coordinates along directions[0]
    betas: np.ndarray                # (steps,) coordinates along directions[1]
    loss: np.ndarray                 # (steps, steps) float64 (inf where a far point's loss overflows)
    path: np.ndarray                 # (n_states, 2): each state's (alpha, beta); the centre's is (0, 0)
    centre_loss: float               # the centre (trained) model's loss on the same rows
    explained: tuple[float, float]   # fraction of the path's squared distance from the centre along each
    rows: int                        # training rows each loss averages over (the first `rows` of them)
    rows_total: int                  # training rows there are
    keys: tuple[str, ...]            # parameter names, in the order of the flat vectors below
    centre: np.ndarray               # (P,) float32: the centre's parameters
    directions: np.ndarray           # (2, P) float64
    note: str = ""                   # what a learner should know: a fallback to random directions, capped rows
