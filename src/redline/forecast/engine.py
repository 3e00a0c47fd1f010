"""Orchestration: compile, evaluate at current and target load, search, size, price. No formulas here."""

from __future__ import annotations

import math
import re

import numpy as np

from redline.forecast.availability import MINUTES_PER_MONTH, entry_availability
from redline.forecast.cost import monthly_cost
from redline.forecast.graph import ForecastInputError, Network, compile_system
from redline.forecast.latency import Distribution, entry_distribution
from redline.forecast.limits import (
    MAX_GROWTH,
    MAX_POOL_SIZE,
    MAX_REPLICAS,
    MAX_RPS,
    check_fraction,
    check_positive,
)
from redline.forecast.network import IntArray, State, evaluate
from redline.forecast.result import (
    AvailabilityForecast,
    ComponentForecast,
    CurvePoint,
    EntrypointForecast,
    Forecast,
    GrowthPlan,
    PoolForecast,
    ReplicaChange,
)
from redline.forecast.search import bottleneck, saturation_factors, size_for_slo, slo_crossings
from redline.model import Entrypoint, System
from redline.model.entrypoints import empty_graph_message, resolve, with_rates

__all__ = ["TARGET_UTILIZATION", "forecast"]

TARGET_UTILIZATION = 0.7
QUANTILES = (0.5, 0.95, 0.99)
MODEL_ASSUMPTIONS = [
    "arrivals are Poisson; all entry points scale together in their current mix",
    "each replica set is one multi-server station (replicas × workers) behind an even load balancer",
    "per-visit response times are independent (product-form approximation)",
    "held workers: a held pool's tokens pile up at one callee at a time, the one that binds it; its other "
    "traffic there takes a share of the callee's servers (layered model)",
    "retried attempts take as long as successful ones; timeouts do not cut latency",
]


def _ms(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x * 1000.0, 3)


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def _quantile_of(key: str) -> float | None:
    match = re.fullmatch(r"p(\d+(?:\.\d+)?)", key.strip().lower())
    if not match:
        return None
    q = float(match.group(1)) / 100.0
    return q if 0.0 < q < 1.0 else None


def _fmt_rps(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:,.3g}"


def _check_options(rps: float | None, growth: float | None, target_utilization: float) -> None:
    """The keyword arguments of :func:`forecast`, each finite and within the engine's bounds."""
    problems = [
        check_positive(rps, MAX_RPS, "--rps") if rps is not None else None,
        check_positive(growth, MAX_GROWTH, "--growth") if growth is not None else None,
        check_fraction(target_utilization, "target utilization", closed_low=False, closed_high=True),
    ]
    if any(problems):
        raise ForecastInputError([p for p in problems if p])


def _target(
    system: System, rps: float | None, growth: float | None, current_total: float
) -> tuple[float, str]:
    """The load factor to plan for and where it came from; the target load stays within ``MAX_RPS``."""
    if rps is not None:
        factor, source = rps / current_total, "--rps"
    elif growth is not None:
        factor, source = growth, "--growth"
    elif system.growth is not None and system.growth.factor is not None:
        where = f"{system.growth.source or 'redline.yaml'}: growth.factor"
        bad = check_positive(system.growth.factor, MAX_GROWTH, where)
        if bad is not None:
            raise ForecastInputError([bad])
        factor, source = float(system.growth.factor), "growth.factor in redline.yaml"
    else:
        factor, source = 1.0, "none stated: target = current load"
    if current_total * factor > MAX_RPS:
        raise ForecastInputError(
            [f"target load {current_total * factor:.3g} rps ({source}) must be at most {MAX_RPS:,.0f} rps"]
        )
    return factor, source


