"""Experiment -> a standalone, readable PyTorch script that repeats the app's run.

The script is written for a learner, in the seed's style: the data generated
inline, an `nn.Sequential`, the five-step loop, early stopping and evaluation,
with only the branches this experiment needs. On the CPU, with the same seed, it
reproduces `trainer.loop` exactly, so every line that touches a random number
or the order of a floating-point sum follows loop.py, data.py and models.py.
Its last stdout line is the JSON object `python -m trainer run` prints.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template
from textwrap import dedent

from .atomic import atomic_write
from .config import (ONE_THREAD_BELOW, OPTIMIZER_TABLE, Experiment, LayerSpec, experiment_param_count, input_dim,
                     n_classes, output_units, resolved_loss, task_of)
from .data import GATES
from .mnist import MEAN as MNIST_MEAN, STD as MNIST_STD, SUBSETS as MNIST_SUBSETS, resolve_root

GATE_TITLES = {"and": "AND", "or": "OR", "xor": "XOR"}
_ACTIVATIONS = {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU()", "tanh": "nn.Tanh()",
                "sigmoid": "nn.Sigmoid()", "gelu": "nn.GELU()", "identity": "nn.Identity()"}


class ExportError(OSError):
    """The script could not be written; the message names the file."""


@dataclass(frozen=True)
class _Plan:
    """What the script must do, decided once from the experiment."""
    exp: Experiment
    task: str            # regression | binary | multiclass
    loss: str            # bce | cross_entropy | mse
    n_train: int         # training rows, extra points included
    batch: int           # 0 = one full batch per epoch
    params: int

    @property
    def classes_as_index(self) -> bool:
        """CrossEntropyLoss wants class indices (N,); BCELoss and MSELoss a float column (N, 1)."""
        return self.loss == "cross_entropy"


def render_script(experiment: Experiment) -> str:
    """The whole script as text; pure and cheap, so a panel can call it on every change."""
    plan = _plan(experiment)
    parts = [_header(plan), _imports(plan), _settings(plan), _data(plan), _model(plan),
             _training(plan), _evaluation(plan), _summary(plan)]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def write_script(experiment: Experiment, path: str | os.PathLike[str]) -> Path:
    """Write the script atomically (atomic.atomic_write) and return its path."""
    target = Path(path).expanduser()
    text = render_script(experiment)
    if target.is_dir():
        raise ExportError(f"{target}: is a folder; give a file name such as {target / 'train.py'}")
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"{target}: the folder {folder} does not exist")
    try:
        return atomic_write(target, text)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write there ({exc.strerror or exc})") from None


# -- deciding ---------------------------------------------------------------------

def _plan(exp: Experiment) -> _Plan:
    n_train = _train_rows(exp)
    batch = exp.train.batch_size if 0 < exp.train.batch_size < n_train else 0
    return _Plan(exp, task_of(exp.data), resolved_loss(exp), n_train, batch, experiment_param_count(exp))


def _train_rows(exp: Experiment) -> int:
    """How many rows data.load() gives the training set, without generating anything."""
    d = exp.data
    if d.name == "mnist":
        return MNIST_SUBSETS[d.mnist_subset][0]
    if d.name in GATES:
        return 4 + len(d.extra_points)
    if d.name == "linear" and d.val_fraction == 0 and d.test_fraction == 0:
        n = d.n_samples
    else:
        total = (d.n_samples // d.classes) * d.classes if d.name == "spiral" else d.n_samples
        n = total - int(total * d.val_fraction) - int(total * d.test_fraction)
    return n + len(d.extra_points)


def _one_thread(plan: _Plan) -> bool:
    rows = plan.exp.train.batch_size or plan.n_train
    return plan.exp.train.device != "cuda" and plan.params * rows < ONE_THREAD_BELOW


# -- writing ----------------------------------------------------------------------

def _fill(template: str, **values: object) -> str:
    return Template(dedent(template)).substitute(**values)


def _num(value: float | int) -> str:
    """A literal that reads back as exactly the same number."""
    return repr(value)


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _title(exp: Experiment) -> str:
    return exp.name or "custom experiment"


def _header(plan: _Plan) -> str:
    exp = plan.exp
    description = f"\n{exp.description}\n" if exp.description else ""
    needs = "torch, torchvision and numpy" if exp.data.name == "mnist" else "torch and numpy"
    usage = ("python this_script.py [MNIST_FOLDER]" if exp.data.name == "mnist" else "python this_script.py")
    return _fill('''\
        """$title: exported from Neural Playground as a standalone PyTorch script.
        $description
        Run it with:  $usage
        It needs only $needs. On the CPU it repeats the app's run exactly: the
        same seed, the same random draws in the same order, the same epochs. Its last
        line is one JSON object with the same keys as the app's command-line `run` prints.
        """''', title=_docstring_safe(_title(exp)), description=_docstring_safe(description),
                 usage=usage, needs=needs)


def _imports(plan: _Plan) -> str:
    stdlib = ["json", "math", "time"]
    if plan.exp.data.name == "mnist" or plan.exp.train.device == "cuda":
        stdlib += ["sys"]
    if plan.exp.data.name == "mnist":
        stdlib += ["os"]
    lines = [f"import {name}" for name in sorted(stdlib)]
    lines += ["", "import numpy as np", "import torch", "from torch import nn"]
    if plan.exp.data.name == "mnist":
        lines += ["from torchvision import datasets"]
    return "\n".join(lines)


def _settings(plan: _Plan) -> str:
    t = plan.exp.train
    out = ["# ── Settings ────────────────────────────────────────────────────────────────────────────",
           f"SEED = {t.seed}   # one seed for {_seed_uses(plan)}"]
    if t.device == "cpu":
        out.append('DEVICE = torch.device("cpu")')
    elif t.device == "cuda":
        out += ['if not torch.cuda.is_available():',
                '    sys.exit("train.device: CUDA was asked for, but no CUDA device is available")',
                'DEVICE = torch.device("cuda")']
    else:
        out.append('DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")')
    if _one_thread(plan):
        guard = "" if t.device == "cpu" else 'if DEVICE.type == "cpu":\n    '
        out += ["",
                "# A model this small runs faster on one CPU thread: handing work between threads",
                "# costs more than it saves. The app does the same, and it matters here: the number",
                "# of threads can change the order in which sums are added up, and so the last digits.",
                f"{guard}torch.set_num_threads(1)"]
    return "\n".join(out)


def _seed_uses(plan: _Plan) -> str:
    uses = ["the starting weights"]
    if _has(plan, "dropout"):
        uses.append("dropout")
    if plan.batch:
        uses.append("the shuffling")
    return uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " and " + uses[-1]


# -- 1. data ----------------------------------------------------------------------

_DATA_TITLE = "# ── 1. Data ─────────────────────────────────────────────────────────────────────────────"


def _data(plan: _Plan) -> str:
    name = plan.exp.data.name
    if name == "mnist":
        body = _data_mnist(plan)
    elif name in GATES:
        body = _data_gate(plan)
    elif name == "linear":
        body = _data_linear(plan)
    elif name == "spiral":
        body = _data_spiral(plan)
    else:
        body = _data_shape(plan)
    parts = [_DATA_TITLE + "\n" + body.strip("\n")]
    if plan.exp.data.extra_points and name != "mnist":
        parts.append(_extra_points(plan))
    parts.append(dedent("""\
        # Move everything to the device once (nothing happens on the CPU).
        X_train, y_train = X_train.to(DEVICE), y_train.to(DEVICE)
        X_val, y_val = X_val.to(DEVICE), y_val.to(DEVICE)
        X_test, y_test = X_test.to(DEVICE), y_test.to(DEVICE)
        print(f"train {len(X_train)}, validation {len(X_val)}, test {len(X_test)} samples")"""))
    return "\n\n".join(parts)


def _labels(plan: _Plan, source: str) -> str:
    """The tensor expression for a numpy label array, in the form the loss wants."""
    if plan.classes_as_index:
        return f"torch.tensor({source}, dtype=torch.long)"
    return f"torch.tensor({source}, dtype=torch.float32).reshape(-1, 1)"


def _label_comment(plan: _Plan) -> str:
    if plan.classes_as_index:
        return ("# Labels are class indices (dtype long, shape (N,)): CrossEntropyLoss wants the index,\n"
                "# not a one-hot vector.")
    if plan.loss == "bce":
        return ("# Labels are a float column, shape (N, 1): BCELoss compares them with the model's\n"
                "# probabilities, which have that shape.")
    return "# Targets are a float column, shape (N, 1), the shape of the model's output."


def _data_gate(plan: _Plan) -> str:
    name = plan.exp.data.name
    labels = GATES[name]
    if plan.classes_as_index:
        y = f"torch.tensor({labels}, dtype=torch.long)"
    else:
        y = f"torch.tensor({[[v] for v in labels]}, dtype=torch.float32)"
    return _fill("""\
        # The $gate truth table, one row per sample (PyTorch's batch-first convention: (N, features)).
        $comment
        X_train = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
        y_train = $y

        # Four points cannot be split, so, as the seed does, we validate and test on the same table.
        X_val, y_val = X_train, y_train
        X_test, y_test = X_train, y_train""", gate=GATE_TITLES[name], comment=_label_comment(plan), y=y)


def _data_linear(plan: _Plan) -> str:
    d = plan.exp.data
    head = _fill("""\
        # The seed's line: y = 2x + 1 plus Gaussian noise, on $n points of x in [0, 5].
        # The noise comes from its own torch generator, seeded, so it is the same every run.
        gen = torch.Generator().manual_seed($seed)
        x = torch.linspace(0, 5, $n)
        y_true = 2 * x + 1 + torch.randn($n, generator=gen) * $noise""",
                 n=d.n_samples, seed=d.seed, noise=_num(d.noise))
    if d.val_fraction == 0 and d.test_fraction == 0:
        return head + "\n\n" + dedent("""\
            # The model sees x as a column (N, 1): one sample per row, one feature.
            X_train = x[:, None]
            y_train = y_true[:, None]

            # As in the seed, we fit all the points: no split, so validation and test are the same points.
            X_val, y_val = X_train, y_train
            X_test, y_test = X_train, y_train""")
    return head + "\n\n" + _fill("""\
        X_np = x[:, None].numpy()   # (N, 1): one sample per row, one feature
        y_np = y_true.numpy()
        N = $n
        rng = np.random.RandomState($seed)""", n=d.n_samples, seed=d.seed) + "\n\n" + _shuffle_split(plan)


def _data_spiral(plan: _Plan) -> str:
    d = plan.exp.data
    per_class = d.n_samples // d.classes
    arms = "3-arm" if d.classes == 3 else f"{d.classes}-arm"
    labels = _labels(plan, "{}_np")
    return _fill("""\
        # The seed's $arms spiral, line for line (Mini-project B, phase 1).
        np.random.seed($seed)
        N_per_class = $per_class
        N_classes = $classes
        N = N_per_class * N_classes
        X_np = np.zeros((2, N))
        y_np = np.zeros(N, dtype=int)
        for k in range(N_classes):
            s, e = k * N_per_class, (k + 1) * N_per_class
            r = np.linspace(0.2, 1.0, N_per_class)
            theta = np.linspace(k * 4.0, (k + 1) * 4.0, N_per_class) + np.random.randn(N_per_class) * $noise
            X_np[0, s:e] = r * np.cos(theta)
            X_np[1, s:e] = r * np.sin(theta)
            y_np[s:e] = k

        # Shuffle
        idx = np.random.permutation(N)
        X_np, y_np = X_np[:, idx], y_np[idx]

        # Split ($split)
        n_test = int(N * $test)
        n_val = int(N * $val)
        n_train = N - n_val - n_test

        X_train_np, y_train_np = X_np[:, :n_train], y_np[:n_train]
        X_val_np, y_val_np = X_np[:, n_train:n_train+n_val], y_np[n_train:n_train+n_val]
        X_test_np, y_test_np = X_np[:, n_train+n_val:], y_np[n_train+n_val:]

        # To tensors. X is transposed from (2, N) to (N, 2): PyTorch puts the batch first.
        $comment
        X_train = torch.tensor(X_train_np.T, dtype=torch.float32)
        y_train = $y_train
        X_val = torch.tensor(X_val_np.T, dtype=torch.float32)
        y_val = $y_val
        X_test = torch.tensor(X_test_np.T, dtype=torch.float32)
        y_test = $y_test""", arms=arms, seed=d.seed, per_class=per_class, classes=d.classes,
                 noise=_num(d.noise), split=_split_words(d.val_fraction, d.test_fraction),
                 test=_num(d.test_fraction), val=_num(d.val_fraction), comment=_label_comment(plan),
                 y_train=labels.format("y_train"), y_val=labels.format("y_val"),
                 y_test=labels.format("y_test"))


def _split_words(val: float, test: float) -> str:
    train = 1 - val - test
    return f"{train * 100:.0f}/{val * 100:.0f}/{test * 100:.0f}"


_SHAPES = {
    "circles": """\
        # Circles: an inner disc (class 0) inside a ring (class 1), as TensorFlow Playground draws it.
        rng = np.random.RandomState($seed)
        N = $n
        noise = $noise
        half = N // 2
        r = np.concatenate([rng.uniform(0, 0.5, half), rng.uniform(0.7, 1.0, N - half)])
        angle = rng.uniform(0, 2 * np.pi, N)
        X_np = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        X_np += rng.randn(N, 2) * noise * 0.2
        y_np = np.concatenate([np.zeros(half, int), np.ones(N - half, int)])""",
    "moons": """\
        # Moons: two interleaving half circles, centred and scaled to about [-1, 1].
        rng = np.random.RandomState($seed)
        N = $n
        noise = $noise
        n_out = N // 2
        n_in = N - n_out
        t_out = np.linspace(0, np.pi, n_out)
        t_in = np.linspace(0, np.pi, n_in)
        X_np = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                               np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
        X_np += rng.randn(N, 2) * noise * 0.4
        X_np = (X_np - np.array([0.5, 0.25])) / 1.5
        y_np = np.concatenate([np.zeros(n_out, int), np.ones(n_in, int)])""",
    "blobs": """\
        # Blobs: one Gaussian cloud per class, the centres evenly spaced on a circle of radius 0.6.
        rng = np.random.RandomState($seed)
        N = $n
        noise = $noise
        k = $classes
        y_np = np.arange(N) % k
        angles = 2 * np.pi * np.arange(k) / k
        centres = 0.6 * np.stack([np.cos(angles), np.sin(angles)], 1)
        X_np = centres[y_np] + rng.randn(N, 2) * (0.05 + noise * 0.4)""",
    "two-spirals": """\
        # Two spirals wound into each other, as TensorFlow Playground draws them.
        rng = np.random.RandomState($seed)
        N = $n
        noise = $noise
        half = N // 2
        parts = []
        for k, delta in ((0, 0.0), (1, np.pi)):
            m = half if k == 0 else N - half
            r = np.linspace(0.05, 1.0, m)
            t = 1.75 * np.linspace(0, 1, m) * 2 * np.pi + delta
            parts.append(np.stack([r * np.sin(t), r * np.cos(t)], 1) + rng.randn(m, 2) * noise * 0.1)
        X_np = np.concatenate(parts)
        y_np = np.concatenate([np.zeros(half, int), np.ones(N - half, int)])""",
}


def _data_shape(plan: _Plan) -> str:
    d = plan.exp.data
    shape = _fill(_SHAPES[d.name], seed=d.seed, n=d.n_samples, noise=_num(d.noise), classes=d.classes)
    return shape + "\n\n" + _shuffle_split(plan)


def _shuffle_split(plan: _Plan) -> str:
    """The seed's recipe on (N, features) arrays: permute with the same generator, then cut."""
    d = plan.exp.data
    labels = _labels(plan, "y_np[{}]")
    return _fill("""\
        # Shuffle with the same generator, then split train | validation | test ($split).
        idx = rng.permutation(N)
        X_np, y_np = X_np[idx], y_np[idx]
        n_test = int(N * $test)
        n_val = int(N * $val)
        n_train = N - n_val - n_test

        $comment
        X_train = torch.tensor(X_np[:n_train], dtype=torch.float32)
        y_train = $y_train
        X_val = torch.tensor(X_np[n_train:n_train + n_val], dtype=torch.float32)
        y_val = $y_val
        X_test = torch.tensor(X_np[n_train + n_val:], dtype=torch.float32)
        y_test = $y_test""", split=_split_words(d.val_fraction, d.test_fraction),
                 test=_num(d.test_fraction), val=_num(d.val_fraction), comment=_label_comment(plan),
                 y_train=labels.format(":n_train"), y_val=labels.format("n_train:n_train + n_val"),
                 y_test=labels.format("n_train + n_val:"))


