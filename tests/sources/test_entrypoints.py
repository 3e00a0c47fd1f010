"""Entry points: inferred once by ``redline.model.entrypoints``, stored by scan, shared by review and forecast.

Hand-built systems pin each rule of the inference; the shared samples pin the result, with its reason, on
real repositories (the truth is tests/data/groundtruth/*.yaml ``entrypoints``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import redline
from redline.model import Component, Edge, Entrypoint, Evidence, K8sObject, Kind, Port, Source, System
from redline.model.entrypoints import Tier, empty_graph_message, infer, is_tooling, resolve, with_rates
from redline.report import scan_json, scan_text
from redline.review.context import Context
from redline.review.engine import review
from tests.conftest import samples_dir

SRC = Source(file="compose.yaml", line=3)


def comp(name: str, kind: Kind = Kind.SERVICE, **kw: object) -> Component:
    return Component(name=name, kind=kind, source=SRC, platform="compose", workload="compose-service", **kw)  # type: ignore[arg-type]


def published(name: str, port: int, line: int, kind: Kind = Kind.SERVICE, **kw: object) -> Component:
    container = {
        "name": name,
        "ports": [Port(port=port, published=port, source=Source(file="c.yaml", line=line))],
    }
    return comp(name, kind, exposure=[f"published port {port}:{port}"], containers=[container], **kw)


def k8s(name: str, kind: Kind = Kind.SERVICE, **kw: object) -> Component:
    return Component(
        name=name, kind=kind, source=Source(file=f"{name}.yaml", line=1), workload="Deployment", **kw
    )  # type: ignore[arg-type]


def service(name: str, selects: str, stype: str = "ClusterIP", line: int = 2) -> K8sObject:
    return K8sObject(
        kind="Service", name=name, source=Source(file=f"{selects}-svc.yaml", line=line), selects=[selects],
        spec={"type": stype},
    )  # fmt: skip


def edge(a: str, b: str, *, startup: bool = False) -> Edge:
    ev = Evidence(reason="env X", kind="depends_on" if startup else "env", confidence=0.8, source=SRC)
    return Edge(**{"from": a, "to": b}, evidence=[ev], startup_only=startup)


def names(system: System) -> list[str]:
    return [e.component for e in infer(system).entrypoints]


def reasons(system: System) -> dict[str, str | None]:
    return {e.component: e.reason for e in infer(system).entrypoints}


# ------------------------------------------------------------------ the rules, one by one


def test_a_load_generator_does_not_take_the_role_from_the_front_end_it_calls() -> None:
    system = System(
        components=[
            k8s("frontend", exposure=["LoadBalancer Service frontend-external"]),
            k8s("loadgenerator"),
        ],
        edges=[edge("loadgenerator", "frontend")],
        objects=[service("frontend-external", "frontend", "LoadBalancer", line=7)],
    )
    found = infer(system)
    assert found.tier is Tier.ROUTE
    (ep,) = found.entrypoints
    assert (ep.component, ep.inferred) == ("frontend", True)
    assert ep.reason == (
        "LoadBalancer Service frontend-external (frontend-svc.yaml:7); called only by tooling (loadgenerator)"
    )


def test_routes_beat_published_ports_and_a_called_service_is_not_a_door() -> None:
    system = System(
        components=[
            k8s("web", exposure=["NodePort Service web"]),
            k8s("api", exposure=["NodePort Service api"]),  # web calls it: web is the door
            published("debug", 9000, 4),
        ],
        edges=[edge("web", "api")],
        objects=[service("web", "web", "NodePort"), service("api", "api", "NodePort")],
    )
    assert names(system) == ["web"]


def test_a_published_gateway_makes_the_other_published_services_debug_ports() -> None:
    # spring-petclinic: every service publishes its port; the gateway's routes are in code.
    system = System(
        components=[
            published("api-gateway", 8080, 114, Kind.GATEWAY),
            published("customers-service", 8081, 90),
            published("vets-service", 8083, 140),
            published("admin-server", 9090, 160),  # an admin UI: tooling
            published("config-server", 8888, 10),  # called (startup order) by the others
        ],
        edges=[edge("api-gateway", "config-server", startup=True)],
    )
    assert reasons(system) == {
        "api-gateway": "published port 8080:8080 (c.yaml:114); a gateway or front end, so the other published "
        "services (customers-service, vets-service) are taken as debugging ports"
    }
    assert is_tooling(system.components[3])


def test_without_a_front_end_every_uncalled_published_service_is_a_door() -> None:
    system = System(components=[published("orders", 8081, 5), published("billing", 8082, 9)])
    assert names(system) == ["billing", "orders"]
    assert infer(system).tier is Tier.PUBLISHED


def test_no_service_and_no_published_port_is_not_an_entry_point() -> None:
    # Kafka consumers: roots of the graph (they call the broker) that nothing can send a request to.
    system = System(
        components=[k8s("orders-consumer"), k8s("audit-consumer"), k8s("kafka", Kind.QUEUE)],
        edges=[edge("orders-consumer", "kafka"), edge("audit-consumer", "kafka")],
        objects=[service("kafka", "kafka")],
    )
    assert names(system) == []
    assert infer(system).tier is Tier.NONE


def test_roots_with_a_service_stand_in_when_nothing_is_exposed() -> None:
    system = System(
        components=[k8s("web"), k8s("api"), k8s("worker")],
        edges=[edge("web", "api"), edge("worker", "api")],
        objects=[service("web", "web", line=4), service("api", "api")],  # worker has no Service
    )
    found = infer(system)
    assert found.tier is Tier.ROOT
    assert [(e.component, e.reason) for e in found.entrypoints] == [
        ("web", "nothing is exposed; no caller, calls api")
    ]


def test_an_empty_graph_falls_back_to_front_ends_by_name_and_says_so() -> None:
    # hotelReservation/kubernetes: kompose output, every Service ClusterIP, no address in any env.
    system = System(
        components=[k8s("frontend"), k8s("geo"), k8s("jaeger")],
        objects=[
            service("frontend", "frontend", line=11),
            service("geo", "geo"),
            service("jaeger", "jaeger"),
        ],
    )
    found = infer(system)
    assert found.tier is Tier.NAME
    assert [(e.component, e.reason) for e in found.entrypoints] == [
        (
            "frontend",
            "nothing is exposed and no call is known: a front end by its name, reached through ClusterIP "
            "Service frontend (frontend-svc.yaml:11)",
        )
    ]


def test_user_flags_entrypoint_false_and_tooling() -> None:
    system = System(
        components=[
            published("web", 80, 2, Kind.GATEWAY),
            published("grafana", 3000, 9, tooling=False, entrypoint=False),  # not tooling, still no door
            published("orders", 81, 12, tooling=True),
        ],
    )
    assert names(system) == ["web"]
    assert not is_tooling(system.components[1]) and is_tooling(system.components[2])
    system.components[0].entrypoint = False
    assert names(system) == []  # orders is tooling, grafana is not a door: nothing left
    system.components[2].entrypoint = True
    assert names(system) == ["orders"] and infer(system).tier is Tier.MARKED


def test_an_ingress_in_front_of_a_nodeport_service_leaves_both_doors_open() -> None:
    ing = Component(
        name="ingress/socks", kind=Kind.GATEWAY, source=Source(file="ing.yaml", line=1), workload="Ingress",
        exposure=["Ingress socks"],
    )  # fmt: skip
    system = System(
        components=[ing, k8s("front-end", exposure=["NodePort Service front-end"])],
        edges=[edge("ingress/socks", "front-end")],
        objects=[service("front-end", "front-end", "NodePort", line=12)],
    )
    assert names(system) == ["front-end", "ingress/socks"]


def test_stated_entry_points_win_and_keep_their_reason() -> None:
    system = System(
        components=[published("web", 80, 2), comp("admin")],
        entrypoints=[
            Entrypoint(name="backoffice", component="admin", source=Source(file="redline.yaml", line=4))
        ],
    )
    found = resolve(system)
    assert not found.inferred
    assert [(e.component, e.reason) for e in found.entrypoints] == [
        ("admin", "entry point `backoffice` stated at redline.yaml:4")
    ]
    assert Context(system).entrypoints == ["admin"]


def test_with_rates_replaces_entry_points_by_entry_point_or_component_name() -> None:
    system = System(components=[published("web", 80, 2), comp("api")], edges=[edge("web", "api")])
    got = with_rates(system, {"web": 50.0, "api": 5.0})
    assert [(e.name, e.component, e.rps, e.inferred) for e in got] == [
        ("web", "web", 50.0, True),
        ("api", "api", 5.0, False),
    ]
    with pytest.raises(KeyError):
        with_rates(system, {"nowhere": 1.0})


def test_empty_graph_message_counts_components_and_startup_edges() -> None:
    system = System(components=[comp("a"), comp("b"), comp("c")], edges=[edge("a", "b", startup=True)])
    message = empty_graph_message(system)
    assert message is not None
    assert message.startswith("3 components, 0 runtime calls (1 startup-order only): redline read no address")
    assert "add calls in redline.yaml" in message
    assert empty_graph_message(System(components=[comp("a"), comp("b")], edges=[edge("a", "b")])) is None
    assert empty_graph_message(System(components=[comp("a")])) is None  # one component has no calls to miss


# ------------------------------------------------------------------ scan stores them, outputs say why


COMPOSE = """\
services:
  proxy:
    image: traefik:3
    ports: ["80:80"]
    environment:
      BACKEND_URL: http://api:8000
  api:
    image: example/api
    ports: ["8000:8000"]
  loadgen:
    image: locustio/locust
    environment:
      TARGET: http://proxy
