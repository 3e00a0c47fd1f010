"""Building blocks rules use to turn their facts into typed fixes that know the platform and the engine.

- where an edit goes: :func:`doc_of` (the document a component was read from), :func:`pod_spec_path`,
  :func:`container_path`, :func:`service_path` (Compose);
- what a probe or healthcheck is for this engine: :func:`k8s_probe`, :func:`compose_healthcheck`
  (``pg_isready``, ``redis-cli ping``, ``mysqladmin ping``, ``rabbitmq-diagnostics ping``, else tcpSocket on
  the declared port; HTTP only when a path is stated);
- which pods a new PodDisruptionBudget or NetworkPolicy may select: :func:`own_selector` (the workload's
  own selector, refused when it would select another workload's pods) and :func:`caller_selectors`;
- which components must never be scaled by an edit: :func:`single_writer`.

Nothing here decides whether something is wrong; rules do. Nothing here writes files; ``fix.engine`` does.
"""

from __future__ import annotations

from typing import Any

from redline.fix.edits import DocRef, Match, Path
from redline.model import Component, Container, Kind, System

# Pod spec location per workload kind (Kubernetes API).
_POD_SPEC: dict[str | None, Path] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}

# Workload kinds whose pods a PodDisruptionBudget or an HPA may govern.
SCALABLE = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})


def doc_of(c: Component) -> DocRef | None:
    """The document ``c`` was read from, or None when no edit can address it (redline.yaml, external)."""
    if c.object_name is None:
        return None
    if c.platform == "compose":
        return DocRef(file=c.source.file, platform="compose")
    if c.platform == "kubernetes" and c.workload in _POD_SPEC:
        return DocRef(
            file=c.source.file,
            platform="kubernetes",
            kind=c.workload,
            name=c.object_name,
            namespace=c.namespace,
        )
    return None


def pod_spec_path(c: Component) -> Path | None:
    """Path to the pod spec inside ``c``'s document (None for Compose and unknown workload kinds)."""
    if c.platform != "kubernetes":
        return None
    return _POD_SPEC.get(c.workload)


def service_path(c: Component) -> Path:
    """Path to a Compose service: ``services.<key>``."""
    return ("services", c.object_name or c.name)


def container_path(c: Component, k: Container) -> Path | None:
    """Path to container ``k`` of ``c`` (by name, in containers or initContainers); Compose: the service."""
    if c.platform == "compose":
        return service_path(c)
    pod = pod_spec_path(c)
    if pod is None:
        return None
    return (*pod, "initContainers" if k.init else "containers", Match(key="name", value=k.name))


# --------------------------------------------------------------------------------------------- probes

# Engine -> the command that says "this server answers", as its own image ships it.
_CHECK_COMMAND: dict[str, list[str]] = {
    "postgres": ["pg_isready", "-q"],
    "redis": ["redis-cli", "ping"],
    "valkey": ["valkey-cli", "ping"],
    "keydb": ["keydb-cli", "ping"],
    "mysql": ["mysqladmin", "ping", "-h", "127.0.0.1", "--silent"],
    "mariadb": ["healthcheck.sh", "--connect"],
    "rabbitmq": ["rabbitmq-diagnostics", "-q", "ping"],
    "mongodb": ["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"],
    "cassandra": ["nodetool", "status"],
}

# Engines served on a well-known port when the container declares none.
_DEFAULT_PORT: dict[str, int] = {
    "postgres": 5432,
    "mysql": 3306,
    "mariadb": 3306,
    "redis": 6379,
    "valkey": 6379,
    "keydb": 6379,
    "memcached": 11211,
    "mongodb": 27017,
    "rabbitmq": 5672,
    "kafka": 9092,
    "zookeeper": 2181,
    "elasticsearch": 9200,
    "opensearch": 9200,
    "nats": 4222,
    "mssql": 1433,
    "cassandra": 9042,
    "etcd": 2379,
    "minio": 9000,
    "clickhouse": 8123,
}


def probe_port(c: Component, k: Container) -> int | str | None:
    """The port a probe of ``k`` should use: its first declared container port, else the engine's own."""
    for p in k.ports:
        if (p.protocol or "TCP").upper() == "TCP":
            return p.port
    if c.engine in _DEFAULT_PORT:
        return _DEFAULT_PORT[c.engine]
    return None


