"""Turn a :class:`~redline.model.System` into the arrays the queueing network runs on.

This is where every unknown becomes a stated assumption and every bad input becomes a clear error:

* Defaults come from ``System.defaults`` (redline.yaml ``defaults:``) first, then from built-in values
  per kind. Each default applied is recorded as an :class:`Assumption`, so the output can say exactly
  what the forecast rests on.
* Runtime calls only. ``startup_only`` edges (Compose ``depends_on``/``links``) are orderings, not calls:
  they are dropped for a component that has any runtime call. For a component with no runtime call at all
  they are the only hint there is, so they are kept (count 1) and the assumption is listed — a service that
  waits for its database to start almost always queries it.
* The call graph must be a DAG: an open network with a cycle has no finite call tree. Cycles are
  reported, never recursed into.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from redline.model import Component, Edge, Kind, System
from redline.model.units import UnitError, parse_duration, parse_percent

__all__ = ["Assumption", "ForecastInputError", "Network", "PoolSpec", "compile_system"]

# Built-in defaults per kind: deliberately round numbers, always reported as assumptions.
SERVICE_TIME_S: dict[Kind, float] = {
    Kind.SERVICE: 0.010,
    Kind.GATEWAY: 0.002,
    Kind.DATASTORE: 0.002,
    Kind.CACHE: 0.0005,
    Kind.QUEUE: 0.001,
    Kind.EXTERNAL: 0.050,
}
WORKERS: dict[Kind, int] = {
    Kind.SERVICE: 8,
    Kind.GATEWAY: 64,
    Kind.DATASTORE: 16,
    Kind.CACHE: 16,
    Kind.QUEUE: 16,
    Kind.EXTERNAL: 64,
}
AVAILABILITY: dict[Kind, float] = {
    Kind.SERVICE: 0.999,
    Kind.GATEWAY: 0.999,
    Kind.DATASTORE: 0.9995,
    Kind.CACHE: 0.999,
    Kind.QUEUE: 0.9995,
    Kind.EXTERNAL: 0.999,
}
ZONE_AVAILABILITY = 0.9999


class ForecastInputError(ValueError):
    """The system cannot be forecast as given. ``problems`` lists every reason, each with file:line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Assumption:
    """One default applied: which component (or ``None`` for system-wide), which field, what value."""

    subject: str | None
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        who = f"{self.subject}: " if self.subject else ""
        return f"{who}{self.field} = {self.value} ({self.reason})"


@dataclass
class PoolSpec:
    """A connection pool: ``size`` connections per replica of ``owner``, used by ``calls``."""

    owner: int
    name: str
    size: int
    calls: list[int]
    source: str | None


IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Network:
    """The compiled call graph. Station ``i`` is component ``names[i]``; call ``j`` is an edge."""

    names: list[str]
    kinds: list[Kind]
    replicas: IntArray
    workers: IntArray
    service: FloatArray
    scv: FloatArray
    held: BoolArray
    hit: FloatArray
    availability: FloatArray
    zones: list[int | None]
    price: list[float | None]  # per replica-hour
    max_replicas: list[int | None]
    call_src: IntArray
    call_dst: IntArray
    call_mean: FloatArray  # mean calls per (non-cache-hit) visit of the caller, retries included
    call_par: BoolArray
    call_pool: IntArray  # index into pools, -1 if none
    pools: list[PoolSpec]
    levels: list[IntArray]  # station indices, leaves first
    level_calls: list[IntArray]  # calls whose caller is in the level
    entry_names: list[str]
    entry_root: list[int]
    entry_rps: FloatArray
    visits: FloatArray  # (entries, stations): mean visits per request of each entry point
    reach: BoolArray  # (entries, stations)
    assumptions: list[Assumption] = field(default_factory=list)
    currency: str = "USD"

    @property
    def lam1(self) -> FloatArray:
        """Arrival rate per station at the current load (factor 1)."""
        return np.asarray(self.entry_rps @ self.visits, dtype=np.float64)

    @property
    def n(self) -> int:
        return len(self.names)


def _where(obj: object) -> str:
    src = getattr(obj, "source", None)
    return f"{src}: " if src is not None else ""


