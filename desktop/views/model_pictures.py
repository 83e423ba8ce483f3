"""The pictures of a model that is not training: the untrained network (epoch 0) before any run, and
the shown model handed to the boundary view so that zooming and panning redraw it.

TensorFlow Playground shows the untrained network's neuron maps, weights and boundary at once; a
newcomer who sees grey circles and an empty plane does not know what Train will change. The window
says when (torch imported, no run going); this says whether, and draws.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from trainer.config import Experiment, resolved_loss

from .boundary import BoundaryView

log = logging.getLogger(__name__)


class ModelPictures:
    """Draws the untrained network into the views when due, and hands small 2-D models to the boundary."""

    def __init__(self, views: tuple[Any, ...], boundary: BoundaryView):
        self.views, self.boundary = views, boundary
        self.due = False        # the views were reset: they show no model
        self._key: Any = None   # the untrained network shown now (data, layers, seed), or None

    def forget(self) -> None:
        """A run's or a loaded model's pictures follow: nothing untrained is due or shown."""
        self.due, self._key = False, None

    def show_untrained(self, exp: Experiment, splits: Any) -> None:
        """The network a run of `exp` starts from, when the views show none or an untrained one of other
        data, layers or seed; small 1-2 input models only (a few ms; trainer.plane.untrained_snapshot).
        Call it only with torch imported and no run going."""
        key = (replace(exp.data, extra_points=()), exp.model, exp.train.seed)
        if splits is None or not (self.due or self._key not in (None, key)):
            return
        from trainer.plane import untrained_snapshot
        self.due, self._key = False, key
        try:
            drawn = untrained_snapshot(exp, splits)
        except Exception as exc:  # noqa: BLE001 -- the pictures are a bonus; Train still works
            log.warning("could not draw the untrained network: %s", exc, exc_info=True)
            return
        if drawn is not None:
            for view in self.views:
                view.on_snapshot(drawn[0])
            self.boundary.set_model(drawn[1], resolved_loss(exp))   # zoom and pan redraw it

    def let_redraw(self, exp: Experiment, model: Any = None, state: dict | None = None) -> None:
        """Hand a small 2-D model that is done training (its `state`) or loaded (`model`) to the
        boundary view, so zooming and panning redraw it for the plane in sight."""
        from trainer.plane import redrawable
        if not redrawable(exp):
            return
        if model is None and state is not None:
            from trainer.models import model_from_state
            model = model_from_state(exp, state)
        if model is not None:
            self.boundary.set_model(model.eval(), resolved_loss(exp))
