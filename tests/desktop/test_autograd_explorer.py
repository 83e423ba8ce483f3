"""Lessons > Part I: autograd, driven through its widgets: type, Backward, Backward again, Zero grad, no_grad,
refusals, and the graph of the window's own network."""
from __future__ import annotations

import math

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLineEdit

from desktop.lessons.autograd import MENU_LABEL, TAB_TITLE
from desktop.views.autograd_graph import MIN_TEXT_PX


def open_explorer(window, qtbot):
    action = next(a for a in window.lessons_menu.actions() if a.text() == MENU_LABEL)
    action.trigger()
    page = window.tabs.currentWidget()
    assert window.tabs.tabText(window.tabs.currentIndex()) == TAB_TITLE
    return page


def type_expression(qtbot, explorer, text: str) -> None:
    explorer.expression.selectAll()
    qtbot.keyClick(explorer.expression, Qt.Key.Key_Delete)
    qtbot.keyClicks(explorer.expression, text)


def type_value(qtbot, explorer, name: str, text: str) -> None:
    field = explorer.leaves.findChild(QLineEdit, f"value_{name}")
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def table(explorer) -> dict[str, tuple[str, str]]:
    """leaf -> (.grad text, finite difference text) as the table shows them."""
    return {explorer.leaves.item(r, 0).text(): (explorer.leaves.item(r, 3).text(), explorer.leaves.item(r, 4).text())
            for r in range(explorer.leaves.rowCount())}


def card_lines(explorer) -> dict[str, list[str]]:
    return {c.title: [t for t, _ in c.lines] for c in explorer.view.cards}


def torch_grads(a: float, b: float) -> tuple[float, float]:
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    (torch.tanh(ta * tb) + torch.exp(ta)).backward()
    return float(ta.grad), float(tb.grad)