def _default_lookup(defaults: dict[str, Any], key: str, kind: Kind) -> object | None:
    value = defaults.get(key)
    if isinstance(value, dict):
        return value.get(kind.value, value.get("default"))
    return value


def compile_system(system: System, *, rps: float | None = None) -> Network:
    """Validate ``system`` and compile it. Raises :class:`ForecastInputError` listing every problem.

    ``rps`` is only used when no entry point states a rate: it is then split evenly across them.
    """
    problems: list[str] = []
    assumptions: list[Assumption] = []
    comps = system.components
    index: dict[str, int] = {}
    for i, comp in enumerate(comps):
        index[comp.name] = i
    for i, comp in enumerate(comps):
        for alias in comp.aliases:
            index.setdefault(alias, i)

    def resolve(name: str) -> int | None:
        if name in index:
            return index[name]
        comp = system.component(name)
        return index[comp.name] if comp is not None else None

    defaults = system.defaults or {}
    n = len(comps)
    replicas = np.ones(n, dtype=np.int64)
    workers = np.ones(n, dtype=np.int64)
    service = np.zeros(n)
    scv = np.ones(n)
    held = np.ones(n, dtype=bool)
    hit = np.zeros(n)
    avail = np.zeros(n)
    zones: list[int | None] = []
    price: list[float | None] = []
    max_replicas: list[int | None] = []

    def from_defaults(comp: Component, key: str, parse: Any) -> Any | None:
        raw = _default_lookup(defaults, key, comp.kind)
        if raw is None:
            return None
        try:
            return parse(raw)
        except (UnitError, ValueError, TypeError) as exc:
            problems.append(f"redline.yaml defaults.{key}: {exc}")
            return None

    missing_service: list[str] = []
    for i, comp in enumerate(comps):
        at = _where(comp)
        # replicas
        if comp.replicas is None:
            assumptions.append(Assumption(comp.name, "replicas", "1", "not stated"))
        elif comp.replicas <= 0:
            problems.append(f"{at}{comp.name}: replicas must be at least 1 (got {comp.replicas})")
        else:
            replicas[i] = comp.replicas
        # workers
        if comp.workers is not None:
            if comp.workers <= 0:
                problems.append(f"{at}{comp.name}: workers must be at least 1 (got {comp.workers})")
            else:
                workers[i] = comp.workers
        else:
            w = from_defaults(comp, "workers", int)
            how = "defaults.workers" if w is not None else f"built-in default for {comp.kind.value}"
            w = w if w is not None and w > 0 else WORKERS[comp.kind]
            workers[i] = w
            assumptions.append(Assumption(comp.name, "workers", str(w), how))
        # service time
        if comp.service_time_s is not None:
            if comp.service_time_s <= 0:
                problems.append(f"{at}{comp.name}: service_time must be positive (got {comp.service_time_s})")
            else:
                service[i] = comp.service_time_s
        else:
            s = from_defaults(comp, "service_time", lambda v: parse_duration(v, allow_zero=False))
            how = "defaults.service_time" if s is not None else f"built-in default for {comp.kind.value}"
            s = s if s is not None else SERVICE_TIME_S[comp.kind]
            service[i] = s
            missing_service.append(comp.name)
            assumptions.append(Assumption(comp.name, "service_time", f"{s * 1000:g} ms", how))
        if comp.service_time_scv is not None:
            if comp.service_time_scv < 0:
                problems.append(f"{at}{comp.name}: service_time_scv cannot be negative")
            else:
                scv[i] = comp.service_time_scv
        held[i] = not bool(comp.async_)
        if comp.cache_hit_ratio is not None:
            if not 0.0 <= comp.cache_hit_ratio <= 1.0:
                problems.append(f"{at}{comp.name}: cache_hit_ratio must lie in [0, 1]")
            else:
                hit[i] = comp.cache_hit_ratio
        if comp.availability is not None:
            if not 0.0 < comp.availability <= 1.0:
                problems.append(f"{at}{comp.name}: availability must lie in (0, 1]")
            avail[i] = comp.availability
        else:
            a = from_defaults(comp, "availability", parse_percent)
            how = "defaults.availability" if a is not None else f"built-in default for {comp.kind.value}"
            a = a if a is not None else AVAILABILITY[comp.kind]
            avail[i] = a
            assumptions.append(Assumption(comp.name, "availability", f"{a:.4%} per replica", how))
        zones.append(comp.placement.zones if comp.placement and comp.placement.zones else None)
        cost = comp.cost.replica_hour if comp.cost and comp.cost.replica_hour is not None else None
        if cost is None:
            raw = defaults.get("cost")
            if isinstance(raw, dict) and raw.get("replica_hour") is not None:
                try:
                    cost = float(raw["replica_hour"])
                    assumptions.append(
                        Assumption(comp.name, "cost", f"{cost:g}/replica-hour", "defaults.cost")
                    )
                except (TypeError, ValueError):
                    problems.append("redline.yaml defaults.cost.replica_hour: expected a number")
        elif cost < 0:
            problems.append(f"{at}{comp.name}: cost.replica_hour cannot be negative")
        price.append(cost)
        max_replicas.append(comp.autoscaling.max_replicas if comp.autoscaling else None)

    # ---- calls ---------------------------------------------------------------------------------
    runtime_from = {e.from_ for e in system.edges if not e.startup_only}
    kept: list[tuple[int, int, Edge]] = []
    startup_used: list[str] = []
    for edge in system.edges:
        src, dst = resolve(edge.from_), resolve(edge.to)
        at = _where(edge)
        if src is None:
            problems.append(f"{at}call from unknown component {edge.from_!r}")
            continue
        if dst is None:
            problems.append(f"{at}{edge.from_} calls unknown component {edge.to!r}")
            continue
        if edge.startup_only:
            if comps[src].name in runtime_from or edge.from_ in runtime_from:
                continue
            startup_used.append(f"{comps[src].name}->{comps[dst].name}")
        kept.append((src, dst, edge))
    # Readers keep a call to a name that resolves to nothing as `unresolved`, not as an edge. One stated in
    # redline.yaml is a typo in the model the forecast runs on: an error. One inferred from an env var or
    # config (an external host, usually) is only a call the forecast cannot see: an assumption.
    redline_files = {f.file for f in system.files if f.as_ == "redline"}
    for ref in system.unresolved:
        if ref.source.file in redline_files or ref.reason.startswith("redline.yaml"):
            problems.append(f"{ref.source}: {ref.from_} calls unknown component {ref.host!r}")
        else:
            assumptions.append(
                Assumption(ref.from_, f"call to {ref.host}", "not modeled", f"unresolved: {ref.reason}")
            )
    if startup_used:
        assumptions.append(
            Assumption(
                None,
                "calls",
                ", ".join(sorted(set(startup_used))),
                "depends_on/links read as one runtime call per request (no runtime calls stated)",
            )
        )

    # Merge duplicate src->dst edges (two readers can report the same call): keep the most specific.
    merged: dict[tuple[int, int], Edge] = {}
    for src, dst, edge in kept:
        prev = merged.get((src, dst))
        if prev is None or (prev.count is None and edge.count is not None) or prev.startup_only:
            merged[(src, dst)] = edge

    call_src: list[int] = []
    call_dst: list[int] = []
    call_mean: list[float] = []
    call_par: list[bool] = []
    call_pool_name: list[str | None] = []
    for (src, dst), edge in merged.items():
        at = _where(edge)
        label = f"{comps[src].name} -> {comps[dst].name}"
        if src == dst:
            problems.append(f"{at}{label}: a component cannot call itself (a cycle)")
            continue
        count = edge.count
        if count is None:
            count = 1.0
            assumptions.append(Assumption(label, "count", "1 call per request", "not stated"))
        elif count <= 0 or not math.isfinite(count):
            problems.append(f"{at}{label}: count must be positive (got {count})")
            continue
        attempts = 1.0
        if edge.retries is not None:
            if edge.retries < 0:
                problems.append(f"{at}{label}: retries cannot be negative")
                continue
            p = edge.failure_rate
            if p is None:
                if edge.retries > 0:
                    assumptions.append(
                        Assumption(
                            label,
                            "failure_rate",
                            "0",
                            f"not stated: {edge.retries} retries add no load when healthy, "
                            f"but up to {edge.retries + 1}x the calls while {comps[dst].name} fails",
                        )
                    )
                p = 0.0
            elif not 0.0 <= p < 1.0:
                problems.append(f"{at}{label}: failure_rate must lie in [0, 1)")
                continue
            attempts = sum(p**k for k in range(edge.retries + 1))  # expected attempts, geometric
        elif edge.failure_rate is not None and not 0.0 <= edge.failure_rate < 1.0:
            problems.append(f"{at}{label}: failure_rate must lie in [0, 1)")
            continue
        call_src.append(src)
        call_dst.append(dst)
        call_mean.append(count * attempts)
        call_par.append(bool(edge.parallel))
        call_pool_name.append(edge.pool)

    # ---- pools -----------------------------------------------------------------------------------
    pools: list[PoolSpec] = []
    call_pool = [-1] * len(call_src)
    calls_of: dict[int, list[int]] = defaultdict(list)
    for j, src in enumerate(call_src):
        calls_of[src].append(j)
    for i, comp in enumerate(comps):
        for pool in comp.pools:
            where = f"{pool.source}: " if pool.source else _where(comp)
            targets = {resolve(t) for t in pool.to}
            calls = [
                j
                for j in calls_of.get(i, [])
                if call_src[j] == i
                and call_pool[j] < 0
                and (call_pool_name[j] == pool.name or (call_pool_name[j] is None and call_dst[j] in targets))
            ]
            if pool.size is None:
                assumptions.append(
                    Assumption(comp.name, f"pool {pool.name}", "not modeled", "pool size not stated")
                )
                continue
            if pool.size <= 0:
                problems.append(f"{where}{comp.name}: pool {pool.name} size must be at least 1")
                continue
            if not calls:
                continue
            for j in calls:
                call_pool[j] = len(pools)
            pools.append(PoolSpec(i, pool.name, pool.size, calls, str(pool.source) if pool.source else None))

    # ---- entry points ----------------------------------------------------------------------------
    entry_names: list[str] = []
    entry_root: list[int] = []
    entry_rps: list[float | None] = []
    for ep in system.entrypoints:
        root = resolve(ep.component)
        if root is None:
            problems.append(f"{_where(ep)}entry point {ep.name!r} names unknown component {ep.component!r}")
            continue
        if ep.rps is not None and (ep.rps < 0 or not math.isfinite(ep.rps)):
            problems.append(f"{_where(ep)}entry point {ep.name!r}: rps must be a non-negative number")
            continue
        entry_names.append(ep.name)
        entry_root.append(root)
        entry_rps.append(ep.rps)
    if not system.entrypoints:
        problems.append(
            "no entry points: add `entrypoints: [{name: web, component: <name>, rps: <n>}]` to redline.yaml"
        )
    if entry_rps and all(r is None for r in entry_rps):
        if rps is None:
            problems.append("no entry point states its rps: add `rps:` to each entry point, or pass --rps N")
        else:
            entry_rps = [rps / len(entry_rps)] * len(entry_rps)
            assumptions.append(
                Assumption(None, "rps", f"{rps:g} split evenly", "no entry point states its rps")
            )
    elif any(r is None for r in entry_rps):
        missing = [nm for nm, r in zip(entry_names, entry_rps, strict=True) if r is None]
        problems.append(f"entry points without rps: {', '.join(missing)} (state rps for every entry point)")

    # ---- cycles and levels -----------------------------------------------------------------------
    out: dict[int, list[int]] = defaultdict(list)
    for j, s in enumerate(call_src):
        out[s].append(j)
    cycle = _find_cycle(n, out, call_dst)
    if cycle is not None:
        path = " -> ".join(comps[i].name for i in cycle)
        wheres = [
            str(e.source)
            for e in system.edges
            if e.source is not None
            and resolve(e.from_) in cycle
            and resolve(e.to) in cycle
            and not e.startup_only
        ]
        suffix = f" (calls stated at {', '.join(wheres)})" if wheres else ""
        problems.append(f"cycle in the call graph: {path}{suffix}; an open queueing network needs a DAG")

    if problems:
        raise ForecastInputError(problems)
    if missing_service:
        assumptions.insert(
            0,
            Assumption(
                None,
                "service_time",
                f"defaulted for {len(missing_service)} of {n} components",
                "state service_time in redline.yaml; the forecast is only as good as these",
            ),
        )

    src_a = np.asarray(call_src, dtype=np.int64)
    dst_a = np.asarray(call_dst, dtype=np.int64)
    height = _heights(n, out, call_dst)
    order = np.argsort(height, kind="stable")
    nlev = int(height.max()) + 1 if n else 0
    bounds = np.searchsorted(height[order], np.arange(nlev + 1))
    levels = [order[bounds[k] : bounds[k + 1]] for k in range(nlev)]
    call_level = height[src_a] if len(call_src) else np.zeros(0, dtype=np.int64)
    corder = np.argsort(call_level, kind="stable")
    cb = np.searchsorted(call_level[corder], np.arange(nlev + 1))
    level_calls = [corder[cb[k] : cb[k + 1]] for k in range(nlev)]

    net = Network(
        names=[c.name for c in comps],
        kinds=[c.kind for c in comps],
        replicas=replicas,
        workers=workers,
        service=service,
        scv=scv,
        held=held,
        hit=hit,
        availability=avail,
        zones=zones,
        price=price,
        max_replicas=max_replicas,
        call_src=src_a,
        call_dst=dst_a,
        call_mean=np.asarray(call_mean, dtype=np.float64),
        call_par=np.asarray(call_par, dtype=bool),
        call_pool=np.asarray(call_pool, dtype=np.int64),
        pools=pools,
        levels=levels,
        level_calls=level_calls,
        entry_names=entry_names,
        entry_root=entry_root,
        entry_rps=np.asarray([r or 0.0 for r in entry_rps], dtype=np.float64),
        visits=np.zeros((len(entry_root), n)),
        reach=np.zeros((len(entry_root), n), dtype=bool),
        assumptions=assumptions,
        currency=next((c.cost.currency for c in comps if c.cost), "USD"),
    )
    _visits(net)
    return net


