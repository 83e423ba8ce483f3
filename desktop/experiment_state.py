"""Whose run is on screen: the curves, boundary, diagram and status bar show the run of the experiment
in the docks, or none.

A whole new experiment (a lesson, a preset, File > Open, a loaded model) keeps the last run only when
it is the experiment that run trained (its name, description and clicked-in points aside); an edit in
the docks keeps it while the data and the layers are the run's (a new learning rate, dropout rate or more
epochs still show what the last settings did; another dataset or other layers do not).
"""
from __future__ import annotations

from dataclasses import replace

from trainer.config import ConfigError, Experiment


def _plain(exp: Experiment) -> Experiment:
    return replace(exp, name="", description="", data=replace(exp.data, extra_points=()))


def shapes_key(exp: Experiment) -> tuple:
    """What a model's pictures are drawn over: its data (clicked-in points aside) and its layers (dropout
    rates aside: the pictures are of model.eval(), and a branch of the run may change them, issue 16)."""
    layers = tuple(replace(layer, p=None) if layer.kind == "dropout" else layer for layer in exp.model.layers)
    return replace(exp.data, extra_points=()), replace(exp.model, layers=layers)


def run_belongs(trained: Experiment | None, exp: Experiment, whole: bool) -> bool:
    """Whether the run of `trained` is `exp`'s (whole: a new experiment was applied, not an edit)."""
    if trained is None:
        return False
    return _plain(trained) == _plain(exp) if whole else shapes_key(trained) == shapes_key(exp)


def experiment_or_none(form) -> Experiment | None:
    """The docks' Experiment (an ExperimentForm's), or None while a setting is refused."""
    try:
        return form.experiment()
    except ConfigError:
        return None


__all__ = ["experiment_or_none", "run_belongs", "shapes_key"]
