"""Helpers shared by the resilience rules."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping

import networkx as nx

from redline.model import Edge, Kind
from redline.review.context import Context
from redline.review.rules._util import longest_paths


def stated(e: Edge) -> bool:
    """A call the user described (redline.yaml), as opposed to one inferred from configuration."""
    return e.source is not None or any(ev.kind == "declared" for ev in e.evidence)


def attempts(e: Edge) -> int:
    """Attempts per call: the first try plus stated retries (unstated retries count as none)."""
    return 1 + max(0, e.retries or 0)


def _where(ctx: Context, e: Edge) -> tuple[str | None, int | None]:
    if e.source is not None:
        return e.source.file, e.source.line
    for ev in e.evidence:
        return ev.source.file, ev.source.line
    c = ctx.component(e.from_)
    return (c.source.file, c.source.line) if c else (None, None)


def yaml_name(ctx: Context, name: str) -> str:
    """How redline.yaml names a component: as its own file writes it (``db``) when that name resolves to
    it alone, else its qualified name (``shop/db``)."""
    c = ctx.component(name)
    if c is None or c.object_name is None or ctx.component(c.object_name) is not c:
        return name
    return c.object_name


def calls_example(ctx: Context, *calls: tuple[str, str, Mapping[str, object]]) -> dict[str, object]:
    """A redline.yaml excerpt stating calls, as advice shows it: ``(caller, callee, {"timeout": "1s"})``."""
    components: dict[str, dict[str, list[dict[str, object]]]] = {}
    for frm, to, attrs in calls:
        entry = {"to": yaml_name(ctx, to), **attrs}
        components.setdefault(yaml_name(ctx, frm), {"calls": []})["calls"].append(entry)
    return {"components": components}


def _retries(e: Edge) -> dict[str, object]:
    """``{"retries": n}`` when the call states its retries, for an example that keeps them."""
    return {} if e.retries is None else {"retries": e.retries}


def duration(seconds: float) -> str:
    """Seconds as redline.yaml writes a duration: ``800ms`` below a second, ``1.5s`` from one up."""
    ms = round(seconds * 1000, 3)
    return f"{ms:g}ms" if ms < 1000 else f"{seconds:g}s"


#: Why every resilience fix is advice: the policy lives in client code, and redline.yaml only describes it.
IN_CODE = "Set it in the client library, then state it in redline.yaml (`redline fix` edits neither)."


def _fmt_s(x: float) -> str:
    return f"{x:g} s"


def _stated_calls(ctx: Context) -> Iterator[Edge]:
    for e in ctx.system.edges:
        if stated(e) and not e.startup_only and ctx.component(e.from_) and ctx.component(e.to):
            yield e


def _max_product_paths(g: nx.DiGraph) -> dict[str, tuple[float, list[str]]]:
    """For each node, the highest attempt product over simple paths ending there, and that path."""
    best: dict[str, tuple[float, list[str]]] = {n: (1.0, [n]) for n in g.nodes}
    if nx.is_directed_acyclic_graph(g):
        for n in nx.topological_sort(g):
            prod, path = best[n]
            for s in g.successors(n):
                cand = prod * g.edges[n, s]["w"]
                if cand > best[s][0]:
                    best[s] = (cand, [*path, s])
        return best
    # Cycles: the heaviest path *into* each node is the heaviest path out of it in the reversed graph; a
    # product of attempts is a sum of their logarithms. The product is recomputed exactly from the path.
    back = g.reverse(copy=False)
    chains = longest_paths(back, g.nodes, weight=lambda a, b: math.log(g.edges[b, a]["w"]))
    for n, chain in chains.items():
        path = list(reversed(chain.path))
        best[n] = (math.prod(g.edges[a, b]["w"] for a, b in itertools.pairwise(path)), path)
    return best


def _sync_graph(ctx: Context) -> nx.DiGraph:
    """Runtime calls that keep a request waiting: every runtime edge except those into a queue.

    ``Component.async_`` is not a chain breaker: it says the callee's workers are not held while *its*
    downstream calls run (an event loop), but its callers still wait for its answer."""
    g: nx.DiGraph = nx.DiGraph()
    for a, b, data in ctx.runtime_graph.edges(data=True):
        callee = ctx.component(b)
        caller = ctx.component(a)
        if callee is None or caller is None or callee.kind == Kind.QUEUE:
            continue
        if ctx.is_tooling(caller) or ctx.is_tooling(callee):
            continue
        g.add_edge(a, b, edge=data["edge"])
    return g


def _slo_target(ctx: Context) -> tuple[str, float] | None:
    slo = ctx.system.slo
    configured = ctx.thresholds.get("slo_latency_s")
    if configured is not None:
        return "configured latency SLO", float(configured)
    if slo is None or not slo.latency_s:
        return None
    # The loosest objective: exceeding even that one is a certain violation.
    key = max(slo.latency_s, key=lambda k: slo.latency_s[k])
    return key, slo.latency_s[key]


def _longest_time_paths(ctx: Context, g: nx.DiGraph) -> dict[str, tuple[float, list[str]]]:
    """Per entry point with a stated service time, the chain from it with the largest sum of stated
    service times (count-weighted), when that chain has at least one hop.

    Only calls into components with a stated service time count, and parallel calls do not: they
    overlap, and summing them would overstate the chain."""

    def time_of(name: str) -> float | None:
        c = ctx.component(name)
        return None if c is None else c.service_time_s

    timed: nx.DiGraph = nx.DiGraph()
    for a, b, data in g.edges(data=True):
        if time_of(b) is not None and not data["edge"].parallel:
            timed.add_edge(a, b, w=(time_of(b) or 0.0) * (data["edge"].count or 1.0))
    starts = [ep for ep in ctx.entrypoints if time_of(ep) is not None]
    chains = longest_paths(timed, starts, weight=lambda a, b: float(timed.edges[a, b]["w"]))
    return {
        ep: ((time_of(ep) or 0.0) + chain.value, list(chain.path))
        for ep, chain in chains.items()
        if len(chain.path) > 1
    }
