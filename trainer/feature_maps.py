"""Inside a CNN: each convolution's feature maps for one digit, the first layer's kernels, and the
small part of the weights a window needs to redraw them while the model trains.

Qt-free. The maps come from forward hooks on the model's nn.Conv2d modules (whatever the model's
structure), taken during one ordinary forward pass, so they are exactly what the network computed:

    layers = feature_maps(model, image, norm)      # image: 28x28 in [0, 1], ink = 1
    layers[0].maps                                 # (16, 28, 28): conv 1's output, before its ReLU
    kernels = first_kernels(model)                 # (16, 3, 3)

While training, the loop sends `image_state(model)` (the convolutions' and 2-D batch norms' tensors,
a few thousand numbers for mnist-cnn) in each Snapshot; the window loads them into its own copy of
the model (`load_image_state`) and draws the maps of the digit on its pad, live.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# A snapshot carries the image layers' tensors only up to this many numbers (mnist-cnn: 4,832); a much
# larger convolutional network is sent no live maps (its pictures come when it finishes).
IMAGE_STATE_MAX_VALUES = 200_000
SIDE = 28


@dataclass(frozen=True)
class LayerMaps:
    """One convolution's output for one image."""
    number: int            # 1 for the first convolution, 2 for the second, ...
    label: str             # "conv 2: 16→32, 3×3"
    maps: np.ndarray       # float32 (channels, height, width), before the activation that follows


def _image_modules(model: Any) -> list[tuple[str, Any]]:
    from torch import nn
    return [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]


def conv_layers(model: Any) -> list[Any]:
    """The model's nn.Conv2d modules, in the order they run in an nn.Sequential."""
    from torch import nn
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


def is_cnn_model(model: Any) -> bool:
    return bool(conv_layers(model))


def _label(number: int, conv: Any) -> str:
    kh, kw = conv.kernel_size
    return f"conv {number}: {conv.in_channels}→{conv.out_channels}, {kh}×{kw}"


def _input(model: Any, image: np.ndarray, norm: tuple[float, float]):
    """The image as the model takes it: rows of 784 pixels when it starts by unflattening (the trainer's
    models), else (1, 1, 28, 28); normalised with the model's (mean, std), on its device and dtype."""
    import torch
    from torch import nn
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.shape != (SIDE, SIDE):
        raise ValueError(f"image: expected 28x28 pixels, got shape {pixels.shape}")
    mean, std = norm
    x = torch.from_numpy((pixels - np.float32(mean)) / np.float32(std))
    first = next((m for m in model.modules() if not isinstance(m, nn.Sequential)), None)
    x = x.reshape(1, SIDE * SIDE) if isinstance(first, (nn.Unflatten, nn.Flatten, nn.Linear)) else \
        x.reshape(1, 1, SIDE, SIDE)
    param = next(model.parameters(), None)
    return x if param is None else x.to(device=param.device, dtype=param.dtype)


def feature_maps(model: Any, image: np.ndarray, norm: tuple[float, float] = (0.0, 1.0)) -> list[LayerMaps]:
    """Every convolution's output for one 28x28 image (eval mode; the caller's mode is restored)."""
    import torch
    convs = conv_layers(model)
    if not convs:
        return []
    seen: dict[int, np.ndarray] = {}
    hooks = [conv.register_forward_hook(
        lambda _m, _inp, out, i=i: seen.__setitem__(i, out[0].detach().float().contiguous().cpu().numpy()))
        for i, conv in enumerate(convs)]
    was_training = model.training
    threads = torch.get_num_threads()
    model.eval()
    torch.set_num_threads(1)     # one image: thread hand-offs would cost more than they save (see digits)
    try:
        with torch.inference_mode():
            model(_input(model, image, norm))
    finally:
        torch.set_num_threads(threads)
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return [LayerMaps(i + 1, _label(i + 1, conv), seen[i]) for i, conv in enumerate(convs) if i in seen]


def first_kernels(model: Any) -> np.ndarray | None:
    """The first convolution's kernels, (out_channels, k, k) for a one-channel input; None without one."""
    convs = conv_layers(model)
    if not convs:
        return None
    w = convs[0].weight.detach().float().cpu().numpy()
    return w[:, 0].copy() if w.shape[1] == 1 else w.mean(axis=1)


def image_state(model: Any) -> tuple[tuple[str, np.ndarray], ...]:
    """The image layers' tensors (convolutions, 2-D batch norms) as numpy copies, by state-dict key;
    () for a model without convolutions or one whose image layers exceed IMAGE_STATE_MAX_VALUES."""
    if not conv_layers(model):
        return ()
    prefixes = tuple(f"{name}." for name, _module in _image_modules(model))
    entries = [(k, v) for k, v in model.state_dict().items() if k.startswith(prefixes)]
    if sum(v.numel() for _k, v in entries) > IMAGE_STATE_MAX_VALUES:
        return ()
    return tuple((k, v.detach().cpu().numpy().copy()) for k, v in entries)


def load_image_state(model: Any, state: tuple[tuple[str, np.ndarray], ...]) -> bool:
    """Put a snapshot's image-layer tensors into `model`; False (model unchanged) when they do not fit it."""
    import torch
    own = model.state_dict()
    if not state or any(k not in own or tuple(own[k].shape) != np.shape(v) for k, v in state):
        return False
    with torch.no_grad():
        for k, v in state:
            own[k].copy_(torch.from_numpy(np.asarray(v)))
    return True


def input_norm(exp: Any) -> tuple[float, float]:
    """The (mean, std) an MNIST experiment's inputs are normalised with (as trainer.mnist applies it)."""
    from .mnist import MEAN, STD
    return (MEAN, STD) if exp.data.normalize == "standard" else (0.0, 1.0)


__all__ = ["LayerMaps", "IMAGE_STATE_MAX_VALUES", "conv_layers", "is_cnn_model", "feature_maps", "first_kernels",
           "image_state", "load_image_state", "input_norm"]
