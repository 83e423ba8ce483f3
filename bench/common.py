"""What every benchmark shares: an isolated environment, JSON output, medians, resident memory."""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:   # not imported: trainer/__init__ tunes the environment this module records first
    from trainer.events import Finished

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = (REPO / ".." / "shared" / "datasets").resolve()
BUNDLE = REPO / "dist" / "NeuralPlayground" / "NeuralPlayground"
# The environment this benchmark was started with, before the app's packages tuned anything
# (trainer/__init__.py sets OpenMP's wait policy): what a learner's own script would run under.
ORIGINAL_ENV = dict(os.environ)
ISOLATION_VARS = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
                  "NEURAL_PLAYGROUND_LOG_DIR", "NEURAL_PLAYGROUND_DATA", "QT_QPA_PLATFORM")


class BenchError(RuntimeError):
    """A benchmark could not run (the app refused or failed a run); the message says why."""


def training_eps(fin: Finished) -> float:
    """Epochs per second of the training part, timed in the loop itself (data loading excluded).

    EpochEnd.seconds counts from the end of the run's set-up, just before Started, to the end of that
    epoch's validation: the same span the plain loops time (from their first epoch to their last).
    """
    if not fin.history:
        raise BenchError("the run recorded no epoch")
    return len(fin.history) / fin.history[-1]["seconds"]


def isolate() -> Path:
    """Keep the benchmarks away from the user's settings, logs and caches (as tests/conftest.py does).

    Must run before Qt or platformdirs is first used. MNIST is read from ../shared/datasets
    unless NEURAL_PLAYGROUND_DATA already names a folder.
    """
    home = Path(tempfile.mkdtemp(prefix="np-bench-home-"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    os.environ["NEURAL_PLAYGROUND_LOG_DIR"] = str(home / "logs")
    os.environ.setdefault("NEURAL_PLAYGROUND_DATA", str(DATA_ROOT))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return home


def learner_env() -> dict[str, str]:
    """The environment for a plain script: as this process started, plus the isolation of `isolate()`."""
    env = dict(ORIGINAL_ENV)
    env.update({k: os.environ[k] for k in ISOLATION_VARS if k in os.environ})
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env


def emit(record: dict[str, Any]) -> None:
    """One JSON object per line on stdout: the benchmark's result."""
    print(json.dumps(record), flush=True)


def note(text: str) -> None:
    """Progress for the person waiting, on stderr so stdout stays one JSON object per line."""
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100), linear between neighbours, as numpy's default."""
    import numpy as np
    data = list(values)
    return float(np.percentile(np.asarray(data, dtype=float), q)) if data else 0.0


def rss_mb(pid: int | str = "self") -> float:
    """A process's resident memory now, this one by default (Linux /proc; elsewhere only this process's
    ru_maxrss, a peak, not a level)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)


def r(value: float, digits: int = 3) -> float:
    return float(f"{value:.{digits}g}") if abs(value) < 10 ** digits else round(value)
