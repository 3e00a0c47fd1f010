"""Truth tests of the graph rules (availability, resilience, scalability) on real systems.

Every pinned finding below was derived by reading the sample's files, not by running redline first; each
comment says what in the file makes it true. Absences are pinned too: a false finding costs more than a
missed one. The samples folder sits beside the repository; without it these tests skip.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from tests.conftest import OB_SERVICES as ONLINE_BOUTIQUE_SERVICES

from redline.review.engine import Report, ReviewConfig, review
from redline.review.rule import Finding, Severity
from redline.sources.scan import scan

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"

pytestmark = [
    pytest.mark.samples,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"samples folder {SAMPLES} not present"),
]

GRAPH = ["AV", "RS", "SC"]


@cache
def _review(rel: str) -> Report:
    report = review(scan(SAMPLES / rel), ReviewConfig(select=GRAPH))
    assert not report.errors, report.errors
    return report


def _by(report: Report, code: str) -> dict[str, Finding]:
    return {f.component or "": f for f in report.findings if f.rule == code}


# ------------------------------------------------------------------ Online Boutique (kubernetes-manifests)

OB = "online-boutique/kubernetes-manifests"
OB_SERVICES = set(ONLINE_BOUTIQUE_SERVICES) - {"frontend"}  # the services behind the frontend


def test_ob_entrypoint_is_frontend_not_loadgenerator() -> None:
    # frontend-external is the only LoadBalancer Service; loadgenerator calls frontend but is a load tool.
    assert _review(OB).entrypoints == ["frontend"]


def test_ob_single_replica_services() -> None:
    # No Deployment in kubernetes-manifests/ sets `replicas`, so each runs the API default of one pod.
    av001 = _by(_review(OB), "AV001")
    assert set(av001) == OB_SERVICES | {"frontend"}
    assert av001["frontend"].severity == Severity.HIGH  # the only door in
    assert "entry point" in av001["frontend"].message
    assert av001["frontend"].file == "frontend.yaml"
    assert all(av001[s].severity == Severity.MEDIUM for s in OB_SERVICES)
    # checkoutservice.yaml sets PAYMENT_SERVICE_ADDR: paymentservice is called by checkoutservice.
    assert "called by `checkoutservice`" in av001["paymentservice"].message


def test_ob_no_single_replica_finding_for_tooling_or_datastores() -> None:
    av001 = _by(_review(OB), "AV001")
    assert "loadgenerator" not in av001  # a load generator is not a service
    assert "redis-cart" not in av001  # a cache: AV002's business


def test_ob_redis_cart_single_instance_reaches_frontend() -> None:
    # cartservice.yaml: REDIS_ADDR=redis-cart:6379; frontend.yaml: CART_SERVICE_ADDR=cartservice:7070.
    f = _by(_review(OB), "AV002")["redis-cart"]
    assert f.severity == Severity.MEDIUM  # a cache: its loss degrades carts, base medium
    assert "1 of 1 entry points (frontend)" in f.message
    assert set(_by(_review(OB), "AV002")) == {"redis-cart"}


def test_ob_redis_cart_data_on_emptydir() -> None:
    # cartservice.yaml: redis-cart mounts `redis-data` at /data, and `redis-data` is `emptyDir: {}`.
    f = _by(_review(OB), "AV009")["redis-cart"]
    assert f.severity == Severity.LOW  # a cache, so low
    assert f.file == "cartservice.yaml" and f.line == 140
    assert "/data" in f.message


def test_ob_no_chokepoint_and_no_call_policy_findings() -> None:
    # checkoutservice alone reaches payment and email: 3 of 10 components, not a chokepoint.
    codes = {f.rule for f in _review(OB).findings}
    assert "AV003" not in codes
    assert not {c for c in codes if c.startswith("RS")}  # no calls are stated, chains are 3 hops deep
    assert not codes & {"AV004", "AV005", "AV006", "AV007", "AV008"}  # single replicas, no PDBs, no PVCs


def test_ob_no_autoscaling() -> None:
    # kubernetes-manifests/ holds no HorizontalPodAutoscaler.
    sc001 = _by(_review(OB), "SC001")
    assert set(sc001) == OB_SERVICES | {"frontend"}
    assert sc001["frontend"].severity == Severity.MEDIUM
    assert "redis-cart" not in sc001 and "loadgenerator" not in sc001


# ------------------------------------------------------------------ Sock Shop


SOCK_K8S = "sock-shop/deploy/kubernetes/complete-demo.yaml"


def test_sockshop_databases_without_volumes() -> None:
    # carts-db/orders-db (mongo), catalogue-db, user-db and rabbitmq are Deployments whose only volume is
    # an emptyDir at /tmp: their data dies with the pod.
    av009 = _by(_review(SOCK_K8S), "AV009")
    assert set(av009) == {"carts-db", "catalogue-db", "orders-db", "user-db", "rabbitmq"}
    assert "session-db" not in av009  # redis as a session cache, no data directory mounted


def test_sockshop_front_end_single_replica_entrypoint() -> None:
    # Service front-end is `type: NodePort`; Deployment front-end has `replicas: 1`.
    report = _review(SOCK_K8S)
    assert report.entrypoints == ["front-end"]
    f = _by(report, "AV001")["front-end"]
    assert f.severity == Severity.HIGH


def test_sockshop_user_db_dependents_only_where_known() -> None:
    # Only the user Deployment names its database in env (`mongo=user-db:27017`); the other services find
    # theirs in code, so redline must not claim who depends on carts-db & co.: they are single
    # instances all the same, reported with their callers unknown.
    av002 = _by(_review(SOCK_K8S), "AV002")
    assert set(av002) == {"user-db", "carts-db", "catalogue-db", "orders-db", "rabbitmq", "session-db"}
    assert "(user)" in av002["user-db"].message
    assert "callers unknown" in av002["carts-db"].message and "(user)" not in av002["carts-db"].message
    assert "0 of" not in " ".join(f.message for f in _review(SOCK_K8S).findings)


def test_sockshop_compose_only_user_db() -> None:
    av002 = _by(_review("sock-shop/deploy/docker-compose/docker-compose.yml"), "AV002")
    assert set(av002) == {"user-db", "carts-db", "catalogue-db", "orders-db", "rabbitmq"}
    assert [n for n, f in av002.items() if "callers unknown" not in f.message] == ["user-db"]
    # Compose: replica rules do not apply.
    codes = {f.rule for f in _review("sock-shop/deploy/docker-compose/docker-compose.yml").findings}
    assert "AV001" not in codes and "AV003" not in codes


# ------------------------------------------------------------------ full-stack-fastapi-template


def test_fastapi_db_single_instance_for_backend() -> None:
    # compose.yml: backend's DATABASE_URL points at db (postgres:18), and depends_on db; requests reach
    # backend through the Traefik `proxy` (router label traefik.http.routers.backend-http.rule).
    report = _review("full-stack-fastapi-template")
    av002 = [f for f in report.findings if f.rule == "AV002"]
    assert len(av002) == 1
    f = av002[0]
    assert f.component is not None and f.component.rsplit("/", 1)[-1] == "db"
    assert "postgres" in f.message and "(proxy)" in f.message
    assert f.severity == Severity.HIGH  # compose caps at high: the host is a SPOF of its own


def test_fastapi_entrypoints_exclude_test_and_admin_tools() -> None:
    # playwright (tests), adminer (DB admin UI) and mailpit (mail catcher) publish ports but are tools.
    eps = _review("full-stack-fastapi-template").entrypoints
    assert eps and not any(x in e for e in eps for x in ("playwright", "adminer", "mailpit"))


# ------------------------------------------------------------------ spring-petclinic-microservices


def test_petclinic_no_replica_findings_on_compose() -> None:
    report = _review("spring-petclinic-microservices")
    assert not [f for f in report.findings if f.rule in ("AV001", "AV003")]
    # config-server and discovery-server publish ports, but every service depends on them: not doors.
    assert "config-server" not in report.entrypoints
    assert "discovery-server" not in report.entrypoints
    assert not {"grafana-server", "prometheus-server", "tracing-server"} & set(report.entrypoints)
    assert "api-gateway" in report.entrypoints


# ------------------------------------------------------------------ DeathStarBench


def test_hotel_reservation_mongodb_known_from_depends_on() -> None:
    # docker-compose.yml: geo `depends_on: [mongodb-geo, consul]`; nothing else names mongodb-geo.
    av002 = _by(_review("deathstarbench/hotelReservation/docker-compose.yml"), "AV002")
    f = av002["mongodb-geo"]
    assert "(geo)" in f.message and "depends_on" in f.message
    caches = {n for n in av002 if n.startswith("memcached")}
    assert caches == {"memcached-rate", "memcached-review", "memcached-profile", "memcached-reserve"}
    assert all(av002[n].severity == Severity.MEDIUM for n in caches)


def test_social_network_post_storage_entrypoint() -> None:
    # post-storage-service publishes 10002:9090 (a debug port: nginx-thrift and media-frontend, the
    # published gateway and front end, are the doors) and depends_on post-storage-mongodb.
    report = _review("deathstarbench/socialNetwork/docker-compose.yml")
    assert report.entrypoints == ["media-frontend", "nginx-thrift"]
    assert "jaeger-agent" not in report.entrypoints
    f = _by(report, "AV002")["post-storage-mongodb"]
    assert "post-storage-service" in f.message and "depends_on" in f.message


# ------------------------------------------------------------------ AWS retail store


def test_retail_store_datastores_behind_ui() -> None:
    # src/*/docker-compose.yml: ui calls cart/catalog/checkout/orders by env URL; each owns a store.
    # docker-compose.tracing.yml is an add-on, not a second project that defines `ui` again. The folder
    # also holds the umbrella Helm chart (src/app/chart), rendered into namespace default: its `ui` is
    # `default/ui`, so the Compose project's is `app/ui`. The chart's ui is a ClusterIP Service with no
    # Ingress (src/ui/chart/values.yaml), so the only door is the Compose ui's published port.
    report = _review("retail-store-sample-app/src/app")
    assert report.entrypoints == ["app/ui"]
    av002 = _by(report, "AV002")
    assert {"orders-db", "catalog-db", "rabbitmq", "checkout-redis"} <= set(av002)
    assert "1 of 1 entry points (app/ui)" in av002["orders-db"].message
    assert av002["checkout-redis"].severity == Severity.MEDIUM
