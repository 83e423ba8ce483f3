"""The central views. Each is a QWidget with the same slots, which the main window
connects to the TrainingSession (views never talk to the session themselves):

    reset(experiment)      new run or new settings
    set_data(splits)       the data points (trainer.data.Splits) for 1-D / 2-D datasets
    on_started(ev)         trainer.events.Started
    on_epochs(evs)         list[trainer.events.EpochEnd], coalesced
    on_new_best(ev)        trainer.events.NewBest
    on_snapshot(ev)        trainer.events.Snapshot
    on_finished(ev)        trainer.events.Finished

Extra signals: BoundaryView.pointAdded(x, y, cls) / pointRemoved(index into the added points);
NetworkView.neuronClicked(layer, unit) -> NeuronView.show_neuron(layer, unit).
"""
from .boundary import BoundaryView
from .curves import CurvesView
from .network import NetworkView
from .neurons import NeuronView

__all__ = ["BoundaryView", "CurvesView", "NetworkView", "NeuronView"]
