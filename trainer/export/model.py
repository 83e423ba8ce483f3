"""Section 2 of the script: the nn.Sequential, the loss and the optimizer, as trainer.models builds them."""
from __future__ import annotations

from textwrap import dedent

from ..config import OPTIMIZER_TABLE, LayerSpec, input_shape, output_units
from ..shape_walk import format_shape, padding_of, stride_of, walk
from .plan import _Plan, _has, _fill, _mistaken, _num


_ACTIVATIONS = {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU()", "tanh": "nn.Tanh()",
                "sigmoid": "nn.Sigmoid()", "gelu": "nn.GELU()", "identity": "nn.Identity()"}


def _model(plan: _Plan) -> str:
    exp = plan.exp
    first = input_shape(exp.data, exp.model.layers)
    shapes = walk(first, exp.model.layers, output_units(exp))
    seen = [first] + [s.out_shape for s in shapes]   # what each layer gets
    lines = []
    if len(first) == 3:
        lines.append(f"nn.Unflatten(1, {first}),   # each row of {first[1] * first[2]} pixels seen as a "
                     f"{format_shape(first)} image (channels, height, width)")
    for layer, shape, out in zip(exp.model.layers, seen, shapes):
        text = _layer(layer, shape)
        if len(first) == 3 and layer.kind in ("conv2d", "maxpool2d", "avgpool2d", "flatten"):
            text += f"   # -> {format_shape(out.out_shape)}"
        lines.append(text)
    width = seen[len(exp.model.layers)][0]
    out_units = output_units(exp)
    if plan.loss == "bce":
        lines += [f"nn.Linear({width}, 1),   # the head: one output ...",
                  "nn.Sigmoid(),   # ... squashed to the probability of class 1, for BCELoss"]
    elif plan.loss == "mse":
        lines.append(f"nn.Linear({width}, 1),   # the head: the predicted y")
    elif plan.mistake.softmax_first:
        lines += [f"nn.Linear({width}, {out_units}),   # the head: one score (logit) per class ...",
                  f"nn.Softmax(dim=1),   {_mistaken(plan)}"]
    else:
        lines.append(f"nn.Linear({width}, {out_units}),   # the head: one score (logit) per class, no softmax")
    if not exp.model.layers and plan.loss == "mse":
        lines = ["nn.Linear(1, 1),   # y = w * x + b: the seed's w and b, kept inside a layer"]
    layers = "\n".join(f"    {line}" for line in lines)
    o = exp.optim
    kind = OPTIMIZER_TABLE[o.name]
    args = [f"lr={_num(o.lr * plan.mistake.lr_factor)}"]
    if kind.takes_momentum:
        args.append(f"momentum={_num(o.momentum)}")
    args.append(f"weight_decay={_num(o.weight_decay)}")
    fused = ""
    if kind.fused:
        args.append("fused=True")
        fused = ("# fused=True does the whole update in one kernel instead of a dozen small steps per\n"
                 "# tensor: the same algorithm, faster (and the app does it too, so the numbers match).\n")
    criterion = {"bce": "nn.BCELoss()   # binary cross-entropy on the Sigmoid's probability",
                 "cross_entropy": "nn.CrossEntropyLoss()   # softmax + negative log-likelihood in one",
                 "mse": "nn.MSELoss()   # mean squared error"}[plan.loss]
    zeros = ""
    if exp.model.init == "zeros":
        zeros = dedent("""

            # Start from all-zero weights and biases, as the seed starts w = b = 0.
            with torch.no_grad():
                for p in model.parameters():
                    p.zero_()""")
    decay = ("# weight_decay is L2 regularisation: each step pulls every weight a little towards 0.\n"
             if o.weight_decay else "")
    if plan.mistake.lr_factor != 1.0:
        decay += f"{_mistaken(plan)} (lr={_num(o.lr)})\n"
    seeded = "the starting weights (and later dropout) draw" if _has(plan, "dropout") else "the starting weights draw"
    return _fill("""\
        # ── 2. Model, loss, optimizer ───────────────────────────────────────────────────────────
        torch.manual_seed(SEED)   # $seeded from this seed
        model = nn.Sequential(
        $layers
        )$zeros$channels_last
        model = model.to(DEVICE)
        print(model)
        print(f"Parameters: {sum(p.numel() for p in model.parameters())}")

        criterion = $criterion
        ${decay}${fused}optimizer = torch.optim.$opt(model.parameters(), $args)$scheduler""",
                 layers=layers, zeros=zeros, criterion=criterion, opt=kind.torch_class,
                 args=", ".join(args), decay=decay, fused=fused, seeded=seeded, scheduler=_scheduler(o.lr_decay),
                 channels_last=_CHANNELS_LAST if len(first) == 3 else "")


def _scheduler(lr_decay: float) -> str:
    """The ExponentialLR line that shrinks the learning rate after every epoch, as the app's loop does."""
    if lr_decay == 1.0:
        return ""
    return ("\n# After every epoch the learning rate shrinks: lr *= gamma. Big steps first, then small ones\n"
            "# that settle into the minimum instead of bouncing around it.\n"
            f"scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={_num(lr_decay)})")


# The app's models.build_model does the same for a CNN: the same kernels, so the same numbers.
_CHANNELS_LAST = """
# Convolutions run fastest with the channels as the last, contiguous dimension ("channels last").
model = model.to(memory_format=torch.channels_last)"""


def _layer(layer: LayerSpec, shape: tuple[int, ...]) -> str:
    """The layer's constructor, as trainer.models._module builds it, given its input's shape."""
    if layer.kind == "linear":
        return f"nn.Linear({shape[0]}, {layer.units}),"
    if layer.kind == "activation":
        return f"{_ACTIVATIONS[layer.fn]},"
    if layer.kind == "dropout":
        return f"nn.Dropout({_num(layer.p)}),"
    if layer.kind == "batchnorm":
        return f"nn.BatchNorm1d({shape[0]}),"
    if layer.kind == "batchnorm2d":
        return f"nn.BatchNorm2d({shape[0]}),"
    if layer.kind == "flatten":
        return "nn.Flatten(),"
    k, s, p = layer.kernel, stride_of(layer), padding_of(layer)
    extra = (f", stride={s}" if s != (1 if layer.kind == "conv2d" else k) else "") + (f", padding={p}" if p else "")
    if layer.kind == "conv2d":
        return f"nn.Conv2d({shape[0]}, {layer.channels}, kernel_size={k}{extra}),"
    pool = "MaxPool2d" if layer.kind == "maxpool2d" else "AvgPool2d"
    return f"nn.{pool}({k}{extra}),"   # validate() allows no other kind
