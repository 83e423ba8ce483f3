"""The training process: runs `train()` for the window's requests and sends the events back.

The window trains in this separate process (desktop/training/process.py starts it) so that
nothing the window does can hold the interpreter lock the training needs. In one process, a
window drawing 10% of the time slowed a tiny model's training by ~20%: every torch call hands the
lock over, and each hand-over to and from a busy GUI thread costs far more than its share. A child
process trained at the same speed with the window drawing as hidden (measured in bench/, issue 6).

The link is a `multiprocessing.connection` (a Unix socket, a named pipe on Windows) that the
window listens on; its address and key come on stdin. Messages, each one pickled object:
  in:  ("train", Experiment, Pacing, paused_after_first[, speed[, options]]) | ("pause",) | ("resume",) |
       ("step",) | ("stop",) | ("speed", epochs_per_s or None): a command applies to the run
       requested last, until it has ended; the link closing means exit. paused_after_first is Step
       pressed while idle: it is part of the request because a ("step",) sent after it could arrive
       epochs late; so is the speed (epochs a second at most, None: as fast as possible). options: train()'s
       keyword arguments `record` (the timeline's budget in bytes) and `resume` (a branch's start).
  out: ("ready", pid) once; per run ("events", [event, ...])..., then ("done",) or
       ("error", message, traceback, expected), after every event the run produced before it failed;
       expected (trainer.errors.expected_error) says the message is all there is to say, no traceback to log.
Events go out together every `Pacing.batch_s`, at once for those a user waits on (the run started,
ended, stopped, diverged); a run about to wait on a pause has sent everything first.
A ("landscape", Experiment, states, options) request (issue 16: the training loss over a plane through
the recorded weights, trainer.timeline.landscape.compute(experiment, states, **options), options such as
{"steps": 41, "kind": "pca"}) is answered as a run is: ("events", [LandscapeProgress..., Landscape]), then
("done",) or ("error", ...); ("stop",) cancels it, and then "done" comes without a Landscape. As a run,
it is sent once the request before it has ended: the commands go to the request sent last.
"""
from __future__ import annotations

import os
import pickle
import queue
import sys
import threading
import time
import traceback
from multiprocessing.connection import Client, Connection
from typing import Any, Callable, Iterator

from .control import Control
from .errors import error_message, expected_error
from .events import Diverged, Finished, Started, Stopped
from .pacing import Pacing

FLAG = "--training-worker"   # the frozen app's executable runs main() below when given this (packaging/launcher.py)
# Events a user waits on go out at once: the run started, ended, diverged, stopped.
_URGENT = (Started, Finished, Diverged, Stopped)
# The commands a run takes, and the Control method each calls (with the message's arguments).
COMMANDS = {"pause": "pause", "resume": "resume", "step": "step", "stop": "stop", "speed": "set_speed"}


class _Outbox:
    """Events waiting to be sent, sent as one message every `batch_s`."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.batch_s = Pacing().batch_s
        self.pending: list[Any] = []
        self.sent_at = time.perf_counter()

    def add(self, event: Any) -> None:
        self.pending.append(event)
        if isinstance(event, _URGENT) or time.perf_counter() - self.sent_at >= self.batch_s:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.conn.send(("events", self.pending))
            self.pending = []
        self.sent_at = time.perf_counter()


def serve(conn: Connection, warm_up: Callable[[], None] = lambda: None) -> None:
    """Answer requests until the link closes. The main thread warms up, then trains; a reader
    thread takes commands from the start, so a window that goes away during the warm-up (seconds
    of imports) ends this process at once instead of leaving it behind."""
    outbox = _Outbox(conn)
    requests: queue.Queue = queue.Queue()
    current: list[Control] = []   # the running run's Control, touched by both threads under `lock`
    lock = threading.Lock()

    def read_commands() -> None:
        try:
            while True:
                message = conn.recv()
                with lock:
                    if message[0] == "train":
                        control = Control(before_pause=outbox.flush,
                                          speed=message[4] if len(message) > 4 else None)
                        if message[3]:
                            control.step()
                        current[:] = [control]
                        requests.put((message, control))
                    elif message[0] == "landscape":   # stopped by ("stop",) as a run is
                        current[:] = [control := Control()]
                        requests.put((message, control))
                    elif current:     # a command for a run that has ended is ignored
                        getattr(current[0], COMMANDS[message[0]])(*message[1:])
        except (EOFError, OSError):   # the window has gone: end the run, then the process
            pass
        with lock:
            if not current and not ready.is_set():
                os._exit(0)           # still importing: nothing to finish, nobody to tell
            for control in current:
                control.stop()
        requests.put(None)

    ready = threading.Event()
    threading.Thread(target=read_commands, name="np-remote-commands", daemon=True).start()
    warm_up()
    from .loop import train
    ready.set()
    conn.send(("ready", os.getpid()))
    while (item := requests.get()) is not None:
        message, control = item
        if message[0] == "landscape":
            _answer(conn, outbox, _landscape(message, control))
        else:
            _, experiment, pacing, *rest = message
            outbox.batch_s = pacing.batch_s
            _answer(conn, outbox, train(experiment, control, pacing, **(rest[2] if len(rest) > 2 else {})))
        with lock:
            # Only this run's: the window may have sent the next request the moment "done" went out.
            if current and current[0] is control:
                current.clear()


def _landscape(message: tuple, control: Control) -> Iterator[Any]:
    """The events of a ("landscape", experiment, states, options) request, cancelled by its control."""
    from .timeline.landscape import compute
    _, experiment, states, options = message
    return compute(experiment, states, cancelled=lambda: control.stopped, **options)


def _answer(conn: Connection, outbox: _Outbox, events: Iterator[Any]) -> None:
    """Send a request's events, then ("done",), or ("error", ...) after those it made before failing."""
    try:
        for event in events:
            outbox.add(event)
        outbox.flush()
        conn.send(("done",))
    except (BrokenPipeError, ConnectionResetError):
        raise
    except BaseException as exc:  # noqa: BLE001 -- every failure goes back to the window as text
        outbox.flush()            # every epoch made before the failure still reaches the window
        conn.send(("error", error_message(exc), traceback.format_exc(), expected_error(exc)))


def main() -> int:
    """Connect to the window (address and key on stdin), warm up, then serve until it goes away."""
    address, authkey = pickle.loads(sys.stdin.buffer.read())
    conn = Client(address, authkey=authkey)
    try:
        serve(conn, warm_up)
    except (BrokenPipeError, ConnectionResetError, EOFError):   # the window went away mid-run
        pass
    finally:
        conn.close()
    return 0


def warm_up() -> None:
    """Import what the first run needs, before it is asked for: torch and the loop, then what the first
    optimizer step imports."""
    import_torch()
    first_optimizer_step()


def import_torch() -> None:
    """torch and the training loop (~2 s here)."""
    import torch  # noqa: F401

    from . import loop  # noqa: F401


def first_optimizer_step() -> None:
    """Every torch.optim step imports torch._dynamo (sympy and ~900 modules, ~1.7 s here) the first time."""
    import torch
    param = torch.nn.Parameter(torch.zeros(1))
    param.grad = torch.zeros(1)
    torch.optim.Adam([param], fused=True).step()


if __name__ == "__main__":
    sys.exit(main())
