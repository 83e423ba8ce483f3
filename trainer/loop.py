"""The one training loop: `train(experiment, control)` yields events as the model learns.

It is the seed's loop (forward, loss, zero_grad, backward, step; model.train()
for the step, model.eval() + no_grad() to validate; early stopping on the
validation loss with the best weights restored), made observable and
controllable. The GUI, the command line, the benchmarks and the tests all
iterate this generator.
"""
from __future__ import annotations

import math
import queue
import threading
import time
import weakref
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch
from torch import nn

from . import metrics
from .config import ONE_THREAD_BELOW, Experiment, resolved_loss
from .control import Control
from .data import Splits, load
from .events import (BatchProgress, DataProgress, Diverged, EpochEnd, Event, Finished, Keyframe, NewBest,
                     Snapshot, Started, Stopped, WEIGHTS_MAX_PARAMS)
from .dropout import prefetch_masks
from .feature_maps import conv_layers, image_state
from .mistakes import mistake
from .models import build_loss, build_model, build_optimizer, linear_layers, param_count
from .pacing import HEADLESS, Pacing
from .plane import Plane, diagram_weights, extent_of
from .shapes import experiment_work
from .timeline.branching import branch_problem
from .timeline.optimizer_state import restore_optimizer
from .timeline.frame import Resume
from .timeline.tensors import to_torch
from .timeline.recorder import Recorder, as_uint8


class TrainingError(RuntimeError):
    """Training cannot go on for a reason the user can act on; the message says which."""


OUT_OF_MEMORY = "the GPU ran out of memory; choose a smaller batch size or train.device=cpu"


def pick_device(requested: str) -> torch.device:
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError("train.device: CUDA was asked for, but no CUDA device is available")
        return torch.device("cuda")
    if requested == "auto" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def train(experiment: Experiment, control: Control | None = None, pacing: Pacing = HEADLESS,
          allow_download: bool = True, record: int = 0, resume: Resume | None = None) -> Iterator[Event]:
    """Run one experiment, yielding DataProgress..., Started, EpochEnd... and Finished last.

    A run stopped while its data loads ends without Started or Finished; one that fails raises.
    `pacing` says how often pictures are taken; `allow_download` lets MNIST be fetched when missing.
    `record`: a memory budget in bytes for the run's timeline (Keyframe events; 0: none).
    `resume`: train on from a recorded epoch of another run (a branch): its history comes first.
    """
    control = control or Control()
    if resume is not None and (problem := branch_problem(resume.experiment, experiment)) is not None:
        raise problem
    splits = yield from _load_with_progress(experiment, allow_download)
    if control.stopped:
        return
    device = pick_device(experiment.train.device)
    try:
        with threads_for(experiment, splits, device):
            yield from _Run(experiment, splits, device, control, pacing, record, resume).events()
    except torch.cuda.OutOfMemoryError:
        # Anywhere: moving the data on, a step, the validation pass, a boundary grid.
        raise TrainingError(OUT_OF_MEMORY) from None


def _load_with_progress(experiment: Experiment, allow_download: bool) -> Iterator[Event]:
    """Load the data on a helper thread so progress can be yielded while it works."""
    if experiment.data.name != "mnist":
        return load(experiment.data, allow_download=allow_download)
    messages: queue.Queue = queue.Queue()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["splits"] = load(experiment.data, progress=lambda *a: messages.put(DataProgress(*a)),
                                    allow_download=allow_download)
        except BaseException as exc:  # re-raised on the consumer's thread below
            result["error"] = exc
        finally:
            messages.put(None)

    threading.Thread(target=work, name="np-data-load", daemon=True).start()
    while (msg := messages.get()) is not None:
        yield msg
    if "error" in result:
        raise result["error"]
    return result["splits"]