def _entrypoints(
    system: System, rps: float | None, rates: dict[str, float] | None
) -> tuple[list[Entrypoint], list[str]]:
    """The entry points to forecast and what to say about them (inferred, an empty call graph).

    ``--entrypoint NAME=RPS`` wins; else the stated ones; else the inferred ones, which need ``rps``.
    """
    notes = [m for m in (empty_graph_message(system),) if m is not None]
    stated = [e for e in system.entrypoints if not e.inferred]
    if stated and not rates:
        return stated, notes  # as written: compile_system reports an unknown component with file:line
    found = resolve(system)
    if rates:
        try:
            return with_rates(system, rates), notes
        except KeyError as exc:
            known = ", ".join(e.name for e in found.entrypoints) or "none"
            raise ForecastInputError(
                [
                    f"--entrypoint {exc.args[0]}: no entry point or component of that name "
                    f"(entry points: {known})"
                ]
            ) from None
    if not found.entrypoints:
        raise ForecastInputError(
            [
                *notes,
                "no entry point stated and none inferred (nothing is exposed by an Ingress, a LoadBalancer "
                "or NodePort Service or a published port): pass --entrypoint NAME=RPS or add "
                "`entrypoints: [{name: web, component: NAME, rps: N}]` to redline.yaml",
            ]
        )
    why = "; ".join(f"{e.component}: {e.reason}" for e in found.entrypoints)
    if rps is None:
        names = ", ".join(e.component for e in found.entrypoints)
        raise ForecastInputError(
            [
                f"no entry point states its rps: none is stated in redline.yaml, and the inferred ones "
                f"({names}) have no rate; pass --rps N (split evenly over them), --entrypoint "
                f"{found.entrypoints[0].component}=N, or state `entrypoints:` with rps in redline.yaml",
                f"inferred: {why}",
            ]
        )
    return found.entrypoints, [*notes, f"entry points not stated, inferred: {why}"]


def _slo_limits(system: System) -> tuple[dict[float, float], dict[float, str], list[str]]:
    """Latency SLO limits by quantile, their names, and warnings for keys that were ignored.

    A non-finite limit or an availability SLO outside (0, 1] is an error: it would print a budget that
    means nothing.
    """
    slo_lat: dict[float, float] = {}
    slo_names: dict[float, str] = {}
    warnings: list[str] = []
    if system.slo is None:
        return slo_lat, slo_names, warnings
    where = f"{system.slo.source}: " if system.slo.source else ""
    if system.slo.availability is not None:
        bad = check_fraction(
            system.slo.availability, f"{where}slo.availability", closed_low=False, closed_high=True
        )
        if bad is not None:
            raise ForecastInputError([bad])
    for key, limit in system.slo.latency_s.items():
        q = _quantile_of(key)
        if q is None or not (math.isfinite(limit) and limit > 0):
            warnings.append(
                f"SLO latency key {key!r} ignored: use p50, p95, p99 with a positive, finite limit "
                f"(got {limit!r})"
            )
            continue
        slo_lat[q] = limit
        slo_names[q] = key.lower()
    return slo_lat, slo_names, warnings


