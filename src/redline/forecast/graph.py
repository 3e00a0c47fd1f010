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

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from redline.forecast.limits import (
    MAX_CALL_COUNT,
    MAX_POOL_SIZE,
    MAX_PRICE,
    MAX_REPLICAS,
    MAX_RETRIES,
    MAX_RPS,
    MAX_SCV,
    MAX_SERVICE_TIME_S,
    MAX_VISITS,
    MAX_WORKERS,
    MAX_ZONES,
    check_fraction,
    check_int,
    check_positive,
)
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
    call_overhead: FloatArray  # seconds per call outside the callee (network, protocol), stated or defaulted
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


@dataclass
class _Stations:
    """Per-component numbers as they are read, before the call graph is compiled."""

    n: int
    defaults: dict[str, Any]
    problems: list[str]
    assumptions: list[Assumption]
    replicas: IntArray = field(init=False)
    workers: IntArray = field(init=False)
    service: FloatArray = field(init=False)
    scv: FloatArray = field(init=False)
    held: BoolArray = field(init=False)
    hit: FloatArray = field(init=False)
    avail: FloatArray = field(init=False)
    zones: list[int | None] = field(default_factory=list)
    price: list[float | None] = field(default_factory=list)
    max_replicas: list[int | None] = field(default_factory=list)
    missing_service: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.replicas = np.ones(self.n, dtype=np.int64)
        self.workers = np.ones(self.n, dtype=np.int64)
        self.service = np.zeros(self.n)
        self.scv = np.ones(self.n)
        self.held = np.ones(self.n, dtype=bool)
        self.hit = np.zeros(self.n)
        self.avail = np.zeros(self.n)

    def problem(self, message: str | None) -> bool:
        """Record ``message`` if there is one; ``True`` when the value checked was fine."""
        if message is not None:
            self.problems.append(message)
        return message is None

    def from_defaults(self, comp: Component, key: str, parse: Any) -> Any | None:
        """``defaults.<key>`` for ``comp``'s kind, parsed; ``None`` (and a problem if bad) otherwise."""
        raw = _default_lookup(self.defaults, key, comp.kind)
        if raw is None:
            return None
        try:
            return parse(raw)
        except (UnitError, ValueError, TypeError, OverflowError) as exc:
            self.problems.append(f"redline.yaml defaults.{key}: {exc}")
            return None


def _defaults_workers(raw: object) -> int:
    value = int(raw)  # type: ignore[call-overload]
    if not 1 <= value <= MAX_WORKERS:
        raise ValueError(f"workers must lie in [1, {MAX_WORKERS:,}] (got {raw!r})")
    return value


def _read_size(st: _Stations, i: int, comp: Component, at: str) -> None:
    """Replicas, workers, autoscaling bounds and zones: counts, each checked against its bound."""
    if comp.replicas is None:
        st.assumptions.append(Assumption(comp.name, "replicas", "1", "not stated"))
    elif st.problem(check_int(comp.replicas, 1, MAX_REPLICAS, f"{at}{comp.name}: replicas")):
        st.replicas[i] = comp.replicas
    if comp.workers is not None:
        if st.problem(check_int(comp.workers, 1, MAX_WORKERS, f"{at}{comp.name}: workers")):
            st.workers[i] = comp.workers
    else:
        w = st.from_defaults(comp, "workers", _defaults_workers)
        how = "defaults.workers" if w is not None else f"built-in default for {comp.kind.value}"
        w = w if w is not None else WORKERS[comp.kind]
        st.workers[i] = w
        st.assumptions.append(Assumption(comp.name, "workers", str(w), how))
    zones = comp.placement.zones if comp.placement else None
    if zones is not None and not st.problem(check_int(zones, 1, MAX_ZONES, f"{at}{comp.name}: zones")):
        zones = None
    st.zones.append(zones)
    st.max_replicas.append(_read_autoscaling(st, comp, at))


def _read_autoscaling(st: _Stations, comp: Component, at: str) -> int | None:
    """The autoscaler's ``max_replicas`` (``None`` without one); min above max is an error."""
    hpa = comp.autoscaling
    if hpa is None:
        return None
    where = f"{hpa.source}: " if hpa.source else at
    ok = True
    for name, value in (("min_replicas", hpa.min_replicas), ("max_replicas", hpa.max_replicas)):
        if value is not None:
            ok &= st.problem(check_int(value, 1, MAX_REPLICAS, f"{where}{comp.name}: autoscaling.{name}"))
    lo, hi = hpa.min_replicas, hpa.max_replicas
    if ok and lo is not None and hi is not None and lo > hi:
        st.problems.append(f"{where}{comp.name}: autoscaling min_replicas {lo} is above max_replicas {hi}")
        ok = False
    return hi if ok else None


