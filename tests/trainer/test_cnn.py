"""CNNs (issue 15): shapes and their errors, the presets, a short run that learns, and that run
repeated by the exported script (in a fresh interpreter) and by the torchrun script on two processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from trainer.__main__ import main, summary
from trainer.checkpoint import load as load_checkpoint, save as save_checkpoint
from trainer.config import ConfigError, DataSpec, Experiment, LayerSpec, ModelSpec, experiment_param_count
from trainer.digits import predict
from trainer.export import render_script, write_script
from trainer.loop import run_to_end
from trainer.mnist import FILES, prepare
from trainer.models import build_model, layer_offset, param_count
from trainer.presets import load_preset
from trainer.shapes import draft_shapes, layer_shapes, totals

L = LayerSpec
CONV_BLOCK = (L("conv2d", channels=4, kernel=3, padding=1), L("activation", fn="relu"), L("maxpool2d", kernel=2))


def mnist(*layers: LayerSpec) -> Experiment:
    return Experiment(data=DataSpec(name="mnist"), model=ModelSpec(layers=layers))


# -- shapes ------------------------------------------------------------------------------

@pytest.mark.parametrize("layers", [
    load_preset("mnist-cnn").model.layers,
    (L("conv2d", channels=6, kernel=5), L("activation", fn="tanh"), L("avgpool2d", kernel=2),
     L("conv2d", channels=16, kernel=5), L("batchnorm2d"), L("maxpool2d", kernel=3, stride=1, padding=1),
     L("dropout", p=0.25), L("flatten"), L("linear", units=32), L("batchnorm")),
    (L("conv2d", channels=3, kernel=4, stride=3, padding=2), L("flatten")),
    (L("linear", units=16), L("activation", fn="relu")),      # an MLP: the pixels arrive flat, as before
], ids=["mnist-cnn", "lenet-like", "strided", "mlp"])
def test_layer_shapes_are_what_torch_computes(layers):
    exp = mnist(*layers)
    shapes = layer_shapes(exp)
    model = build_model(exp).eval()
    offset = layer_offset(exp)
    seen = []
    for module in list(model)[offset:]:
        module.register_forward_hook(lambda m, i, out: seen.append(tuple(out.shape[1:])))
    with torch.no_grad():
        model(torch.rand(2, 784))
    assert [s.out_shape for s in shapes] == seen
    assert totals(shapes).params == param_count(model) == experiment_param_count(exp)
    convs = [(s, m) for s, m in zip(shapes, list(model)[offset:]) if isinstance(m, (nn.Conv2d, nn.Linear))]
    for shape, module in convs:   # multiply-adds: each weight once per output position
        positions = shape.out_shape[1] * shape.out_shape[2] if len(shape.out_shape) == 3 else 1
        assert shape.macs == module.weight.numel() * positions


@pytest.mark.parametrize("layers, message", [
    ((*CONV_BLOCK, L("linear", units=10)),
     "model.layers[3]: a linear layer needs flat features, but gets a 4x14x14 map; add a flatten layer before it"),
    ((L("flatten"), L("conv2d", channels=4, kernel=3)),
     "model.layers[1]: conv2d needs an image (channels x height x width), but gets 784 flat features"),
    ((*CONV_BLOCK, *CONV_BLOCK, *CONV_BLOCK, L("conv2d", channels=4, kernel=5), L("flatten")),
     "model.layers[9]: the 5x5 kernel is larger than its 3x3 input"),
    (CONV_BLOCK, "model.layers: the output layer needs flat features, but the last layer gives 4x14x14"),
    ((L("maxpool2d", kernel=2, padding=2), L("flatten")), "model.layers[0]: padding 2 is more than half"),
    ((L("conv2d", kernel=3),), "model.layers[0].channels: missing"),
    ((L("linear", units=4, kernel=3),), "model.layers[0].kernel: a linear layer has no kernel"),
])
def test_an_impossible_shape_names_its_layer(layers, message):
    with pytest.raises(ConfigError) as err:
        mnist(*layers)
    assert str(err.value).startswith(message)
    # The dock's draft shows the same reason on that layer, and the layers before it keep their shapes.
    if "." not in str(err.value).split(":")[0]:
        shapes = draft_shapes(DataSpec(name="mnist"), ModelSpec(layers=layers))
        bad = next(s for s in shapes if s.error)
        assert message.split(": ", 1)[1].startswith(bad.error[:40])
        assert all(s.out_shape for s in shapes[:bad.index])


def test_a_convolution_on_points_in_the_plane_is_refused():
    with pytest.raises(ConfigError, match=r"model.layers\[0\]: conv2d needs an image .* 2 flat features"):
        Experiment(data=DataSpec(name="spiral"), model=ModelSpec(layers=CONV_BLOCK))


def test_the_command_line_exits_2_with_the_layer_named(tmp_path, capsys):
    raw = load_preset("mnist-cnn-seed").to_dict()
    raw["model"]["layers"] = [layer for layer in raw["model"]["layers"] if layer["kind"] != "flatten"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: model.layers[6]: a linear layer needs flat features, but gets a 32x7x7 map; "
                   f"add a flatten layer before it (in {path})"]


def test_the_cnn_presets_are_listed(capsys):
    assert main(["presets"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert {"mnist-cnn", "mnist-cnn-seed"} <= set(listed)
    full, seed = load_preset("mnist-cnn"), load_preset("mnist-cnn-seed")
    assert full.model == seed.model and full.data.mnist_subset == "full" and seed.data.mnist_subset == "seed"
    assert full.train.batch_size > 0   # mini-batches


# -- a short run, its checkpoint, its script and its torchrun script ----------------------------

@pytest.fixture(scope="module")
def mnist_files(mnist_root, tmp_path_factory) -> Path:
    """The shared .gz files linked into a root where torchvision (the scripts) finds them uncompressed."""
    root = tmp_path_factory.mktemp("mnist")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in FILES:
        for candidate in (name, name + ".gz"):
            if (mnist_root / "MNIST" / "raw" / candidate).is_file():
                (raw / candidate).symlink_to(mnist_root / "MNIST" / "raw" / candidate)
    prepare(root, allow_download=False)
    return root


@pytest.fixture(scope="module")
def short_run(mnist_files):
    """mnist-cnn-seed for 2 epochs on the CPU: (experiment, Finished)."""
    exp = load_preset("mnist-cnn-seed").with_overrides(
        {"train.epochs": 2, "train.device": "cpu", "data.root": str(mnist_files)})
    return exp, run_to_end(exp)


def run_python(args: list[str], cwd: Path) -> dict:
    """A fresh interpreter with this process's thread count; the last stdout line as JSON."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NEURAL_PLAYGROUND_DATA")}
    env["OMP_NUM_THREADS"] = str(torch.get_num_threads())
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_short_cnn_run_learns_and_its_checkpoint_predicts(short_run, tmp_path):
    exp, finished = short_run
    assert finished.epochs_run == 2
    assert finished.metrics["test_accuracy"] > 85          # chance is 10%
    assert finished.metrics["confusion"].shape == (10, 10) and finished.metrics["confusion"].sum() == 10_000
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "cnn", exp, finished))
    assert isinstance(ckpt.model[0], nn.Unflatten) and ckpt.experiment == exp
    # The loaded model is the trained one: the same test predictions.
    from trainer.data import load
    x_test = torch.from_numpy(load(exp.data).x_test)
    with torch.no_grad():
        assert np.array_equal(ckpt.model(x_test).argmax(1).numpy(), finished.metrics["predictions"])
    # The pad's path: a drawn 1 (a vertical stroke) is read as a digit by the CNN.
    canvas = np.zeros((280, 280), dtype=np.float32)
    canvas[40:240, 130:150] = 1.0
    probs = predict(ckpt, canvas)
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-5 and probs.argmax() == 1