@contextmanager
def threads_for(experiment: Experiment, splits: Splits, device: torch.device):
    """One intra-op thread for tiny models: thread hand-offs cost more than they save there. (The window
    draws a recorded epoch under the same rule: its float sums then are the run's, bit for bit.)"""
    before = torch.get_num_threads()
    model_size = experiment_work(experiment) if device.type == "cpu" else 0
    rows = experiment.train.batch_size or len(splits.x_train)
    if device.type == "cpu" and model_size * rows < ONE_THREAD_BELOW:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Run:
    """The state of one run; `events()` is the loop itself."""

    def __init__(self, exp: Experiment, splits: Splits, device: torch.device, control: Control,
                 pacing: Pacing, record: int = 0, resume: Resume | None = None):
        self.exp, self.splits, self.device, self.control, self.pacing = exp, splits, device, control, pacing
        self.start = resume.start_epoch if resume is not None else 0
        self.task = splits.task
        # How outputs and labels look follows the loss, not the dataset: two classes may be trained
        # as one sigmoid column (BCE, as the seed) or as two logits (cross-entropy).
        self.head = resolved_loss(exp)
        self.mistake = mistake(exp.train.mistake)   # "none" for the right loop
        torch.manual_seed(exp.train.seed)
        self.model = build_model(exp).to(device)
        if resume is not None:
            self._resume_model(resume)
        n_train = len(splits.x_train)
        self.batch = exp.train.batch_size if 0 < exp.train.batch_size < n_train else n_train
        self.n_batches = math.ceil(n_train / self.batch)
        # Right after the model's initial weights: from here on only dropout draws from torch's generator.
        # Validating in training mode (a mistake) draws masks the plan does not know: nn.Dropout draws them.
        self.masks = prefetch_masks(self.model, splits.input_dim,
                                    [min(self.batch, n_train - b * self.batch) for b in range(self.n_batches)],
                                    exp.train.epochs - self.start) if device.type == "cpu" and self.mistake.validate_in_eval else None
        self.criterion = build_loss(exp)
        self.optimizer = build_optimizer(exp, self.model.parameters())
        # The mistakes change what the loop calls, chosen here once: none costs anything per batch.
        self.zero_grad = self.optimizer.zero_grad if self.mistake.zero_grad else _skipped
        if self.mistake.lr_factor != 1.0:
            for group in self.optimizer.param_groups:
                group["lr"] = exp.optim.lr * self.mistake.lr_factor
        # After the lr above, which it takes as its start; the exported script builds the same scheduler.
        self.scheduler = self._scheduler() if resume is None else restore_optimizer(
            self.optimizer, resume, exp, exp.optim.lr * self.mistake.lr_factor, self._scheduler)
        self.shuffle = torch.Generator().manual_seed(exp.train.seed)
        if resume is not None:
            self.shuffle.set_state(as_uint8(resume.frame.rng["shuffle"]))
        self.x_train, self.y_train = self._tensors(splits.x_train, splits.y_train)
        self.x_val, self.y_val = self._tensors(splits.x_val, splits.y_val)
        self.x_test, self.y_test = self._tensors(splits.x_test, splits.y_test)
        self.history: list[dict[str, Any]] = [] if resume is None else [dict(r) for r in resume.history]
        self.best_val_loss = math.inf if resume is None else resume.frame.best_val_loss
        self.best_epoch = 0 if resume is None else resume.frame.best_epoch
        self.best_state: dict[str, torch.Tensor] | None = None
        if resume is not None:
            best = resume.best_state or (resume.frame.state if resume.frame.best_epoch == resume.frame.epoch else {})
            self.best_state = {k: v.to(device) for k, v in to_torch(best).items()} or None
        # Every parameter and buffer (BatchNorm's running stats too): a NaN batch poisons both.
        self.modules = list(self.model.modules())
        self.small = param_count(self.model) <= WEIGHTS_MAX_PARAMS   # small enough to diagram
        self.has_convs = bool(conv_layers(self.model))   # a CNN: snapshots carry its kernels (live maps)
        self.live_state = list(self.model.state_dict().values())
        self.last_good = [t.detach().clone() for t in self.live_state]
        self.float_state = [t for t in self.live_state if t.is_floating_point()]
        # BCELoss raises on NaN inputs (a device assert on CUDA), so binary runs check outputs first.
        self.check_outputs = isinstance(self.criterion, nn.BCELoss)
        if self.mistake.softmax_first:
            self.criterion = _softmax_first(self.criterion)
        self.plane = Plane(extent_of(splits), device) if splits.input_dim <= 2 else None
        # Forgetting torch.no_grad(): each validation loss is kept with the graph it holds, as a learner's
        # history list would keep it; `graph_memory` counts what those graphs hold.
        self.kept_val_losses: list[torch.Tensor] | None = None
        self.graph_memory: GraphMemory | None = None
        if not self.mistake.validate_no_grad:
            self.kept_val_losses = []
            self.graph_memory = GraphMemory([*self.model.parameters(), *self.model.buffers(), self.x_val,
                                             self.y_val])
        # A branch's epochs go on counting seconds from where its parent's history ends.
        self.t0 = time.perf_counter() - (self.history[-1]["seconds"] if self.history else 0.0)
        self.recorder = Recorder(record, exp.train.epochs, self.model, self.optimizer, self.scheduler,
                                 self.shuffle, self._rng_before, shuffles=self.n_batches > 1) if record > 0 else None
        self.last_snapshot = self.last_diagram = -math.inf
        self.diagram_epoch = -1   # the epoch whose weights were last sent

    def _resume_model(self, resume: Resume) -> None:
        """The parent's weights at the frame, and torch's generator where it was (dropout draws from it)."""
        try:
            self.model.load_state_dict({k: v.to(self.device) for k, v in to_torch(resume.frame.state).items()})
        except RuntimeError as exc:
            raise TrainingError(f"the recorded weights do not fit this model ({' '.join(str(exc).split())[:200]})") \
                from None
        torch.set_rng_state(as_uint8(resume.frame.rng["torch"]))
        if "cuda" in resume.frame.rng and self.device.type == "cuda":
            torch.cuda.set_rng_state(as_uint8(resume.frame.rng["cuda"]))

    def _scheduler(self):
        return (torch.optim.lr_scheduler.ExponentialLR(self.optimizer, self.exp.optim.lr_decay)
                if self.exp.optim.lr_decay != 1.0 else None)

    def _rng_before(self, epoch: int) -> torch.Tensor:
        """torch's generator state as `epoch` begins (the dropout helper may have drawn further)."""
        if self.masks is not None:
            return self.masks.rng_before(epoch - self.start)
        return torch.get_rng_state()

    def _tensors(self, x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        if self.head == "cross_entropy":
            yt = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(self.device)
        else:  # BCELoss and MSELoss compare against a (N, 1) float column
            yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1)).to(self.device)
        return xt, yt

    # -- the loop ------------------------------------------------------------------
    def events(self) -> Iterator[Event]:
        if self.masks is None:
            yield from self._events()
            return
        self.masks.start()
        try:
            yield from self._events()
        finally:
            self.masks.close()

    def _events(self) -> Iterator[Event]:
        t = self.exp.train
        batch, n_batches = self.batch, self.n_batches
        params = param_count(self.model)
        yield Started(self.task, self.splits.input_dim, self.splits.n_classes, *self.splits.sizes,
                      params=params, device=str(self.device), epochs=t.epochs, batches_per_epoch=n_batches,
                      start_epoch=self.start)
        reason = "completed"
        epochs = range(self.start, t.epochs)
        if t.patience and self.start and self.start - 1 - self.best_epoch >= t.patience:
            epochs, reason = range(0), "early_stopped"   # the parent stopped here: so does its copy
        for epoch in epochs:
            result = yield from self._train_epoch(epoch, batch, n_batches)
            if result is None:
                yield Stopped(epoch)
                reason = "stopped"
                break
            if self.scheduler is not None:
                self.scheduler.step()   # lr *= lr_decay for the next epoch
            train_loss, val_loss, train_acc, val_acc, finite = self._epoch_figures(
                result, self._evaluate(self.x_val, self.y_val))
            if not finite:
                self._restore_last_good()
                yield Diverged(epoch, train_loss if not math.isfinite(train_loss) else val_loss)
                reason = "diverged"
                break
            self._keep_last_good()
            record = EpochEnd(epoch, train_loss, val_loss, train_acc, val_acc, time.perf_counter() - self.t0,
                              None if self.graph_memory is None else self.graph_memory.bytes)
            self.history.append(record.as_record())
            yield record
            if val_loss < self.best_val_loss:
                self.best_val_loss, self.best_epoch = val_loss, epoch
                self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                yield NewBest(epoch, val_loss)
            if self.recorder is not None and (frame := self.recorder.take(epoch, self.best_epoch,
                                                                           self.best_val_loss)) is not None:
                yield Keyframe(frame)
            now = time.perf_counter()
            if self.pacing.snapshot_every_s > 0 and now - self.last_snapshot >= self.pacing.snapshot_every_s:
                yield self._snapshot(epoch, diagram=now - self.last_diagram >= self.pacing.diagram_every_s)
            self.control.epoch_done()
            if t.patience and epoch - self.best_epoch >= t.patience:
                reason = "early_stopped"
                break
        yield from self._finish(reason, len(self.history))

    def _train_epoch(self, epoch: int, batch: int, n_batches: int):
        """One pass over the training data, or None when told to stop.

        Returns (loss tensor, correct-count tensor, what the loss is divided by for the epoch's mean),
        left on the device: `_epoch_figures` reads them back in one go.
        """
        model, criterion, optimizer, zero_grad = self.model, self.criterion, self.optimizer, self.zero_grad
        self._mode(training=True)
        n = len(self.x_train)
        if n_batches == 1:
            yield from self._before_pause()
            if self.control.wait():
                return None
            outputs = model(self.x_train)
            if self.check_outputs and not torch.isfinite(outputs).all():
                return self._nan(), self._nan(), 1
            loss = criterion(outputs, self.y_train)
            zero_grad()
            loss.backward()
            optimizer.step()
            return loss.detach(), self._correct(outputs, self.y_train), 1
        order = torch.randperm(n, generator=self.shuffle).to(self.device)
        total_loss = torch.zeros((), device=self.device)
        total_correct = torch.zeros((), device=self.device)   # float: BCE's counts are floats
        last_report = time.perf_counter()
        for b in range(n_batches):
            yield from self._before_pause()
            if self.control.wait():
                return None
            idx = order[b * batch:(b + 1) * batch]
            xb, yb = self.x_train[idx], self.y_train[idx]
            outputs = model(xb)
            if self.check_outputs and not torch.isfinite(outputs).all():
                return self._nan(), self._nan(), 1   # the epoch ends here; the caller reports Diverged
            loss = criterion(outputs, yb)
            zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                total_loss += loss.detach() * len(idx)
                if self.task != "regression":
                    total_correct += self._correct(outputs, yb)
            now = time.perf_counter()
            if now - last_report >= self.pacing.progress_every_s:
                last_report = now
                yield BatchProgress(epoch, b + 1, n_batches)
                if self.has_convs and self.pacing.snapshot_every_s > 0 \
                        and now - self.last_diagram >= self.pacing.diagram_every_s:
                    # the first layers' kernels form within an epoch: the window redraws its maps meanwhile
                    self.last_diagram = now
                    yield Snapshot(epoch, image_state=image_state(model))
        return total_loss, total_correct, n

    def _correct(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """How many rows the outputs classify right, as a tensor (no autograd, no sync)."""
        outputs = outputs.detach()
        if self.head == "cross_entropy":
            return outputs.argmax(dim=1).eq_(y).sum()
        if self.head == "bce":
            return outputs.gt(0.5).float().eq_(y).sum()
        return torch.zeros((), dtype=torch.long, device=outputs.device)

    def _mode(self, training: bool) -> None:
        """model.train() / model.eval() for the modules this loop builds (nn.Sequential of torch's own).

        Module.train() walks the tree through Module.__setattr__: ~25 us a call, twice an epoch, 4% of
        a spiral epoch. Setting each module's `training` attribute directly is the same assignment.
        """
        for module in self.modules:
            module.__dict__["training"] = training

    def _nan(self) -> torch.Tensor:
        return torch.full((), math.nan, device=self.device)

    def _evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, correct count) on a held-out set, as tensors; NaN outputs give a NaN loss."""
        self._mode(training=not self.mistake.validate_in_eval)
        if self.kept_val_losses is not None:
            return self._evaluate_recording(x, y)
        with torch.no_grad():
            outputs = self.model(x)
            if self.check_outputs and not torch.isfinite(outputs).all():
                return self._nan(), self._nan()   # BCELoss refuses NaN, the other losses pass it on
            return self.criterion(outputs, y), self._correct(outputs, y)

    def _evaluate_recording(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Validation as a learner who forgot torch.no_grad() writes it: autograd records the pass, and
        the loss, kept in a history list, keeps the graph (and the activations it saved) alive."""
        with torch.autograd.graph.saved_tensors_hooks(self.graph_memory.pack, _unpack):
            outputs = self.model(x)
            if self.check_outputs and not torch.isfinite(outputs).all():
                return self._nan(), self._nan()
            loss = self.criterion(outputs, y)
        self.kept_val_losses.append(loss)
        return loss.detach(), self._correct(outputs, y)

    def _epoch_figures(self, train: tuple[torch.Tensor, torch.Tensor, int],
                       val: tuple[torch.Tensor, torch.Tensor]) -> tuple[float, float, float | None,
                                                                           float | None, bool]:
        """(train loss, val loss, train %, val %, all finite), read back from the device at once.

        A finite validation loss does not prove finite weights (ReLU turns a -inf pre-activation
        into 0), so every parameter and buffer is checked too: its largest |value| is finite.
        """
        train_loss, train_correct, divisor = train
        val_loss, val_correct = val
        largest = torch._foreach_norm(self.float_state, math.inf)   # state_dict tensors need no autograd
        values = _read_back([train_loss, val_loss, train_correct, val_correct, *largest])
        finite = all(math.isfinite(v) for i, v in enumerate(values) if i not in (2, 3))
        train_mean = values[0] / divisor   # in Python, as `loss.item() / n` would be
        if self.task == "regression" or not finite:
            return train_mean, values[1], None, None, finite
        return (train_mean, values[1], values[2] / len(self.x_train) * 100.0,
                values[3] / len(self.x_val) * 100.0, finite)

    # -- weights kept aside ---------------------------------------------------------
    # state_dict() gives detached tensors sharing the parameters' storage: no autograd to switch off.
    def _keep_last_good(self) -> None:
        torch._foreach_copy_(self.last_good, self.live_state)

    def _restore_last_good(self) -> None:
        torch._foreach_copy_(self.live_state, self.last_good)

    # -- what the outside sees ------------------------------------------------------
    def _snapshot(self, epoch: int, diagram: bool = True) -> Snapshot:
        """The pictures at `epoch`; `diagram` adds the weights and neuron maps (when the model is small)."""
        self.last_snapshot = time.perf_counter()
        if diagram:
            self.last_diagram, self.diagram_epoch = self.last_snapshot, epoch
        self._mode(training=False)
        diagram = diagram and self.small
        if self.plane is None:   # more than two inputs: nothing to draw over a plane
            return Snapshot(epoch, weights=diagram_weights(self.model) if diagram else (),
                            image_state=image_state(self.model) if self.has_convs else ())
        return self.plane.snapshot(self.model, epoch, self.head, self.splits.input_dim, diagram)

    def _before_pause(self) -> Iterator[Snapshot]:
        """A run about to wait on a pause (or after a Step) shows its current weights first: the
        live snapshots leave them out most of the time, and a learner studies a paused diagram."""
        last = len(self.history) - 1
        if self.control.paused and self.pacing.snapshot_every_s > 0 and last >= 0 and self.diagram_epoch != last:
            yield self._snapshot(last)
            self._mode(training=True)

    def _finish(self, reason: str, epochs_run: int) -> Iterator[Event]:
        if self.recorder is not None and (last := self.recorder.last()) is not None:
            yield Keyframe(last)
        if self.exp.train.restore_best and self.best_state is not None and reason != "diverged":
            self.model.load_state_dict(self.best_state)
        self.model.eval()
        metrics_ = self.test_metrics()
        if self.plane is not None:
            yield self._snapshot(max(epochs_run - 1, 0))
        state = {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}
        extra: dict[str, Any] = {"norm": list(self.splits.norm)}
        if self.task == "regression" and len(self.exp.model.layers) == 0:
            lin = linear_layers(self.model)[0]
            extra.update(w=float(lin.weight.item()), b=float(lin.bias.item()))
        yield Finished(reason=reason, epochs_run=epochs_run, best_epoch=self.best_epoch,
                       best_val_loss=self.best_val_loss, history=self.history, metrics=metrics_, state=state,
                       params=param_count(self.model), device=str(self.device),
                       seconds=time.perf_counter() - self.t0, extra=extra)

    def test_metrics(self) -> dict[str, Any]:
        with torch.no_grad():
            outputs = self.model(self.x_test)
            loss = self.criterion(outputs, self.y_test).item() if torch.isfinite(outputs).all() else math.nan
        out: dict[str, Any] = {"test_loss": loss, "n_test": len(self.x_test)}
        if self.task == "regression":
            out["test_mse"] = loss
            out.update(metrics.regression(outputs[:, 0].cpu().numpy(), self.splits.y_test, self.splits.target_scale))
            return out
        probs = _probabilities(outputs, self.head).cpu().numpy()
        pred = probs.argmax(axis=1)
        true = self.splits.y_test
        out["test_accuracy"] = metrics.accuracy(pred, true)
        out["confusion"] = metrics.confusion_matrix(true, pred, self.splits.n_classes)
        out["predictions"] = pred
        out["confidence"] = probs.max(axis=1)
        out["probabilities"] = probs
        return out


