"""Helpers shared by the availability rules."""

from __future__ import annotations

import re

from redline.model import Component, Kind
from redline.review.context import Context

_STATELESS = (Kind.SERVICE, Kind.GATEWAY)


_STATEFUL = (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE)


_LONG_RUNNING = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def _replicated_platform(c: Component) -> bool:
    """Platforms where a replica count is an availability control."""
    return c.platform in ("kubernetes", "redline")


def _label(c: Component) -> str:
    """``key: value`` of a pod label for selector snippets: the workload's own label when known."""
    for key in ("app", "app.kubernetes.io/name", "name"):
        if key in c.labels:
            return f"{key}: {c.labels[key]}"
    if c.labels:
        key, value = sorted(c.labels.items())[0]
        return f"{key}: {value}"
    return f"app: {c.name}"


def _percent_or_int(value: int | str | None, replicas: int, *, round_up: bool) -> int | None:
    """Resolve an int-or-percent field the way the Deployment controller does."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            return None
        exact = replicas * pct / 100.0
        return int(-(-exact // 1)) if round_up else int(exact // 1)
    try:
        return int(text)
    except ValueError:
        return None


def _has_servers(ctx: Context) -> bool:
    """Whether the system runs any service or gateway (tooling aside) that could use a datastore."""
    return any(
        c.kind in (Kind.SERVICE, Kind.GATEWAY) and not ctx.is_tooling(c) for c in ctx.system.components
    )


def _datastore_fix(c: Component) -> str:
    engine = (c.engine or "").lower()
    if "postgres" in engine:
        return (
            "# CloudNativePG (or a managed Postgres with a standby)\napiVersion: postgresql.cnpg.io/v1\n"
            f"kind: Cluster\nmetadata: {{name: {c.name}}}\nspec:\n  instances: 3\n  storage: {{size: 10Gi}}"
        )
    if "redis" in engine:
        return (
            "# Redis with Sentinel (e.g. bitnami/redis chart)\narchitecture: replication\nreplica:\n"
            "  replicaCount: 2\nsentinel:\n  enabled: true"
        )
    if engine in ("rabbitmq",):
        return (
            "apiVersion: rabbitmq.com/v1beta1\nkind: RabbitmqCluster\n"
            f"metadata: {{name: {c.name}}}\nspec:\n  replicas: 3   # and declare queues as quorum queues"
        )
    if engine in ("mongo", "mongodb"):
        return (
            "# a 3-member replica set\nreplication:\n  replSetName: "
            f"{c.name}\n# members: 3 (StatefulSet replicas: 3)"
        )
    return (
        f"# {c.name}: run the engine's replicated mode (3 members) or a managed service with a standby\n"
        "spec:\n  replicas: 3   # only together with the engine's replication configuration"
    )


_DATA_DIRS = re.compile(
    r"^(/var/lib/(postgresql|mysql|mongodb|rabbitmq|kafka|redis|cassandra|elasticsearch|zookeeper)"
    r"|/data(/db)?|/bitnami|/usr/share/elasticsearch/data|/var/opt/mssql|/opt/couchdb/data)(/|$)"
)


def _unknown_data_volume(c: Component) -> bool:
    """A volume of a type redline does not classify (nfs, csi, ephemeral, ...) mounted at a data path:
    it may well be persistent, so the data is not known to be lost."""
    return any(v.type == "other" and v.mount_path and _DATA_DIRS.match(v.mount_path) for v in c.volumes)


def _pv_fix(c: Component) -> str:
    return (
        f"kind: StatefulSet\nmetadata: {{name: {c.name}}}\nspec:\n  volumeClaimTemplates:\n"
        "  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n"
        "      resources: {requests: {storage: 10Gi}}\n# mount `data` at the engine's data directory"
    )
