"""Each layer's output shape, parameter count and multiply-adds, for an experiment or a draft of one.

What the Architecture dock shows on every layer and what the views of a CNN read. Qt-free.
`layer_shapes(exp)` lists the experiment's layers and then the output layer the task adds
(kind "head", index len(exp.model.layers)); `totals` sums them. A draft (`draft_shapes`) may
hold an impossible shape, which a valid Experiment never does: config.validate refuses it with
the same words (`model.layers[3]: the 5x5 kernel is larger than its 3x3 input`).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from .config import DataSpec, Experiment, ModelSpec, experiment_param_count, input_shape, output_units
from .shape_walk import LayerShape, error_path, first_error, format_shape, keeps_image, walk

class Totals(NamedTuple):
    params: int
    macs: int     # multiply-adds per example


class _Draft(NamedTuple):
    """What config's helpers read of an experiment (data and model), for one not yet validated."""
    data: DataSpec
    model: ModelSpec


def layer_shapes(exp: Experiment) -> list[LayerShape]:
    """The experiment's layers, then its output layer, each with shape, parameters and multiply-adds."""
    return draft_shapes(exp.data, exp.model)


def draft_shapes(data: DataSpec, model: ModelSpec) -> list[LayerShape]:
    """layer_shapes for settings that may not make a valid Experiment (the dock while it is edited):
    the first impossible layer carries an error, and the layers after it are unknown."""
    head_units = output_units(_Draft(data, model))  # type: ignore[arg-type]
    return walk(input_shape(data, model.layers), model.layers, head_units)


def totals(shapes: Sequence[LayerShape]) -> Totals:
    return Totals(sum(s.params for s in shapes), sum(s.macs for s in shapes))


def experiment_macs(exp: Experiment) -> int:
    """Multiply-adds per example of the whole model."""
    return totals(layer_shapes(exp)).macs


def experiment_work(exp: Experiment) -> int:
    """The size that decides the CPU thread count (loop.threads_for and the exported script): the
    parameter count, or the multiply-adds per example where larger (a CNN reuses each weight at every
    position of its map). An MLP's multiply-adds are its weights, so for an MLP this is its parameters."""
    return max(experiment_param_count(exp), experiment_macs(exp))


def is_cnn(exp: Experiment) -> bool:
    """Whether the model sees its input as an image (it starts with image layers such as conv2d)."""
    return exp.data.name == "mnist" and keeps_image(exp.model.layers)


__all__ = ["LayerShape", "Totals", "layer_shapes", "draft_shapes", "totals", "error_path", "first_error",
           "format_shape", "experiment_macs", "experiment_work", "is_cnn"]
