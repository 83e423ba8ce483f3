"""`make bench`'s startup line: the moments the app prints about itself, and how the line is made of them.

No timing is asserted: only that the shipped app reports each moment, in an order that can happen,
and how the medians are taken.
"""
from __future__ import annotations

import sys

from bench import startup


def test_startup_line_takes_the_median_of_each_moment():
    starts = [{"window_shown_s": w, "after_main_s": w - 0.5, "torch_s": w + 2, "worker_s": 4.0, "ready_s": w + 2.1}
              for w in (3.0, 1.0, 2.0)]
    line = startup.line("source", starts)
    assert line == {"bench": "startup", "from": "source", "window_s": 2.0, "after_main_s": 1.5, "runs": 3,
                    "ready_s": 4.1, "torch_s": 4.0, "worker_s": 4.0}


def test_a_moment_some_start_never_reached_is_null_not_a_median_of_the_others():
    starts = [{"window_shown_s": 1.0, "after_main_s": 0.9, "ready_s": 4.0, "torch_s": 3.0, "worker_s": 3.5},
              {"window_shown_s": 1.2, "after_main_s": 1.0}]
    line = startup.line("bundle", starts)
    assert line["window_s"] == 1.1 and line["ready_s"] is None and line["worker_s"] is None


def test_the_app_reports_when_it_is_ready_to_train():
    seen = startup.start_seconds([sys.executable, "-m", "desktop"])   # the app as a learner starts it
    assert set(seen) == {*startup.MOMENTS, "after_main_s"}, seen
    assert 0 < seen["window_shown_s"] <= seen["ready_s"]
    assert seen["torch_s"] <= seen["ready_s"] and seen["worker_s"] <= seen["ready_s"]
    assert seen["after_main_s"] <= seen["window_shown_s"]   # the app's own figure starts at main(), after the spawn
