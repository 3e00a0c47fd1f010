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

import math
import re
from typing import Any

from redline.fix.edits import DocRef, Edit, Fix, Match, Op, Path, Safety, advice
from redline.model import Component, Container, K8sObject, Kind, System

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
    if c.object_name is None or c.rendered_from is not None:
        return None  # not stated in a file (redline.yaml), or rendered from a Helm template
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
    """The engine's own liveness command (``pg_isready``, ``redis-cli ping``), when it has one.

    Version-aware where images differ: MongoDB images before 5.0 ship the legacy ``mongo`` shell, not
    ``mongosh``; an untagged or unparsable MongoDB tag gets ``mongosh`` (the current images'). Postgres
    names the user its image was told to create, so the server logs no failed login per check."""
    if c.engine not in _CHECK_COMMAND:
        return None
    command = list(_CHECK_COMMAND[c.engine])
    if c.engine == "mongodb" and _major(c) is not None and (_major(c) or 0) < 5:
        command[0] = "mongo"
    if c.engine == "postgres":
        user = _literal_env(c, "POSTGRES_USER")
        if user:
            command += ["-U", user]
    return command


def _major(c: Component) -> int | None:
    """The major version in the component's image tag (``mongo:4.4.6`` → 4), when the tag starts with one."""
    tags = [k.image_tag for k in c.containers if k.image_tag] or []
    m = re.match(r"v?(\d+)", tags[0]) if tags else None
    return int(m.group(1)) if m else None


def _literal_env(c: Component, name: str) -> str | None:
    """A plain, stated environment value (never a secret reference or an interpolation)."""
    for k in c.containers:
        for e in k.env:
            if e.name == name and e.value and e.secret_ref is None and "$" not in e.value:
                return e.value
    return None


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


# ------------------------------------------------------------------- objects and quantities (appended)


def object_doc(o: K8sObject) -> DocRef:
    """The document a non-workload Kubernetes object (Service, Ingress, HPA, PDB, NetworkPolicy,
    ResourceQuota) was read from, by kind, name and namespace."""
    return DocRef(file=o.source.file, platform="kubernetes", kind=o.kind, name=o.name, namespace=o.namespace)


def k8s_quantity(resource: str, value: float, *, round_up: bool = False) -> str | int:
    """A CPU (cores) or memory (bytes) amount as a Kubernetes quantity that parses back to exactly it.

    CPU is written in millicores (``250m``, or ``2`` for whole cores); memory in the largest binary unit
    that divides it (``512Mi``, ``1536Mi``), else in bytes. Amounts finer than a millicore or a byte are
    rounded to the nearest one, or up with ``round_up`` (a quota or limit that must hold at least it)."""
    step = value * 1000 if resource == "cpu" else value
    whole = math.ceil(step - 1e-6) if round_up else round(step)
    if resource == "cpu":
        return str(whole // 1000) if whole % 1000 == 0 else f"{whole}m"
    for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return whole


# ------------------------------------------------------------------- new objects and selectors (appended)


def new_metadata(name: str, c: Component) -> dict[str, Any]:
    """``metadata`` of a new object that belongs with workload ``c``: the name, and ``c``'s namespace
    unless it is ``default`` (a manifest that names no namespace is applied wherever ``kubectl -n`` puts
    its workload, and the new object must follow it there)."""
    meta: dict[str, Any] = {"name": name}
    if c.namespace and c.namespace != "default":
        meta["namespace"] = c.namespace
    return meta


def labels_text(labels: dict[str, str]) -> str:
    """``{app: cart, tier: web}``: a label set as a message shows it."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(labels.items())) + "}"


def selector_clash(system: System, c: Component) -> list[str]:
    """The other workloads of ``c``'s namespace whose pods ``c``'s own selector also selects: why
    :func:`own_selector` refuses it (empty when ``c`` states no selector)."""
    if c.platform != "kubernetes" or not c.selector:
        return []
    return [
        o.object_name or o.name
        for o in system.components
        if o is not c
        and o.platform == "kubernetes"
        and o.namespace == c.namespace
        and _selects(c.selector, o.labels)
    ]


def hpa_of(system: System, c: Component) -> K8sObject | None:
    """The HorizontalPodAutoscaler object that scales ``c`` (the one ``c.autoscaling`` was read from)."""
    a = c.autoscaling
    if a is None:
        return None
    for o in system.objects:
        if o.kind == "HorizontalPodAutoscaler" and o.name == a.name and c.name in o.selects:
            return o
    return None


def single_writer_text(c: Component) -> str:
    """``single-writer postgres database``: how an advice names what :func:`single_writer` refuses."""
    return f"single-writer {c.engine} database" if c.engine else "single-writer database"


def selector_refusal(system: System, c: Component) -> str:
    """Why :func:`own_selector` gives no selector for ``c``, as a sentence an advice can carry."""
    name = c.object_name or c.name
    if c.platform != "kubernetes":
        return f"`{name}` is not a Kubernetes workload, so no pod selector can name its pods"
    if not c.selector:
        return f"`{name}` states no pod selector (spec.selector.matchLabels) to reuse"
    others = ", ".join(f"`{o}`" for o in selector_clash(system, c))
    return (
        f"the selector {labels_text(c.selector)} of `{name}` also selects the pods of {others}: an object "
        "on it would govern their pods too"
    )


# ------------------------------------------------------------------- memory limits (appended)


def memory_limit_edits(doc: DocRef, c: Component, k: Container, value: float) -> list[Edit] | None:
    """Edits that set container ``k``'s memory limit to ``value`` bytes, where its platform writes it.

    Kubernetes: ``resources.limits.memory`` of the container (a binary quantity such as ``768Mi``).
    Compose: ``deploy.resources.limits.memory`` of the service, and ``mem_limit`` removed, since Compose
    refuses a file whose two spellings disagree (the same quantity text parses the same in both). None
    when the container's path is unknown."""
    quantity = k8s_quantity("memory", value, round_up=True)
    if c.platform == "compose":
        svc = service_path(c)
        return [
            Edit(doc=doc, op=Op.REMOVE, path=(*svc, "mem_limit")),
            Edit(doc=doc, op=Op.SET, path=(*svc, "deploy", "resources", "limits", "memory"), value=quantity),
        ]
    path = container_path(c, k)
    if path is None:
        return None
    return [Edit(doc=doc, op=Op.SET, path=(*path, "resources", "limits", "memory"), value=quantity)]


def set_fix(
    c: Component, safety: Safety, title: str, base: Path | None, key: tuple[str, ...], value: Any
) -> Fix:
    """A fix that sets ``key`` (a path of mapping keys) under ``base`` in the document ``c`` was read from.

    ``base`` is where the key lives (:func:`container_path`, :func:`pod_spec_path`, ``("spec",)``), None
    when the workload has no such place. Without a document to edit (``c`` was stated in redline.yaml, or
    its kind is not one redline edits) the fix is advice carrying the same change as its example."""
    doc = doc_of(c)
    if doc is None or base is None:
        example: Any = value
        for part in reversed(key):
            example = {part: example}
        return advice(title, not_editable(c), example)
    return Fix(safety=safety, title=title, edits=[Edit(doc=doc, op=Op.SET, path=(*base, *key), value=value)])


def not_editable(c: Component) -> str:
    """Why a fix for ``c`` is advice when it has no document to edit, as the advice says it."""
    return f"`{c.name}` was not read from a manifest redline can edit: make this change where it is defined."
