"""Whose run is on screen: the curves, boundary, diagram and status bar show the run of the experiment
in the docks, or none.

A whole new experiment (a lesson, a preset, File > Open, a loaded model) keeps the last run only when
it is the experiment that run trained (its name, description and clicked-in points aside); an edit in
the docks keeps it while the data and the layers are the run's (a new learning rate or more epochs
still show what the last settings did; another dataset or other layers do not).
"""
from __future__ import annotations

from dataclasses import replace

from trainer.config import ConfigError, Experiment


def _plain(exp: Experiment) -> Experiment:
    return replace(exp, name="", description="", data=replace(exp.data, extra_points=()))


def run_belongs(trained: Experiment | None, exp: Experiment, whole: bool) -> bool:
    """Whether the run of `trained` is `exp`'s (whole: a new experiment was applied, not an edit)."""
    if trained is None:
        return False
    a, b = _plain(trained), _plain(exp)
    return a == b if whole else (a.data, a.model) == (b.data, b.model)


def experiment_or_none(form) -> Experiment | None:
    """The docks' Experiment (an ExperimentForm's), or None while a setting is refused."""
    try:
        return form.experiment()
    except ConfigError:
        return None


__all__ = ["experiment_or_none", "run_belongs"]
