"""redline.yaml: overrides with provenance, declared calls, new components, traffic and SLOs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

import redline
from redline import Kind
from redline.sources.native import json_schema
from tests.conftest import EXAMPLES, REPO

K8S = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: "x/api:1"}]}
"""


def test_overlay_overrides_and_says_which_source_won(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(
        "name: demo\nslo: {availability: 99.95%, latency: {p95: 200ms}}\n"
        "entrypoints: [{name: web, component: api, rps: 18000/min}]\ngrowth: {factor: 5x}\n"
        "components:\n  api:\n    replicas: 4\n    workers: 8\n    service_time: 12ms\n"
        "    calls: [{to: billing, count: 2, timeout: 0.5s, retries: 1, circuit_breaker: true}]\n"
        "  billing: {kind: external, availability: 99.9%}\n"
    )
    system = redline.scan(tmp_path)
    api = system.component("api")
    assert api is not None and api.replicas == 4 and api.workers == 8 and api.service_time_s == 0.012
    prov = api.provenance["replicas"]
    assert prov.origin == "redline.yaml" and prov.source.line == 7
    assert prov.overrode is not None and "k8s.yaml:1" in prov.overrode and "said 1" in prov.overrode
    billing = system.component("billing")
    assert billing is not None and billing.kind == Kind.EXTERNAL and billing.platform == "redline"
    (edge,) = system.edges
    assert (edge.from_, edge.to, edge.count, edge.timeout_s, edge.retries, edge.circuit_breaker) == (
        "api",
        "billing",
        2,
        0.5,
        1,
        True,
    )
    assert edge.evidence[0].kind == "declared" and edge.source is not None and edge.source.line == 10
    assert system.name == "demo" and system.growth is not None and system.growth.factor == 5
    assert (
        system.slo is not None and system.slo.availability == 0.9995 and system.slo.latency_s == {"p95": 0.2}
    )
    (ep,) = system.entrypoints
    assert (ep.component, ep.rps) == ("api", 300)


def test_calls_to_nowhere_and_bad_entrypoints(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    (tmp_path / "redline.yaml").write_text(
        "entrypoints: [{name: web, component: ghost}]\ncomponents:\n  api:\n    calls: [{to: nowhere}]\n"
    )
    system = redline.scan(tmp_path)
    (unresolved,) = system.unresolved
    assert unresolved.host == "nowhere" and unresolved.source.line == 4
    assert any(s.line == 1 and "ghost" in s.reason for s in system.skipped)
    assert not system.entrypoints


def test_explicit_overlay_file(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(K8S)
    overlay = tmp_path / "elsewhere.yaml"
    overlay.write_text("components: {api: {workers: 3}}\n")
    system = redline.scan(tmp_path / "k8s.yaml", overlay=overlay)
    api = system.component("api")
    assert api is not None and api.workers == 3


def test_schema_validates_the_examples_and_is_published_fresh() -> None:
    schema = json_schema()
    for path in EXAMPLES.glob("*/*/redline.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    published = REPO / "docs" / "redline.schema.json"
    assert json.loads(published.read_text()) == schema, "run: redline schema -o docs/redline.schema.json"


def test_bundled_example_kubernetes_graph() -> None:
    system = redline.scan(EXAMPLES / "shop" / "kubernetes")
    edges = {(e.from_, e.to) for e in system.edges}
    # Read off the manifests: env URLs (incl. cross-namespace DNS and a ConfigMap), the Ingress, redline.yaml.
    assert {
        ("ingress/shop", "gateway"),
        ("gateway", "frontend"),
        ("frontend", "catalog"),
        ("frontend", "cart"),
        ("frontend", "orders"),
        ("catalog", "postgres"),
        ("catalog", "redis"),
        ("cart", "redis"),
        ("orders", "postgres"),
        ("orders", "payments"),
        ("orders", "rabbitmq"),
        ("payments", "api.stripe.com"),
        ("worker", "rabbitmq"),
        ("worker", "postgres"),
        ("worker", "smtp.sendgrid.net"),
        ("nightly-report", "postgres"),
    } == edges
    catalog_db = next(e for e in system.edges if (e.from_, e.to) == ("catalog", "postgres"))
    assert any("ConfigMap catalog-config" in ev.reason for ev in catalog_db.evidence)
    kinds = {c.name: c.kind for c in system.components}
    assert (
        kinds["postgres"] == Kind.DATASTORE
        and kinds["redis"] == Kind.CACHE
        and kinds["rabbitmq"] == Kind.QUEUE
    )
    assert kinds["gateway"] == Kind.GATEWAY and kinds["api.stripe.com"] == Kind.EXTERNAL
    assert not system.unresolved and not system.skipped and not system.warnings
    orders_db = next(e for e in system.edges if (e.from_, e.to) == ("orders", "postgres"))
    assert all("orders-pass" not in ev.reason for ev in orders_db.evidence), "URL passwords must be masked"


def test_bundled_example_compose_graph_matches_kubernetes() -> None:
    k8s = redline.scan(EXAMPLES / "shop" / "kubernetes")
    compose = redline.scan(EXAMPLES / "shop" / "compose")
    runtime = {(e.from_, e.to) for e in k8s.edges if not e.from_.startswith(("ingress/", "nightly"))}
    assert runtime == {(e.from_, e.to) for e in compose.edges}
