"""A timeline's frames as a checkpoint file holds them, and back (trainer/checkpoint.py writes the rest).

The file is read with `torch.load(weights_only=True)`, so only tensors, dicts, lists, str, int, float,
bool and None go in. The frames are stored by columns: consecutive frames of one layout (every frame
of a run, as a rule) form a group, each array of the frame (a weight, a gradient, an optimizer moment,
a generator state) one tensor stacked over the group's frames, e.g. `state 0.weight` as [frames, 100, 2],
and the numbers that change (epoch, learning rate, ...) one JSON text with the layout. A thousand spiral
frames are then ~20 tensors, not 20,000: the weights-only unpickler takes ~0.1 ms per tensor, so that
file opened in ~2 s before and opens in a fraction of that now.

Reading back checks every part the app touches (each frame's weights against the model's shapes, the
generator states, the optimizer's layout), so a damaged or hostile file fails here with a ValueError
naming the part, not later in a view or a branch. Tuples come back as lists (Adam's `betas` is the only
tuple a frame holds; the optimizers take a list as well).
"""
from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

import numpy as np
import torch

from .frame import Frame
from .timeline import Timeline

RNG_KEYS = ("shuffle", "torch", "cuda")      # the generator states a frame may hold (recorder.py)
_RNG_NEEDED = ("shuffle", "torch")           # train(resume=...) sets these two
_MAX_DEPTH = 12                              # a frame's structure is 4 deep (optimizer.state.0.exp_avg)
# A path step: ("d", text key), ("i", number key: the optimizer's per-parameter state), ("l", list index).
# A leaf: an array (a column of `tensors`), "values" (a number, text, None... per frame), or an empty
# dict / list (kept so the structure comes back whole).
Path = tuple


def pack_timeline(timeline: Timeline) -> list[dict[str, Any]]:
    """The frames of `timeline` in epoch order, as column groups for torch.save."""
    groups: list[tuple[list, list[list]]] = []      # (layout, each frame's leaves)
    for frame in timeline.frames():
        leaves = list(_flatten(_frame_dict(frame), ()))
        layout = [(path, _signature(value)) for path, value in leaves]
        if groups and groups[-1][0] == layout:
            groups[-1][1].append([value for _, value in leaves])
        else:
            groups.append((layout, [[value for _, value in leaves]]))
    return [_pack_group(layout, frames) for layout, frames in groups]


def _frame_dict(frame: Frame) -> dict[str, Any]:
    return {"epoch": int(frame.epoch), "best_epoch": int(frame.best_epoch),
            "best_val_loss": float(frame.best_val_loss), "on_stride": bool(frame.on_stride),
            "state": frame.state, "grads": frame.grads, "optimizer": frame.optimizer,
            "scheduler": frame.scheduler, "rng": frame.rng}


def _flatten(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            kind = "d" if isinstance(key, str) else "i"
            if kind == "i" and not (isinstance(key, int) and not isinstance(key, bool)):
                raise TypeError(f"a frame's key {key!r} is neither text nor a number")
            yield from _flatten(item, (*path, (kind, key)))
    elif isinstance(value, (list, tuple)) and value:
        for i, item in enumerate(value):
            yield from _flatten(item, (*path, ("l", i)))
    elif isinstance(value, np.generic):
        yield path, value.item()
    else:
        yield path, value


def _signature(value: Any) -> tuple:
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape)
    if isinstance(value, (dict, list, tuple)):
        return ("dict",) if isinstance(value, dict) else ("list",)
    if value is None or isinstance(value, (str, bool, int, float)):
        return ("values",)
    raise TypeError(f"a frame holds a {type(value).__name__}")


def _pack_group(layout: list, frames: list[list]) -> dict[str, Any]:
    leaves, tensors = [], []
    for i, (path, signature) in enumerate(layout):
        leaf: dict[str, Any] = {"path": [list(step) for step in path], "kind": signature[0]}
        if signature[0] == "array":
            tensors.append(torch.from_numpy(np.stack([f[i] for f in frames])))
        elif signature[0] == "values":
            leaf["values"] = [f[i] for f in frames]
        leaves.append(leaf)
    return {"layout": json.dumps({"count": len(frames), "leaves": leaves}), "tensors": tensors}


def unpack_timeline(raw: Any, budget: int, model_state: Mapping[str, torch.Tensor],
                    parameters: set[str]) -> Timeline:
    """The Timeline of a file's frames; ValueError naming the frame and the part that is wrong.

    `model_state`: the model's state_dict (every frame's weights must have its keys, shapes and dtypes);
    `parameters`: the names of its parameters (the gradients' keys)."""
    if not isinstance(raw, list):
        raise ValueError("the frames are not a list of groups")
    expected = expected_state(model_state)
    timeline, previous, kept, n = Timeline(budget), -1, [], 0
    for g, group in enumerate(raw):
        for item in _unpack_group(group, f"group {g}"):
            frame = unpack_frame(item, expected, parameters, f"frame {n}")
            if frame.epoch <= previous:
                raise ValueError(f"frame {n}: epoch {frame.epoch} after epoch {previous} (not ascending)")
            previous, n = frame.epoch, n + 1
            kept.append(frame.epoch)
            timeline.add(frame)
    if timeline.epochs != kept:   # only a file written by hand keeps frames its own rule would drop
        raise ValueError(f"the frames kept ({_few(kept)}) are not what the timeline keeps "
                         f"({_few(timeline.epochs)})")
    return timeline


