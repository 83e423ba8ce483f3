"""Experiment.model -> nn.Sequential, with the output head the task needs."""
from __future__ import annotations

import torch
from torch import nn

from .config import OPTIMIZER_TABLE, Experiment, LayerSpec, input_dim, output_units, resolved_loss

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


def build_model(exp: Experiment) -> nn.Sequential:
    """The layers in order; binary tasks end in Sigmoid (BCELoss, as the seed), others in logits."""
    width = input_dim(exp.data)
    modules: list[nn.Module] = []
    for layer in exp.model.layers:
        module, width = _module(layer, width)
        modules.append(module)
    modules.append(nn.Linear(width, output_units(exp)))
    if resolved_loss(exp) == "bce":
        modules.append(nn.Sigmoid())
    model = nn.Sequential(*modules)
    if exp.model.init == "zeros":
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
    return model


def model_from_state(exp: Experiment, state: dict) -> nn.Sequential:
    """The experiment's model holding trained weights, in eval mode.

    Built on the meta device and then given empty storage, so no initial weights are
    drawn: torch's global generator may be in use by a training on another thread.
    """
    with torch.device("meta"):
        model = build_model(exp)
    model = model.to_empty(device="cpu")
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    return model.eval()


def _module(layer: LayerSpec, width: int) -> tuple[nn.Module, int]:
    if layer.kind == "linear":
        return nn.Linear(width, layer.units), layer.units
    if layer.kind == "activation":
        return _ACTIVATIONS[layer.fn](), width
    if layer.kind == "dropout":
        return nn.Dropout(layer.p), width
    if layer.kind == "batchnorm":
        return nn.BatchNorm1d(width), width
    raise ValueError(f"unknown layer kind {layer.kind!r}")  # validate() rules this out


def param_count(model: nn.Module) -> int:
    """Parameters of a built model; config.experiment_param_count gives the same from the experiment."""
    return sum(p.numel() for p in model.parameters())


def build_loss(exp: Experiment) -> nn.Module:
    return {"bce": nn.BCELoss, "cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss}[resolved_loss(exp)]()


def build_optimizer(exp: Experiment, params) -> torch.optim.Optimizer:
    o = exp.optim
    kind = OPTIMIZER_TABLE[o.name]   # validate() rules out any other name
    params = list(params)
    kwargs: dict = {"lr": o.lr}
    if kind.takes_momentum:
        kwargs["momentum"] = o.momentum
    kwargs["weight_decay"] = o.weight_decay
    # One fused kernel per step instead of a dozen small operations per tensor: the same algorithm,
    # and the biggest single saving on small models. RMSprop has no fused form.
    if fused_ok(o.name, params):
        kwargs["fused"] = True
    return getattr(torch.optim, kind.torch_class)(params, **kwargs)


def fused_ok(name: str, params: list[torch.Tensor]) -> bool:
    """Whether torch has a fused step for this optimizer on these parameters' device."""
    return OPTIMIZER_TABLE[name].fused and all(p.device.type in ("cpu", "cuda") and p.is_floating_point()
                                               for p in params)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]
