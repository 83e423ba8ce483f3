"""Lessons > Part I: autograd. An Autograd tab: type an expression, press Forward / Backward / Zero grad.

The expression is read by trainer.autograd.expression's parser (never eval); trainer.autograd.graph
computes it with torch and reads back the graph torch recorded. The second page, "Your network",
shows the same for the window's model (desktop/lessons/autograd_network.py).
"""
from __future__ import annotations

import html
import math
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QSizePolicy, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from trainer.autograd.expression import ParseError, format_number, names, parse, parse_value

from ..views.autograd_graph import BAD, GOOD, GRAD_COLOR, MUTED, Card, GraphView
from ..window_api import AutogradHost
from .autograd_network import NetworkPage

TAB_TITLE = "Autograd"
MENU_LABEL = "Part I: autograd"

# (expression, values, the names that require grad): the first is the default; the second is the
# seed's "Second backward WITHOUT zeroing — WRONG!" example (18, then 36).
EXAMPLES: tuple[tuple[str, dict[str, str], tuple[str, ...]], ...] = (
    ("(w * x + b - y) ** 2", {"w": "2", "x": "3", "b": "1", "y": "5"}, ("w", "b")),
    ("(w * 3) ** 2", {"w": "1"}, ("w",)),
    ("w * x + 1", {"w": "2", "x": "3"}, ("w",)),
    ("tanh(a * b) + exp(a)", {"a": "0.5", "b": "-1"}, ("a", "b")),
    ("mean((w * x + b - y) ** 2)", {"w": "0", "b": "0", "x": "[1, 2, 3, 4, 5]", "y": "[2.2, 3.8, 6.1, 7.9, 10.1]"},
     ("w", "b")),
    ("sigmoid(w * x + b)", {"w": "1.5", "x": "2", "b": "-1"}, ("w", "b")),
    ("relu(w) + abs(w) + sqrt(w * w)", {"w": "-2"}, ("w",)),
)
DEFAULT_VALUE = "1"
LEGEND = (f"<span style='color:{MUTED}'>The graph torch records, left to right. "
          "<span style='color:#0877bd'><b>Blue</b></span>: leaves (tensors with requires_grad, torch's "
          "AccumulateGrad) · <b>white</b>: operations (each result's grad_fn) · <b>dashed</b>: not recorded · "
          f"<span style='color:{GRAD_COLOR}'><b>orange</b></span>: gradients, after Backward.</span>")
COLUMNS = ("leaf", "value", "requires_grad", ".grad", "finite difference")
TABLE_ROWS = 4          # the table's height in rows, whatever the expression: the buttons never move (more scroll)
ROW_H = 26


def fmt(value: Any, digits: int = 4) -> str:
    """A number or nested list, short: 12, 0.4199, [1, 2.5]."""
    if value is None:
        return "None"
    if isinstance(value, list):
        text = "[" + ", ".join(fmt(v, digits) for v in value) + "]"
        return text if len(text) <= 40 else text[:39] + "…"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e9:
        return format_number(value)
    return f"{value:.{digits}g}"


def _flat(value: Any) -> list[float]:
    return [x for v in value for x in _flat(v)] if isinstance(value, list) else [float(value)]


def _close(a: Any, b: Any) -> bool:
    xs, ys = _flat(a), _flat(b)
    return len(xs) == len(ys) and all(math.isclose(x, y, rel_tol=1e-4, abs_tol=1e-6) for x, y in zip(xs, ys))


def _times(k: int, value: Any) -> Any:
    return [_times(k, v) for v in value] if isinstance(value, list) else k * value


