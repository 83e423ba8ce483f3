"""What the app remembers between runs (QSettings, INI format in the user's config folder).

Every reader tolerates a damaged value: it logs a warning and falls back,
because a settings file is not worth a crash at start-up.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from trainer.config import ConfigError, Experiment

log = logging.getLogger(__name__)

ORGANIZATION = "NeuralPlayground"
APPLICATION = "neural-playground"
LAYOUT_VERSION = 1   # bump when the docks change, so an old saved layout is not restored onto new ones


def store() -> QSettings:
    """The app's settings; INI everywhere so tests can redirect it with QSettings.setPath."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def check_store() -> bool:
    """At start-up: set a damaged settings file aside (kept as <name>.damaged) with a warning; True if sound.

    QSettings reads any bytes without complaint and would keep the junk forever: random keys,
    defaults silently. Qt writes UTF-8 text of `[section]` and `key=value` lines with control
    characters escaped, so anything else was not written by it.
    """
    path = Path(store().fileName())
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("cannot read the settings file %s (%s); starting from the defaults", path,
                    exc.strerror or exc)
        return False
    try:
        text = data.decode("utf-8")
        sound = not any(ord(c) < 32 and c not in "\t\r\n" for c in text) and all(
            line.startswith(("[", ";", "#")) or "=" in line for line in map(str.strip, text.splitlines()) if line)
    except UnicodeDecodeError:
        sound = False
    if sound:
        return True
    kept = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, kept)
    except OSError as exc:
        log.warning("the settings file %s is damaged and could not be moved aside (%s); ignoring it", path,
                    exc.strerror or exc)
        return False
    log.warning("the settings file %s was damaged; it is kept as %s and the app starts from the defaults",
                path, kept)
    return False


def save_experiment(exp: Experiment) -> None:
    s = store()
    s.setValue("experiment/last", exp.to_json(indent=None))
    s.sync()


def last_experiment() -> Experiment | None:
    """The experiment of the last session, or None when there is none or it is unreadable."""
    raw = store().value("experiment/last")
    if raw is None:
        return None
    try:
        if not isinstance(raw, str):
            raise ConfigError("", f"expected JSON text, got {type(raw).__name__}")
        return Experiment.from_json(raw)
    except ConfigError as exc:
        log.warning("ignored the remembered experiment (settings experiment/last): %s", exc)
        return None


def save_window(geometry: QByteArray, state: QByteArray) -> None:
    s = store()
    s.setValue("window/geometry", geometry)
    s.setValue("window/state", state)
    s.setValue("window/layout_version", LAYOUT_VERSION)
    s.sync()


def window_layout() -> tuple[QByteArray | None, QByteArray | None]:
    """(geometry, dock state) as saved, or None for any part that is missing or damaged."""
    s = store()
    version = s.value("window/layout_version")
    try:
        if version is not None and int(version) != LAYOUT_VERSION:
            return None, None
    except (TypeError, ValueError):
        log.warning("ignored a damaged settings value window/layout_version=%r", version)
        return None, None
    out = []
    for key in ("window/geometry", "window/state"):
        value = s.value(key)
        if value is None:
            out.append(None)
        elif isinstance(value, QByteArray):
            out.append(value)
        elif isinstance(value, (bytes, bytearray)):
            out.append(QByteArray(bytes(value)))
        else:
            log.warning("ignored a damaged settings value %s (%s)", key, type(value).__name__)
            out.append(None)
    return out[0], out[1]


def mnist_root() -> str:
    """The MNIST folder the user chose in the Dataset dock ('' for the default one); kept across lessons,
    presets and restarts."""
    return value("data/mnist_root")


def set_mnist_root(folder: str) -> None:
    s = store()
    s.setValue("data/mnist_root", folder)
    s.sync()


def value(key: str, default: str = "") -> str:
    """A plain text setting (e.g. the last folder a file dialog used)."""
    raw = store().value(key, default)
    return raw if isinstance(raw, str) else default


def set_value(key: str, text: str) -> None:
    store().setValue(key, text)
