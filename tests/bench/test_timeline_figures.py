"""bench/timeline.py: the `timeline` line's figures from fake timings, the computed memory, and one short real run.

No timing is asserted: only how the figures are computed and that every key is there.
"""
from __future__ import annotations

import json

from bench import timeline
from bench.common import r
from bench.loop import PlainLoops, Workload
from trainer.timeline.frame import Frame
from trainer.timeline.timeline import DEFAULT_BUDGET, Timeline, stride_for

SPEED_KEYS = {"bench", "workload", "epochs", "repeats", "device", "tuned_plain_eps", "trainer_eps", "recording_eps",
              "recording_ratio", "trainer_overhead_ratio", "recording_overhead_ratio", "frames", "held_mb", "frame_kb",
              "budget_mb", "load_1min_before", "load_1min_after"}
MEMORY_KEYS = {"frame_mb", "stride", "frames_on_stride", "held_mb_computed", "held_max_mb_computed", "budget_mb"}


def _timeline(frames: int, frame_bytes: int) -> Timeline:
    import numpy as np
    kept = Timeline()
    for epoch in range(frames):
        kept.add(Frame(epoch, {"w": np.zeros(frame_bytes // 4, np.float32)}, {}, {}, None, {}, epoch, 1.0))
    return kept


def test_the_speed_line_takes_medians_and_divides_them():
    w = Workload("spiral", "spiral", 1500, 3, 10.0)
    runs = {"tuned": [400.0, 500.0, 450.0], "trainer": [420.0, 380.0, 900.0], "recording": [390.0, 360.0, 10.0]}
    line = timeline.record(w, "cpu", runs, _timeline(1500, 20_000), (2.5, 3.25))
    assert set(line) == SPEED_KEYS
    assert (line["tuned_plain_eps"], line["trainer_eps"], line["recording_eps"]) == (450.0, 420.0, 360.0)
    assert line["recording_ratio"] == r(360 / 420)          # recording against the same trainer without it
    assert line["trainer_overhead_ratio"] == r(420 / 450) and line["recording_overhead_ratio"] == 0.8
    assert line["frames"] == 1500 and line["held_mb"] == r(1500 * 20_000 / 2**20)
    assert line["frame_kb"] == r(20_000 / 1024) and line["budget_mb"] == 256.0
    assert (line["repeats"], line["load_1min_before"], line["load_1min_after"]) == (3, 2.5, 3.25)
    json.dumps(line)


def test_mnist_mlp_full_memory_is_its_frame_times_what_the_spacing_keeps():
    frame = 4 * 235_146 * 4 + 2 * 5056       # weights, gradients, Adam's two moments; two generator states
    line = timeline.computed_memory(frame, 40)
    assert set(line) == MEMORY_KEYS
    assert line["stride"] == stride_for(frame, 40) == 2
    assert line["frames_on_stride"] == 20                   # epochs 0, 2, ..., 38
    assert line["held_mb_computed"] == r(21 * frame / 2**20)   # ... and the last, 39
    assert line["held_max_mb_computed"] == r(40 * frame / 2**20)
    assert line["held_max_mb_computed"] * 2**20 <= DEFAULT_BUDGET


def test_a_small_model_keeps_every_epoch():
    line = timeline.computed_memory(20_000, 5000)
    assert (line["stride"], line["frames_on_stride"]) == (1, 5000)
    assert line["held_mb_computed"] == line["held_max_mb_computed"] == r(5000 * 20_000 / 2**20)


def test_a_short_real_speed_run_has_every_key():
    tuned = PlainLoops(tuned=True)
    try:
        line = timeline.speed(tuned, Workload("spiral", "spiral", 30, 1, 10.0), quick=True)
    finally:
        tuned.close()
    assert set(line) == SPEED_KEYS and line["repeats"] == 1 and line["frames"] == 30
    for key in ("tuned_plain_eps", "trainer_eps", "recording_eps", "recording_ratio", "held_mb", "frame_kb"):
        assert line[key] > 0, (key, line)