def _read_timing(st: _Stations, i: int, comp: Component, at: str) -> None:
    """Service time and its SCV, async, cache hit ratio."""
    if comp.service_time_s is not None:
        what = f"{at}{comp.name}: service_time"
        if st.problem(check_positive(comp.service_time_s, MAX_SERVICE_TIME_S, what)):
            st.service[i] = comp.service_time_s
    else:
        s = st.from_defaults(comp, "service_time", lambda v: parse_duration(v, allow_zero=False))
        if s is not None and not st.problem(
            check_positive(s, MAX_SERVICE_TIME_S, "redline.yaml defaults.service_time")
        ):
            s = None
        how = "defaults.service_time" if s is not None else f"built-in default for {comp.kind.value}"
        s = s if s is not None else SERVICE_TIME_S[comp.kind]
        st.service[i] = s
        st.missing_service.append(comp.name)
        st.assumptions.append(Assumption(comp.name, "service_time", f"{s * 1000:g} ms", how))
    if comp.service_time_scv is not None:
        what = f"{at}{comp.name}: service_time_scv"
        if st.problem(check_positive(comp.service_time_scv, MAX_SCV, what, allow_zero=True)):
            st.scv[i] = comp.service_time_scv
    st.held[i] = not bool(comp.async_)
    if comp.cache_hit_ratio is not None:
        what = f"{at}{comp.name}: cache_hit_ratio"
        if st.problem(check_fraction(comp.cache_hit_ratio, what, closed_low=True, closed_high=True)):
            st.hit[i] = comp.cache_hit_ratio


def _read_availability(st: _Stations, i: int, comp: Component, at: str) -> None:
    """Per-replica availability in (0, 1], stated or defaulted."""
    if comp.availability is not None:
        what = f"{at}{comp.name}: availability"
        if st.problem(check_fraction(comp.availability, what, closed_low=False, closed_high=True)):
            st.avail[i] = comp.availability
        return
    a = st.from_defaults(comp, "availability", parse_percent)
    if a is not None and not st.problem(
        check_fraction(a, "redline.yaml defaults.availability", closed_low=False, closed_high=True)
    ):
        a = None
    how = "defaults.availability" if a is not None else f"built-in default for {comp.kind.value}"
    a = a if a is not None else AVAILABILITY[comp.kind]
    st.avail[i] = a
    st.assumptions.append(Assumption(comp.name, "availability", f"{a:.4%} per replica", how))


def _read_cost(st: _Stations, comp: Component, at: str) -> None:
    """Price per replica-hour: the component's own, else ``defaults.cost``; never negative or NaN."""
    cost = comp.cost.replica_hour if comp.cost and comp.cost.replica_hour is not None else None
    if cost is not None:
        what = f"{at}{comp.name}: cost.replica_hour"
        ok = st.problem(check_positive(cost, MAX_PRICE, what, allow_zero=True))
        st.price.append(cost if ok else None)
        return
    raw = st.defaults.get("cost")
    if isinstance(raw, dict) and raw.get("replica_hour") is not None:
        what = "redline.yaml defaults.cost.replica_hour"
        try:
            cost = float(raw["replica_hour"])
        except (TypeError, ValueError):
            st.problems.append(f"{what}: expected a number (got {raw['replica_hour']!r})")
            cost = None
        if cost is not None and st.problem(check_positive(cost, MAX_PRICE, what, allow_zero=True)):
            st.assumptions.append(Assumption(comp.name, "cost", f"{cost:g}/replica-hour", "defaults.cost"))
        else:
            cost = None
    st.price.append(cost)


def _call_mean(
    edge: Edge, label: str, at: str, callee: str, problems: list[str], assumptions: list[Assumption]
) -> float | None:
    """Mean calls per visit of the caller, retries included; ``None`` (and a problem) when out of bounds."""
    count = edge.count
    if count is None:
        count = 1.0
        assumptions.append(Assumption(label, "count", "1 call per request", "not stated"))
    elif check_positive(count, MAX_CALL_COUNT, "") is not None:
        problems.append(f"{at}{label}: count must be positive, at most {MAX_CALL_COUNT:,.0f} (got {count!r})")
        return None
    p = edge.failure_rate
    if p is not None:
        bad = check_fraction(p, f"{at}{label}: failure_rate", closed_low=True, closed_high=False)
        if bad is not None:
            problems.append(bad)
            return None
    if edge.retries is None:
        return count
    bad = check_int(edge.retries, 0, MAX_RETRIES, f"{at}{label}: retries")
    if bad is not None:
        problems.append(bad)
        return None
    if p is None:
        if edge.retries > 0:
            why = (
                f"not stated: {edge.retries} retries add no load when healthy, "
                f"but up to {edge.retries + 1}x the calls while {callee} fails"
            )
            assumptions.append(Assumption(label, "failure_rate", "0", why))
        p = 0.0
    attempts = (1.0 - p ** (edge.retries + 1)) / (1.0 - p)  # Σ_{k=0..retries} p^k, expected attempts
    if count * attempts > MAX_CALL_COUNT:
        problems.append(
            f"{at}{label}: count × expected attempts must be at most {MAX_CALL_COUNT:,.0f} "
            f"(got {count:g} × {attempts:.6g} at failure_rate {p:g})"
        )
        return None
    return count * attempts


