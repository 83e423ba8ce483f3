"""The lesson presets: one JSON experiment per phase of the seed."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..config import ConfigError, Experiment

ORDER = ("linear-regression", "perceptron-and", "xor-mlp", "spiral", "mnist-mlp",
         "mnist-small", "mnist-medium", "mnist-deep", "mnist-mlp-full", "mnist-cnn-seed", "mnist-cnn")


def names() -> list[str]:
    found = {p.name.removesuffix(".json") for p in resources.files(__package__).iterdir()
             if p.name.endswith(".json")}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def load_preset(name: str) -> Experiment:
    path = resources.files(__package__) / f"{name}.json"
    if not path.is_file():
        raise ConfigError("preset", f"no preset named {name!r}; choose one of {', '.join(names())}")
    return Experiment.from_json(path.read_text(encoding="utf-8"))


def load_experiment(name_or_path: str) -> Experiment:
    """A preset name, or the path of an experiment JSON file."""
    if name_or_path in names():
        return load_preset(name_or_path)
    path = Path(name_or_path)
    try:
        is_file = path.suffix.lower() == ".json" or path.exists()
    except OSError as exc:  # e.g. a name too long for the file system
        raise ConfigError("", f"{path}: cannot be read ({exc.strerror})") from None
    if is_file:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigError("", f"{path}: no such file") from None
        except OSError as exc:
            raise ConfigError("", f"{path}: cannot be read ({exc.strerror})") from None
        except ValueError as exc:  # a NUL character in the name
            raise ConfigError("", f"{path!r}: cannot be read ({exc})") from None
        try:
            return Experiment.from_json(data)
        except ConfigError as exc:
            raise ConfigError(exc.path, f"{exc.reason} (in {path})") from None
    raise ConfigError("preset", f"no preset named {name_or_path!r}; choose one of {', '.join(names())}")
