"""The status bar's read-out of a run: epoch, loss, accuracy, speed and device, and a progress bar.

The window tells RunStatus what happened (a run started, epochs ended, it finished, failed or
ended, a model was loaded); RunStatus words it. The live figures are recorded by `epochs()` and
shown by `show_live()`, which the window calls at a limited rate: every change of the text
re-lays out and repaints the status bar.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from trainer.events import BatchProgress, DataProgress, Diverged, EpochEnd, Finished, Started

FIELDS = ("epoch", "loss", "acc", "speed", "device")   # left to right, after the progress bar
STARTING = "starting…"                                 # the epoch field until the first epoch ends


def short_number(v: float) -> str:
    """A loss or an MSE: 4 decimals, or scientific notation below 0.001 (where 4 decimals read 0.0000)."""
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4f}" if abs(v) >= 1e-3 else f"{v:.2e}"


def final_accuracy(ev: Finished, shown: str) -> str:
    """The accuracy field once a run is over: its test figure, else what is `shown` now."""
    m = ev.metrics
    last = ev.history[-1] if ev.history else None
    if "test_accuracy" in m:
        train = f"train {last['train_acc']:.1f}% · " if last and last.get("train_acc") is not None else ""
        test = f"test {m['test_accuracy']:.1f}%" if m.get("n_test") else "no test points"
        return f"accuracy {train}{test}"
    if "test_mse" in m and math.isfinite(m["test_mse"]):
        # test_mse is in the target's own units; the curves' loss is on the standardised target
        return f"test MSE {short_number(m['test_mse'])} (in the target's units)"
    return shown


def finish_message(ev: Finished, diverged: Diverged | None = None) -> str:
    """The message that says how a run ended (`diverged`: the run's Diverged event, which says where)."""
    if ev.reason == "diverged" and diverged is not None:
        return f"The training {diverged.message}. Try a smaller learning rate."
    how = {"completed": "Finished", "early_stopped": "Stopped early (no progress)",
           "stopped": "Stopped", "diverged": "Diverged"}.get(ev.reason, ev.reason)
    best = f"; best epoch {ev.best_epoch}" if ev.history else ""   # 0-based, as the curves count
    extra = ""
    if "w" in ev.extra:
        extra = f"; learned y = {ev.extra['w']:.3f}x + {ev.extra['b']:.3f}"
    return f"{how} after {ev.epochs_run:,} epochs in {ev.seconds:.1f} s{best}{extra}."


def epoch_figures(record: dict[str, Any], total: int) -> dict[str, str]:
    """The epoch, loss and accuracy fields of one epoch (an EpochEnd's record)."""
    acc = record.get("train_acc")
    return {"epoch": f"epoch {record['epoch'] + 1:,} / {total:,}",
            "loss": f"loss {short_number(record['train_loss'])} / val {short_number(record['val_loss'])}",
            "acc": "" if acc is None else f"accuracy {acc:.1f}% / val {record['val_acc']:.1f}%"}


class RunStatus(QObject):
    """The permanent widgets of a QStatusBar that follow the run, and the messages about its end."""

    def __init__(self, bar: QStatusBar, parent: QObject | None = None):
        super().__init__(parent)
        self._bar = bar
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self._labels: dict[str, QLabel] = {}
        self._run_messages: list[str] = []     # the last few messages about a run (clear() removes them)
        self._name = "the network"
        for key in FIELDS:
            label = QLabel("")
            label.setObjectName("statusField")
            self._labels[key] = label
        bar.addPermanentWidget(self.progress)
        for label in self._labels.values():
            bar.addPermanentWidget(label)
        self._live: dict[str, str] = {}             # the newest epoch figures, until show_live()
        self._eps_ref: tuple[float, int] | None = None   # (seconds, epoch) the speed is measured from
        self._diverged: Diverged | None = None      # of the current run
        self._past = False                          # a recorded epoch's figures are shown (show_past)

    # -- the fields --------------------------------------------------------------------------
    def set(self, **fields: str) -> None:
        """Set some of FIELDS; an empty text hides its field."""
        for key, text in fields.items():
            label = self._labels[key]
            label.setText(text)
            label.setVisible(bool(text))

    def text(self) -> str:
        """Everything the fields show now (for tests and the self-test)."""
        return " | ".join(label.text() for label in self._labels.values() if label.text())

    def clear(self) -> None:
        """No run and no model: every field empty, no progress bar, no message about the last run."""
        self.set(**dict.fromkeys(FIELDS, ""))
        self.progress.hide()
        if self._bar.currentMessage() in self._run_messages:
            self._bar.clearMessage()

    def _say(self, text: str, ms: int = 0) -> None:
        """A message about the run: clear() takes it away with the run."""
        self._run_messages = self._run_messages[-3:] + [text]
        self._bar.showMessage(text, ms)

    def running(self, name: str) -> None:
        """A run of `name` is starting: say which keys control it."""
        self._name = name or "the network"
        self.state_changed("running")

    def state_changed(self, state: str) -> None:
        """Running or paused, in words (the toolbar's Pause / Resume alone is easy to miss)."""
        if state == "running":
            self._say(f"Training {self._name}: Space pauses, Esc stops.")
        elif state == "paused":
            self._say(f"Paused ({self._name}): Space resumes, Ctrl+Right trains one more epoch, Esc stops.")

    # -- a run ---------------------------------------------------------------------------------
    def started(self, ev: Started) -> None:
        self._live.clear()
        self._past = False
        self._eps_ref = None
        self._diverged = None
        self.progress.hide()
        self.set(epoch=f"epoch 0 / {ev.epochs:,}", device=f"on {ev.device}")

    def epochs(self, evs: list[EpochEnd], total: int) -> None:
        """Record the newest figures (shown by show_live); the speed is measured over >= 0.5 s."""
        last = evs[-1]
        self._live.update(epoch_figures(last.as_record(), total))
        ref = self._eps_ref
        if ref is None:
            self._eps_ref = (last.seconds, last.epoch)
        elif last.seconds - ref[0] >= 0.5:
            eps = (last.epoch - ref[1]) / (last.seconds - ref[0])
            self._live["speed"] = f"{eps:,.0f} epochs/s" if eps >= 10 else f"{eps:.2g} epochs/s"
            self._eps_ref = (last.seconds, last.epoch)

    def show_live(self) -> None:
        """Show the figures recorded since the last call (kept for later while a past epoch is shown)."""
        if self._past:
            return
        self.set(**self._live)
        self._live.clear()

    def show_past(self, record: dict[str, Any] | None, total: int) -> None:
        """The figures of a recorded epoch (the timeline's; a history record), or None: back to the live ones."""
        self._past = record is not None
        if record is not None:
            self.set(**epoch_figures(record, total))
        else:
            self.show_live()

    def show_progress(self, ev: DataProgress | BatchProgress) -> None:
        self.progress.show()
        if isinstance(ev, BatchProgress):
            self.progress.setRange(0, ev.n_batches)
            self.progress.setValue(ev.batch)
            self.progress.setFormat(f"batch {ev.batch}/{ev.n_batches}")
        else:
            self.progress.setRange(0, max(ev.total, 0))
            self.progress.setValue(ev.done if ev.total else 0)
            self.progress.setFormat(f"{ev.stage} %p%" if ev.total else ev.stage)

    def diverged(self, ev: Diverged) -> None:
        self._diverged = ev     # the Finished that follows at once says it again (it would hide this one)
        self._say(f"The training {ev.message}. Try a smaller learning rate.", 15000)

    def finished(self, ev: Finished, total: int) -> None:
        """The run's final figures, and a message saying how it ended."""
        self.progress.hide()
        self.set(epoch=f"epoch {ev.epochs_run:,} / {total:,}", device=f"on {ev.device}")
        if ev.seconds > 0 and ev.epochs_run:
            self.set(speed=f"{ev.epochs_run / ev.seconds:,.0f} epochs/s")
        self.set(acc=final_accuracy(ev, self._labels["acc"].text()))
        self._say(finish_message(ev, self._diverged), 20000)

    def failed(self) -> None:
        self.progress.hide()
        self.set(epoch="failed")
        self._say("Training failed (the message says why).", 20000)

    def ended(self) -> None:
        """The run's thread is done; a run stopped before its first epoch sent no Finished to say so."""
        if self._labels["epoch"].text() == STARTING:
            self.progress.hide()
            self.set(epoch="")
            self._say("Stopped before the first epoch.", 6000)

    def loaded(self, fin: Finished) -> None:
        """A model loaded from a file: its epochs and test accuracy, nothing live."""
        acc: Any = fin.metrics.get("test_accuracy")
        self.set(epoch=f"{fin.epochs_run:,} epochs (loaded)", loss="", speed="",
                 acc=f"test accuracy {acc:.1f}%" if isinstance(acc, (int, float)) else "", device="")


__all__ = ["FIELDS", "RunStatus", "STARTING", "epoch_figures", "final_accuracy", "finish_message", "short_number"]
