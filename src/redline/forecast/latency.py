"""End-to-end latency distributions: per-station distributions composed along the call tree.

Why transforms: an entry point's latency is a sum (sequential calls), a random sum (fractional counts,
cache hits) and a max (parallel fan-out) of per-station response times. Sums are products of Laplace
transforms, random sums are probability-generating functions of transforms, and both are exact and cheap
on a frequency grid; only a max needs the CDF, which one inverse FFT gives. So percentiles come from the
composed *distribution* — not from "mean × constant" — in one pass over the stations an entry point reaches.

Per station and visit (state from :mod:`.network`):

* wait ``W``: mass ``1 − C`` at 0, else exponential with the Allen–Cunneen conditional mean — exactly the
  M/M/c waiting-time law when ``cs² = 1``: ``L_W(s) = (1 − C) + C/(1 + s·w)``. The entry point's own
  station waits its own wait; every call waits the wait :mod:`.network` gives *that call* at its callee
  (for a caller that holds its workers: the callee's other traffic's wait, plus, at the callee that binds
  it, the part of the caller's layered wait spent holding a token there);
* own service ``S``: gamma with the stated mean and SCV (exponential by default, deterministic at SCV 0):
  ``L_S(s) = (1 + sθ)^(−k)``, ``k = 1/cs²``, ``θ = S·cs²``;
* a call through a pool adds the pool's wait (same mixture form), and its overhead ``o`` (a constant:
  ``e^(−s·o)``);
* ``n = ⌊n⌋ + Bernoulli(frac)`` sequential calls: ``L_T^⌊n⌋ · (1 − frac + frac·L_T)``;
* a parallel block: ``F_block = Π F_T^⌊n⌋ (1 − frac + frac·F_T)`` over the parallel calls (CDF domain),
  0 below t = 0 — the "no call" mass ``1 − frac`` sits at t = 0, so one call with ``n ≤ 1`` is the same
  call made in sequence; copies sent to one callee together are a batch instead, their block from
  :func:`redline.forecast.batch.block_cdf` (they queue behind each other and see one queue);
* a cache hit skips all calls: ``L_D = h + (1 − h)·L_D'``.

Per-visit draws are independent — the usual product-form/Kleinrock independence assumption; the
discrete-event test in ``tests/forecast`` checks what that costs. The grid spans
``mean + 30·sd`` plus the slowest exponential tail, so wrap-around (aliasing) mass is below 1e-6; a
Gaussian of 1.5 grid steps damps Gibbs ringing from atoms (zero waits, deterministic service).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from redline.forecast.batch import block_cdf
from redline.forecast.graph import Network
from redline.forecast.network import State, mean_given_wait

__all__ = ["Distribution", "entry_distribution"]

ComplexArray = npt.NDArray[np.complex128]
FloatArray = npt.NDArray[np.float64]


_CDF_NOISE = 1e-6  # the grid's aliasing bound (module docstring): CDF values closer than this are equal


class Distribution:
    """A latency distribution on a grid: CDF values at ``(j + ½)·dt − offset``."""

    def __init__(self, cdf: FloatArray, dt: float, offset: float = 0.0) -> None:
        self.cdf = cdf
        self.dt = dt
        self.offset = offset

    def quantile(self, q: float) -> float:
        """Linear interpolation of the inverse CDF (never below zero)."""
        return max(self._quantile(q) - self.offset, 0.0)

    def _quantile(self, q: float) -> float:
        # The quantile is inf{t: F(t) ≥ q}. Where the CDF is flat at exactly q (a cache hit ratio of 0.5
        # and p50: the hit path ends before the miss path starts), grid noise decides where in the flat
        # stretch F first reaches q, and the reading jumps by many steps as load changes. Searching for
        # q − _CDF_NOISE takes the stretch's left end, the quantile itself.
        cdf = self.cdf
        j = int(np.searchsorted(cdf, q - _CDF_NOISE))
        if j >= len(cdf):
            return float(len(cdf) * self.dt)
        hi_t = (j + 0.5) * self.dt
        if j == 0:
            return hi_t * q / max(float(cdf[0]), 1e-300)
        lo_t, lo_c, hi_c = hi_t - self.dt, float(cdf[j - 1]), float(cdf[j])
        if hi_c <= lo_c:
            return hi_t
        return lo_t + min(max((q - lo_c) / (hi_c - lo_c), 0.0), 1.0) * self.dt

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        return [self.quantile(q) for q in qs]


_SHIFT = 12


def _grid_size(reached: int) -> int:
    """Fine grids for normal systems; coarser for very large graphs, where each transform costs O(G)."""
    if reached <= 1500:
        return 2048
    if reached <= 5000:
        return 2048
    return 1024


class _Plan:
    """What does not change with load: the stations an entry point reaches, in order, and their calls."""

    def __init__(self, net: Network, entry: int) -> None:
        reach = net.reach[entry]
        self.stations = [s for level in net.levels for s in level[reach[level]].tolist()]
        self.out_calls: dict[int, list[int]] = {}
        self.callers: dict[int, int] = {}
        for j, (src, dst) in enumerate(zip(net.call_src.tolist(), net.call_dst.tolist(), strict=True)):
            if reach[src]:
                self.out_calls.setdefault(src, []).append(j)
                self.callers[dst] = self.callers.get(dst, 0) + 1
        self.calls = [j for calls in self.out_calls.values() for j in calls]


def _plan(net: Network, entry: int) -> _Plan:
    cache: dict[int, _Plan] = net.__dict__.setdefault("_latency_plans", {})
    if entry not in cache:
        cache[entry] = _Plan(net, entry)
    return cache[entry]


def entry_distribution(
    net: Network, state: State, entry: int, *, grid: int | None = None
) -> Distribution | None:
    """The end-to-end latency distribution of entry point ``entry``; ``None`` when it is unbounded.

    ``grid`` overrides the number of grid points (searches use a coarse grid; reports the default).
    """
    root = net.entry_root[entry]
    if state.infinite[root]:
        return None
    plan = _plan(net, entry)
    stations = plan.stations
    size = grid or _grid_size(len(stations))
    cw = state.cond_wait()
    call_cw = mean_given_wait(state.call_p_wait, state.call_wq)
    pool_cw = mean_given_wait(state.call_pool_p_wait, state.call_pool_wq)
    visits = net.visits[entry]
    tail = 0.0
    waits = [(float(state.p_wait[root]), float(cw[root]), 1.0)]
    for j in plan.calls:
        per = max(float(visits[net.call_src[j]]) * float(net.call_mean[j]), 1e-9)
        waits.append((float(state.call_p_wait[j]), float(call_cw[j]), per))
        waits.append((float(state.call_pool_p_wait[j]), float(pool_cw[j]), per))
    for p_w, c_w, per in waits:
        weight = p_w * per * 1e6
        if weight > 1.0:
            tail = max(tail, c_w * math.log(weight))
    mean, sd = float(state.r_mean[root]), math.sqrt(max(float(state.r_var[root]), 0.0))
    span = max(mean + 30.0 * sd + tail, 2.0 * mean)
    if span <= 0:
        span = 1e-6
    # The origin sits ``_SHIFT`` steps into the grid so that smoothing an atom or a jump at t = 0 does not
    # wrap half of it around to the far end of the (periodic) grid.
    span *= size / (size - _SHIFT)
    dt = span / size
    offset = _SHIFT * dt
    s_grid = 1j * 2.0 * np.pi * np.arange(size // 2 + 1) / span
    smooth = np.exp(-0.5 * (np.abs(s_grid) * 1.5 * dt) ** 2 - s_grid * offset)
    unshift = np.exp(s_grid * offset)

    def to_cdf(lt: ComplexArray) -> FloatArray:
        masses = np.fft.irfft(lt * smooth, n=size)
        return np.asarray(np.clip(np.maximum.accumulate(np.cumsum(masses)), 0.0, 1.0), dtype=np.float64)

    def block_transform(cdf: FloatArray) -> ComplexArray:
        # Grid point j holds P(T ≤ (j + ½)·dt − offset): the first _SHIFT points are negative times, where
        # a latency's CDF is 0. A block's "no call made" mass (1 − frac) must sit at t = 0, point _SHIFT,
        # not at point 0: there it is 12 steps before the origin, and smoothing wraps it around the grid.
        cdf = cdf.copy()
        cdf[:_SHIFT] = 0.0
        return np.asarray(np.fft.rfft(np.diff(cdf, prepend=0.0)) * unshift, dtype=np.complex128)

    def convolve(cdf: FloatArray, lt: ComplexArray) -> FloatArray:
        return to_cdf(block_transform(cdf) * lt)

    out_calls = plan.out_calls
    callers_left = dict(plan.callers)
    one = np.ones_like(s_grid)

    def wait(p: float, mean_given_wait: float) -> ComplexArray | float:
        """A wait that is 0 w.p. ``1 − p`` and exponential otherwise: ``(1 − p) + p/(1 + s·w)``."""
        if p <= 0:
            return 1.0
        return np.asarray((1.0 - p) + p / (1.0 + s_grid * mean_given_wait), dtype=np.complex128)

    # Transforms are multiplied directly (no logs: complex log/exp cost more than the rest together).
    trans: dict[int, ComplexArray] = {}
    after_service: dict[int, ComplexArray] = {}  # an async station's calls: made after its worker is free
    for s in stations:
        svc, scv = float(net.service[s]), float(net.scv[s])
        if abs(scv - 1.0) < 1e-12:
            lt = 1.0 / (1.0 + s_grid * svc)
        elif scv > 1e-9:
            lt = np.power(1.0 + s_grid * (svc * scv), -1.0 / scv)
        else:
            lt = np.exp(-s_grid * svc)
        calls = out_calls.get(s, [])
        if calls:
            d = one
            par_cdf: FloatArray | None = None
            for j in calls:
                dst = int(net.call_dst[j])
                t = trans[dst]
                if state.call_pool_p_wait[j] > 0:
                    t = t * wait(float(state.call_pool_p_wait[j]), float(pool_cw[j]))
                overhead = one
                if net.call_overhead[j] > 0:
                    overhead = np.exp(-s_grid * float(net.call_overhead[j]))
                    t = t * overhead
                cnt = float(net.call_mean[j])
                whole = math.floor(cnt)
                frac = cnt - whole
                if j in state.call_batch:  # sent as a batch: the members' waits are one queue's
                    batch, occ = state.call_batch[j]
                    gap = np.asarray(1.0 / (1.0 + s_grid * occ.gap), dtype=np.complex128)
                    ahead = np.asarray(
                        1.0 / (1.0 + s_grid * (occ.gap * occ.ahead_scale)), dtype=np.complex128
                    )
                    rest = overhead * after_service.get(dst, one)  # what follows the callee's server
                    block = block_cdf(occ, batch, to_cdf(t), to_cdf(rest), convolve, gap, ahead)
                    par_cdf = block if par_cdf is None else par_cdf * block
                elif net.call_par[j]:
                    f_t = to_cdf(t * wait(float(state.call_p_wait[j]), float(call_cw[j])))
                    block = f_t**whole * ((1.0 - frac) + frac * f_t)
                    par_cdf = block if par_cdf is None else par_cdf * block
                else:
                    t = t * wait(float(state.call_p_wait[j]), float(call_cw[j]))
                    if whole == 1:
                        d = d * t
                    elif whole > 1:
                        d = d * t**whole
                    if frac > 0:
                        d = d * ((1.0 - frac) + frac * t)
                callers_left[dst] -= 1
                if callers_left[dst] == 0 and dst != root:
                    del trans[dst]
            if par_cdf is not None:
                d = d * block_transform(par_cdf)
            h = float(net.hit[s])
            if h > 0:
                d = np.asarray(h + (1.0 - h) * d, dtype=np.complex128)
            lt = lt * d
            if not net.held[s]:
                after_service[s] = np.asarray(d, dtype=np.complex128)
        trans[s] = np.asarray(lt, dtype=np.complex128)
    trans[root] = trans[root] * wait(float(state.p_wait[root]), float(cw[root]))
    return Distribution(to_cdf(trans[root]), dt, offset)
