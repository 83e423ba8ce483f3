"""How the bench computes its figures, from fake timings, and that `make bench`'s quick loop run prints them all.

No timing is asserted: only how figures are computed from given timings, and that every key is there.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from bench import choose, common, conv, loop, mnist_full, plain, stall
from bench.loop import WORKLOADS
from trainer.shapes import layer_shapes, totals

LOOP_KEYS = {"bench", "workload", "plain_eps", "trainer_eps", "gui_eps", "trainer_ratio", "gui_ratio", "device",
             "epochs", "plain_epochs_run", "plain_threads", "repeats", "tuned_plain_eps", "overhead_ratio",
             "tuned_plain_epochs_run", "tuned_plain_threads"}
CONV_KEYS = {"bench", "workload", "preset", "macs_per_image", "conv_macs_per_image", "batch", "train_images",
             "val_images", "gflop_per_epoch", "trainer_gflops", "gui_gflops", "trainer_memory_format",
             "trainer_threads", "trainer_mkldnn", "bare_gflops", "bare_memory_format", "bare_threads", "bare_mkldnn",
             "bare_at_trainer_setting_gflops", "trainer_fraction", "bare_trials"}
CNN = next(w for w in WORKLOADS if w.name == "mnist-cnn")


def test_median_of_odd_and_even_counts():
    assert common.median([3.0, 1.0, 2.0]) == 2.0
    assert common.median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_percentile_interpolates_between_neighbours_like_numpy():
    values = [float(v) for v in range(1, 101)]          # 1 .. 100
    assert common.percentile(values, 50) == pytest.approx(50.5)
    assert common.percentile(values, 95) == pytest.approx(95.05)
    assert common.percentile([], 95) == 0.0


def test_rounding_keeps_three_significant_digits():
    assert common.r(0.123456) == 0.123
    assert common.r(352.71) == 353.0
    assert common.r(12345.6) == 12346


def test_loop_line_takes_medians_and_divides_them():
    w = loop.Workload("spiral", "spiral", 1500, 3, 10.0)
    runs = {"plain": [100.0, 300.0, 200.0], "tuned": [400.0, 500.0, 450.0], "trainer": [420.0, 380.0, 900.0],
            "gui": [350.0, 360.0, 10.0], "plain_epochs": [1500, 987, 1500], "tuned_epochs": [1500, 1500, 1400]}
    line = loop.record(w, "cpu", runs, threads=2, tuned_threads=1)
    assert set(line) == LOOP_KEYS
    assert line["plain_eps"] == 200.0 and line["tuned_plain_eps"] == 450.0 and line["trainer_eps"] == 420.0
    assert line["trainer_ratio"] == 2.1                 # median trainer / median plain
    assert line["overhead_ratio"] == 0.933              # median trainer / median tuned plain
    assert line["gui_ratio"] == 1.75
    assert line["plain_epochs_run"] == 987 and line["tuned_plain_epochs_run"] == 1400
    assert line["repeats"] == 3 and line["tuned_plain_threads"] == 1
    json.dumps(line)                                    # one JSON object per line


def test_loop_line_without_a_window_has_no_gui_figures():
    w = loop.Workload("mnist5k", "mnist-mlp", 20, 1, 15.0)
    runs = {"plain": [2.0], "tuned": [5.0], "trainer": [4.0], "gui": [], "plain_epochs": [20], "tuned_epochs": [20]}
    line = loop.record(w, "cpu", runs, threads=2, tuned_threads=2)
    assert line["gui_eps"] is None and line["gui_ratio"] is None
    assert line["trainer_ratio"] == 2.0 and line["overhead_ratio"] == 0.8


def test_the_cnn_workload_compares_the_same_network_plain_and_in_the_trainer():
    exp = loop.experiment(CNN)
    assert exp.train.patience == 0 and exp.train.epochs == CNN.epochs
    net = plain.cnn_model(exp)
    assert sum(p.numel() for p in net.parameters()) == totals(layer_shapes(exp)).params
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_the_bare_convolutions_have_the_networks_shapes():
    exp = loop.experiment(CNN)
    first, second = conv.conv_shapes(exp)
    assert (first.in_shape, first.out_channels, first.input_grad) == ((1, 28, 28), 16, False)
    assert (second.in_shape, second.out_channels, second.input_grad) == ((16, 14, 14), 32, True)
    assert first.batch == exp.train.batch_size
    assert first.macs + second.macs == sum(s.macs for s in layer_shapes(exp) if s.kind == "conv2d")
    assert conv.trainer_setting(exp).memory_format == "channels_last"   # as models.build_model trains a CNN


def test_conv_line_counts_flop_and_picks_the_fastest_bare_setting():
    exp = loop.experiment(CNN)
    macs = totals(layer_shapes(exp)).macs
    conv_macs = sum(c.macs for c in conv.conv_shapes(exp))
    fast, slow = conv.Setting("channels_last", 1, True), conv.Setting("contiguous", 2, False)
    step_gflop = 6 * conv_macs * exp.train.batch_size / 1e9      # 3 x forward, 2 FLOP per multiply-add
    line = conv.record(exp, 5000, 1000, trainer_eps=0.5, gui_eps=0.25,
                       step_seconds={fast: step_gflop / 40.0, slow: step_gflop / 10.0}, used=slow)
    assert set(line) == CONV_KEYS
    epoch_gflop = 2 * macs * (3 * 5000 + 1000) / 1e9
    assert line["gflop_per_epoch"] == common.r(epoch_gflop, 4)
    assert line["trainer_gflops"] == common.r(0.5 * epoch_gflop) and line["gui_gflops"] == common.r(0.25 * epoch_gflop)
    assert line["bare_gflops"] == 40.0 and line["bare_memory_format"] == "channels_last"
    assert line["bare_threads"] == 1 and line["bare_mkldnn"] is True
    assert line["bare_at_trainer_setting_gflops"] == 10.0 and line["trainer_threads"] == 2
    assert line["trainer_fraction"] == common.r(0.5 * epoch_gflop / 40.0)
    assert [t["gflops"] for t in line["bare_trials"]] == [40.0, 10.0]
    json.dumps(line)


def test_training_eps_counts_epochs_over_the_last_epochs_clock():
    class Fin:
        history = [{"seconds": 0.5}, {"seconds": 1.0}, {"seconds": 2.0}, {"seconds": 4.0}]
    assert common.training_eps(Fin()) == 1.0
    Fin.history = []
    with pytest.raises(common.BenchError):
        common.training_eps(Fin())


def test_ui_stall_reports_the_worst_of_its_repeats_and_counts_the_click():
    # The first tick came 80 ms late: the Train handler's own block is in max_ms.
    first = stall.summary([80.0, 0.0, 1.0, 0.5], click_ms=78.0)
    second = stall.summary([2.0, 0.0, 120.0, 0.0, 0.0], click_ms=30.0)
    assert first["max_ms"] == 80.0 and first["train_click_ms"] == 78.0
    w = stall.worst([first, second])
    assert w["max_ms"] == 120.0 and w["train_click_ms"] == 78.0
    assert w["p99_ms"] == max(first["p99_ms"], second["p99_ms"])


def test_mnist_full_line_gives_mean_and_minimum_over_seeds():
    runs = [{"seed": s, "test_accuracy": a, "seconds_per_epoch": 2.0, "epochs_run": e, "best_epoch": b,
             "reason": "early_stopped", "device": "cpu"}
            for s, a, e, b in ((1, 97.9, 14, 6), (2, 98.2, 20, 12), (3, 98.05, 16, 8))]
    line = mnist_full.record(runs)
    assert line["test_accuracy_mean"] == 98.05 == line["test_accuracy"]
    assert line["test_accuracy_min"] == 97.9
    assert line["seeds"] == [1, 2, 3] and line["epochs_run"] == 16 and line["best_epoch"] == 8
    json.dumps(line)


def _history(val_losses: list[float], val_accs: list[float]) -> list[dict]:
    return [{"epoch": i, "val_loss": l, "val_acc": a} for i, (l, a) in enumerate(zip(val_losses, val_accs))]


def test_a_smaller_patience_restores_what_the_loop_would_have():
    h = _history([0.5, 0.4, 0.45, 0.46, 0.3, 0.31], [90, 92, 91, 91, 95, 94])
    assert choose.restored(h, 2)["epoch"] == 1       # stops after epoch 3 (2 epochs without a new best)
    assert choose.restored(h, 3)["epoch"] == 4       # still running at epoch 4, the new best
    assert choose.restored(h, 0)["epoch"] == 4       # patience 0: never stops early


def test_the_choice_scores_validation_accuracy_only():
    runs = {(0.001, 1): _history([0.5, 0.4, 0.45, 0.46, 0.3], [90, 92, 91, 91, 95]),
            (0.001, 2): _history([0.5, 0.4, 0.41, 0.42, 0.35], [90, 93, 91, 91, 96]),
            (0.002, 1): _history([0.4, 0.38, 0.5, 0.5, 0.5], [94, 94.5, 90, 90, 90]),
            (0.002, 2): _history([0.4, 0.39, 0.5, 0.5, 0.5], [94, 94.0, 90, 90, 90])}
    lr, patience, score = choose.choose(runs, (2, 3))
    assert (lr, patience) == (0.001, 3) and score == pytest.approx(95.5)
    assert choose.score([runs[(0.002, 1)], runs[(0.002, 2)]], 2) == pytest.approx(94.25)
    assert not any("test" in key for h in runs.values() for rec in h for key in rec)
    assert math.isfinite(score)

def test_quick_loop_exits_0_with_every_key(repo_root):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(repo_root)}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "loop"], cwd=repo_root, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    conv_lines = [line for line in lines if line["bench"] == "conv"]
    lines = [line for line in lines if line["bench"] != "conv"]
    assert [line["workload"] for line in lines] == [w.name for w in WORKLOADS]
    assert len(conv_lines) == 1 and set(conv_lines[0]) == CONV_KEYS, conv_lines
    for key in ("trainer_gflops", "gui_gflops", "bare_gflops", "trainer_fraction", "bare_at_trainer_setting_gflops"):
        assert conv_lines[0][key] > 0, (key, conv_lines[0])
    for line in lines:
        assert set(line) == LOOP_KEYS, line
        assert line["bench"] == "loop" and line["repeats"] == 1
        for key in ("plain_eps", "tuned_plain_eps", "trainer_eps", "gui_eps", "trainer_ratio", "overhead_ratio",
                    "gui_ratio"):
            assert line[key] > 0, (key, line)
