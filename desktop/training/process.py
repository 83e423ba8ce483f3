"""The training processes (trainer/remote.py): started, connected, kept warm, closed.

A child is started while the window opens (`POOL.prestart`) and kept for run after run; a run that
ends normally hands it back to the pool, one that ends any other way (the child died, the window
shut the run down) closes it, and the next run takes a fresh one.

The link is `multiprocessing.connection`: the window listens on a fresh address with a random key,
the child connects to it (address and key go over its stdin, never on its command line).
"""
from __future__ import annotations

import atexit
import logging
import os
import pickle
import secrets
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from trainer.remote import FLAG

log = logging.getLogger(__name__)

MAX_IDLE = 2            # children kept warm between runs (the playground and a comparison)
CONNECT_TIMEOUT_S = 60  # a child that has not connected by then is given up on


def remote_command() -> list[str]:
    """How to start a training process: the bundle's own executable, or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, FLAG]
    return [sys.executable, "-m", "trainer.remote"]


class TrainingProcess:
    """One child running trainer.remote, and the connection to it."""

    def __init__(self) -> None:
        env = dict(os.environ)
        # Importable wherever the app was started from (a source checkout run by path included).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        authkey = secrets.token_bytes(32)
        with Listener(authkey=authkey) as listener:
            self.proc = subprocess.Popen(remote_command(), stdin=subprocess.PIPE, env=env)
            self.pid = self.proc.pid
            assert self.proc.stdin is not None
            with self.proc.stdin as stdin:
                stdin.write(pickle.dumps((listener.address, authkey)))
            self.conn: Connection = _accept(listener, self.proc, authkey)
        self._send_lock = threading.Lock()

    def send(self, message: tuple) -> None:
        """Send one request or command; raises OSError when the child has gone."""
        with self._send_lock:
            self.conn.send(message)

    def receive(self) -> Any:
        """The child's next message (blocking); raises EOFError or OSError when it has gone."""
        return self.conn.recv()

    def alive(self) -> bool:
        return self.proc.poll() is None and not self.conn.closed

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
        """End the child: with its link closed it stops any run and exits; killed if it does not."""
        self.conn.close()
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _accept(listener: Listener, proc: subprocess.Popen, authkey: bytes) -> Connection:
    """The child's connection; OSError when it ends (or stays silent) before connecting.

    Listener.accept() has no timeout: a watcher connects to it itself when the child is gone,
    so accept() always returns.
    """
    accepted, gave_up = threading.Event(), threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not accepted.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                gave_up.set()
                try:
                    Client(listener.address, authkey=authkey).close()
                except OSError:
                    pass
                return

    threading.Thread(target=watch, name="np-connect-watch", daemon=True).start()
    conn = listener.accept()
    accepted.set()
    if gave_up.is_set():
        conn.close()
        if proc.poll() is None:
            proc.kill()
        raise OSError(f"the training process did not connect (exit status {proc.wait()})")
    return conn


class ProcessPool:
    """Warm children for the training clients; thread-safe (the window prestarts on a helper thread)."""

    def __init__(self) -> None:
        self._idle: list[TrainingProcess] = []
        self._lock = threading.Lock()

    def prestart(self) -> None:
        """Start a child now, so its imports are done before the first Train."""
        with self._lock:
            if not any(p.alive() for p in self._idle):
                self._idle.append(TrainingProcess())

    def acquire(self) -> TrainingProcess:
        """A warm child, or a new one; raises OSError when none can be started."""
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

    def has_warm(self) -> bool:
        """Whether an idle child has said it is ready (its message waits on the link; not taken).
        Never blocks: False while another thread is starting a child."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            return any(p.alive() and p.conn.poll() for p in self._idle)
        finally:
            self._lock.release()

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
