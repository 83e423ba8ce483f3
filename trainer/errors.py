"""The text a user sees when something fails: our own errors as they are, anything else with its type."""
from __future__ import annotations


def _expected_types() -> tuple[type[BaseException], ...]:
    """Our own errors: a situation the user can act on (no MNIST, a bad setting or file, no CUDA)."""
    from .checkpoint import CheckpointError
    from .config import ConfigError
    from .mnist import DataError
    known: tuple[type[BaseException], ...] = (ConfigError, DataError, CheckpointError)
    try:
        from .loop import TrainingError
        known += (TrainingError,)
    except Exception:  # torch itself failed to import; report that as an unexpected error
        pass
    return known


def expected_error(exc: BaseException) -> bool:
    """One of our own errors: logged as one warning line. Anything else is a bug or a broken
    machine: logged at ERROR with its traceback."""
    return isinstance(exc, _expected_types())


def error_message(exc: BaseException) -> str:
    if expected_error(exc):
        return str(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
