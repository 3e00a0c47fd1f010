"""Compose: projects, overrides, include, extends, profiles, interpolation — as `docker compose` does them."""

from __future__ import annotations

from pathlib import Path

import redline
from redline import Kind


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_override_file_merges_and_tags_reset(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  web:\n    image: shop/web:1\n    ports: ['8080:80']\n    environment: {API: http://api:8000}\n"
                "    depends_on: [api]\n"
                "  api:\n    image: shop/api:1\n    environment:\n      - DB_HOST=db\n"
                "  db:\n    image: postgres:16\n    ports: ['5432:5432']\n"
            ),
            "compose.override.yaml": (
                "services:\n  web:\n    environment: {EXTRA: '1'}\n  db:\n    ports: !reset []\n"
                "  api:\n    deploy: {replicas: 3}\n"
            ),
            "docker-compose.monitoring.yml": "services:\n  grafana:\n    image: grafana/grafana:11.0.0\n",
        },
    )
    system = redline.scan(tmp_path)
    web, api, db = (system.component(n) for n in ("web", "api", "db"))
    assert web is not None and api is not None and db is not None
    env = {e.name: e.value for e in web.env()}
    assert env == {"API": "http://api:8000", "EXTRA": "1"}
    assert api.replicas == 3
    assert db.exposure == []  # !reset removed the published port
    assert db.kind == Kind.DATASTORE and db.engine == "postgres"
    edges = {(e.from_, e.to): e for e in system.edges}
    assert set(edges) == {("web", "api"), ("api", "db")}
    assert not edges[("web", "api")].startup_only  # env URL evidence, not only depends_on
    assert {ev.kind for ev in edges[("web", "api")].evidence} == {"env", "depends_on"}
    # The monitoring file is its own project (chosen with -f), not merged into the default one.
    grafana = system.component("grafana")
    assert grafana is not None and grafana.group != web.group


def test_extends_include_profiles_and_interpolation(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/compose.yaml": (
                "name: shop\ninclude:\n  - ../db/compose.yaml\nservices:\n"
                "  base:\n    image: shop/base:1\n    restart: always\n    environment: {LOG: info}\n"
                "  worker:\n    extends: base\n    environment:\n      QUEUE_URL: amqp://${MQ_HOST:-mq}:5672\n"
                "      DB_URL: postgres://app:${DB_PASSWORD:?required}@db:5432/app\n"
                "  debug:\n    image: busybox:1.36\n    profiles: [debug]\n"
                "  mq:\n    image: rabbitmq:3.13\n"
            ),
            "db/compose.yaml": "services:\n  db:\n    image: postgres:16\n",
        },
    )
    system = redline.scan(tmp_path)
    worker = system.component("worker")
    assert worker is not None
    assert worker.restart_policy == "always" and worker.image == "shop/base:1"
    env = {e.name: e for e in worker.env()}
    assert env["LOG"].value == "info"
    assert env["QUEUE_URL"].expanded == "amqp://mq:5672"
    edges = {(e.from_, e.to) for e in system.edges}
    assert ("worker", "mq") in edges and ("worker", "db") in edges
    debug = system.component("debug")
    assert debug is not None and debug.profiles == ["debug"]
    # The included file is part of the shop project, not a project of its own.
    assert [c.name for c in system.components if c.name.endswith("db")] == ["db"]
    assert system.component("db").group == "shop"  # type: ignore[union-attr]


def test_links_and_unknown_depends_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  a:\n    image: x\n    links: ['b:bee']\n    depends_on: [ghost]\n  b:\n    image: y\n"
        },
    )
    system = redline.scan(tmp_path)
    assert {(e.from_, e.to) for e in system.edges} == {("a", "b")}
    (unresolved,) = system.unresolved
    assert unresolved.host == "ghost" and unresolved.source.line == 5