def _unpack_group(raw: Any, where: str) -> list[dict[str, Any]]:
    """The frame records of one column group, arrays as numpy (checked by unpack_frame)."""
    if not (isinstance(raw, dict) and isinstance(raw.get("layout"), str) and isinstance(raw.get("tensors"), list)):
        raise ValueError(f"{where} is not a layout and its tensors")
    try:
        layout = json.loads(raw["layout"])
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{where}: its layout is not JSON ({exc})") from None
    count = layout.get("count") if isinstance(layout, dict) else None
    if not (_is_int(count) and count > 0 and isinstance(layout.get("leaves"), list)):
        raise ValueError(f"{where}: its layout has no frame count or no leaves")
    columns, tensors = [], iter(raw["tensors"])
    for leaf in layout["leaves"]:
        if not isinstance(leaf, dict):
            raise ValueError(f"{where}: a leaf of its layout is not a record")
        path, kind = _path(leaf.get("path"), where), leaf.get("kind")
        if kind == "array":
            column = next(tensors, None)
            if not isinstance(column, torch.Tensor) or column.dim() == 0 or column.shape[0] != count:
                raise ValueError(f"{where}: the column of {_shown(path)} is not {count} arrays")
            arrays = _array(column, f"{where}: {_shown(path)}")
            columns.append((path, [arrays[j, ...] for j in range(count)]))   # 0-d ones stay arrays
        elif kind == "values":
            values = leaf.get("values")
            if not (isinstance(values, list) and len(values) == count
                    and all(v is None or isinstance(v, (str, bool, int, float)) for v in values)):
                raise ValueError(f"{where}: the values of {_shown(path)} are not {count} numbers or texts")
            columns.append((path, values))
        elif kind in ("dict", "list"):
            columns.append((path, [None] * count))    # made fresh per frame below
        else:
            raise ValueError(f"{where}: a leaf of kind {kind!r:.20}")
    if next(tensors, None) is not None:
        raise ValueError(f"{where}: more tensors than its layout names")
    kinds = {tuple(map(tuple, leaf["path"])): leaf["kind"] for leaf in layout["leaves"]}
    frames = []
    for j in range(count):
        record: dict[str, Any] = {}
        for path, values in columns:
            kind = kinds[path]
            _put(record, path, {} if kind == "dict" else [] if kind == "list" else values[j], where)
        frames.append(record)
    return frames


def _path(raw: Any, where: str) -> Path:
    if not (isinstance(raw, list) and 0 < len(raw) <= _MAX_DEPTH):
        raise ValueError(f"{where}: a path of its layout is not a list of steps")
    steps = []
    for step in raw:
        ok = isinstance(step, list) and len(step) == 2 and (
            (step[0] == "d" and isinstance(step[1], str))
            or (step[0] in ("i", "l") and _is_int(step[1]) and step[1] >= 0))
        if not ok:
            raise ValueError(f"{where}: a path step {step!r:.40} is not a key or an index")
        steps.append((step[0], step[1]))
    if steps[0][0] != "d":
        raise ValueError(f"{where}: a path does not start with a name")
    return tuple(steps)


def _put(root: dict, path: Path, value: Any, where: str) -> None:
    """Set `value` at `path` in `root`, making the dicts and lists on the way (lists grow in order)."""
    node: Any = root
    for i, (kind, key) in enumerate(path):
        last = i == len(path) - 1
        fresh = value if last else ([] if path[i + 1][0] == "l" else {})
        if kind == "l":
            if not isinstance(node, list) or key > len(node) or (last and key < len(node)):
                raise ValueError(f"{where}: {_shown(path)} is out of order or given twice")
            if key == len(node):
                node.append(fresh)
        else:
            if not isinstance(node, dict) or (last and key in node):
                raise ValueError(f"{where}: {_shown(path)} does not fit the others or is given twice")
            node.setdefault(key, fresh)
        if not last:
            node = node[key]
            if not isinstance(node, list if path[i + 1][0] == "l" else dict):
                raise ValueError(f"{where}: {_shown(path)} does not fit the others")


def _shown(path: Path) -> str:
    return ".".join(str(key) for _, key in path)[:80]


