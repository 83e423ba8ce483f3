"""What the script must do, decided once from the experiment, and the helpers every section writes with."""
from __future__ import annotations

from dataclasses import dataclass
from string import Template
from textwrap import dedent

from ..config import ONE_THREAD_BELOW, Experiment, resolved_loss, task_of
from ..data import GATES
from ..mistakes import SCRIPT_MARK, Mistake, mistake
from ..mnist import SUBSETS as MNIST_SUBSETS
from ..tabular.catalog import TABULAR
from ..shapes import experiment_work


@dataclass(frozen=True)
class _Plan:
    """What the script must do, decided once from the experiment."""
    exp: Experiment
    task: str            # regression | binary | multiclass
    loss: str            # bce | cross_entropy | mse
    n_train: int         # training rows, extra points included
    batch: int           # 0 = one full batch per epoch
    work: int            # shapes.experiment_work: decides the thread count as the app does

    @property
    def mistake(self) -> Mistake:
        """The mistake the script makes on purpose (trainer/mistakes.py); its `key` is "none" for none."""
        return mistake(self.exp.train.mistake)

    @property
    def classes_as_index(self) -> bool:
        """CrossEntropyLoss wants class indices (N,); BCELoss and MSELoss a float column (N, 1)."""
        return self.loss == "cross_entropy"


def _plan(exp: Experiment) -> _Plan:
    n_train = _train_rows(exp)
    batch = exp.train.batch_size if 0 < exp.train.batch_size < n_train else 0
    return _Plan(exp, task_of(exp.data), resolved_loss(exp), n_train, batch, experiment_work(exp))


def _train_rows(exp: Experiment) -> int:
    """How many rows data.load() gives the training set, without generating anything."""
    d = exp.data
    if d.name == "mnist":
        return MNIST_SUBSETS[d.mnist_subset][0]
    if d.name in TABULAR:   # rows a file (or scikit-learn's copy) holds: read it, as the run will
        from ..tabular.datasets import load_tabular
        return len(load_tabular(d).x_train)
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
    return plan.exp.train.device != "cuda" and plan.work * rows < ONE_THREAD_BELOW


def _has(plan: _Plan, kind: str) -> bool:
    return any(layer.kind == kind for layer in plan.exp.model.layers)


def _mistaken(plan: _Plan) -> str:
    """The comment that marks the script's mistaken line."""
    return f"# {SCRIPT_MARK} {plan.mistake.script}"


def _fill(template: str, **values: object) -> str:
    return Template(dedent(template)).substitute(**values)


def _num(value: float | int) -> str:
    """A literal that reads back as exactly the same number."""
    return repr(value)


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _title(exp: Experiment) -> str:
    return exp.name or "custom experiment"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
