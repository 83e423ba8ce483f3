"""`loop`: epochs per second of the seed's plain loop, trainer.loop.train headless, and the app's GUI.

The three run interleaved (plain, trainer, gui, plain, trainer, gui, ...) on the same data, the same
epoch count and the same device, and each figure is the median of its repeats: this 2-core machine is
shared, so a burst of someone else's work should hit all three alike, not one of them.

The plain loop runs in its own interpreter started with the benchmark's original environment (see
bench/plain.py): a learner's `python script.py` does not get the app's runtime tuning. It waits on a
pipe while the other two run, so it never competes with them for the cores.

trainer_ratio = trainer_eps / plain_eps is what a learner gains by using the app instead of the seed's
script. It is not the framework's overhead: for that a second plain interpreter runs the same loops
tuned as the app is (`bench.plain --serve --tuned`: the trainer's environment variables, thread rule
and fused optimizer), interleaved with the rest, and overhead_ratio = trainer_eps / tuned_plain_eps
(1.0: the framework costs nothing against the best plain script; below 1: it costs that fraction).

After the mnist-cnn workload comes bench/conv.py's `conv` line: the GFLOP/s of that workload's trainer
(and window) against a bare convolution forward + backward on the same shapes.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

from trainer.config import Experiment
from trainer.control import Control
from trainer.events import Finished
from trainer.loop import pick_device, train
from trainer.presets import load_preset

from .common import REPO, BenchError, emit, learner_env, median, note, r, training_eps


@dataclass(frozen=True)
class Workload:
    name: str
    preset: str
    epochs: int
    repeats: int
    plain_budget_s: float   # a plain run stops after this long (a busy machine can make it crawl)


WORKLOADS = (
    Workload("spiral", "spiral", 1500, 5, 10.0),           # full batch, 2-100-3
    Workload("mnist5k", "mnist-mlp", 20, 3, 15.0),         # the seed's 5,000-image subset, full batch
    Workload("mnist60k", "mnist-mlp-full", 1, 3, 15.0),    # 55,000 images in batches of 128
    # The mnist-cnn network on the seed's 5,000 images (mnist-cnn-seed, batches of 128): a full 55,000-image
    # epoch takes ~10 s on the quiet 2-core machine and minutes under load, too long for 4 loops x 3 repeats.
    Workload("mnist-cnn", "mnist-cnn-seed", 2, 3, 30.0),
)
BATCH_60K = 128   # bench/plain.py's mini-batch size, whatever the preset is tuned to


def experiment(w: Workload) -> Experiment:
    """The workload's preset with its epoch count and early stopping off, so every run does all epochs."""
    overrides = {"train.epochs": w.epochs, "train.patience": 0}
    if w.name == "mnist60k":
        overrides["train.batch_size"] = BATCH_60K
    return load_preset(w.preset).with_overrides(overrides)


def headless(exp: Experiment) -> Finished:
    """trainer.loop.train as the command line drives it (no snapshots while training)."""
    fin = None
    for ev in train(exp, Control()):
        if isinstance(ev, Finished):
            fin = ev
    if fin is None:
        raise BenchError(f"{exp.name} ended without a result")
    return fin



class PlainLoops:
    """The plain loops' interpreter (`python -m bench.plain --serve`), one request at a time."""

    def __init__(self, tuned: bool = False) -> None:
        self.tuned = tuned
        command = [sys.executable, "-m", "bench.plain", "--serve", *(["--tuned"] if tuned else [])]
        self.proc = subprocess.Popen(command, cwd=REPO, env=learner_env(),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, w: Workload, device: str) -> tuple[float, float, int]:
        """(epochs per second, epochs run, torch threads) of one plain run."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{w.name} {w.preset} {w.epochs} {w.plain_budget_s} {device}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            kind = "tuned plain" if self.tuned else "plain"
            raise BenchError(f"the {kind} {w.name} loop died (exit status {self.proc.wait()})")
        out = json.loads(line)
        return out["epochs"] / out["seconds"], out["epochs"], out["threads"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(30)


def run(window, quick: bool = False) -> None:
    """`window` None: plain and headless only (a machine without Qt, such as a GPU server)."""
    plain, tuned = PlainLoops(), PlainLoops(tuned=True)
    try:
        for w in WORKLOADS:
            line = _workload(window, plain, tuned, w, quick)
            emit(line)
            if w.name == "mnist-cnn" and line["device"] == "cpu":   # the bare convolutions are timed on the CPU
                from . import conv
                emit(conv.run(experiment(w), line["trainer_eps"], line["gui_eps"], quick=quick))
    finally:
        plain.close()
        tuned.close()


def record(w: Workload, device: str, runs: dict[str, list[float]], threads: int, tuned_threads: int) -> dict:
    """The `loop` line of one workload from its repeats: medians of each loop's rates and their ratios.

    `runs`: "plain", "tuned", "trainer" and "gui" (empty without a window) epochs per second, one per
    repeat; "plain_epochs" and "tuned_epochs" the epochs each plain run did within its time budget.
    """
    p, tp, t = median(runs["plain"]), median(runs["tuned"]), median(runs["trainer"])
    g = median(runs["gui"]) if runs["gui"] else None
    return {"bench": "loop", "workload": w.name, "plain_eps": r(p, 4), "trainer_eps": r(t, 4),
            "gui_eps": None if g is None else r(g, 4), "trainer_ratio": r(t / p),
            "gui_ratio": None if g is None else r(g / p), "device": device,
            "epochs": w.epochs, "plain_epochs_run": r(min(runs["plain_epochs"])), "plain_threads": threads,
            "repeats": len(runs["trainer"]), "tuned_plain_eps": r(tp, 4), "overhead_ratio": r(t / tp),
            "tuned_plain_epochs_run": r(min(runs["tuned_epochs"])), "tuned_plain_threads": tuned_threads}


def _workload(window, plain: PlainLoops, tuned: PlainLoops, w: Workload, quick: bool) -> dict:
    exp = experiment(w)
    device = str(pick_device(exp.train.device))
    runs: dict[str, list[float]] = {k: [] for k in ("plain", "tuned", "trainer", "gui", "plain_epochs",
                                                     "tuned_epochs")}
    threads = tuned_threads = 0
    for i in range(1 if quick else w.repeats):
        eps, done, threads = plain.run(w, device)
        runs["plain"].append(eps)
        runs["plain_epochs"].append(done)
        teps, tdone, tuned_threads = tuned.run(w, device)
        runs["tuned"].append(teps)
        runs["tuned_epochs"].append(tdone)
        fin = headless(exp)
        runs["trainer"].append(training_eps(fin))
        finished = [fin]
        if window is not None:
            from . import gui
            finished.append(gui.train_in_window(window, exp))
            runs["gui"].append(training_eps(finished[-1]))
        if any(len(f.history) != w.epochs for f in finished):
            raise BenchError(f"{w.name}: a run stopped early ({[len(f.history) for f in finished]} "
                             f"of {w.epochs} epochs)")
        shown = f"  gui {runs['gui'][-1]:.3g}" if window is not None else ""
        note(f"loop {w.name} #{i + 1}: plain {eps:.3g} ({done:.3g} epochs)  tuned plain {teps:.3g} "
             f"({tdone:.3g} epochs)  trainer {runs['trainer'][-1]:.3g}{shown} epochs/s")
    return record(w, device, runs, threads, tuned_threads)
