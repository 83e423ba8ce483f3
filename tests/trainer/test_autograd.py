"""trainer.autograd: gradients equal torch's own and the finite differences; accumulation; no_grad; the graph."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.autograd.expression import MAX_DEPTH, names, parse, to_text
from trainer.autograd.graph import LEAF, OP, BackwardError, Explorer, gradients

# (expression, values): each value either a number or a small list; every name requires grad.
CASES = [
    ("w * x + 1", {"w": 2.0, "x": 3.0}),
    ("(w * x + b - y) ** 2", {"w": 2.0, "x": 3.0, "b": 1.0, "y": 5.0}),
    ("tanh(a * b) + exp(a)", {"a": 0.5, "b": -1.0}),
    ("(w * 3) ** 2", {"w": 1.0}),
    ("mean((w * x + b - y) ** 2)", {"w": 0.3, "b": 0.1, "x": [1.0, 2.0, 3.0, 4.0, 5.0],
                                    "y": [2.2, 3.8, 6.1, 7.9, 10.1]}),
    ("sigmoid(w * x + b)", {"w": 1.5, "x": 2.0, "b": -1.0}),
    ("relu(w) + abs(v)", {"w": 0.7, "v": -1.3}),
    ("sqrt(w * w + 1)", {"w": -2.0}),
    ("log(w) / w", {"w": 2.5}),
    ("sin(a) * cos(b)", {"a": 0.3, "b": 1.1}),
    ("-a ** 2 + a", {"a": 1.7}),
    ("2 / a - 1 / (a + b)", {"a": 1.5, "b": 0.25}),
    ("a ** b", {"a": 1.3, "b": 2.2}),
    ("2 ** a", {"a": 0.8}),
    ("sum(v * w)", {"v": [1.0, -2.0, 3.0], "w": [0.5, 0.25, -1.0]}),
    ("sum(m * m) / 4", {"m": [[1.0, 2.0], [3.0, -4.0]]}),
    ("mean(exp(v)) - w", {"v": [0.1, 0.2], "w": 3.0}),
    ("w * w * w", {"w": -1.2}),
    ("tanh(tanh(tanh(x)))", {"x": 0.9}),
    ("(a - b) / (a + b)", {"a": 3.0, "b": 1.0}),
    ("sum(sigmoid(v) * relu(v + 1))", {"v": [-0.5, 0.5, 2.0]}),
    ("1 - a * (2 - b)", {"a": 0.4, "b": 5.0}),
    ("abs(a - 2) * 3 + -b", {"a": 0.5, "b": 1.0}),
]


def torch_reference(text: str, values: dict) -> dict:
    """The same expression written as PyTorch code by hand, through Python's operators: torch's own gradients."""
    import operator
    from trainer.autograd.expression import Binary, Call, Name, Num, Unary
    leaves = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in values.items()}
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}

    def ev(node):
        if isinstance(node, Num):
            return torch.tensor(node.value, dtype=torch.float64)
        if isinstance(node, Name):
            return leaves[node.id]
        if isinstance(node, Unary):
            return -ev(node.operand)
        if isinstance(node, Call):
            return getattr(torch, node.func)(ev(node.arg))
        return ops[node.op](ev(node.left), ev(node.right))

    out = ev(parse(text))
    out.backward()
    return {n: t.grad.tolist() for n, t in leaves.items()}


def flat(v):
    return [x for item in v for x in flat(item)] if isinstance(v, list) else [v]


def assert_close(a, b, rel=1e-6, abs_=1e-7):
    fa, fb = flat(a), flat(b)
    assert len(fa) == len(fb)
    for x, y in zip(fa, fb):
        assert math.isclose(x, y, rel_tol=rel, abs_tol=abs_), (a, b)


@pytest.mark.parametrize("text,values", CASES, ids=[c[0] for c in CASES])
def test_gradients_equal_torch_and_the_finite_differences(text, values):
    explorer = Explorer(text, values)
    explorer.backward()
    grads = explorer.grads()
    reference = torch_reference(text, values)
    fd = explorer.finite_differences()
    for name in values:
        assert_close(grads[name], reference[name])
        assert_close(grads[name], fd[name], rel=1e-5, abs_=1e-6)


def test_the_graph_names_the_nodes_as_torch_does_inputs_first():
    explorer = Explorer("(w * x + b - y) ** 2", {"w": 2, "x": 3, "b": 1, "y": 5}, ["w", "b"])
    graph = explorer.forward()
    ops = [n.name for n in graph.nodes if n.kind == OP]
    assert ops == ["MulBackward0", "AddBackward0", "SubBackward0", "PowBackward0"]
    assert {n.label for n in graph.nodes if n.kind == LEAF} == {"w", "b"}
    for node in graph.nodes:
        assert all(i < node.index for i in node.inputs)     # an order torch could run backward in reverse
    out = graph.nodes[graph.output]
    assert out.name == "PowBackward0" and out.value == 4.0 and out.label == "(w * x + b - y) ** 2"
    mul = next(n for n in graph.nodes if n.name == "MulBackward0")
    assert mul.value == 6.0 and [graph.nodes[i].label for i in mul.inputs] == ["w", "x"]
    explorer.backward()
    nodes = {n.label: n for n in explorer.graph.nodes}
    assert nodes["w"].grad == 12.0 and nodes["b"].grad == 4.0     # d/dw (wx+b-y)^2 = 2(wx+b-y)x
    assert nodes["w * x + b - y"].grad == 4.0 and nodes["x"].grad is None


def test_a_second_backward_without_zero_grad_adds_and_zero_grad_clears():
    explorer = Explorer("(w * 3) ** 2", {"w": 1.0})     # the seed's example: 18, then 36
    explorer.backward()
    assert explorer.grads() == {"w": 18.0}
    explorer.backward()
    assert explorer.grads() == {"w": 36.0} and explorer.backwards == 2
    explorer.zero_grad()
    assert explorer.grads() == {"w": 0.0}
    explorer.backward()
    assert explorer.grads() == {"w": 18.0}


def test_no_grad_records_nothing_and_backward_says_why():
    explorer = Explorer("(w * x + b - y) ** 2", {"w": 2, "x": 3, "b": 1, "y": 5})
    graph = explorer.forward(no_grad=True)
    assert not graph.recorded and graph.value == 4.0
    assert all(n.kind not in (OP,) for n in graph.nodes) and graph.torch_nodes() == []
    with pytest.raises(BackwardError, match="no_grad"):
        explorer.backward()
    assert explorer.grads() == {"w": None, "x": None, "b": None, "y": None}
    assert explorer.forward().recorded       # outside no_grad the graph is back


def test_a_value_of_several_numbers_needs_sum_before_backward():
    explorer = Explorer("v * w", {"v": [1, 2], "w": 3})
    with pytest.raises(BackwardError, match="sum"):
        explorer.backward()


def test_the_cli_payload_has_value_grads_and_the_graph():
    out = gradients("w * x + 1", {"w": 2, "x": 3})
    assert out["value"] == 7.0 and out["grads"] == {"w": 3.0, "x": 2.0}
    assert [(n["name"], n["inputs"]) for n in out["graph"]] == [
        ("AccumulateGrad", []), ("AccumulateGrad", []), ("MulBackward0", [0, 1]), ("AddBackward0", [2])]


# -- generated expressions ----------------------------------------------------------------------------

_SAFE = ["tanh", "sigmoid", "sin", "cos", "exp"]     # smooth everywhere: finite differences apply


def _expressions(depth: int):
    leaf = st.sampled_from(["a", "b", "c", "0.5", "2"])
    if depth == 0:
        return leaf
    sub = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.builds(lambda x, op, y: f"({x} {op} {y})", sub, st.sampled_from(["+", "-", "*"]), sub),
        st.builds(lambda f, x: f"{f}({x})", st.sampled_from(_SAFE), sub),
        st.builds(lambda x: f"-{x}", sub),
        st.builds(lambda x: f"({x}) ** 2", sub),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_expressions(3), a=st.floats(-1.5, 1.5), b=st.floats(-1.5, 1.5), c=st.floats(-1.5, 1.5))
def test_generated_expressions_match_torch_and_finite_differences(text, a, b, c):
    found = names(parse(text))
    label = to_text(parse(text))
    assert to_text(parse(label)) == label and names(parse(label)) == found   # a node's label reads back
    values = {n: v for n, v in {"a": a, "b": b, "c": c}.items() if n in found}
    explorer = Explorer(text, values)
    try:
        explorer.backward()
    except BackwardError:
        assert not found          # only an expression without names records nothing
        return
    reference = torch_reference(text, values)
    fd = explorer.finite_differences()
    for n in found:
        assert_close(explorer.grads()[n], reference[n])
        assert math.isclose(explorer.grads()[n], fd[n], rel_tol=1e-4, abs_tol=1e-4)


def test_nesting_is_limited_before_recursing():
    assert parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH) is not None
    with pytest.raises(Exception, match=f"nested more than {MAX_DEPTH}"):
        parse("(" * 400 + "a" + ")" * 400)


def test_the_network_graph_of_an_mlp_lists_addmm_and_every_parameters_gradient():
    from trainer.autograd.network_graph import network_graph
    from trainer.data import load
    from trainer.models import build_model
    from trainer.presets import load_preset
    exp = load_preset("spiral")
    torch.manual_seed(exp.train.seed)
    model = build_model(exp)
    splits = load(exp.data)
    g = network_graph(exp, model, splits, index=3)
    names_ = [n.name for n in g.nodes]
    assert names_.count("AddmmBackward0") == 2 and "ReluBackward0" in names_
    assert names_[-1] == "NllLossBackward0"       # cross-entropy = log-softmax + NLL, as torch records it
    leaves = {n.label for n in g.nodes if n.kind == LEAF}
    assert leaves == {name for name, _ in model.named_parameters()}
    # the norms are those of the gradients torch computes for this example's loss
    model.zero_grad()
    model.train()
    x, y = torch.from_numpy(splits.x_train[3:4]), torch.from_numpy(splits.y_train[3:4]).long()
    from trainer.models import build_loss
    torch.manual_seed(exp.train.seed)
    loss = build_loss(exp)(model(x), y)
    loss.backward()
    assert math.isclose(g.loss, float(loss.detach()), rel_tol=1e-6)
    for p, (name, param) in zip(g.params, model.named_parameters()):
        assert p.name == name and math.isclose(p.grad_norm, float(param.grad.norm()), rel_tol=1e-5)
    assert all(p.grad_norm > 0 for p in g.params)