def forecast(
    system: System,
    *,
    rps: float | None = None,
    growth: float | None = None,
    curves: bool = False,
    target_utilization: float = TARGET_UTILIZATION,
    entrypoints: dict[str, float] | None = None,
) -> Forecast:
    """Forecast where and when ``system`` breaks.

    ``rps`` is the target total load (split in the current mix; when no entry point states a rate it is
    also the current load); ``growth`` multiplies the current load. Without either, ``system.growth``
    is used, else the target is the current load. ``entrypoints`` (``--entrypoint NAME=RPS``) replaces
    the entry points: each name an entry point's or a component's, at that rate. When redline.yaml states
    no entry point, the inferred ones are used (their rate from ``rps``). Raises
    :class:`ForecastInputError` on bad input.
    """
    _check_options(rps, growth, target_utilization)
    chosen, notes = _entrypoints(system, rps, entrypoints)
    system = system.model_copy(update={"entrypoints": chosen})
    net = compile_system(system, rps=rps)
    current_total = float(net.entry_rps.sum())
    if current_total <= 0:
        if rps is None:
            raise ForecastInputError(["every entry point states rps 0: nothing to forecast (pass --rps N)"])
        net.entry_rps[:] = rps / len(net.entry_rps)
        current_total = rps
    factor, source = _target(system, rps, growth, current_total)
    slo_lat, slo_names, warnings = _slo_limits(system)
    warnings = notes + warnings

    cur = evaluate(net, 1.0)
    tgt = evaluate(net, factor)
    sized = evaluate(net, factor, target_util=target_utilization)
    slo_map = {e: dict(slo_lat) for e in range(len(net.entry_root))} if slo_lat else {}
    for_slo: IntArray | None = None
    slo_reachable = True
    if slo_map:
        start = evaluate(net, factor, target_util=0.9).replicas
        for_slo, slo_reachable = size_for_slo(net, factor, slo_map, start)
    plan = np.maximum(net.replicas, sized.replicas)
    if for_slo is not None:
        plan = np.maximum(plan, for_slo)
    pool_plan = np.maximum(np.asarray([p.size for p in net.pools], dtype=np.int64), sized.pool_size)
    after = evaluate(net, factor, replicas=plan, pool_sizes=pool_plan)

    entries: list[EntrypointForecast] = []
    curve_map: dict[str, list[CurvePoint]] = {}
    breach: list[str] = []
    p95_after: dict[str, float | None] = {}
    slo_after_ok: bool | None = True if slo_lat else None
    f_sats = saturation_factors(net)
    f_slos = slo_crossings(net, slo_lat, f_sats) if slo_lat else [None] * len(f_sats)
    for e, name in enumerate(net.entry_names):
        entries.append(
            _entry(net, e, cur, tgt, factor, f_sats[e], f_slos[e], slo_lat, slo_names,
                   curve_map if curves else None, breach)
        )  # fmt: skip
        dist = entry_distribution(net, after, e)
        p95_after[name] = _ms(dist.quantile(0.95)) if dist else None
        if slo_lat and (dist is None or any(dist.quantile(q) > lim for q, lim in slo_lat.items())):
            slo_after_ok = False

    # Availability: k = replicas needed to carry the current load (at utilization < 100%).
    needed_now = np.minimum(evaluate(net, 1.0, target_util=1.0).replicas, net.replicas)
    comp_avail, per_entry = entry_availability(net, net.replicas, needed_now)
    slo_avail = system.slo.availability if system.slo else None
    avail = [
        AvailabilityForecast(
            entrypoint=name,
            value=value,
            slo=slo_avail,
            meets_slo=None if slo_avail is None else value >= slo_avail,
            budget_minutes_month=None if slo_avail is None else round((1 - slo_avail) * MINUTES_PER_MONTH, 2),
            expected_downtime_minutes_month=round((1 - value) * MINUTES_PER_MONTH, 2),
            weakest=weakest,
            weakest_availability=float(comp_avail[net.names.index(weakest)]),
        )
        for name, (value, weakest) in zip(net.entry_names, per_entry, strict=True)
    ]

    assumed: dict[str, list[str]] = {}
    for a in net.assumptions:
        if a.subject in net.names:
            assumed.setdefault(a.subject, []).append(a.field)
    components = [
        _component(net, i, cur, tgt, sized, for_slo, float(comp_avail[i]), assumed.get(net.names[i], []))
        for i in range(net.n)
    ]
    pools = [
        PoolForecast(
            component=net.names[p.owner],
            name=p.name,
            size=p.size,
            servers=p.size * int(net.replicas[p.owner]),
            arrival_rps=round(float(cur.pool_lam[k]), 6),
            utilization=_num(float(cur.pool_rho[k])),
            wait_ms=_ms(float(cur.pool_wq[k])),
            saturated=bool(cur.pool_rho[k] >= 1.0),
            target_utilization=_num(float(tgt.pool_rho[k])),
            size_needed=int(sized.pool_size[k]),
        )
        for k, p in enumerate(net.pools)
    ]

    changes = [
        ReplicaChange(
            component=net.names[i],
            current=int(net.replicas[i]),
            planned=int(plan[i]),
            reason=_change_reason(i, sized, for_slo, target_utilization),
        )
        for i in range(net.n)
        if plan[i] > net.replicas[i]
    ]
    changes += [
        ReplicaChange(
            component=net.names[p.owner],
            pool=p.name,
            current=p.size,
            planned=int(pool_plan[k]),
            reason=f"pool utilization ≤ {target_utilization:.0%} at target",
        )
        for k, p in enumerate(net.pools)
        if pool_plan[k] > p.size
    ]
    wanted = sized.replicas if for_slo is None else np.maximum(sized.replicas, for_slo)
    notes = _plan_notes(net, plan, wanted, sized.pool_size)
    if slo_map and not slo_reachable:
        notes.append("the latency SLO cannot be met by adding replicas alone: service times are too long")
    growth_plan = GrowthPlan(
        factor=factor,
        source=source,
        current_rps=current_total,
        target_rps=current_total * factor,
        saturated_without_changes=any(x.target_saturated for x in entries),
        slo_met_without_changes=None if not slo_lat else all(x.target_slo_met for x in entries),
        changes=changes,
        slo_met_after=slo_after_ok,
        p95_after_ms=p95_after,
        notes=notes,
    )
    unreachable = [net.names[i] for i in range(net.n) if not net.reach[:, i].any()]
    if unreachable:
        warnings.append(f"not reached from any entry point (no load): {', '.join(unreachable)}")
    return Forecast(
        system=system.name,
        entrypoints=entries,
        components=components,
        pools=pools,
        availability=avail,
        growth=growth_plan,
        cost=monthly_cost(net, net.replicas, plan),
        assumptions=[str(a) for a in net.assumptions] + MODEL_ASSUMPTIONS,
        warnings=warnings,
        curves=curve_map,
        breached=bool(breach),
        breach_reasons=breach,
    )


