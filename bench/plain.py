"""The seed's plain PyTorch loops, written out as a learner would, to measure the app against.

Each function trains for `epochs` epochs (no early stop: the bookkeeping is kept,
since the seed's loop pays for it) and returns (epochs run, seconds). `budget_s`
ends a run early after that many seconds, so a loop that is very slow on a busy
machine still finishes in bench time (its rate is taken over the epochs it ran).
`device` is where the learner would put model and tensors (`.to(device)`), so on
a CUDA machine the plain loop and the app train on the same device.

A learner runs these in their own `python script.py`, with torch's defaults; the
app tunes its process (trainer/__init__.py). So `python -m bench.plain --serve`
runs them in a separate interpreter started with the environment the benchmark
itself was started with, answering one request per line on stdin.

`python -m bench.plain --serve --tuned` is the control for the framework's own overhead: the
same loops, given everything the app tunes that a script could copy. trainer/__init__.py runs
first, before torch and numpy load (its OpenMP / OpenBLAS environment variables), the intra-op
thread rule of trainer.config.ONE_THREAD_BELOW applies, and Adam takes the fused step wherever
trainer.models.fused_ok says the app does. What stays plain: model.train()/eval() walks, the
dropout drawn per step, the seed's bookkeeping.
"""
from __future__ import annotations

import json
import sys
import time

TUNED = __name__ == "__main__" and "--tuned" in sys.argv[1:]
if TUNED:   # before torch and numpy load: the variables are read once, when their libraries start
    import trainer  # noqa: F401

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn, optim  # noqa: E402

from trainer.config import ONE_THREAD_BELOW, Experiment  # noqa: E402
from trainer.data import Splits  # noqa: E402
from trainer.models import fused_ok  # noqa: E402
from trainer.shapes import experiment_work, layer_shapes  # noqa: E402


def _tensors(s: Splits, device: str = "cpu"):
    f = lambda a: torch.tensor(a, dtype=torch.float32).to(device)
    l = lambda a: torch.tensor(a, dtype=torch.long).to(device)
    return f(s.x_train), l(s.y_train), f(s.x_val), l(s.y_val)


def _adam(model: nn.Module, tuned: bool, rows: int, work: int = 0, **kwargs) -> optim.Adam:
    """The seed's `optim.Adam(...)`; tuned: the app's thread rule for this model and batch, and its
    fused step (the thread count is restored by `serve` after the run). `work`: the size the rule
    weighs (trainer.shapes.experiment_work) where it is not the parameter count, as for a CNN."""
    params = list(model.parameters())
    if not tuned:
        return optim.Adam(params, **kwargs)
    if params[0].device.type == "cpu" and (work or sum(p.numel() for p in params)) * rows < ONE_THREAD_BELOW:
        torch.set_num_threads(1)
    return optim.Adam(params, fused=fused_ok("adam", params) or None, **kwargs)


def spiral(splits: Splits, epochs: int, device: str = "cpu", budget_s: float = 0.0,
           tuned: bool = False) -> tuple[int, float]:
    """Mini-project B, phase 3: full batch, Adam + weight decay, validation and best-state every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits, device)
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Dropout(0.2), nn.Linear(100, 3)).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = _adam(model, tuned, len(X_train), lr=0.01, weight_decay=0.005)
    train_losses, val_losses = [], []
    best_val_loss, best_epoch, best_state = float("inf"), 0, None
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        outputs = model(X_train)
        loss = criterion(outputs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        train_losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val)
            val_losses.append(val_loss.item())
        if val_loss.item() < best_val_loss:
            best_val_loss = val_loss.item()
            best_epoch = epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if budget_s and time.perf_counter() - start > budget_s:
            return epoch + 1, time.perf_counter() - start
    return epochs, time.perf_counter() - start


def _mnist_model() -> nn.Module:
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def mnist5k(splits: Splits, epochs: int, device: str = "cpu", budget_s: float = 0.0,
            tuned: bool = False) -> tuple[int, float]:
    """Mini-project C, phase 3: full batch on 5,000 images, train and val accuracy every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits, device)
    torch.manual_seed(42)
    model = _mnist_model().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = _adam(model, tuned, len(X_train), lr=0.001, weight_decay=1e-4)
    best_val_loss, best_state = float("inf"), None
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        outputs = model(X_train)
        loss = criterion(outputs, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            train_acc = (torch.argmax(outputs, dim=1) == y_train).float().mean().item() * 100
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val)
            val_acc = (torch.argmax(val_out, dim=1) == y_val).float().mean().item() * 100
        if val_loss.item() < best_val_loss:
            best_val_loss = val_loss.item()
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        if budget_s and time.perf_counter() - start > budget_s:
            return epoch + 1, time.perf_counter() - start
    return epochs, time.perf_counter() - start


