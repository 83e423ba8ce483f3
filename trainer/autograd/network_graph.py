"""The graph torch records for a model on one training example and its loss, and one backward's gradients.

The same walk over grad_fn / next_functions as `graph`, for an nn.Module: a Linear layer shows as
AddmmBackward0 reading its bias, the input and TBackward0 (the weight, transposed). Each module's
output is matched to its node by a forward hook, so the nodes carry the layer they belong to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import Experiment, resolved_loss
from ..splits import Splits
from .graph import LEAF, OP, GraphNode, as_value

# What the nodes no module owns compute (they carry no layer name of their own).
NODE_HINTS = {
    "TBackward0": "the weight, transposed",
    "LogSoftmaxBackward0": "log-softmax, inside the loss",
    "ViewBackward0": "reshape",
    "ReshapeAliasBackward0": "reshape",
    "UnsafeViewBackward0": "reshape",
}
SMALL = 8                 # a node's value is kept when it has at most this many numbers


@dataclass(frozen=True)
class ParamGrad:
    name: str             # as model.named_parameters() names it: "0.weight"
    shape: tuple[int, ...]
    norm: float           # ||p||
    grad_norm: float      # ||p.grad|| after one backward on the example


@dataclass(frozen=True)
class NetworkGraph:
    nodes: tuple[GraphNode, ...]   # inputs before the node, the loss last; `grad` is the gradient's norm
    params: tuple[ParamGrad, ...]
    loss: float
    loss_name: str                 # bce | cross_entropy | mse
    example: int                   # index into the training set
    input: Any                     # the example's features (a list of floats)
    target: float                  # the class (as a number) or the regression target
    mode: str                      # "train": as the training records it (dropout active)


def one_example(exp: Experiment, splits: Splits, index: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Training example `index` as the loop feeds it: a (1, D) float input and the target the loss wants."""
    x = torch.from_numpy(np.ascontiguousarray(splits.x_train[index:index + 1], dtype=np.float32))
    y = splits.y_train[index:index + 1]
    if resolved_loss(exp) == "cross_entropy":
        return x, torch.from_numpy(np.asarray(y, dtype=np.int64))
    return x, torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1))


def network_graph(exp: Experiment, model: nn.Module, splits: Splits, index: int = 0) -> NetworkGraph:
    """Forward example `index` through `model` in train mode, walk the graph of its loss, backward once."""
    from ..models import build_loss
    x, y = one_example(exp, splits, index)
    was_training = model.training
    module_names = {m: (name or type(m).__name__) for name, m in model.named_modules()}
    outputs: dict[Any, tuple[str, torch.Tensor]] = {}

    def hook(module: nn.Module, _inputs: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor) and out.grad_fn is not None and module is not model:
            out.retain_grad()
            outputs[out.grad_fn] = (f"{module_names[module]}: {_describe(module)}", out)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        model.zero_grad(set_to_none=True)
        model.train()
        with torch.random.fork_rng(devices=[]):   # dropout's draw leaves the global generator as it was
            torch.manual_seed(exp.train.seed)
            out = model(x)
        loss = build_loss(exp)(out, y)
        loss.retain_grad()
        outputs[loss.grad_fn] = (f"loss: {type(build_loss(exp)).__name__}", loss)
        loss.backward()
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    param_names = {id(p): n for n, p in model.named_parameters()}
    nodes = _walk(loss.grad_fn, outputs, param_names)
    params = tuple(ParamGrad(n, tuple(p.shape), float(p.detach().norm()),
                             float(p.grad.norm()) if p.grad is not None else 0.0)
                   for n, p in model.named_parameters())
    target = y.item()
    return NetworkGraph(tuple(nodes), params, float(loss.detach()), resolved_loss(exp), index,
                        x[0].tolist(), target, "train")


def _walk(root: Any, outputs: dict[Any, tuple[str, torch.Tensor]], param_names: dict[int, str]) -> list[GraphNode]:
    nodes: list[GraphNode] = []
    done: dict[Any, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:    # iterative post-order: a deep network never meets Python's recursion limit
        fn, expanded = stack.pop()
        if fn in done:
            continue
        children = [nf for nf, _ in fn.next_functions if nf is not None]
        if not expanded:
            stack.append((fn, True))
            stack.extend((c, False) for c in reversed(children) if c not in done)
            continue
        inputs = tuple(done[c] for c in children)
        if type(fn).__name__ == "AccumulateGrad":
            p = fn.variable
            node = GraphNode(len(nodes), "AccumulateGrad", LEAF, param_names.get(id(p), "leaf"), (),
                             _small(p), as_value(p.grad.norm()) if p.grad is not None else None,
                             tuple(p.shape))
        else:
            label, t = outputs.get(fn, (NODE_HINTS.get(type(fn).__name__, ""), None))
            grad = float(t.grad.norm()) if t is not None and t.grad is not None else None
            node = GraphNode(len(nodes), type(fn).__name__, OP, label, inputs,
                             _small(t) if t is not None else None, grad,
                             tuple(t.shape) if t is not None else ())
        done[fn] = len(nodes)
        nodes.append(node)
    return nodes


def _small(t: torch.Tensor) -> Any:
    """The value when it is small enough to read, else None (the view shows the shape)."""
    return as_value(t) if t.numel() <= SMALL else None


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"Linear({module.in_features} → {module.out_features})"
    return type(module).__name__


__all__ = ["NetworkGraph", "ParamGrad", "network_graph", "one_example"]