class ExpressionExplorer(QWidget):
    """The expression page: the expression, its leaves, the three buttons, a line saying what happened, the graph."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.explorer = None            # trainer.autograd.graph.Explorer for the current text and leaves
        self._fd: dict[str, Any] | None = None
        self._values: dict[str, str] = {}
        self._grad: dict[str, bool] = {}
        self._names: list[str] = []

        self.expression = QLineEdit()
        self.expression.setObjectName("autogradExpression")
        self.expression.setPlaceholderText("an expression, e.g. (w * x + b - y) ** 2")
        mono = self.expression.font()
        mono.setFamily("monospace")
        mono.setPointSizeF(mono.pointSizeF() * 1.15)
        self.expression.setFont(mono)
        self.examples = QComboBox()
        self.examples.addItem("Examples…")
        for text, _, _ in EXAMPLES:
            self.examples.addItem(text)
        self.examples.activated.connect(self._example_chosen)

        self.forward_button = QPushButton("Forward")
        self.forward_button.setToolTip("Compute the value; torch records the graph (unless no_grad)")
        self.backward_button = QPushButton("Backward")
        self.backward_button.setToolTip("out.backward(): each leaf's .grad gets d(out)/d(leaf) ADDED to it")
        self.zero_button = QPushButton("Zero grad")
        self.zero_button.setToolTip("leaf.grad.zero_() for every leaf: what optimizer.zero_grad() does")
        self.no_grad_box = QCheckBox("with torch.no_grad()")
        self.no_grad_box.setToolTip("Compute the value without recording a graph (validation, inference)")
        self.forward_button.clicked.connect(self.forward)
        self.backward_button.clicked.connect(self.backward)
        self.zero_button.clicked.connect(self.zero_grad)
        self.no_grad_box.toggled.connect(lambda _: self.forward())

        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setTextFormat(Qt.TextFormat.RichText)
        self.error.setWordWrap(True)
        # A long bad expression must wrap or clip here, never widen the main window (its width is saved).
        self.error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error.hide()

        self.leaves = QTableWidget(0, len(COLUMNS))
        self.leaves.setHorizontalHeaderLabels(COLUMNS)
        self.leaves.verticalHeader().hide()
        self.leaves.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.leaves.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        head = self.leaves.horizontalHeader()
        for i, mode in enumerate((QHeaderView.ResizeMode.Fixed, QHeaderView.ResizeMode.Fixed,
                                  QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
                                  QHeaderView.ResizeMode.ResizeToContents)):   # the check is never cut
            head.setSectionResizeMode(i, mode)
        self.leaves.setColumnWidth(0, 60)
        self.leaves.setColumnWidth(1, 180)

        self.explanation = QLabel()
        self.explanation.setObjectName("autogradExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.explanation.setMinimumHeight(46)     # two lines: the page does not jump as the text changes
        self.explanation.setStyleSheet("QLabel { background: #f4f6f8; border: 1px solid #dcdfe3; "
                                       "border-radius: 4px; padding: 6px 9px; }")
        self._explain("", "")
        self.view = GraphView()

        top = QHBoxLayout()
        top.addWidget(QLabel("out ="))
        top.addWidget(self.expression, 1)
        top.addWidget(self.examples)
        buttons = QHBoxLayout()
        for w in (self.forward_button, self.backward_button, self.zero_button):
            buttons.addWidget(w)
        buttons.addSpacing(12)
        buttons.addWidget(self.no_grad_box)
        buttons.addStretch(1)
        legend = QLabel(LEGEND)
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(top)
        layout.addLayout(buttons)        # right under the expression: nothing above them changes height
        layout.addWidget(self.error)
        layout.addWidget(self.leaves)
        layout.addWidget(self.explanation)
        layout.addWidget(legend)
        layout.addWidget(self.view, 1)

        self.expression.textChanged.connect(lambda _: self._rebuild())
        self.load_example(0)

    # -- what the learner does ----------------------------------------------------------------------
    def load_example(self, i: int) -> None:
        text, values, grads = EXAMPLES[i]
        self._values.update(values)
        for name in values:
            self._grad[name] = name in grads
        self.expression.setText(text)
        self._rebuild()

    def set_value(self, name: str, text: str) -> None:
        """As typing in the leaf's value field: new leaves (their .grad starts empty), a fresh forward."""
        self._values[name] = text
        field = self._value_field(name)
        if field is not None and field.text() != text:
            field.setText(text)
        self._rebuild()

    def set_requires_grad(self, name: str, on: bool) -> None:
        box = self._grad_box(name)
        if box is not None and box.isChecked() != on:
            box.setChecked(on)      # its toggled signal rebuilds
        else:
            self._grad[name] = on
            self._rebuild()

    def forward(self) -> None:
        if self.explorer is None:
            return
        no_grad = self.no_grad_box.isChecked()
        try:
            graph = self.explorer.forward(no_grad=no_grad)
        except ParseError as exc:     # shapes that do not combine: the operator's position
            self.explorer = None
            self._refuse(self.expression.text(), exc, "")
            return
        value = fmt(graph.value)
        if not graph.recorded:
            why = ("Inside <code>torch.no_grad()</code>" if no_grad else "No leaf requires grad")
            self._explain(f"{why}: the value <b>{value}</b> is computed, but <b>nothing is recorded</b>: the result has "
                          "no <code>grad_fn</code>, so Backward has nothing to follow"
                          + (". That is what validation and inference want: no graph, less memory." if no_grad
                             else ": tick requires_grad on a leaf."), MUTED)
        else:
            ops = [n.name for n in graph.nodes if n.kind == "op"]
            kept = any(g is not None for g in self.explorer.grads().values())
            self._explain(f"Forward: torch recorded {len(ops)} operation{'s' * (len(ops) != 1)} on the way to "
                          f"<b>{value}</b>. Press <b>Backward</b> to fill in the gradients"
                          + (" (the leaves keep their <code>.grad</code> from before)." if kept else "."), MUTED)
        self._show()

    def backward(self) -> None:
        if self.explorer is None:
            return
        from trainer.autograd.graph import BackwardError
        before = self.explorer.grads()
        try:
            self.explorer.backward()
        except BackwardError as exc:
            self._explain(html.escape(str(exc)), BAD)
            self._show()
            return
        except ParseError as exc:     # Backward before Forward runs the forward: shapes that do not combine
            self.explorer = None
            self._refuse(self.expression.text(), exc, "")
            return
        if self._fd is None:
            self._fd = self.explorer.finite_differences()
        k = self.explorer.backwards
        after = self.explorer.grads()
        tracked = [n for n in self._names if self.explorer.requires_grad(n)]
        if k == 1:
            first = tracked[0]
            self._explain(f"Backward: torch walked the graph from the output back to the leaves. "
                          f"<code>{first}.grad</code> = ∂out/∂{first} = <b>{fmt(after[first])}</b>; every leaf's "
                          "gradient agrees with its finite difference.", GOOD)
        else:
            changes = ", ".join(f"<code>{n}.grad</code> {fmt(before[n])} → <b>{fmt(after[n])}</b>" for n in tracked[:3])
            self._explain(f"<b>WRONG!</b> Backward #{k} without Zero grad: a fresh forward, and the new gradients were "
                          f"<b>added</b> to the old: {changes} ({k} × the true gradient). In a training loop, call "
                          "<code>optimizer.zero_grad()</code> before each <code>backward()</code>.", BAD)
        self._show()

    def zero_grad(self) -> None:
        if self.explorer is None:
            return
        self.explorer.zero_grad()
        self._explain("Zero grad: every leaf's <code>.grad</code> is 0 again, as <code>optimizer.zero_grad()</code> "
                      "does before each step; the next Backward gives the true gradient.", MUTED)
        self._show()

    # -- keeping the page in step ----------------------------------------------------------------------
    def _example_chosen(self, index: int) -> None:
        if index > 0:
            self.load_example(index - 1)
        self.examples.setCurrentIndex(0)

    def _rebuild(self) -> None:
        """Parse the text and the values: new leaves (their .grad empty), ready for Forward, or say what is wrong.

        Typing never computes: Forward does, so the button the lesson talks about is the one that acts."""
        self.explorer, self._fd = None, None
        text = self.expression.text()
        try:
            found = names(parse(text))
        except ParseError as exc:
            if self._names:           # a refused text has no leaves (and a function's name is never one)
                self._names = []
                self._fill_table()
            self._refuse(text, exc, "")
            return
        if found != self._names:
            self._names = found
            self._fill_table()
        values: dict[str, Any] = {}
        for name in self._names:
            try:
                values[name] = parse_value(self._values.get(name, DEFAULT_VALUE))
                self._mark(name, False)
            except ParseError as exc:
                self._mark(name, True)
                self._refuse(self._values.get(name, ""), exc, f"the value of {name}")
                return
        from trainer.autograd.graph import Explorer
        self.explorer = Explorer(text, values, [n for n in self._names if self._grad.get(n, True)])
        self.error.hide()
        self._set_buttons(True)
        for row in range(self.leaves.rowCount()):
            for col in (3, 4):
                item = self.leaves.item(row, col)
                if item is not None:
                    item.setText("")
                    item.setToolTip("")
        leaves = ", ".join(f"<code>{html.escape(n)}</code>" for n in self._names) or "none (only numbers)"
        self._explain(f"Parsed; the leaves are {leaves}. Press <b>Forward</b>: torch computes the value and records "
                      "the graph (typing only reads the expression).", MUTED)
        self.view.set_cards([], placeholder="Press Forward to compute the value and see the graph torch records.")

    def _refuse(self, text: str, exc: ParseError, what: str) -> None:
        pos = min(exc.position, len(text))
        shown = html.escape(text[:80])
        caret = "&nbsp;" * min(pos, 80) + "^"
        where = f"{what}, " if what else ""
        self.error.setText(f"<b>{html.escape(where)}position {exc.position}</b>: {html.escape(exc.message)}"
                           f"<pre style='margin:2px 0 0 0'>{shown}<br>{caret}</pre>")
        self.error.show()
        self._set_buttons(False)
        for row in range(self.leaves.rowCount()):
            for col in (3, 4):
                item = self.leaves.item(row, col)
                if item is not None:
                    item.setText("")
        self.view.set_cards([], placeholder="Fix the expression to see its graph.")
        self._explain("", "")

    def _set_buttons(self, on: bool) -> None:
        for w in (self.forward_button, self.backward_button, self.zero_button, self.no_grad_box):
            w.setEnabled(on)

    def _fill_table(self) -> None:
        for old in self.leaves.findChildren(QWidget):   # deleted later: findChild must not return them meanwhile
            if old.objectName().startswith(("value_", "grad_")):
                old.setObjectName("")
        self.leaves.setRowCount(0)      # fresh rows: a cell widget put over an old one outlived its row's removal
        self.leaves.setRowCount(len(self._names))
        for row, name in enumerate(self._names):
            item = QTableWidgetItem(name)
            f = item.font()
            f.setBold(True)
            item.setFont(f)
            self.leaves.setItem(row, 0, item)
            field = QLineEdit(self._values.setdefault(name, DEFAULT_VALUE))
            field.setObjectName(f"value_{name}")
            field.setFrame(False)
            field.textEdited.connect(lambda t, n=name: self.set_value(n, t))
            self.leaves.setCellWidget(row, 1, field)
            box = QCheckBox()
            box.setObjectName(f"grad_{name}")
            box.setChecked(self._grad.setdefault(name, True))
            box.toggled.connect(lambda on, n=name: self._grad_toggled(n, on))
            holder = QWidget()
            hl = QHBoxLayout(holder)
            hl.setContentsMargins(8, 0, 0, 0)
            hl.addWidget(box)
            self.leaves.setCellWidget(row, 2, holder)
            for col in (3, 4):
                self.leaves.setItem(row, col, QTableWidgetItem(""))
        self.leaves.setFixedHeight(self.leaves.horizontalHeader().height() + TABLE_ROWS * ROW_H + 4)
        for row in range(len(self._names)):
            self.leaves.setRowHeight(row, ROW_H)

    def _grad_toggled(self, name: str, on: bool) -> None:
        self._grad[name] = on
        self._rebuild()

    def _value_field(self, name: str) -> QLineEdit | None:
        return self.leaves.findChild(QLineEdit, f"value_{name}")

    def _grad_box(self, name: str) -> QCheckBox | None:
        return self.leaves.findChild(QCheckBox, f"grad_{name}")

    def _mark(self, name: str, bad: bool) -> None:
        field = self._value_field(name)
        if field is not None and field.property("invalid") != bad:
            field.setProperty("invalid", bad)
            field.style().unpolish(field)
            field.style().polish(field)

    def _explain(self, text: str, color: str) -> None:
        self.explanation.setText(f"<span style='color:{color}'>{text}</span>" if text else "&nbsp;")

    def _check(self, name: str, grad: Any) -> tuple[str, str, str] | None:
        """A leaf's finite-difference line, its colour and the long form (None before the first backward).

        After Zero grad (no backward since) there is no gradient to check: the finite difference alone, neutral."""
        if self._fd is None or name not in self._fd or grad is None or self.explorer is None:
            return None
        fd, k = self._fd[name], self.explorer.backwards
        long = f"finite difference (f(x + h) - f(x - h)) / 2h = {fmt(fd, 7)}; {name}.grad = {fmt(grad, 7)}"
        if k == 0:
            return f"finite diff {fmt(fd)}", MUTED, long + ": zeroed, press Backward to compare"
        if _close(grad, fd):
            return f"finite diff {fmt(fd)} ✓", GOOD, long + ": they agree"
        if k > 1 and _close(grad, _times(k, fd)):
            return (f"finite diff {fmt(fd)} ✗ {k}×", BAD,
                    long + f" = {k} × it: {k} backward passes added up (no Zero grad between them)")
        return f"finite diff {fmt(fd)} ✗", BAD, long + ": they disagree"

    def _show(self) -> None:
        """The table's gradient columns and the graph, from the explorer's current state."""
        ex = self.explorer
        if ex is None or ex.graph is None:
            return
        grads = ex.grads()
        for row, name in enumerate(self._names):
            grad_item, fd_item = self.leaves.item(row, 3), self.leaves.item(row, 4)
            if grad_item is None or fd_item is None:
                continue
            tracked = ex.requires_grad(name)
            grad_item.setText(fmt(grads[name]) if tracked else "— (no grad)")
            grad_item.setForeground(Qt.GlobalColor.black if tracked else Qt.GlobalColor.gray)
            check = self._check(name, grads[name]) if tracked else None
            fd_item.setText(check[0].removeprefix("finite diff ") if check else "")
            fd_item.setToolTip(check[2] if check else "")
            if check:
                fd_item.setForeground(QColor(check[1]))
        graph = ex.graph
        cards = [self._card(n, grads, n.index == graph.output) for n in graph.nodes]
        flow = graph.recorded and any(n.grad is not None for n in graph.nodes if n.kind == "op")
        self.view.set_cards(cards, flow=flow)

    def _card(self, node, grads: dict[str, Any], is_output: bool) -> Card:
        lines: list[tuple[str, str]] = []
        shape = "×".join(map(str, node.shape))
        if node.kind == "leaf":
            lines.append((f"value  {fmt(node.value)}", "#1f2328"))
            lines.append((f".grad  {fmt(node.grad)}", GRAD_COLOR if node.grad is not None else MUTED))
            check = self._check(node.label, node.grad)
            if check:
                lines.append(check[:2])
            sub = "AccumulateGrad" + (f" · {shape}" if shape else "")
            return Card(node.index, "leaf", node.label, sub, tuple(lines), node.inputs, is_output)
        if node.kind == "constant":
            lines.append((f"value  {fmt(node.value)}", "#1f2328"))
            lines.append(("no grad · not recorded", MUTED))
            return Card(node.index, "constant", node.label, "tensor" if node.name == "tensor" else "number",
                        tuple(lines), node.inputs)
        if node.kind == "result":
            lines.append((f"value  {fmt(node.value)}", "#1f2328"))
            lines.append(("grad_fn None: not recorded", BAD))
            return Card(node.index, "result", "no grad_fn", node.label, tuple(lines), node.inputs, True)
        lines.append((f"value  {fmt(node.value)}" + (f"   ({shape})" if shape else ""), "#1f2328"))
        if node.grad is not None:
            lines.append((f"grad   {fmt(node.grad)}", GRAD_COLOR))
        sub = ("out = " if is_output else "") + node.label
        return Card(node.index, "op", node.name, sub, tuple(lines), node.inputs, is_output)


