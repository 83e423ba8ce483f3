"""Experiment.model -> nn.Sequential, with the output head the task needs."""
from __future__ import annotations

import torch
from torch import nn

from .config import OPTIMIZER_TABLE, Experiment, LayerSpec, input_shape, layer_offset, output_units, resolved_loss
from .shape_walk import padding_of, stride_of, walk

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


def build_model(exp: Experiment) -> nn.Sequential:
    """The layers in order; binary tasks end in Sigmoid (BCELoss, as the seed), others in logits.

    A CNN starts with nn.Unflatten: the data stay rows of 784 pixels everywhere (splits, galleries,
    the pad, checkpoints), and the model views each row as the 1x28x28 image, without a copy. Its
    layer i is then module i + layer_offset(exp).
    """
    layers = exp.model.layers
    first = input_shape(exp.data, layers)
    # What each layer sees: the input, then the layer before's output (validate() ruled out errors).
    seen = [first] + [s.out_shape for s in walk(first, layers, output_units(exp))]
    modules: list[nn.Module] = [nn.Unflatten(1, first)] if len(first) == 3 else []
    modules += [_module(layer, shape) for layer, shape in zip(layers, seen)]
    modules.append(nn.Linear(seen[len(layers)][0], output_units(exp)))
    if resolved_loss(exp) == "bce":
        modules.append(nn.Sigmoid())
    model = nn.Sequential(*modules)
    if len(first) == 3:
        # oneDNN's convolutions run fastest on channels-last maps: measured on this project's 2-core
        # machine, one thread, mnist-cnn's step 20.0 -> 12.6 ms of CPU per batch of 64 (issue 15).
        model = model.to(memory_format=torch.channels_last)
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


def _module(layer: LayerSpec, shape: tuple[int, ...]) -> nn.Module:
    """The layer's module, given the shape of its input."""
    if layer.kind == "linear":
        return nn.Linear(shape[0], layer.units)
    if layer.kind == "activation":
        return _ACTIVATIONS[layer.fn]()
    if layer.kind == "dropout":
        return nn.Dropout(layer.p)
    if layer.kind == "batchnorm":
        return nn.BatchNorm1d(shape[0])
    if layer.kind == "batchnorm2d":
        return nn.BatchNorm2d(shape[0])
    if layer.kind == "flatten":
        return nn.Flatten()
    k, s, p = layer.kernel, stride_of(layer), padding_of(layer)
    if layer.kind == "conv2d":
        return nn.Conv2d(shape[0], layer.channels, k, stride=s, padding=p)
    if layer.kind == "maxpool2d":
        return nn.MaxPool2d(k, stride=s, padding=p)
    if layer.kind == "avgpool2d":
        return nn.AvgPool2d(k, stride=s, padding=p)
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
