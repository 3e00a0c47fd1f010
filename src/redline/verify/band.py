"""The noise band: how far a measured percentile may stray from the truth in a run of this length.

A percentile measured from ``n`` completions is itself a random quantity. For independent samples its
standard error is the asymptotic one of a sample quantile (Serfling, *Approximation Theorems of
Mathematical Statistics*, §2.3.3)::

    sd(x̂_p) = sqrt(p(1 − p) / n) / f(x_p)

with ``f`` the latency density at the percentile. Both come from the model:

* ``f`` from the forecast's own p50, p95 and p99, reading the distribution between them as exponential
  (queueing tails are): the tail beyond p95 has mean ``θ = (x99 − x95)/ln 5``, so ``f(x95) = 0.05/θ`` and
  ``f(x99) = 0.01/θ``; around the median ``θ₅₀ = (x95 − x50)/ln 10`` and ``f(x50) = 0.5/θ₅₀`` (both exact for
  an exponential law).
* Latencies of successive requests are not independent: a request that finds a queue is followed by others
  that find it too. The variance of a mean over a run of a stationary M/M/1 waiting-time process is
  ``(2 + 5ρ − 4ρ² + ρ³) / ((2 − ρ)(1 − ρ)²)`` times the independent-sample variance (Daley 1968; Whitt,
  "Planning queueing simulations", 1989). Only the waiting part of a latency is correlated, so each
  station's factor counts in proportion to its share of the mean latency (``visits × wait / mean``), and
  the run's effective sample size is ``n / (1 + Σ (factor − 1) × share)``.

The band is ``1.96 × sd / predicted`` (95%), plus the histogram's own resolution (0.5%). A measured
percentile outside it is an error the run length cannot explain. With three or more repeats of a load,
the scatter between them is measured too (:func:`between_runs_pct`: Student's t on the repeats'
percentiles), and the band is the wider of the two: that covers what the model cannot know, such as a
machine whose load changes from one run to the next. docs/verify.md discusses the limits.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy import stats

__all__ = ["Z95", "StationLoad", "autocorrelation", "band_pct", "between_runs_pct", "quantile_density"]

Z95 = 1.959964
RESOLUTION_PCT = 0.5  # the load histograms' bucket error (docs/load.md)
_LN5 = math.log(5.0)
_LN10 = math.log(10.0)


@dataclass(frozen=True)
class StationLoad:
    """What the forecast says about one station at the load of a run."""

    utilization: float
    visits: float  # per entry request
    wait_ms: float  # mean wait per visit


def _inflation(rho: float) -> float:
    """Variance inflation of a run mean of M/M/1 waiting times at utilization ``rho`` (≥ 1)."""
    rho = min(max(rho, 0.0), 0.995)
    return (2 + 5 * rho - 4 * rho**2 + rho**3) / ((2 - rho) * (1 - rho) ** 2)


def autocorrelation(stations: list[StationLoad], mean_ms: float) -> float:
    """The factor by which correlation between successive requests shrinks the effective sample."""
    if mean_ms <= 0:
        return 1.0
    extra = 0.0
    for s in stations:
        share = min(max(s.visits * s.wait_ms / mean_ms, 0.0), 1.0)
        if share > 0:
            extra += (_inflation(s.utilization) - 1.0) * share
    return 1.0 + extra


def quantile_density(p: float, p50: float, p95: float, p99: float) -> float | None:
    """The latency density (per ms) at percentile ``p`` ∈ {0.5, 0.95, 0.99}, from the three percentiles."""
    if p >= 0.95:
        theta = (p99 - p95) / _LN5
        return (1.0 - p) / theta if theta > 0 else None
    theta = (p95 - p50) / _LN10
    return 0.5 / theta if theta > 0 else None


def band_pct(p: float, predicted: tuple[float, float, float], n: int, inflation: float) -> float | None:
    """Half-width (percent of the predicted value) of the 95% band of percentile ``p`` over ``n`` samples.

    ``predicted`` is (p50, p95, p99) in ms. ``None`` when it cannot be computed (no samples, a degenerate
    prediction).
    """
    p50, p95, p99 = predicted
    value = {0.5: p50, 0.95: p95, 0.99: p99}[p]
    f = quantile_density(p, p50, p95, p99)
    if n <= 0 or f is None or f <= 0 or value <= 0:
        return None
    n_eff = n / max(inflation, 1.0)
    sd = math.sqrt(p * (1 - p) / n_eff) / f
    return Z95 * sd / value * 100.0 + RESOLUTION_PCT


def between_runs_pct(values: list[float], predicted: float) -> float | None:
    """Half-width (percent of ``predicted``) of the 95% interval of the mean of ``values``, one percentile
    measured in each of several runs; ``None`` with fewer than three runs."""
    if len(values) < 3 or predicted <= 0:
        return None
    sem = statistics.stdev(values) / math.sqrt(len(values))
    return float(stats.t.ppf(0.975, len(values) - 1)) * sem / predicted * 100.0 + RESOLUTION_PCT
