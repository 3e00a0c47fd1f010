"""Context graph helpers that every rule shares: entry points, reachability, dominators, blast radius."""

from __future__ import annotations

from redline.model import Component, Edge, Entrypoint, Evidence, K8sObject, Kind, Source, System
from redline.review.context import Context
from redline.review.rule import Severity

SRC = Source(file="x.yaml", line=1)


def comp(name: str, kind: Kind = Kind.SERVICE, **kw: object) -> Component:
    return Component(name=name, kind=kind, source=SRC, workload="Deployment", **kw)  # type: ignore[arg-type]


def edge(a: str, b: str, *, startup: bool = False) -> Edge:
    ev = Evidence(reason="t", kind="depends_on" if startup else "env", confidence=0.5, source=SRC)
    return Edge(**{"from": a, "to": b}, evidence=[ev], startup_only=startup)


def test_inferred_entrypoints_skip_tooling_and_called_services() -> None:
    system = System(
        components=[
            comp("web", exposure=["LoadBalancer Service web"]),
            comp("api", exposure=["NodePort Service api"]),  # exposed, but web calls it
            comp("loadgenerator", exposure=["NodePort Service lg"]),
            comp("grafana", image="grafana/grafana:10", exposure=["NodePort Service g"]),
            comp("db", Kind.DATASTORE, exposure=["published port 5432:5432"]),
        ],
        edges=[edge("web", "api"), edge("api", "db"), edge("loadgenerator", "web")],
    )
    ctx = Context(system)
    assert ctx.entrypoints == ["web"]
    assert ctx.is_tooling("loadgenerator") and ctx.is_tooling("grafana") and not ctx.is_tooling("web")
    assert ctx.dependents("web") == []  # the load generator is not a user
    assert ctx.entrypoints_depending_on("db") == ["web"]


def test_stated_entrypoints_win() -> None:
    system = System(
        components=[comp("web", exposure=["Ingress w"]), comp("admin")],
        entrypoints=[Entrypoint(name="backoffice", component="admin")],
    )
    ctx = Context(system)
    assert ctx.entrypoints == ["admin"]
    assert "stated" in (ctx.entrypoint_reason("admin") or "")


def test_roots_stand_in_when_nothing_is_exposed() -> None:
    # A root with a (ClusterIP) Service stands in; without one nothing can send it a request.
    service = K8sObject(kind="Service", name="a", source=SRC, selects=["a"])
    system = System(components=[comp("a"), comp("b")], edges=[edge("a", "b")], objects=[service])
    ctx = Context(system)
    assert ctx.entrypoints == ["a"] and ctx.entrypoints_inferred_from_roots
    assert Context(System(components=[comp("a"), comp("b")], edges=[edge("a", "b")])).entrypoints == []


def test_startup_only_reachability_is_qualified() -> None:
    system = System(
        components=[comp("web", exposure=["Ingress w"]), comp("db", Kind.DATASTORE)],
        edges=[edge("web", "db", startup=True)],
    )
    ctx = Context(system)
    assert ctx.entrypoints_depending_on("db") == ["web"]
    assert ctx.entrypoints_depending_on("db", runtime_only=True) == []
    assert ctx.depends_only_at_startup("web", "db")


def test_dominators_and_chokepoint() -> None:
    # web -> gw -> {a, b, c}; web -> d. gw cuts 4 of 5.
    system = System(
        components=[comp(n) for n in ("gw", "a", "b", "c", "d")] + [comp("web", exposure=["Ingress w"])],
        edges=[edge("web", "gw"), edge("gw", "a"), edge("gw", "b"), edge("gw", "c"), edge("web", "d")],
    )
    ctx = Context(system)
    assert ctx.dominated_by("web", "gw") == {"a", "b", "c"}
    assert ctx.dominated_count("web", "gw") == 3
    assert ctx.cut_share("web", "gw") == 4 / 5
    assert ctx.chokepoint("gw") == [("web", 4, 5)]
    assert ctx.chokepoint("d") == []
    assert ctx.dominated_by("web", "web") == frozenset()


def test_replicas_defaults() -> None:
    ctx = Context(System())
    assert ctx.replicas(comp("a")) == 1  # Deployment default
    assert ctx.replicas(comp("a", replicas=3)) == 3
    ds = Component(name="ds", kind=Kind.SERVICE, source=SRC, workload="DaemonSet")
    assert ctx.replicas(ds) is None
    ext = Component(name="s3", kind=Kind.EXTERNAL, source=SRC, platform="external")
    assert ctx.replicas(ext) is None


def test_severity_for_blast_radius() -> None:
    system = System(
        components=[
            comp("web", exposure=["Ingress w"]),
            comp("mobile", exposure=["Ingress m"]),
            comp("db", Kind.DATASTORE),
            comp("worker"),
            Component(name="nightly", kind=Kind.SERVICE, source=SRC, workload="CronJob"),
        ],
        edges=[edge("web", "db"), edge("mobile", "db")],
    )
    ctx = Context(system)
    assert ctx.severity_for("db", Severity.HIGH) == Severity.CRITICAL  # 2 of 2 entry points
    assert ctx.severity_for("worker", Severity.MEDIUM) == Severity.LOW  # no traffic, no dependents
    assert ctx.severity_for("nightly", Severity.MEDIUM) == Severity.LOW  # batch
    assert ctx.severity_for("web", Severity.MEDIUM) == Severity.MEDIUM  # 1 of 2
    assert ctx.threshold("max_sync_depth", 5) == 5
    assert Context(system, {"max_sync_depth": 3}).threshold("max_sync_depth", 5) == 3