def unpack_frame(raw: Any, expected: Mapping[str, tuple[tuple[int, ...], np.dtype]], parameters: set[str],
                 where: str = "frame") -> Frame:
    """A Frame from a record of the file (arrays as numpy); ValueError naming what is wrong.

    `expected`: each weight's shape and dtype in the model; `parameters`: the names that have gradients."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is not a record")
    epoch, best = raw.get("epoch"), raw.get("best_epoch")
    if not (_is_int(epoch) and epoch >= 0):
        raise ValueError(f"{where}: its epoch {epoch!r:.40} is not a count")
    where = f"{where} (epoch {epoch})"
    if not (_is_int(best) and 0 <= best <= epoch):
        raise ValueError(f"{where}: its best epoch {best!r:.40} is not an epoch up to its own")
    loss = raw.get("best_val_loss")
    if not (isinstance(loss, (int, float)) and not isinstance(loss, bool)):
        raise ValueError(f"{where}: its best validation loss is not a number")
    if not isinstance(raw.get("on_stride"), bool):
        raise ValueError(f"{where}: on_stride is not true or false")
    state = _arrays(raw.get("state"), f"{where}: weights")
    if state.keys() != expected.keys():
        raise ValueError(f"{where}: its weights are not the model's "
                         f"({_few(sorted(state.keys() ^ expected.keys()))} differ)")
    for key, array in state.items():
        _same_shape(array, expected[key], f"{where}: weights {key}")
    grads = _arrays(raw.get("grads"), f"{where}: gradients")
    for key, array in grads.items():
        if key not in parameters:
            raise ValueError(f"{where}: a gradient for {key!r:.40}, which is no parameter of the model")
        _same_shape(array, expected[key], f"{where}: gradient {key}")
    rng = _arrays(raw.get("rng"), f"{where}: generator states")
    if not set(_RNG_NEEDED) <= rng.keys() <= set(RNG_KEYS):
        raise ValueError(f"{where}: generator states {sorted(rng)} (expected {', '.join(_RNG_NEEDED)})")
    if not all(a.dtype == np.uint8 and a.ndim == 1 for a in rng.values()):
        raise ValueError(f"{where}: a generator state is not a row of bytes")
    optimizer = _checked(raw.get("optimizer"), f"{where}: optimizer")
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("state"), dict)
            and isinstance(optimizer.get("param_groups"), list)
            and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in optimizer["param_groups"])):
        raise ValueError(f"{where}: the optimizer state is not torch's layout (state, param_groups)")
    scheduler = _checked(raw.get("scheduler"), f"{where}: scheduler")
    if scheduler is not None and not isinstance(scheduler, dict):
        raise ValueError(f"{where}: the scheduler state is not a record")
    return Frame(epoch=epoch, state=state, grads=grads, optimizer=optimizer, scheduler=scheduler, rng=rng,
                 best_epoch=best, best_val_loss=float(loss), on_stride=raw["on_stride"])


def expected_state(model_state: Mapping[str, torch.Tensor]) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each weight's shape and numpy dtype, as unpack_frame checks frames against them."""
    return {k: (tuple(t.shape), t.detach().cpu().numpy().dtype) for k, t in model_state.items()}


def _checked(value: Any, where: str, depth: int = 0) -> Any:
    """`value` when it holds only arrays, dicts, lists, text, numbers, bools and None; else ValueError."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where} is nested too deep")
    if isinstance(value, dict):
        for k, v in value.items():
            _checked(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _checked(v, f"{where}[{i}]", depth + 1)
    elif not (value is None or isinstance(value, (np.ndarray, str, bool, int, float))):
        raise ValueError(f"{where} holds a {type(value).__name__}")
    return value


def _arrays(value: Any, where: str) -> dict[str, np.ndarray]:
    if not (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, np.ndarray)
                                            for k, v in value.items())):
        raise ValueError(f"{where} are not named arrays")
    return value


def _array(value: torch.Tensor, where: str) -> np.ndarray:
    try:
        return value.detach().cpu().numpy()
    except (TypeError, RuntimeError) as exc:   # a dtype numpy has not (bfloat16), a sparse or meta tensor
        raise ValueError(f"{where}: {' '.join(str(exc).split())[:80]}") from None


def _same_shape(array: np.ndarray, expected: tuple[tuple[int, ...], np.dtype], where: str) -> None:
    shape, dtype = expected
    if tuple(array.shape) != shape or array.dtype != dtype:
        raise ValueError(f"{where} is {array.dtype}{list(array.shape)}, the model's {dtype}{list(shape)}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _few(items: list) -> str:
    shown = ", ".join(str(x) for x in items[:6])
    return shown + (f", ... ({len(items)} in all)" if len(items) > 6 else "")


def describe_epochs(epochs: list[int]) -> str:
    """Recorded epochs in few words: '0-299', '0-296 every 4, 297, 299', '3, 8, 11'."""
    pieces, i = [], 0
    while i < len(epochs):
        j = i + 1
        if j < len(epochs):
            step = epochs[j] - epochs[i]
            while j + 1 < len(epochs) and epochs[j + 1] - epochs[j] == step:
                j += 1
            if j - i >= 2 or step == 1:     # three or more evenly spaced (or two in a row): a range
                pieces.append(f"{epochs[i]}-{epochs[j]}" + (f" every {step}" if step > 1 else ""))
                i = j + 1
                continue
        pieces.append(str(epochs[i]))
        i += 1
    text = ", ".join(pieces[:8])
    return text + (f", ... ({len(epochs)} epochs)" if len(pieces) > 8 else "") if epochs else "none"


__all__ = ["RNG_KEYS", "describe_epochs", "expected_state", "pack_timeline", "unpack_frame", "unpack_timeline"]
