"""The layered queueing network: arrival rates, held workers, waits — one vectorized sweep per load.

Why a sweep and not an iteration: in a thread-per-request service a worker is held for its own service
time *plus* every downstream call it waits on (Rolia & Sevcik's method of layers; Franks et al.'s LQNS).
A caller's holding time therefore depends on its callees' response times, and theirs on their callees'.
LQNS iterates that to a fixed point because its graphs may have cycles; ours is a DAG (checked in
:mod:`redline.forecast.graph`), and in an open network a caller's load does not depend on its callees.
So evaluating stations callees-first (by height) *is* the fixed point, reached in one sweep: Gauss–Seidel
in topological order converges in one pass.

Per station ``s`` at load factor ``f`` (moments only; distributions are in :mod:`.latency`):

* ``λ_s = f·Σ_e rps_e·visits_e[s]`` (fan-out, retries and cache hits are in the visit counts);
* ``D_s`` = time in downstream calls per visit: sequential calls add (``n·E[T]``, compound-sum variance
  ``n·Var T + f(1−f)·E[T]²`` for ``n = ⌊n⌋ + Bernoulli(f)`` calls); a parallel fan-out block takes the max
  (Clark 1961's moments of the max of normals) of ``⌊n⌋`` copies of each call and, with probability
  ``f``, one more — a mixture, so a block of one call has exactly that call's moments; a cache hit skips
  the block;
* holding time ``H_s = S_s + D_s`` if workers are held, else ``S_s``;
* wait ``W_s`` from Allen–Cunneen with ``c = replicas·workers`` servers and holding time ``H_s``;
* response per visit ``R_s = W_s + S_s + D_s``.

Connection pools are stations too: ``size·replicas`` servers, held for the call they carry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from redline.forecast.graph import Network
from redline.forecast.limits import MAX_POOL_SIZE, MAX_REPLICAS
from redline.forecast.queueing import station_wait

__all__ = ["State", "evaluate"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class State:
    """Every station's numbers at one load factor. ``inf`` latencies mean "unstable (saturated)"."""

    factor: float
    replicas: IntArray
    servers: IntArray
    lam: FloatArray
    hold: FloatArray
    hold_scv: FloatArray
    rho: FloatArray
    p_wait: FloatArray
    wq: FloatArray
    down: FloatArray  # mean downstream time per visit
    r_mean: FloatArray
    r_var: FloatArray
    unstable: BoolArray  # own utilization ≥ 1
    infinite: BoolArray  # this station's response is unbounded (itself or something it waits on)
    pool_size: IntArray
    pool_lam: FloatArray
    pool_hold: FloatArray
    pool_rho: FloatArray
    pool_p_wait: FloatArray
    pool_wq: FloatArray

    def cond_wait(self) -> FloatArray:
        """Mean wait given that a request waits (the exponential tail's mean)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(self.p_wait > 0, self.wq / self.p_wait, 0.0)
        return np.asarray(out, dtype=np.float64)

    def pool_cond_wait(self) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(self.pool_p_wait > 0, self.pool_wq / self.pool_p_wait, 0.0)
        return np.asarray(out, dtype=np.float64)


def _clark_pair(
    m1: FloatArray, v1: FloatArray, m2: FloatArray, v2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Mean and variance of ``max(X1, X2)`` for independent normals (Clark, Oper. Res. 1961), elementwise."""
    theta = np.sqrt(v1 + v2)
    safe = np.where(theta > 1e-15, theta, 1.0)
    alpha = (m1 - m2) / safe
    cdf = special.ndtr(alpha)
    pdf = np.exp(-0.5 * alpha**2) / math.sqrt(2.0 * math.pi)
    e1 = m1 * cdf + m2 * (1.0 - cdf) + theta * pdf
    e2 = (m1**2 + v1) * cdf + (m2**2 + v2) * (1.0 - cdf) + (m1 + m2) * theta * pdf
    degenerate = theta <= 1e-15
    mean = np.where(degenerate, np.maximum(m1, m2), e1)
    return mean, np.where(degenerate, 0.0, np.maximum(e2 - mean**2, 0.0))


