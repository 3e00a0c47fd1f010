"""The layered queueing network: arrival rates, held workers, waits — one vectorized sweep per load.

Why a sweep and not an iteration: in a thread-per-request service a worker is held for its own service
time *plus* every downstream call it waits on (Rolia & Sevcik's method of layers; Franks et al.'s LQNS).
A caller's holding time therefore depends on its callees' response times, and theirs on their callees'.
LQNS iterates that to a fixed point because its graphs may have cycles; ours is a DAG (checked in
:mod:`redline.forecast.graph`), and in an open network a caller's load does not depend on its callees.
So evaluating stations callees-first (by height) reaches the fixed point in one sweep. What a caller's
own tokens do to its callees' queues depends only on numbers fixed before the sweep or computed below
the caller: its tokens (replicas × workers), think times measured at zero load (:mod:`.layered`), and
the callees' holding times.

Per station ``s`` at load factor ``f`` (moments only; distributions are in :mod:`.latency`):

* ``λ_s = f·Σ_e rps_e·visits_e[s]`` (fan-out, retries and cache hits are in the visit counts);
* each call's time ``T = W + R₀ + o``: a wait at the callee, the callee's own time (service and its
  downstream calls), the call's overhead ``o``. For a caller that holds its workers, ``W`` is only the
  wait the callee's *other* traffic causes (its wait at the background load ``λ_d − λ_call``): the
  queueing the caller's own tokens cause there is part of the caller's wait (below). Other callers see
  the callee's own wait;
* ``D_s`` = time in downstream calls per visit: sequential calls add (``n·E[T]``, compound-sum variance
  ``n·Var T + f(1−f)·E[T]²`` for ``n = ⌊n⌋ + Bernoulli(f)`` calls); a parallel fan-out block takes the max
  (Clark 1961's moments of the max of normals) of ``⌊n⌋`` copies of each call and, with probability
  ``f``, one more — a mixture, so a block of one call has exactly that call's moments; a cache hit skips
  the block;
* ``H₀ = S_s + D_s`` (held workers; ``S_s`` for ``async``): the time a token is held when the caller's
  own requests do not queue behind each other downstream. ``H_full``: the same when every token is busy,
  each call's wait at its callee then from :func:`redline.forecast.layered.closed_station` (the caller's
  tokens as the finite source, the callee's other traffic as lost capacity), and each pool's likewise;
* the station's capacity ``X = c/H_full`` (``c = replicas·workers``), its *effective* servers
  ``c' = c·H₀/H_full``: the station with what its tokens queue for downstream behaves like an M/M/c'
  queue of holding time ``H₀`` whose servers are released at rate ``X`` once all are busy. It saturates
  when ``λ ≥ X``. Its wait ``W_s``: probability ``C(c', λH₀)`` (Erlang C), mean given a wait
  ``k/(X − λ)``, with ``k = (1 + cs²)/2`` (Allen–Cunneen) when nothing downstream fills (``c' = c``), and
  1 once a callee's queue fills with at least one token (a full callee releases tokens as a Poisson
  stream); linear between. With nothing bounded downstream this is the Allen–Cunneen M/G/c wait;
* response per visit ``R_s = W_s + S_s + D_s``; the tokens are busy ``H₀ + W_s·(1 − u^{c−c'})`` per
  request (``u = λ/X``): of the wait, the part spent holding a token downstream.

A parallel call's copies to one callee arrive there together: :mod:`.batch` gives that callee's queue
(the M^X/M/c occupancy its batches find; its own wait is a lone arrival's in it), each batch call's
members' average wait, and what the batch's queue adds to its block over independent copies.

Connection pools are stations too: ``size·replicas`` servers, held for the calls they carry. A pool of a
station that holds its workers only ever queues that station's tokens: its wait is part of the
station's, at full congestion from the finite-source model; other pools wait as M/M/c stations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from redline.forecast.batch import MAX_BATCH, Batch, Occupancy, call_batch, occupancy, queue_delay
from redline.forecast.graph import Network
from redline.forecast.layered import closed_station, copies, think_times
from redline.forecast.limits import MAX_POOL_SIZE, MAX_REPLICAS
from redline.forecast.queueing import erlang_c, station_wait

__all__ = ["State", "evaluate", "mean_given_wait"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class State:
    """Every station's numbers at one load factor. ``inf`` latencies mean "unstable (saturated)".

    ``p_wait``/``wq`` are a station's own wait (what a request arriving at it waits, a held station's
    including the queueing its tokens cause downstream); ``wait_seen`` is the mean wait its visits see
    (its callers' share of it included), the number to report per component.
    """

    factor: float
    replicas: IntArray
    servers: IntArray
    lam: FloatArray
    hold: FloatArray  # mean time a server (token) is busy per visit
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
    hold_free: FloatArray  # H₀: a token's time when its station's own requests do not queue downstream
    hold_full: FloatArray  # a token's time when every token of its station is busy
    capacity: FloatArray  # X = servers / hold_full, requests/s
    eff_servers: FloatArray  # c' = servers · hold_free / hold_full
    wait_seen: FloatArray  # mean wait per visit as the visits see it (callers' queueing share included)
    call_p_wait: FloatArray  # per call: probability of a wait at the callee, as composed in latency
    call_wq: FloatArray  # per call: that wait's mean
    call_pool_p_wait: FloatArray  # per call: probability of a wait for a pool connection, as composed
    call_pool_wq: FloatArray  # per call: that wait's mean
    call_full: FloatArray  # per call: mean wait at the callee when every token of the caller is busy
    bind_call: IntArray  # per station: the call its tokens fill most (binds its held pool), -1 if none
    bind_pool: IntArray  # per station: the pool that binds instead, -1 if none
    call_batch: dict[int, tuple[Batch, Occupancy]]  # per parallel call sent as a batch: it and its queue

    def cond_wait(self) -> FloatArray:
        """Mean wait given that a request waits (the exponential tail's mean)."""
        return mean_given_wait(self.p_wait, self.wq)

    def pool_cond_wait(self) -> FloatArray:
        return mean_given_wait(self.pool_p_wait, self.pool_wq)


def mean_given_wait(p: FloatArray, w: FloatArray) -> FloatArray:
    """Mean of a wait given that it happens: ``w/p`` (0 where ``p`` is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p > 0, w / np.where(p > 0, p, 1.0), 0.0)
    return np.asarray(out, dtype=np.float64)


def _wait_var(p: FloatArray, w: FloatArray) -> FloatArray:
    """Variance of a wait that is 0 w.p. ``1 − p`` and exponential with mean ``w/p`` otherwise."""
    finite = np.isfinite(w)
    cw = mean_given_wait(p, np.where(finite, w, 0.0))
    var = 2.0 * p * cw**2 - np.where(finite, w, 0.0) ** 2
    return np.asarray(np.where(finite, np.maximum(var, 0.0), np.inf), dtype=np.float64)


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
    pos: IntArray,
    ct_m: FloatArray,
    ct_v: FloatArray,
    cnt: FloatArray,
    groups: int,
    queued: tuple[FloatArray, FloatArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Moments of each caller's parallel block: per call ``⌊n⌋`` certain copies and one w.p. ``frac``.

    ``queued`` is, per call sent as a batch, what its queue adds to the max of its copies (mean,
    variance; :func:`redline.forecast.batch.queue_delay`); those calls' times are then their own only.
    """
    whole = np.floor(cnt).astype(np.int64)
    frac = cnt - whole
    mm, mv = _iid_max(ct_m, ct_v, whole)
    if queued is not None:
        mm, mv = mm + queued[0], np.maximum(mv + queued[1], 0.0)
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
    callees' already-sized response times. Sizing sweeps treat every queue as open (a callee is sized
    before its callers' tokens are known), which can only overstate a wait.
    """
    sweep = _Sweep(net, factor, replicas, pool_sizes, target_util)
    for li in range(len(net.levels)):
        sweep.level(li)
    return sweep.state()


@dataclass
class _Layout:
    """What does not change with load: each station's position in its level, each level's pools, and the
    think times (computed on first use, from the network at zero load)."""

    lpos: IntArray
    pools_by_level: dict[int, IntArray]
    pool_calls: dict[
        int, tuple[IntArray, IntArray]
    ]  # per level: calls through its pools, their pool's position
    pool_owner: IntArray
    call_batches: dict[int, Batch]  # per parallel call sent as a batch of up to MAX_BATCH calls
    batch_station: BoolArray  # per station: batches reach it
    # per such station: the batch calls into it, and per call P(batch size > k) for k < the largest batch
    batch_into: dict[int, tuple[IntArray, FloatArray]]
    calls_into: dict[int, IntArray]  # per such station: every call into it
    batch_calls_at: dict[int, tuple[IntArray, IntArray]]  # per level: its batch calls, their positions
    think: FloatArray | None = None
    pool_think: FloatArray | None = None


def _layout(net: Network) -> _Layout:
    cached: _Layout | None = net.__dict__.get("_network_layout")
    if cached is not None:
        return cached
    lpos = np.zeros(net.n, dtype=np.int64)
    level_of = np.zeros(net.n, dtype=np.int64)
    for li, stations in enumerate(net.levels):
        lpos[stations] = np.arange(len(stations))
        level_of[stations] = li
    by_level: dict[int, list[int]] = {}
    for k, p in enumerate(net.pools):
        by_level.setdefault(int(level_of[p.owner]), []).append(k)
    pools_by_level = {li: np.asarray(ks, dtype=np.int64) for li, ks in by_level.items()}
    pool_calls = {}
    for li, ks in pools_by_level.items():
        calls = np.flatnonzero(np.isin(net.call_pool, ks))
        pool_calls[li] = (calls, np.searchsorted(ks, net.call_pool[calls]))  # ks ascending: index order
    batches = {
        int(j): call_batch(float(net.call_mean[j]))
        for j in np.flatnonzero(net.call_par & (net.call_mean > 1.0) & (net.call_mean <= MAX_BATCH))
    }
    into: dict[int, list[int]] = {}
    for j in batches:
        into.setdefault(int(net.call_dst[j]), []).append(j)
    batch_into = {}
    for d, js in into.items():
        larger = np.zeros((len(js), max(batches[j].largest for j in js)))
        for row, j in enumerate(js):
            for b, q in batches[j].sizes:
                larger[row, :b] += q
        batch_into[d] = (np.asarray(js, dtype=np.int64), larger)
    calls_into = {d: np.flatnonzero(net.call_dst == d) for d in into}
    batch_station = np.zeros(net.n, dtype=bool)
    batch_station[list(into)] = True
    batch_calls_at = {}
    for li, calls in enumerate(net.level_calls):
        pos = np.flatnonzero(np.isin(calls, list(batches)))
        if pos.size:
            batch_calls_at[li] = (calls[pos], pos)
    layout = _Layout(
        lpos=lpos,
        pools_by_level=pools_by_level,
        pool_calls=pool_calls,
        pool_owner=np.asarray([p.owner for p in net.pools], dtype=np.int64),
        call_batches=batches,
        batch_station=batch_station,
        batch_into=batch_into,
        calls_into=calls_into,
        batch_calls_at=batch_calls_at,
    )
    net.__dict__["_network_layout"] = layout
    return layout


def _think(net: Network, layout: _Layout) -> tuple[FloatArray, FloatArray]:
    """Think times per call and per pool, from the network at zero load (computed once per network)."""
    if layout.think is not None and layout.pool_think is not None:
        return layout.think, layout.pool_think
    zero = evaluate(net, 0.0)
    core0 = zero.r_mean  # no waits at zero load: a station's response is its own time
    layout.think = think_times(
        hold0=zero.hold, core0=core0, hit=net.hit, call_src=net.call_src, call_dst=net.call_dst,
        call_mean=net.call_mean, call_par=net.call_par,
    )  # fmt: skip
    pooled = np.flatnonzero(net.call_pool >= 0)
    k = net.call_pool[pooled]
    npools = len(net.pools)
    per_req = (1.0 - net.hit[net.call_src[pooled]]) * net.call_mean[pooled]
    past = core0[net.call_dst[pooled]] + net.call_overhead[pooled]
    inside = np.bincount(k, per_req * past, minlength=npools)
    calls = np.bincount(k, per_req, minlength=npools)
    with np.errstate(divide="ignore", invalid="ignore"):
        pool_think = np.where(calls > 0, (zero.hold[layout.pool_owner] - inside) / calls, np.inf)
    layout.pool_think = np.asarray(np.maximum(pool_think, 1e-9), dtype=np.float64)
    return layout.think, layout.pool_think


def _station_wait_at(
    lam: FloatArray, queue_servers: FloatArray, cap: FloatArray, k: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """A station's wait at arrival rate ``lam``: ``C(q, q·λ/X)`` and mean ``C·k/(X − λ)`` (inf at ``λ ≥ X``).

    With nothing downstream filled this is the station's Allen–Cunneen wait; otherwise the wait for a token
    and the queueing the tokens then do downstream, together.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p = erlang_c(queue_servers, queue_servers * lam / cap)
        w = np.where(lam < cap, p * k / (cap - lam), np.inf)
    return p, np.asarray(np.where(lam > 0, w, 0.0), dtype=np.float64)


def _token_share(lam: FloatArray, cap: FloatArray, servers: FloatArray, eff: FloatArray) -> FloatArray:
    """The share of a station's wait spent waiting for a token: ``(λ/X)^(c − c')`` (1 when nothing fills)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(cap > 0, np.minimum(lam / cap, 1.0), 1.0)
        return np.asarray(np.power(ratio, servers - eff), dtype=np.float64)


class _Sweep:
    """One evaluation: arrays for every station, call and pool, filled level by level, callees first."""

    def __init__(
        self,
        net: Network,
        factor: float,
        replicas: IntArray | None,
        pool_sizes: IntArray | None,
        target_util: float | None,
    ) -> None:
        n, ncalls, npools = net.n, len(net.call_src), len(net.pools)
        self.net = net
        self.factor = factor
        self.target_util = target_util
        self.layout = _layout(net)
        self.reps = (net.replicas if replicas is None else replicas).copy()
        sizes = [p.size for p in net.pools] if pool_sizes is None else pool_sizes
        self.psize = np.asarray(sizes, dtype=np.int64).copy()
        self.lam = factor * net.lam1
        self.flow = self.lam[net.call_src] * (1.0 - net.hit[net.call_src]) * net.call_mean
        self.per_req = (1.0 - net.hit[net.call_src]) * net.call_mean  # calls per request of the caller
        (self.hold, self.h0, self.hfull, self.cap, self.eff, self.qs, self.k, self.rho, self.p_wait, self.wq,
         self.down, self.core_m, self.core_v, self.r_mean, self.r_var) = (
            np.zeros(n) for _ in range(15)
        )  # fmt: skip
        self.hold_scv = np.ones(n)
        self.back = np.zeros(n)  # per request: a held station's wait spent holding a token downstream
        self.p_back = np.zeros(n)  # the probability of that wait
        self.unstable = np.zeros(n, dtype=bool)
        self.infinite = np.zeros(n, dtype=bool)
        (self.pool_lam, self.pool_hold, self.pool_rho, self.pool_p, self.pool_wq, self.pool_full,
         self.pool_full_p, self.pool_extra) = (np.zeros(npools) for _ in range(8))  # fmt: skip
        self.pool_room = np.full(npools, np.inf)
        self.pool_scv = np.ones(npools)
        self.bind_scv = np.ones(n)  # per station: the SCV of the binding callee's (or pool's) holding time
        self.bind_visits = np.ones(n)  # per station: visits per request to the binding callee (or pool)
        self.pool_bind = np.zeros(npools, dtype=bool)
        (self.call_p, self.call_w, self.call_bg_p, self.call_bg_w, self.call_cap_p, self.call_cap_w,
         self.call_full, self.call_extra, self.call_pool_p, self.call_pool_w, self.call_pool_full) = (
            np.zeros(ncalls) for _ in range(11)
        )  # fmt: skip
        self.call_room = np.full(ncalls, np.inf)
        self.call_bind = np.zeros(ncalls, dtype=bool)
        self.call_inf = np.zeros(ncalls, dtype=bool)
        # Layered: calls from held callers with traffic. Sizing sweeps and zero load are open throughout.
        self.layered_call = np.zeros(ncalls, dtype=bool)
        if target_util is None and factor > 0 and ncalls:
            self.layered_call = net.held[net.call_src] & (self.flow > 0)
        self.think, self.pool_think = (
            _think(net, self.layout) if self.layered_call.any() else (np.zeros(ncalls), np.zeros(npools))
        )
        self.occ: dict[int, Occupancy] = {}  # per station reached by batches: the queue they find
        self.conc = self._concurrency()
        self.call_occ: dict[int, tuple[Batch, Occupancy]] = {}

    def _concurrency(self) -> FloatArray:
        """Per station, the most requests it can have in progress at once (``inf``: unbounded).

        A held station has its tokens (``replicas × workers``); any station has no more than its callers
        can send it: the sum over its calls of the caller's own bound times the call's copies, unbounded
        with entry traffic. So a held station whose only caller holds one token never has two requests
        downstream, whatever its own tokens: its callees' queues cannot fill with them. Callers first.
        """
        net = self.net
        conc = np.full(net.n, np.inf)
        inbound = np.zeros(net.n)
        inbound[np.asarray(net.entry_root, dtype=np.int64)[net.entry_rps > 0]] = np.inf
        tokens = np.where(net.held, (self.reps * net.workers).astype(np.float64), np.inf)
        per_call = copies(net.call_mean, net.call_par)
        for li in reversed(range(len(net.levels))):
            stations, calls = net.levels[li], net.level_calls[li]
            conc[stations] = np.minimum(tokens[stations], inbound[stations])
            np.add.at(inbound, net.call_dst[calls], conc[net.call_src[calls]] * per_call[calls])
        return conc

    # ---- one level ------------------------------------------------------------------------------------

    def level(self, li: int) -> None:
        net = self.net
        stations, calls = net.levels[li], net.level_calls[li]
        m = len(stations)
        d_mean, d_var, d_full = np.zeros(m), np.zeros(m), np.zeros(m)
        d_inf = np.zeros(m, dtype=bool)
        ks = self.layout.pools_by_level.get(li)
        if calls.size:
            self._call_waits(calls)
            self._batch_waits(li)
            if ks is not None:
                self._pools(li, ks)
            self._binding(li, calls, ks)
            ct_m, ct_v, ct_full, ct_inf = self._call_times(calls)
            cnt = net.call_mean[calls]
            queued = self._batch_blocks(li, len(calls), ct_m, ct_v, ct_full)
            frac = cnt - np.floor(cnt)
            pos = self.layout.lpos[net.call_src[calls]]
            seq = ~net.call_par[calls]
            np.add.at(d_mean, pos[seq], (cnt * ct_m)[seq])
            np.add.at(d_var, pos[seq], (cnt * ct_v + frac * (1.0 - frac) * ct_m**2)[seq])
            np.add.at(d_full, pos[seq], (cnt * ct_full)[seq])
            np.logical_or.at(d_inf, pos, ct_inf)
            if not seq.all():
                par = np.flatnonzero(~seq)
                q_par = (queued[0][par], queued[1][par]) if queued is not None else None
                mu, var = _parallel_block(pos[par], ct_m[par], ct_v[par], cnt[par], m, q_par)
                d_mean += mu
                d_var += var
                # At full congestion only the blocks with a binding call differ: fold just those again.
                differ = np.zeros(m, dtype=bool)
                differ[pos[par][ct_full[par] != ct_m[par]]] = True
                d_full += np.where(differ, 0.0, mu)
                if differ.any():
                    again = par[differ[pos[par]]]
                    q_again = (queued[0][again], queued[1][again]) if queued is not None else None
                    d_full += _parallel_block(
                        pos[again], ct_full[again], ct_v[again], cnt[again], m, q_again
                    )[0]
        h = net.hit[stations]
        second = (1.0 - h) * (d_var + d_mean**2)
        d_mean = (1.0 - h) * d_mean
        d_var = np.maximum(second - d_mean**2, 0.0)
        d_full = np.maximum((1.0 - h) * d_full, d_mean)
        d_inf &= h < 1.0
        self._stations(stations, d_mean, d_var, d_full, d_inf)
        if calls.size:
            self._bound_waits(li, calls, ks)

    def _call_waits(self, calls: IntArray) -> None:
        """Each call's wait at its callee, and its wait there when every token of its caller is busy.

        A call waits the callee's own wait — unless its caller holds its workers. Then its requests never
        wait behind each other there unless they fill the callee: they wait for the callee's other traffic
        (:meth:`_background`). With more tokens than the callee has servers, at full congestion the
        caller's tokens are the finite source of :func:`closed_station`, the other traffic taking its share
        of the servers (a stretched holding time); when they queue behind each other there, the call
        *fills* the callee and waits the capped wait (the callee's own, no more than at full congestion)
        until :meth:`_binding` decides which filled call binds its caller.
        """
        net = self.net
        dst = net.call_dst[calls]
        p, w = self.p_wait[dst], self.wq[dst]
        self.call_cap_p[calls], self.call_cap_w[calls] = p, w
        self.call_full[calls] = np.where(self.infinite[dst], 0.0, w)
        self.call_extra[calls] = 0.0
        self.call_room[calls] = np.inf
        sel = self.layered_call[calls] & ~self.infinite[dst]
        if not sel.any():
            return
        j, d = calls[sel], dst[sel]
        self._background(j)
        self.call_cap_p[j], self.call_cap_w[j] = self.call_bg_p[j], self.call_bg_w[j]
        servers = (self.reps[d] * net.workers[d]).astype(np.float64)
        tokens = self._tokens(j)
        queue = tokens > servers  # fewer tokens than servers never queue behind each other
        if not queue.any():
            return
        j, d, servers, tokens = j[queue], d[queue], servers[queue], tokens[queue]
        other = np.maximum(self.lam[d] - self.flow[j], 0.0)
        busy_other = np.minimum(other * self.hold[d] / servers, 1.0 - 1e-12)
        stretched = self.hold[d] / (1.0 - busy_other)
        _, wf, pf = closed_station(tokens, servers, stretched, self.think[j])
        fills = wf > 1e-12 * self.hold[d]  # the caller's own tokens queue there, behind each other
        if not fills.any():
            return
        j, d, wf, pf = j[fills], d[fills], wf[fills], np.maximum(pf[fills], 1e-12)
        # At full congestion the queue is long and its wait set by its length, not by how variable each
        # service is: no Allen–Cunneen factor here (the open waits carry it).
        full = np.maximum(wf + (stretched[fills] - self.hold[d]), self.call_bg_w[j])
        self.call_full[j] = full
        self.call_extra[j] = self.per_req[j] * (full - self.call_bg_w[j])
        self.call_room[j] = servers[fills] * (1.0 - busy_other[fills])
        cap_p = np.minimum(self.p_wait[d], pf)
        cap_cw = np.minimum(mean_given_wait(self.p_wait[d], self.wq[d]), mean_given_wait(pf, full))
        self.call_cap_p[j] = cap_p
        self.call_cap_w[j] = np.maximum(cap_p * cap_cw, self.call_bg_w[j])

    def _batch_waits(self, li: int) -> None:
        """A parallel call sent as a batch waits its members' average wait in the queue batches find
        (:mod:`.batch`). Not from a caller whose held workers bound the callee: the layered model has it."""
        if li not in self.layout.batch_calls_at:
            return
        for j in self.layout.batch_calls_at[li][0].tolist():
            occ = self.occ.get(int(self.net.call_dst[j]))
            if occ is None or self.layered_call[j]:
                continue
            batch = self.layout.call_batches[j]
            p, w = occ.member_wait(batch)
            self.call_cap_p[j], self.call_cap_w[j], self.call_full[j] = p, w, w
            self.call_occ[j] = (batch, occ)

    def _batch_blocks(
        self, li: int, ncalls: int, ct_m: FloatArray, ct_v: FloatArray, ct_full: FloatArray
    ) -> tuple[FloatArray, FloatArray] | None:
        """Per call of level ``li``, what its batch's queue adds to its block (``None``: no batches).

        A call sent as a batch keeps only its own time in ``ct_*`` (its wait moves to the block)."""
        if li not in self.layout.batch_calls_at:
            return None
        d_m, d_v = np.zeros(ncalls), np.zeros(ncalls)
        for j, i in zip(*(a.tolist() for a in self.layout.batch_calls_at[li]), strict=True):
            if j not in self.call_occ or ct_m[i] <= 0:
                continue
            batch, occ = self.call_occ[j]
            w_var = float(_wait_var(self.call_p[j : j + 1], self.call_w[j : j + 1])[0])
            ct_m[i] -= self.call_w[j]
            ct_full[i] -= self.call_w[j]
            ct_v[i] = max(ct_v[i] - w_var, 0.0)
            d_m[i], d_v[i] = queue_delay(occ, batch, float(ct_m[i]))
        return d_m, d_v

    def _batch_queues(
        self, stations: IntArray, c: FloatArray, lam: FloatArray, hold: FloatArray, scv: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """The stations that batches reach: the queue batches find there, and a lone arrival's wait in it.

        Returns their positions in ``stations`` and the wait (probability, mean) for them.
        """
        at, p_out, w_out = [], [], []
        for i in np.flatnonzero(self.layout.batch_station[stations] & (lam > 0) & np.isfinite(hold)).tolist():
            s = int(stations[i])
            layered = self.layout.calls_into[s]
            layered = layered[self.layered_call[layered]]
            if self.flow[layered].sum() >= lam[i] * (1.0 - 1e-9):
                continue  # only held callers' calls, which the layered model queues: no one else waits here
            into, gt = self.layout.batch_into[s]
            flow = self.flow[into]
            larger = (flow / self.net.call_mean[into]) @ gt  # batches per second larger than k
            larger[0] += max(float(lam[i]) - float(flow.sum()), 0.0)  # everything else comes alone
            occ = occupancy(int(c[i]), larger.tolist(), float(hold[i]), float(scv[i]))
            if occ is None:
                continue
            self.occ[s] = occ
            p, w = occ.single_wait()
            at.append(i)
            p_out.append(p)
            w_out.append(w)
        return np.asarray(at, dtype=np.int64), np.asarray(p_out), np.asarray(w_out)

    def _background(self, calls: IntArray) -> None:
        """The wait the callee's other traffic causes a call: the callee's wait at ``λ_d − λ_call`` (of a
        held callee only the wait for a token: the rest is in its own time). Most callees have one caller:
        nothing to wait for."""
        net = self.net
        d = net.call_dst[calls]
        other = np.maximum(self.lam[d] - self.flow[calls], 0.0)
        p, w = np.zeros(len(calls)), np.zeros(len(calls))
        shared = other > 0
        if shared.any():
            ds, o = d[shared], other[shared]
            servers = (self.reps[ds] * net.workers[ds]).astype(np.float64)
            bp, bw = _station_wait_at(o, self.qs[ds], self.cap[ds], self.k[ds])
            token = _token_share(o, self.cap[ds], servers, self.eff[ds])
            p[shared], w[shared] = bp * token, bw * token
        self.call_bg_p[calls], self.call_bg_w[calls] = p, w
        self.call_full[calls] = w

    def _tokens(self, calls: IntArray) -> FloatArray:
        """The most requests a call's caller can have at its callee at once: its concurrency (its tokens, or
        fewer if its own callers' tokens bound it) times its copies, capped by its pool's size."""
        net = self.net
        tokens = self.conc[net.call_src[calls]] * copies(net.call_mean[calls], net.call_par[calls])
        k = net.call_pool[calls]
        pooled = k >= 0
        if pooled.any():
            conn = (self.psize[k[pooled]] * self.reps[self.layout.pool_owner[k[pooled]]]).astype(np.float64)
            tokens[pooled] = np.minimum(tokens[pooled], conn)
        return tokens

    def _pools(self, li: int, ks: IntArray) -> None:
        """Pools are stations whose ``size × replicas`` servers are held for the calls they carry.

        Vectorized over the pools ``ks`` of one level: the holding time is the count-weighted mix of the
        calls' times past the pool (wait at the callee, the callee's own time, the overhead). A pool of a
        station that holds its workers only queues that station's tokens: its full-congestion wait is the
        finite-source wait of those tokens, and what it waits otherwise is decided with the station's.
        """
        net = self.net
        calls, local = self.layout.pool_calls[li]
        m = len(ks)
        cnt = net.call_mean[calls]
        dst = net.call_dst[calls]
        owners = self.layout.pool_owner[ks]
        total = np.bincount(local, cnt, minlength=m)
        rate = self.lam[owners] * (1.0 - net.hit[owners]) * total
        bad = np.zeros(m, dtype=bool)
        np.logical_or.at(bad, local, self.infinite[dst])
        o = net.call_overhead[calls]
        live = ~self.infinite[dst]
        past = np.where(live, self.core_m[dst] + self.call_cap_w[calls] + o, 0.0)
        past_v = np.where(
            live, self.core_v[dst] + _wait_var(self.call_cap_p[calls], self.call_cap_w[calls]), 0.0
        )
        past_full = np.where(live, self.core_m[dst] + self.call_full[calls] + o, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(local, cnt * past, minlength=m) / total
            second = np.bincount(local, cnt * (past_v + past**2), minlength=m) / total
            mean_full = np.bincount(local, cnt * past_full, minlength=m) / total
            scv = np.where(mean > 0, (second - mean**2) / mean**2, 1.0)
        if self.target_util is not None:
            need = _fewest(rate * mean, self.target_util * self.reps[owners], MAX_POOL_SIZE)
            self.psize[ks] = np.where(rate > 0, need, self.psize[ks])
        servers = self.psize[ks] * self.reps[owners]
        pw, wq, rho = station_wait(servers, rate, mean, scv)
        bad |= rho >= 1.0
        held = np.zeros(m, dtype=bool)
        np.logical_or.at(held, local, self.layered_call[calls])
        sel = held & ~bad
        full, full_p = np.zeros(m), np.zeros(m)
        if sel.any():
            most = np.zeros(m)
            np.maximum.at(most, local, copies(cnt, net.call_par[calls]))
            tokens = self.conc[owners] * most
            _, wf, pf = closed_station(tokens[sel], servers[sel], mean_full[sel], self.pool_think[ks[sel]])
            full[sel], full_p[sel] = wf, pf
        fills = sel & (full > 1e-15)
        self.pool_lam[ks] = rate
        self.pool_hold[ks] = np.where(bad, np.inf, mean)
        self.pool_rho[ks] = np.where(bad & (rho < 1.0), np.inf, rho)
        self.pool_p[ks] = np.where(bad, 1.0, pw)
        self.pool_wq[ks] = np.where(bad, np.inf, wq)
        self.pool_full[ks] = full
        self.pool_scv[ks] = scv
        self.pool_full_p[ks] = np.where(fills, np.maximum(full_p, 1e-12), 0.0)
        self.pool_extra[ks] = np.where(
            fills, rate / np.where(self.lam[owners] > 0, self.lam[owners], 1.0) * full, 0.0
        )
        self.pool_room[ks] = np.where(fills, servers.astype(np.float64), np.inf)
        # What a call waits for a connection, until _binding decides: a held station's pool that its
        # tokens fill waits the capped wait (no more than at full congestion); otherwise nothing. Other
        # stations' pools wait their M/M/c wait.
        cap_p = np.minimum(pw, self.pool_full_p[ks])
        cap_w = cap_p * np.minimum(mean_given_wait(pw, wq), mean_given_wait(self.pool_full_p[ks], full))
        comp_p = np.where(bad, 0.0, np.where(held, np.where(fills, cap_p, 0.0), pw))
        comp_w = np.where(bad, 0.0, np.where(held, np.where(fills, cap_w, 0.0), wq))
        self.call_inf[calls] = bad[local]
        self.call_pool_p[calls] = comp_p[local]
        self.call_pool_w[calls] = comp_w[local]
        self.call_pool_full[calls] = full[local]

    def _binding(self, li: int, calls: IntArray, ks: IntArray | None) -> None:
        """Per caller, the call (or pool) its tokens fill the most: the one that binds its held pool.

        The binding call's wait is decided with the station's (:meth:`_bound_waits`); until then it waits
        only for its callee's other traffic. The others that the tokens fill wait the capped wait.
        """
        net = self.net
        src = net.call_src[calls]
        extra = self.call_extra[calls]
        best = np.zeros(net.n)
        np.maximum.at(best, src, extra)
        if ks is not None:
            np.maximum.at(best, self.layout.pool_owner[ks], self.pool_extra[ks])
        bind = (extra > 0) & (extra >= best[src])
        # One binding call per caller (the first of equals); a pool that fills more takes it instead.
        first = np.full(net.n, len(calls))
        np.minimum.at(first, src[bind], np.flatnonzero(bind))
        bind &= np.arange(len(calls)) == first[src]
        self.call_bind[calls] = bind
        # How variable the binding resource's service is: a full callee releases tokens at its own pace.
        self.bind_scv[src[bind]] = self.hold_scv[net.call_dst[calls[bind]]]
        self.bind_visits[src[bind]] = self.per_req[calls[bind]]
        self.call_p[calls] = np.where(bind, self.call_bg_p[calls], self.call_cap_p[calls])
        self.call_w[calls] = np.where(bind, self.call_bg_w[calls], self.call_cap_w[calls])
        if ks is not None:
            owners = self.layout.pool_owner[ks]
            taken = np.zeros(net.n, dtype=bool)
            taken[src[bind]] = True
            pbind = (self.pool_extra[ks] > 0) & (self.pool_extra[ks] >= best[owners]) & ~taken[owners]
            self.pool_bind[ks] = pbind
            self.bind_scv[owners[pbind]] = self.pool_scv[ks[pbind]]
            if pbind.any():
                pooled, local = self.layout.pool_calls[li]
                visits = np.bincount(local, self.per_req[pooled], minlength=len(ks))
                self.bind_visits[owners[pbind]] = visits[pbind]
                through = pooled[pbind[local]]
                self.call_pool_p[through] = 0.0
                self.call_pool_w[through] = 0.0
        if bind.any():
            self._refill(calls, calls[bind])

    def _refill(self, calls: IntArray, bound: IntArray) -> None:
        """The binding call's full-congestion wait again, its think time now including the caller's waits
        at its other calls and pools: one Gauss–Seidel step of the layered fixed point (those waits do not
        depend on this one). With zero-load think times alone, a caller with two busy callees would count
        the second one's queue twice: once as the tokens it keeps away from the first, once on its own."""
        net = self.net
        src = net.call_src[calls]
        waits = np.bincount(
            src, self.per_req[calls] * (self.call_w[calls] + self.call_pool_w[calls]), minlength=net.n
        )
        s, d = net.call_src[bound], net.call_dst[bound]
        with np.errstate(invalid="ignore"):
            elsewhere = (waits[s] - self.per_req[bound] * self.call_w[bound]) / self.per_req[bound]
        keep = np.isfinite(elsewhere) & (elsewhere > 0)  # an unbounded wait elsewhere: blocked anyway
        if not keep.any():
            return
        bound, s, d, elsewhere = bound[keep], s[keep], d[keep], elsewhere[keep]
        servers = (self.reps[d] * net.workers[d]).astype(np.float64)
        other = np.maximum(self.lam[d] - self.flow[bound], 0.0)
        busy_other = np.minimum(other * self.hold[d] / servers, 1.0 - 1e-12)
        stretched = self.hold[d] / (1.0 - busy_other)
        think = self.think[bound] + elsewhere
        _, wf, _ = closed_station(self._tokens(bound), servers, stretched, think)
        self.call_full[bound] = np.maximum(wf + (stretched - self.hold[d]), self.call_bg_w[bound])

    def _call_times(self, calls: IntArray) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
        """Per call: mean and variance of its time, its mean at full congestion, and whether unbounded."""
        net = self.net
        dst = net.call_dst[calls]
        o = net.call_overhead[calls]
        inf = self.infinite[dst] | self.call_inf[calls]
        core_m = np.where(inf, 0.0, self.core_m[dst])
        ct_m = np.where(inf, 0.0, core_m + self.call_w[calls] + o + self.call_pool_w[calls])
        wvar = _wait_var(self.call_p[calls], self.call_w[calls])
        wvar += _wait_var(self.call_pool_p[calls], self.call_pool_w[calls])
        ct_v = np.where(inf, 0.0, self.core_v[dst] + wvar)
        # At full congestion the tokens pile up at the binding callee (or pool) only: the other calls
        # wait what they wait anyway. Counting every callee at full congestion would put every token in
        # every queue at once.
        k = net.call_pool[calls]
        pool_bind = np.zeros(len(calls), dtype=bool)
        pool_bind[k >= 0] = self.pool_bind[k[k >= 0]]
        wait = np.where(self.call_bind[calls], self.call_full[calls], self.call_w[calls])
        pool_wait = np.where(pool_bind, self.call_pool_full[calls], self.call_pool_w[calls])
        ct_full = np.where(inf, 0.0, core_m + wait + o + pool_wait)
        return ct_m, ct_v, np.maximum(ct_full, ct_m), inf

    def _room(self, stations: IntArray) -> FloatArray:
        """Per station: the servers its tokens queue for at the call or pool that binds (``inf``: none)."""
        net = self.net
        room = np.full(net.n, np.inf)
        np.minimum.at(room, net.call_src, np.where(self.call_bind, self.call_room, np.inf))
        if len(net.pools):
            np.minimum.at(room, self.layout.pool_owner, np.where(self.pool_bind, self.pool_room, np.inf))
        return room[stations]

    def _stations(
        self, stations: IntArray, d_mean: FloatArray, d_var: FloatArray, d_full: FloatArray, d_inf: BoolArray
    ) -> None:
        net = self.net
        svc = net.service[stations]
        svar = net.scv[stations] * svc**2
        lam_l = self.lam[stations]
        # A held caller is blocked by an unbounded callee only if it has traffic to send there; a station
        # with no traffic is not blocked, but a request it did get would still wait without bound.
        held = net.held[stations]
        d_inf_any = d_inf.copy()
        d_inf &= lam_l > 0
        h0 = svc + np.where(held, d_mean, 0.0)
        hv = svar + np.where(held, d_var, 0.0)
        hf = svc + np.where(held, d_full, 0.0)
        w = net.workers[stations]
        if self.target_util is not None:
            need = _fewest(lam_l * h0, self.target_util * w, MAX_REPLICAS)
            self.reps[stations] = np.where(held & d_inf, self.reps[stations], need)
        c = (self.reps[stations] * w).astype(np.float64)
        scv_h = hv / h0**2
        pw, wql, rl = station_wait(c, lam_l, h0, scv_h)  # the open M/G/c wait, kept bit for bit
        room = self._room(stations)
        fills = held & np.isfinite(room) & (hf > h0)  # its own tokens queue downstream, behind each other
        if self.layout.batch_into:
            open_ = rl < 1.0  # a station whose tokens fill downstream waits at least this (below)
            at, bp, bw = self._batch_queues(stations[open_], c[open_], lam_l[open_], h0[open_], scv_h[open_])
            idx = np.flatnonzero(open_)[at]
            pw[idx], wql[idx] = bp, bw
        hf = np.where(fills, hf, h0)
        cap = c / hf
        eff = np.where(fills, c * h0 / hf, c)
        # Until the binding callee's queue holds a whole token (c − c' < 1) the station is still mostly its
        # own queue: its servers and Allen–Cunneen's (1 + cs²)/2 pass over linearly to those of whatever
        # releases the tokens. Once it holds one, the queue that fills is at the binding callee, visit by
        # visit: its servers, or the tokens' effective servers counted in visits, whichever are fewer.
        blend = np.clip(1.0 - (c - eff), 0.0, 1.0)
        bound = np.minimum(eff * self.bind_visits[stations], room)
        queue = np.where(fills, blend * c + (1.0 - blend) * bound, c)
        k = blend * (1.0 + scv_h) / 2.0 + (1.0 - blend) * (1.0 + self.bind_scv[stations]) / 2.0
        full_load = lam_l * hf / c
        own_unstable = (rl >= 1.0) | (full_load >= 1.0) | (held & d_inf)
        total = np.where(own_unstable, 0.0, wql)
        front = total.copy()
        p_front = pw.copy()
        if fills.any():
            pf, wf = _station_wait_at(lam_l[fills], queue[fills], cap[fills], k[fills])
            share = _token_share(lam_l[fills], cap[fills], c[fills], eff[fills])
            # Never below the open wait: tokens held longer downstream cannot make a request wait less for
            # one. (With a callee of more servers than tokens, the queue formula can, where the tokens
            # barely fill it.)
            total[fills] = np.where(own_unstable[fills], 0.0, np.maximum(wf, wql[fills]))
            front[fills] = total[fills] * share
            p_front[fills] = pf * share
            self.p_back[stations[fills]] = pf * (1.0 - share)
        with np.errstate(invalid="ignore"):
            back = np.where(own_unstable, 0.0, np.nan_to_num(total - front))  # queued behind its own tokens
        inf_l = own_unstable | d_inf_any
        blocked = held & d_inf
        busy = h0 + back
        self.hold[stations] = np.where(blocked, np.inf, busy)
        self.h0[stations] = np.where(blocked, np.inf, h0)
        self.hfull[stations] = np.where(blocked, np.inf, hf)
        self.cap[stations] = np.where(blocked, 0.0, cap)
        self.eff[stations] = eff
        self.qs[stations] = queue
        self.k[stations] = k
        self.hold_scv[stations] = scv_h
        self.rho[stations] = np.where(
            blocked, np.inf, np.where(full_load >= 1.0, full_load, lam_l * busy / c)
        )
        self.p_wait[stations] = p_front
        self.wq[stations] = np.where(own_unstable, np.inf, front)
        self.down[stations] = np.where(d_inf_any, np.inf, d_mean + back)
        self.core_m[stations] = np.where(d_inf_any, np.inf, svc + d_mean + back)
        self.core_v[stations] = np.where(d_inf_any, np.inf, svar + d_var)
        self.r_mean[stations] = np.where(inf_l, np.inf, front + svc + d_mean + back)
        self.r_var[stations] = np.where(inf_l, np.inf, _wait_var(p_front, front) + svar + d_var)
        self.unstable[stations] = own_unstable
        self.infinite[stations] = inf_l
        self.back[stations] = back

    def _bound_waits(self, li: int, calls: IntArray, ks: IntArray | None) -> None:
        """The binding call (or pool) waits what its caller's tokens queue for, per visit.

        The station's wait beyond the wait for a token (``back``, per request) is spent at the binding
        callee or pool: spread over its visits per request, on top of the callee's other traffic's wait,
        with the probability of that part of the station's wait. Then the caller's variance gains it.
        """
        net = self.net
        bind = calls[self.call_bind[calls]]
        pool_bound = ks is not None and bool(self.pool_bind[ks].any())
        if bind.size == 0 and not pool_bound:
            return
        extra_var = np.zeros(net.n)
        if bind.size:
            src = net.call_src[bind]
            bg_var = _wait_var(self.call_bg_p[bind], self.call_bg_w[bind])
            # The capped probability, never below that of the wait itself (its mean given a wait stays
            # finite when the open formula says the callee almost never makes anyone wait).
            self.call_p[bind] = np.maximum.reduce(
                [self.call_cap_p[bind], self.p_back[src], self.call_bg_p[bind]]
            )
            self.call_w[bind] = self.call_bg_w[bind] + self.back[src] / self.per_req[bind]
            np.add.at(
                extra_var,
                src,
                self.per_req[bind] * (_wait_var(self.call_p[bind], self.call_w[bind]) - bg_var),
            )
        if pool_bound and ks is not None:
            pooled, local = self.layout.pool_calls[li]
            through = self.pool_bind[ks][local]
            owners = self.layout.pool_owner[ks]
            visits = np.bincount(local, self.per_req[pooled], minlength=len(ks))
            with np.errstate(divide="ignore", invalid="ignore"):
                per_visit = np.where(visits > 0, self.back[owners] / visits, 0.0)[local]
            j = pooled[through]
            self.call_pool_w[j] = per_visit[through]
            self.call_pool_p[j] = np.where(per_visit[through] > 0, self.p_back[owners][local][through], 0.0)
            np.add.at(
                extra_var,
                net.call_src[j],
                self.per_req[j] * _wait_var(self.call_pool_p[j], self.call_pool_w[j]),
            )
        ok = np.isfinite(self.r_var) & (extra_var > 0)
        self.r_var[ok] += extra_var[ok]
        self.core_v[ok] += extra_var[ok]

    # ---- result -----------------------------------------------------------------------------------------

    def _wait_seen(self) -> FloatArray:
        """Per station, the mean wait its visits see: entry traffic its own wait, each call its call's."""
        net = self.net
        entry_in = np.bincount(
            np.asarray(net.entry_root, dtype=np.int64), self.factor * net.entry_rps, minlength=net.n
        )
        own = np.where(np.isfinite(self.wq), self.wq, 0.0)
        call_w = np.where(np.isfinite(self.call_w), self.call_w, 0.0)
        weighted = entry_in * own + np.bincount(net.call_dst, self.flow * call_w, minlength=net.n)
        total = entry_in + np.bincount(net.call_dst, self.flow, minlength=net.n)
        with np.errstate(divide="ignore", invalid="ignore"):
            seen = np.where(total > 0, weighted / total, self.wq)
        return np.asarray(np.where(np.isfinite(self.wq), seen, np.inf), dtype=np.float64)

    def state(self) -> State:
        net = self.net
        bind_call = np.full(net.n, -1, dtype=np.int64)
        bound = np.flatnonzero(self.call_bind)
        bind_call[net.call_src[bound]] = bound
        bind_pool = np.full(net.n, -1, dtype=np.int64)
        pools = np.flatnonzero(self.pool_bind)
        bind_pool[self.layout.pool_owner[pools]] = pools
        return State(
            factor=self.factor, replicas=self.reps, servers=self.reps * self.net.workers, lam=self.lam,
            hold=self.hold, hold_scv=self.hold_scv, rho=self.rho, p_wait=self.p_wait, wq=self.wq,
            down=self.down, r_mean=self.r_mean, r_var=self.r_var, unstable=self.unstable,
            infinite=self.infinite, pool_size=self.psize, pool_lam=self.pool_lam, pool_hold=self.pool_hold,
            pool_rho=self.pool_rho, pool_p_wait=self.pool_p, pool_wq=self.pool_wq, hold_free=self.h0,
            hold_full=self.hfull, capacity=self.cap, eff_servers=self.eff, wait_seen=self._wait_seen(),
            call_p_wait=self.call_p, call_wq=self.call_w, call_pool_p_wait=self.call_pool_p,
            call_pool_wq=self.call_pool_w, call_full=self.call_full, bind_call=bind_call, bind_pool=bind_pool,
            call_batch=self.call_occ,
        )  # fmt: skip