def check_command(c: Component) -> list[str] | None:
    """The engine's own liveness command (``pg_isready``, ``redis-cli ping``), when it has one."""
    return list(_CHECK_COMMAND[c.engine]) if c.engine in _CHECK_COMMAND else None


def http_path(c: Component, k: Container) -> str | None:
    """An HTTP health path stated anywhere for this container (an existing HTTP probe); never a guess."""
    for p in (k.readiness, k.liveness, k.startup, c.healthcheck):
        if p is not None and p.type == "http" and p.path:
            return p.path
    return None


def k8s_probe(
    c: Component, k: Container, *, period_s: int = 10, failure_threshold: int = 3
) -> dict[str, Any] | None:
    """A probe for container ``k`` that its engine answers: exec for datastores with a check command,
    httpGet only when an HTTP path is stated, otherwise tcpSocket on the declared port; None when no port
    is known (no probe can be proposed without guessing)."""
    handler: dict[str, Any]
    command = check_command(c) if c.kind is Kind.DATASTORE or c.engine in _CHECK_COMMAND else None
    port = probe_port(c, k)
    path = http_path(c, k)
    if command is not None:
        handler = {"exec": {"command": command}}
    elif path is not None and port is not None:
        handler = {"httpGet": {"path": path, "port": port}}
    elif port is not None:
        handler = {"tcpSocket": {"port": port}}
    else:
        return None
    timeout = 5 if command is not None else 1
    return {
        **handler,
        "periodSeconds": period_s,
        "timeoutSeconds": timeout,
        "failureThreshold": failure_threshold,
    }


def compose_healthcheck(c: Component) -> dict[str, Any] | None:
    """A Compose healthcheck its engine answers, or None when nothing can be checked without guessing.

    Compose has no tcpSocket check, and an application image may ship neither curl nor wget; so only an
    engine's own command is proposed as an edit."""
    command = check_command(c)
    if command is None:
        return None
    return {
        "test": ["CMD", *command],
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
        "start_period": "30s",
    }


# ------------------------------------------------------------------------------------------ selectors


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def own_selector(system: System, c: Component) -> dict[str, str] | None:
    """The workload's own pod selector, when it selects no other workload's pods in its namespace.

    None when the workload states no selector, or when a label set shared by the whole app (``app: shop``)
    would also select another workload: a PodDisruptionBudget or NetworkPolicy on it would govern pods it
    was never meant to."""
    if c.platform != "kubernetes" or not c.selector:
        return None
    for other in system.components:
        if other is c or other.platform != "kubernetes" or other.namespace != c.namespace:
            continue
        if _selects(c.selector, other.labels):
            return None
    return dict(c.selector)


def caller_selectors(system: System, c: Component) -> list[dict[str, str]] | None:
    """The pod selectors of every component that calls ``c``, from the graph; None when any caller's pods
    cannot be selected exactly (no callers known, a caller outside Kubernetes, or an ambiguous selector)."""
    callers = {e.from_ for e in system.edges if e.to == c.name and e.from_ != c.name}
    if not callers:
        return None
    by_name = {x.name: x for x in system.components}
    out: list[dict[str, str]] = []
    for name in sorted(callers):
        caller = by_name.get(name)
        if caller is None or caller.namespace != c.namespace:
            return None
        sel = own_selector(system, caller)
        if sel is None:
            return None
        if sel not in out:
            out.append(sel)
    return out


# ------------------------------------------------------------------------------------------ state


def single_writer(c: Component) -> bool:
    """A datastore whose replicas are not a cluster by themselves: more replicas are divergent copies.

    Scaling one needs replication set up by an operator or the engine's own tooling, never a replica count
    or an HPA edit. Only engines that form a cluster from identical replicas are exempt; unknown datastores
    count as single-writer (the safe side)."""
    return c.kind is Kind.DATASTORE and c.engine not in _CLUSTERED


_CLUSTERED = frozenset(
    {"cassandra", "cockroachdb", "yugabytedb", "elasticsearch", "opensearch", "etcd", "nats"}
)


__all__ = [
    "SCALABLE",
    "caller_selectors",
    "check_command",
    "compose_healthcheck",
    "container_path",
    "doc_of",
    "http_path",
    "k8s_probe",
    "own_selector",
    "pod_spec_path",
    "probe_port",
    "service_path",
    "single_writer",
]
