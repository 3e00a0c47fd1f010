"""Single-station queueing formulas: Erlang C, M/M/c, Allen–Cunneen G/G/c, response-time distributions.

Why these and not a simulation: a replica set behind a load balancer is, to first order, ``c`` identical
servers fed by one stream (Kendall's M/M/c); Erlang C gives the probability an arrival waits, and its
waiting time is exponential given that it waits. That closed form gives whole *distributions*, which is
what p95/p99 SLOs need, in microseconds, vectorized over thousands of stations.

Formulas (Kleinrock, *Queueing Systems* vol. 1, §3.5; Gross & Harris, *Fundamentals of Queueing
Theory*, §2.3), with offered load ``a = λ·S`` and utilization ``ρ = a/c``:

* Erlang B (loss): ``B(c, a) = (a^c/c!) / Σ_{k≤c} a^k/k!`` — computed as a Poisson pmf/cdf ratio,
  ``B = pmf(c; a) / cdf(c; a)``, which is stable for c in the thousands (no factorials, no recursion).
  Written with the gamma function and the regularized incomplete gamma function, it is defined for any
  real ``c > 0``: the layered model's *effective* number of servers (:mod:`.network`) need not be whole.
* Erlang C (wait probability): ``C(c, a) = B / (1 − ρ(1 − B))``.
* M/M/c mean wait: ``Wq = C·S / (c − a)``; response ``R = Wq + S``.
* Waiting-time distribution: ``P(W = 0) = 1 − C``; ``W | W > 0 ~ Exp(rate cμ − λ)``.
* Allen–Cunneen (G/G/c): ``Wq ≈ Wq(M/M/c) · (ca² + cs²)/2``. Arrivals here are Poisson (``ca² = 1``), so
  the factor is ``(1 + cs²)/2``. The wait keeps the M/M/c shape (atom at 0 of mass ``1 − C``, exponential
  tail) with its conditional mean scaled to match — exact for ``cs² = 1``, an approximation otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc_response_time",
    "mmc_wait_cdf",
    "mmc_wait_time",
    "station_wait",
]

FloatArray = npt.NDArray[np.float64]


def erlang_b(c: npt.ArrayLike, a: npt.ArrayLike) -> FloatArray:
    """Erlang B blocking probability for ``c`` servers and offered load ``a`` (Erlangs), vectorized."""
    c_arr = np.asarray(c, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_pmf = special.xlogy(c_arr, a_arr) - a_arr - special.gammaln(c_arr + 1.0)
        cdf = special.gammaincc(c_arr + 1.0, a_arr)  # P(Poisson(a) ≤ c); continuous in c (effective servers)
        b = np.exp(log_pmf) / cdf
    # a = 0: nothing offered, nothing blocked. cdf underflows to 0 only for a >> c: everything blocked.
    b = np.where(a_arr <= 0.0, 0.0, b)
    return np.asarray(np.where(np.isfinite(b), np.clip(b, 0.0, 1.0), 1.0), dtype=np.float64)


def erlang_c(c: npt.ArrayLike, a: npt.ArrayLike) -> FloatArray:
    """Probability that an arrival waits (Erlang C). 1 where the station is saturated (``a ≥ c``)."""
    c_arr = np.asarray(c, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    rho = np.divide(a_arr, c_arr, out=np.full_like(a_arr * c_arr, np.inf), where=c_arr > 0)
    b = erlang_b(c_arr, a_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        cc = b / (1.0 - rho * (1.0 - b))
    return np.asarray(np.where(rho >= 1.0, 1.0, np.clip(cc, 0.0, 1.0)), dtype=np.float64)


def station_wait(
    c: npt.ArrayLike, lam: npt.ArrayLike, hold: npt.ArrayLike, scv: npt.ArrayLike = 1.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wait probability, mean wait, and utilization of a ``c``-server station (Allen–Cunneen G/G/c).

    ``hold`` is the mean time a server is held per visit and ``scv`` its squared coefficient of variation.
    Saturated stations (``ρ ≥ 1``) get an infinite mean wait; callers turn that into "unstable".
    """
    c_arr = np.asarray(c, dtype=np.float64)
    a = np.asarray(lam, dtype=np.float64) * np.asarray(hold, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(c_arr > 0, a / c_arr, np.inf)
        rho = np.where(np.isnan(rho), np.inf, rho)
        p_wait = erlang_c(c_arr, a)
        wq = p_wait * np.asarray(hold, dtype=np.float64) / (c_arr - a)
        wq = wq * (1.0 + np.asarray(scv, dtype=np.float64)) / 2.0
    wq = np.where(rho >= 1.0, np.inf, np.where(np.isnan(wq), 0.0, wq))
    return p_wait, np.asarray(wq, dtype=np.float64), np.asarray(rho, dtype=np.float64)


def mmc_wait_time(c: int, lam: float, service_s: float) -> float:
    """M/M/c mean waiting time in queue, ``Wq = C(c, λS)·S/(c − λS)``; ``inf`` when saturated."""
    _, wq, _ = station_wait(c, lam, service_s, 1.0)
    return float(wq)


def mmc_response_time(c: int, lam: float, service_s: float) -> float:
    """M/M/c mean response time ``R = Wq + S`` (what PDQ reports as the residence time)."""
    return mmc_wait_time(c, lam, service_s) + service_s


def mmc_wait_cdf(t: float, c: int, lam: float, service_s: float) -> float:
    """``P(W ≤ t)`` for M/M/c: ``1 − C·exp(−(cμ − λ)t)`` (Gross & Harris eq. 2.39)."""
    a = lam * service_s
    if a >= c:
        return 0.0
    p_wait = float(erlang_c(c, a))
    return 1.0 - p_wait * math.exp(-(c / service_s - lam) * t)
