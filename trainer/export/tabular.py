"""Section 1 of the script for tabular data: the user's CSV file read with the csv module, or one of
scikit-learn's datasets; then the split and the standardisation trainer/tabular/datasets.py does."""
from __future__ import annotations

from ..config import Experiment
from ..tabular.catalog import CSV, REAL_DATASETS
from ..tabular.reader import MISSING
from .plan import _Plan, _fill, _num


def tabular_needs(exp: Experiment) -> tuple[str, str]:
    """(what the script needs, how to run it) for the docstring."""
    if exp.data.name == CSV:
        return "torch and numpy", "python this_script.py [DATA.csv]"
    return "torch, numpy and scikit-learn", "python this_script.py"


def tabular_imports(exp: Experiment) -> tuple[list[str], list[str]]:
    """(standard-library modules, third-party import lines) the data section uses."""
    if exp.data.name == CSV:
        return ["csv", "hashlib", "io", "sys"], []
    return [], [f"from sklearn.datasets import {REAL_DATASETS[exp.data.name].loader}"]


def data_tabular(plan: _Plan, labels: str, label_comment: str) -> str:
    """The data section; `labels` is export.data's tensor expression for labels ("{}" = the rows)."""
    source = _csv(plan) if plan.exp.data.name == CSV else _real(plan)
    return source + "\n\n" + _split(plan, labels, label_comment)


def _real(plan: _Plan) -> str:
    from ..tabular.datasets import real_arrays
    d = plan.exp.data
    info = REAL_DATASETS[d.name]
    names = real_arrays(d.__class__(name=d.name))[3]
    if d.features:
        columns = [j for j, n in enumerate(names) if n in d.features]
        pick = f"bunch.data[:, {columns}]   # the features chosen: {', '.join(names[j] for j in columns)}"
    else:
        pick = "bunch.data"
    args = "scaled=False" if d.name == "diabetes" else ""
    y_type = "np.float64" if info.task == "regression" else "np.int64"
    return _fill('''\
        # $label, as scikit-learn ships it (no download):
        # $description
        bunch = $loader($args)
        X_np = np.asarray($pick, dtype=np.float64)
        y_np = np.asarray(bunch.target, dtype=$y_type)''', label=info.label, description=info.description,
                 loader=info.loader, args=args, pick=pick, y_type=y_type)


def _csv(plan: _Plan) -> str:
    d = plan.exp.data
    c = d.csv
    from ..tabular.datasets import dialect_of
    from ..tabular.reader import read_table
    table = read_table(c.path, dialect_of(c))
    features = [table.column(n).index for n in d.features]
    target = table.column(c.target).index
    regression = c.task == "regression"
    classes = "" if regression else f"\nCLASS_NAMES = {list(c.class_names)!r}   # class i is CLASS_NAMES[i]"
    y_value = ("number(row[TARGET])" if regression else
               "CLASS_NAMES.index(label(row[TARGET])) if finite(row[TARGET]) else math.nan")
    y_type = "np.float64" if regression else "np.int64"
    return _fill('''\
        # Your file: the first argument, else the file the app trained on.
        DATA_FILE = $path
        if len(sys.argv) > 1:
            DATA_FILE = sys.argv[1]
        SHA256 = $sha   # of the file the app trained on
        SEPARATOR, DECIMAL, HEADER = $sep, $dec, $header
        FEATURES = $features   # columns (0 = the first): $feature_names
        TARGET = $target   # the column to predict: $target_name$classes
        DROP_BAD_ROWS = $drop   # rows with an empty, NaN or infinite cell: dropped, or an error
        MISSING = $missing   # cells that mean "no value"

        with open(DATA_FILE, "rb") as f:
            raw = f.read()
        if SHA256 and hashlib.sha256(raw).hexdigest() != SHA256:
            print(f"warning: {DATA_FILE} is not the file the app trained on (its SHA-256 differs)")
        text = raw.decode("utf-8-sig")   # UTF-8, with or without a byte-order mark
        rows = [[cell.strip() for cell in row]
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=SEPARATOR)]
        rows = [row for row in rows if any(row)]   # blank lines hold no data
        if HEADER:
            rows = rows[1:]


        def number(cell):
            """A cell as a float: NaN when it is empty or missing, decimal comma or point as the file has it."""
            if cell.lower() in MISSING:
                return math.nan
            return float(cell.replace(",", ".") if DECIMAL == "," else cell)


        def finite(cell):
            try:
                return math.isfinite(number(cell))
            except ValueError:   # text: a class label
                return cell.lower() not in MISSING


        def label(cell):
            """A class label as the app names it: a whole number without '.0', text as written."""
            try:
                value = number(cell)
            except ValueError:
                return cell
            return str(int(value)) if value.is_integer() else repr(value)


        X_list, y_list = [], []
        for row in rows:
            x = [number(row[j]) for j in FEATURES]
            y = $y_value
            if not all(math.isfinite(v) for v in x + [y]):
                if DROP_BAD_ROWS:
                    continue
                sys.exit(f"{DATA_FILE}: the row {SEPARATOR.join(row)!r} has an empty, NaN or infinite cell")
            X_list.append(x)
            y_list.append(y)
        X_np = np.array(X_list, dtype=np.float64).reshape(len(X_list), len(FEATURES))
        y_np = np.array(y_list, dtype=$y_type)''', path=repr(c.path), sha=repr(c.sha256), sep=repr(c.separator),
                 dec=repr(c.decimal), header=c.header, features=features, feature_names=", ".join(d.features),
                 target=target, target_name=c.target, classes=classes, drop=c.drop_bad_rows,
                 missing=repr(sorted(MISSING)), y_value=y_value, y_type=y_type)