def _extra_points(plan: _Plan) -> str:
    d = plan.exp.data
    rows = ",\n    ".join(f"({_num(float(x))}, {_num(float(y))}, {int(c)})" for x, y, c in d.extra_points)
    if d.name == "linear":   # a regression point is (x, y); its class field is unused
        x_expr, y_expr = "extra[:, :1]", "extra[:, 1]"
        what = "The points you added (x, y) join the training set."
    else:
        x_expr, y_expr = "extra[:, :2]", "extra[:, 2]"
        what = "The points you clicked onto the plane (x, y, class) join the training set."
    labels = _labels(plan, y_expr)
    return _fill("""\
        # $what
        extra = np.array([
            $rows,
        ])
        X_train = torch.cat([X_train, torch.tensor($x_expr, dtype=torch.float32)])
        y_train = torch.cat([y_train, $labels])""", rows=rows, x_expr=x_expr, labels=labels, what=what)


def _data_mnist(plan: _Plan) -> str:
    d = plan.exp.data
    n_train, n_val = MNIST_SUBSETS[d.mnist_subset]
    subset = ("The seed's subset" if d.mnist_subset == "seed" else "All of MNIST")
    standard = ""
    if d.normalize == "standard":
        standard = ("\n    # Standardise: subtract MNIST's mean pixel and divide by its spread, so inputs centre on 0."
                    f"\n    x = (x - {_num(MNIST_MEAN)}) / {_num(MNIST_STD)}")
    return _fill('''\
        # Where MNIST lives: the first argument, else $$NEURAL_PLAYGROUND_DATA, else the app's folder.
        # torchvision reads <DATA_ROOT>/MNIST/raw and downloads the four files when they are missing.
        DATA_ROOT = $root
        if len(sys.argv) > 1:
            DATA_ROOT = sys.argv[1]
        elif os.environ.get("NEURAL_PLAYGROUND_DATA"):
            DATA_ROOT = os.environ["NEURAL_PLAYGROUND_DATA"]
        try:
            train_set = datasets.MNIST(DATA_ROOT, train=True, download=True)
            test_set = datasets.MNIST(DATA_ROOT, train=False, download=True)
        except (RuntimeError, OSError) as err:
            sys.exit(f"MNIST could not be read from {DATA_ROOT}/MNIST/raw: {err}")


        def features(images):
            """uint8 images (N, 28, 28) -> float32 rows (N, 784) in [0, 1], as ToTensor() + flatten give."""
            x = images.reshape(len(images), 784).astype(np.float32) / 255.0$standard
            return x


        # $subset: the first $n_train_text training images train, the next $n_val_text validate,
        # and all 10,000 test images test. `.data` holds every image as one uint8 tensor, which
        # is much faster than going through the dataset one image at a time.
        n_train, n_val = $n_train, $n_val
        train_images, train_labels = train_set.data.numpy(), train_set.targets
        X_train = torch.from_numpy(features(train_images[:n_train]))
        y_train = train_labels[:n_train]                      # class indices 0-9 (dtype long)
        X_val = torch.from_numpy(features(train_images[n_train:n_train + n_val]))
        y_val = train_labels[n_train:n_train + n_val]
        X_test = torch.from_numpy(features(test_set.data.numpy()))
        y_test = test_set.targets''', root=repr(str(resolve_root(d.root))), standard=standard,
                 subset=subset, n_train=n_train, n_val=n_val, n_train_text=f"{n_train:,}",
                 n_val_text=f"{n_val:,}")


