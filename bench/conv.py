"""`conv`: the GFLOP/s the trainer reaches on the mnist-cnn network, against a bare convolution's best here.

How FLOP are counted (the same for both figures): 1 multiply-add = 2 FLOP; multiply-adds per image are
trainer.shapes' (every convolution and linear layer, the output layer included, as the Architecture dock
shows them). A training image costs 3 x its forward multiply-adds (the forward, then the backward's input
gradient and weight gradient, each counted as large as the forward), a validation image 1 x. So the
trainer's FLOP per epoch = 2 x macs x (3 x training images + validation images), and its GFLOP/s = that x
the loop workload's median epochs per second (pooling, ReLU, dropout, loss and Adam are work it does but
not counted). Torch skips the first convolution's input gradient (the images need none), in the trainer and
in the bare run alike, so both counts overstate the real work by that pass (mnist-cnn: 3.1% of the
trainer's count, 3.7% of the bare one's).

The bare run: torch.nn.functional.conv2d forward + backward (torch.autograd.grad of input where the network
needs it, weight and bias) on the network's convolutions, with its batch size and input shapes, every
combination of memory format (contiguous NCHW / channels-last), intra-op threads and oneDNN
(torch.backends.mkldnn.enabled) timed interleaved in rounds; the fastest combination is the machine's
figure, and the one the trainer trains with is reported beside it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from itertools import product

import torch
import torch.nn.functional as F

from trainer.config import ONE_THREAD_BELOW, Experiment, input_shape
from trainer.data import load
from trainer.models import build_model
from trainer.shape_walk import padding_of, stride_of
from trainer.shapes import experiment_work, layer_shapes, totals

from .common import median, note, r

FORMATS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


@dataclass(frozen=True)
class ConvShape:
    """One convolution of the network as the training step runs it."""
    batch: int
    in_shape: tuple[int, int, int]   # channels, height, width
    out_channels: int
    kernel: int
    stride: int
    padding: int
    macs: int                        # multiply-adds per image, from trainer.shapes
    input_grad: bool                 # False for the first layer: the images need no gradient


@dataclass(frozen=True)
class Setting:
    memory_format: str
    threads: int
    mkldnn: bool


def conv_shapes(exp: Experiment) -> list[ConvShape]:
    """The experiment's convolutions with the shapes they see in a training batch."""
    shapes = layer_shapes(exp)
    seen = [input_shape(exp.data, exp.model.layers)] + [s.out_shape for s in shapes]
    return [ConvShape(exp.train.batch_size, seen[i], layer.channels, layer.kernel, stride_of(layer),
                      padding_of(layer), shapes[i].macs, i > 0)
            for i, layer in enumerate(exp.model.layers) if layer.kind == "conv2d"]


def settings() -> list[Setting]:
    """Every combination worth timing: both memory formats, one thread and all of them, oneDNN on and off."""
    threads = sorted({1, torch.get_num_threads(), os.cpu_count() or 1})
    onednn = (True, False) if torch.backends.mkldnn.is_available() else (False,)
    return [Setting(f, t, m) for f, t, m in product(FORMATS, threads, onednn)]


def trainer_setting(exp: Experiment) -> Setting:
    """What trainer.loop trains this CPU experiment with: build_model's memory format, loop's thread rule
    (one thread below ONE_THREAD_BELOW, else the process's), torch's oneDNN switch as it is."""
    with torch.device("meta"):
        conv = next(m for m in build_model(exp) if isinstance(m, torch.nn.Conv2d))
    fmt = "channels_last" if conv.weight.is_contiguous(memory_format=torch.channels_last) else "contiguous"
    one = experiment_work(exp) * exp.train.batch_size < ONE_THREAD_BELOW
    return Setting(fmt, 1 if one else torch.get_num_threads(), torch.backends.mkldnn.enabled)


def _operands(c: ConvShape, fmt: torch.memory_format) -> tuple[torch.Tensor, ...]:
    x = torch.randn(c.batch, *c.in_shape).to(memory_format=fmt).requires_grad_(c.input_grad)
    w = torch.randn(c.out_channels, c.in_shape[0], c.kernel, c.kernel).to(memory_format=fmt).requires_grad_()
    b = torch.zeros(c.out_channels, requires_grad=True)
    with torch.no_grad():
        g = torch.ones_like(F.conv2d(x, w, b, c.stride, c.padding))
    return x, w, b, g


