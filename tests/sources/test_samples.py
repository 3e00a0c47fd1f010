"""Scanning real systems. Every fact pinned here was read off the sample files by hand, not off redline.

Skipped cleanly when ../shared/samples is absent (a user's clone has none).
"""

from __future__ import annotations

import pytest

import redline
from redline import Kind
from tests.conftest import OB_SERVICES, SAMPLES, samples_dir

pytestmark = pytest.mark.samples


def edges(system: redline.System) -> set[tuple[str, str]]:
    return {(e.from_, e.to) for e in system.edges}


def test_online_boutique_base_manifests() -> None:
    system = redline.scan(samples_dir("online-boutique", "kubernetes-manifests"))
    names = {c.name for c in system.components}
    assert names == OB_SERVICES | {"redis-cart"}
    # kustomization.yaml lists every file but loadgenerator.yaml: `kubectl apply -k` leaves it out.
    skipped = {s.file: s.reason for s in system.skipped}
    assert "not listed in kustomization.yaml" in skipped["loadgenerator.yaml"]
    e = edges(system)
    # frontend.yaml env *_SERVICE_ADDR, checkoutservice.yaml env, cartservice.yaml REDIS_ADDR
    assert {
        ("frontend", "checkoutservice"),
        ("frontend", "productcatalogservice"),
        ("frontend", "adservice"),
        ("checkoutservice", "paymentservice"),
        ("checkoutservice", "emailservice"),
        ("recommendationservice", "productcatalogservice"),
        ("cartservice", "redis-cart"),
    } <= e
    # Nothing invented: paymentservice, emailservice, adservice, currencyservice call nobody.
    for leaf in ("paymentservice", "emailservice", "adservice", "currencyservice", "redis-cart"):
        assert not [x for x in e if x[0] == leaf]
    assert len(e) == 15
    (unresolved,) = system.unresolved
    assert (unresolved.from_, unresolved.host) == ("frontend", "shoppingassistantservice")
    assert unresolved.source.file == "frontend.yaml" and unresolved.source.line == 83
    redis = system.component("redis-cart")
    assert redis is not None and redis.kind == Kind.CACHE and redis.engine == "redis"
    # No `replicas:` in frontend.yaml: the API server's default of 1.
    frontend = system.component("frontend")
    assert frontend is not None and frontend.replicas == 1
    assert frontend.source.file == "frontend.yaml" and frontend.source.line == 15
    # frontend-external is a LoadBalancer Service selecting the frontend pods.
    assert "LoadBalancer Service frontend-external" in frontend.exposure
    edge = next(x for x in system.edges if (x.from_, x.to) == ("cartservice", "redis-cart"))
    assert edge.evidence[0].reason == "env REDIS_ADDR=redis-cart:6379"
    assert edge.evidence[0].source.file == "cartservice.yaml"


def test_online_boutique_whole_repo_dedupes_and_skips_opt_in_components() -> None:
    system = redline.scan(samples_dir("online-boutique"), render_helm=False)
    # kubernetes-manifests/, kustomize/base/ and release/ hold the same objects: one system, not three.
    assert len([c for c in system.components if c.name == "frontend"]) == 1
    assert "shoppingassistantservice" not in {c.name for c in system.components}
    reasons = {s.file: s.reason for s in system.skipped}
    assert "opt-in" in reasons["kustomize/components/shopping-assistant/shoppingassistantservice.yaml"]
    assert "helm template" in reasons["helm-chart/"]
    assert any("already defined in kubernetes-manifests" in w.message for w in system.warnings)
    assert not any("internal error" in s.reason for s in system.skipped)


def test_sock_shop_kubernetes() -> None:
    system = redline.scan(samples_dir("sock-shop", "deploy", "kubernetes"), render_helm=False)
    frontend = system.component("sock-shop/front-end") or system.component("front-end")
    assert frontend is not None
    # autoscaling/front-end-hsc.yaml: autoscaling/v1, min 1, max 10, 50% CPU.
    assert frontend.autoscaling is not None
    assert (frontend.autoscaling.min_replicas, frontend.autoscaling.max_replicas) == (1, 10)
    assert frontend.autoscaling.target_cpu_utilization == 0.5
    # manifests/25-user-dep.yaml: env mongo=user-db:27017 is a host:port reference.
    user = next(c for c in system.components if c.name.endswith("user") and c.namespace == "sock-shop")
    db = next(c for c in system.components if c.name.endswith("user-db") and c.namespace == "sock-shop")
    assert (user.name, db.name) in edges(system)
    assert db.kind == Kind.DATASTORE
    rabbit = next(c for c in system.components if c.name.endswith("rabbitmq") and c.namespace == "sock-shop")
    assert rabbit.kind == Kind.QUEUE and rabbit.engine == "rabbitmq"


def test_deathstarbench_social_network_compose() -> None:
    system = redline.scan(samples_dir("deathstarbench", "socialNetwork", "docker-compose.yml"))
    e = edges(system)
    # social-graph-service depends_on jaeger-agent and social-graph-mongodb (lines 8-12).
    assert ("social-graph-service", "social-graph-mongodb") in e
    assert ("social-graph-service", "jaeger-agent") in e
    mongo = system.component("social-graph-mongodb")
    assert mongo is not None and mongo.kind == Kind.DATASTORE and mongo.engine == "mongodb"
    redis = system.component("home-timeline-redis")
    assert redis is not None and redis.kind == Kind.CACHE
    gateway = system.component("nginx-thrift")
    assert gateway is not None and gateway.kind == Kind.GATEWAY
    # depends_on is an ordering: the edge says so.
    edge = next(
        x for x in system.edges if (x.from_, x.to) == ("social-graph-service", "social-graph-mongodb")
    )
    assert edge.startup_only and edge.evidence[0].kind == "depends_on"
    assert not system.unresolved


def test_retail_store_compose_include_and_override_tags() -> None:
    system = redline.scan(samples_dir("retail-store-sample-app", "src", "app", "docker-compose.yml").parent)
    byname = {
        c.name.rsplit("/", 1)[-1]: c for c in system.components if not c.name.startswith("app-tracing/")
    }
    # docker-compose.yml only `include:`s the five services' files; compose.override.yaml merges on top.
    e = {(a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]) for a, b in edges(system)}
    assert {
        ("ui", "catalog"),
        ("ui", "cart"),
        ("ui", "orders"),
        ("ui", "checkout"),
        ("checkout", "orders"),
    } <= e
    assert {("orders", "orders-db"), ("orders", "rabbitmq"), ("checkout", "checkout-redis")} <= e
    # `ports: !override []` in compose.override.yaml removes the published ports of catalog.
    assert byname["catalog"].exposure == []
    assert not system.unresolved


def test_fastapi_template_reference_is_not_a_dangling_host() -> None:
    system = redline.scan(samples_dir("full-stack-fastapi-template"))
    e = {(a.rsplit("/", 1)[-1], b.rsplit("/", 1)[-1]) for a, b in edges(system)}
    assert ("backend", "db") in e  # DATABASE_URL=postgresql://postgres:${POSTGRES_PASSWORD:?...}@db:5432/app
    assert not system.unresolved


def test_every_sample_scans_without_internal_errors() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared samples not present")
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        system = redline.scan(folder, render_helm=False)
        assert system.files, folder.name
        assert not [s for s in system.skipped if "internal error" in s.reason], folder.name
        names = [c.name for c in system.components]
        assert len(names) == len(set(names)), folder.name
        known = set(names)
        assert all(e.from_ in known and e.to in known for e in system.edges), folder.name
