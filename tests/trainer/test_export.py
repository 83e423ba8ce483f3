"""The exported PyTorch script: standalone, readable, and it reproduces the app's run exactly.

The round trip: export an experiment, run the script in a fresh interpreter, parse its
last line, and compare it with the same experiment trained in-process by trainer.loop.
"""
from __future__ import annotations

import ast
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from trainer.__main__ import summary
from trainer.config import ONE_THREAD_BELOW, Experiment
from trainer.data import load
from trainer.export import ExportError, render_script, write_script
from trainer.loop import run_to_end
from trainer.mnist import FILES, prepare
from trainer.models import build_model, build_optimizer, param_count
from trainer.presets import load_preset, names

LOSS_KEYS = ("final_train_loss", "best_val_loss", "test_mse", "w", "b")
ALLOWED_IMPORTS = {"json", "math", "os", "sys", "time", "numpy", "torch", "torchvision"}


def experiment(preset: str, **overrides) -> Experiment:
    """A preset on the CPU (reproduction is promised there), with dotted overrides."""
    return load_preset(preset).with_overrides({"train.device": "cpu", **overrides})


def app_summary(exp: Experiment) -> dict:
    return summary(exp, run_to_end(exp))


def run_script(path: Path, *args: str, cwd: Path) -> dict:
    """Run the script in a fresh interpreter with the same thread count as this process."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NEURAL_PLAYGROUND_DATA")}
    env["OMP_NUM_THREADS"] = str(torch.get_num_threads())   # the in-process run used this many
    proc = subprocess.run([sys.executable, str(path), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_same_run(app: dict, script: dict) -> None:
    assert set(script) == set(app)
    for key in ("preset", "reason", "epochs_run", "best_epoch", "params", "device"):
        assert script[key] == app[key], key
    for key in LOSS_KEYS:
        if key in app:
            if app[key] is None:
                assert script[key] is None, key
            else:
                assert abs(script[key] - app[key]) <= 1e-6, (key, script[key], app[key])
    if "test_accuracy" in app:
        assert script["test_accuracy"] == app["test_accuracy"]


# -- the round trip in a fresh interpreter ------------------------------------------------

@pytest.mark.parametrize("preset, overrides", [
    ("xor-mlp", {}),
    ("spiral", {}),
    # mini-batches: the shuffle generator and the size-weighted epoch loss (150 epochs keeps it short)
    ("spiral", {"train.batch_size": 32, "train.epochs": 150}),
    ("linear-regression", {}),
], ids=["xor-mlp", "spiral", "spiral-batch32", "linear-regression"])
def test_exported_script_reproduces_the_app(preset, overrides, tmp_path):
    exp = experiment(preset, **overrides)
    script = run_script(write_script(exp, tmp_path / f"{preset}.py"), cwd=tmp_path)
    app = app_summary(exp)
    print("app:   ", json.dumps(app))
    print("script:", json.dumps(script))
    assert_same_run(app, script)
    # Not just equal to the app: the seed's results come out of the script itself.
    if preset == "xor-mlp":
        assert script["test_accuracy"] == 100.0 and script["epochs_run"] == 5000
    if preset == "linear-regression":
        assert abs(script["w"] - 2) < 0.1 and abs(script["b"] - 1) < 0.2
    if preset == "spiral" and not overrides:
        assert script["reason"] == "early_stopped" and script["test_accuracy"] > 85


@pytest.fixture(scope="module")
def mnist_uncompressed(mnist_root, tmp_path_factory) -> Path:
    """A root whose MNIST/raw holds the four uncompressed files, as torchvision reads them.

    The shared folder is read-only and holds .gz files; link them into a temporary
    root and let trainer.mnist.prepare extract them beside the links.
    """
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    shared = mnist_root / "MNIST" / "raw"
    for name in FILES:
        for candidate in (name, name + ".gz"):
            if (shared / candidate).is_file():
                (raw / candidate).symlink_to(shared / candidate)
    prepare(root, allow_download=False)
    assert all((raw / name).is_file() for name in FILES)
    return root


@pytest.mark.slow
def test_mnist_script_reproduces_the_app(mnist_uncompressed, tmp_path):
    """mnist-mlp, cut to 15 of its 200 full-batch epochs on the 5,000-image subset to keep the suite fast.

    Still the real thing: 235,146 parameters, dropout drawing from the seeded generator, Adam with
    weight decay, the best-weights restore, evaluation on all 10,000 test images. The script's
    DATA_ROOT points nowhere: the folder comes from its first argument, as a learner would pass it.
    """
    exp = experiment("mnist-mlp", **{"train.epochs": 15, "data.root": str(tmp_path / "nowhere")})
    script_path = write_script(exp, tmp_path / "mnist.py")
    assert "from torchvision import datasets" in script_path.read_text()
    script = run_script(script_path, str(mnist_uncompressed), cwd=tmp_path)
    app = app_summary(exp.with_overrides({"data.root": str(mnist_uncompressed)}))
    print("app:   ", json.dumps(app))
    print("script:", json.dumps(script))
    assert_same_run(app, script)
    assert script["params"] == 235_146 and script["test_accuracy"] > 70


# -- more settings, run in this process ------------------------------------------------

BLOCKS = [{"kind": "linear", "units": 16}, {"kind": "batchnorm"}, {"kind": "activation", "fn": "tanh"},
          {"kind": "dropout", "p": 0.1}, {"kind": "linear", "units": 8}, {"kind": "activation", "fn": "gelu"}]


@pytest.mark.parametrize("preset, overrides", [
    ("spiral", {"data.name": "circles", "data.n_samples": 300, "train.epochs": 40}),
    ("spiral", {"data.name": "moons", "train.epochs": 40, "optim.name": "sgd", "optim.lr": 0.5}),
    ("spiral", {"data.name": "blobs", "data.classes": 4, "train.epochs": 40, "optim.name": "momentum"}),
    ("spiral", {"data.name": "blobs", "data.classes": 2, "train.epochs": 40, "optim.name": "rmsprop",
                "optim.lr": 0.001}),
    ("spiral", {"data.name": "two-spirals", "train.epochs": 30, "optim.name": "adamw", "train.batch_size": 50}),
    ("spiral", {"data.classes": 2, "train.epochs": 30, "train.batch_size": 64, "model.layers": BLOCKS}),
    ("spiral", {"train.epochs": 30, "data.extra_points": [[0.1, 0.2, 1], [-0.5, 0.3, 2]],
                "model.layers": [{"kind": "linear", "units": 8}, {"kind": "activation", "fn": "leaky_relu"},
                                 {"kind": "activation", "fn": "sigmoid"}, {"kind": "activation", "fn": "identity"}]}),
    ("spiral", {"train.epochs": 60, "train.patience": 3, "optim.lr": 0.5}),  # stops early, restores the best
    ("perceptron-and", {"train.epochs": 300}),
    ("xor-mlp", {"data.name": "or", "train.epochs": 200}),
    ("linear-regression", {"data.val_fraction": 0.2, "data.test_fraction": 0.2, "train.restore_best": True,
                           "train.patience": 5}),
    ("linear-regression", {"optim.lr": 1.0}),   # diverges: same epoch, same restored weights
    # the learning rate shrinks after every epoch (ExponentialLR), full batch and mini-batches
    ("linear-regression", {"optim.lr_decay": 0.99}),
    ("spiral", {"train.epochs": 30, "train.batch_size": 32, "optim.lr_decay": 0.8}),
    ("linear-regression", {"data.extra_points": [[1.0, 2.0, 7]], "train.epochs": 50}),
    ("linear-regression", {"model.layers": [{"kind": "linear", "units": 8}, {"kind": "activation", "fn": "relu"}],
                           "model.init": "default", "train.epochs": 60, "train.batch_size": 8}),
], ids=["circles", "moons-sgd", "blobs4-momentum", "blobs2-rmsprop", "two-spirals-adamw-batches",
        "batchnorm-batches", "extra-points", "early-stop", "and", "or", "linear-split", "linear-diverges",
        "linear-lr-decay", "spiral-lr-decay-batches", "linear-extra-point", "linear-mlp-batches"])
def test_more_settings_reproduce(run_in_process, preset, overrides, tmp_path):
    exp = experiment(preset, **overrides)
    app = app_summary(exp)
    script = run_in_process(exp, tmp_path)
    assert_same_run(app, script)


def test_lr_decay_changes_the_run_and_the_script_says_so(tmp_path):
    """The decayed runs above would prove little if the decay did nothing."""
    plain = experiment("linear-regression", **{"train.epochs": 100})
    decayed = plain.with_overrides({"optim.lr_decay": 0.9})
    slow, fast = app_summary(decayed), app_summary(plain)
    # lr 0.01 * 0.9**epoch: the steps shrink towards nothing, so w and b stop short of the plain run's.
    assert slow["final_train_loss"] > fast["final_train_loss"] * 1.5
    text = render_script(decayed)
    assert "ExponentialLR(optimizer, gamma=0.9)" in text and "scheduler.step()" in text
    assert "scheduler" not in render_script(plain)


def test_divergence_and_early_stopping_are_really_exercised(run_in_process, tmp_path):
    """The two cases above would prove little if they ended 'completed'."""
    diverged = run_in_process(experiment("linear-regression", **{"optim.lr": 1.0}), tmp_path)
    assert diverged["reason"] == "diverged" and diverged["epochs_run"] < 500
    assert diverged["final_train_loss"] is not None and math.isfinite(diverged["w"])
    early = run_in_process(experiment("spiral", **{"train.epochs": 60, "train.patience": 3, "optim.lr": 0.5}),
                           tmp_path)
    assert early["reason"] == "early_stopped" and early["epochs_run"] < 60


# -- what the script is ---------------------------------------------------------------

def all_presets() -> list[Experiment]:
    return [load_preset(n).with_overrides({"data.root": "/data/mnist-folder"}) if "mnist" in n else load_preset(n)
            for n in names()]


@pytest.mark.parametrize("exp", all_presets(), ids=names())
def test_script_is_standalone(exp):
    text = render_script(exp)
    tree = ast.parse(text)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported <= ALLOWED_IMPORTS
    assert ("torchvision" in imported) == (exp.data.name == "mnist")
    assert "trainer" not in text


def test_script_holds_only_the_branches_its_experiment_needs():
    spiral = render_script(load_preset("spiral"))
    assert "nn.CrossEntropyLoss()" in spiral and "BCELoss" not in spiral and "MSELoss" not in spiral
    assert "np.random.seed(42)" in spiral and "randperm" not in spiral and "torchvision" not in spiral
    assert "patience = 200" in spiral and "model.load_state_dict(best_state)" in spiral
    assert "nn.Dropout(0.2)" in spiral and "weight_decay=0.005" in spiral
    batches = render_script(load_preset("spiral").with_overrides({"train.batch_size": 32}))
    assert "torch.randperm(n, generator=shuffle)" in batches and "batch_size = 32" in batches
    xor = render_script(load_preset("xor-mlp"))
    assert "nn.BCELoss()" in xor and "nn.Sigmoid()" in xor and "CrossEntropyLoss" not in xor
    assert "patience" not in xor and "best_state" not in xor   # no early stopping, no restore
    line = render_script(load_preset("linear-regression"))
    assert "nn.MSELoss()" in line and "torch.randn(50, generator=gen) * 0.5" in line and "p.zero_()" in line
    for other in ("np.random", "circles", "moons", "BatchNorm", "Dropout"):
        assert other not in line


def test_spiral_data_is_the_seeds_generator_line_for_line():
    seed = (Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "pytorch-introduction.md").read_text()
    script = render_script(load_preset("spiral"))
    start = seed.index("np.random.seed(42)\nN_per_class = 150")
    last = "X_test_np, y_test_np = X_np[:, n_train+n_val:], y_np[n_train+n_val:]"
    end = seed.index(last, start) + len(last)
    assert seed[start:end] in script


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "adamw", "rmsprop"])
def test_optimizer_is_built_as_the_app_builds_it(name):
    exp = load_preset("spiral").with_overrides({"optim.name": name, "optim.lr": 0.03, "optim.momentum": 0.8,
                                                 "optim.weight_decay": 0.001})
    line = re.search(r"^optimizer = (torch\.optim\.\w+\(model\.parameters\(\), [^)]*\))", render_script(exp),
                     re.MULTILINE)
    assert line, "no optimizer line"
    model = nn.Linear(2, 3)
    exported = eval(line.group(1), {"torch": torch, "model": model})
    built = build_optimizer(exp, model.parameters())
    assert type(exported) is type(built) and exported.defaults == built.defaults


@pytest.mark.parametrize("overrides", [
    {},                                                                   # spiral: 603 x 315 rows
    {"train.batch_size": 32},
    {"model.layers": [{"kind": "linear", "units": 4096}, {"kind": "activation", "fn": "relu"}]},
    {"model.layers": [{"kind": "linear", "units": 1024}, {"kind": "batchnorm"}], "train.batch_size": 16},
    {"data.extra_points": [[0.0, 0.0, 1]] * 3},
])
def test_one_thread_exactly_when_the_loop_uses_one(overrides):
    exp = load_preset("spiral").with_overrides(overrides)
    rows = exp.train.batch_size or load(exp.data).sizes[0]
    loop_uses_one = param_count(build_model(exp)) * rows < ONE_THREAD_BELOW
    assert ("torch.set_num_threads(1)" in render_script(exp)) == loop_uses_one


def test_mnist_scripts_keep_every_thread():
    assert "set_num_threads" not in render_script(load_preset("mnist-mlp"))


def test_odd_names_and_descriptions_stay_valid_python(run_in_process, tmp_path):
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 3})
    exp = Experiment.from_dict({**exp.to_dict(), "name": 'it\'s "mine" \\ ü',
                                "description": 'ends with a quote"""\nand a backslash \\'})
    script = run_in_process(exp, tmp_path)
    assert script["preset"] == 'it\'s "mine" \\ ü'


