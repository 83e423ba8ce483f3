"""Evaluate a parsed expression with torch, and read back the graph torch recorded.

The expression is computed as the same Python would compute it with tensors (`w * x + 1` with a
Python number 1), so the nodes are the ones a learner meets in their own code: MulBackward0,
AddBackward0, PowBackward0. One change from plain Python: a number on the *left* of a tensor
(`2 / w`) is made a 0-d tensor first, so every operation of the expression is one torch node
(Python would record `2 / w` as a reciprocal and a multiplication).

Leaves are float64 tensors, so the central finite differences agree with autograd to ~1e-8.
`Explorer` keeps its leaves between passes: a second backward without zero_grad adds to .grad,
as in torch; each backward runs a fresh forward first, as the seed's lesson does.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from .expression import (FUNCTIONS, Call, Name, Node, Num, ParseError, Unary, Value, check_value, names, parse,
                         to_text, walk)

DTYPE = torch.float64
FD_STEP = 1e-6            # central differences in float64: error ~ step² + rounding/step ~ 1e-10

_TORCH_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    name: getattr(torch, name) for name in FUNCTIONS}    # every name in FUNCTIONS is torch's own
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}

LEAF = "leaf"             # a tensor that requires grad: torch's AccumulateGrad node
OP = "op"                 # an operation torch recorded
CONSTANT = "constant"     # a number, or a tensor that requires no grad: torch records nothing for it
RESULT = "result"         # the value under no_grad: computed, nothing recorded


class EvalError(ParseError):
    """An expression that parses but cannot be computed (shapes that do not broadcast)."""


class BackwardError(ValueError):
    """backward() cannot run: nothing recorded, or the value is not one number. The message says why."""


@dataclass(frozen=True)
class GraphNode:
    index: int
    name: str                       # torch's: MulBackward0, AccumulateGrad; "constant" / "result" otherwise
    kind: str                       # LEAF | OP | CONSTANT | RESULT
    label: str                      # the part of the expression it computes: "w * x", "w"
    inputs: tuple[int, ...]         # indices of the nodes it reads, in argument order
    value: Value | None             # its forward value (None: torch kept none we could read)
    grad: Value | None = None       # a leaf's .grad; an operation's d(output)/d(its value); None: none yet
    shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class Graph:
    nodes: tuple[GraphNode, ...]
    output: int                     # index of the node holding the expression's value
    value: Value
    recorded: bool                  # False under no_grad, or when no leaf requires grad

    def torch_nodes(self) -> list[dict[str, Any]]:
        """The nodes torch recorded, in order (inputs before the node), as JSON-ready dicts."""
        kept = [n for n in self.nodes if n.kind in (LEAF, OP) and self.recorded]
        index = {n.index: i for i, n in enumerate(kept)}
        return [{"index": index[n.index], "name": n.name, "label": n.label,
                 "inputs": [index[i] for i in n.inputs if i in index], "value": n.value, "grad": n.grad}
                for n in kept]


def as_value(t: torch.Tensor | float) -> Value:
    """A tensor (or number) as plain Python: a float, or nested lists of floats."""
    if isinstance(t, torch.Tensor):
        return t.detach().tolist() if t.dim() else float(t.detach())
    return float(t)


@dataclass
class _Record:
    node: Node                      # the AST node
    out: torch.Tensor | float       # what it evaluated to
    children: tuple["_Record", ...]


def _evaluate(node: Node, leaves: Mapping[str, torch.Tensor], records: list[_Record] | None) -> _Record:
    """node's value as torch computes it; every operation's record appended to `records` (when given)."""
    if isinstance(node, Num):
        rec = _Record(node, node.value, ())
    elif isinstance(node, Name):
        rec = _Record(node, leaves[node.id], ())
    elif isinstance(node, Unary):
        child = _evaluate(node.operand, leaves, records)
        rec = _Record(node, -child.out, (child,))
    elif isinstance(node, Call):
        child = _evaluate(node.arg, leaves, records)
        arg = child.out if isinstance(child.out, torch.Tensor) else torch.tensor(child.out, dtype=DTYPE)
        out = _TORCH_FUNCTIONS[node.func](arg)
        rec = _Record(node, out if isinstance(child.out, torch.Tensor) else float(out), (child,))
    else:
        left = _evaluate(node.left, leaves, records)
        right = _evaluate(node.right, leaves, records)
        a, b = left.out, right.out
        if not isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            a = torch.tensor(a, dtype=DTYPE)          # one torch node per operation (see the module's note)
        try:
            if isinstance(a, torch.Tensor):
                out = _BINARY[node.op](a, b)
            else:     # two numbers: computed in float64 like the rest (Python's 0 ** -1 would raise)
                out = float(_BINARY[node.op](torch.tensor(a, dtype=DTYPE), torch.tensor(b, dtype=DTYPE)))
        except RuntimeError as exc:
            raise EvalError(node.pos, f"'{node.op}' cannot combine shapes {_shape(a)} and {_shape(b)}: "
                                      f"{str(exc).splitlines()[0]}") from None
        rec = _Record(node, out, (left, right))
    if records is not None and not isinstance(node, (Num, Name)):
        records.append(rec)
    return rec


def _shape(x: Any) -> str:
    return "scalar" if not isinstance(x, torch.Tensor) or x.dim() == 0 else "×".join(map(str, x.shape))


def _tensor_of(value: Value, requires_grad: bool) -> torch.Tensor:
    return torch.tensor(value, dtype=DTYPE, requires_grad=requires_grad)


class Explorer:
    """An expression and its leaves: forward, backward and zero_grad, with torch's own semantics."""

    def __init__(self, text: str, values: Mapping[str, Value], requires_grad: Collection[str] | None = None):
        """`values`: name -> number or nested list; `requires_grad`: the names that do (default: all)."""
        self.text = text
        self.ast = parse(text)
        self.names = names(self.ast)
        for name in self.names:
            if name not in values:
                raise ParseError(_first_position(self.ast, name), f"{name} has no value")
        grad_names = set(self.names if requires_grad is None else requires_grad)
        self.leaves: dict[str, torch.Tensor] = {
            n: _tensor_of(check_value(values[n]), n in grad_names) for n in self.names}
        self.graph: Graph | None = None
        self.backwards = 0          # backward passes into the leaves' .grad since they were last zero
        self._out: torch.Tensor | float | None = None
        self._records: list[_Record] = []
        self._used = False          # the graph has been backpropagated (torch freed it)
        self._no_grad = False

    # -- the three buttons ------------------------------------------------------------------------
    def forward(self, no_grad: bool = False) -> Graph:
        """Compute the value; torch records the graph unless `no_grad`."""
        records: list[_Record] = []
        if no_grad:
            with torch.no_grad():
                root = _evaluate(self.ast, self.leaves, records)
        else:
            root = _evaluate(self.ast, self.leaves, records)
            for rec in records:     # the operations' gradients are kept, for the picture
                if isinstance(rec.out, torch.Tensor) and rec.out.requires_grad:
                    rec.out.retain_grad()
        self._out, self._records = root.out, records
        self._used, self._no_grad = False, no_grad
        self.graph = self._read_graph()
        return self.graph

    def backward(self) -> Graph:
        """A fresh forward (unless the last one is unused), then out.backward(): .grad adds up."""
        if self._out is None or self._used:
            self.forward(self._no_grad)
        out = self._out
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            why = ("under no_grad nothing was recorded" if self._no_grad
                   else "no leaf requires grad, so nothing was recorded")
            raise BackwardError(f"{why}: the value has no grad_fn, and backward() has nothing to follow "
                                "(torch: element 0 of tensors does not require grad and does not have a grad_fn)")
        if out.numel() != 1:
            raise BackwardError(f"backward() needs one number, but the value has {out.numel()} elements "
                                f"(shape {_shape(out)}): wrap the expression in sum(...) or mean(...)")
        out.backward()
        self._used = True
        self.backwards += 1
        self.graph = self._read_graph()
        return self.graph

    def zero_grad(self) -> Graph | None:
        """Every leaf's .grad back to 0 (w.grad.zero_(), what optimizer.zero_grad() does for parameters)."""
        for t in self.leaves.values():
            if t.grad is not None:
                t.grad.zero_()
        self.backwards = 0
        if self._out is not None:
            self.graph = self._read_graph()
        return self.graph

    # -- what a learner reads ------------------------------------------------------------------------
    def grads(self) -> dict[str, Value | None]:
        """Each leaf's .grad (None where it requires no grad or has had no backward)."""
        return {n: (as_value(t.grad) if t.grad is not None else None) for n, t in self.leaves.items()}

    def requires_grad(self, name: str) -> bool:
        return self.leaves[name].requires_grad

    def finite_differences(self, step: float = FD_STEP) -> dict[str, Value]:
        """(f(x + h) - f(x - h)) / 2h per element of each leaf that requires grad (the value must be one number)."""
        out: dict[str, Value] = {}
        with torch.no_grad():
            plain = {n: t.detach().clone() for n, t in self.leaves.items()}

            def f() -> float:
                value = _evaluate(self.ast, plain, None).out
                if isinstance(value, torch.Tensor) and value.numel() != 1:
                    raise BackwardError("finite differences need one number: wrap the expression in sum(...)")
                return float(value)

            for name, t in self.leaves.items():
                if not t.requires_grad:
                    continue
                flat = plain[name].view(-1)
                diffs = []
                for i in range(flat.numel()):
                    x0 = float(flat[i])
                    flat[i] = x0 + step
                    up = f()
                    flat[i] = x0 - step
                    down = f()
                    flat[i] = x0
                    diffs.append((up - down) / (2 * step))
                out[name] = as_value(torch.tensor(diffs, dtype=DTYPE).view(t.shape))
        return out

    # -- the walk over torch's graph -------------------------------------------------------------------
    def _read_graph(self) -> Graph:
        out = self._out
        assert out is not None
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return self._unrecorded_graph()
        by_fn = {r.out.grad_fn: r for r in self._records
                 if isinstance(r.out, torch.Tensor) and r.out.grad_fn is not None}
        leaf_names = {id(t): n for n, t in self.leaves.items()}
        nodes: list[GraphNode] = []
        done: dict[Any, int] = {}     # torch node (or leaf id) -> index

        def add(node: GraphNode) -> int:
            nodes.append(GraphNode(len(nodes), node.name, node.kind, node.label, node.inputs, node.value,
                                   node.grad, node.shape))
            return len(nodes) - 1

        def leaf(t: torch.Tensor, name: str) -> int:
            key = ("leaf", id(t))
            if key not in done:
                grad = as_value(t.grad) if t.grad is not None else None
                done[key] = add(GraphNode(0, "AccumulateGrad", LEAF, name, (), as_value(t), grad, tuple(t.shape)))
            return done[key]

        def constant(rec: _Record) -> int:
            label = to_text(rec.node)
            name = "tensor" if isinstance(rec.node, Name) else "constant"
            return add(GraphNode(0, name, CONSTANT, label, (), as_value(rec.out), None, _dims(rec.out)))

        def visit(fn: Any) -> int:
            if fn in done:
                return done[fn]
            if type(fn).__name__ == "AccumulateGrad":
                t = fn.variable
                return leaf(t, leaf_names.get(id(t), "leaf"))
            # torch's edges: each input's node (an AccumulateGrad stands for its leaf tensor)
            edges = {}
            for nf, _ in fn.next_functions:
                if nf is not None:
                    edges[("leaf", id(nf.variable)) if type(nf).__name__ == "AccumulateGrad" else nf] = nf
            rec = by_fn.get(fn)
            inputs: list[int] = []
            if rec is None:       # not one of ours (not expected): follow torch's edges alone
                inputs = [visit(nf) for nf in edges.values()]
            else:
                for child in rec.children:
                    c = child.out
                    key = None
                    if isinstance(c, torch.Tensor) and c.requires_grad:
                        key = ("leaf", id(c)) if c.grad_fn is None else c.grad_fn
                    inputs.append(visit(edges[key]) if key in edges else constant(child))
            tensor = rec.out if rec is not None else None
            grad = as_value(tensor.grad) if isinstance(tensor, torch.Tensor) and tensor.grad is not None else None
            done[fn] = add(GraphNode(0, type(fn).__name__, OP, to_text(rec.node) if rec else type(fn).__name__,
                                     tuple(inputs), as_value(tensor) if tensor is not None else None, grad,
                                     _dims(tensor)))
            return done[fn]

        root = visit(out.grad_fn) if out.grad_fn is not None else leaf(out, leaf_names.get(id(out), "leaf"))
        return Graph(tuple(nodes), root, as_value(out), True)

    def _unrecorded_graph(self) -> Graph:
        """No grad_fn: the leaves stand alone, and the value is a plain result."""
        nodes = [GraphNode(i, "AccumulateGrad" if t.requires_grad else "tensor", LEAF if t.requires_grad else CONSTANT,
                           n, (), as_value(t), as_value(t.grad) if t.grad is not None else None, tuple(t.shape))
                 for i, (n, t) in enumerate(self.leaves.items())]
        out = self._out
        nodes.append(GraphNode(len(nodes), "no grad_fn", RESULT, self.text.strip(), (), as_value(out), None,
                               _dims(out)))
        return Graph(tuple(nodes), len(nodes) - 1, as_value(out), False)


def _dims(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if isinstance(x, torch.Tensor) else ()


def _first_position(ast: Node, name: str) -> int:
    return min((n.pos for n in walk(ast) if isinstance(n, Name) and n.id == name), default=0)


def gradients(text: str, values: Mapping[str, Value]) -> dict[str, Any]:
    """What `python -m trainer grad` prints: the value, each name's gradient, torch's graph.

    Every name given requires grad. Raises ParseError (with the position) or BackwardError.
    """
    explorer = Explorer(text, values)
    unused = sorted(set(values) - set(explorer.names))
    if unused:
        raise ParseError(0, f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not in the expression")
    explorer.backward()
    graph = explorer.graph
    assert graph is not None
    return {"value": _finite(graph.value), "grads": _finite(explorer.grads()),
            "graph": _finite(graph.torch_nodes())}


def _finite(x: Any) -> Any:
    """JSON has no NaN or Infinity: such numbers become null (log(-1), 1/0)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    return x


__all__ = ["BackwardError", "CONSTANT", "EvalError", "Explorer", "FD_STEP", "Graph", "GraphNode", "LEAF", "OP",
           "RESULT", "as_value", "gradients"]
