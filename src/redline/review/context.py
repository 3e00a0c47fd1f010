"""What every rule sees: the system, the review configuration and the dependency graph, computed once.

Rules share graph questions (who depends on this component, which entry points reach it, does it take
traffic, how many replicas does it really run). Answering them here keeps each rule small and makes every
rule answer them the same way. Everything is read-only and cached per :class:`Context`: one review run
builds one Context, and rules must not mutate the system through it.

Decisions taken here, because rules inherit them:

* **Entry points.** ``System.entrypoints`` stated in redline.yaml win; when none are stated they are
  inferred by :func:`redline.model.entrypoints.resolve`, the function ``scan`` and ``forecast`` use too
  (routes and external Services first, then published ports of gateways and front ends, then reachable
  graph roots; tooling never takes the role, and a component with no Service and no published port is
  not a door). :meth:`Context.entrypoint_reason` says why each was chosen.
* **Startup-only edges count.** A Compose ``depends_on`` / ``links`` edge is an ordering, but in practice it
  mirrors a runtime dependency (nobody waits for a database they never call). Reachability therefore
  follows them; :meth:`Context.depends_only_at_startup` tells rules when the only path uses such an edge
  so the finding can say its evidence is weaker.
* **Replicas.** ``Component.replicas`` is ``None`` when unstated. :meth:`Context.replicas` applies the
  platform's own default (the Kubernetes API server defaults a Deployment/StatefulSet to 1; a Compose
  service runs one container) and an HPA's minimum, and returns ``None`` when nobody can know (DaemonSets,
  external systems, redline.yaml without a count).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import networkx as nx

from redline.model import Component, Edge, K8sObject, System
from redline.model.entrypoints import Tier, is_tooling, resolve
from redline.review.rule import Severity

#: Workloads whose replica count the platform defaults to one when unstated.
_SINGLE_BY_DEFAULT = {
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "compose-service",
}


class Context:
    """The read-only view one review run gives its rules.

    ``thresholds`` holds the configurable numbers (see :class:`redline.review.engine.ReviewConfig`);
    rules read them with :meth:`threshold` so a missing key falls back to the rule's documented default.
    """

    def __init__(self, system: System, thresholds: dict[str, Any] | None = None) -> None:
        self.system = system
        self.thresholds: dict[str, Any] = dict(thresholds or {})
        self._by_name = {c.name: c for c in system.components}
        self._tooling: dict[str, bool] = {}

    # ------------------------------------------------------------------ lookups

    def component(self, name: str) -> Component | None:
        """The component called ``name``, or having it as an unambiguous alias (:meth:`System.component`)."""
        return self.system.component(name)

    def threshold(self, key: str, default: Any) -> Any:
        """A configured threshold, or the rule's default when the config does not set it."""
        value = self.thresholds.get(key)
        return default if value is None else value

    @cached_property
    def objects_by_kind(self) -> dict[str, list[K8sObject]]:
        """Kubernetes objects grouped by kind (``Service``, ``Ingress``, ...)."""
        out: dict[str, list[K8sObject]] = {}
        for o in self.system.objects:
            out.setdefault(o.kind, []).append(o)
        return out

    def objects(self, kind: str) -> list[K8sObject]:
        return self.objects_by_kind.get(kind, [])

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, str], K8sObject]:
        return {(o.kind, o.namespace, o.name): o for o in self.system.objects}  # the last one, as a dict does

    def object_named(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        """The object of ``kind`` called ``name`` in ``namespace`` (indexed once)."""
        return self._by_key.get((kind, namespace, name))

    @cached_property
    def _selecting(self) -> dict[tuple[str, str], list[K8sObject]]:
        out: dict[tuple[str, str], list[K8sObject]] = {}
        for o in self.system.objects:
            for name in o.selects:
                out.setdefault((o.kind, name), []).append(o)
        return out

    def objects_selecting(self, name: str, kind: str) -> list[K8sObject]:
        """Objects of ``kind`` whose selector or target resolves to component ``name`` (indexed once)."""
        return self._selecting.get((kind, name), [])

    def calls_from(self, name: str) -> list[Edge]:
        """Edges out of ``name``, stated or inferred, startup-only included (indexed by the system)."""
        return self.system.calls_from(name)

    def calls_to(self, name: str) -> list[Edge]:
        """Edges into ``name``, stated or inferred, startup-only included (indexed by the system)."""
        return self.system.calls_to(name)

    # ------------------------------------------------------------------ graph

    @cached_property
    def graph(self) -> nx.DiGraph:
        """Dependency graph: every component a node, every edge ``from -> to`` (startup-only included)."""
        g: nx.DiGraph = nx.DiGraph()
        for c in self.system.components:
            g.add_node(c.name)
        for e in self.system.edges:
            if e.from_ in self._by_name and e.to in self._by_name and e.from_ != e.to:
                g.add_edge(e.from_, e.to, edge=e)
        return g

    @cached_property
    def runtime_graph(self) -> nx.DiGraph:
        """The graph without edges that are only a startup ordering (Compose depends_on / links)."""
        g: nx.DiGraph = nx.DiGraph()
        g.add_nodes_from(self.graph.nodes)
        for a, b, data in self.graph.edges(data=True):
            if not data["edge"].startup_only:
                g.add_edge(a, b, **data)
        return g

    def edge(self, a: str, b: str) -> Edge | None:
        data = self.graph.get_edge_data(a, b)
        return data["edge"] if data else None

    def dependents(self, name: str) -> list[str]:
        """Components that call (or need) ``name``, tooling excluded: a load generator is not a user."""
        if name not in self.graph:
            return []
        return sorted(p for p in self.graph.predecessors(name) if not self.is_tooling(p))

    def dependencies(self, name: str) -> list[str]:
        if name not in self.graph:
            return []
        return sorted(self.graph.successors(name))

    def is_tooling(self, c: Component | str) -> bool:
        """A load generator, test client or observability/admin tool: drives or watches, does not serve."""
        name = c if isinstance(c, str) else c.name
        cached = self._tooling.get(name)
        if cached is None:
            comp = self.component(c) if isinstance(c, str) else c
            cached = self._tooling[name] = comp is not None and is_tooling(comp)
        return cached

    # ------------------------------------------------------------------ entry points

    @cached_property
    def _entrypoints(self) -> tuple[list[str], dict[str, str], Tier]:
        """Stated, else inferred, by the function every engine shares (:mod:`redline.model.entrypoints`)."""
        found = resolve(self.system)
        names: list[str] = []
        reasons: dict[str, str] = {}
        for e in found.entrypoints:
            comp = self.component(e.component)
            if comp is not None and comp.name not in reasons:
                names.append(comp.name)
                reasons[comp.name] = e.reason or f"entry point `{e.name}`"
        return names, reasons, found.tier

    @property
    def entrypoints(self) -> list[str]:
        """Component names where traffic enters: stated, else inferred (see the module docstring)."""
        return self._entrypoints[0]

    @property
    def entrypoints_inferred(self) -> bool:
        """True when redline.yaml states no entry point and they were inferred."""
        return self._entrypoints[2] is not Tier.STATED

    @property
    def entrypoints_inferred_from_roots(self) -> bool:
        """True when nothing was stated or exposed and graph roots (or front ends by name) stand in."""
        return self._entrypoints[2] in (Tier.ROOT, Tier.NAME)

    def entrypoint_reason(self, name: str) -> str | None:
        """Why ``name`` counts as an entry point (for evidence lines), or ``None`` if it does not."""
        return self._entrypoints[1].get(name)

    def is_entrypoint(self, name: str) -> bool:
        return name in self._entrypoints[1]

    @cached_property
    def _reach(self) -> dict[str, frozenset[str]]:
        return {ep: frozenset(nx.descendants(self.graph, ep)) for ep in self.entrypoints}

    @cached_property
    def _runtime_reach(self) -> dict[str, frozenset[str]]:
        return {ep: frozenset(nx.descendants(self.runtime_graph, ep)) for ep in self.entrypoints}

    def reachable_from(self, entrypoint: str) -> frozenset[str]:
        """Everything ``entrypoint`` needs, directly or transitively (itself excluded)."""
        return self._reach.get(entrypoint, frozenset())

    def entrypoints_depending_on(self, name: str, *, runtime_only: bool = False) -> list[str]:
        """Entry points whose call graph reaches ``name``, plus ``name`` itself when it is an entry point.

        Startup-only edges (Compose ``depends_on``) are followed unless ``runtime_only``: they usually
        mirror a runtime call. Use :meth:`depends_only_at_startup` to qualify the evidence.
        """
        index = self._runtime_dependents if runtime_only else self._dependents
        deps = index.get(name, [])
        if not self.is_entrypoint(name):
            return list(deps)
        return sorted({*deps, name}, key=self._entrypoint_order.__getitem__)

    @cached_property
    def _entrypoint_order(self) -> dict[str, int]:
        return {ep: i for i, ep in enumerate(self.entrypoints)}

    @cached_property
    def _dependents(self) -> dict[str, list[str]]:
        """Component -> entry points that reach it, in entry-point order (inverted once, asked per rule)."""
        return _invert(self.entrypoints, self._reach)

    @cached_property
    def _runtime_dependents(self) -> dict[str, list[str]]:
        return _invert(self.entrypoints, self._runtime_reach)

    def depends_only_at_startup(self, entrypoint: str, name: str) -> bool:
        """True when ``entrypoint`` reaches ``name`` only through a startup-ordering edge."""
        return name in self._reach.get(entrypoint, frozenset()) and name not in self._runtime_reach.get(
            entrypoint, frozenset()
        )

    def has_traffic(self, c: Component | str) -> bool:
        """Whether requests reach the component: it is an entry point, something that is not tooling calls
        it, an entry point reaches it, or (Kubernetes) a Service selects it or it is exposed."""
        comp = self.component(c) if isinstance(c, str) else c
        if comp is None:
            return False
        name = comp.name
        if self.is_entrypoint(name) or self.dependents(name) or self.entrypoints_depending_on(name):
            return True
        if comp.exposure and not self.is_tooling(comp):
            return True
        return bool(self.objects_selecting(name, "Service")) and not self.is_tooling(comp)

    # ------------------------------------------------------------------ replicas

    def replicas(self, c: Component) -> int | None:
        """The number of replicas that run at the quietest moment: the HPA minimum when autoscaled, the
        stated count, or the platform's default (1 for a Deployment/StatefulSet/Pod/Compose service).
        ``None`` when unknowable (DaemonSet, external system, redline.yaml without a count)."""
        if c.autoscaling is not None:
            # The HPA owns the count; its minReplicas defaults to 1 in the API.
            return c.autoscaling.min_replicas if c.autoscaling.min_replicas is not None else 1
        if c.replicas is not None:
            return c.replicas
        if c.platform == "external" or c.workload == "DaemonSet":
            return None
        if c.workload in _SINGLE_BY_DEFAULT or c.platform == "compose":
            return 1
        return None

    # ------------------------------------------------------------------ dominators

    @cached_property
    def _dom_tree(self) -> dict[str, tuple[dict[str, list[str]], dict[str, int]]]:
        """Per entry point: the dominator tree's children and each node's subtree size (itself excluded).

        Sizes come from one post-order pass, so asking "how much does X cut off" is O(1) even on long
        chains; the member sets are built only when a message needs them (:meth:`dominated_by`)."""
        out: dict[str, tuple[dict[str, list[str]], dict[str, int]]] = {}
        for ep in self.entrypoints:
            idom = nx.immediate_dominators(self.graph, ep)
            children: dict[str, list[str]] = {}
            for node, parent in idom.items():
                if node != parent:
                    children.setdefault(parent, []).append(node)
            size: dict[str, int] = {}
            stack: list[tuple[str, bool]] = [(ep, False)]
            while stack:
                node, done = stack.pop()
                kids = children.get(node, [])
                if done:
                    size[node] = sum(size[k] + 1 for k in kids)
                else:
                    stack.append((node, True))
                    stack.extend((k, False) for k in kids)
            out[ep] = (children, size)
        return out

    def dominated_by(self, entrypoint: str, name: str) -> frozenset[str]:
        """Components that ``entrypoint`` can reach only through ``name`` (``name`` excluded).

        If ``name`` fails, ``entrypoint`` loses ``name`` and all of these: the dominator tree of the call
        graph rooted at the entry point, which is the directed form of an articulation point.
        """
        tree = self._dom_tree.get(entrypoint)
        if tree is None or name == entrypoint:
            return frozenset()
        children = tree[0]
        seen: set[str] = set()
        stack = list(children.get(name, []))
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(children.get(n, []))
        return frozenset(seen)

    def dominated_count(self, entrypoint: str, name: str) -> int:
        """``len(dominated_by(entrypoint, name))`` without building the set."""
        tree = self._dom_tree.get(entrypoint)
        return 0 if tree is None else tree[1].get(name, 0)

    def cut_share(self, entrypoint: str, name: str) -> float:
        """Fraction of what ``entrypoint`` needs that it loses when ``name`` is down."""
        need = self.reachable_from(entrypoint)
        if not need or name not in need:
            return 0.0
        return (self.dominated_count(entrypoint, name) + 1) / len(need)

    @cached_property
    def articulation_points(self) -> frozenset[str]:
        """Undirected articulation points of the graph: components whose removal splits it."""
        return frozenset(nx.articulation_points(self.graph.to_undirected()))

    def chokepoint(self, name: str) -> list[tuple[str, int, int]]:
        """Entry points that ``name`` sits in front of: ``(entrypoint, lost, needed)`` for each entry point
        (other than ``name``) that loses at least ``spof_min_share`` (default 0.5) of what it needs and at
        least two components when ``name`` is down. Shared by the SPOF and single-replica rules so one
        component is reported once."""
        min_share = float(self.threshold("spof_min_share", 0.5))
        out: list[tuple[str, int, int]] = []
        for ep in self._dependents.get(name, []):  # the entry points that reach it, in entry-point order
            lost = self.dominated_count(ep, name) + 1
            need = len(self.reachable_from(ep))
            if lost >= 3 and lost / need >= min_share:
                out.append((ep, lost, need))
        return out

    # ------------------------------------------------------------------ severity

    def severity_for(self, c: Component | str | None, base: Severity) -> Severity:
        """Adjust a rule's severity for blast radius.

        * down one step for batch jobs, tooling, and components with no dependents and no traffic: when
          they fail, nobody's request fails with them;
        * up one step for components that two or more entry points, and at least half of all entry
          points, depend on: their failure is the outage of several user journeys at once.
        """
        comp = self.component(c) if isinstance(c, str) else c
        if comp is None:
            return base
        if comp.is_batch or self.is_tooling(comp) or not self.has_traffic(comp):
            return base.shifted(1)
        eps = self.entrypoints_depending_on(comp.name)
        total = len(self.entrypoints)
        if len(eps) >= max(2, math.ceil(total / 2)):
            return base.shifted(-1)
        return base

    def blast_radius(self, name: str) -> str:
        """``"2 of 3 entry points (a, b)"``, for messages."""
        eps = self.entrypoints_depending_on(name)
        return f"{len(eps)} of {len(self.entrypoints)} entry points" + (f" ({', '.join(eps)})" if eps else "")

    # ------------------------------------------------------------------ sources

    @staticmethod
    def where(c: Component) -> tuple[str | None, int | None]:
        """The file and line a finding about ``c`` points at."""
        return c.source.file, c.source.line

    def names(self, items: Iterable[str]) -> str:
        return ", ".join(f"`{i}`" for i in items)


def _invert(entrypoints: list[str], reach: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ep in entrypoints:
        for name in reach.get(ep, frozenset()):
            out.setdefault(name, []).append(ep)
    return out