def mnist60k(splits: Splits, epochs: int, batch_size: int = 128, device: str = "cpu",
             budget_s: float = 0.0, tuned: bool = False) -> tuple[float, float]:
    """The same MLP on the full training set in shuffled mini-batches, validated every epoch."""
    X_train, y_train, X_val, y_val = _tensors(splits, device)
    torch.manual_seed(42)
    model = _mnist_model().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = _adam(model, tuned, batch_size, lr=0.001)
    n = len(X_train)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, device=device)
        running = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            outputs = model(X_train[idx])
            loss = criterion(outputs, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
            if budget_s and time.perf_counter() - start > budget_s:   # a fraction of an epoch
                return epoch + (i + len(idx)) / n, time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            val_out = model(X_val)
            val_loss = criterion(val_out, y_val).item()
            val_acc = (torch.argmax(val_out, dim=1) == y_val).float().mean().item() * 100
        if budget_s and time.perf_counter() - start > budget_s:
            return epoch + 1, time.perf_counter() - start
    return epochs, time.perf_counter() - start


def cnn_model(exp: Experiment) -> nn.Module:
    """The preset's CNN as a learner writes it out (two conv blocks, a hidden layer, dropout), its sizes
    read from the preset: conv -> ReLU -> 2x2 max pool, twice, then flatten -> linear -> ReLU -> dropout."""
    convs = [l for l in exp.model.layers if l.kind == "conv2d"]
    hidden = next(l for l in exp.model.layers if l.kind == "linear")
    drop = next(l for l in exp.model.layers if l.kind == "dropout")
    pool = next(l for l in exp.model.layers if l.kind == "maxpool2d").kernel
    flat = next(s.out_shape[0] for s in layer_shapes(exp) if s.kind == "flatten")   # 32 x 7 x 7
    c1, c2 = convs
    return nn.Sequential(
        nn.Conv2d(1, c1.channels, c1.kernel, padding=c1.padding), nn.ReLU(), nn.MaxPool2d(pool),
        nn.Conv2d(c1.channels, c2.channels, c2.kernel, padding=c2.padding), nn.ReLU(), nn.MaxPool2d(pool),
        nn.Flatten(), nn.Linear(flat, hidden.units), nn.ReLU(), nn.Dropout(drop.p),
        nn.Linear(hidden.units, 10))


def mnist_cnn(splits: Splits, epochs: int, device: str = "cpu", budget_s: float = 0.0, tuned: bool = False,
              exp: Experiment | None = None) -> tuple[float, float]:
    """mnist60k's loop for the preset's CNN: each batch viewed as 1x28x28 images (`x.view(-1, 1, 28, 28)`).

    Tuned: also channels-last, as trainer.models.build_model converts every CNN, and the thread rule
    weighs the multiply-adds (trainer.shapes.experiment_work), as trainer.loop does."""
    assert exp is not None, "mnist_cnn reads its network and batch size from the preset"
    X_train, y_train, X_val, y_val = _tensors(splits, device)
    torch.manual_seed(42)
    model = cnn_model(exp).to(device)
    view = lambda x: x.view(-1, 1, 28, 28)
    if tuned:
        model = model.to(memory_format=torch.channels_last)
        # The view stays NCHW-strided; the first convolution then writes its output channels-last.
    criterion = nn.CrossEntropyLoss()
    batch_size = exp.train.batch_size
    optimizer = _adam(model, tuned, batch_size, work=experiment_work(exp), lr=exp.optim.lr)
    n = len(X_train)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, device=device)
        running = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            outputs = model(view(X_train[idx]))
            loss = criterion(outputs, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
            if budget_s and time.perf_counter() - start > budget_s:   # a fraction of an epoch
                return epoch + (i + len(idx)) / n, time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            val_out = model(view(X_val))
            val_loss = criterion(val_out, y_val).item()
            val_acc = (torch.argmax(val_out, dim=1) == y_val).float().mean().item() * 100
    return epochs, time.perf_counter() - start


LOOPS = {"spiral": spiral, "mnist5k": mnist5k, "mnist60k": mnist60k, "mnist-cnn": mnist_cnn}
PRESET_LOOPS = ("mnist-cnn",)   # loops that read their network and batch size from the preset


def serve(tuned: bool = False) -> None:
    """Answer 'WORKLOAD PRESET EPOCHS BUDGET_S DEVICE' lines with {"epochs": n, "seconds": s, "threads": t}."""
    from trainer.data import load
    from trainer.presets import load_preset
    cache: dict[str, Splits] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        workload, preset, epochs, budget, device = line.split()
        if preset not in cache:
            cache.clear()   # one data set at a time: 55,000 MNIST images are 170 MB
            cache[preset] = load(load_preset(preset).data)
        before = torch.get_num_threads()
        extra = {"exp": load_preset(preset)} if workload in PRESET_LOOPS else {}
        try:
            done, seconds = LOOPS[workload](cache[preset], int(epochs), device=device, budget_s=float(budget),
                                            tuned=tuned, **extra)
            threads = torch.get_num_threads()   # what the run trained with
        finally:
            torch.set_num_threads(before)
        print(json.dumps({"epochs": done, "seconds": seconds, "threads": threads}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    serve(tuned=TUNED)