def _plan_notes(net: Network, plan: IntArray, wanted: IntArray, pool_wanted: IntArray) -> list[str]:
    """What the plan cannot promise: autoscaling ceilings below it, counts stopped at the engine's bound.

    ``wanted`` and ``pool_wanted`` are what the sizing searches asked for (they stop at the bound).
    """
    notes: list[str] = []
    for i in range(net.n):
        cap = net.max_replicas[i]
        if wanted[i] >= MAX_REPLICAS:
            notes.append(
                f"{net.names[i]}: needs at least {MAX_REPLICAS:,} replicas, the most the forecast plans for"
            )
        elif cap is not None and plan[i] > cap:
            notes.append(f"{net.names[i]}: needs {plan[i]} replicas but autoscaling stops at {cap}")
    for k, pool in enumerate(net.pools):
        if pool_wanted[k] >= MAX_POOL_SIZE:
            notes.append(
                f"{net.names[pool.owner]}: pool {pool.name} needs at least {MAX_POOL_SIZE:,} connections "
                "per replica, the most the forecast plans for"
            )
    return notes


def _change_reason(i: int, sized: State, for_slo: IntArray | None, util: float) -> str:
    if for_slo is not None and for_slo[i] > sized.replicas[i]:
        return "latency SLO at target"
    return f"utilization ≤ {util:.0%} at target"


