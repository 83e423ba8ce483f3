"""The script's opening: its docstring, its imports and the settings block (seed, device, threads)."""
from __future__ import annotations

from ..tabular.catalog import TABULAR
from .tabular import tabular_imports, tabular_needs
from .plan import _Plan, _one_thread, _has, _fill, _docstring_safe, _title


def _header(plan: _Plan) -> str:
    exp = plan.exp
    description = f"\n{exp.description}\n" if exp.description else ""
    if plan.mistake.key != "none":   # the learner asked for it: say so at the top, and where to look
        description += (f"\nOn purpose, this script makes a classic mistake: {plan.mistake.label}.\n"
                        f"Look for the line marked MISTAKE.\n")
    needs = "torch, torchvision and numpy" if exp.data.name == "mnist" else "torch and numpy"
    usage = ("python this_script.py [MNIST_FOLDER]" if exp.data.name == "mnist" else "python this_script.py")
    if exp.data.name in TABULAR:
        needs, usage = tabular_needs(exp)
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
    third = []
    if plan.exp.data.name in TABULAR:
        more, third = tabular_imports(plan.exp)
        stdlib += more
    lines = [f"import {name}" for name in sorted(set(stdlib))]
    lines += ["", "import numpy as np", "import torch", "from torch import nn", *third]
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
