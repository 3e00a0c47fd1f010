"""Searches over the load factor and over replica counts.

Why bisection: a station's utilization and every latency percentile are non-decreasing in load (Erlang C
is increasing in offered load; holding times only grow), so "saturated at f" and "p95 > SLO at f" are
monotone predicates and bisection finds their thresholds with a guaranteed bracket — no derivatives, no
step-size tuning. The property tests in ``tests/forecast`` check that monotonicity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

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
    """What saturates first, and why, in words.

    ``component`` (and ``pool``) is the resource whose capacity binds; ``through`` the held pools whose
    workers fill up because of it, outermost first (empty when the saturating station's own workers bind).
    """

    component: str
    pool: str | None
    reason: str
    through: list[str] = field(default_factory=list)


def _ms(x: float) -> str:
    return f"{x * 1000:.3g} ms" if x < 1 else f"{x:.3g} s"


def _label(net: Network, state: State, s: int) -> str:
    reps, workers = int(state.replicas[s]), int(net.workers[s])
    return f"{workers} workers" if reps == 1 else f"{reps} replicas × {workers} workers"


def _saturating(net: Network, entry: int, over: State, under: State) -> tuple[int, int]:
    """The station (and pool, or -1) that saturates as load crosses ``f_sat``: the most overloaded.

    A held station whose tokens fill something downstream comes first: when its callee saturates at the
    same load, the callee is reached from it, and the reason can say through which held pool it binds.
    """
    reach = net.reach[entry]
    filled = (under.bind_call >= 0) | (under.bind_pool >= 0)
    best: tuple[float, int, int] | None = None  # (rho, station, pool)
    for st in np.flatnonzero(reach & over.unstable & filled).tolist():
        rho = float(over.rho[st])  # inf: its tokens wait on a pool or callee that saturated
        if best is None or rho > best[0]:
            best = (rho, st, -1)
    if best is not None:
        return best[1], best[2]
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
    return best[1], best[2]


def _binds_below(net: Network, state: State, s: int) -> tuple[int, int, float] | None:
    """The callee (station, -1) or pool (owner, pool) that binds held station ``s``, with its utilization.

    It binds when it is busier than ``s``'s tokens would be with nothing to queue for downstream
    (``λ·H₀/c``): of the two bounds on ``s``'s throughput — its tokens' work, the callee's servers — the
    tighter one. ``None`` when ``s``'s own workers bind.
    """
    own = float(state.lam[s] * state.hold_free[s] / state.servers[s])
    j, k = int(state.bind_call[s]), int(state.bind_pool[s])
    if j >= 0:
        d = int(net.call_dst[j])
        busy = float(state.lam[d] * state.hold[d] / state.servers[d])
        return (d, -1, busy) if busy > own else None
    if k >= 0:
        busy = float(state.pool_rho[k])
        return (s, k, busy) if math.isfinite(busy) and busy > own else None
    return None


def bottleneck(net: Network, entry: int, f_sat: float, *, replicas: IntArray | None = None) -> Bottleneck:
    """The resource whose capacity binds as load crosses ``f_sat`` (a pool counts as a station).

    The station that saturates first is a held pool when something its workers wait on fills up: then the
    binding resource is found by following, from it, the callee (or pool) its tokens fill most while that
    is busier than the tokens' own work — and the reason says through which held pools it binds.
    """
    over = evaluate(net, f_sat * (1.0 + 1e-4), replicas=replicas)
    under = evaluate(net, f_sat * (1.0 - 1e-4), replicas=replicas)
    s, k = _saturating(net, entry, over, under)
    if k >= 0:
        pool = net.pools[k]
        servers = int(under.pool_size[k]) * int(under.replicas[s])
        return Bottleneck(
            net.names[s],
            pool.name,
            f"{net.names[s]}'s pool {pool.name} saturates "
            f"({servers} connections × {_ms(float(under.pool_hold[k]))})",
        )
    chain: list[int] = []
    found = _binds_below(net, under, s) if net.held[s] else None
    while found is not None and len(chain) < net.n:
        chain.append(s)
        d, k, busy = found
        if k >= 0:
            return _pool_binds(net, under, chain, k, busy)
        s = d
        found = _binds_below(net, under, s) if net.held[s] else None
    if chain:
        return _station_binds(net, under, chain, s)
    return _own_workers(net, under, s)


def _through(net: Network, chain: list[int]) -> str:
    names = [net.names[i] for i in chain]
    return f"the held pool of {names[0]}" if len(names) == 1 else f"the held pools of {' → '.join(names)}"


def _held(net: Network, state: State, outer: int) -> str:
    return (
        f"{net.names[outer]}'s {_label(net, state, outer)} all held, "
        f"{_ms(float(state.hold_full[outer]))} each ({_ms(float(net.service[outer]))} own work)"
    )


def _station_binds(net: Network, state: State, chain: list[int], d: int) -> Bottleneck:
    busy = float(state.lam[d] * state.hold[d] / state.servers[d])
    what = (
        f"{net.names[d]} ({_label(net, state, d)} × {_ms(float(state.hold[d]))}, {min(busy, 1.0):.0%} busy)"
    )
    return Bottleneck(
        net.names[d],
        None,
        f"{what} binds through {_through(net, chain)}: {_held(net, state, chain[0])}",
        [net.names[i] for i in chain],
    )


def _pool_binds(net: Network, state: State, chain: list[int], k: int, busy: float) -> Bottleneck:
    pool = net.pools[k]
    owner = net.names[pool.owner]
    servers = int(state.pool_size[k]) * int(state.replicas[pool.owner])
    what = (
        f"{owner}'s pool {pool.name} ({servers} connections × {_ms(float(state.pool_hold[k]))}, "
        f"{min(busy, 1.0):.0%} busy)"
    )
    return Bottleneck(
        owner,
        pool.name,
        f"{what} binds through {_through(net, chain)}: {_held(net, state, chain[0])}",
        [net.names[i] for i in chain],
    )


def _own_workers(net: Network, under: State, s: int) -> Bottleneck:
    """The saturating station's own workers bind: its work, and what it waits on, per request."""
    name = net.names[s]
    label = _label(net, under, s)
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


def _wait_cost(net: Network, state: State, weight: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Mean wait per request each station's capacity causes: its visits' waits, and a held station's wait
    for a token counted at the callee that binds it (more tokens there would only queue at that callee)."""
    seen = np.where(np.isfinite(state.wait_seen), state.wait_seen, np.inf)
    cost = weight * seen
    own = weight * np.where(np.isfinite(state.wq), state.wq, 0.0)
    bound = np.flatnonzero(state.bind_call >= 0)
    if bound.size:
        to = net.call_dst[state.bind_call[bound]]
        cost[bound] -= own[bound]
        np.add.at(cost, to, own[bound])
    cost = np.where(state.unstable, np.inf, cost)
    return np.asarray(np.where(weight > 0, cost, -1.0), dtype=np.float64)


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
        cost = _wait_cost(net, state, weight)
        s = int(np.argmax(cost))
        if cost[s] <= 0:
            return reps, False
        if reps[s] >= MAX_REPLICAS:  # the plan stops at the engine's bound; the caller says so
            return reps, False
        reps[s] = min(reps[s] + max(1, math.ceil(0.1 * reps[s])), MAX_REPLICAS)
    state = evaluate(net, factor, replicas=reps)
    return reps, not _breached(net, state, slos)