def _iid_max(mu: FloatArray, var: FloatArray, copies: IntArray) -> tuple[FloatArray, FloatArray]:
    """Moments of the max of ``copies`` i.i.d. copies, elementwise, by repeated doubling.

    ``max`` of ``a + b`` copies is the max of two independent maxes of ``a`` and ``b`` copies, so binary
    exponentiation needs ``log2(copies)`` Clark folds, not ``copies``. Entries with 0 copies get (0, 0).
    """
    out_m, out_v = np.zeros_like(mu), np.zeros_like(var)
    have = np.zeros(len(mu), dtype=bool)
    pow_m, pow_v = mu.copy(), var.copy()
    left = copies.copy()
    while (left > 0).any():
        bit = (left & 1).astype(bool)
        fold_m, fold_v = _clark_pair(out_m, out_v, pow_m, pow_v)
        out_m = np.where(bit, np.where(have, fold_m, pow_m), out_m)
        out_v = np.where(bit, np.where(have, fold_v, pow_v), out_v)
        have |= bit
        left >>= 1
        pow_m, pow_v = _clark_pair(pow_m, pow_v, pow_m, pow_v)
    return out_m, out_v


def _clark_max_grouped(
    group: IntArray, mu: FloatArray, var: FloatArray, prob: FloatArray, groups: int
) -> tuple[FloatArray, FloatArray]:
    """Mean and variance per group of the max of independent items, item ``i`` present w.p. ``prob[i]``.

    An absent item contributes nothing (latencies are ≥ 0, so "nothing" is 0), which makes each fold a
    mixture: ``max(A, B·Y) = A`` w.p. ``1 − p`` and ``max(A, Y)`` w.p. ``p``, mixed in mean and second
    moment. Folding into an empty accumulator takes the item as it is, so a group with a single item gets
    its exact moments (the same as a sequential call). Step ``r`` folds each group's ``r``-th item;
    certain items fold first. Groups without items get (0, 0).
    """
    order = np.lexsort((prob < 1.0, group))
    g, m, v, p = group[order], mu[order], var[order], prob[order]
    starts = np.searchsorted(g, np.arange(groups))
    rank = np.arange(len(g)) - starts[g]
    acc_m = np.zeros(groups)
    acc_v = np.zeros(groups)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == r
        gi, pi = g[sel], p[sel]
        m1, v1, m2, v2 = acc_m[gi], acc_v[gi], m[sel], v[sel]
        new_m, new_v = _clark_pair(m1, v1, m2, v2) if r > 0 else (m2, v2)
        mean = (1.0 - pi) * m1 + pi * new_m
        second = (1.0 - pi) * (v1 + m1**2) + pi * (new_v + new_m**2)
        acc_m[gi] = mean
        acc_v[gi] = np.maximum(second - mean**2, 0.0)
    return acc_m, acc_v


def _parallel_block(
    pos: IntArray, ct_m: FloatArray, ct_v: FloatArray, cnt: FloatArray, groups: int
) -> tuple[FloatArray, FloatArray]:
    """Moments of each caller's parallel block: per call ``⌊n⌋`` certain copies and one w.p. ``frac``."""
    whole = np.floor(cnt).astype(np.int64)
    frac = cnt - whole
    mm, mv = _iid_max(ct_m, ct_v, whole)
    certain, maybe = whole > 0, frac > 0
    return _clark_max_grouped(
        np.concatenate([pos[certain], pos[maybe]]),
        np.concatenate([mm[certain], ct_m[maybe]]),
        np.concatenate([mv[certain], ct_v[maybe]]),
        np.concatenate([np.ones(int(certain.sum())), frac[maybe]]),
        groups,
    )