def _skipped() -> None:
    """optimizer.zero_grad() as a learner who forgot it calls it: not at all."""


def _softmax_first(criterion: nn.Module):
    """CrossEntropyLoss on softmax(logits): what a model ending in nn.Softmax(dim=1) gives it."""
    def loss(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return criterion(torch.softmax(outputs, dim=1), target)
    return loss


def _unpack(saved: torch.Tensor) -> torch.Tensor:
    return saved


class GraphMemory:
    """Bytes of the tensors autograd graphs still hold for a backward (the ones saved while recording),
    other than the model's and the data's own, which live anyway.

    Counted as they are saved and uncounted as they are freed (a finalizer on each), so the figure is
    what is alive: it drops back to 0 when the graphs holding them go."""

    def __init__(self, own: list[torch.Tensor]):
        self._own = {t.untyped_storage().data_ptr() for t in own}
        self._alive: dict[int, list[int]] = {}   # storage address -> [saved tensors alive on it, its bytes]
        self.bytes = 0

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        # Saved as a detached alias (the same memory): a saved output kept with its grad_fn would hold
        # its own node, a cycle through C++ that Python's collector never frees.
        saved = t.detach()
        storage = saved.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in self._own:
            entry = self._alive.get(ptr)
            if entry is None:
                entry = self._alive[ptr] = [0, storage.nbytes()]
                self.bytes += entry[1]
            entry[0] += 1
            weakref.finalize(saved, self._freed, ptr)
        return saved

    def _freed(self, ptr: int) -> None:
        entry = self._alive[ptr]
        entry[0] -= 1
        if entry[0] == 0:
            del self._alive[ptr]
            self.bytes -= entry[1]


def _read_back(tensors: list[torch.Tensor]) -> list[float]:
    """Scalars as Python numbers: on the CPU one by one (cheapest), elsewhere in one transfer."""
    if tensors[0].device.type == "cpu":
        return [t.item() for t in tensors]
    return torch.stack([t.float() for t in tensors]).tolist()


def _probabilities(outputs: torch.Tensor, head: str) -> torch.Tensor:
    if head == "bce":  # the model already ends in Sigmoid
        return torch.cat([1 - outputs, outputs], dim=1)
    return torch.softmax(outputs, dim=1)


def run_to_end(experiment: Experiment, control: Control | None = None, pacing: Pacing = HEADLESS,
               allow_download: bool = True) -> Finished:
    """Drain `train` and return its Finished event (for code that only wants the result)."""
    finished = None
    for event in train(experiment, control, pacing, allow_download):
        if isinstance(event, Finished):
            finished = event
    if finished is None:
        raise TrainingError("training ended before it started (stopped while loading)")
    return finished
