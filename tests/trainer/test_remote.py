"""The training process (`python -m trainer.remote`): same results as in-process, errors as text
after every event before them, clean exit when the window goes away."""
from __future__ import annotations

import pickle
import secrets
import subprocess
import sys
import time
from multiprocessing.connection import Listener
from pathlib import Path

import pytest

from trainer.events import EpochEnd, Finished, Started
from trainer.loop import run_to_end
from trainer.pacing import HEADLESS, Pacing
from trainer.presets import load_preset

REPO = Path(__file__).resolve().parents[2]


def _connected():
    """A training process connected as the window connects one: (its Popen, the connection)."""
    authkey = secrets.token_bytes(16)
    with Listener(authkey=authkey) as listener:
        proc = subprocess.Popen([sys.executable, "-m", "trainer.remote"], cwd=REPO, stdin=subprocess.PIPE)
        proc.stdin.write(pickle.dumps((listener.address, authkey)))
        proc.stdin.close()
        conn = listener.accept()
    assert conn.recv()[0] == "ready"
    yield proc, conn
    conn.close()
    proc.kill()
    proc.wait()


# One process for the tests that leave it serving, as the window's warm process serves run after run
# (each start imports torch: seconds); the test that ends its process gets its own.
remote = pytest.fixture(scope="module")(_connected)
own_remote = pytest.fixture(_connected)


def run(remote, experiment, pacing=HEADLESS) -> tuple[list, tuple]:
    """Send one request; (events, the closing ("done",) or ("error", ...) message)."""
    _, conn = remote
    conn.send(("train", experiment, pacing, False))
    events = []
    while True:
        message = conn.recv()
        if message[0] != "events":
            return events, message
        events.extend(message[1])


def test_a_run_in_the_process_is_the_run_in_process_bit_for_bit(remote):
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 400})
    events, end = run(remote, exp, Pacing(snapshot_every_s=1e-9))
    assert end == ("done",)
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == list(range(400))
    here = run_to_end(exp)
    there = events[-1]
    assert there.metrics["test_accuracy"] == here.metrics["test_accuracy"] == 100.0
    assert [h["train_loss"] for h in there.history] == [h["train_loss"] for h in here.history]
    for key, value in here.state.items():
        assert (there.state[key] == value).all(), key


def test_a_failing_run_comes_back_as_the_users_message_and_the_process_serves_the_next(remote, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (raw / f"{name}.gz").write_bytes(b"garbage")
    events, end = run(remote, load_preset("mnist-mlp").with_overrides({"data.root": str(tmp_path)}))
    assert end[0] == "error"
    assert end[1].startswith(f"{raw / 'train-images-idx3-ubyte.gz'}: damaged gzip file")
    assert "Traceback" in end[2] and "DataError" in end[2]
    events, end = run(remote, load_preset("perceptron-and").with_overrides({"train.epochs": 50}))
    assert end == ("done",) and events[-1].epochs_run == 50


def test_the_app_going_away_mid_run_ends_the_process(own_remote):
    proc, conn = own_remote
    conn.send(("train", load_preset("spiral").with_overrides({"train.epochs": 1_000_000, "train.patience": 0}),
               HEADLESS, False))
    assert conn.recv()[0] == "events"
    conn.close()              # the app has gone: the link closes
    t0 = time.monotonic()
    assert proc.wait(30) == 0
    assert time.monotonic() - t0 < 30


def test_step_pressed_while_idle_trains_exactly_one_epoch_then_pauses(remote):
    """Step while idle asks for a run paused after its first epoch. Sent as a separate ("step",)
    after the request, it reached the child a few epochs late now and then (the training thread
    holds the interpreter lock); as part of the request it cannot. Also right after another run."""
    _, conn = remote
    short = load_preset("xor-mlp").with_overrides({"train.epochs": 2})
    long = load_preset("xor-mlp").with_overrides({"train.epochs": 100_000})
    for attempt in range(15):
        assert run(remote, short)[1] == ("done",)
        conn.send(("train", long, HEADLESS, True))   # the very next thing after "done"
        epochs = []
        while not epochs:                             # a run about to pause sends what it has first
            message = conn.recv()
            assert message[0] == "events", message
            epochs += [e for e in message[1] if isinstance(e, EpochEnd)]
        if attempt == 0:                              # paused means paused: a second nothing more arrives
            assert not conn.poll(1.0)
        conn.send(("stop",))
        while (message := conn.recv())[0] != "done":  # every epoch it trained before the stop comes first
            epochs += [e for e in message[1] if isinstance(e, EpochEnd)]
        assert [e.epoch for e in epochs] == [0]            # one epoch, then paused
