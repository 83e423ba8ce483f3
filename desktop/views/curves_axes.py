"""The curves' axes: "nice" range ends, and a log-scale loss axis that labels only where it has room."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF


def nice_ceiling(v: float) -> float:
    """The next of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (times a power of ten) at or above v."""
    if v <= 0 or not math.isfinite(v):
        return 1.0
    base = 10 ** math.floor(math.log10(v))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * base >= v - 1e-12 * base:
            return step * base
    return 10 * base


def log_ticks(lo: float, hi: float, pixels: float, min_gap: float) -> list[float]:
    """Labelled ticks (as log10 of the value) for a log axis showing lo..hi (log10) over `pixels`,
    at least `min_gap` pixels apart: the most of 1-3, 1-2-5, ... 1-9 per decade that fit (every n-th
    decade when even whole decades crowd), or, when the range is too narrow for two of those,
    evenly spaced values (0.3, 0.35, 0.4). pyqtgraph's own log ticks label 1..9 of
    each decade whatever the room: in the short loss pane they piled into one unreadable block."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or pixels <= 0:
        return []
    per_decade = pixels / (hi - lo)

    def fits(ticks: list[float]) -> bool:
        return all((b - a) * per_decade >= min_gap for a, b in zip(ticks, ticks[1:]))

    def decades(mantissas: tuple[int, ...]) -> list[float]:
        ticks = [e + math.log10(m) for e in range(math.floor(lo), math.ceil(hi) + 1) for m in mantissas]
        return [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]

    if not fits(decades((1,))):            # even whole decades crowd: every n-th one
        n = 2
        while True:
            best = [float(e) for e in range(math.ceil(lo), math.floor(hi) + 1) if e % n == 0]
            if fits(best) or len(best) <= 1:
                return best
            n *= 2
    steps = ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 8), tuple(range(1, 10)))
    best = max((t for t in map(decades, steps) if fits(t)), key=len)
    if len(best) >= 2:
        return best
    # Less than a 1-2-5 step in sight: evenly spaced values, as a linear axis would put them.
    v_lo, v_hi = 10 ** lo, 10 ** hi
    step = nice_ceiling((v_hi - v_lo) / max(2.0, pixels / min_gap))
    while True:   # coarser steps until two fit; none fit: the one decade tick, else one value
        first = math.ceil(v_lo / step - 1e-9)
        ticks = [math.log10(k * step) for k in range(first, math.floor(v_hi / step + 1e-9) + 1) if k > 0]
        if len(ticks) < 2:
            return best or ticks
        if fits(ticks):
            return ticks
        step = nice_ceiling(step * 1.01)


class LossAxis(pg.AxisItem):
    """The loss plot's left axis: on a log scale, labels only where they have room (log_ticks)."""

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802
        font = self.style.get("tickFont") or QFont()
        gap = 1.6 * QFontMetricsF(font).height()
        return [(1.0, log_ticks(minVal, maxVal, size, gap))]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        return [f"{10 ** v:.3g}" for v in values]


__all__ = ["LossAxis", "log_ticks", "nice_ceiling"]
