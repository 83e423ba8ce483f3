"""Section 2 of the script: the nn.Sequential, the loss and the optimizer, as trainer.models builds them."""
from __future__ import annotations

from textwrap import dedent

from ..config import OPTIMIZER_TABLE, LayerSpec, input_dim, output_units
from .plan import _Plan, _has, _fill, _num


_ACTIVATIONS = {"relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU()", "tanh": "nn.Tanh()",
                "sigmoid": "nn.Sigmoid()", "gelu": "nn.GELU()", "identity": "nn.Identity()"}


def _model(plan: _Plan) -> str:
    exp = plan.exp
    width = input_dim(exp.data)
    lines = []
    for layer in exp.model.layers:
        text, width = _layer(layer, width)
        lines.append(text)
    out_units = output_units(exp)
    if plan.loss == "bce":
        lines += [f"nn.Linear({width}, 1),   # the head: one output ...",
                  "nn.Sigmoid(),   # ... squashed to the probability of class 1, for BCELoss"]
    elif plan.loss == "mse":
        lines.append(f"nn.Linear({width}, 1),   # the head: the predicted y")
    else:
        lines.append(f"nn.Linear({width}, {out_units}),   # the head: one score (logit) per class, no softmax")
    if not exp.model.layers and plan.loss == "mse":
        lines = ["nn.Linear(1, 1),   # y = w * x + b: the seed's w and b, kept inside a layer"]
    layers = "\n".join(f"    {line}" for line in lines)
    o = exp.optim
    kind = OPTIMIZER_TABLE[o.name]
    args = [f"lr={_num(o.lr)}"]
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
    seeded = "the starting weights (and later dropout) draw" if _has(plan, "dropout") else "the starting weights draw"
    return _fill("""\
        # ── 2. Model, loss, optimizer ───────────────────────────────────────────────────────────
        torch.manual_seed(SEED)   # $seeded from this seed
        model = nn.Sequential(
        $layers
        )$zeros
        model = model.to(DEVICE)
        print(model)
        print(f"Parameters: {sum(p.numel() for p in model.parameters())}")

        criterion = $criterion
        ${decay}${fused}optimizer = torch.optim.$opt(model.parameters(), $args)""",
                 layers=layers, zeros=zeros, criterion=criterion, opt=kind.torch_class,
                 args=", ".join(args), decay=decay, fused=fused, seeded=seeded)


def _layer(layer: LayerSpec, width: int) -> tuple[str, int]:
    if layer.kind == "linear":
        return f"nn.Linear({width}, {layer.units}),", layer.units
    if layer.kind == "activation":
        return f"{_ACTIVATIONS[layer.fn]},", width
    if layer.kind == "dropout":
        return f"nn.Dropout({_num(layer.p)}),", width
    return f"nn.BatchNorm1d({width}),", width   # batchnorm; validate() allows no other kind
