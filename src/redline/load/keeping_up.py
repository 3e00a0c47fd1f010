"""Is the generator keeping up? Its schedule lag judged against what it measures, window by window.

Latency in the open model runs from each request's *intended* send time, so a generator that dispatches
late adds its own lateness to every latency it reports, and the server sees a thinner arrival stream than
asked. How much lateness matters depends on what is being measured: 5 ms of lag is nothing next to a
500 ms p50 and a quarter of a 20 ms one. So a window keeps up when

    schedule lag p99  ≤  max(LAG_FRACTION × latency p50,  LAG_FLOOR_MS)

with both taken over the same window (:data:`WINDOW_S` seconds; the last may be shorter). The floor keeps
a sub-millisecond p50 from failing on timer noise: the event loop's timers have 1 ms resolution, and on
the 2-core bench machine, with the server under test on the same cores and little else running, lag p99
per window reached 3.3 ms (docs/load.md, "Keeping up"). A window in which nothing was dispatched is not
judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redline.load.histogram import Histogram

__all__ = ["LAG_FLOOR_MS", "LAG_FRACTION", "WINDOW_S", "LagWindows", "lag_limit_ms"]

LAG_FRACTION = 0.10
LAG_FLOOR_MS = 5.0
WINDOW_S = 5


def lag_limit_ms(latency_p50_ms: float | None) -> float:
    """The lag p99 a window may reach: 10% of its latency p50, never below the floor."""
    if latency_p50_ms is None:
        return LAG_FLOOR_MS
    return max(LAG_FRACTION * latency_p50_ms, LAG_FLOOR_MS)


@dataclass
class _Open:
    start: int
    end: int
    lag: Histogram = field(default_factory=Histogram)
    latency: Histogram = field(default_factory=Histogram)


class LagWindows:
    """Closed seconds grouped into windows of :data:`WINDOW_S`; each judged once complete."""

    def __init__(self, window_s: int = WINDOW_S) -> None:
        self.window_s = window_s
        self.rows: list[dict[str, Any]] = []
        self._open: _Open | None = None

    def add(self, second: int, lag: Histogram, latency: Histogram) -> None:
        """Add one closed second (its index from the start, and its lag and latency histograms)."""
        index = second // self.window_s
        if self._open is not None and self._open.start // self.window_s != index:
            self.close()
        if self._open is None:
            self._open = _Open(start=second, end=second)
        self._open.end = second
        self._open.lag.merge(lag)
        self._open.latency.merge(latency)

    def close(self) -> None:
        """Judge the window being filled (at the end of a run: the last, possibly shorter, one)."""
        w, self._open = self._open, None
        if w is None or w.lag.total == 0:
            return  # nothing was dispatched: no lag to judge (the drain after the schedule)
        p50 = round(w.latency.percentile(50) / 1000, 3) if w.latency.total else None
        lag_p99 = round(w.lag.percentile(99) / 1000, 3)
        limit = round(lag_limit_ms(p50), 3)
        self.rows.append(
            {
                "from_s": w.start,
                "to_s": w.end + 1,
                "lag_p99_ms": lag_p99,
                "latency_p50_ms": p50,
                "limit_ms": limit,
                "keeping_up": lag_p99 <= limit,
            }
        )

    @property
    def keeping_up(self) -> bool:
        return all(r["keeping_up"] for r in self.rows)

    def behind(self) -> list[dict[str, Any]]:
        """The windows that fell behind."""
        return [r for r in self.rows if not r["keeping_up"]]
