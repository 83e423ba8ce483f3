"""The model seen over its input plane: decision-boundary images, hidden-neuron maps, a 1-D curve.

While a 2-D model trains, the GUI asks for these ~14 times a second, each a pass of 10,000
grid points through the model. Called as `model(grid)` that pass cost 5 ms on the spiral
(the training's own epoch is ~1.2 ms): torch's (N, 3) output product fits its matrix
kernels badly, and every 4 MB intermediate was fresh memory the C library had handed back
to the system and faulted in again. Here the points run features-first, (features, N),
through buffers kept from one picture to the next, activations in place: 1.5 ms.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import Splits
from .events import WEIGHTS_MAX_PARAMS, Snapshot
from .models import linear_layers

BOUNDARY_RESOLUTION = 100     # grid cells per side of the decision-boundary image
NEURON_RESOLUTION = 40        # grid cells per side of each hidden neuron's map

# Modules a grid pass applies in place to a buffer it owns (the same function, no new memory).
_IN_PLACE = {nn.ReLU: torch.relu_, nn.Tanh: torch.tanh_, nn.Sigmoid: torch.sigmoid_}
# Modules that are the identity in eval mode.
_PASS_THROUGH = (nn.Dropout, nn.Identity)


class Plane:
    """One model's pictures over a fixed extent (xmin, xmax, ymin, ymax); reuse it for a whole run."""

    def __init__(self, extent: tuple[float, float, float, float], device: torch.device | str = "cpu",
                 boundary_resolution: int = BOUNDARY_RESOLUTION, neuron_resolution: int = NEURON_RESOLUTION):
        self.extent = extent
        self.device = torch.device(device)
        self.boundary_resolution = boundary_resolution
        self.neuron_resolution = neuron_resolution
        self._grids: dict[int, torch.Tensor] = {}
        self._buffers: dict[tuple[int, int], torch.Tensor] = {}

    def snapshot(self, model: nn.Sequential, epoch: int, head: str, input_dim: int, diagram: bool) -> Snapshot:
        """The model's pictures at `epoch`; `diagram` adds the weights and the neuron maps."""
        boundary = curve = None
        neurons: tuple[np.ndarray, ...] = ()
        with torch.no_grad():
            if input_dim == 2:
                boundary = self.boundary(model, head)
                if diagram:
                    neurons = self.neurons(model)
            elif input_dim == 1:
                curve = self.curve(model)
        return Snapshot(epoch, boundary=boundary, extent=self.extent, curve=curve,
                        weights=diagram_weights(model) if diagram else (), neurons=neurons)

    def boundary(self, model: nn.Sequential, head: str, training: bool = False, seed: int = 0) -> np.ndarray:
        """(H, W, C) class probabilities, row 0 at ymin; a sigmoid head (BCE) gives C = 2.

        training: the model as model.train() runs it (dropout drawn from `seed`: another seed, another
        picture; batch norm with the grid's own statistics); else as model.eval() does, always the same."""
        res = self.boundary_resolution
        if training:
            out = self._forward_training(model, res, seed)
        else:
            out, _ = self._forward(model, res, capture=())
        probs = torch.cat([1 - out, out], dim=0) if head == "bce" else torch.softmax(out, dim=0)
        return probs.t().reshape(res, res, -1).contiguous().cpu().numpy()

    def neurons(self, model: nn.Sequential) -> tuple[np.ndarray, ...]:
        """Each hidden Linear layer's units over the plane, after the activation that follows it: (H, W, units)."""
        res = self.neuron_resolution
        _, maps = self._forward(model, res, capture=_neuron_outputs(model))
        return tuple(m.reshape(res, res, -1).cpu().numpy() for m in maps)

    def curve(self, model: nn.Sequential, points: int = 100) -> tuple[np.ndarray, np.ndarray]:
        """A 1-D model's output over its x range."""
        xs = torch.linspace(self.extent[0], self.extent[1], points, device=self.device)
        ys = model(xs[:, None])[:, 0]
        return xs.cpu().numpy(), ys.cpu().numpy()

    # -- the grid pass -----------------------------------------------------------------
    def _grid(self, res: int) -> torch.Tensor:
        """(2, res*res) points over the extent, features-first, row-major from ymin to ymax."""
        grid = self._grids.get(res)
        if grid is None:
            xmin, xmax, ymin, ymax = self.extent
            gy, gx = torch.meshgrid(torch.linspace(ymin, ymax, res, device=self.device),
                                    torch.linspace(xmin, xmax, res, device=self.device), indexing="ij")
            grid = self._grids[res] = torch.stack([gx.reshape(-1), gy.reshape(-1)])
        return grid

    def _forward(self, model: nn.Sequential, res: int,
                 capture: tuple[int, ...]) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The model (in eval mode, under no_grad) over the grid: (outputs, N) and copies of the
        outputs of the modules at `capture`, each (N, features)."""
        h = grid = self._grid(res)
        captured = []
        for i, module in enumerate(model):
            if isinstance(module, nn.Linear):
                out = self._buffer(i, (module.out_features, h.shape[1]), h)
                h = torch.addmm(module.bias[:, None], module.weight, h, out=out)
            elif isinstance(module, _PASS_THROUGH):
                pass
            elif type(module) in _IN_PLACE and h is not grid:
                h = _IN_PLACE[type(module)](h)
            elif isinstance(module, nn.LeakyReLU) and h is not grid:
                h = F.leaky_relu_(h, module.negative_slope)
            else:   # BatchNorm1d and anything else works on rows: give it (N, features)
                h = module(h.t()).t()
            if i in capture:
                captured.append(h.t().contiguous())
        return h, captured

    def _forward_training(self, model: nn.Sequential, res: int, seed: int) -> torch.Tensor:
        """The model in training mode over the grid, (outputs, N). A copy runs it, so batch norm's running
        statistics stay the model's own; torch's generator is put back after, so a training or lesson in
        this process draws the numbers it would have."""
        copied = copy.deepcopy(model).train()
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.random.default_generator.manual_seed(seed)
            return copied(self._grid(res).t()).t()

    def _buffer(self, index: int, shape: tuple[int, int], like: torch.Tensor) -> torch.Tensor:
        buffer = self._buffers.get((index, shape[1]))
        if buffer is None or buffer.shape != shape or buffer.dtype != like.dtype:
            buffer = self._buffers[(index, shape[1])] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return buffer


def diagram_weights(model: nn.Module) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Each Linear layer's (weight, bias) as numpy copies, for the network diagram."""
    with torch.no_grad():
        return tuple((m.weight.detach().cpu().numpy().copy(), m.bias.detach().cpu().numpy().copy())
                     for m in linear_layers(model))


