"""Section 1 of the script: the data, generated inline as trainer.data makes it (or MNIST read)."""
from __future__ import annotations

from textwrap import dedent

from ..data import GATES
from ..mnist import MEAN as MNIST_MEAN, STD as MNIST_STD, SUBSETS as MNIST_SUBSETS, resolve_root
from ..tabular.catalog import TABULAR
from .plan import _Plan, _fill, _num
from .tabular import data_tabular


GATE_TITLES = {"and": "AND", "or": "OR", "xor": "XOR"}


_DATA_TITLE = "# ── 1. Data ─────────────────────────────────────────────────────────────────────────────"


def _data(plan: _Plan) -> str:
    name = plan.exp.data.name
    if name == "mnist":
        body = _data_mnist(plan)
    elif name in TABULAR:
        body = data_tabular(plan, _labels(plan, "y_np[{}]"), _label_comment(plan))
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
