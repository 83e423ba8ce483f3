"""Weights over time (issue 16 item 4): per layer, histograms of its weights and gradients across the
recorded epochs, and its weight and gradient norms, where vanishing or exploding gradients show.

Inputs are plain lists (model states, gradients, epochs in the same order, as a Timeline's frames hold
them), so nothing here depends on how the epochs were recorded. Each layer's histograms keep the same
bin edges for every epoch (the range of all its recorded values): a picture over time compares bins.
Vectorised numpy: one pass over all epochs per layer, no Python loop over epochs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..config import Experiment, layer_offset

DEFAULT_BINS = 40           # a histogram's bins: enough to see a shape, few enough for a 200 px row
PARAMETER_NAMES = ("weight", "bias")   # a layer's trained tensors; BatchNorm's running stats are buffers
_KIND_NAMES = {"linear": "Linear", "conv2d": "Conv", "batchnorm": "Batch norm", "batchnorm2d": "Batch norm 2d"}


@dataclass(frozen=True)
class LayerRow:
    """A layer with trained parameters, as a learner reads it: 'Linear 1 (2→100)', 'Output (100→3)'."""
    name: str
    module: int                 # its index in the built nn.Sequential (after a CNN's Unflatten)
    keys: tuple[str, ...]       # its state-dict keys of parameters: ("0.weight", "0.bias")
    params: int


@dataclass(frozen=True, eq=False)
class Histogram:
    """Counts of values per bin for each epoch: counts (n_epochs, n_bins), edges (n_bins + 1,), the same
    edges for every epoch. NaN values are not counted; +-inf fall in the end bins."""
    edges: np.ndarray
    counts: np.ndarray


@dataclass(frozen=True, eq=False)
class LayerStats:
    layer: LayerRow
    weights: Histogram
    grads: Histogram            # an epoch recorded without this layer's gradients counts nothing
    weight_norm: np.ndarray     # (n_epochs,) L2 norm of the layer's weight and bias together
    grad_norm: np.ndarray       # (n_epochs,) the same of their gradients; NaN where none was recorded


@dataclass(frozen=True, eq=False)
class WeightStats:
    epochs: np.ndarray          # (n_epochs,) the epochs the rows of every array stand for
    layers: tuple[LayerStats, ...]


def layer_rows(experiment: Experiment, state: dict[str, np.ndarray]) -> list[LayerRow]:
    """The model's layers that have parameters, in order, named from the experiment's layers."""
    modules: dict[int, list[str]] = {}
    for key in state:
        index, _, name = key.partition(".")
        if name in PARAMETER_NAMES:
            modules.setdefault(int(index), []).append(key)
    offset, specs = layer_offset(experiment), experiment.model.layers
    seen: dict[str, int] = {}
    rows = []
    for module in sorted(modules):
        keys = tuple(sorted(modules[module], key=lambda k: PARAMETER_NAMES.index(k.partition(".")[2])))
        shape = state[keys[0]].shape
        spec = module - offset
        kind = specs[spec].kind if spec < len(specs) else "head"
        seen[kind] = seen.get(kind, 0) + 1
        rows.append(LayerRow(_name(kind, seen[kind], shape), module, keys,
                             sum(int(np.prod(state[k].shape)) for k in keys)))
    return rows


def _name(kind: str, number: int, shape: tuple[int, ...]) -> str:
    if kind == "head":
        return f"Output ({shape[1]}→{shape[0]})"
    title = f"{_KIND_NAMES.get(kind, kind)} {number}"
    if kind == "linear":
        return f"{title} ({shape[1]}→{shape[0]})"
    if kind == "conv2d":
        return f"{title} ({shape[1]}→{shape[0]}, {shape[2]}x{shape[3]})"
    return f"{title} ({shape[0]})"


def weight_stats(experiment: Experiment, states: Sequence[dict[str, np.ndarray]],
                 grads: Sequence[dict[str, np.ndarray]], epochs: Sequence[int],
                 bins: int = DEFAULT_BINS) -> WeightStats:
    """Histograms and norms of every layer's weights and gradients over the given epochs.

    states[i] and grads[i] are the model's state dict and its parameters' gradients at epochs[i]
    (a Timeline's frames: `[f.state for f in frames]`, `[f.grads for f in frames]`)."""
    if not (len(states) == len(grads) == len(epochs)) or not states:
        raise ValueError(f"need as many states, grads and epochs, at least one (got {len(states)}, "
                         f"{len(grads)}, {len(epochs)})")
    layers = []
    for row in layer_rows(experiment, states[0]):
        weights = _stacked(states, row.keys)
        gradients = _stacked(grads, row.keys)
        layers.append(LayerStats(row, histogram(weights, bins), histogram(gradients, bins),
                                 _norms(weights), _norms(gradients)))
    return WeightStats(np.asarray(epochs, dtype=np.int64), tuple(layers))


def _stacked(dicts: Sequence[dict[str, np.ndarray]], keys: tuple[str, ...]) -> np.ndarray:
    """(n_epochs, params) float64: each epoch's tensors of `keys` flattened side by side; a row whose
    dict lacks one of them is all NaN."""
    size = sum(_size(dicts, k) for k in keys)
    out = np.full((len(dicts), size), np.nan)
    for i, d in enumerate(dicts):
        if all(k in d for k in keys):
            np.concatenate([np.ravel(d[k]) for k in keys], out=out[i])
    return out


def _size(dicts: Sequence[dict[str, np.ndarray]], key: str) -> int:
    return next((int(np.size(d[key])) for d in dicts if key in d), 0)


def _norms(values: np.ndarray) -> np.ndarray:
    """Each row's L2 norm (NaN for a row not recorded)."""
    return np.sqrt(np.einsum("ij,ij->i", values, values))


def histogram(values: np.ndarray, bins: int = DEFAULT_BINS) -> Histogram:
    """Every row of `values` (n_rows, n) counted into the same `bins` equal bins spanning all finite
    values; a row counts as np.histogram(row, edges) would (the last bin includes its right edge)."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):   # one value everywhere (a zero init): a bin around it
        pad = 0.5 * max(abs(lo), 1e-3)
        lo, hi = lo - pad, hi + pad
    edges = np.linspace(lo, hi, bins + 1)
    clipped = np.clip(values, lo, hi)
    nan = np.isnan(clipped)
    index = np.where(nan, 0.0, (clipped - lo) * (bins / (hi - lo))).astype(np.intp)
    np.minimum(index, bins - 1, out=index)
    # As np.histogram does: the floor of the scaled value may land one bin off next to an edge.
    index -= clipped < edges[index]
    index += (clipped >= edges[index + 1]) & (index != bins - 1)
    index[nan] = bins                   # an extra bin per row, dropped below
    rows = np.arange(len(values))[:, None] * (bins + 1)
    counts = np.bincount((index + rows).ravel(), minlength=len(values) * (bins + 1))
    return Histogram(edges, counts.reshape(len(values), bins + 1)[:, :bins])
