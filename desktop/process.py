"""Training in a child process (trainer/worker.py), driven from the session's worker thread.

The session's QThread still iterates an event source and the GUI still gets Qt signals; the
source just relays what the child sends. Why a process: see trainer/worker.py.

A child is started while the window opens (`prestart`) and kept for run after run; a run that
ends normally hands it back to the pool, one that ends any other way (the child died, the relay
was interrupted) closes it, and the next run starts a fresh one.
"""
from __future__ import annotations

import atexit
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

from trainer.config import Experiment
from trainer.control import Control
from trainer.errors import WorkerError
from trainer.worker import EOF, FLAG, read_frame, write_frame

log = logging.getLogger(__name__)

MAX_IDLE = 2   # children kept warm between runs (the playground and a comparison)


def worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FLAG]
    return [sys.executable, "-m", "trainer.worker"]


class TrainingProcess:
    """One child running trainer.worker: requests in through its stdin, events out through its stdout."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # Importable wherever the app was started from (a source checkout run by path included).
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        self.proc = subprocess.Popen(worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.pid = self.proc.pid
        self._send_lock = threading.Lock()

    def send(self, message: tuple) -> None:
        """Write one request or command; raises OSError when the child has gone."""
        assert self.proc.stdin is not None
        with self._send_lock:
            write_frame(self.proc.stdin, message)

    def receive(self) -> Any:
        """The child's next message (blocking), or EOF when it has gone."""
        assert self.proc.stdout is not None
        try:
            return read_frame(self.proc.stdout)
        except (OSError, EOFError, ValueError):
            return EOF

    def alive(self) -> bool:
        return self.proc.poll() is None

    def died_message(self) -> str:
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        how = f"exit status {code}" if code is not None and code >= 0 else \
            f"killed by signal {-code}" if code is not None else "not answering"
        return (f"the training process stopped unexpectedly ({how}); the run is lost. "
                "Press Train to start a new one.")

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child: with both pipes closed it stops any run and exits; killed if it does not."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ProcessPool:
    """Warm children for the sessions; thread-safe (runs acquire on their own threads)."""

    def __init__(self) -> None:
        self._idle: list[TrainingProcess] = []
        self._lock = threading.Lock()

    def prestart(self) -> None:
        """Start a child now, so its imports are done before the first Train."""
        with self._lock:
            if not any(p.alive() for p in self._idle):
                self._idle.append(TrainingProcess())

    def acquire(self) -> TrainingProcess:
        with self._lock:
            while self._idle:
                proc = self._idle.pop()
                if proc.alive():
                    return proc
                proc.close()
            return TrainingProcess()

    def release(self, proc: TrainingProcess) -> None:
        with self._lock:
            if proc.alive() and len(self._idle) < MAX_IDLE:
                self._idle.append(proc)
                return
        proc.close()

    def idle_pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self._idle if p.alive()]

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for proc in idle:
            proc.close()


POOL = ProcessPool()
atexit.register(POOL.close_all)


class RemoteControl(Control):
    """A Control whose buttons also reach the child running the loop.

    Buttons pressed before the child has the run (Step while idle starts a paused run) are
    replayed when it is attached; after the run they only change this object.
    """

    def __init__(self) -> None:
        super().__init__()
        self._remote: TrainingProcess | None = None
        self._remote_lock = threading.Lock()

    def attach(self, proc: TrainingProcess, request: tuple) -> None:
        """Send the run's request, then the state the buttons have put this control in."""
        with self._remote_lock:
            proc.send(request)
            if self.stopped:
                proc.send(("stop",))
            elif self.paused:
                proc.send(("pause",))
            elif self._steps:
                proc.send(("step",))
            self._remote = proc

    def detach(self) -> None:
        with self._remote_lock:
            self._remote = None

    def stop(self) -> None:
        self._press("stop")

    def pause(self) -> None:
        self._press("pause")

    def resume(self) -> None:
        self._press("resume")

    def step(self) -> None:
        self._press("step")

    def _press(self, command: str) -> None:
        """The button on this control, then on the child's (when one has the run)."""
        with self._remote_lock:
            getattr(Control, command)(self)
            if self._remote is not None:
                try:
                    self._remote.send((command,))
                except OSError:   # the child has gone; the relay reports it
                    pass


def relay(experiment: Experiment, options: Any, control: RemoteControl) -> Iterator[Any]:
    """Run `experiment` in a pooled child and yield its events as `train()` would have.

    Where no child can be started at all, the run trains on the calling thread instead.
    """
    try:
        proc = POOL.acquire()
    except OSError as exc:
        log.warning("could not start a training process (%s); training in the app's own process", exc)
        from trainer.loop import train
        yield from train(experiment, control, options)
        return
    clean = False
    try:
        control.attach(proc, ("train", experiment, options))
        while True:
            message = proc.receive()
            if message is EOF:
                raise WorkerError(proc.died_message())
            kind = message[0]
            if kind == "events":
                yield from message[1]
            elif kind == "done":
                clean = True
                return
            elif kind == "error":
                log.error("training failed in the training process (pid %d):\n%s", proc.pid, message[2])
                clean = True
                raise WorkerError(message[1])
            # "ready" comes once, before the first run's events
    except OSError as exc:   # writing the request: the child had already gone
        raise WorkerError(proc.died_message()) from exc
    finally:
        control.detach()
        if clean:
            POOL.release(proc)
        else:
            proc.close(timeout_s=1.0)
