"""Helpers shared by the availability rules."""

from __future__ import annotations

import re
from typing import Any

from redline.fix.build import (
    SCALABLE,
    doc_of,
    hpa_of,
    new_metadata,
    object_doc,
    own_selector,
    selector_refusal,
    single_writer,
    single_writer_text,
)
from redline.fix.edits import Edit, Fix, NewObject, Op, advice, unsafe
from redline.model import Component, Kind
from redline.review.context import Context

_STATELESS = (Kind.SERVICE, Kind.GATEWAY)


_STATEFUL = (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE)


_LONG_RUNNING = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def _replicated_platform(c: Component) -> bool:
    """Platforms where a replica count is an availability control."""
    return c.platform in ("kubernetes", "redline")


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


_DATA_DIRS = re.compile(
    r"^(/var/lib/(postgresql|mysql|mongodb|rabbitmq|kafka|redis|cassandra|elasticsearch|zookeeper)"
    r"|/data(/db)?|/bitnami|/usr/share/elasticsearch/data|/var/opt/mssql|/opt/couchdb/data)(/|$)"
)


def _unknown_data_volume(c: Component) -> bool:
    """A volume of a type redline does not classify (nfs, csi, ephemeral, ...) mounted at a data path:
    it may well be persistent, so the data is not known to be lost."""
    return any(v.type == "other" and v.mount_path and _DATA_DIRS.match(v.mount_path) for v in c.volumes)


# ------------------------------------------------------------------------------------------------ fixes


def _pdb(ctx: Context, c: Component) -> NewObject | None:
    """A PodDisruptionBudget (``maxUnavailable: 1``) on ``c``'s own pod selector, beside its workload; None
    when ``c`` is not a workload a budget governs, or its selector also selects other workloads' pods."""
    doc, sel = doc_of(c), own_selector(ctx.system, c)
    if doc is None or sel is None or c.workload not in SCALABLE or c.object_name is None:
        return None
    return NewObject(
        beside=doc,
        file_name=f"{c.object_name}-pdb.yaml",
        document={
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": new_metadata(c.object_name, c),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": sel}},
        },
    )


def _no_pdb(ctx: Context, c: Component) -> str:
    """Why :func:`_pdb` offers no budget for ``c``."""
    if doc_of(c) is None or c.workload not in SCALABLE:
        return f"`{c.object_name or c.name}` is not a Deployment or StatefulSet read from a manifest"
    return selector_refusal(ctx.system, c)


def _scale_edit(ctx: Context, c: Component, n: int) -> Edit | str:
    """The edit that makes ``c`` run at least ``n`` replicas at its quietest: the HPA's ``minReplicas`` when
    an HPA owns the count, else the workload's ``spec.replicas``; or why no edit can say so."""
    name = c.object_name or c.name
    if single_writer(c):
        return f"`{name}` is a {single_writer_text(c)}: more replicas would be divergent copies"
    if c.autoscaling is not None:
        hpa, top = hpa_of(ctx.system, c), c.autoscaling.max_replicas
        if hpa is None or top is None or top < n:
            return f"the HorizontalPodAutoscaler of `{name}` allows fewer than {n} replicas"
        return Edit(doc=object_doc(hpa), op=Op.SET, path=("spec", "minReplicas"), value=n)
    doc = doc_of(c)
    if doc is None or c.workload not in SCALABLE:
        where = "redline.yaml" if c.platform == "redline" else f"a {c.workload or 'workload'}"
        return f"`{name}` is described by {where}, which has no replica count redline can edit"
    return Edit(doc=doc, op=Op.SET, path=("spec", "replicas"), value=n)


def _redundancy_fix(ctx: Context, c: Component, n: int) -> Fix:
    """Run ``n`` replicas of stateless ``c`` and, where its pods can be selected alone, a budget that keeps
    all but one of them up during drains (unsafe: it changes the replica count)."""
    name = c.object_name or c.name
    edit = _scale_edit(ctx, c, n)
    if isinstance(edit, str):
        return advice(
            f"run at least {n} replicas of `{name}`",
            f"Run at least {n} replicas of `{name}` where it is deployed, and a PodDisruptionBudget with "
            f"maxUnavailable: 1; no edit is offered because {edit}.",
        )
    pdb = _pdb(ctx, c)
    if pdb is None:
        title = f"run {n} replicas of `{name}` (no PodDisruptionBudget: {_no_pdb(ctx, c)})"
        return unsafe(title, edit)
    return unsafe(f"run {n} replicas of `{name}` and keep all but one up during drains", edit, creates=(pdb,))


