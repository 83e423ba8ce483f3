"""A training process: runs `train()` for requests read from stdin and writes its events to stdout.

The GUI trains in this separate process (desktop/process.py starts it) so that nothing the
window does can hold the interpreter lock the training needs. In one process, a window drawing
10% of the time slowed a tiny model's training by ~20%: every torch call hands the lock over,
and each hand-over to and from a busy GUI thread costs far more than its share. A child process
trained at the same speed with the window drawing as hidden (measured in bench/, issue 6).

Frames both ways are an 8-byte little-endian length and a pickle:
  in:  ("train", Experiment, LoopOptions) | ("pause",) | ("resume",) | ("step",) | ("stop",): a command
       applies to the run requested last, until it has ended; end of input means exit.
  out: ("ready", pid) once; per run ("events", [event, ...])..., then ("done",) or ("error", text, traceback).
Events go out in batches, every BATCH_S or at once for those a user waits on (the run started,
ended, paused); a paused loop has sent everything before it waits.
"""
from __future__ import annotations

import os
import pickle
import queue
import struct
import sys
import threading
import time
import traceback
from typing import Any, BinaryIO

from .control import Control
from .errors import error_message
from .events import Diverged, Finished, Started, Stopped

FLAG = "--training-worker"   # the frozen app's executable runs main() below when given this (packaging/launcher.py)
BATCH_S = 0.03
# Events a user waits on go out at once: the run started, ended, diverged, stopped.
_URGENT = (Started, Finished, Diverged, Stopped)
_HEADER = struct.Struct("<Q")
EOF = None   # what read_frame returns when the other side has closed the pipe


def write_frame(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next message, or EOF when the pipe closed (a partial frame counts as closed)."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return EOF
    payload = _read_exactly(stream, _HEADER.unpack(header)[0])
    return EOF if payload is None else pickle.loads(payload)


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _Outbox:
    """Events waiting to be written, sent as one frame every BATCH_S."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.pending: list[Any] = []
        self.sent_at = time.perf_counter()

    def add(self, event: Any, urgent: bool) -> None:
        self.pending.append(event)
        if urgent or time.perf_counter() - self.sent_at >= BATCH_S:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            write_frame(self.stream, ("events", self.pending))
            self.pending = []
        self.sent_at = time.perf_counter()


class _FlushingControl(Control):
    """A Control that sends what the run produced before the loop waits on a pause."""

    def __init__(self, outbox: _Outbox):
        super().__init__()
        self.outbox = outbox

    def wait(self) -> bool:
        if self.paused:
            self.outbox.flush()
        return super().wait()


def serve(inp: BinaryIO, out: BinaryIO) -> None:
    """Answer requests until the input closes. The main thread trains; a reader thread takes commands."""
    from .loop import train
    outbox = _Outbox(out)
    requests: queue.Queue = queue.Queue()
    current: list[Control] = []   # the running run's Control, touched by both threads under `lock`
    lock = threading.Lock()

    def read_commands() -> None:
        while (message := read_frame(inp)) is not EOF:
            with lock:
                if message[0] == "train":
                    control = _FlushingControl(outbox)
                    current[:] = [control]
                    requests.put((message, control))
                elif current:     # a command for a run that has ended is ignored
                    getattr(current[0], message[0])()
        with lock:                # the GUI has gone: end the run, then the process
            for control in current:
                control.stop()
        requests.put(None)

    threading.Thread(target=read_commands, name="np-worker-commands", daemon=True).start()
    write_frame(out, ("ready", os.getpid()))
    while (item := requests.get()) is not None:
        (_, experiment, options), control = item
        try:
            for event in train(experiment, control, options):
                outbox.add(event, urgent=isinstance(event, _URGENT))
            outbox.flush()
            write_frame(out, ("done",))
        except BaseException as exc:  # noqa: BLE001 -- every failure goes back to the GUI as text
            outbox.pending.clear()
            write_frame(out, ("error", error_message(exc), traceback.format_exc()))
        with lock:
            current.clear()


def main() -> int:
    # The frames own stdout: anything printed (by us or a library, from Python or C) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    warm_up()
    try:
        serve(sys.stdin.buffer, out)
    except BrokenPipeError:   # the GUI went away mid-run: nobody is left to tell
        pass
    return 0


def warm_up() -> None:
    """Import what the first run needs, before it is asked for: torch, the loop, and what the first
    optimizer imports (a fused step imports torch._dynamo: sympy and ~900 modules, seconds)."""
    import torch

    from . import loop  # noqa: F401
    param = torch.nn.Parameter(torch.zeros(1))
    param.grad = torch.zeros(1)
    torch.optim.Adam([param], fused=True).step()


if __name__ == "__main__":
    sys.exit(main())