# -- 2. model ---------------------------------------------------------------------

def _model(plan: _Plan) -> str:
    exp = plan.exp
    width = input_dim(exp.data)
    lines = []
    for layer in exp.model.layers:
        text, width = _layer(layer, width)
        lines.append(text)
    out_units = output_units(exp)
    if plan.loss == "bce":
        lines += [f"nn.Linear({width}, 1),   # the head: one output ...",
                  "nn.Sigmoid(),   # ... squashed to the probability of class 1, for BCELoss"]
    elif plan.loss == "mse":
        lines.append(f"nn.Linear({width}, 1),   # the head: the predicted y")
    else:
        lines.append(f"nn.Linear({width}, {out_units}),   # the head: one score (logit) per class, no softmax")
    if not exp.model.layers and plan.loss == "mse":
        lines = ["nn.Linear(1, 1),   # y = w * x + b: the seed's w and b, kept inside a layer"]
    layers = "\n".join(f"    {line}" for line in lines)
    o = exp.optim
    kind = OPTIMIZER_TABLE[o.name]
    args = [f"lr={_num(o.lr)}"]
    if kind.takes_momentum:
        args.append(f"momentum={_num(o.momentum)}")
    args.append(f"weight_decay={_num(o.weight_decay)}")
    fused = ""
    if kind.fused:
        args.append("fused=True")
        fused = ("# fused=True does the whole update in one kernel instead of a dozen small steps per\n"
                 "# tensor: the same algorithm, faster (and the app does it too, so the numbers match).\n")
    criterion = {"bce": "nn.BCELoss()   # binary cross-entropy on the Sigmoid's probability",
                 "cross_entropy": "nn.CrossEntropyLoss()   # softmax + negative log-likelihood in one",
                 "mse": "nn.MSELoss()   # mean squared error"}[plan.loss]
    zeros = ""
    if exp.model.init == "zeros":
        zeros = dedent("""

            # Start from all-zero weights and biases, as the seed starts w = b = 0.
            with torch.no_grad():
                for p in model.parameters():
                    p.zero_()""")
    decay = ("# weight_decay is L2 regularisation: each step pulls every weight a little towards 0.\n"
             if o.weight_decay else "")
    seeded = "the starting weights (and later dropout) draw" if _has(plan, "dropout") else "the starting weights draw"
    return _fill("""\
        # ── 2. Model, loss, optimizer ───────────────────────────────────────────────────────────
        torch.manual_seed(SEED)   # $seeded from this seed
        model = nn.Sequential(
        $layers
        )$zeros
        model = model.to(DEVICE)
        print(model)
        print(f"Parameters: {sum(p.numel() for p in model.parameters())}")

        criterion = $criterion
        ${decay}${fused}optimizer = torch.optim.$opt(model.parameters(), $args)""",
                 layers=layers, zeros=zeros, criterion=criterion, opt=kind.torch_class,
                 args=", ".join(args), decay=decay, fused=fused, seeded=seeded)