"""


def test_scan_lists_inferred_entry_points_in_json_and_text_says_why(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    system = redline.scan(tmp_path)
    data = json.loads(scan_json.render(system))
    assert data["entrypoints"] == [
        {
            "name": "proxy",
            "component": "proxy",
            "rps": None,
            "source": {"file": "compose.yaml", "line": 2},
            "inferred": True,
            "reason": "published port 80:80 (compose.yaml:4); called only by tooling (loadgen)",
        }
    ]
    from rich.console import Console

    console = Console(width=200, record=True, no_color=True)
    scan_text.render(system, console)
    text = console.export_text()
    assert (
        "Entry points (inferred)\n  proxy: published port 80:80 (compose.yaml:4); called only by tooling (loadgen)"
        in text
    )


def test_scan_warns_about_an_empty_graph_and_review_still_reports_single_datastores(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: example/web\n    ports: ['80:80']\n  db:\n    image: postgres:16\n"
    )
    system = redline.scan(tmp_path)
    (warning,) = [w for w in system.warnings if "runtime calls" in w.message]
    assert (warning.file, warning.line) == (".", None)
    assert warning.message.startswith("2 components, 0 runtime calls: ")
    (f,) = [f for f in review(system).findings if f.rule == "AV002"]
    assert f.component == "db" and "callers unknown" in f.message


# ------------------------------------------------------------------ real systems


@pytest.mark.samples
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            ("spring-petclinic-microservices",),
            {
                "api-gateway": "published port 8080:8080 (docker-compose.yml:114); a gateway or front end, so "
                "the other published services (customers-service, genai-service, vets-service, visits-service) "
                "are taken as debugging ports; called only by tooling (prometheus-server)"
            },
        ),
        (
            ("deathstarbench", "hotelReservation", "kubernetes"),
            {
                "frontend": "nothing is exposed and no call is known: a front end by its name, reached through "
                "ClusterIP Service frontend (frontend/frontend-service.yaml:1)"
            },
        ),
        (
            ("online-boutique", "kustomize"),
            {
                "frontend": "LoadBalancer Service frontend-external (base/frontend.yaml:123); called only by "
                "tooling (loadgenerator)"
            },
        ),
    ],
)
def test_sample_entry_points_and_reasons(target: tuple[str, ...], expected: dict[str, str]) -> None:
    system = redline.scan(samples_dir(*target))
    assert {e.component: e.reason for e in system.entrypoints} == expected
    assert all(e.inferred for e in system.entrypoints)
    assert review(system).entrypoints == sorted(expected)


@pytest.mark.samples
def test_social_network_debug_port_is_not_a_door() -> None:
    system = redline.scan(samples_dir("deathstarbench", "socialNetwork", "docker-compose.yml"))
    assert [e.component for e in system.entrypoints] == ["media-frontend", "nginx-thrift"]
    assert "(post-storage-service) are taken as debugging ports" in (system.entrypoints[0].reason or "")


@pytest.mark.samples
def test_hotel_reservation_kubernetes_is_never_silent() -> None:
    system = redline.scan(samples_dir("deathstarbench", "hotelReservation", "kubernetes"))
    (warning,) = [w for w in system.warnings if "runtime calls" in w.message]
    assert warning.message.startswith("19 components, 0 runtime calls: ")
    av002 = {f.component: f for f in review(system).findings if f.rule == "AV002"}
    assert "mongodb-geo" in av002 and "callers unknown" in av002["mongodb-geo"].message


def test_review_says_the_graph_is_empty_on_stderr(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from redline.cli.app import app

    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: example/web\n    ports: ['80:80']\n  db:\n    image: postgres:16\n"
    )
    result = CliRunner().invoke(app, ["review", str(tmp_path), "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "redline review: warning: 2 components, 0 runtime calls: " in result.stderr


def test_a_test_harness_service_does_not_make_a_door() -> None:
    # daprApps_v1: object-detect/test/k8s/service_test.yaml exposes the real workload for a test client.
    system = System(
        components=[
            k8s("object-detect", exposure=["NodePort Service obj-detect-test-service"]),
            k8s("user", exposure=["NodePort Service user-service"]),
        ],
        objects=[
            service("obj-detect-test-service", "object-detect", "NodePort"),
            service("user-service", "user", "NodePort"),
        ],
    )
    assert reasons(system) == {"user": "NodePort Service user-service (user-svc.yaml:2)"}