def _step(convs: list[ConvShape], operands: list[tuple[torch.Tensor, ...]]) -> None:
    """Forward and backward of every convolution once (grad() returns the gradients: nothing accumulates)."""
    for c, (x, w, b, g) in zip(convs, operands):
        out = F.conv2d(x, w, b, c.stride, c.padding)
        torch.autograd.grad(out, [x, w, b] if c.input_grad else [w, b], g)


def time_settings(convs: list[ConvShape], candidates: list[Setting], rounds: int,
                  steps: int) -> dict[Setting, float]:
    """Median seconds per step of each setting, the settings interleaved round by round."""
    before_threads, before_mkldnn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    seconds: dict[Setting, list[float]] = {s: [] for s in candidates}
    operands = {f: [_operands(c, FORMATS[f]) for c in convs] for f in FORMATS}
    try:
        for _ in range(rounds):
            for s in candidates:
                torch.set_num_threads(s.threads)
                torch.backends.mkldnn.enabled = s.mkldnn
                _step(convs, operands[s.memory_format])   # warm: oneDNN builds its primitives once per shape
                t0 = time.perf_counter()
                for _ in range(steps):
                    _step(convs, operands[s.memory_format])
                seconds[s].append((time.perf_counter() - t0) / steps)
    finally:
        torch.set_num_threads(before_threads)
        torch.backends.mkldnn.enabled = before_mkldnn
    return {s: median(v) for s, v in seconds.items()}


def record(exp: Experiment, train_images: int, val_images: int, trainer_eps: float, gui_eps: float | None,
           step_seconds: dict[Setting, float], used: Setting) -> dict:
    """The `conv` line from the loop's epochs per second and the bare convolutions' seconds per step."""
    macs = totals(layer_shapes(exp)).macs
    convs = conv_shapes(exp)
    gflop_epoch = 2 * macs * (3 * train_images + val_images) / 1e9
    gflop_step = sum(2 * 3 * c.macs * c.batch for c in convs) / 1e9
    rates = {s: gflop_step / sec for s, sec in step_seconds.items()}
    best = max(rates, key=rates.get)
    trainer_gflops = trainer_eps * gflop_epoch
    return {
        "bench": "conv", "workload": "mnist-cnn", "preset": exp.name, "macs_per_image": macs,
        "conv_macs_per_image": sum(c.macs for c in convs), "batch": exp.train.batch_size,
        "train_images": train_images, "val_images": val_images, "gflop_per_epoch": r(gflop_epoch, 4),
        "trainer_gflops": r(trainer_gflops), "gui_gflops": None if gui_eps is None else r(gui_eps * gflop_epoch),
        "trainer_memory_format": used.memory_format, "trainer_threads": used.threads,
        "trainer_mkldnn": used.mkldnn,
        "bare_gflops": r(rates[best]), "bare_memory_format": best.memory_format, "bare_threads": best.threads,
        "bare_mkldnn": best.mkldnn,
        "bare_at_trainer_setting_gflops": r(rates[used]) if used in rates else None,
        "trainer_fraction": r(trainer_gflops / rates[best]),
        "bare_trials": [{"memory_format": s.memory_format, "threads": s.threads, "mkldnn": s.mkldnn,
                         "gflops": r(v)} for s, v in sorted(rates.items(), key=lambda kv: -kv[1])],
    }


def run(exp: Experiment, trainer_eps: float, gui_eps: float | None, quick: bool = False) -> dict:
    """Time the bare convolutions of `exp` and set the loop's epochs per second against them."""
    splits = load(exp.data)
    used = trainer_setting(exp)
    candidates = settings()
    if used not in candidates:
        candidates.append(used)
    note(f"conv: timing {len(candidates)} settings of the bare convolutions")
    step_seconds = time_settings(conv_shapes(exp), candidates, rounds=2 if quick else 5, steps=2 if quick else 5)
    return record(exp, len(splits.x_train), len(splits.x_val), trainer_eps, gui_eps, step_seconds, used)