def _find_cycle(n: int, out: dict[int, list[int]], dst: list[int]) -> list[int] | None:
    """Iterative DFS (no recursion limit on deep graphs); returns one cycle as a closed path."""
    color = [0] * n
    parent = [-1] * n
    for start in range(n):
        if color[start]:
            continue
        stack: list[tuple[int, int]] = [(start, 0)]
        color[start] = 1
        while stack:
            node, k = stack[-1]
            calls = out.get(node, [])
            if k < len(calls):
                stack[-1] = (node, k + 1)
                nxt = dst[calls[k]]
                if color[nxt] == 0:
                    color[nxt] = 1
                    parent[nxt] = node
                    stack.append((nxt, 0))
                elif color[nxt] == 1:
                    path = [node]
                    while path[-1] != nxt:
                        path.append(parent[path[-1]])
                    path.reverse()
                    return [*path, nxt]
            else:
                color[node] = 2
                stack.pop()
    return None


def _heights(n: int, out: dict[int, list[int]], dst: list[int]) -> IntArray:
    """Longest path to a leaf: a station only depends on stations of lower height."""
    height = np.zeros(n, dtype=np.int64)
    indeg = [0] * n
    for calls in out.values():
        for j in calls:
            indeg[dst[j]] += 1
    topo: list[int] = [i for i in range(n) if indeg[i] == 0]
    k = 0
    while k < len(topo):
        node = topo[k]
        k += 1
        for j in out.get(node, []):
            d = dst[j]
            indeg[d] -= 1
            if indeg[d] == 0:
                topo.append(d)
    for node in reversed(topo):
        calls = out.get(node, [])
        if calls:
            height[node] = 1 + max(int(height[dst[j]]) for j in calls)
    return height


def _visits(net: Network) -> None:
    """Mean visits per request: ``v[callee] += v[caller]·(1 − hit[caller])·calls`` in topological order."""
    for e, root in enumerate(net.entry_root):
        v = np.zeros(net.n)
        v[root] = 1.0
        reach = np.zeros(net.n, dtype=bool)
        reach[root] = True
        for calls in reversed(net.level_calls):
            if calls.size == 0:
                continue
            src = net.call_src[calls]
            dst = net.call_dst[calls]
            flow = v[src] * (1.0 - net.hit[src]) * net.call_mean[calls]
            np.add.at(v, dst, flow)
            np.logical_or.at(reach, dst, reach[src])
        net.visits[e] = v
        net.reach[e] = reach
