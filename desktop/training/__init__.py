"""The training client: the one path from the window to a training process and back (client.py),
and the processes it runs in (process.py). Views never import this package; the window connects
the client's signals to them."""
from .client import TrainingClient, running_threads, wait_until

__all__ = ["TrainingClient", "running_threads", "wait_until"]