def test_compose_facts(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yml": (
                "services:\n  api:\n    image: shop/api:latest\n    user: root\n    privileged: true\n"
                "    healthcheck:\n      test: [CMD, curl, -f, http://localhost/]\n      interval: 10s\n      timeout: 2s\n"
                "    deploy:\n      resources:\n        limits: {cpus: '0.5', memory: 512m}\n"
                "    stop_grace_period: 1m30s\n    network_mode: host\n"
                "    volumes: ['data:/var/lib/data', './conf:/etc/conf:ro']\n"
                "volumes: {data: {}}\n"
            )
        },
    )
    api = redline.scan(tmp_path).component("api")
    assert api is not None
    (container,) = api.containers
    assert container.image_tag == "latest"
    assert (
        container.security is not None
        and container.security.privileged
        and container.security.run_as_user == 0
    )
    assert api.healthcheck is not None and api.healthcheck.period_s == 10 and api.healthcheck.timeout_s == 2
    assert container.resources is not None and container.resources.memory_limit == 512e6
    assert container.resources.cpu_limit == 0.5
    assert api.termination_grace_s == 90 and api.host_network is True
    assert [(v.type, v.read_only) for v in api.volumes] == [("named", False), ("bind", True)]


def test_urls_in_command_arguments_are_references(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  carts:\n    image: x/carts\n"
                "    command: [java, -Dspring.data.mongodb.uri=mongodb://carts-db:27017/data, --port=80, -Dname=carts-db]\n"
                "  carts-db:\n    image: mongo:4\n"
            )
        },
    )
    system = redline.scan(tmp_path)
    (edge,) = system.edges
    assert (edge.from_, edge.to) == ("carts", "carts-db")
    assert edge.evidence[0].reason.startswith("argument -Dspring.data.mongodb.uri")


def test_traefik_router_labels_are_routes(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  proxy:\n    image: traefik:3.6\n    ports: ['80:80']\n"
                "  api:\n    image: x/api\n    labels:\n      - traefik.enable=true\n"
                "      - traefik.http.routers.api.rule=Host(`api.example.com`)\n"
                "  hidden:\n    image: x/hidden\n    labels: {traefik.enable: 'false', traefik.http.routers.h.rule: 'Host(`h`)'}\n"
            )
        },
    )
    system = redline.scan(tmp_path)
    (edge,) = system.edges
    assert (edge.from_, edge.to) == ("proxy", "api")
    assert edge.evidence[0].kind == "ingress" and "traefik.http.routers.api.rule" in edge.evidence[0].reason


def test_addon_over_an_included_service_is_not_a_project(tmp_path: Path) -> None:
    # The main file defines `api` only through `include:`; the tracing file adds env to it, with no image.
    write(
        tmp_path,
        {
            "app/compose.yaml": "include:\n  - ../api/compose.yaml\n",
            "api/compose.yaml": "services:\n  api:\n    image: shop/api:1\n    restart: always\n",
            "app/docker-compose.tracing.yml": (
                "services:\n  api:\n    environment: {OTEL: 'on'}\n"
                "  jaeger:\n    image: jaegertracing/all-in-one:1.57\n"
            ),
        },
    )
    system = redline.scan(tmp_path / "app")
    assert [c.name for c in system.components] == ["api"]
    assert any(s.file == "docker-compose.tracing.yml" and "add-on" in s.reason for s in system.skipped)


def test_one_shot_with_a_datastore_image_is_not_a_datastore(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n"
                "  cache:\n    image: redis:7\n"
                "  cache-setup:\n    image: redis:7\n    entrypoint: /scripts/cluster.sh\n"
                "    depends_on: {cache: {condition: service_started}}\n"
                "  api:\n    image: shop/api:1\n"
                "    depends_on: {cache-setup: {condition: service_completed_successfully}}\n"
            ),
        },
    )
    system = redline.scan(tmp_path)
    setup, cache = system.component("cache-setup"), system.component("cache")
    assert setup is not None and cache is not None
    assert setup.kind == Kind.SERVICE and setup.engine is None
    assert "service_completed_successfully" in setup.kind_reason
    assert cache.kind == Kind.CACHE and cache.engine == "redis"
