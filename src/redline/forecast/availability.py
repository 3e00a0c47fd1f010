"""Composite availability per entry point, with k-of-n redundancy and zones.

Why k-of-n: a replica set is up when enough replicas are up to carry the load, not when all are (and not
when just one is, if one cannot carry it). With per-replica availability ``a``, ``n`` replicas of which
``k`` are needed: ``A = Σ_{j=k..n} C(n,j)·a^j·(1−a)^(n−j)`` (binomial survival). Where ``zones`` is stated,
replicas are spread evenly and each zone is up with probability ``z`` (0.9999 by default — an assumption):
``A = Σ_j P(j zones down)·A_kofn(replicas left)``. An entry point needs every component it reaches (series
system: ``A = Π A_c``) — conservative, since a fallback or circuit breaker may serve a degraded answer.
"""

from __future__ import annotations

import math

import numpy as np

from redline.forecast.graph import ZONE_AVAILABILITY, Network
from redline.forecast.network import IntArray

__all__ = ["MINUTES_PER_MONTH", "component_availability", "entry_availability"]

MINUTES_PER_MONTH = 30 * 24 * 60  # a 30-day month, the usual SLO window


def _binom_pmf(i: int, n: int, p: float) -> float:
    """P(X = i) for X ~ Binomial(n, p), in log space so that n in the thousands cannot overflow.

    Written out instead of scipy.stats: importing scipy.stats costs more than half a second of every
    forecast's start-up, for two one-line formulas.
    """
    if p <= 0.0:
        return 1.0 if i == 0 else 0.0
    if p >= 1.0:
        return 1.0 if i == n else 0.0
    log = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
    return math.exp(log + i * math.log(p) + (n - i) * math.log1p(-p))


def _k_of_n(k: int, n: int, a: float) -> float:
    """P(at least ``k`` of ``n`` replicas up), each up with probability ``a`` independently.

    Computed as 1 - P(fewer than k up): the short sum of small terms keeps the downtime (what matters)
    accurate to many digits, where summing the large terms near 1 would not.
    """
    if n < k:
        return 0.0
    return 1.0 - math.fsum(_binom_pmf(i, n, a) for i in range(k))


def component_availability(a: float, n: int, k: int, zones: int | None) -> float:
    """Availability of ``n`` replicas of which ``k`` must be up, optionally spread over ``zones``."""
    k = max(k, 1)
    if not zones or zones <= 1:
        return _k_of_n(k, n, a)
    total = 0.0
    for down in range(zones + 1):
        p_zones = _binom_pmf(down, zones, 1.0 - ZONE_AVAILABILITY)
        left = n - math.ceil(down * n / zones)
        total += p_zones * _k_of_n(k, left, a)
    return total


def entry_availability(
    net: Network, replicas: IntArray, needed: IntArray
) -> tuple[np.ndarray, list[tuple[float, str]]]:
    """Per-component availabilities and, per entry point, ``(availability, weakest component)``."""
    comp = np.array(
        [
            component_availability(float(net.availability[i]), int(replicas[i]), int(needed[i]), net.zones[i])
            for i in range(net.n)
        ]
    )
    out: list[tuple[float, str]] = []
    for e in range(len(net.entry_root)):
        idx = np.flatnonzero(net.reach[e])
        value = float(np.prod(comp[idx]))
        weakest = int(idx[np.argmin(comp[idx])])
        out.append((value, net.names[weakest]))
    return comp, out
