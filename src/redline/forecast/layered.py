"""Held workers as a layered queueing network: what a held pool's own tokens do to its callees' queues.

Why this module: a thread-per-request caller holds one of its ``replicas × workers`` tokens while its
call waits and is served downstream. So its requests can never have more than that many calls in a
callee's queue: the caller's tokens are a *finite source* for the callee, and the open M/M/c formula
(an unbounded queue) overstates the wait they cause there, most of all when the tokens are few. With a
front of 6 workers before a 4-worker back the open formula put saturation 20% too low and named the
wrong component.

What this module computes (the method is in docs/forecast.md, "Held workers: the layered model"):

* **The callee at full congestion**, when every token of the caller is busy: :func:`closed_station`.
  Each token alternates between the callee (``c`` servers, mean holding time ``H``) and everything else
  it does (the *think time* ``Z``: the caller's own service, its other calls, the call overhead). That is
  the finite-source (machine-repairman) queue M/M/c//K, a closed product-form network whose exact
  solution is a truncated binomial below ``c`` in system and a truncated Poisson (in the number
  thinking) above it; both sums have closed forms in the regularized incomplete beta and gamma
  functions, so the cost does not grow with ``K``.
* **Think times** per call, from the network at zero load: :func:`think_times`. They do not depend on
  load, so a full-congestion wait only rises with load, as the callee's holding time does.

:mod:`.network` turns these into each held station's capacity and wait.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["MAX_TOKENS", "closed_station", "copies", "think_times"]

FloatArray = npt.NDArray[np.float64]

#: Above this many tokens the finite-source sums lose digits; the station is then saturated with all but
#: a negligible share of them queued (``K`` is far past any knee), and its asymptote is exact.
MAX_TOKENS = 10_000_000


def copies(call_mean: FloatArray, call_par: npt.NDArray[np.bool_]) -> FloatArray:
    """Requests one token has at the callee at once: 1 for a sequential call, ``⌈count⌉`` for a parallel."""
    return np.asarray(np.where(call_par, np.maximum(np.ceil(call_mean), 1.0), 1.0), dtype=np.float64)


def think_times(
    *,
    hold0: FloatArray,
    core0: FloatArray,
    hit: FloatArray,
    call_src: npt.NDArray[np.int64],
    call_dst: npt.NDArray[np.int64],
    call_mean: FloatArray,
    call_par: npt.NDArray[np.bool_],
) -> FloatArray:
    """Per call, the time a caller's token spends elsewhere between two calls to the callee, at zero load.

    ``hold0`` is each station's holding time and ``core0`` its response time at zero load (no waits
    anywhere). A token's time per request outside callee ``d`` is its holding time less what it spends at
    ``d`` (a call's overhead is outside ``d``); divided by its calls to ``d`` per request (per copy, for a
    parallel call). Never below a nanosecond, so a caller that does nothing else still thinks.
    """
    per_copy = (1.0 - hit[call_src]) * call_mean / copies(call_mean, call_par)
    outside = hold0[call_src] - per_copy * core0[call_dst]
    with np.errstate(divide="ignore", invalid="ignore"):
        think = np.where(per_copy > 0, outside / per_copy, np.inf)
    return np.asarray(np.maximum(think, 1e-9), dtype=np.float64)


def _log_weights(k: FloatArray, c: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log of the head (``< c`` at the station) and tail (``≥ c``) masses relative to state ``c``, and
    ``log q_c``, for ``k > c`` tokens and ``y = c·Z/H``.

    Tail: ``Σ_{m=0..M} (M!/(M−m)!)·y^{−m} = e^y·y^{−M}·M!·P(Poisson(y) ≤ M)``, ``M = k − c``.
    Head: ``Σ_{i<c} C(k, i)·r^i = (1 + r)^k·P(Binomial(k, r/(1+r)) ≤ c − 1)``, ``r = c/y``, over ``q_c``.
    """
    m = k - c
    r = c / y
    with np.errstate(divide="ignore"):
        log_tail = y - m * np.log(y) + special.gammaln(m + 1.0) + np.log(special.gammaincc(m + 1.0, y))
        log_qc = (
            special.gammaln(k + 1.0) - special.gammaln(c + 1.0) - special.gammaln(m + 1.0) + c * np.log(r)
        )
        log_head = k * np.log1p(r) + np.log(special.betainc(m + 1.0, c, y / (c + y))) - log_qc
    return log_tail, log_head, log_qc