# -- writing the file and the command line --------------------------------------------

def test_write_script_replaces_the_file_atomically(tmp_path):
    target = tmp_path / "train.py"
    target.write_text("old contents")
    returned = write_script(load_preset("spiral"), target)
    assert returned == target
    assert target.read_text() == render_script(load_preset("spiral"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]   # no temp file left behind


@pytest.mark.parametrize("where, fragment", [("missing/train.py", "does not exist"), ("", "is a folder")])
def test_write_script_names_a_bad_target(tmp_path, where, fragment):
    target = tmp_path / where if where else tmp_path
    with pytest.raises(ExportError, match=fragment) as info:
        write_script(load_preset("spiral"), target)
    assert str(target) in str(info.value)
    assert isinstance(info.value, OSError)
    assert list(tmp_path.iterdir()) == []


def test_cli_export_writes_the_script(run_cli, tmp_path):
    out = tmp_path / "x.py"
    proc = run_cli("export", "spiral", "-o", str(out), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == render_script(load_preset("spiral"))
    assert str(out) in proc.stderr
    proc = run_cli("export", "spiral", "--set", "train.batch_size=32", "-o", str(out), timeout=120)
    assert proc.returncode == 0 and "batch_size = 32" in out.read_text()


@pytest.mark.parametrize("args, fragment", [
    (["no-such-preset", "-o", "{tmp}/x.py"], "no-such-preset"),
    (["spiral", "--set", "optim.lr=-1", "-o", "{tmp}/x.py"], "optim.lr"),
    (["{tmp}/broken.json", "-o", "{tmp}/x.py"], "broken.json"),
    (["spiral", "-o", "{tmp}/no/such/folder/x.py"], "does not exist"),
    (["spiral", "-o", "{tmp}"], "is a folder"),
])
def test_cli_export_bad_input_exits_2(run_cli, tmp_path, args, fragment):
    (tmp_path / "broken.json").write_text("{not json")
    proc = run_cli("export", *[a.format(tmp=tmp_path) for a in args], timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and fragment in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.py").exists()


def test_points_clicked_onto_xor_reproduce_in_the_script(tmp_path):
    """The truth tables take clicked points too; the script must train on the same five rows."""
    import json, subprocess, sys
    from trainer.export import write_script
    from trainer.loop import run_to_end
    from trainer.presets import load_preset
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 300, "data.extra_points": [[0.5, 0.5, 1]]})
    script = write_script(exp, tmp_path / "xor_extra.py")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=True)
    line = json.loads(out.stdout.strip().splitlines()[-1])
    finished = run_to_end(exp)
    assert line["epochs_run"] == finished.epochs_run
    assert abs(line["final_train_loss"] - finished.history[-1]["train_loss"]) < 1e-6
