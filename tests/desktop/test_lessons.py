"""The Lessons menu: each lesson loads its preset, opens its views and trains to the seed's result."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from desktop.lessons import LESSONS
from desktop.lessons.catalog import COMPARISON, CONVOLUTION, PLAYGROUND
from desktop.lessons.views import gate_outputs, line_gradients
from desktop.lessons.runner import running_threads
from trainer.config import Experiment, LayerSpec, replace
from trainer.data import linear
from trainer.events import EpochEnd, ParamStep
from trainer.manual import autograd_regression, manual_xor
from trainer.models import build_model
from trainer.presets import load_preset, names

TIMEOUT = 300_000


@pytest.fixture(autouse=True)
def _no_lesson_thread_left(qapp):
    yield
    from desktop.training import wait_until
    assert wait_until(lambda: running_threads() == 0, 30), "a lesson thread outlived its test"


@pytest.fixture
def lessons(window, qtbot):
    controller = window.lessons
    qtbot.waitUntil(lambda: controller._shown_once and controller.code_dock.isVisible(), timeout=5000)
    yield controller
    assert controller.shutdown(30_000)


# -- the menu and opening ----------------------------------------------------------------------
def test_the_lessons_sit_above_the_presets_in_the_lessons_menu(window, lessons):
    texts = [a.text() for a in window.lessons_menu.actions()]
    assert texts[:2] == ["Part I: autograd", ""]     # Part I of the seed first, then a separator
    texts = texts[2:]
    assert texts[:7] == ["A1  Linear regression with raw autograd", "A2  Perceptron on AND", "A3  XOR MLP",
                         "A4  Manual vs PyTorch", "B  Spiral", "C  MNIST", "D  Convolution, step by step"]
    assert texts[7] == "Presets" and window.lessons_menu.actions()[2 + 7].isSeparator()
    assert texts[8:] == names()              # the window's preset entries are all still there


@pytest.mark.parametrize("entry", LESSONS, ids=[e.key for e in LESSONS])
def test_each_lesson_loads_its_preset_opens_its_tab_and_shows_its_text(window, lessons, entry):
    window.lessons_menu.actions()[2 + [e.key for e in LESSONS].index(entry.key)].trigger()   # after Part I
    assert window.current_experiment() == load_preset(entry.preset)
    assert lessons.lesson_dock.isVisible() and not lessons.lesson_dock.visibleRegion().isEmpty()
    text = lessons.panel.plain_text()
    assert text.startswith(entry.label) and "Watch for" in text
    tab = window.tabs.tabText(window.tabs.currentIndex())
    if entry.tab == COMPARISON:
        assert tab == COMPARISON and window.tabs.currentWidget() is lessons.comparison
    elif entry.tab == CONVOLUTION:
        assert tab == CONVOLUTION and window.tabs.currentWidget() is lessons.tab_pages[CONVOLUTION]
    elif entry.key == "C":
        has_mnist = any(window.tabs.tabText(i) == "MNIST" for i in range(window.tabs.count()))
        assert tab == ("MNIST" if has_mnist else PLAYGROUND)
    else:
        assert tab == PLAYGROUND and window.plane_tabs.currentWidget() is window.boundary
    live = {"regression": lessons.readout, "truth-table": lessons.truth_table}.get(entry.kind)
    assert lessons.panel.live is live
    for widget in (lessons.readout, lessons.truth_table):     # only this lesson's widget is on show
        assert widget.isVisible() == (widget is live)


def test_a_lesson_is_refused_while_the_session_trains(window, lessons, qtbot):
    window.apply_experiment(load_preset("xor-mlp").with_overrides({"train.epochs": 100_000}))
    assert window.train()
    assert not lessons.actions["B"].isEnabled()
    assert not lessons.open("B")
    assert window.current_experiment().name == "xor-mlp"
    window.stop()
    qtbot.waitUntil(lambda: not window.session.is_running(), timeout=TIMEOUT)
    assert lessons.actions["B"].isEnabled()


# -- A1 ------------------------------------------------------------------------------------------
def test_autograd_regression_reports_w_b_and_the_gradients_autograd_computed():
    x, y = (a.astype(np.float64) for a in linear(42, 50, 0.5))
    w = b = 0.0
    steps = [e for e in autograd_regression(epochs=30) if isinstance(e, ParamStep)]
    assert [s.epoch for s in steps] == list(range(30))
    for step in steps:
        gw, gb, _ = line_gradients(w, b, x, y)          # the gradient at the weights before the step
        assert step.grads["w"] == pytest.approx(gw, rel=1e-4, abs=1e-5)
        assert step.grads["b"] == pytest.approx(gb, rel=1e-4, abs=1e-5)
        assert step.values["w"] == pytest.approx(w - 0.01 * step.grads["w"], abs=1e-6)
        w, b = step.values["w"], step.values["b"]


def test_a1_raw_autograd_moves_the_line_to_y_2x_plus_1(window, lessons, qtbot):
    assert lessons.open("A1")
    assert lessons.start_raw_autograd(slow=False)
    assert lessons.readout.run_button.text() == "Stop"
    qtbot.waitUntil(lambda: not lessons.runner.is_running(), timeout=TIMEOUT)
    v = lessons.readout.values
    assert v["epoch"] == 499
    assert abs(v["w"] - 2) <= 0.15 and abs(v["b"] - 1) <= 0.3          # the seed's stated result
    assert abs(v["grad_w"]) < 0.05 and abs(v["grad_b"]) < 0.05 and 0 < v["loss"] < 0.5
    assert "y = 2x + 1" in lessons.readout.result.text()
    xs, ys = window.boundary.fit_curve.getData()                         # the line drawn is w·x + b
    np.testing.assert_allclose(ys, v["w"] * xs + v["b"], rtol=1e-6)
    assert window.boundary.fit_curve.isVisible() and window.boundary.truth_line.isVisible()
    assert len(window.curves.data()["train_loss"]) == 500               # the loss curve, every epoch
    assert lessons.readout.run_button.text() == "Run with raw autograd"


def test_a1_stop_ends_the_raw_autograd_run(window, lessons, qtbot):
    assert lessons.open("A1")
    assert lessons.start_raw_autograd(slow=True)                         # ~5 s in slow motion
    qtbot.waitUntil(lambda: lessons.readout.values["epoch"] is not None, timeout=TIMEOUT)
    lessons.readout.run_button.click()                                   # the button reads Stop
    qtbot.waitUntil(lambda: not lessons.runner.is_running(), timeout=30_000)
    assert lessons.readout.values["epoch"] < 499


def test_a1_read_outs_follow_the_toolbar_train_too(train_window, window, lessons, qtbot):
    assert lessons.open("A1")
    fin = train_window(window)                                   # nn.Linear + optim.SGD, the same line
    v = lessons.readout.values
    assert (v["w"], v["b"]) == (fin.extra["w"], fin.extra["b"])
    x, y = (a.astype(np.float64) for a in linear(42, 50, 0.5))
    gw, gb, loss = line_gradients(v["w"], v["b"], x, y)
    assert (v["grad_w"], v["grad_b"], v["loss"]) == (gw, gb, loss)
    assert abs(v["w"] - 2) <= 0.15 and abs(v["b"] - 1) <= 0.3
    assert "nn.Linear" in lessons.readout.source.text()


# -- A2 / A3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("layers", [
    (),
    (LayerSpec("linear", units=4), LayerSpec("activation", fn="relu")),
    (LayerSpec("linear", units=5), LayerSpec("activation", fn="tanh"), LayerSpec("dropout", p=0.3),
     LayerSpec("linear", units=3), LayerSpec("activation", fn="gelu")),
    (LayerSpec("linear", units=3), LayerSpec("activation", fn="leaky_relu"), LayerSpec("linear", units=2),
     LayerSpec("activation", fn="sigmoid"), LayerSpec("activation", fn="identity")),
], ids=["perceptron", "relu", "tanh-dropout-gelu", "leaky-sigmoid-identity"])
@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
def test_the_truth_table_forward_pass_matches_the_torch_model(layers, loss):
    exp = load_preset("xor-mlp")
    exp = replace(exp, model=replace(exp.model, layers=layers, loss=loss))
    torch.manual_seed(3)
    model = build_model(exp).eval()
    for p in model.parameters():          # weights large enough that every activation bends
        torch.nn.init.normal_(p, std=1.5)
    weights = tuple((m.weight.detach().numpy(), m.bias.detach().numpy())
                    for m in model if isinstance(m, torch.nn.Linear))
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    expected = out[:, 0] if loss == "bce" else torch.softmax(out, dim=1)[:, 1]
    np.testing.assert_allclose(gate_outputs(exp, weights, x), expected.numpy(), rtol=1e-5, atol=1e-6)


def _record_table(lessons, monkeypatch) -> list[bool]:
    calls: list[bool] = []
    original = lessons.truth_table.show_outputs

    def spy(outputs, epoch=None, final=False):
        calls.append(final)
        original(outputs, epoch, final)
    monkeypatch.setattr(lessons.truth_table, "show_outputs", spy)
    return calls


def _table_matches_the_model(window, lessons) -> None:
    table = lessons.truth_table
    model = window.session.model()
    with torch.no_grad():
        expected = model(torch.from_numpy(table.x))[:, 0].numpy()
    np.testing.assert_allclose(table.outputs, expected, rtol=1e-6)
    for r in range(4):
        assert table.table.item(r, 4).text() == str(int(expected[r] > 0.5))
        assert table.table.item(r, 5).text() == "✓"


def test_a2_perceptron_learns_and_4_of_4_in_the_live_truth_table(train_window, window, lessons, qtbot, monkeypatch):
    assert lessons.open("A2")
    assert [lessons.truth_table.table.item(r, 2).text() for r in range(4)] == ["0", "0", "0", "1"]
    calls = _record_table(lessons, monkeypatch)
    fin = train_window(window)                                  # the preset as it is: 1,000 epochs
    assert fin.epochs_run == 1000
    assert False in calls and calls[-1] is True                  # updated while training, then final
    assert lessons.truth_table.correct() == 4
    assert "4/4 right" in lessons.truth_table.title.text()
    _table_matches_the_model(window, lessons)
    out = lessons.truth_table.outputs
    assert out[3] > 0.9 and out[:3].max() < 0.1                  # (1, 1) on, the others off


def test_a3_xor_mlp_gets_4_of_4_and_draws_its_hidden_neurons(train_window, window, lessons, qtbot):
    assert lessons.open("A3")
    assert lessons.truth_table.y.tolist() == [0, 1, 1, 0]
    assert window.architecture_dock.isVisible() and not window.architecture_dock.visibleRegion().isEmpty()
    # XOR is 4/4 from about epoch 100 on; 1,000 of the preset's 5,000 keep the test short.
    window.optimizer_panel.epochs.setValue(1000)
    fin = train_window(window)
    assert fin.epochs_run == 1000
    assert lessons.truth_table.correct() == 4
    _table_matches_the_model(window, lessons)
    hidden = [node for col in window.network.neuron_items() for node in col if node.kind == "hidden"]
    assert len(hidden) == 4 and all(node.image is not None for node in hidden)


# -- A4 ----------------------------------------------------------------------------------------------
def test_a4_trains_manual_and_pytorch_side_by_side_5000_points_each(window, lessons, qtbot):
    assert lessons.open("A4")
    view = lessons.comparison
    assert view.plot.getAxis("left").logMode                       # log-scale loss, as the seed plots it
    assert [item.text for _sample, item in view.legend.items] == ["Manual (NumPy, MSE, lr 2.0)",
                                                                   "PyTorch (BCE, Adam lr 0.01)"]
    view.run_button.click()
    assert view.run_button.text() == "Stop"
    qtbot.waitUntil(lambda: not lessons.runner.is_running(), timeout=TIMEOUT)
    for which in ("manual", "pytorch"):
        x, y = view.curve_data(which)
        assert len(x) == len(y) == 5000
        assert np.array_equal(x, np.arange(5000))
        assert y[-1] < y[0] / 100                                   # both fall by orders of magnitude
    seed_manual = [e.train_loss for e in manual_xor() if isinstance(e, EpochEnd)]
    np.testing.assert_array_equal(view.curve_data("manual")[1], seed_manual)
    assert view.results["manual"].metrics["test_accuracy"] == 100.0
    assert view.results["pytorch"].metrics["test_accuracy"] == 100.0
    assert "4/4 right" in view.status.text()
    pens = {w: view.curves[w].opts["pen"].color().getRgb()[:3] for w in ("manual", "pytorch")}
    assert pens == {"manual": (31, 119, 180), "pytorch": (255, 127, 14)}   # blue manual, orange PyTorch


def test_closing_the_window_stops_a_lesson_run(window, lessons, qtbot):
    assert lessons.open("A4")
    assert lessons.start_comparison()
    qtbot.waitUntil(lambda: len(lessons.comparison.curve_data("manual")[0]) > 0, timeout=TIMEOUT)
    window.close()
    assert not lessons.runner.is_running()
    assert running_threads() == 0


def test_train_stops_a_lesson_run_first(train_window, window, lessons, qtbot):
    assert lessons.open("A4")
    assert lessons.start_comparison()
    window.apply_experiment(load_preset("xor-mlp").with_overrides({"train.epochs": 20}))
    train_window(window)
    assert not lessons.runner.is_running()
    assert len(window.curves.data()["train_loss"]) == 20           # the views show the session's run only


def test_every_lesson_names_a_preset_that_loads():
    for entry in LESSONS:
        assert isinstance(load_preset(entry.preset), Experiment)