def test_backward_shows_torchs_grads_a_second_backward_doubles_them_zero_grad_clears(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    type_expression(qtbot, explorer, "tanh(a * b) + exp(a)")
    type_value(qtbot, explorer, "a", "0.5")
    type_value(qtbot, explorer, "b", "-1")
    assert explorer.error.isHidden()
    qtbot.mouseClick(explorer.forward_button, Qt.MouseButton.LeftButton)
    ops = [c.title for c in explorer.view.cards if c.kind == "op"]
    assert sorted(ops) == ["AddBackward0", "ExpBackward0", "MulBackward0", "TanhBackward0"]

    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    ga, gb = torch_grads(0.5, -1.0)
    shown = table(explorer)
    assert math.isclose(float(shown["a"][0]), ga, rel_tol=1e-3)
    assert math.isclose(float(shown["b"][0]), gb, rel_tol=1e-3)
    assert shown["a"][1].endswith("✓") and shown["b"][1].endswith("✓")     # the finite differences agree
    assert any(line.startswith(".grad") and math.isclose(float(line.split()[-1]), ga, rel_tol=1e-3)
               for line in card_lines(explorer)["a"])

    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    shown = table(explorer)
    assert math.isclose(float(shown["a"][0]), 2 * ga, rel_tol=1e-3)
    assert math.isclose(float(shown["b"][0]), 2 * gb, rel_tol=1e-3)
    assert "2×" in shown["a"][1] and "WRONG!" in explorer.explanation.text()

    qtbot.mouseClick(explorer.zero_button, Qt.MouseButton.LeftButton)
    assert table(explorer)["a"][0] == "0" and table(explorer)["b"][0] == "0"
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert math.isclose(float(table(explorer)["a"][0]), ga, rel_tol=1e-3)


def test_the_seeds_example_18_then_36(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    type_expression(qtbot, explorer, "(w * 3) ** 2")
    type_value(qtbot, explorer, "w", "1")
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert table(explorer)["w"][0] == "18"
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert table(explorer)["w"][0] == "36"


def test_no_grad_draws_no_graph_and_backward_explains(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    qtbot.mouseClick(explorer.no_grad_box, Qt.MouseButton.LeftButton)
    assert explorer.no_grad_box.isChecked()
    assert not any(c.kind == "op" for c in explorer.view.cards)
    assert any(c.title == "no grad_fn" for c in explorer.view.cards)
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert "nothing was recorded" in explorer.explanation.text()
    assert all(grad in ("None", "— (no grad)") for grad, _ in table(explorer).values())


def test_refused_text_shows_the_position_and_disables_the_buttons(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    type_expression(qtbot, explorer, 'w * __import__("os")')
    assert explorer.error.isVisible() and "position 4" in explorer.error.text()
    assert not explorer.backward_button.isEnabled() and explorer.view.cards == []
    type_expression(qtbot, explorer, "w * 2")
    type_value(qtbot, explorer, "w", "[1, ")
    assert explorer.error.isVisible() and "the value of w" in explorer.error.text()
    type_value(qtbot, explorer, "w", "[1, 2]")
    assert explorer.error.isHidden() and explorer.backward_button.isEnabled()
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert "sum(...)" in explorer.explanation.text()       # two numbers: backward needs one


def test_the_network_page_shows_addmm_for_the_windows_mlp(window, qtbot):
    from trainer.presets import load_preset
    window.apply_experiment(load_preset("xor-mlp"))
    page = open_explorer(window, qtbot)
    page.setCurrentWidget(page.network)            # the page draws on first view
    qtbot.waitUntil(lambda: page.network.result is not None, timeout=60_000)
    titles = [c.title for c in page.network.view.cards]
    assert titles.count("AddmmBackward0") == 2 and "SigmoidBackward0" in titles
    assert titles[-1] == "BinaryCrossEntropyBackward0"
    params = {page.network.params.item(r, 0).text(): float(page.network.params.item(r, 3).text())
              for r in range(page.network.params.rowCount())}
    assert set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    page.network.example.setValue(3)                 # (1, 1): every input is non-zero, so is every gradient
    assert page.network.result.example == 3
    assert all(float(page.network.params.item(r, 3).text()) > 0 for r in range(page.network.params.rowCount()))


def test_the_window_satisfies_what_the_lesson_uses(window):
    from desktop.window_api import AutogradHost
    assert isinstance(window, AutogradHost)


def test_after_zero_grad_the_finite_difference_is_shown_alone_without_a_cross(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    type_expression(qtbot, explorer, "tanh(w * x) + b ** 2")
    for _ in range(2):
        qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert "✗" in table(explorer)["w"][1]                     # two passes added up: 2× the finite difference
    qtbot.mouseClick(explorer.zero_button, Qt.MouseButton.LeftButton)
    for name in ("w", "b"):
        grad, fd = table(explorer)[name]
        assert grad == "0" and fd and "✗" not in fd and "✓" not in fd   # nothing to check: the number alone
        assert not any("✗" in line for line in card_lines(explorer)[name])
    qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    assert table(explorer)["w"][1].endswith("✓")


def test_a_refused_expression_leaves_no_leaves_and_a_function_is_never_one(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    type_expression(qtbot, explorer, "foo(w)")                # typed key by key: "foo" parses on the way
    assert explorer.error.isVisible() and "unknown function &#x27;foo&#x27;" in explorer.error.text()
    assert table(explorer) == {}
    type_expression(qtbot, explorer, "w * 2")
    assert list(table(explorer)) == ["w"]
    type_expression(qtbot, explorer, "__import__(1)")
    assert explorer.error.isVisible() and table(explorer) == {}
    assert all(f.isHidden() for f in explorer.leaves.findChildren(QLineEdit))    # no value field left behind
    type_expression(qtbot, explorer, "exp(w) + sigmoid(x)")
    assert list(table(explorer)) == ["w", "x"]


def test_typing_only_parses_forward_computes_and_the_buttons_stay_put(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    qtbot.waitExposed(window)
    y = explorer.forward_button.mapTo(explorer, explorer.forward_button.rect().topLeft()).y()
    places = set()
    for text in ("w", "w * x + b - y", "tanh(w * x) + b ** 2", "w * (x + ", "exp(w)"):
        type_expression(qtbot, explorer, text)
        places.add(explorer.forward_button.mapTo(explorer, explorer.forward_button.rect().topLeft()).y())
        assert not any(c.kind == "op" for c in explorer.view.cards)      # nothing computed while typing
    assert places == {y}
    assert "Press <b>Forward</b>" in explorer.explanation.text()
    qtbot.mouseClick(explorer.forward_button, Qt.MouseButton.LeftButton)
    assert [c.title for c in explorer.view.cards if c.kind == "op"] == ["ExpBackward0"]
    assert "Forward: torch recorded 1 operation" in explorer.explanation.text()


def test_the_finite_difference_cell_fits_its_column_and_its_tooltip_says_the_rest(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    qtbot.waitExposed(window)
    type_expression(qtbot, explorer, "tanh(w * x) + b ** 2")
    type_value(qtbot, explorer, "x", "3")
    for _ in range(2):
        qtbot.mouseClick(explorer.backward_button, Qt.MouseButton.LeftButton)
    width = explorer.leaves.columnWidth(4)
    for row in range(explorer.leaves.rowCount()):
        item = explorer.leaves.item(row, 4)
        if not item.text():
            continue
        assert QFontMetrics(explorer.leaves.font()).horizontalAdvance(item.text()) + 12 <= width, item.text()
        assert "2 backward passes added up" in item.toolTip()


def test_the_graph_text_is_never_drawn_smaller_than_the_readable_minimum(window, qtbot):
    explorer = open_explorer(window, qtbot).explorer
    qtbot.waitExposed(window)
    type_expression(qtbot, explorer, "mean((w * x + b - y) ** 2) + tanh(exp(w) * sigmoid(b)) + relu(abs(w - b))")
    qtbot.mouseClick(explorer.forward_button, Qt.MouseButton.LeftButton)
    view = explorer.view
    assert view.smallest_text_px() * view.transform().m11() >= MIN_TEXT_PX - 1e-9
    assert view.sceneRect().width() * view.transform().m11() > view.viewport().width()   # it scrolls instead