# Replicated setups per engine: on Kubernetes, as a managed service, and the kind of an illustrative operator
# object (never written: the data has to move, which no edit of the current manifest does).
_REPLICATED: dict[str, tuple[str, str, tuple[str, str, dict[str, Any]] | None]] = {
    "postgres": (
        "an operator such as CloudNativePG with 3 instances, storage sized like today's volume",
        "a managed Postgres with a standby",
        ("postgresql.cnpg.io/v1", "Cluster", {"instances": 3}),
    ),
    "mysql": ("the MySQL Operator's InnoDBCluster with 3 instances", "a managed MySQL with a standby", None),
    "mariadb": ("the MariaDB operator with Galera (3 replicas)", "a managed MariaDB with a standby", None),
    "redis": (
        "Redis with Sentinel (a primary, 2 replicas, 3 sentinels)",
        "a managed Redis with a replica",
        None,
    ),
    "rabbitmq": (
        "a 3-node RabbitMQ cluster (the RabbitMQ Cluster Operator) with quorum queues",
        "a managed RabbitMQ cluster",
        ("rabbitmq.com/v1beta1", "RabbitmqCluster", {"replicas": 3}),
    ),
    "mongodb": (
        "a 3-member replica set (the MongoDB Community Operator)",
        "a managed MongoDB replica set",
        None,
    ),
}


def _replication_advice(c: Component) -> Fix:
    """Advice for a single datastore, cache or queue: replication lives in an operator or a managed
    service, never in a replica count (more copies of a single-writer engine diverge)."""
    name = c.object_name or c.name
    operator, managed, kind = _REPLICATED.get(
        c.engine or "", ("the engine's replicated mode", "a managed service with a standby", None)
    )
    if c.platform == "compose":
        text = (
            "A Compose project runs on one host, so a second container there shares its failure: move "
            f"`{name}` to {managed}, or to a cluster that replicates it, and point its clients at it."
        )
        return advice(f"replicate `{name}` outside this Compose host", text)
    text = (
        f"Replicate `{name}`: {operator}, or {managed}. A replica count or an HPA on this {c.kind.value} "
        "would start independent, divergent copies, so no edit of its manifest is offered."
    )
    example = None
    if kind is not None:
        api, k, spec = kind
        example = {"apiVersion": api, "kind": k, "metadata": new_metadata(name, c), "spec": spec}
    return advice(f"replicate `{name}` with an operator or a managed service", text, example)


# Where each official image keeps its data (its Dockerfile's VOLUME).
_DATA_DIR = {
    "postgres": "/var/lib/postgresql/data",
    "mysql": "/var/lib/mysql",
    "mariadb": "/var/lib/mysql",
    "mongodb": "/data/db",
    "redis": "/data",
    "rabbitmq": "/var/lib/rabbitmq",
}


def _persistent_advice(c: Component, mount: str | None = None, volume: str | None = None) -> Fix:
    """Advice for data on ephemeral storage (the emptyDir ``volume`` at ``mount``, or none at all): a claim
    per replica, whose size is the owner's to state."""
    name = c.object_name or c.name
    how = (
        f"replace its emptyDir volume `{volume}` ({mount}) with a volumeClaimTemplate of the same name"
        if volume
        else "mount a volumeClaimTemplate at "
        + (
            f"its data directory {_DATA_DIR[c.engine]}"
            if c.engine in _DATA_DIR
            else "the engine's data directory"
        )
    )
    as_sts = "" if c.workload == "StatefulSet" else "run it as a StatefulSet and "
    text = (
        f"Keep `{name}`'s data on a persistent volume: {as_sts}{how}, sized for its "
        "data (the size below is an example), or use a managed service. No edit is offered: the size and "
        "storage class are yours to state, and existing data does not move by itself."
    )
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}
    example = {
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {"volumeClaimTemplates": [{"metadata": {"name": volume or "data"}, "spec": claim}]},
    }
    return advice(f"keep `{name}`'s data on a persistent volume", text, example)
