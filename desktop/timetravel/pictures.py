"""A recorded epoch's pictures, drawn by the code the live run draws them with.

The training loop takes its live pictures with trainer.plane.Plane.snapshot over the plane of its
data (trainer.plane.extent_of of trainer.data.load): here the same call runs on a model that holds a
Frame's weights, so the boundary, the neuron maps and the diagram's weights at epoch K are the ones the
run drew live at K, bit for bit (under the loop's own thread count, trainer.loop.threads_for: another
count sums in another order). The model is built once per model shape (trainer.models.model_from_state)
and given each frame's weights with load_state_dict.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from trainer.config import DataSpec, Experiment, input_dim, resolved_loss
from trainer.events import WEIGHTS_MAX_PARAMS, Snapshot
from trainer.timeline.frame import Frame


class FramePictures:
    """Snapshots of recorded frames; keeps one model per model shape and one Plane per data set."""

    def __init__(self) -> None:
        self._models: dict[Any, Any] = {}
        self._planes: dict[DataSpec, tuple[Any, Any]] = {}   # data -> (Plane, Splits)

    def clear(self) -> None:
        """Forget the models and planes (a new run: other shapes, other data)."""
        self._models.clear()
        self._planes.clear()

    def model(self, experiment: Experiment, frame: Frame) -> Any:
        """The experiment's model (eval mode) holding the frame's weights. The same object comes back for
        the next frame of the same shapes: copy it (trainer.models.model_from_state) to keep it."""
        import torch
        from trainer.models import model_from_state
        key = (replace(experiment.data, extra_points=()), experiment.model)
        model = self._models.get(key)
        if model is None:
            model = self._models[key] = model_from_state(experiment, frame.state)
        else:   # load_state_dict copies into the parameters: the frame's arrays are not shared
            model.load_state_dict({k: torch.from_numpy(v) for k, v in frame.state.items()})
        return model

    def snapshot(self, experiment: Experiment, frame: Frame) -> tuple[Snapshot, Any]:
        """The frame's pictures as the loop's Snapshot of that epoch (with the diagram's weights and neuron
        maps, as a live diagram update carries them), and the model drawn."""
        import torch
        from trainer.feature_maps import conv_layers, image_state
        from trainer.models import param_count
        from trainer.plane import diagram_weights
        model = self.model(experiment, frame)
        small = param_count(model) <= WEIGHTS_MAX_PARAMS
        plane = self._plane(experiment.data)
        if plane is None:   # more than two inputs: what the loop sends then (trainer.loop._Run._snapshot)
            with torch.no_grad():
                return Snapshot(frame.epoch, weights=diagram_weights(model) if small else (),
                                image_state=image_state(model) if conv_layers(model) else ()), model
        from trainer.loop import threads_for
        grid, splits = plane
        with threads_for(experiment, splits, torch.device("cpu")):   # the run's thread count: its very sums
            return grid.snapshot(model, frame.epoch, resolved_loss(experiment), splits.input_dim, small), model

    def _plane(self, data: DataSpec) -> tuple[Any, Any] | None:
        """The Plane the run drew on (its data's extent, clicked-in points included) and the data, or None
        above 2 inputs."""
        if input_dim(data) > 2:
            return None
        found = self._planes.get(data)
        if found is None:
            from trainer.data import load
            from trainer.plane import Plane, extent_of
            splits = load(data)
            found = self._planes[data] = (Plane(extent_of(splits)), splits)
        return found


__all__ = ["FramePictures"]
