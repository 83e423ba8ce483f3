"""The experiment: four frozen dataclasses, their JSON form and their validation.

Every error a user can cause here is a `ConfigError` whose message starts with
the field path, e.g. ``optim.lr: must be > 0, got -1``.
"""
from __future__ import annotations

import dataclasses
import json
import re
import math
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import shape_walk
from .mistakes import MISTAKE_TABLE, MISTAKES
from .tabular.catalog import CSV, MAX_CLASSES, REAL_DATASETS, TASKS as TABULAR_TASKS

SCHEMA = 1

DATASETS = ("linear", "and", "or", "xor", "spiral", "circles", "moons", "blobs",
            "two-spirals", "mnist", *REAL_DATASETS, CSV)
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "identity")
LAYER_KINDS = ("linear", "activation", "dropout", "batchnorm",
               "conv2d", "maxpool2d", "avgpool2d", "flatten", "batchnorm2d")
MNIST_IMAGE = (1, 28, 28)        # channels, height, width: what a convolution sees of an MNIST digit
MAX_CHANNELS = 1024
MAX_KERNEL = 28
LOSSES = ("auto", "bce", "cross_entropy", "mse")
DEVICES = ("auto", "cpu", "cuda")
MNIST_SUBSETS = ("seed", "full")
NORMALIZATIONS = ("none", "standard")
INITS = ("default", "zeros")
# Training on the CPU uses one intra-op thread when the work per step (shapes.experiment_work x rows) is
# below this: each op's hand-off to a second thread (which sleeps between ops, trainer/__init__.py) costs
# more than the thread saves. Measured with trainer.loop.train on the 2-core machine, quiet / beside one
# busy process, epochs/s at 1 and 2 threads (issue 14): the mini-batch MLP of mnist-mlp-full, 30M,
# 0.785 / 0.522 quiet and 0.684 / 0.498 busy; at batch 512 (120M) 1.27 / 1.16; the mnist-cnn network,
# 156M, 1.07 / 1.32 quiet; the seed's full-batch MLP, 1,176M, 16.4 / 17.2. (2,000,000 before: the
# mini-batch MLP trained a third slower than the seed's plain script.) The exported script must do the
# same, since the thread count can change the order in which floats are summed (loop.threads_for, export).
ONE_THREAD_BELOW = 100_000_000


@dataclass(frozen=True)
class OptimizerKind:
    """One choice of optim.name: everything the trainer, the exported script and the dock need to know."""
    name: str               # the value of optim.name
    label: str              # what the Optimizer dock shows
    torch_class: str        # torch.optim.<torch_class>
    takes_momentum: bool    # passes optim.momentum to the constructor
    fused: bool             # torch has a fused step for it (CPU and CUDA)


OPTIMIZER_TABLE: dict[str, OptimizerKind] = {kind.name: kind for kind in (
    OptimizerKind("sgd", "SGD", "SGD", takes_momentum=False, fused=True),
    OptimizerKind("momentum", "SGD + momentum", "SGD", takes_momentum=True, fused=True),
    OptimizerKind("adam", "Adam", "Adam", takes_momentum=False, fused=True),
    OptimizerKind("adamw", "AdamW", "AdamW", takes_momentum=False, fused=True),
    OptimizerKind("rmsprop", "RMSprop", "RMSprop", takes_momentum=True, fused=False),
)}
OPTIMIZERS = tuple(OPTIMIZER_TABLE)


class ConfigError(ValueError):
    """A setting is missing, of the wrong type or out of range; the message names it."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class CsvSpec:
    """data.csv: the user's own file, how it is read and what is learnt from it (trainer/tabular/)."""
    path: str = ""
    sha256: str = ""              # of the file when it was imported; "" = not checked
    separator: str = ","
    decimal: str = "."
    header: bool = True
    target: str = ""              # the column the model predicts
    task: str = "classification"  # classification | regression
    class_names: tuple[str, ...] = ()   # classification: class i's label as the file writes it
    drop_bad_rows: bool = False   # rows with an empty, NaN or infinite cell are dropped instead of refused