def _layer(layer: LayerSpec, width: int) -> tuple[str, int]:
    if layer.kind == "linear":
        return f"nn.Linear({width}, {layer.units}),", layer.units
    if layer.kind == "activation":
        return f"{_ACTIVATIONS[layer.fn]},", width
    if layer.kind == "dropout":
        return f"nn.Dropout({_num(layer.p)}),", width
    return f"nn.BatchNorm1d({width}),", width   # batchnorm; validate() allows no other kind


# -- 3. training ------------------------------------------------------------------

def _has(plan: _Plan, kind: str) -> bool:
    return any(layer.kind == kind for layer in plan.exp.model.layers)


def _train_mode_comment(plan: _Plan) -> str:
    if _has(plan, "dropout") and _has(plan, "batchnorm"):
        return "training mode: dropout drops units, batch norm uses the batch's statistics"
    if _has(plan, "dropout"):
        return "training mode: dropout is on"
    if _has(plan, "batchnorm"):
        return "training mode: batch norm uses the batch's statistics"
    return "training mode (no dropout here, but a good habit)"


def _eval_mode_comment(plan: _Plan) -> str:
    if _has(plan, "dropout") or _has(plan, "batchnorm"):
        return "evaluation mode: " + ", ".join(
            text for kind, text in (("dropout", "no dropout"), ("batchnorm", "batch norm uses its running averages"))
            if _has(plan, kind))
    return "evaluation mode"