def _entry(
    net: Network,
    e: int,
    cur: State,
    tgt: State,
    factor: float,
    f_sat: float | None,
    f_slo: float | None,
    slo_lat: dict[float, float],
    slo_names: dict[float, str],
    curve_map: dict[str, list[CurvePoint]] | None,
    breach: list[str],
) -> EntrypointForecast:
    name, root = net.entry_names[e], net.entry_root[e]
    rps = float(net.entry_rps[e])
    d_cur = entry_distribution(net, cur, e)
    d_tgt = entry_distribution(net, tgt, e)
    q_cur = d_cur.quantiles(QUANTILES) if d_cur else [math.inf] * 3
    q_tgt = d_tgt.quantiles(QUANTILES) if d_tgt else [math.inf] * 3
    neck = bottleneck(net, e, f_sat) if f_sat is not None else None
    which: str | None = None
    if f_slo is not None:  # which percentile crosses first: the one furthest over its limit just past it
        past = entry_distribution(net, evaluate(net, f_slo * 1.01 + 1e-12), e)
        if past is None:
            which = slo_names[max(slo_lat)]
        else:
            which = slo_names[max(slo_lat, key=lambda q: past.quantile(q) / slo_lat[q])]

    def met(dist: Distribution | None) -> bool | None:
        if not slo_lat:
            return None
        if dist is None:
            return False
        return all(dist.quantile(q) <= lim for q, lim in slo_lat.items())

    slo_now, slo_tgt = met(d_cur), met(d_tgt)
    if d_tgt is None:
        breach.append(f"{name}: saturated at the target load ({_fmt_rps(rps * factor)} rps)")
    elif slo_tgt is False:
        breach.append(f"{name}: latency SLO breached at the target load ({_fmt_rps(rps * factor)} rps)")

    parts: list[str] = []
    if f_sat is not None and neck is not None:
        parts.append(f"breaks at {_fmt_rps(rps * f_sat)} rps: {neck.reason}")
    else:
        parts.append("never saturates (no load reaches a finite station)")
    if f_slo is not None and which is not None:
        limit_ms = slo_lat[_quantile_of(which) or 0.95] * 1000
        if f_slo <= 0:
            parts.append(f"{which} exceeds {limit_ms:g} ms even at zero load")
        else:
            parts.append(f"{which} crosses {limit_ms:g} ms at {_fmt_rps(rps * f_slo)} rps")

    if curve_map is not None and f_sat is not None:
        top = min(0.995 * f_sat, 1.3 * max(factor, 1.0, f_slo or 0.0))
        points = []
        for f in np.linspace(0.0, top, 33):
            dist = entry_distribution(net, evaluate(net, float(f)), e)
            qs = dist.quantiles(QUANTILES) if dist else [math.inf] * 3
            points.append(
                CurvePoint(
                    rps=round(rps * float(f), 6), p50_ms=_ms(qs[0]), p95_ms=_ms(qs[1]), p99_ms=_ms(qs[2])
                )
            )
        curve_map[name] = points

    return EntrypointForecast(
        name=name,
        component=net.names[root],
        rps=rps,
        target_rps=rps * factor,
        p50_ms=_ms(q_cur[0]),
        p95_ms=_ms(q_cur[1]),
        p99_ms=_ms(q_cur[2]),
        mean_ms=_ms(float(cur.r_mean[root])),
        saturated=d_cur is None,
        target_p50_ms=_ms(q_tgt[0]),
        target_p95_ms=_ms(q_tgt[1]),
        target_p99_ms=_ms(q_tgt[2]),
        target_saturated=d_tgt is None,
        saturation_rps=None if f_sat is None else round(rps * f_sat, 3),
        slo_breach_rps=None if f_slo is None else round(rps * f_slo, 3),
        slo_breach_percentile=which,
        slo_ms={slo_names[q]: round(v * 1000, 3) for q, v in slo_lat.items()},
        slo_met=slo_now,
        target_slo_met=slo_tgt,
        bottleneck=neck.component if neck else None,
        bottleneck_pool=neck.pool if neck else None,
        bottleneck_reason=neck.reason if neck else None,
        bottleneck_through=neck.through if neck else [],
        summary="; ".join(parts),
    )


def _component(
    net: Network,
    i: int,
    cur: State,
    tgt: State,
    sized: State,
    for_slo: IntArray | None,
    availability: float,
    assumed: list[str],
) -> ComponentForecast:
    return ComponentForecast(
        name=net.names[i],
        kind=net.kinds[i].value,
        replicas=int(net.replicas[i]),
        workers=int(net.workers[i]),
        servers=int(cur.servers[i]),
        held_workers=bool(net.held[i]),
        service_ms=round(float(net.service[i]) * 1000, 6),
        arrival_rps=round(float(cur.lam[i]), 6),
        utilization=_num(float(cur.rho[i])),
        hold_ms=_ms(float(cur.hold[i])),
        wait_ms=_ms(float(cur.wait_seen[i])),
        response_ms=_ms(float(cur.r_mean[i])),
        saturated=bool(cur.unstable[i]),
        target_arrival_rps=round(float(tgt.lam[i]), 6),
        target_utilization=_num(float(tgt.rho[i])),
        target_saturated=bool(tgt.unstable[i]),
        replicas_needed=int(sized.replicas[i]),
        replicas_for_slo=None if for_slo is None else int(for_slo[i]),
        max_replicas=net.max_replicas[i],
        capacity_rps=_num(float(cur.capacity[i])) if cur.capacity[i] > 0 else None,
        availability=availability,
        assumed=assumed,
    )