@dataclass(frozen=True)
class DataSpec:
    name: str = "spiral"
    n_samples: int = 450          # total points of a generated dataset
    noise: float = 0.25
    classes: int = 3              # spiral and blobs only; others fix their own
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    seed: int = 42
    mnist_subset: str = "seed"    # seed: 5,000/1,000/10,000; full: 55,000/5,000/10,000
    normalize: str = "none"       # MNIST input: none keeps [0, 1] as the seed; standard uses mean/std
    root: str | None = None       # MNIST folder; None -> env, then the user data dir
    extra_points: tuple[tuple[float, float, int], ...] = ()  # points the user clicked in
    # Tabular data (scikit-learn's sets, data.name "csv"): standardise each feature (and a regression
    # target) with the training split's mean and std; the feature columns, () = all of a real dataset's.
    standardize: bool = True
    features: tuple[str, ...] = ()
    csv: CsvSpec | None = None    # data.name "csv" only


@dataclass(frozen=True)
class LayerSpec:
    kind: str = "linear"
    units: int | None = None      # linear
    fn: str | None = None         # activation
    p: float | None = None        # dropout
    channels: int | None = None   # conv2d: output channels
    kernel: int | None = None     # conv2d, maxpool2d, avgpool2d: the square window's side
    stride: int | None = None     # None: 1 for conv2d, = kernel for the pools
    padding: int | None = None    # None: 0


@dataclass(frozen=True)
class ModelSpec:
    layers: tuple[LayerSpec, ...] = ()
    loss: str = "auto"
    init: str = "default"


@dataclass(frozen=True)
class OptimSpec:
    name: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_decay: float = 1.0         # each epoch ends with lr *= lr_decay (ExponentialLR); 1 = a constant lr


@dataclass(frozen=True)
class TrainSpec:
    epochs: int = 1000
    batch_size: int = 0           # 0 = full batch, as the seed trains
    patience: int = 0             # 0 = no early stopping
    restore_best: bool = True
    seed: int = 42
    device: str = "auto"
    mistake: str = "none"         # a classic mistake made on purpose (trainer/mistakes.py); none = the right loop