def _overhead(edge: Edge, label: str, at: str, problems: list[str]) -> float | None:
    """The call's stated overhead in seconds; ``None`` when not stated (or refused, with a problem)."""
    if edge.overhead_s is None:
        return None
    bad = check_positive(edge.overhead_s, MAX_SERVICE_TIME_S, f"{at}{label}: overhead", allow_zero=True)
    if bad is not None:
        problems.append(bad)
        return None
    return float(edge.overhead_s)


def _default_overheads(
    stated: list[float | None], defaults: dict[str, Any], problems: list[str], assumptions: list[Assumption]
) -> FloatArray:
    """Per call: the stated overhead, else ``defaults.call_overhead``, else 0 — listed as an assumption.

    0 is the default because the cost of a call outside the callee depends on the network, the protocol and
    the client library; one loopback testbed measured 0.25–0.9 ms per call. Unknown stays unknown.
    """
    missing = sum(1 for x in stated if x is None)
    value, how = 0.0, "not stated: set calls[].overhead or defaults.call_overhead"
    raw = defaults.get("call_overhead")
    if raw is not None:
        try:
            parsed = parse_duration(raw)
        except (UnitError, ValueError, TypeError) as exc:
            problems.append(f"redline.yaml defaults.call_overhead: {exc}")
        else:
            bad = check_positive(
                parsed, MAX_SERVICE_TIME_S, "redline.yaml defaults.call_overhead", allow_zero=True
            )
            if bad is None:
                value, how = parsed, "defaults.call_overhead"
            else:
                problems.append(bad)
    if missing:
        assumptions.append(
            Assumption(
                None, "call overhead", f"{value * 1000:g} ms for {missing} of {len(stated)} calls", how
            )
        )
    return np.asarray([value if x is None else x for x in stated], dtype=np.float64)


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

    n = len(comps)
    st = _Stations(n, system.defaults or {}, problems, assumptions)
    for i, comp in enumerate(comps):
        at = _where(comp)
        _read_size(st, i, comp, at)
        _read_timing(st, i, comp, at)
        _read_availability(st, i, comp, at)
        _read_cost(st, comp, at)
    missing_service = st.missing_service

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
    overheads: list[float | None] = []
    for (src, dst), edge in merged.items():
        at = _where(edge)
        label = f"{comps[src].name} -> {comps[dst].name}"
        if src == dst:
            problems.append(f"{at}{label}: a component cannot call itself (a cycle)")
            continue
        mean = _call_mean(edge, label, at, comps[dst].name, problems, assumptions)
        if mean is None:
            continue
        call_src.append(src)
        call_dst.append(dst)
        call_mean.append(mean)
        call_par.append(bool(edge.parallel))
        call_pool_name.append(edge.pool)
        overheads.append(_overhead(edge, label, at, problems))

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
            bad = check_int(pool.size, 1, MAX_POOL_SIZE, f"{where}{comp.name}: pool {pool.name} size")
            if bad is not None:
                problems.append(bad)
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
        bad = None if ep.rps is None else check_positive(ep.rps, MAX_RPS, "", allow_zero=True)
        if bad is not None:
            problems.append(
                f"{_where(ep)}entry point {ep.name!r}: rps must be a number in [0, {MAX_RPS:,.0f}] "
                f"(got {ep.rps!r})"
            )
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

    call_overhead = _default_overheads(overheads, system.defaults or {}, problems, assumptions)
    if problems:
        raise ForecastInputError(list(dict.fromkeys(problems)))
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
        replicas=st.replicas,
        workers=st.workers,
        service=st.service,
        scv=st.scv,
        held=st.held,
        hit=st.hit,
        availability=st.avail,
        zones=st.zones,
        price=st.price,
        max_replicas=st.max_replicas,
        call_src=src_a,
        call_dst=dst_a,
        call_mean=np.asarray(call_mean, dtype=np.float64),
        call_par=np.asarray(call_par, dtype=bool),
        call_pool=np.asarray(call_pool, dtype=np.int64),
        call_overhead=call_overhead,
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
    _check_visits(net, comps)
    return net


def _check_visits(net: Network, comps: list[Component]) -> None:
    """Fan-out multiplies along paths: refuse a station visited more than ``MAX_VISITS`` times a request."""
    problems = []
    for e, row in enumerate(net.visits):
        for i in np.flatnonzero(~(row <= MAX_VISITS)).tolist():
            problems.append(
                f"{_where(comps[i])}{net.names[i]}: visits per request of entry point {net.entry_names[e]!r} "
                f"must be at most {MAX_VISITS:,.0f} (got {row[i]:.3g}: call counts multiply along the path)"
            )
    if problems:
        raise ForecastInputError(problems)


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
