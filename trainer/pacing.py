"""Pacing: every rate at which a run is reported and drawn, in one table.

None of it changes what a run learns (the history is the same at any pacing); it decides how
often the loop takes a picture, how often the training process sends what it has, and how often
the window's views redraw. The window passes its table (`WINDOW`) to the training process with
each request, and each view reads its own rate from the same table, so nothing else in the code
decides how often something is drawn. `HEADLESS` (the command line, the benchmarks) takes no
live pictures at all.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pacing:
    # -- the loop (trainer/loop.py) --------------------------------------------------------------
    snapshot_every_s: float = 0.0   # a decision-boundary picture at most this often; 0 = only the final one
    diagram_every_s: float = 0.0    # weights and neuron maps at most this often (0 = in every snapshot);
                                    # always in the final snapshot and in one taken when a run pauses
    progress_every_s: float = 0.1   # BatchProgress inside a mini-batch epoch
    # -- the training process (trainer/remote.py) -----------------------------------------------
    batch_s: float = 0.03           # events go to the window in one message this often (urgent ones at once)
    # -- the window (desktop/training/client.py): one frame = the views update and repaint once --
    frame_ms: int = 80              # at most 12.5 frames a second...
    max_frame_ms: int = 90          # ...and at least 11, so the boundary still moves at >= 10 Hz
    gui_share: float = 0.15         # frames are spaced so the views use at most this share of the time
    diagram_delay_ms: int = 8       # a diagram update waits this long after its frame (input runs between)
    # -- the views ---------------------------------------------------------------------------------
    curves_every_s: float = 0.2     # the loss / accuracy curves redraw at most this often
    status_every_s: float = 0.25    # the status bar's epoch / loss / speed text
    timeline_views_every_s: float = 1.0   # weights over time (histograms of every recorded epoch, ~40 ms
                                          # for 1,000 spiral epochs) and the branches on a landscape, live
    lesson_frame_ms: int = 33       # the lessons' own small trainings (raw autograd, manual backprop)


HEADLESS = Pacing()
# A boundary a little more often than frames, so every frame has a new one (12.5 Hz, above the 10 the
# eye wants); the diagram twice a second: one costs several boundary repaints.
WINDOW = Pacing(snapshot_every_s=0.07, diagram_every_s=0.5)

__all__ = ["HEADLESS", "WINDOW", "Pacing"]