@dataclass(frozen=True)
class Experiment:
    data: DataSpec = field(default_factory=DataSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    optim: OptimSpec = field(default_factory=OptimSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        validate(self)

    # -- JSON -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = {"schema": SCHEMA, **dataclasses.asdict(self)}
        out["data"]["extra_points"] = [list(p) for p in self.data.extra_points]
        out["data"]["features"] = list(self.data.features)
        if self.data.csv is not None:
            out["data"]["csv"]["class_names"] = list(self.data.csv.class_names)
        out["model"]["layers"] = [
            {k: v for k, v in layer.items() if v is not None} for layer in out["model"]["layers"]
        ]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, raw: Any) -> "Experiment":
        if not isinstance(raw, dict):
            raise ConfigError("", f"an experiment must be a JSON object, got {_type_name(raw)}")
        schema = raw.get("schema", SCHEMA)
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise ConfigError("schema", f"must be an integer, got {_type_name(schema)}")
        if schema > SCHEMA:
            raise ConfigError("schema", f"version {schema} is newer than this program reads ({SCHEMA}); "
                                        "update Neural Playground")
        if schema < 1:
            raise ConfigError("schema", f"must be >= 1, got {schema}")
        body = {k: v for k, v in raw.items() if k != "schema"}
        return _build(cls, body, "")

    @classmethod
    def from_json(cls, text: str | bytes) -> "Experiment":
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")      # -sig: Windows editors may start the file with a BOM
            except UnicodeDecodeError as exc:
                raise ConfigError("", f"not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
        if not isinstance(text, str):
            raise ConfigError("", f"an experiment must be JSON text, got {_type_name(text)}")
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise ConfigError("", "the file is empty")
        try:
            raw = _loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            raise ConfigError("", "not valid JSON: nested too deeply") from None
        return cls.from_dict(raw)

    def with_overrides(self, assignments: dict[str, Any]) -> "Experiment":
        """Return a copy with dotted-path values replaced, e.g. {"optim.lr": 0.1, "model.layers[2].p": 0.5}."""
        raw = self.to_dict()
        for path, value in assignments.items():
            node = raw
            parts = [key for part in path.split(".") for key in _path_keys(part, path)]
            for part in parts[:-1]:
                node = _child(node, part, path)
            _child(node, parts[-1], path)
            node[parts[-1]] = value
        return Experiment.from_dict(raw)


def _path_keys(part: str, path: str) -> list[str | int]:
    """'layers[2]' -> ['layers', 2]; 'lr' -> ['lr']."""
    found = re.fullmatch(r"([A-Za-z_]\w*)((?:\[\d+\])*)", part)
    if found is None:
        raise ConfigError(path, "no such setting")
    return [found.group(1), *(int(i) for i in re.findall(r"\d+", found.group(2)))]


def _child(node: Any, key: str | int, path: str) -> Any:
    if isinstance(key, int) and isinstance(node, list) and key < len(node):
        return node[key]
    if isinstance(key, str) and isinstance(node, dict) and key in node:
        return node[key]
    raise ConfigError(path, "no such setting")


# -- building from plain data ----------------------------------------------------

def _parse_int(digits: str) -> int | float:
    """JSON integers longer than any setting needs become floats (inf when huge): Python refuses to
    convert more than 4,300 digits (ValueError), and a float field cannot hold a 400-digit integer."""
    return int(digits) if len(digits) <= 30 else float(digits)


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_parse_int)


def _show(value: Any, limit: int = 60) -> str:
    """A user's value inside a message: repr (one line, quotes visible), cut when long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _build(cls: type, raw: Any, path: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(path, f"must be an object, got {_type_name(raw)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - names, key=str)
    if unknown:
        key = unknown[0]
        shown = key if isinstance(key, str) and key.isidentifier() and len(key) <= 60 else _show(key)  # one line
        raise ConfigError(_join(path, shown), "unknown setting")
    kwargs = {}
    for f in fields(cls):
        sub = _join(path, f.name)
        if f.name not in raw:
            if cls is Experiment and f.name in ("data", "model", "optim", "train"):
                raise ConfigError(sub, "missing")
            continue
        kwargs[f.name] = _coerce(hints[f.name], raw[f.name], sub)
    if cls is Experiment:
        return cls(**kwargs)
    return cls(**kwargs)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(path, f"must be a list, got {_type_name(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(path, f"must have {len(args)} items, got {len(value)}")
        return tuple(_coerce(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, f"must be true or false, got {_type_name(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"must be an integer, got {_type_name(value)}")
        if isinstance(value, float):
            if not value.is_integer():
                raise ConfigError(path, f"must be an integer, got {value}")
            value = int(value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"must be a number, got {_type_name(value)}")
        try:
            return float(value)
        except OverflowError:   # a Python int beyond 1e308
            raise ConfigError(path, "must be a finite number, got an integer beyond 1e308") from None
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(path, f"must be a string, got {_type_name(value)}")
        return value
    raise ConfigError(path, f"cannot read a value of type {hint}")  # pragma: no cover


# -- validation -------------------------------------------------------------------

def task_of(data: DataSpec) -> str:
    """'regression', 'binary' or 'multiclass' for a dataset."""
    if data.name == "linear" or _tabular_task(data) == "regression":
        return "regression"
    return "binary" if n_classes(data) == 2 else "multiclass"


def _tabular_task(data: DataSpec) -> str | None:
    if data.name in REAL_DATASETS:
        return REAL_DATASETS[data.name].task
    return data.csv.task if data.name == CSV and data.csv is not None else None


def n_classes(data: DataSpec) -> int:
    """Number of classes (1 for regression)."""
    if data.name == "linear" or _tabular_task(data) == "regression":
        return 1
    if data.name in REAL_DATASETS:
        return len(REAL_DATASETS[data.name].class_names)
    if data.name == CSV:
        return len(data.csv.class_names) if data.csv is not None else 2
    if data.name == "mnist":
        return 10
    if data.name in ("spiral", "blobs"):
        return data.classes
    return 2


def input_dim(data: DataSpec) -> int:
    if data.features or data.name == CSV:
        return len(data.features)
    if data.name in REAL_DATASETS:
        return REAL_DATASETS[data.name].n_features
    return {"linear": 1, "mnist": 784}.get(data.name, 2)


def input_shape(data: DataSpec, layers: tuple[LayerSpec, ...]) -> tuple[int, ...]:
    """What the first layer sees: the image (MNIST's 1x28x28, scikit-learn's digits 1x8x8 with all
    64 pixels) for a network that starts with image layers (conv2d, pools, flatten, ...), else the
    flat features (MLPs: 784 pixels)."""
    if shape_walk.keeps_image(layers):
        if data.name == "mnist":
            return MNIST_IMAGE
        real = REAL_DATASETS.get(data.name)
        if real is not None and real.image_shape is not None and not data.features:
            return (1, *real.image_shape)
    return (input_dim(data),)


def layer_offset(exp: Experiment) -> int:
    """Index in trainer.models.build_model(exp) of the module of model.layers[0]: 1 after a CNN's Unflatten, else 0."""
    return 1 if len(input_shape(exp.data, exp.model.layers)) == 3 else 0


def resolved_loss(exp: Experiment) -> str:
    if exp.model.loss != "auto":
        return exp.model.loss
    return {"regression": "mse", "binary": "bce", "multiclass": "cross_entropy"}[task_of(exp.data)]


def output_units(exp: Experiment) -> int:
    """Width of the head: one sigmoid / regression column, else one logit per class."""
    return 1 if resolved_loss(exp) in ("bce", "mse") else n_classes(exp.data)


def experiment_param_count(exp: Experiment) -> int:
    """The parameter count of the experiment's model, by arithmetic: what
    models.param_count(build_model(exp)) gives, without building the model.

    Building a model draws its initial weights from torch's global generator, which a
    training running on another thread is using for dropout: counting must not disturb it.
    """
    return sum(s.params for s in shape_walk.walk(input_shape(exp.data, exp.model.layers), exp.model.layers,
                                                 output_units(exp)))


def _check(cond: bool, path: str, reason: str) -> None:
    if not cond:
        raise ConfigError(path, reason)


def _choice(value: str, options: tuple[str, ...], path: str) -> None:
    _check(value in options, path, f"unknown value {_show(value)}; choose one of {', '.join(options)}")


def _finite(value: float, path: str) -> None:
    _check(math.isfinite(value), path, f"must be a finite number, got {value}")


def _validate_tabular(d: DataSpec) -> None:
    """Tabular data: features named once each; a CSV file's settings complete and coherent."""
    tabular = d.name in REAL_DATASETS or d.name == CSV
    _check(tabular or not d.features, "data.features", f"only tabular data has feature columns, not {d.name}")
    _check(d.name == CSV or d.csv is None, "data.csv", f"only data.name csv reads a file, not {d.name}")
    _check(not (tabular and d.extra_points), "data.extra_points", f"points cannot be added to {d.name}")
    _check(len(set(d.features)) == len(d.features), "data.features", "a column is named twice")
    if d.name in REAL_DATASETS:
        _check(len(d.features) <= REAL_DATASETS[d.name].n_features, "data.features",
               f"{d.name} has {REAL_DATASETS[d.name].n_features} features, got {len(d.features)}")
    if d.name != CSV:
        return
    c = d.csv
    _check(c is not None, "data.csv", "missing: the file to read")
    _check(c.path != "", "data.csv.path", "missing")
    _check(c.sha256 == "" or (len(c.sha256) == 64 and all(ch in "0123456789abcdef" for ch in c.sha256)),
           "data.csv.sha256", "must be 64 lower-case hex digits or empty")
    _check(len(c.separator) == 1 and c.separator not in '"\r\n', "data.csv.separator",
           f"must be one character, got {_show(c.separator)}")
    _check(c.decimal in (".", ","), "data.csv.decimal", f"must be '.' or ',', got {_show(c.decimal)}")
    _check(c.decimal != c.separator, "data.csv.decimal", "cannot be the separator too")
    _check(c.target != "", "data.csv.target", "missing: the column to predict")
    _check(len(d.features) > 0, "data.features", "missing: at least one feature column")
    _check(c.target not in d.features, "data.features", f"the target {_show(c.target)} cannot also be a feature")
    _choice(c.task, TABULAR_TASKS, "data.csv.task")
    if c.task == "regression":
        _check(not c.class_names, "data.csv.class_names", "a regression has no classes")
    else:
        _check(2 <= len(c.class_names) <= MAX_CLASSES, "data.csv.class_names",
               f"a classification needs 2 to {MAX_CLASSES} classes, got {len(c.class_names)}")
        _check(len(set(c.class_names)) == len(c.class_names), "data.csv.class_names", "a class is named twice")


def validate(exp: Experiment) -> None:
    """Raise ConfigError naming the first field that is out of range."""
    d, m, o, t = exp.data, exp.model, exp.optim, exp.train
    for name, obj, cls in (("data", d, DataSpec), ("model", m, ModelSpec),
                           ("optim", o, OptimSpec), ("train", t, TrainSpec)):
        _check(isinstance(obj, cls), name, f"must be a {cls.__name__}")
    _choice(d.name, DATASETS, "data.name")
    _check(d.n_samples >= 4, "data.n_samples", f"must be >= 4, got {d.n_samples}")
    _check(d.n_samples <= 100_000, "data.n_samples", f"must be <= 100000, got {d.n_samples}")
    _finite(d.noise, "data.noise")
    _check(d.noise >= 0, "data.noise", f"must be >= 0, got {d.noise}")
    _check(2 <= d.classes <= 10, "data.classes", f"must be between 2 and 10, got {d.classes}")
    for name in ("val_fraction", "test_fraction"):
        v = getattr(d, name)
        _finite(v, f"data.{name}")
        _check(0 <= v < 1, f"data.{name}", f"must be in [0, 1), got {v}")
    _check(d.val_fraction + d.test_fraction < 0.9, "data.val_fraction",
           f"validation and test together must leave at least 10% for training, "
           f"got {d.val_fraction + d.test_fraction:.2f}")
    _choice(d.mnist_subset, MNIST_SUBSETS, "data.mnist_subset")
    _choice(d.normalize, NORMALIZATIONS, "data.normalize")
    _validate_tabular(d)
    for i, (x, y, label) in enumerate(d.extra_points):
        _check(math.isfinite(x) and math.isfinite(y), f"data.extra_points[{i}]", "coordinates must be finite")
        _check(0 <= label < n_classes(d) or d.name == "linear", f"data.extra_points[{i}]",
               f"class {label} does not exist; the dataset has {n_classes(d)}")

    for i, layer in enumerate(m.layers):
        p = f"model.layers[{i}]"
        _check(isinstance(layer, LayerSpec), p, "must be a layer")
        _choice(layer.kind, LAYER_KINDS, f"{p}.kind")
        if layer.kind == "linear":
            _check(layer.units is not None, f"{p}.units", "missing")
            _check(layer.units > 0, f"{p}.units", f"must be > 0, got {layer.units}")
            _check(layer.units <= 8192, f"{p}.units", f"must be <= 8192, got {layer.units}")
        elif layer.kind == "activation":
            _check(layer.fn is not None, f"{p}.fn", "missing")
            _choice(layer.fn, ACTIVATIONS, f"{p}.fn")
        elif layer.kind == "dropout":
            _check(layer.p is not None, f"{p}.p", "missing")
            _finite(layer.p, f"{p}.p")
            _check(0 <= layer.p < 1, f"{p}.p", f"must be in [0, 1), got {layer.p}")
        if layer.kind == "conv2d":
            _check(layer.channels is not None, f"{p}.channels", "missing")
            _check(0 < layer.channels <= MAX_CHANNELS, f"{p}.channels",
                   f"must be between 1 and {MAX_CHANNELS}, got {layer.channels}")
        if layer.kind in ("conv2d", *shape_walk.POOL_KINDS):
            _check(layer.kernel is not None, f"{p}.kernel", "missing")
            _check(0 < layer.kernel <= MAX_KERNEL, f"{p}.kernel", f"must be between 1 and {MAX_KERNEL}, got {layer.kernel}")
            _check(layer.stride is None or 0 < layer.stride <= MAX_KERNEL, f"{p}.stride",
                   f"must be between 1 and {MAX_KERNEL}, got {layer.stride}")
            _check(layer.padding is None or 0 <= layer.padding <= MAX_KERNEL, f"{p}.padding",
                   f"must be between 0 and {MAX_KERNEL}, got {layer.padding}")
        # A setting of another kind (fn on a linear layer) would be ignored silently, and a NaN there
        # would be written back as invalid JSON: refuse it, as any unknown setting.
        for name, owners in (("units", ("linear",)), ("fn", ("activation",)), ("p", ("dropout",)),
                             ("channels", ("conv2d",)), ("kernel", ("conv2d", *shape_walk.POOL_KINDS)),
                             ("stride", ("conv2d", *shape_walk.POOL_KINDS)),
                             ("padding", ("conv2d", *shape_walk.POOL_KINDS))):
            article = "an" if layer.kind[0] in "aeiou" else "a"
            _check(layer.kind in owners or getattr(layer, name) is None, f"{p}.{name}",
                   f"{article} {layer.kind} layer has no {name}")
    _check(len(m.layers) <= 64, "model.layers", f"at most 64 layers, got {len(m.layers)}")
    _choice(m.loss, LOSSES, "model.loss")
    _choice(m.init, INITS, "model.init")
    # An impossible shape (a kernel larger than its input, a linear layer on a map) names its layer.
    bad = shape_walk.first_error(shape_walk.walk(input_shape(d, m.layers), m.layers, output_units(exp)))
    if bad is not None:
        raise ConfigError(shape_walk.error_path(bad), bad.error)
    loss = resolved_loss(exp)
    task, k = task_of(d), n_classes(d)
    if loss == "bce":
        _check(task == "binary", "model.loss",
               f"binary cross-entropy needs 2 classes, but {d.name} has {k}; use cross_entropy")
    if loss == "cross_entropy":
        _check(task != "regression", "model.loss", f"cross_entropy needs classes, but {d.name} is a regression")
    if loss == "mse":
        _check(task == "regression", "model.loss", f"mse is for regression, but {d.name} has {k} classes")

    _choice(o.name, OPTIMIZERS, "optim.name")
    _finite(o.lr, "optim.lr")
    _check(o.lr > 0, "optim.lr", f"must be > 0, got {o.lr:g}")
    _check(o.lr <= 1000, "optim.lr", f"must be <= 1000, got {o.lr:g}")
    _finite(o.momentum, "optim.momentum")
    _check(0 <= o.momentum < 1, "optim.momentum", f"must be in [0, 1), got {o.momentum:g}")
    _finite(o.weight_decay, "optim.weight_decay")
    _check(o.weight_decay >= 0, "optim.weight_decay", f"must be >= 0, got {o.weight_decay:g}")
    _finite(o.lr_decay, "optim.lr_decay")
    _check(0 < o.lr_decay <= 1, "optim.lr_decay", f"must be in (0, 1] (1 = a constant lr), got {o.lr_decay:g}")

    _check(t.epochs > 0, "train.epochs", f"must be > 0, got {t.epochs}")
    _check(t.epochs <= 1_000_000, "train.epochs", f"must be <= 1000000, got {t.epochs}")
    _check(t.batch_size >= 0, "train.batch_size", f"must be >= 0 (0 = full batch), got {t.batch_size}")
    _check(t.patience >= 0, "train.patience", f"must be >= 0 (0 = off), got {t.patience}")
    _check(0 <= t.seed < 2**63, "train.seed", f"must be in [0, 2^63), got {t.seed}")
    _check(0 <= d.seed < 2**32, "data.seed", f"must be in [0, 2^32), got {d.seed}")
    _choice(t.device, DEVICES, "train.device")
    _choice(t.mistake, MISTAKES, "train.mistake")
    _check(not MISTAKE_TABLE[t.mistake].needs_cross_entropy or loss == "cross_entropy", "train.mistake",
           f"{MISTAKE_TABLE[t.mistake].label} needs a cross_entropy loss; this experiment uses {loss}")


def parse_override(text: str) -> tuple[str, Any]:
    """'optim.lr=0.1' -> ('optim.lr', 0.1); the value is read as JSON, else kept as text."""
    if "=" not in text:
        raise ConfigError(text, "expected PATH=VALUE, e.g. optim.lr=0.1")
    path, _, value = text.partition("=")
    if not path.strip():
        raise ConfigError(text, "expected PATH=VALUE, e.g. optim.lr=0.1")
    try:
        parsed = _loads(value)
    except (json.JSONDecodeError, RecursionError):
        parsed = value
    return path.strip(), parsed


__all__ = ["ConfigError", "CsvSpec", "DataSpec", "LayerSpec", "ModelSpec", "OptimSpec", "TrainSpec",
           "Experiment", "SCHEMA", "OptimizerKind", "OPTIMIZER_TABLE", "OPTIMIZERS", "validate", "task_of",
           "n_classes", "input_dim", "input_shape", "MNIST_IMAGE",
           "resolved_loss", "output_units", "experiment_param_count", "ONE_THREAD_BELOW", "parse_override", "replace"]
