"""The trend test: did the system keep up with a step's load, or did a queue grow without end?

Over the part of the run after the warm-up (the sending window only), two signs of an unstable queue:

1. **Completions against arrivals.** A stable system finishes what it is sent, give or take the requests
   in it at the two ends of the window; an overloaded one falls behind by ``(λ − μ)`` per second. The
   step is unstable when ``arrivals − completions > 3 √arrivals`` (three standard deviations of the
   Poisson arrival count: a stable system's in-flight count moves far less than that below
   utilization ~0.98).
2. **The first third against the last.** In an overloaded system latency grows with time. The window is
   cut in thirds and each third's latency taken as the median of its per-second p50s; the step is
   unstable when the three rise in order and the last is at least 1.5 × the first (catching an overload
   too small for test 1 within the run).

Throughput is measured over the last two thirds (by then an overloaded system's queue has formed and its
bottleneck is busy all the time): the completions per second there estimate the saturation throughput.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

__all__ = ["BACKLOG_SIGMAS", "GROWTH_RATIO", "StepDecision", "decide"]

BACKLOG_SIGMAS = 3.0
GROWTH_RATIO = 1.5


@dataclass(frozen=True)
class StepDecision:
    arrivals: int
    completions: int
    backlog: int
    backlog_limit: float
    throughput_rps: float | None
    throughput_completions: int
    thirds_ms: tuple[float | None, float | None, float | None]
    stable: bool
    reason: str


def _median_p50(rows: list[dict[str, Any]]) -> float | None:
    values = [r["latency_ms"]["p50"] for r in rows if r["latency_ms"]["p50"] is not None]
    return statistics.median(values) if values else None


def decide(series: list[dict[str, Any]], warmup_s: int, duration_s: float) -> StepDecision:
    """Judge one step from its per-second series (``redline load``'s ``series`` rows)."""
    rows = [r for r in series if warmup_s < r["t"] <= math.ceil(duration_s)]
    arrivals = sum(int(r["sent"]) for r in rows)
    completions = sum(int(r.get("responses", r["requests"])) for r in rows)
    backlog = arrivals - completions
    limit = BACKLOG_SIGMAS * math.sqrt(max(arrivals, 1))
    k = len(rows) // 3
    thirds: tuple[float | None, float | None, float | None] = (None, None, None)
    if k >= 1:
        thirds = (_median_p50(rows[:k]), _median_p50(rows[k : len(rows) - k]), _median_p50(rows[-k:]))
    tail = rows[k:] if k >= 1 else rows
    tail_done = sum(int(r.get("responses", r["requests"])) for r in tail)
    throughput = tail_done / len(tail) if tail else None
    first, middle, last = thirds
    growing = (
        first is not None
        and middle is not None
        and last is not None
        and first < middle < last
        and last >= GROWTH_RATIO * first
    )
    if not rows or arrivals == 0:
        return StepDecision(0, 0, 0, limit, None, 0, thirds, False, "nothing was sent after the warm-up")
    if backlog > limit:
        reason = f"completions fell behind arrivals by {backlog:,} (> {limit:,.0f}, 3 √arrivals)"
        stable = False
    elif growing:
        assert first is not None and last is not None
        reason = f"latency grew through the run: p50 {first:.1f} → {last:.1f} ms (first third → last)"
        stable = False
    else:
        reason = f"kept up: backlog {backlog:,} (limit {limit:,.0f}), no latency growth"
        stable = True
    return StepDecision(arrivals, completions, backlog, limit, throughput, tail_done, thirds, stable, reason)
