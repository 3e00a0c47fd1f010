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
import numpy.typing as npt
from scipy import special

from redline.forecast.graph import ZONE_AVAILABILITY, Network
from redline.forecast.network import IntArray

FloatArray = npt.NDArray[np.float64]

__all__ = ["MINUTES_PER_MONTH", "component_availability", "entry_availability"]

MINUTES_PER_MONTH = 30 * 24 * 60  # a 30-day month, the usual SLO window


def _binom_pmf(i: IntArray, n: int, p: float) -> FloatArray:
    """P(X = i) for X ~ Binomial(n, p), elementwise, in log space so that large ``n`` cannot overflow.

    Written out instead of scipy.stats: importing scipy.stats costs more than half a second of every
    forecast's start-up, for two one-line formulas.
    """
    if p <= 0.0:
        return np.asarray(i == 0, dtype=np.float64)
    if p >= 1.0:
        return np.asarray(i == n, dtype=np.float64)
    log = special.gammaln(n + 1) - special.gammaln(i + 1) - special.gammaln(n - i + 1)
    return np.asarray(np.exp(log + i * math.log(p) + (n - i) * math.log1p(-p)), dtype=np.float64)


def _k_of_n(k: int, n: IntArray, a: float) -> FloatArray:
    """P(at least ``k`` of ``n`` replicas up), each up with probability ``a`` independently, elementwise.

    Computed as 1 − P(at most k − 1 up) with the regularized incomplete beta function (``bdtr``): the small
    lower tail keeps the downtime (what matters) accurate to many digits, and the cost does not grow with
    ``n`` or ``k``.
    """
    n = np.asarray(n, dtype=np.int64)
    if a >= 1.0:
        return np.asarray(n >= k, dtype=np.float64)
    short = special.bdtr(k - 1, np.maximum(n, k - 1), a)  # n < k: bdtr is nan there, and the answer is 0
    return np.asarray(np.where(n >= k, 1.0 - short, 0.0), dtype=np.float64)


def component_availability(a: float, n: int, k: int, zones: int | None) -> float:
    """Availability of ``n`` replicas of which ``k`` must be up, optionally spread over ``zones``.

    ``zones`` is at most :data:`~redline.forecast.limits.MAX_ZONES` (checked when the system is
    compiled): the sum over zones down is one vectorized pass, and ``k_of_n`` costs the same for any
    ``n``.
    """
    k = max(k, 1)
    if not zones or zones <= 1:
        return float(_k_of_n(k, np.asarray([n]), a)[0])
    down = np.arange(zones + 1, dtype=np.int64)
    p_zones = _binom_pmf(down, zones, 1.0 - ZONE_AVAILABILITY)
    left = n - (down * n + zones - 1) // zones  # n − ⌈down·n/zones⌉, in integers
    return float(np.dot(p_zones, _k_of_n(k, left, a)))


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