@pytest.mark.slow
def test_the_exported_script_repeats_the_cnn_run(short_run, tmp_path):
    exp, finished = short_run
    script = write_script(exp.with_overrides({"data.root": str(tmp_path / "nowhere")}), tmp_path / "cnn.py")
    text = script.read_text()
    assert "nn.Conv2d(1, 16, kernel_size=3, padding=1),   # -> 16x28x28" in text
    out = run_python([str(script), str(exp.data.root)], cwd=tmp_path)
    app = summary(exp, finished)
    for key in ("reason", "epochs_run", "best_epoch", "params", "test_accuracy"):
        assert out[key] == app[key], key
    for key in ("final_train_loss", "best_val_loss"):
        assert abs(out[key] - app[key]) <= 1e-6, (key, out[key], app[key])


@pytest.mark.slow
def test_the_torchrun_script_trains_on_two_processes(short_run, tmp_path, capsys):
    exp, finished = short_run
    path = tmp_path / "exp.json"
    path.write_text(exp.to_json())
    assert main(["export", str(path), "--ddp", "-o", str(tmp_path / "ddp.py")]) == 0
    text = (tmp_path / "ddp.py").read_text()
    assert "DistributedDataParallel" in text and "DistributedSampler" in text and '"gloo"' in text
    torch_threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)   # two processes on two cores: one thread each (run_python passes it on)
        out = run_python(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          str(tmp_path / "ddp.py"), str(exp.data.root)], cwd=tmp_path)
    finally:
        torch.set_num_threads(torch_threads)
    assert out["epochs_run"] == 2 and out["device"] == "cpu"
    assert abs(out["test_accuracy"] - finished.metrics["test_accuracy"]) <= 1.0, (out, finished.metrics)


def test_the_single_process_script_is_unchanged_by_ddp():
    exp = load_preset("mnist-cnn")
    assert "torch.distributed" not in render_script(exp)
    assert "torch.distributed" in render_script(exp, ddp=True)
