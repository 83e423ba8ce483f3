"""`make bench`: every figure of issue 6, one JSON object per line on stdout (progress goes to stderr).

    python -m bench                 everything (mnist_full last: it trains MNIST to the end, minutes)
    python -m bench --quick         one repeat each, and no mnist_full
    python -m bench --only loop,pad run only the named benchmarks
    python -m bench --headless      no Qt: loop (plain and trainer only), pad (headless part), timeline, mnist_full

The machine these numbers come from has 2 cores shared with other work: figures are noisy,
which is why the ratios are measured side by side, interleaved, as medians of repeats.
"""
from __future__ import annotations

import argparse
import sys
import time

from .common import isolate, note  # first: it records the environment a learner's own script would get

import trainer  # noqa: F401,E402 -- then, as the app's entry points do, tune the thread pools before torch/numpy load

ORDER = ("startup", "pad", "loop", "timeline", "click", "boundary", "ui_stall", "memory", "mnist_full")
HEADLESS = ("pad", "loop", "timeline", "mnist_full")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="one repeat each and no mnist_full")
    p.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(ORDER)}")
    p.add_argument("--headless", action="store_true",
                   help=f"without Qt: only {', '.join(HEADLESS)}, and no GUI runs in loop")
    args = p.parse_args(argv)
    allowed = HEADLESS if args.headless else ORDER
    chosen = [b for b in args.only.split(",") if b] or [b for b in allowed if not (args.quick and b == "mnist_full")]
    unknown = sorted(set(chosen) - set(allowed))
    if unknown:
        p.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(allowed)}")
    isolate()
    t0 = time.perf_counter()
    window = None
    for name in ORDER:
        if name not in chosen:
            continue
        note(f"{name} ...")
        if name == "startup":
            from . import startup
            startup.run(quick=args.quick)
            continue
        if name == "pad" and args.headless:
            from . import pad
            pad.run(None, quick=args.quick)
            continue
        if name == "timeline":    # no window: recording is the trainer's own cost
            from . import timeline
            timeline.run(quick=args.quick)
            continue
        if name == "mnist_full":
            from . import mnist_full
            mnist_full.run(quick=args.quick)
            continue
        if name == "loop" and args.headless:
            from . import loop
            loop.run(None, quick=args.quick)
            continue
        if window is None:
            from . import gui
            gui.application()
            window = gui.open_window()
        if name == "pad":
            from . import pad
            pad.run(window, quick=args.quick)
        elif name == "loop":
            from . import loop
            loop.run(window, quick=args.quick)
        elif name == "click":
            from . import click
            click.run(window, quick=args.quick)
        elif name == "boundary":
            from . import boundary
            boundary.run(window, quick=args.quick)
        elif name == "ui_stall":
            from . import stall
            stall.run(window, quick=args.quick)
        elif name == "memory":
            from . import memory
            memory.run(window, quick=args.quick)
    if window is not None:
        window.close()
    note(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
