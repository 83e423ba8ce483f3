"""The arithmetic of a network's shapes: each layer's output shape, parameters and multiply-adds.

Pure Python with no project imports, so that config.validate (which refuses an impossible shape)
and shapes.layer_shapes (which the docks and views read) both use it without an import cycle.
Layers are read by their attributes only (kind, units, fn, p, channels, kernel, stride, padding),
as config.LayerSpec has them. The numbers follow torch.nn exactly: models.build_model builds the
same modules and tests/trainer/test_cnn_shapes.py compares the two.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

# Kinds that work on an image (channels x height x width) and so keep MNIST's input as an image.
SPATIAL_KINDS = ("conv2d", "maxpool2d", "avgpool2d", "batchnorm2d", "flatten")
POOL_KINDS = ("maxpool2d", "avgpool2d")
# Layers that pass any shape through unchanged: they do not decide whether the input is an image.
PASS_THROUGH_KINDS = ("activation", "dropout")
# Layer kinds (config.LAYER_KINDS) that compute differently in training mode than in eval mode.
TRAINING_MODE_KINDS = ("dropout", "batchnorm", "batchnorm2d")
_ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
                      "gelu": "GELU", "identity": "Identity"}


@dataclass(frozen=True)
class LayerShape:
    """One layer as the network sees it; `error` says why the shape is impossible (then out_shape is ())."""
    index: int                    # position in model.layers; len(model.layers) for the output layer
    kind: str                     # a LayerSpec kind, or "head" for the output layer the task adds
    label: str                    # e.g. "Conv 1->16, 3x3, pad 1"
    out_shape: tuple[int, ...]    # (16, 28, 28) for a map, (128,) for features; () when unknown
    params: int
    macs: int                     # multiply-adds per example (convolutions and linear layers)
    error: str | None = None


def stride_of(layer: Any) -> int:
    """The stride torch uses: as given, else 1 for a convolution and the kernel size for a pool."""
    if layer.stride is not None:
        return layer.stride
    return layer.kernel if layer.kind in POOL_KINDS else 1


def padding_of(layer: Any) -> int:
    return layer.padding or 0


def keeps_image(layers: Sequence[Any]) -> bool:
    """Whether an image input stays an image: the first layer that is not an activation or dropout
    works on images. A network starting with linear (every MLP) gets the flattened pixels."""
    for layer in layers:
        if layer.kind not in PASS_THROUGH_KINDS:
            return layer.kind in SPATIAL_KINDS
    return False


def format_shape(shape: tuple[int, ...]) -> str:
    """(16, 28, 28) -> '16x28x28'; (128,) -> '128'; () -> '?'."""
    return "x".join(str(n) for n in shape) if shape else "?"


def walk(input_shape: tuple[int, ...], layers: Sequence[Any], head_units: int,
         head_label: str = "Output") -> list[LayerShape]:
    """Every layer's shape, then the output layer's (index len(layers)); after the first impossible
    one the rest are unknown (out_shape (), no error of their own)."""
    shape: tuple[int, ...] | None = input_shape
    out: list[LayerShape] = []
    for i, layer in enumerate(layers):
        if shape is None:
            out.append(LayerShape(i, layer.kind, _label(layer, None), (), 0, 0))
            continue
        item = _step(i, layer, shape)
        out.append(item)
        shape = None if item.error else item.out_shape
    n = len(layers)
    if shape is None:
        out.append(LayerShape(n, "head", f"{head_label} ->{head_units}", (), 0, 0))
    elif len(shape) != 1:
        out.append(LayerShape(n, "head", f"{head_label} ->{head_units}", (), 0, 0,
                              f"the output layer needs flat features, but the last layer gives "
                              f"{format_shape(shape)}; end the convolutions with a flatten layer"))
    else:
        width = shape[0]
        out.append(LayerShape(n, "head", f"{head_label} {width}->{head_units}", (head_units,),
                              width * head_units + head_units, width * head_units))
    return out


def first_error(shapes: Sequence[LayerShape]) -> LayerShape | None:
    return next((s for s in shapes if s.error), None)


def error_path(shape: LayerShape) -> str:
    """The field a shape error is reported under: model.layers[i], or model.layers for the output layer."""
    return "model.layers" if shape.kind == "head" else f"model.layers[{shape.index}]"


def _step(i: int, layer: Any, shape: tuple[int, ...]) -> LayerShape:
    kind = layer.kind
    label = _label(layer, shape)

    def bad(reason: str) -> LayerShape:
        return LayerShape(i, kind, label, (), 0, 0, reason)

    if kind in PASS_THROUGH_KINDS:
        return LayerShape(i, kind, label, shape, 0, 0)
    if kind in ("linear", "batchnorm"):
        if len(shape) != 1:
            fix = "use batchnorm2d on a map, or add a flatten layer before it" if kind == "batchnorm" \
                else "add a flatten layer before it"
            return bad(f"a {kind} layer needs flat features, but gets a {format_shape(shape)} map; {fix}")
        width = shape[0]
        if kind == "batchnorm":
            return LayerShape(i, kind, label, shape, 2 * width, 0)
        return LayerShape(i, kind, label, (layer.units,), width * layer.units + layer.units, width * layer.units)
    if kind == "flatten":
        size = 1
        for n in shape:
            size *= n
        return LayerShape(i, kind, label, (size,), 0, 0)
    if len(shape) != 3:
        what = "conv2d" if kind == "conv2d" else kind
        return bad(f"{what} needs an image (channels x height x width), but gets {shape[0]} flat features"
                   + ("; a flatten or linear layer before it already flattened the image"
                      if i > 0 else "; only MNIST's images have that shape"))
    channels, height, width = shape
    if kind == "batchnorm2d":
        return LayerShape(i, kind, label, shape, 2 * channels, 0)
    k, s, p = layer.kernel, stride_of(layer), padding_of(layer)
    if kind in POOL_KINDS and 2 * p > k:
        return bad(f"padding {p} is more than half the {k}x{k} window; use at most {k // 2}")
    if height + 2 * p < k or width + 2 * p < k:
        padded = f" (with padding {p}: {height + 2 * p}x{width + 2 * p})" if p else ""
        return bad(f"the {k}x{k} kernel is larger than its {height}x{width} input{padded}")
    out_h, out_w = (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1
    if kind in POOL_KINDS:
        return LayerShape(i, kind, label, (channels, out_h, out_w), 0, 0)
    c_out = layer.channels
    weights = channels * c_out * k * k
    return LayerShape(i, kind, label, (c_out, out_h, out_w), weights + c_out, weights * out_h * out_w)


def _label(layer: Any, shape: tuple[int, ...] | None) -> str:
    """What a learner reads on the layer, e.g. 'Conv 1->16, 3x3, pad 1' or 'Linear 784->128'."""
    kind = layer.kind
    c_in = shape[0] if shape else None
    if kind == "conv2d":
        shown_in = c_in if shape and len(shape) == 3 else "?"
        text = f"Conv {shown_in}->{layer.channels}, {layer.kernel}x{layer.kernel}"
        if stride_of(layer) != 1:
            text += f", stride {stride_of(layer)}"
        if padding_of(layer):
            text += f", pad {padding_of(layer)}"
        return text
    if kind in POOL_KINDS:
        text = f"{'Max' if kind == 'maxpool2d' else 'Avg'} pool {layer.kernel}x{layer.kernel}"
        if stride_of(layer) != layer.kernel:
            text += f", stride {stride_of(layer)}"
        if padding_of(layer):
            text += f", pad {padding_of(layer)}"
        return text
    if kind == "linear":
        return f"Linear {c_in if shape and len(shape) == 1 else '?'}->{layer.units}"
    if kind == "activation":
        return _ACTIVATION_LABELS.get(layer.fn, str(layer.fn))
    if kind == "dropout":
        return f"Dropout {layer.p:g}"
    if kind == "batchnorm":
        return "Batch norm"
    if kind == "batchnorm2d":
        return "Batch norm 2d"
    if kind == "flatten":
        return "Flatten"
    return kind


def differs_in_training(experiment: Any) -> bool:
    """Whether the experiment's model draws another boundary in training mode (dropout, batch norm)."""
    return any(layer.kind in TRAINING_MODE_KINDS and (layer.kind != "dropout" or layer.p)
               for layer in experiment.model.layers)
