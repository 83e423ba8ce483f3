"""The text a user sees when something fails: our own errors as they are, anything else with its type."""
from __future__ import annotations


def error_message(exc: BaseException) -> str:
    from .checkpoint import CheckpointError
    from .config import ConfigError
    from .mnist import DataError
    known: tuple[type[BaseException], ...] = (ConfigError, DataError, CheckpointError)
    try:
        from .loop import TrainingError
        known += (TrainingError,)
    except Exception:  # torch itself failed to import; report that below
        pass
    if isinstance(exc, known):
        return str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