def _training(plan: _Plan) -> str:
    t = plan.exp.train
    every = max(1, t.epochs // 10)
    what = "3. Train: the five-step loop, with validation" + (" and early stopping" if t.patience else "")
    title = f"# ── {what} {'─' * (84 - len(what))}"
    parts = []
    setup = [title, f"n_epochs = {t.epochs}"]
    if t.patience:
        setup.append(f"patience = {t.patience}   # stop when validation has not improved for this many epochs")
    if plan.batch:
        setup += [f"batch_size = {plan.batch}",
                  "n = len(X_train)",
                  "# Shuffling has its own generator, so it never disturbs the random numbers dropout draws.",
                  "shuffle = torch.Generator().manual_seed(SEED)"]
    setup += ["train_losses, val_losses = [], []",
              "best_val_loss = float('inf')",
              "best_epoch = 0"]
    if t.restore_best:
        setup.append("best_state = None")
    setup += ["# If training ever blows up to inf or NaN, we go back to the last weights that were finite.",
              "last_good = {k: v.clone() for k, v in model.state_dict().items()}",
              'reason = "completed"',
              "t0 = time.perf_counter()"]
    parts.append("\n".join(setup))

    body = [_step_full(plan) if not plan.batch else _step_batches(plan), _validate(plan), _after_epoch(plan, every)]
    loop = "for epoch in range(n_epochs):\n" + "\n\n".join(_indent(b) for b in body)
    parts.append(loop)
    if t.restore_best:
        parts.append(dedent("""\
            # Keep the weights of the best validation epoch, not the last ones.
            if best_state is not None and reason != "diverged":
                model.load_state_dict(best_state)"""))
    return "\n\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def _step_full(plan: _Plan) -> str:
    if plan.loss == "bce":
        return _fill("""\
            # ── Train: the five steps, on the whole training set at once (full batch) ──
            model.train()                             # $mode
            outputs = model(X_train)                  # ① forward
            if torch.isfinite(outputs).all():         # (BCELoss refuses NaN: weights that blew up give NaN)
                loss = criterion(outputs, y_train)    # ② loss
                optimizer.zero_grad()                 # ③ clear the old gradients (BEFORE backward!)
                loss.backward()                       # ④ backward: autograd fills every parameter's .grad
                optimizer.step()                      # ⑤ update the weights
                train_loss = loss.item()              # .item() -> a Python float
            else:
                train_loss = math.nan                 # handled below as a divergence""",
                     mode=_train_mode_comment(plan))
    return _fill("""\
        # ── Train: the five steps, on the whole training set at once (full batch) ──
        model.train()                         # $mode
        outputs = model(X_train)              # ① forward
        loss = criterion(outputs, y_train)    # ② loss
        optimizer.zero_grad()                 # ③ clear the old gradients (BEFORE backward!)
        loss.backward()                       # ④ backward: autograd fills every parameter's .grad
        optimizer.step()                      # ⑤ update the weights
        train_loss = loss.item()              # .item() -> a Python float""", mode=_train_mode_comment(plan))


def _step_batches(plan: _Plan) -> str:
    check = ""
    if plan.loss == "bce":
        check = ("\n    if not torch.isfinite(outputs).all():   # BCELoss refuses NaN: the weights blew up"
                 "\n        total_loss = torch.tensor(math.nan)  # handled below as a divergence"
                 "\n        break")
    return _fill("""\
        # ── Train: the five steps on each mini-batch, in a new random order every epoch ──
        model.train()                         # $mode
        order = torch.randperm(n, generator=shuffle).to(DEVICE)
        total_loss = torch.zeros((), device=DEVICE)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X_train[idx], y_train[idx]
            outputs = model(xb)               # ① forward$check
            loss = criterion(outputs, yb)     # ② loss (the mean over this batch)
            optimizer.zero_grad()             # ③ clear the old gradients (BEFORE backward!)
            loss.backward()                   # ④ backward: autograd fills every parameter's .grad
            optimizer.step()                  # ⑤ update the weights
            total_loss += loss.detach() * len(idx)
        # The epoch's training loss: each batch's mean weighted by its size, over all samples.
        train_loss = total_loss.item() / n""", mode=_train_mode_comment(plan), check=check)


def _validate(plan: _Plan) -> str:
    if plan.loss == "bce":
        loss_line = ("# BCELoss refuses outputs that are not probabilities, so NaN outputs count as NaN loss.\n"
                     "val_loss = criterion(val_out, y_val).item() if torch.isfinite(val_out).all() "
                     "else math.nan")
    else:
        loss_line = "val_loss = criterion(val_out, y_val).item()"
    acc = ""
    if plan.task != "regression":
        acc = "\n" + _correct(plan, "val_out", "y_val", "val_acc")
    return _fill("""\
        # ── Validate: evaluation mode, no gradients ──
        model.eval()                          # $mode
        with torch.no_grad():                 # nothing here needs a gradient
            val_out = model(X_val)
            $loss_line$acc""", mode=_eval_mode_comment(plan),
                 loss_line=loss_line.replace("\n", "\n    "), acc=acc.replace("\n", "\n    "))


def _correct(plan: _Plan, outputs: str, y: str, name: str) -> str:
    if plan.classes_as_index:
        return f"{name} = (torch.argmax({outputs}, dim=1) == {y}).sum().item() / len({y}) * 100"
    return f"{name} = (({outputs} > 0.5).float() == {y}).sum().item() / len({y}) * 100"


def _after_epoch(plan: _Plan, every: int) -> str:
    t = plan.exp.train
    keep_best = ""
    if t.restore_best:
        keep_best = "\n    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}"
    acc = " ({val_acc:.1f}%)" if plan.task != "regression" else ""
    stop = ""
    if t.patience:
        stop = dedent("""

            # ── Early stopping ──
            if epoch - best_epoch >= patience:
                print(f"Early stopping at epoch {epoch} (best: {best_epoch})")
                reason = "early_stopped"
                break""")
    return _fill("""\
        # ── Diverged? (a learning rate too large can blow the weights up to inf or NaN) ──
        state = model.state_dict()
        weights_finite = all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
        if not (math.isfinite(train_loss) and math.isfinite(val_loss) and weights_finite):
            model.load_state_dict(last_good)   # put back the last finite weights, and stop
            print(f"Diverged at epoch {epoch}; kept the last finite weights")
            reason = "diverged"
            break
        last_good = {k: v.clone() for k, v in state.items()}
        train_losses.append(train_loss)
        val_losses.append(val_loss)

        # ── Remember the best epoch ──
        if val_loss < best_val_loss:
            best_val_loss, best_epoch = val_loss, epoch$keep_best

        if epoch % $every == 0:
            print(f"Epoch {epoch:5d}: Train {train_loss:.4f} | Val {val_loss:.4f}$acc")$stop""",
                 keep_best=keep_best, every=every, acc=acc, stop=stop)


# -- 4. evaluation and the summary line -------------------------------------------

def _evaluation(plan: _Plan) -> str:
    if plan.loss == "bce":
        loss = "test_loss = criterion(test_out, y_test).item() if torch.isfinite(test_out).all() else math.nan"
    else:
        loss = "test_loss = criterion(test_out, y_test).item()"
    if plan.task == "regression":
        tail = 'print(f"Test MSE: {test_loss:.4f}")'
        if not plan.exp.model.layers:
            tail = dedent("""\
                w, b = model[0].weight.item(), model[0].bias.item()
                print(f"Learned: y = {w:.3f}x + {b:.3f}")
                print("True:    y = 2.000x + 1.000")
                print(f"Test MSE: {test_loss:.4f}")""")
        predict = ""
    else:
        if plan.loss == "bce":
            predict = ("\n    test_pred = (test_out > 0.5).float()   # probability above 0.5 -> class 1")
            tail = "test_accuracy = (test_pred == y_test).sum().item() / len(y_test) * 100"
        else:
            predict = ("\n    test_pred = torch.softmax(test_out, dim=1).argmax(dim=1)   "
                       "# the most probable class")
            tail = "test_accuracy = (test_pred == y_test).sum().item() / len(y_test) * 100"
        tail += '\nprint(f"Test accuracy: {test_accuracy:.2f}%")'
    return _fill("""\
        # ── 4. Evaluate on the test set ─────────────────────────────────────────────────────────
        model.eval()
        with torch.no_grad():
            test_out = model(X_test)
            $loss$predict
        $tail""", loss=loss, predict=predict, tail=tail)


def _summary(plan: _Plan) -> str:
    lines = [f'    "preset": {_title_key(plan.exp)},',
             '    "reason": reason,',
             '    "epochs_run": len(train_losses),',
             '    "best_epoch": best_epoch,',
             '    "params": sum(p.numel() for p in model.parameters()),',
             '    "final_train_loss": train_losses[-1] if train_losses else None,',
             '    "best_val_loss": best_val_loss,']
    if plan.task == "regression":
        lines.append('    "test_mse": test_loss,')
        if not plan.exp.model.layers:
            lines += ['    "w": w,', '    "b": b,']
    else:
        lines.append('    "test_accuracy": round(test_accuracy, 4),')
    lines += ['    "seconds": round(time.perf_counter() - t0, 3),',
              '    "device": str(DEVICE),']
    return ("# The last line: the same JSON keys as the app's command-line `run` prints.\n"
            "summary = {\n" + "\n".join(lines) + "\n}\n"
            "# JSON has no NaN or Infinity: a number that is not finite is written as null, as the app does.\n"
            "summary = {k: None if isinstance(v, float) and not math.isfinite(v) else v "
            "for k, v in summary.items()}\n"
            "print(json.dumps(summary))")


def _title_key(exp: Experiment) -> str:
    """The preset name as a string literal (a JSON string is also a valid Python one)."""
    return json.dumps(exp.name or "custom", ensure_ascii=False)


__all__ = ["render_script", "write_script", "ExportError"]
