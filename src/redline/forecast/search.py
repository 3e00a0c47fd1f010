"""Searches over the load factor and over replica counts.

Why bisection: a station's utilization and every latency percentile are non-decreasing in load (Erlang C
is increasing in offered load; holding times only grow), so "saturated at f" and "p95 > SLO at f" are
monotone predicates and bisection finds their thresholds with a guaranteed bracket — no derivatives, no
step-size tuning. The property tests in ``tests/forecast`` check that monotonicity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from redline.forecast.graph import Network
from redline.forecast.latency import entry_distribution
from redline.forecast.limits import MAX_REPLICAS
from redline.forecast.network import IntArray, State, evaluate

__all__ = ["Bottleneck", "bottleneck", "saturation_factors", "size_for_slo", "slo_crossings"]

_MAX_DOUBLINGS = 60
_MAX_HALVINGS = 64  # per entry point: 2^-64 is below any rtol
_SEARCH_GRID = 1024


def _joint_bisect(
    net: Network,
    broken: Callable[[State, int], bool],
    hi: list[float | None],
    *,
    rtol: float,
    replicas: IntArray | None,
) -> list[float | None]:
    """Thresholds of one monotone predicate per entry point, sharing each network evaluation.

    Every evaluation at load ``f`` narrows the bracket of *every* entry point whose bracket contains ``f``;
    entry points that break at the same bottleneck therefore share their whole search.
    """
    lo = [0.0] * len(hi)
    for _ in range(_MAX_HALVINGS * max(len(hi), 1)):  # each step halves one bracket: bounded
        pending = [e for e, h in enumerate(hi) if h is not None and h - lo[e] > rtol * h]
        if not pending:
            break
        e = max(pending, key=lambda i: (hi[i] or 0.0) - lo[i])
        f = 0.5 * (lo[e] + (hi[e] or 0.0))
        state = evaluate(net, f, replicas=replicas)
        for i, h in enumerate(hi):
            if h is not None and lo[i] < f < h:
                if broken(state, i):
                    hi[i] = f
                else:
                    lo[i] = f
    return [None if h is None else lo[i] for i, h in enumerate(hi)]  # the last load known to hold


def saturation_factors(net: Network, *, replicas: IntArray | None = None) -> list[float | None]:
    """Per entry point, the load factor at which its latency becomes unbounded (``None``: never)."""
    roots = net.entry_root
    hi: list[float | None] = [None] * len(roots)
    f = 1.0
    for _ in range(_MAX_DOUBLINGS):
        state = evaluate(net, f, replicas=replicas)
        for e, root in enumerate(roots):
            if hi[e] is None and state.infinite[root]:
                hi[e] = f
        if all(h is not None for h in hi):
            break
        f *= 2.0
    return _joint_bisect(net, lambda st, e: bool(st.infinite[roots[e]]), hi, rtol=1e-4, replicas=replicas)


def slo_crossings(
    net: Network,
    limits: dict[float, float],
    f_sat: list[float | None],
    *,
    replicas: IntArray | None = None,
    rtol: float = 3e-3,
) -> list[float | None]:
    """Per entry point, the load factor where any latency SLO is first crossed (0: already at zero load).

    Searches use a coarse grid (1,024 points): they need the crossing load, not the fourth digit of p99.
    """

    def broken(state: State, e: int) -> bool:
        dist = entry_distribution(net, state, e, grid=_SEARCH_GRID)
        return dist is None or any(dist.quantile(q) > lim for q, lim in limits.items())

    zero = evaluate(net, 0.0, replicas=replicas)
    hi: list[float | None] = []
    done: dict[int, float] = {}
    for e, f in enumerate(f_sat):
        if f is not None and broken(zero, e):
            done[e] = 0.0
            hi.append(None)
        else:
            hi.append(f)
    out = _joint_bisect(net, broken, hi, rtol=rtol, replicas=replicas)
    return [done.get(e, x) for e, x in enumerate(out)]


@dataclass
class Bottleneck:
    """What saturates first, and why, in words."""

    component: str
    pool: str | None
    reason: str


def _ms(x: float) -> str:
    return f"{x * 1000:.3g} ms" if x < 1 else f"{x:.3g} s"


def bottleneck(net: Network, entry: int, f_sat: float, *, replicas: IntArray | None = None) -> Bottleneck:
    """The station that saturates first as load crosses ``f_sat`` (a pool counts as a station)."""
    over = evaluate(net, f_sat * (1.0 + 1e-4), replicas=replicas)
    under = evaluate(net, f_sat * (1.0 - 1e-4), replicas=replicas)
    reach = net.reach[entry]
    best: tuple[float, int, int] | None = None  # (rho, station, pool)
    for st in np.flatnonzero(reach & over.unstable).tolist():
        rho = float(over.rho[st])
        if math.isfinite(rho) and (best is None or rho > best[0]):
            best = (rho, st, -1)
    for k, pool in enumerate(net.pools):
        rho = float(over.pool_rho[k])
        if reach[pool.owner] and math.isfinite(rho) and rho >= 1.0 and (best is None or rho > best[0]):
            best = (rho, pool.owner, k)
    if best is None:  # fall back: the most utilized reachable station just below saturation
        cands = np.flatnonzero(reach)
        top = int(cands[np.argmax(np.where(np.isfinite(under.rho[cands]), under.rho[cands], -1.0))])
        best = (float(under.rho[top]), top, -1)
    _, s, k = best
    name = net.names[s]
    if k >= 0:
        pool = net.pools[k]
        servers = int(under.pool_size[k]) * int(under.replicas[s])
        return Bottleneck(
            name,
            pool.name,
            f"{name}'s pool {pool.name} saturates ({servers} connections × {_ms(float(under.pool_hold[k]))})",
        )
    reps, workers = int(under.replicas[s]), int(net.workers[s])
    label = f"{workers} workers" if reps == 1 else f"{reps} replicas × {workers} workers"
    hold, own = float(under.hold[s]), float(net.service[s])
    if net.held[s] and math.isfinite(hold) and hold > own * 1.05:
        detail = f"{label} × {_ms(hold)} held: {_ms(own)} own work + {_ms(hold - own)} waiting on calls"
        causes = [(float(under.rho[d]), net.names[d]) for d in net.call_dst[net.call_src == s].tolist()]
        causes += [
            (float(under.pool_rho[k]), f"pool {p.name}") for k, p in enumerate(net.pools) if p.owner == s
        ]
        if causes:
            rho, who = max(causes, key=lambda x: x[0] if math.isfinite(x[0]) else 2.0)
            detail += f"; {who} at {min(rho, 1.0):.0%} utilization"
    else:
        detail = f"{label} × {_ms(own)}"
    return Bottleneck(name, None, f"{name} saturates ({detail})")


def _breached(net: Network, state: State, slos: dict[int, dict[float, float]]) -> list[int]:
    out = []
    for e, limits in slos.items():
        dist = entry_distribution(net, state, e, grid=_SEARCH_GRID)
        if dist is None or any(dist.quantile(q) > lim for q, lim in limits.items()):
            out.append(e)
    return out


def size_for_slo(
    net: Network,
    factor: float,
    slos: dict[int, dict[float, float]],
    start: IntArray,
    *,
    max_steps: int = 80,
) -> tuple[IntArray, bool]:
    """Greedy: add replicas where waiting costs requests the most, until every latency SLO holds.

    Each step grows the station with the largest mean wait per request, ``Σ_e visits_e·Wq``, by 10% (at
    least one replica). Returns the replica counts and whether every SLO was met. Latency is monotone
    non-increasing in replicas, so the greedy path never makes things worse.
    """
    reps = start.copy()
    zero = evaluate(net, 0.0, replicas=reps)
    if _breached(net, zero, slos):  # service times alone break the SLO: no replica count can fix it
        return reps, False
    for _ in range(max_steps):
        state = evaluate(net, factor, replicas=reps)
        bad = _breached(net, state, slos)
        if not bad:
            return reps, True
        weight = net.visits[bad].sum(axis=0)
        cost = np.where(state.unstable, np.inf, weight * np.where(np.isfinite(state.wq), state.wq, np.inf))
        cost = np.where(weight > 0, cost, -1.0)
        s = int(np.argmax(cost))
        if cost[s] <= 0:
            return reps, False
        if reps[s] >= MAX_REPLICAS:  # the plan stops at the engine's bound; the caller says so
            return reps, False
        reps[s] = min(reps[s] + max(1, math.ceil(0.1 * reps[s])), MAX_REPLICAS)
    state = evaluate(net, factor, replicas=reps)
    return reps, not _breached(net, state, slos)
