"""The loss landscape and the path taken (issue 16 item 5): the training loss over a plane through the
weights, and where each recorded epoch's weights lie on it.

The plane goes through the centre (the trained weights: the last state given, or the one named) along
two directions of the flattened parameters: the two main directions of the recorded path (PCA of each
state's offset from the centre), or two filter-normalised random directions (Li et al., "Visualizing the
Loss Landscape of Neural Nets", 2018: each filter, a weight tensor's slice along its first dimension,
scaled to that filter's norm in the centre; biases and batch norm left out). A path of fewer than 3
distinct points has no second direction: it takes the random ones. The grid is odd and centred on 0, so its
middle point is the centre itself, exactly.

Each point's loss is the experiment's loss (models.build_loss, the head as the loop has it) on the
training rows, at most LANDSCAPE_ROWS of them, the model in eval mode. Points are evaluated in batches,
torch.func.vmap over the points' parameters; a network that starts with a Linear layer computes that
layer once for the centre and once per direction, since it is linear in its weights: each point's first
layer is then a sum of three products (the bulk of an MLP's multiply-adds, done once instead of per point).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from ..config import ONE_THREAD_BELOW, ConfigError, Experiment, experiment_param_count, resolved_loss
from ..data import load
from ..events import Landscape, LandscapeProgress
from ..loop import pick_device
from ..models import build_loss, build_model, model_from_state
from ..pacing import HEADLESS
from ..shapes import experiment_work, layer_shapes
from ..splits import Splits

DEFAULT_STEPS = 41            # grid points per side (odd: the middle one is the centre)
KINDS = ("pca", "random")
LANDSCAPE_ROWS = 2_000        # training rows a point's loss averages over: MNIST's 55,000 would take minutes
MARGIN = 0.25                 # the grid reaches this far beyond the path's farthest point, as a fraction of it
MIN_SIDE = 0.2                # one side of the grid is at least this fraction of the other (a straight path)
RANDOM_SPAN = 1.0             # filter-normalised directions: +-1 filter norm at least (Li et al.'s plots)
MIN_DISTINCT = 3              # points a path needs for two main directions
# Floats a batch of grid points may hold at once (their parameters and activations): 128 MB.
_BATCH_FLOATS = 1 << 25
_MAX_BATCH = 64               # more points at once ran no faster on the spiral (0.11 ms a point, one thread)


def compute(experiment: Experiment, states: Sequence[dict[str, np.ndarray]], steps: int = DEFAULT_STEPS,
            kind: str = "pca", cancelled: Callable[[], bool] = lambda: False, *, centre: int = -1,
            seed: int = 0, splits: Splits | None = None, progress_every_s: float = HEADLESS.progress_every_s
            ) -> Iterator[LandscapeProgress | Landscape]:
    """LandscapeProgress(done, total) now and then, then the Landscape; nothing more once cancelled().

    states: the run's recorded model states in epoch order (the path). centre: the index of the state
    the plane is centred on (the trained model: the last, or the best epoch's when the run restored it).
    seed: the random directions' generator. splits: the experiment's data, when already loaded."""
    keys = _check(experiment, states, steps, kind, centre)
    total = steps * steps
    yield LandscapeProgress(0, total)
    model = model_from_state(experiment, states[centre])
    middle = _flat(states[centre], keys)
    offsets = np.stack([_flat(s, keys) for s in states]).astype(np.float64) - middle
    used, note = kind, ""
    if kind == "pca" and not _distinct(offsets, MIN_DISTINCT):
        used, note = "random", f"the path has fewer than {MIN_DISTINCT} distinct points: random directions"
    directions = _pca(offsets) if used == "pca" else _random(states[centre], keys, seed)
    path = _project(directions, offsets)
    alphas, betas = _axes(path, steps, used)
    splits = splits if splits is not None else load(experiment.data, allow_download=False)
    rows_total = len(splits.x_train)
    if rows_total > LANDSCAPE_ROWS:
        note = "; ".join(filter(None, [note, f"loss on the first {LANDSCAPE_ROWS:,} of {rows_total:,} training rows"]))
    device = pick_device(experiment.train.device)
    grid = _Grid(experiment, model.to(device), keys, directions, splits.x_train[:LANDSCAPE_ROWS],
                 splits.y_train[:LANDSCAPE_ROWS], device)
    points = np.stack(np.meshgrid(alphas, betas, indexing="xy"), axis=-1).reshape(-1, 2)   # row j = betas[j]
    losses = np.empty(total)
    batch = _batch_size(experiment, len(grid.y), total)
    # The loop's rule: one thread for a small model. On this 2-core machine, shared, two threads made
    # the spiral's points 10x slower (each op waited for a descheduled partner thread).
    threads = 1 if device.type == "cpu" and experiment_work(experiment) * len(grid.y) < ONE_THREAD_BELOW \
        else torch.get_num_threads()
    shown = time.perf_counter()
    for start in range(0, total, batch):
        if cancelled():
            return
        with _threads(threads):   # around each batch only: the consumer runs between the yields
            losses[start:start + batch] = grid.losses(points[start:start + batch])
        now = time.perf_counter()
        if now - shown >= progress_every_s:
            shown = now
            yield LandscapeProgress(min(start + batch, total), total)
    if cancelled():
        return
    yield Landscape(kind=used, alphas=alphas, betas=betas, loss=losses.reshape(steps, steps), path=path,
                    centre_loss=grid.centre_loss(), explained=_explained(directions, offsets),
                    rows=len(grid.y), rows_total=rows_total, keys=keys, centre=middle, directions=directions,
                    note=note)


def project(landscape: Landscape, states: Sequence[dict[str, np.ndarray]]) -> np.ndarray:
    """(n, 2): where each state (a branch's, say) lies on the landscape's plane (its least-squares
    coordinates along the plane's two directions)."""
    offsets = np.stack([_flat(s, landscape.keys) for s in states]).astype(np.float64) - landscape.centre
    return _project(landscape.directions, offsets)


# -- the plane ------------------------------------------------------------------------------------
def _check(experiment: Experiment, states: Sequence[dict[str, np.ndarray]], steps: int, kind: str,
           centre: int) -> tuple[str, ...]:
    """The model's parameter names, in order, once the request is known to be sound."""
    if not states:
        raise ConfigError("landscape", "no recorded weights to draw a landscape from")
    if isinstance(centre, bool) or not isinstance(centre, int) or not -len(states) <= centre < len(states):
        raise ConfigError("landscape.centre", f"must be the index of one of the {len(states)} states, got {centre!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 3 or steps % 2 == 0:
        raise ConfigError("landscape.steps", f"must be an odd whole number >= 3 (the middle point is the "
                                             f"trained model), got {steps!r}")
    if kind not in KINDS:
        raise ConfigError("landscape.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    with torch.device("meta"):   # the shapes only: no weights drawn, torch's generator left alone
        shapes = {name: p.shape for name, p in build_model(experiment).named_parameters()}
    for i, state in enumerate(states):
        if any(np.shape(state.get(k)) != tuple(shape) for k, shape in shapes.items()):
            raise ConfigError("landscape", f"state {i} does not fit this experiment's model "
                                           f"({experiment_param_count(experiment):,} parameters)")
    return tuple(shapes)


def _flat(state: dict[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([np.ravel(state[k]) for k in keys]).astype(np.float32, copy=False)


def _distinct(offsets: np.ndarray, enough: int) -> bool:
    """Whether the rows hold at least `enough` different points (stops looking once they do)."""
    found: list[np.ndarray] = []
    for row in offsets:
        if not any(np.array_equal(row, f) for f in found):
            found.append(row)
            if len(found) >= enough:
                return True
    return False


def _pca(offsets: np.ndarray) -> np.ndarray:
    """(2, P): the two main directions of the path's offsets from the centre, orthonormal; signed so
    that the path's first point has negative coordinates (it comes in from the lower left).

    From the eigenvectors of the smaller Gram matrix (P x P, or n x n mapped back through the offsets and
    made orthonormal): a dense SVD of a 300 x 603 path took 0.4-0.9 s here, these take milliseconds."""
    m = torch.from_numpy(offsets)
    n, p = m.shape
    if p <= n:
        directions = torch.linalg.eigh(m.T @ m).eigenvectors[:, -2:].flip(1)
    else:
        top = torch.linalg.eigh(m @ m.T).eigenvectors[:, -2:].flip(1)
        # A straight path has no second direction: QR still gives one orthogonal to the first.
        directions = torch.linalg.qr(m.T @ top).Q
    directions = directions.T.contiguous().numpy()
    first = directions @ offsets[0]
    directions[first > 0] *= -1
    return directions


def _random(state: dict[str, np.ndarray], keys: tuple[str, ...], seed: int) -> np.ndarray:
    """(2, P): Li et al.'s filter-normalised random directions (zero on biases and 1-D tensors)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        parts = []
        for key in keys:
            w = np.asarray(state[key], dtype=np.float64)
            if w.ndim < 2:
                parts.append(np.zeros(w.size))
                continue
            d = rng.standard_normal(w.shape)
            filters, dirs = w.reshape(len(w), -1), d.reshape(len(d), -1)
            dirs *= (np.linalg.norm(filters, axis=1) / (np.linalg.norm(dirs, axis=1) + 1e-10))[:, None]
            parts.append(dirs.ravel())
        out.append(np.concatenate(parts))
    return np.stack(out)


def _project(directions: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Least-squares coordinates of each offset in the plane (plain dot products for orthonormal ones)."""
    return np.linalg.solve(directions @ directions.T, directions @ offsets.T).T


def _explained(directions: np.ndarray, offsets: np.ndarray) -> tuple[float, float]:
    """The fraction of the path's squared distance from the centre that lies along each direction."""
    total = float(np.einsum("ij,ij->", offsets, offsets))
    if total == 0:
        return (float("nan"), float("nan"))
    along = (offsets @ (directions / np.linalg.norm(directions, axis=1, keepdims=True)).T) ** 2
    return tuple(float(v) for v in along.sum(axis=0) / total)   # type: ignore[return-value]


def _axes(path: np.ndarray, steps: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Each direction's grid coordinates: centred on 0 (exactly, in the middle), reaching MARGIN beyond
    the path; random directions at least +-RANDOM_SPAN."""
    reach = np.abs(path).max(axis=0) * (1 + MARGIN)
    if kind == "random":
        reach = np.maximum(reach, RANDOM_SPAN)
    reach = np.maximum(reach, MIN_SIDE * reach.max())
    axes = []
    for half in reach:
        values = np.linspace(-half, half, steps)
        values[steps // 2] = 0.0
        axes.append(values)
    return axes[0], axes[1]


def _batch_size(experiment: Experiment, rows: int, total: int) -> int:
    """Grid points evaluated at once: as many as fit _BATCH_FLOATS of parameters and activations."""
    activations = sum(int(np.prod(s.out_shape)) for s in layer_shapes(experiment))
    per_point = experiment_param_count(experiment) + rows * activations
    return int(max(1, min(_MAX_BATCH, total, _BATCH_FLOATS // per_point)))


@contextmanager
def _threads(count: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# -- the losses ------------------------------------------------------------------------------------
class _Grid:
    """The loss at points (alpha, beta) of the plane, on fixed rows."""

    def __init__(self, experiment: Experiment, model: nn.Sequential, keys: tuple[str, ...],
                 directions: np.ndarray, x: np.ndarray, y: np.ndarray, device: torch.device):
        self.model, self.device = model, device
        self.criterion = build_loss(experiment)
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(device)
        # As the loop's targets: class indices for cross-entropy, a float column for BCE and MSE.
        if resolved_loss(experiment) == "cross_entropy":
            self.y = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
        else:
            self.y = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1)).to(device)
        params = dict(model.named_parameters())
        sizes = [params[k].numel() for k in keys]
        self.centre = {k: params[k].detach() for k in keys}
        self.dirs = [{k: torch.from_numpy(part.astype(np.float32)).reshape(params[k].shape).to(device)
                      for k, part in zip(keys, np.split(d, np.cumsum(sizes)[:-1]))} for d in directions]
        modules = list(model)
        first = next(i for i, m in enumerate(modules) if any(True for _ in m.parameters()))
        # Worth it when the layer has more inputs than the three products it is replaced by.
        self.first_linear = isinstance(modules[first], nn.Linear) and modules[first].in_features > 3
        if self.first_linear:
            # Everything up to the first Linear has no parameters; that layer is computed three times here.
            with torch.no_grad():
                h = nn.Sequential(*modules[:first])(self.x)
                layer = modules[first]
                names = (f"{first}.weight", f"{first}.bias")
                self.parts = [layer(h)] + [torch.nn.functional.linear(h, d[names[0]], d[names[1]]) for d in self.dirs]
            self.rest = nn.Sequential(*modules[first + 1:])
            # rest's parameter i.weight is the model's (i + first + 1).weight
            self.rest_keys = {k: f"{int(k.partition('.')[0]) + first + 1}.{k.partition('.')[2]}"
                              for k, _ in self.rest.named_parameters()}

    def losses(self, points: np.ndarray) -> np.ndarray:
        """(K,) the loss at each of the (K, 2) points."""
        ab = torch.from_numpy(points.astype(np.float32)).to(self.device)
        a, b = ab[:, 0], ab[:, 1]
        with torch.no_grad():
            if self.first_linear:
                c, d1, d2 = self.parts
                h = c + a[:, None, None] * d1 + b[:, None, None] * d2
                params = {k: self._at(a, b, key) for k, key in self.rest_keys.items()}
                out = vmap(self._rest_loss)(params, h)
            else:
                params = {k: self._at(a, b, k) for k in self.centre}
                out = vmap(self._model_loss)(params)
        return out.double().cpu().numpy()

    def _at(self, a: torch.Tensor, b: torch.Tensor, key: str) -> torch.Tensor:
        """(K, *shape): the parameter `key` at each point: centre + a * d1 + b * d2."""
        shape = (-1,) + (1,) * self.centre[key].dim()
        return self.centre[key] + a.view(shape) * self.dirs[0][key] + b.view(shape) * self.dirs[1][key]

    def _rest_loss(self, params: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
        return self.criterion(functional_call(self.rest, params, (h,)), self.y)

    def _model_loss(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.criterion(functional_call(self.model, params, (self.x,)), self.y)

    def centre_loss(self) -> float:
        """The centre model's loss on the rows, as a plain forward pass computes it."""
        with torch.no_grad():
            return float(self.criterion(self.model(self.x), self.y))