def _split(plan: _Plan, labels: str, label_comment: str) -> str:
    d = plan.exp.data
    regression = plan.task == "regression"
    scale = ""
    if d.standardize:
        scale = ("# Standardise each feature with the training rows' mean and spread only: the validation and\n"
                 "# test rows must not leak into training. A constant column stays 0.\n"
                 "mean, std = X_np[:n_train].mean(axis=0), X_np[:n_train].std(axis=0)\n"
                 "std[std == 0] = 1.0\n"
                 "X_np = (X_np - mean) / std\n")
        if regression:
            scale += ("# The target too (the model learns numbers near 0); test predictions are scaled back.\n"
                      "y_mean, y_std = float(y_np[:n_train].mean()), float(y_np[:n_train].std())\n"
                      "y_std = y_std if y_std > 0 else 1.0\n"
                      "y_np = (y_np - y_mean) / y_std\n")
        scale = "\n" + scale
    train = 1 - d.val_fraction - d.test_fraction
    body = _fill('''\
        # Shuffle with a seeded generator, then split train | validation | test ($split).
        N = len(y_np)
        rng = np.random.RandomState($seed)
        idx = rng.permutation(N)
        X_np, y_np = X_np[idx], y_np[idx]
        n_test = int(N * $test)
        n_val = int(N * $val)
        n_train = N - n_val - n_test
        @@SCALE@@
        $comment
        X_train = torch.tensor(X_np[:n_train], dtype=torch.float32)
        y_train = $y_train
        X_val = torch.tensor(X_np[n_train:n_train + n_val], dtype=torch.float32)
        y_val = $y_val
        X_test = torch.tensor(X_np[n_train + n_val:], dtype=torch.float32)
        y_test = $y_test''', split=f"{train:.0%}/{d.val_fraction:.0%}/{d.test_fraction:.0%}", seed=d.seed,
                 test=_num(d.test_fraction), val=_num(d.val_fraction), comment=label_comment,
                 y_train=labels.format(":n_train"), y_val=labels.format("n_train:n_train + n_val"),
                 y_test=labels.format("n_train + n_val:"))
    return body.replace("@@SCALE@@\n", scale + "\n" if scale else "")


def target_scaled(exp: Experiment) -> bool:
    """The script standardised a regression target (y_mean, y_std exist)."""
    from ..config import task_of
    return exp.data.standardize and task_of(exp.data) == "regression" and (
        exp.data.name == CSV or exp.data.name in REAL_DATASETS)


__all__ = ["tabular_needs", "tabular_imports", "data_tabular", "target_scaled"]