class AutogradPage(QTabWidget):
    """The Autograd tab: "Expression" (the explorer) and "Your network" (the window's model)."""

    def __init__(self, host: AutogradHost, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("autogradPage")
        self.setDocumentMode(True)
        self.explorer = ExpressionExplorer()
        self.network = NetworkPage(host)
        self.addTab(self.explorer, "Expression")
        self.addTab(self.network, "Your network")
        self.currentChanged.connect(lambda i: i == 1 and self.network.show_if_empty())
        # another experiment or a newly trained model: the graph shown is of a model that is gone
        host.experimentApplied.connect(lambda _exp: self.network.model_changed())
        host.trainedModelChanged.connect(self.network.model_changed)


class AutogradLesson(QObject):
    """The Lessons menu entry and the Autograd tab it opens (made on first use)."""

    def __init__(self, window: AutogradHost):
        super().__init__(window.window())
        self.window = window
        self.page: AutogradPage | None = None
        menu = window.lessons_menu
        first = menu.actions()[0] if menu.actions() else None
        self.action = QAction(MENU_LABEL, window.window())
        self.action.setStatusTip("Part I of the lesson: the graph autograd records, backward, zero_grad, no_grad")
        self.action.setToolTip("Type an expression and watch the graph torch records, then backpropagate")
        self.action.triggered.connect(self.open)
        menu.insertAction(first, self.action)
        if first is not None:
            menu.insertSeparator(first)

    def open(self) -> AutogradPage:
        w = self.window
        if self.page is None or w.tabs.indexOf(self.page) < 0:
            self.page = AutogradPage(w, w.tabs)
            w.add_tab(TAB_TITLE, self.page)
        w.tabs.setCurrentWidget(self.page)
        w.statusBar().showMessage("Part I: autograd. Type an expression, press Forward, Backward and Zero grad.", 8000)
        return self.page


def install(window: AutogradHost) -> AutogradLesson:
    """Add Lessons > Part I: autograd to the window."""
    return AutogradLesson(window)


__all__ = ["AutogradLesson", "AutogradPage", "EXAMPLES", "ExpressionExplorer", "MENU_LABEL", "TAB_TITLE", "install"]