def closed_station(
    tokens: npt.ArrayLike, servers: npt.ArrayLike, hold: npt.ArrayLike, think: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The finite-source queue M/M/c//K: utilization, mean wait and the probability an arrival waits.

    ``tokens`` (K) customers each alternate between a think time of mean ``think`` (Z, any distribution:
    the delay station is insensitive) and this station's ``servers`` (c) exponential servers of mean
    ``hold`` (H). Exact, vectorized, in closed form: with ``y = c·Z/H`` the stationary number at the
    station is a truncated binomial below ``c`` and a truncated Poisson (in the number thinking) above.
    The wait is by Little's law on the queue; the wait probability by the arrival theorem (an arriving
    customer sees the system with ``K − 1`` customers). ``K ≤ c`` never waits.
    """
    k = np.asarray(tokens, dtype=np.float64)
    c = np.asarray(servers, dtype=np.float64)
    h = np.asarray(hold, dtype=np.float64)
    z = np.asarray(think, dtype=np.float64)
    k, c, h, z = (np.atleast_1d(x).astype(np.float64) for x in np.broadcast_arrays(k, c, h, z))
    # K ≤ c: every token busy H of every H + Z, no queue (an infinite Z: never busy).
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.asarray(np.nan_to_num(np.minimum(k * h / (c * (h + z)), 1.0)), dtype=np.float64)
    wq = np.zeros(k.shape)
    p_wait = np.zeros(k.shape)
    huge = k > MAX_TOKENS
    if huge.any():  # saturated: Lq = K − c − y exactly, every arrival waits
        wq[huge] = np.maximum((k[huge] - c[huge]) * h[huge] / c[huge] - z[huge], 0.0)
        util[huge], p_wait[huge] = 1.0, 1.0
    queue = (k > c) & ~huge & np.isfinite(z)  # an infinite think time never comes back: no queue
    if queue.any():
        kq, cq, hq, zq = k[queue], c[queue], h[queue], z[queue]
        y = np.maximum(cq * zq / hq, 1e-300)
        m = kq - cq
        log_tail, log_head, log_qc = _log_weights(kq, cq, y)
        log_all = np.logaddexp(log_tail, log_head)
        p_tail = np.exp(log_tail - log_all)
        # Busy servers below c: Σ_{i<c} i·C(k, i)·r^i = k·r·(1 + r)^(k−1)·P(Binomial(k − 1, p) ≤ c − 2).
        r = cq / y
        below = np.where(cq >= 2, special.betainc(m + 1.0, np.maximum(cq - 1.0, 1.0), y / (cq + y)), 0.0)
        with np.errstate(divide="ignore"):
            log_busy_low = np.log(kq) + np.log(r) + (kq - 1.0) * np.log1p(r) + np.log(below) - log_qc
        busy = np.exp(log_busy_low - log_all) + cq * p_tail
        # Queue length given ≥ c: M − y·P(Poisson(y) ≤ M − 1)/P(Poisson(y) ≤ M).
        g_m = special.gammaincc(m + 1.0, y)
        g_m1 = special.gammaincc(m, y)
        ratio = np.where(g_m > 0, g_m1 / np.where(g_m > 0, g_m, 1.0), 0.0)
        lq = p_tail * np.maximum(m - y * ratio, 0.0)
        util[queue] = busy / cq
        wq[queue] = np.where(busy > 0, lq / np.where(busy > 0, busy, 1.0), 0.0) * hq
        arrive_tail, arrive_head, _ = _log_weights(kq - 1.0, cq, y)
        p_wait[queue] = np.where(
            kq - 1.0 >= cq, np.exp(arrive_tail - np.logaddexp(arrive_tail, arrive_head)), 0.0
        )
    return util, wq, p_wait
