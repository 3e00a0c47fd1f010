"""Kubernetes env values resolved as the kubelet resolves them: ``$(VAR)``, ConfigMaps and Secrets.

Each test scans real manifests (tmp_path) and pins the edge (from, to), its evidence text, file and line.
Secret values are read only to find hosts: evidence shows the key and the host, the value masked.
"""

from __future__ import annotations

import time
from pathlib import Path

from typer.testing import CliRunner

import redline
from redline import Kind
from redline.cli.app import app
from redline.model import Edge, Source
from redline.sources.kubernetes import expand_refs

SVC = "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{selector: {{app: {app}}}{extra}}}\n"


def workload(
    name: str, env: str = "[]", *, kind: str = "Deployment", image: str = "x/app:1", extra: str = ""
) -> str:
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n{extra}"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n"
        f"      containers:\n        - name: main\n          image: {image}\n          env: {env}\n"
    )


def svc(name: str, app: str | None = None, extra: str = "") -> str:
    return SVC.format(name=name, app=app or name, extra=extra)


def scan(tmp_path: Path, *docs: str) -> redline.System:
    (tmp_path / "k8s.yaml").write_text("---\n".join(docs))
    return redline.scan(tmp_path)


def edge(system: redline.System, src: str, dst: str) -> Edge:
    found = [e for e in system.edges if (e.from_, e.to) == (src, dst)]
    assert found, f"no edge {src} -> {dst}: {[(e.from_, e.to) for e in system.edges]}"
    return found[0]


OTEL_ENV = """
            - {name: OTEL_COLLECTOR_NAME, value: otelcol}
            - {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://$(OTEL_COLLECTOR_NAME):4317"}
            - {name: EARLY, value: "http://$(LATER):80"}
            - {name: LATER, value: cart}
            - {name: ESCAPED, value: "http://$$(OTEL_COLLECTOR_NAME):4317"}"""


def test_dependent_variables_expand_from_earlier_ones_only(tmp_path: Path) -> None:
    """The OpenTelemetry demo's form: the collector's name in one variable, the URL built from it."""
    system = scan(
        tmp_path,
        workload("shop", OTEL_ENV),
        workload("otelcol"),
        svc("otelcol"),
        workload("cart"),
        svc("cart"),
    )
    e = edge(system, "shop", "otelcol")
    (ev,) = e.evidence
    assert ev.reason == (
        "env OTEL_EXPORTER_OTLP_ENDPOINT=http://otelcol:4317 [OTEL_COLLECTOR_NAME=otelcol at k8s.yaml:13]"
    )
    assert (ev.kind, ev.confidence, ev.source) == ("env", 0.9, Source(file="k8s.yaml", line=14))
    # LATER is defined after EARLY: the kubelet leaves $(LATER) as written, so no call to cart is read;
    # $$(...) is the literal text $(...).
    assert {(x.from_, x.to) for x in system.edges} == {("shop", "otelcol")}
    shop = system.component("shop")
    assert shop is not None
    env = {v.name: v for v in shop.containers[0].env}
    assert env["EARLY"].expanded is None and env["EARLY"].value == "http://$(LATER):80"
    assert env["ESCAPED"].expanded == "http://$(OTEL_COLLECTOR_NAME):4317"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].expanded == "http://otelcol:4317"


def test_expansion_rules_match_the_kubelet() -> None:
    known = {"A": "x", "B": "$(A)", "EMPTY": ""}.get
    assert expand_refs("$(A)-$(B)", known) == ("x-$(A)", ["A", "B"])  # a value is not expanded twice
    assert expand_refs("$$(A) $$ $", known) == ("$(A) $ $", [])
    assert expand_refs("$(NOPE) $(A", known) == ("$(NOPE) $(A", [])
    assert expand_refs("$(EMPTY)$x", known) == ("$x", ["EMPTY"])


CONFIG = """apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  DB_NAME: orders-db
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data:
  host: b3JkZXJzLWRi
  url: cG9zdGdyZXM6Ly9hcHA6aHVudGVyMkBvcmRlcnMtZGI6NTQzMi9vcmRlcnM=
  broken: "!!notbase64"
stringData:
  cache: redis://cache:6379/0
"""

SECRET_ENV = """
            - {name: DATABASE_URL, valueFrom: {secretKeyRef: {name: creds, key: url}}}
            - {name: DB_NAME, valueFrom: {configMapKeyRef: {name: cfg, key: DB_NAME}}}
            - {name: REPLICA_DSN, value: "postgres://$(DB_NAME):5432/x"}
          envFrom:
            - {secretRef: {name: creds}, prefix: S_}"""


