"""`timeline`: what recording the time-travel timeline costs the training (issue 16 item 1), and its memory.

Speed, for loop.py's spiral and mnist5k workloads (the seed's 5,000 MNIST images, full batch): the same
`trainer.loop.train` headless without recording (record=0) and recording within the default budget
(record=DEFAULT_BUDGET, every Keyframe kept in a Timeline as the window keeps them), interleaved with the
tuned plain loop of bench/plain.py (`--serve --tuned`) as the baseline of the same run; which of the two
trainer runs goes first alternates between repeats. Figures are medians of the repeats:
recording_ratio = recording_eps / trainer_eps (target >= 0.9: recording costs at most 10%), and both
against the tuned plain loop. held_mb is what the recorded run's Timeline holds (Timeline.nbytes()).
The load average (1 minute) before and after each line is in it: the machine is shared.

Memory, two more lines:
- `spiral-preset`: the spiral preset (5,000 epochs, early stopping) recorded to its end: what its whole
  timeline holds, measured.
- `mnist-mlp-full`: computed, not trained to its end (minutes): one real frame of its network and
  optimizer (one epoch on the 5,000-image subset; a frame's size does not depend on the data) times the
  frames `stride_for` keeps for its configured epochs: held_mb_computed = frames on the spacing + the last
  epoch, held_max_mb_computed = also a best epoch beside each (the most the rule can keep).
"""
from __future__ import annotations

import math
import os
from typing import Any

from trainer.config import Experiment
from trainer.control import Control
from trainer.events import Finished, Keyframe
from trainer.loop import pick_device, train
from trainer.presets import load_preset
from trainer.timeline.timeline import DEFAULT_BUDGET, Timeline, stride_for

from .common import BenchError, emit, median, note, r, training_eps
from .loop import WORKLOADS, PlainLoops, Workload, experiment

SPEED_WORKLOADS = tuple(w for w in WORKLOADS if w.name in ("spiral", "mnist5k"))
FULL_PRESET = "mnist-mlp-full"
MB = 2**20


def recorded(exp: Experiment, budget: int) -> tuple[Finished, Timeline]:
    """train() headless, every Keyframe kept in a Timeline of `budget` bytes (0: nothing recorded)."""
    timeline, fin = Timeline(budget or DEFAULT_BUDGET), None
    for ev in train(exp, Control(), record=budget):
        if isinstance(ev, Keyframe):
            timeline.add(ev.frame)
        elif isinstance(ev, Finished):
            fin = ev
    if fin is None or not fin.history:
        raise BenchError(f"{exp.name} ended without a result")
    return fin, timeline


def record(w: Workload, device: str, runs: dict[str, list[float]], timeline: Timeline,
           load: tuple[float, float]) -> dict[str, Any]:
    """The `timeline` line of one workload: `runs` has "tuned", "trainer" and "recording" epochs per second,
    one per repeat; `timeline` is a recorded run's; `load` the 1-minute load average before and after."""
    tp, t, rec = median(runs["tuned"]), median(runs["trainer"]), median(runs["recording"])
    frames = len(timeline)
    return {"bench": "timeline", "workload": w.name, "epochs": w.epochs, "repeats": len(runs["recording"]),
            "device": device, "tuned_plain_eps": r(tp, 4), "trainer_eps": r(t, 4), "recording_eps": r(rec, 4),
            "recording_ratio": r(rec / t), "trainer_overhead_ratio": r(t / tp), "recording_overhead_ratio": r(rec / tp),
            "frames": frames, "held_mb": r(timeline.nbytes() / MB),
            "frame_kb": r(timeline.nbytes() / frames / 1024) if frames else None,
            "budget_mb": r(DEFAULT_BUDGET / MB), "load_1min_before": r(load[0]), "load_1min_after": r(load[1])}


def speed(tuned: PlainLoops, w: Workload, quick: bool) -> dict[str, Any]:
    exp = experiment(w)
    device = str(pick_device(exp.train.device))
    load_before = os.getloadavg()[0]
    runs: dict[str, list[float]] = {"tuned": [], "trainer": [], "recording": []}
    timeline = Timeline()
    for i in range(1 if quick else w.repeats):
        eps, _, _ = tuned.run(w, device)
        runs["tuned"].append(eps)
        for budget in ((0, DEFAULT_BUDGET) if i % 2 == 0 else (DEFAULT_BUDGET, 0)):
            fin, kept = recorded(exp, budget)
            if len(fin.history) != w.epochs:
                raise BenchError(f"{w.name}: a run stopped early ({len(fin.history)} of {w.epochs} epochs)")
            runs["recording" if budget else "trainer"].append(training_eps(fin))
            if budget:
                timeline = kept
        note(f"timeline {w.name} #{i + 1}: tuned plain {eps:.3g}  trainer {runs['trainer'][-1]:.3g}  "
             f"recording {runs['recording'][-1]:.3g} epochs/s ({len(timeline)} frames, "
             f"{timeline.nbytes() / MB:.1f} MB)  load {os.getloadavg()[0]:.2f}")
    return record(w, device, runs, timeline, (load_before, os.getloadavg()[0]))


def spiral_preset() -> dict[str, Any]:
    """The spiral preset recorded to its end (early stopping decides where): its whole timeline, measured."""
    exp = load_preset("spiral")
    fin, timeline = recorded(exp, DEFAULT_BUDGET)
    return {"bench": "timeline", "workload": "spiral-preset", "epochs": exp.train.epochs,
            "epochs_run": len(fin.history), "frames": len(timeline), "held_mb": r(timeline.nbytes() / MB),
            "budget_mb": r(DEFAULT_BUDGET / MB), "device": fin.device}


def full_frame_bytes() -> tuple[int, Experiment]:
    """The size of one real frame of mnist-mlp-full's network and optimizer, and that preset."""
    exp = load_preset(FULL_PRESET)
    short = exp.with_overrides({"data.mnist_subset": "seed", "train.epochs": 1})
    _, timeline = recorded(short, DEFAULT_BUDGET)
    return timeline.frames()[0].nbytes(), exp


def computed_memory(frame_bytes: int, epochs: int, budget: int = DEFAULT_BUDGET) -> dict[str, Any]:
    """What a run of `epochs` keeps with frames of `frame_bytes`: the spacing (and the last epoch), and at
    most a best epoch beside each of those."""
    stride = stride_for(frame_bytes, epochs, budget)
    on_stride = math.ceil(epochs / stride)            # epochs 0, stride, 2 stride, ...
    last_apart = (epochs - 1) % stride != 0
    least = on_stride + last_apart
    most = min(epochs, 2 * least)
    return {"frame_mb": r(frame_bytes / MB), "stride": stride, "frames_on_stride": on_stride,
            "held_mb_computed": r(least * frame_bytes / MB), "held_max_mb_computed": r(most * frame_bytes / MB),
            "budget_mb": r(budget / MB)}


def full_memory() -> dict[str, Any]:
    frame_bytes, exp = full_frame_bytes()
    return {"bench": "timeline", "workload": FULL_PRESET, "epochs": exp.train.epochs,
            **computed_memory(frame_bytes, exp.train.epochs),
            "computed_from": "one real frame x the frames stride_for keeps for the preset's epochs"}


def run(quick: bool = False) -> None:
    tuned = PlainLoops(tuned=True)
    try:
        for w in SPEED_WORKLOADS:
            emit(speed(tuned, w, quick))
    finally:
        tuned.close()
    emit(spiral_preset())
    emit(full_memory())
