"""Operability, security and integrity findings on real systems, checked against the files themselves.

Every pin here was derived by reading the sample files (paths and lines are in the comments), not by
recording what the rules printed. Absences are pinned as carefully as presences: a false finding costs
more than a missed one. Tests skip when ../shared/samples is absent.

The last tests pin reader facts these rules depend on (HPA targets after name qualification, Compose
add-on files, the file of merged override keys): they once were reader bugs found by these rules.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from objrules_helpers import SAMPLES, check
from tests.conftest import OB_SERVICES as ONLINE_BOUTIQUE_SERVICES

from redline.model import System
from redline.review.rule import Finding, Severity
from redline.sources.scan import scan

pytestmark = [
    pytest.mark.samples,
    pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"samples folder {SAMPLES} absent"),
]

OB = "online-boutique/kubernetes-manifests"
SOCK_K8S = "sock-shop/deploy/kubernetes"
SOCK_COMPOSE = "sock-shop/deploy/docker-compose/docker-compose.yml"
FASTAPI = "full-stack-fastapi-template"
PETCLINIC = "spring-petclinic-microservices"

OB_SERVICES = set(ONLINE_BOUTIQUE_SERVICES)


@cache
def system(rel: str) -> System:
    return scan(SAMPLES / rel)


def run(rel: str, code: str) -> list[Finding]:
    return check(code, system(rel))


def components(rel: str, code: str) -> set[str | None]:
    return {f.component for f in run(rel, code)}


# ------------------------------------------------------------------ Online Boutique (kubernetes-manifests)


def test_ob_every_service_has_readiness_so_no_op001() -> None:
    # Every *service.yaml and frontend.yaml declares readinessProbe; loadgenerator.yaml has none, but
    # nothing calls it and no Service selects it, so readiness has nothing to gate.
    assert run(OB, "OP001") == []


def test_ob_only_loadgenerator_lacks_liveness() -> None:
    # Every service in the kustomization has a liveness probe. loadgenerator.yaml (not listed in
    # kustomization.yaml, so only read when scanned on its own): container `main` has no probes at all;
    # it is tooling, so low.
    assert run(OB, "OP002") == []
    (f,) = run(f"{OB}/loadgenerator.yaml", "OP002")
    assert f.component == "loadgenerator" and f.severity is Severity.LOW and "`main`" in f.message


def test_ob_identical_probes_everywhere_but_shippingservice() -> None:
    # e.g. cartservice.yaml: readiness grpc 7070 (period default 10) and liveness grpc 7070 periodSeconds 10;
    # shippingservice.yaml: readiness periodSeconds 5, liveness default 10, so liveness is more tolerant.
    found = components(OB, "OP003")
    assert found == (OB_SERVICES - {"shippingservice"}) | {"redis-cart"}
    frontend = next(f for f in run(OB, "OP003") if f.component == "frontend")
    assert "http :8080/_healthz" in frontend.message and frontend.file == "frontend.yaml"


@pytest.mark.parametrize("code", ["OP004", "OP005", "OP006", "OP007", "OP008", "OP009", "OP013", "OP014"])
def test_ob_resources_images_and_grace_are_fine(code: str) -> None:
    # Every container has requests and limits (memory included); images are skaffold placeholders
    # (`image: frontend`), `redis:alpine`, or digest-pinned busybox; terminationGracePeriodSeconds is 5
    # where set, which is not below the 5 s threshold; probes use declared ports; no CronJobs.
    assert run(OB, code) == []


def test_ob_services_behind_a_service_lack_prestop() -> None:
    # No manifest has lifecycle.preStop; loadgenerator has no Service, so it is not reported.
    assert components(OB, "OP010") == OB_SERVICES | {"redis-cart"}


def test_ob_dangling_shopping_assistant() -> None:
    # frontend.yaml:83 SHOPPING_ASSISTANT_SERVICE_ADDR=shoppingassistantservice:80; that service exists only
    # in kustomize/components/shopping-assistant, not in kubernetes-manifests.
    (f,) = run(OB, "IN005")
    assert f.component == "frontend" and "`shoppingassistantservice`" in f.message
    assert (f.file, f.line) == ("frontend.yaml", 83)


@pytest.mark.parametrize("code", ["IN001", "IN002", "IN003", "IN004", "IN006", "IN008"])
def test_ob_objects_resolve(code: str) -> None:
    # Every Service selects its Deployment (app: <name>); there are no HPAs, PDBs, Ingresses or policies.
    assert run(OB, code) == []


@pytest.mark.parametrize(
    "code",
    ["SE001", "SE002", "SE003", "SE004", "SE005", "SE006", "SE007", "SE008", "SE009", "SE011", "SE016"],
)
def test_ob_security_contexts_are_clean(code: str) -> None:
    # Every pod sets runAsNonRoot: true / runAsUser: 1000 and every container allowPrivilegeEscalation:
    # false, privileged: false, capabilities drop ALL; no env value is a credential.
    assert run(OB, code) == []


def test_ob_redis_cart_has_no_network_policy_in_base_manifests() -> None:
    (f,) = run(OB, "SE015")
    assert "`redis-cart`" in f.message and "namespace `default`" in f.message
    assert (
        "app: cartservice" in f.fix.snippet
    )  # the only caller (cartservice.yaml REDIS_ADDR=redis-cart:6379)


def test_ob_with_its_network_policies_component(tmp_path: Path) -> None:
    # kustomize/components/network-policies has a deny-all (podSelector {}) and one policy per workload,
    # e.g. network-policy-redis.yaml selects app: redis-cart: with them, SE015 and IN006 are silent.
    for f in (SAMPLES / OB).glob("*.yaml"):
        if f.name != "kustomization.yaml":
            shutil.copy(f, tmp_path / f.name)
    for f in (SAMPLES / "online-boutique/kustomize/components/network-policies").glob(
        "network-policy-*.yaml"
    ):
        shutil.copy(f, tmp_path / f.name)
    s = scan(tmp_path)
    assert [o for o in s.objects if o.kind == "NetworkPolicy"], "policies were read"
    assert check("SE015", s) == []
    assert check("IN006", s) == []


# ------------------------------------------------------------------ Sock Shop (deploy/kubernetes)


def test_sock_shop_hpa_cart_targets_missing_deployment() -> None:
    # autoscaling/cart-hsc.yaml: scaleTargetRef Deployment `cart`; complete-demo.yaml names it `carts`.
    # The seven other HPAs (front-end, orders, ...) target Deployments that exist.
    (f,) = run(SOCK_K8S, "IN002")
    assert "HorizontalPodAutoscaler `cart`" in f.message and "`Deployment/cart`" in f.message
    assert f.file == "autoscaling/cart-hsc.yaml"


def test_sock_shop_network_policy_cart_access_selects_nothing() -> None:
    # manifests-policy/netpol-cart-access.yaml: podSelector name: cart; the pods are labelled name: carts.
    # netpol-cart-db-access.yaml (name: carts-db) and the others match their pods.
    (f,) = run(SOCK_K8S, "IN006")
    assert "`cart-access`" in f.message and "name=cart" in f.message


def test_sock_shop_services_all_select_pods() -> None:
    assert run(SOCK_K8S, "IN001") == []


def test_sock_shop_plaintext_passwords() -> None:
    # complete-demo.yaml:226 MYSQL_ROOT_PASSWORD=fake_password (catalogue-db);
    # manifests-monitoring/21-grafana-dep.yaml GF_SECURITY_ADMIN_PASSWORD=admin (a default).
    found = {(f.component, f.file): f for f in run(SOCK_K8S, "SE001")}
    db = found[("catalogue-db", "complete-demo.yaml")]
    assert db.line == 226 and "`fa****`" in db.message and "fake_password" not in db.message
    assert "default" not in db.message
    grafana = found[("grafana-core", "manifests-monitoring/21-grafana-dep.yaml")]
    assert "well-known default password" in grafana.message
    assert len(found) == 2


def test_sock_shop_probes() -> None:
    # complete-demo.yaml: catalogue, front-end, payment and user have liveness+readiness (identical);
    # carts, orders, shipping, queue-master and the databases have none.
    no_readiness = components(SOCK_K8S, "OP001")
    assert {"carts", "orders", "shipping", "queue-master", "carts-db", "orders-db"} <= no_readiness
    assert not no_readiness & {"catalogue", "front-end", "payment", "user"}
    assert components(SOCK_K8S, "OP003") == {"catalogue", "front-end", "payment", "user"}


def test_sock_shop_untagged_mongo() -> None:
    # complete-demo.yaml: carts-db and orders-db run `image: mongo` (no tag): a datastore that may jump
    # a major version on reschedule.
    found = {f.component: f for f in run(SOCK_K8S, "OP007")}
    assert found["carts-db"].severity.at_least(Severity.HIGH)
    assert "`mongo`" in found["orders-db"].message
    assert "catalogue" not in found  # weaveworksdemos/catalogue:0.3.5 is pinned


def test_sock_shop_capabilities_are_not_dangerous() -> None:
    # complete-demo.yaml adds CHOWN, SETGID, SETUID, NET_BIND_SERVICE only.
    assert run(SOCK_K8S, "SE016") == []


def test_sock_shop_node_exporter_shares_host_namespaces() -> None:
    # manifests-monitoring/25-prometheus-node-exporter-daemonset.yaml: hostNetwork: true, hostPID: true.
    assert components(SOCK_K8S, "SE009") == {"node-exporter"}
    assert components(SOCK_K8S, "SE010") == {"node-exporter"}


# ------------------------------------------------------------------ Sock Shop (compose)


def test_sock_shop_compose_queue_master_mounts_docker_socket() -> None:
    # docker-compose.yml: queue-master mounts /var/run/docker.sock:/var/run/docker.sock.
    (f,) = run(SOCK_COMPOSE, "SE012")
    assert f.component == "queue-master" and f.severity is Severity.HIGH


def test_sock_shop_compose_restart_always_everywhere() -> None:
    # Every service but user-sim says `restart: always`; user-sim is the load generator (tooling).
    assert run(SOCK_COMPOSE, "OP012") == []


# ------------------------------------------------------------------ full-stack-fastapi-template


def test_fastapi_references_are_not_secrets() -> None:
    # compose.yml: POSTGRES_PASSWORD=${POSTGRES_PASSWORD:?Variable not set}, SECRET_KEY=${SECRET_KEY:?...},
    # DATABASE_URL=postgresql://postgres:${POSTGRES_PASSWORD:?...}@db:5432/app: all interpolated.
    for code in ("SE001", "SE002", "SE003"):
        assert run(FASTAPI, code) == [], code


def test_fastapi_traefik_mounts_docker_socket_read_only() -> None:
    # compose.yml:7 proxy: /var/run/docker.sock:/var/run/docker.sock:ro
    (f,) = run(FASTAPI, "SE012")
    assert f.component.endswith("proxy") and "read-only" in f.message


def test_fastapi_db_published_by_override() -> None:
    # compose.override.yml:27-28 db ports "5432:5432" (bound to all interfaces).
    (f,) = run(FASTAPI, "SE014")
    assert f.component.rsplit("/", 1)[-1] == "db" and "5432->5432" in f.message and f.line == 28


def test_fastapi_healthy_condition_is_backed_by_a_healthcheck() -> None:
    # compose.yml: backend depends_on db condition service_healthy; db defines pg_isready healthcheck.
    assert run(FASTAPI, "IN007") == []
    assert not {c for c in components(FASTAPI, "OP011") if c and c.rsplit("/", 1)[-1] == "db"}


def test_fastapi_no_dangling_dependency() -> None:
    # compose.deploy.yml:50 FRONTEND_HOST=https://${DOMAIN:?Variable not set}: the host is a placeholder.
    assert run(FASTAPI, "IN005") == []


def test_petclinic_no_dangling_dependency() -> None:
    # docker-compose.yml:87 AZURE_OPENAI_ENDPOINT=${AZURE_OPENAI_ENDPOINT}: a placeholder, not a host.
    assert run(PETCLINIC, "IN005") == []


# ------------------------------------------------------------------ DeathStarBench


def test_dsb_media_dns_proxy_mounts_docker_socket() -> None:
    # mediaMicroservices/docker-compose.yml:6-9 dns-media mounts /var/run/docker.sock.
    (f,) = run("deathstarbench/mediaMicroservices/docker-compose.yml", "SE012")
    assert f.component == "dns-media"


def test_dsb_media_mongodb_published() -> None:
    # mediaMicroservices/docker-compose.yml:155-158 movie-review-mongodb ports 27022:27017.
    (f,) = run("deathstarbench/mediaMicroservices/docker-compose.yml", "SE014")
    assert f.component == "movie-review-mongodb" and "27022->27017" in f.message


def test_dsb_swarm_file_default_restarts() -> None:
    # socialNetwork/docker-compose-swarm.yml: a stack file (deploy.restart_policy condition any); services
    # that state no policy restart by Swarm's default, so no OP012.
    assert run("deathstarbench/socialNetwork/docker-compose-swarm.yml", "OP012") == []


def test_dsb_redis_cluster_setup_is_one_shot() -> None:
    # socialNetwork/docker-compose-sharding.yml: *-redis-cluster-setup run setup_redis_cluster.sh and exit.
    rel = "deathstarbench/socialNetwork/docker-compose-sharding.yml"
    for code in ("OP011", "OP012"):
        assert not {c for c in components(rel, code) if c and "cluster-setup" in c}, code


def test_dsb_redis_cluster_setup_is_not_a_cache() -> None:
    # socialNetwork/docker-compose-sharding.yml:41-48 social-graph-redis-cluster-setup uses `image: redis`
    # only to run /scripts/setup_redis_cluster.sh; social-graph-service waits for it with
    # service_completed_successfully (line 16). It is no single-instance cache (AV002), and a drifting
    # client image is not a datastore's on-disk format jumping versions (OP007 stays medium).
    rel = "deathstarbench/socialNetwork/docker-compose-sharding.yml"
    assert not {c for c in components(rel, "AV002") if c and "cluster-setup" in c}
    setups = [f for f in run(rel, "OP007") if f.component and "cluster-setup" in f.component]
    assert len(setups) == 3 and all(f.severity is Severity.MEDIUM for f in setups)
    # The redis servers themselves (line 30, `image: redis`, 5 replicas) are still caches.
    assert {f.severity for f in run(rel, "OP007") if f.component == "social-graph-redis"} == {Severity.HIGH}


def test_dsb_has_no_secrets() -> None:
    for rel in ("deathstarbench/socialNetwork/docker-compose.yml", "deathstarbench/hotelReservation"):
        for code in ("SE001", "SE002", "SE003", "SE004"):
            assert run(rel, code) == [], (rel, code)


# ------------------------------------------------------------------ petclinic, retail store


def test_petclinic_untagged_images() -> None:
    # docker-compose.yml:3 image: springcommunity/spring-petclinic-config-server (no tag); same for others.
    found = components(PETCLINIC, "OP007")
    assert {"config-server", "discovery-server", "api-gateway"} <= found
    for f in run(PETCLINIC, "OP007"):
        assert not f.severity.at_least(Severity.HIGH)  # drift risk is not raised by centrality


def test_retail_dummy_aws_key_is_not_a_secret() -> None:
    # src/cart/docker-compose.yml:21-22 AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=dummy (DynamoDB local).
    assert run("retail-store-sample-app/src/cart/docker-compose.yml", "SE001") == []


def test_retail_tracing_overlay_is_not_a_project() -> None:
    # src/app/docker-compose.tracing.yml says "Apply on top of docker-compose.yml and compose.override.yaml";
    # its ui, catalog, cart, checkout and orders (lines 49-74) carry only env, no image or build. The main
    # file defines them through `include:`, so they are the same services, not a project `app-tracing`
    # whose imageless services have no restart policy.
    for rel in ("retail-store-sample-app/src/app", "retail-store-sample-app"):
        assert not [c.name for c in system(rel).components if "tracing" in c.name], rel
        assert run(rel, "OP012") == [], rel
        skipped = {s.file: s.reason for s in system(rel).skipped}
        tracing = next(r for f, r in skipped.items() if f.endswith("docker-compose.tracing.yml"))
        assert "add-on" in tracing


def test_retail_opensearch_published() -> None:
    # src/catalog/docker-compose.yml:82-84 opensearch ports 9200:9200 and 9600:9600.
    (f,) = run("retail-store-sample-app/src/catalog/docker-compose.yml", "SE014")
    assert "9200->9200" in f.message and "9600->9600" in f.message


def test_sock_shop_whole_repo_hpa_targets() -> None:
    assert len(run("sock-shop", "IN002")) == 1


def test_sock_shop_logging_overlay_is_not_a_project() -> None:
    assert run("sock-shop/deploy/docker-compose", "OP012") == []


def test_fastapi_db_port_points_at_the_override_file() -> None:
    (f,) = run(FASTAPI, "SE014")
    assert f.file == "compose.override.yml"