def test_secrets_are_followed_for_hosts_and_never_printed(tmp_path: Path) -> None:
    system = scan(
        tmp_path,
        CONFIG,
        workload("orders", SECRET_ENV),
        workload("orders-db"),
        svc("orders-db"),
        workload("cache"),
        svc("cache"),
    )
    db = edge(system, "orders", "orders-db")
    reasons = {(ev.reason, ev.source.line) for ev in db.evidence}
    assert reasons == {
        ("env DATABASE_URL from Secret creds/url (value po****): host orders-db", 29),
        ("env S_host from Secret creds/host (value or****): host orders-db", 11),
        ("env S_url from Secret creds/url (value po****): host orders-db", 12),
        # DB_NAME came from the ConfigMap: the substitution cites the ConfigMap's line
        ("env REPLICA_DSN=postgres://orders-db:5432/x [DB_NAME=orders-db at k8s.yaml:5]", 31),
    }
    cache = edge(system, "orders", "cache")
    assert [(ev.reason, ev.source.line) for ev in cache.evidence] == [
        ("env S_cache from Secret creds/cache (value re****): host cache", 15)
    ]
    warning = next(w for w in system.warnings if "creds" in w.message)
    assert (warning.file, warning.line) == ("k8s.yaml", 13)
    assert warning.message == (
        "Secret creds data.broken: expected base64 text, got 11 characters that are not "
        "(the API server refuses it); this key is not read"
    )
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    for plain in ("hunter2", "postgres://app", "orders-db:5432/orders", "redis://cache:6379/0"):
        assert plain not in result.output
    assert "orders" in result.output


def test_statefulset_pod_names_resolve_to_their_set(tmp_path: Path) -> None:
    env = """
            - {name: MONGO_URL, value: "mongodb://mongo-0.mongo:27017,mongo-1.mongo.default.svc.cluster.local:27017/?replicaSet=rs0"}
            - {name: KAFKA_BOOTSTRAP_SERVERS, value: "kafka-1.kafka-headless:9092"}"""
    system = scan(
        tmp_path,
        workload("api", env),
        workload("mongo", kind="StatefulSet", extra="  serviceName: mongo\n"),
        svc("mongo", extra=", clusterIP: None"),
        workload("kafka", kind="StatefulSet", extra="  serviceName: kafka-headless\n"),
        workload("kafka-ui"),
        svc("kafka-headless", "kafka", ", clusterIP: None"),
    )
    assert {(e.from_, e.to) for e in system.edges} == {("api", "mongo"), ("api", "kafka")}
    url = "mongodb://mongo-0.mongo:27017,mongo-1.mongo.default.svc.cluster.local:27017/?replicaSet=rs0"
    assert sorted(ev.reason for ev in edge(system, "api", "mongo").evidence) == [
        f"env MONGO_URL={url}; pod mongo-0 of StatefulSet mongo behind Service mongo",
        f"env MONGO_URL={url}; pod mongo-1 of StatefulSet mongo behind Service mongo",
    ]
    kafka = edge(system, "api", "kafka").evidence[0]
    assert kafka.reason == (
        "env KAFKA_BOOTSTRAP_SERVERS=kafka-1.kafka-headless:9092; pod kafka-1 of StatefulSet kafka behind "
        "Service kafka-headless"
    )
    assert kafka.source == Source(file="k8s.yaml", line=14)
    assert system.unresolved == []


def test_a_callee_is_given_the_kind_its_scheme_says(tmp_path: Path) -> None:
    env = """
            - {name: MONGO_URL, value: "mongodb://docs:27017/app"}
            - {name: BROKER_URL, value: "amqp://bus:5672"}
            - {name: KAFKA_BOOTSTRAP_SERVERS, value: "events:9092"}
            - {name: SESSION_URL, value: "redis://sessions:6379"}
            - {name: MIXED_A, value: "redis://mixed:6379"}"""
    other = """
            - {name: MIXED_B, value: "amqp://mixed:5672"}
            - {name: HOME, value: "http://web:8080"}"""
    names = ("docs", "bus", "events", "sessions", "mixed", "web")
    system = scan(
        tmp_path,
        workload("api", env),
        workload("worker", other),
        *(workload(n) for n in names),
        *(svc(n) for n in names),
    )
    kinds = {n: (c.kind, c.engine, c.kind_reason) for n in names if (c := system.component(n))}
    assert kinds == {
        "docs": (Kind.DATASTORE, "mongodb", "called with mongodb:// by api (env MONGO_URL at k8s.yaml:13)"),
        "bus": (Kind.QUEUE, "rabbitmq", "called with amqp:// by api (env BROKER_URL at k8s.yaml:14)"),
        "events": (
            Kind.QUEUE,
            "kafka",
            "called with a Kafka bootstrap list by api (env KAFKA_BOOTSTRAP_SERVERS at k8s.yaml:15)",
        ),
        "sessions": (Kind.CACHE, "redis", "called with redis:// by api (env SESSION_URL at k8s.yaml:16)"),
        # callers disagree (a cache and a queue): unknown stays the default
        "mixed": (Kind.SERVICE, None, "default (application image)"),
        "web": (Kind.SERVICE, None, "default (application image)"),
    }


def test_a_kind_from_the_image_is_kept(tmp_path: Path) -> None:
    env = '[{name: CACHE_URL, value: "mongodb://kv:27017"}]'
    system = scan(tmp_path, workload("api", env), workload("kv", image="valkey/valkey:8"), svc("kv"))
    kv = system.component("kv")
    assert kv is not None and (kv.kind, kv.engine, kv.kind_reason) == (
        Kind.CACHE,
        "valkey",
        "image valkey/valkey:8",
    )


MB = 1_000_000


def test_expansion_is_linear_on_adversarial_values() -> None:
    known = {"A": "x"}.get
    for value in ("$(" * (MB // 2), "$(A)" * (MB // 4), "$$" * (MB // 2), "$" * MB, "$(A" * (MB // 3) + ")"):
        start = time.perf_counter()
        expand_refs(value, known)
        assert time.perf_counter() - start < 1.0, value[:10]