def _fewest(load: FloatArray, per_unit: npt.NDArray[np.floating[Any]], cap: int) -> IntArray:
    """Fewest units (replicas, connections) carrying ``load`` Erlangs at ``per_unit`` each, in ``[1, cap]``.

    The cap keeps the count an int64 whatever the load (an unbounded callee makes it infinite); a plan at
    the cap is reported as such by the caller.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        units = np.ceil(load / per_unit - 1e-9)
    units = np.nan_to_num(units, nan=float(cap), posinf=float(cap), neginf=1.0)
    return np.clip(units, 1, cap).astype(np.int64)


def evaluate(
    net: Network,
    factor: float,
    *,
    replicas: IntArray | None = None,
    pool_sizes: IntArray | None = None,
    target_util: float | None = None,
) -> State:
    """Evaluate the network at ``factor`` × current load.

    With ``target_util``, each station's replicas (and each pool's size) are *chosen* during the sweep as
    the fewest that keep utilization ≤ ``target_util`` — callees first, so a caller is sized against its
    callees' already-sized response times.
    """
    n = net.n
    reps = (net.replicas if replicas is None else replicas).copy()
    psize = np.asarray(
        [p.size for p in net.pools] if pool_sizes is None else pool_sizes, dtype=np.int64
    ).copy()
    lam = factor * net.lam1
    hold = np.zeros(n)
    hold_scv = np.ones(n)
    rho = np.zeros(n)
    p_wait = np.zeros(n)
    wq = np.zeros(n)
    down = np.zeros(n)
    r_mean = np.zeros(n)
    r_var = np.zeros(n)
    unstable = np.zeros(n, dtype=bool)
    infinite = np.zeros(n, dtype=bool)
    npools = len(net.pools)
    pool_lam = np.zeros(npools)
    pool_hold = np.zeros(npools)
    pool_rho = np.zeros(npools)
    pool_p = np.zeros(npools)
    pool_wq = np.zeros(npools)
    lpos = np.zeros(n, dtype=np.int64)
    level_of = np.zeros(n, dtype=np.int64)
    for li, stations in enumerate(net.levels):
        lpos[stations] = np.arange(len(stations))
        level_of[stations] = li
    by_level: dict[int, list[int]] = {}
    for k, p in enumerate(net.pools):
        by_level.setdefault(int(level_of[p.owner]), []).append(k)
    pools_by_level = {li: np.asarray(ks, dtype=np.int64) for li, ks in by_level.items()}

    ncalls = len(net.call_src)
    call_wait_m = np.zeros(ncalls)
    call_wait_v = np.zeros(ncalls)
    call_inf = np.zeros(ncalls, dtype=bool)

    for li, (stations, calls) in enumerate(zip(net.levels, net.level_calls, strict=True)):
        m = len(stations)
        d_mean = np.zeros(m)
        d_var = np.zeros(m)
        d_inf = np.zeros(m, dtype=bool)
        if calls.size:
            # Pools owned by this level's stations sit between caller and callee.
            ks = pools_by_level.get(li)
            if ks is not None:
                _pools(net, ks, lam, r_mean, r_var, infinite, reps, psize, target_util, call_wait_m,
                       call_wait_v, call_inf, pool_lam, pool_hold, pool_rho, pool_p, pool_wq)  # fmt: skip
            dst = net.call_dst[calls]
            ct_inf = infinite[dst] | call_inf[calls]
            ct_m = np.where(ct_inf, 0.0, r_mean[dst] + call_wait_m[calls])
            ct_v = np.where(ct_inf, 0.0, r_var[dst] + call_wait_v[calls])
            cnt = net.call_mean[calls]
            frac = cnt - np.floor(cnt)
            pos = lpos[net.call_src[calls]]
            seq = ~net.call_par[calls]
            np.add.at(d_mean, pos[seq], (cnt * ct_m)[seq])
            np.add.at(d_var, pos[seq], (cnt * ct_v + frac * (1.0 - frac) * ct_m**2)[seq])
            np.logical_or.at(d_inf, pos, ct_inf)
            if not seq.all():
                par = np.flatnonzero(~seq)
                mu, var = _parallel_block(pos[par], ct_m[par], ct_v[par], cnt[par], m)
                d_mean += mu
                d_var += var
        h = net.hit[stations]
        second = (1.0 - h) * (d_var + d_mean**2)
        d_mean = (1.0 - h) * d_mean
        d_var = np.maximum(second - d_mean**2, 0.0)
        d_inf &= h < 1.0
        svc = net.service[stations]
        svar = net.scv[stations] * svc**2
        lam_l = lam[stations]
        # A held caller is blocked by an unbounded callee only if it has traffic to send there; a station
        # with no traffic is not blocked, but a request it did get would still wait without bound.
        held = net.held[stations]
        d_inf_any = d_inf.copy()
        d_inf &= lam_l > 0
        hm = svc + np.where(held, d_mean, 0.0)
        hv = svar + np.where(held, d_var, 0.0)
        w = net.workers[stations]
        if target_util is not None:
            need = _fewest(lam_l * hm, target_util * w, MAX_REPLICAS)
            reps[stations] = np.where(held & d_inf, reps[stations], need)
        c = reps[stations] * w
        scv_h = hv / hm**2
        pw, wql, rl = station_wait(c, lam_l, hm, scv_h)
        own_unstable = (rl >= 1.0) | (held & d_inf)
        wql = np.where(own_unstable, 0.0, wql)
        cw = np.where(pw > 0, wql / np.where(pw > 0, pw, 1.0), 0.0)
        wvar = 2.0 * pw * cw**2 - wql**2
        inf_l = own_unstable | d_inf_any
        hold[stations] = np.where(held & d_inf, np.inf, hm)
        hold_scv[stations] = scv_h
        rho[stations] = np.where(held & d_inf, np.inf, rl)
        p_wait[stations] = pw
        wq[stations] = np.where(own_unstable, np.inf, wql)
        down[stations] = np.where(d_inf_any, np.inf, d_mean)
        r_mean[stations] = np.where(inf_l, np.inf, wql + svc + d_mean)
        r_var[stations] = np.where(inf_l, np.inf, np.maximum(wvar, 0.0) + svar + d_var)
        unstable[stations] = own_unstable
        infinite[stations] = inf_l
    return State(
        factor=factor,
        replicas=reps,
        servers=reps * net.workers,
        lam=lam,
        hold=hold,
        hold_scv=hold_scv,
        rho=rho,
        p_wait=p_wait,
        wq=wq,
        down=down,
        r_mean=r_mean,
        r_var=r_var,
        unstable=unstable,
        infinite=infinite,
        pool_size=psize,
        pool_lam=pool_lam,
        pool_hold=pool_hold,
        pool_rho=pool_rho,
        pool_p_wait=pool_p,
        pool_wq=pool_wq,
    )


def _pools(
    net: Network,
    ks: IntArray,
    lam: FloatArray,
    r_mean: FloatArray,
    r_var: FloatArray,
    infinite: BoolArray,
    reps: IntArray,
    psize: IntArray,
    target_util: float | None,
    call_wait_m: FloatArray,
    call_wait_v: FloatArray,
    call_inf: BoolArray,
    pool_lam: FloatArray,
    pool_hold: FloatArray,
    pool_rho: FloatArray,
    pool_p: FloatArray,
    pool_wq: FloatArray,
) -> None:
    """Pools are M/M/c stations whose ``size × replicas`` servers are held for the calls they carry.

    Vectorized over the pools ``ks`` of one level: the holding time is the count-weighted mix of the
    callees' response times (mean and second moment), and every call through a pool waits its wait.
    """
    calls = np.flatnonzero(np.isin(net.call_pool, ks))
    which = net.call_pool[calls]
    local = np.searchsorted(ks, which)  # ks ascending: pools are grouped in index order
    m = len(ks)
    cnt = net.call_mean[calls]
    dst = net.call_dst[calls]
    owners = np.asarray([net.pools[k].owner for k in ks.tolist()], dtype=np.int64)
    total = np.bincount(local, cnt, minlength=m)
    rate = lam[owners] * (1.0 - net.hit[owners]) * total
    bad = np.zeros(m, dtype=bool)
    np.logical_or.at(bad, local, infinite[dst])
    rm = np.where(infinite[dst], 0.0, r_mean[dst])
    rv = np.where(infinite[dst], 0.0, r_var[dst])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(local, cnt * rm, minlength=m) / total
        second = np.bincount(local, cnt * (rv + rm**2), minlength=m) / total
        scv = np.where(mean > 0, (second - mean**2) / mean**2, 1.0)
    if target_util is not None:
        need = _fewest(rate * mean, target_util * reps[owners], MAX_POOL_SIZE)
        psize[ks] = np.where(rate > 0, need, psize[ks])
    servers = psize[ks] * reps[owners]
    pw, wq, rho = station_wait(servers, rate, mean, scv)
    bad |= rho >= 1.0
    pool_lam[ks] = rate
    pool_hold[ks] = np.where(bad, np.inf, mean)
    pool_rho[ks] = np.where(bad & (rho < 1.0), np.inf, rho)
    pool_p[ks] = np.where(bad, 1.0, pw)
    pool_wq[ks] = np.where(bad, np.inf, wq)
    w = np.where(bad, 0.0, wq)
    cw = np.where(pw > 0, w / np.where(pw > 0, pw, 1.0), 0.0)
    call_inf[calls] = bad[local]
    call_wait_m[calls] = w[local]
    call_wait_v[calls] = np.maximum(2.0 * pw * cw**2 - w**2, 0.0)[local]
