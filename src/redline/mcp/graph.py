"""Graph questions an agent asks of a system: who depends on X, what breaks when X is down, how a request
gets from an entry point to X. Typed answers (:mod:`redline.mcp.result`), every call cited ``file:line``.

The graph is the review's (:class:`redline.review.context.Context`): every component a node, every edge
``caller -> callee``, start-up orderings (Compose ``depends_on``) included, as the review follows them; a
hop that is only a start-up ordering says so (``startup_only``).

**Blast radius.** A call is made by *every* request of its caller when its stated ``count`` is 1 or more,
or unstated (taken as 1, as the forecast takes it); a count below 1 (``count: 0.1``) means only a share of
requests make it. When component X is down, an entry point **fails** when a chain of every-request calls
leads from it to X: each of its requests needs X. It **degrades** when X is reached, but every chain to X
passes a call only some requests make. ``calls_per_request`` sums, over every path, the product of the
counts (retries not counted). redline.yaml states no fallbacks, so none is assumed: a call that is made is
taken to fail when its callee is down.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable

import networkx as nx

from redline.mcp.result import (
    BlastRadius,
    CallEdge,
    CallPath,
    DependentsResult,
    EntrypointImpact,
    PathsResult,
)
from redline.model import Component, Edge, System
from redline.model.entrypoints import empty_graph_message, resolve
from redline.review.context import Context

__all__ = ["MAX_DEPTH", "MAX_PATHS", "QueryError", "blast_radius", "call_paths", "dependents", "entrypoints"]

#: Longest call chain :func:`call_paths` follows, in hops.
MAX_DEPTH = 12
#: Most paths :func:`call_paths` enumerates before it stops (and says it stopped).
MAX_PATHS = 1000
#: Evidence lines kept per edge.
MAX_EVIDENCE = 3


class QueryError(ValueError):
    """A question that cannot be answered as asked (an unknown component or entry point)."""

    exit_code = 2


def find(system: System, name: str) -> Component:
    """The component called ``name`` (or aliased so); :class:`QueryError` naming close matches otherwise."""
    found = system.component(name)
    if found is not None:
        return found
    names = sorted(c.name for c in system.components)
    close = difflib.get_close_matches(name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; components: {', '.join(names[:20])}"
    raise QueryError(f"no component {name!r} in {system.name or 'this system'}{hint}")


def entrypoints(system: System) -> list[tuple[str, str]]:
    """``(entry point, its component)`` pairs: stated, else inferred
    (:func:`redline.model.entrypoints.resolve`)."""
    out: list[tuple[str, str]] = []
    for e in resolve(system).entrypoints:
        comp = system.component(e.component)
        if comp is not None and (e.name, comp.name) not in out:
            out.append((e.name, comp.name))
    return out


def call_edge(e: Edge) -> CallEdge:
    """One edge with its evidence as ``file:line reason`` lines, strongest first."""
    lines = [f"{ev.source} {ev.reason}" for ev in sorted(e.evidence, key=lambda ev: -ev.confidence)]
    if e.source is not None and not any(line.startswith(f"{e.source} ") for line in lines):
        lines.insert(0, f"{e.source} stated in redline.yaml")
    return CallEdge(
        caller=e.from_,
        callee=e.to,
        count=e.count,
        timeout_s=e.timeout_s,
        retries=e.retries,
        circuit_breaker=e.circuit_breaker,
        startup_only=e.startup_only,
        confidence=e.confidence,
        evidence=lines[:MAX_EVIDENCE],
    )


def _every_request(e: Edge) -> bool:
    """Whether every request of the caller makes this call (an unstated count is taken as 1)."""
    return e.count is None or e.count >= 1


def _edge(ctx: Context, a: str, b: str) -> Edge:
    found = ctx.edge(a, b)
    assert found is not None  # a and b come from a path of ctx.graph
    return found


def _hops(ctx: Context, nodes: list[str]) -> list[CallEdge]:
    return [call_edge(_edge(ctx, a, b)) for a, b in itertools.pairwise(nodes)]


# ---------------------------------------------------------------------------------------------- dependents


def dependents(system: System, name: str) -> DependentsResult:
    """Who depends on ``name``: its callers with evidence, every component upstream, the entry points."""
    comp = find(system, name)
    ctx = Context(system)
    g = ctx.graph
    callers = [call_edge(data["edge"]) for _, _, data in sorted(g.in_edges(comp.name, data=True))]
    reaching = [
        ep for ep, ep_comp in entrypoints(system) if ep_comp == comp.name or _reaches(g, ep_comp, comp.name)
    ]
    return DependentsResult(
        component=comp.name,
        kind=comp.kind.value,
        callers=callers,
        upstream=sorted(nx.ancestors(g, comp.name)),
        entrypoints=reaching,
    )


def _reaches(g: nx.DiGraph, a: str, b: str) -> bool:
    return a in g and b in g and nx.has_path(g, a, b)


# ---------------------------------------------------------------------------------------------- blast radius


def blast_radius(system: System, name: str) -> BlastRadius:
    """Which entry points fail and which degrade when ``name`` is down (see the module docstring)."""
    comp = find(system, name)
    ctx = Context(system)
    g = ctx.graph
    every = nx.subgraph_view(g, filter_edge=lambda a, b: _every_request(g[a][b]["edge"]))
    fails: list[EntrypointImpact] = []
    degrades: list[EntrypointImpact] = []
    unaffected: list[str] = []
    startup = False
    for ep, ep_comp in entrypoints(system):
        if ep_comp == comp.name:
            fails.append(_own(ctx, ep, ep_comp))
        elif not _reaches(g, ep_comp, comp.name):
            unaffected.append(ep)
        else:
            needed = nx.has_path(every, ep_comp, comp.name)
            nodes = nx.shortest_path(every if needed else g, ep_comp, comp.name)
            path = _hops(ctx, nodes)
            startup = startup or any(h.startup_only for h in path)
            (fails if needed else degrades).append(
                EntrypointImpact(
                    entrypoint=ep,
                    component=ep_comp,
                    calls_per_request=calls_per_request(g, ep_comp, comp.name),
                    path=path,
                    cut_off=sorted(ctx.dominated_by(ep_comp, comp.name)),
                    reason=_reason(comp.name, path, needed),
                )
            )
    return BlastRadius(
        component=comp.name,
        kind=comp.kind.value,
        fails=fails,
        degrades=degrades,
        unaffected=unaffected,
        dependents=sorted(g.predecessors(comp.name)),
        upstream=sorted(nx.ancestors(g, comp.name)),
        notes=_notes(system, startup),
    )


def _own(ctx: Context, ep: str, ep_comp: str) -> EntrypointImpact:
    return EntrypointImpact(
        entrypoint=ep,
        component=ep_comp,
        calls_per_request=1.0,
        path=[],
        cut_off=sorted(nx.descendants(ctx.graph, ep_comp)),
        reason=f"{ep_comp} is the entry point's own component: every request enters through it",
    )


def _reason(name: str, path: list[CallEdge], needed: bool) -> str:
    chain = " → ".join([path[0].caller, *(h.callee for h in path)])
    if needed:
        return f"every request needs {name}: {chain}, each call made by every request"
    optional = [h for h in path if h.count is not None and h.count < 1]
    shares = ", ".join(f"{h.caller} → {h.callee} (count {h.count:g})" for h in optional)
    return (
        f"only some requests reach {name} ({chain}): every chain to it passes a call not every request "
        f"makes, such as {shares}"
    )


def _notes(system: System, startup: bool) -> list[str]:
    notes = []
    if resolve(system).inferred:
        notes.append("entry points inferred (redline.yaml states none): `scan` says why each was chosen")
    if startup:
        notes.append("a path uses a start-up ordering (Compose depends_on) as a call: weaker evidence")
    if (empty := empty_graph_message(system)) is not None:
        notes.append(empty)
    return notes


def calls_per_request(g: nx.DiGraph, source: str, target: str) -> float | None:
    """Expected calls reaching ``target`` per request entering at ``source``: the sum over every path of the
    product of its counts (an unstated count is 1). ``None`` when a cycle makes the sum unbounded."""
    sub = g.subgraph(nx.descendants(g, source) | {source})
    if not nx.is_directed_acyclic_graph(sub):
        return None
    calls = {source: 1.0}
    for node in nx.topological_sort(sub):
        here = calls.get(node, 0.0)
        for nxt in sub.successors(node):
            count = g[node][nxt]["edge"].count
            calls[nxt] = calls.get(nxt, 0.0) + here * (1.0 if count is None else count)
    return round(calls.get(target, 0.0), 6)


# ---------------------------------------------------------------------------------------------- paths


def call_paths(system: System, entry: str, name: str, limit: int = 20) -> PathsResult:
    """Call paths from ``entry`` (an entry point's name, or a component) to ``name``, shortest first.

    At most :data:`MAX_PATHS` paths of at most :data:`MAX_DEPTH` hops are searched; ``limit`` are returned.
    """
    comp = find(system, name)
    start = _entry_component(system, entry)
    ctx = Context(system)
    found: Iterable[list[str]] = []
    if start != comp.name and _reaches(ctx.graph, start, comp.name):
        found = nx.all_simple_paths(ctx.graph, start, comp.name, cutoff=MAX_DEPTH)
    searched = list(itertools.islice(found, MAX_PATHS + 1))
    truncated = len(searched) > MAX_PATHS
    ordered = sorted(searched[:MAX_PATHS], key=lambda p: (len(p), p))
    return PathsResult(
        entry=entry,
        entry_component=start,
        component=comp.name,
        paths=[_call_path(ctx, nodes) for nodes in ordered[:limit]],
        total=len(ordered),
        truncated=truncated,
    )


def _entry_component(system: System, entry: str) -> str:
    for ep, ep_comp in entrypoints(system):
        if ep == entry:
            return ep_comp
    for e in system.entrypoints:
        if e.name == entry and system.component(e.component) is not None:
            return find(system, e.component).name
    return find(system, entry).name


def _call_path(ctx: Context, nodes: list[str]) -> CallPath:
    hops = _hops(ctx, nodes)
    product = 1.0
    for h in hops:
        product *= 1.0 if h.count is None else h.count
    return CallPath(
        hops=hops,
        calls_per_request=round(product, 6),
        every_request=all(h.count is None or h.count >= 1 for h in hops),
    )
