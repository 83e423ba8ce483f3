"""The network diagram's geometry, without Qt: its columns, and where each neuron goes.

`architecture` turns an experiment into the diagram's columns (input, hidden Linear layers,
output) and the layer list the summary shows; `grid` picks how many rows a wide layer wraps
into, so the diagram draws largest in the space there is; `place` gives each neuron's corner.
Sizes are scene units; `Grid.scale` turns them into view pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from trainer.config import Experiment, experiment_param_count, input_dim, n_classes, output_units, task_of

NODE = 34.0            # a neuron's side, scene units
CELL = 42.0            # node + gap
GAP = 110.0            # horizontal space between layers, where the lines run
# A wide layer wraps into a grid of this many rows; the choice that draws biggest in the widget wins,
# so 100 units become 10 x 10 in a wide tab and 20 x 5 in a narrow dock.
ROW_CHOICES = (8, 10, 12, 14, 16, 20, 25, 32, 40, 50, 64)
MAX_ZOOM = 1.6         # the diagram is never scaled up more than this (a 1-1 model stays small)


@dataclass(frozen=True)
class Layer:
    """One column of the diagram."""
    kind: str            # input | hidden | output
    units: int
    title: str
    activation: str = ""


def architecture(exp: Experiment) -> tuple[list[Layer], list[str], int]:
    """Columns (input, hidden Linear layers, output), the layer list as text, and the parameter count."""
    d_in = input_dim(exp.data)
    cols = [Layer("input", d_in, "input")]
    lines = [f"{d_in} inputs" + (" (28×28 pixels)" if d_in == 784 else "")]
    width = d_in
    hidden: list[Layer] = []
    for spec in exp.model.layers:
        if spec.kind == "linear":
            layer_params = (width + 1) * spec.units
            width = spec.units
            hidden.append(Layer("hidden", spec.units, f"{spec.units} neurons"))
            lines.append(f"Linear {spec.units}   ({layer_params:,} params)")
        elif spec.kind == "activation":
            if hidden and not hidden[-1].activation:
                hidden[-1] = Layer("hidden", hidden[-1].units, hidden[-1].title, spec.fn or "")
            lines.append(f"{spec.fn}")
        elif spec.kind == "dropout":
            lines.append(f"Dropout p={spec.p:g}")
        elif spec.kind == "batchnorm":
            lines.append("BatchNorm")
    out = output_units(exp)
    task = task_of(exp.data)
    head = {"regression": "1 output (y)", "binary": "1 output (sigmoid: p of class 1)"}.get(
        task, f"{out} outputs (softmax over {n_classes(exp.data)} classes)")
    lines.append(f"Linear {out}   ({(width + 1) * out:,} params) → {head}")
    cols += hidden
    cols.append(Layer("output", out, "output"))
    return cols, lines, experiment_param_count(exp)


@dataclass(frozen=True)
class Grid:
    """How the columns are laid out: wrapped after `rows` neurons, `width` x `height` in all."""
    rows: int
    width: float
    height: float
    scale: float         # view pixels per scene unit


def block_width(units: int, rows: int) -> float:
    """The width of a column of `units` neurons wrapped after `rows`."""
    return math.ceil(units / rows) * CELL - (CELL - NODE)


def grid(units: list[int], avail_w: float, avail_h: float) -> Grid:
    """The wrap that draws the neurons largest in avail_w x avail_h pixels (fewer rows on a tie)."""
    def size(rows: int) -> tuple[float, float]:
        blocks = [block_width(u, rows) for u in units]
        return sum(blocks) + GAP * (len(units) - 1), max(min(u, rows) for u in units) * CELL - (CELL - NODE)

    choices = sorted({min(r, max(units)) for r in ROW_CHOICES})
    rows = max(choices, key=lambda r: (min(avail_w / size(r)[0], avail_h / size(r)[1]), -r))
    width, height = size(rows)
    return Grid(rows, width, height, min(avail_w / width, avail_h / height, MAX_ZOOM))


def place(units: list[int], g: Grid) -> list[tuple[float, list[tuple[float, float]]]]:
    """Per column: the x of its centre and each neuron's top-left corner, columns centred vertically."""
    out = []
    x = 0.0
    for n in units:
        n_rows = min(n, g.rows)
        y0 = (g.height - (n_rows * CELL - (CELL - NODE))) / 2
        corners = []
        for u in range(n):
            sub, row = divmod(u, g.rows)
            corners.append((x + sub * CELL, y0 + row * CELL))
        block = block_width(n, g.rows)
        out.append((x + block / 2, corners))
        x += block + GAP
    return out


@dataclass(frozen=True)
class Block:
    """One row of a CNN's diagram: a stack of feature maps (an image) or a vector of numbers."""
    kind: str            # maps | vector
    shape: tuple[int, ...]   # (channels, height, width) or (units,)
    title: str           # "conv 3×3, pad 1 · ReLU"
    detail: str          # "16 maps 28×28 · 160 params"


ACTIVATION_WORDS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid",
                    "gelu": "GELU", "identity": "identity"}
_FOLDED = {"activation", "dropout", "batchnorm", "batchnorm2d"}   # drawn as words on the block before them


def cnn_blocks(exp: Experiment) -> list[Block]:
    """A CNN as rows: the input image, each convolution or pool as its stack of maps, then the vectors
    (flatten, linear layers, the output); activations, dropout and batch norms join the row above."""
    from trainer.shapes import layer_shapes
    from trainer.shape_walk import padding_of, stride_of
    c, h, w = 1, 28, 28
    rows: list[list] = [["maps", (c, h, w), "input", f"a {h}×{w} image", 0]]
    for s in layer_shapes(exp):
        spec = exp.model.layers[s.index] if s.kind != "head" else None
        if s.kind in _FOLDED:
            if s.kind == "activation":
                word = ACTIVATION_WORDS.get(spec.fn or "", spec.fn or "")
            else:
                word = f"dropout {spec.p:g}" if s.kind == "dropout" else "batch norm"
            rows[-1][2] += f" · {word}"
            rows[-1][4] += s.params
            continue
        if s.kind in ("conv2d", "maxpool2d", "avgpool2d"):
            k, st, pad = spec.kernel, stride_of(spec), padding_of(spec)
            name = {"conv2d": "conv", "maxpool2d": "max-pool", "avgpool2d": "average-pool"}[s.kind]
            extra = (f", stride {st}" if st != (1 if s.kind == "conv2d" else k) else "") + (f", pad {pad}" if pad else "")
            rows.append(["maps", s.out_shape, f"{name} {k}×{k}{extra}", "", s.params])
        else:
            name = {"flatten": "flatten", "linear": "linear", "head": "output"}.get(s.kind, s.kind)
            detail = f"{s.out_shape[0]} scores, one per class" if s.kind == "head" else ""
            rows.append(["vector", s.out_shape, name, detail, s.params])
    blocks = []
    for kind, shape, title, detail, params in rows:
        if not detail:
            detail = (f"{shape[0]} map{'s' if shape[0] != 1 else ''} {shape[1]}×{shape[2]}" if kind == "maps"
                      else f"{shape[0]:,} numbers")
        if params:
            detail += f" · {params:,} params"
        blocks.append(Block(kind, tuple(shape), title, detail))
    return blocks


__all__ = ["NODE", "CELL", "GAP", "ROW_CHOICES", "MAX_ZOOM", "Layer", "architecture", "Grid", "block_width",
           "grid", "place", "Block", "cnn_blocks"]