def _neuron_outputs(model: nn.Sequential) -> tuple[int, ...]:
    """For each hidden Linear (not the output head), the module whose output its neurons show:
    the activation right after it, or the Linear itself when none follows (Dropout, BatchNorm)."""
    modules = list(model)
    head = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
    shown = []
    for i, module in enumerate(modules[:head]):
        if isinstance(module, nn.Linear):
            after = modules[i + 1]
            shown.append(i if isinstance(after, (nn.Linear, nn.Dropout, nn.BatchNorm1d)) else i + 1)
    return tuple(shown)


# The window shows the data padded by 0.3 in a plot that is wider (or taller) than the data: with its
# aspect locked, a 2:1 plot shows twice the data's width. The pictures cover a square around the data,
# PLANE_MARGIN times its larger half-side from the centre, so such a plot is coloured edge to edge.
PLANE_MARGIN = 2.0


def data_extent_of(splits: Splits) -> tuple[float, float, float, float]:
    """The input plane all of the data spans, padded by 0.3 as the seed pads its plot (1-D: y is 0, 0)."""
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    if x.ndim == 1 or x.shape[1] == 1:
        lo, hi = float(x.min()), float(x.max())
        return lo - 0.3, hi + 0.3, 0.0, 0.0
    lo, hi = x.min(axis=0), x.max(axis=0)
    return float(lo[0] - 0.3), float(hi[0] + 0.3), float(lo[1] - 0.3), float(hi[1] + 0.3)


def extent_of(splits: Splits) -> tuple[float, float, float, float]:
    """The plane the pictures cover: 1-D, the data's x range; 2-D, a square PLANE_MARGIN times the
    data's padded half-side around its centre (the view around the data, also beside it)."""
    xmin, xmax, ymin, ymax = data_extent_of(splits)
    if ymin == ymax:
        return xmin, xmax, ymin, ymax
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    half = PLANE_MARGIN * max(xmax - xmin, ymax - ymin) / 2
    return cx - half, cx + half, cy - half, cy + half


def initial_model(experiment) -> nn.Sequential:
    """The model a run of `experiment` starts from (its epoch 0), seeded as trainer.loop seeds it.

    Only the CPU generator's state is set, and put back after: a training or lesson running in this
    process keeps drawing the same numbers (torch.manual_seed would also queue a CUDA seed)."""
    from .models import build_model
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(experiment.train.seed)
        model = build_model(experiment)
    return model.eval()


def snapshot_of(model: nn.Sequential, experiment, splits: Splits | None) -> Snapshot | None:
    """A Snapshot of a model that was not trained here (a loaded checkpoint), as the loop draws one.

    The window calls it on its own thread: only for the small 1-D / 2-D models whose pictures cost
    milliseconds; None for any other.
    """
    if splits is None or splits.input_dim > 2:
        return None
    from .config import resolved_loss
    from .models import param_count
    model.eval()
    return Plane(extent_of(splits)).snapshot(model, 0, resolved_loss(experiment), splits.input_dim,
                                             diagram=param_count(model) <= WEIGHTS_MAX_PARAMS)


def redrawable(experiment) -> bool:
    """Small enough, with 2 inputs, to draw again on the window's thread (a millisecond or so)."""
    from .config import experiment_param_count, input_dim
    return input_dim(experiment.data) == 2 and experiment_param_count(experiment) <= WEIGHTS_MAX_PARAMS


def untrained_snapshot(experiment, splits: Splits | None) -> tuple[Snapshot, nn.Sequential] | None:
    """The pictures of the model a run starts from (epoch 0) and that model, for the window to show
    before any training: only small 1-2 input models (a few ms); None for any other."""
    from .config import experiment_param_count
    if splits is None or splits.input_dim > 2 or experiment_param_count(experiment) > WEIGHTS_MAX_PARAMS:
        return None
    model = initial_model(experiment)
    snap = snapshot_of(model, experiment, splits)
    return None if snap is None else (snap, model)
