"""Helpers shared by the schedule rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from redline.model import Component, Container, K8sObject, Port
from redline.model.system import AffinityTerm
from redline.model.units import parse_bytes, parse_cpu
from redline.review.context import Context
from redline.review.rules._util import app_containers, limit_ranges

_RESOURCES = ("cpu", "memory")


def _show(resource: str, value: float) -> str:
    """A quantity as a person writes it: ``250m`` / ``2`` cores, ``256Mi`` / ``1.5Gi`` bytes."""
    if resource == "cpu":
        milli = round(value * 1000)
        return f"{milli // 1000}" if milli % 1000 == 0 else f"{milli}m"
    for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value >= size:
            n = value / size
            return f"{round(n, 2):g}{unit}"
    return f"{value:g}"


def _own(k: Container, resource: str) -> tuple[float | None, float | None]:
    """(request, limit) the container states for ``resource``."""
    r = k.resources
    if r is None:
        return None, None
    if resource == "cpu":
        return r.cpu_request, r.cpu_limit
    return r.memory_request, r.memory_limit


def _k8s_workloads(ctx: Context) -> Iterator[Component]:
    for c in ctx.system.components:
        if c.platform == "kubernetes" and c.containers:
            yield c


def _limitrange_problem(
    k: Container,
    default_limit: dict[str, float],
    lo: dict[str, float],
    hi: dict[str, float],
    resource: str,
) -> str | None:
    """Why one LimitRange item rejects container ``k`` for ``resource``, or None."""
    request, limit = _own(k, resource)
    if (
        request is not None
        and limit is None
        and resource in default_limit
        and request > default_limit[resource]
    ):
        return (
            f"{resource} request {_show(resource, request)} with no limit is above the default limit "
            f"{_show(resource, default_limit[resource])}"
        )
    for what, value in (("request", request), ("limit", limit)):
        if value is None:
            continue
        if resource in lo and value < lo[resource]:
            return (
                f"{resource} {what} {_show(resource, value)} is below the min {_show(resource, lo[resource])}"
            )
        if resource in hi and value > hi[resource]:
            return (
                f"{resource} {what} {_show(resource, value)} is above the max {_show(resource, hi[resource])}"
            )
    return None


@dataclass(frozen=True)
class _PodNeed:
    """What one pod of a workload counts against a quota: cores and bytes, per requests and limits."""

    values: dict[str, float | None]  # "requests.cpu" -> cores; None when some container leaves it unset


def _pod_need(ctx: Context, c: Component) -> _PodNeed:
    """The pod's effective requests and limits as quota admission counts them: the sum over app containers,
    or the largest init container when bigger; a request defaults to the limit, then to the LimitRange."""
    ranges = limit_ranges(ctx, c.namespace)
    out: dict[str, float | None] = {}
    for resource in _RESOURCES:
        for kind in ("requests", "limits"):
            app_total: float | None = 0.0
            init_max = 0.0
            for k in c.containers:
                request, limit = _own(k, resource)
                if limit is None:
                    limit = next((lr.limit[resource] for lr in ranges if resource in lr.limit), None)
                if request is None:
                    request = _own(k, resource)[1]
                if request is None:
                    request = next((lr.request[resource] for lr in ranges if resource in lr.request), None)
                value = request if kind == "requests" else limit
                if k.init:
                    if value is not None:
                        init_max = max(init_max, value)
                elif value is None or app_total is None:
                    app_total = None
                else:
                    app_total += value
            out[f"{kind}.{resource}"] = None if app_total is None else max(app_total, init_max)
    return _PodNeed(out)


#: Quota keys that count pod resources, with their canonical name and parser.
_QUOTA_RESOURCES = {
    "cpu": ("requests.cpu", parse_cpu),
    "requests.cpu": ("requests.cpu", parse_cpu),
    "memory": ("requests.memory", parse_bytes),
    "requests.memory": ("requests.memory", parse_bytes),
    "limits.cpu": ("limits.cpu", parse_cpu),
    "limits.memory": ("limits.memory", parse_bytes),
}


#: ``count/<resource>.<group>`` quota keys for workload kinds.
_COUNT_KEYS = {
    "Deployment": "count/deployments.apps",
    "StatefulSet": "count/statefulsets.apps",
    "DaemonSet": "count/daemonsets.apps",
    "ReplicaSet": "count/replicasets.apps",
    "Job": "count/jobs.batch",
    "CronJob": "count/cronjobs.batch",
}


def _hard(o: K8sObject) -> dict[str, object]:
    hard = o.spec.get("hard")
    return hard if isinstance(hard, dict) else {}


def _plain_quota(o: K8sObject) -> bool:
    """A quota that counts every pod of its namespace (no scopes, no scope selector)."""
    return not o.spec.get("scopes") and not o.spec.get("scopeSelector")


def _host_ports(c: Component) -> list[tuple[Port, Container]]:
    """(port, container) for every fixed host port a workload binds (``hostPort`` / Compose published)."""
    out = []
    for k in app_containers(c):
        for p in k.ports:
            if isinstance(p.published, int) and p.published > 0:
                out.append((p, k))
    return out


def _same_host_ip(a: Port, b: Port) -> bool:
    wildcard = (None, "", "0.0.0.0", "::", "[::]")
    return a.host_ip in wildcard or b.host_ip in wildcard or a.host_ip == b.host_ip


def _compose_together(a: Component, b: Component) -> bool:
    """Two Compose services that run in the same `docker compose up` (same project, a shared profile or
    neither in a profile)."""
    if a.group != b.group:
        return False
    if not a.profiles and not b.profiles:
        return True
    return bool(set(a.profiles) & set(b.profiles))


def _unrestricted_daemonset(c: Component) -> bool:
    """A DaemonSet that runs on every untainted node: no nodeSelector and no required nodeAffinity."""
    p = c.placement
    return c.workload == "DaemonSet" and (p is None or (not p.node_selector and not p.node_affinity))


def _untainted_only(c: Component) -> bool:
    """A pod with no tolerations: it can only use the untainted nodes, where every such DaemonSet runs."""
    return c.placement is None or not c.placement.tolerations


#: Kinds whose objects never create pods by themselves: anything else (a CRD instance) may be an operator's
#: request for pods whose labels the repository does not show.
_INERT_KINDS = frozenset(
    {
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "Namespace",
        "LimitRange",
        "ResourceQuota",
        "StorageClass",
        "PriorityClass",
        "Endpoints",
        "EndpointSlice",
        "IngressClass",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
    }
)


def _namespaces(c: Component, term: AffinityTerm) -> set[str]:
    return set(term.namespaces) or {c.namespace or "default"}


def _carriers(ctx: Context, c: Component, term: AffinityTerm) -> list[Component]:
    """Kubernetes workloads whose pods match the term (its selector, in its namespaces)."""
    spaces = _namespaces(c, term)
    return [
        w
        for w in ctx.system.components
        if w.platform == "kubernetes"
        and (w.namespace or "default") in spaces
        and all(w.labels.get(k) == v for k, v in term.labels.items())
    ]


def _selector_text(term: AffinityTerm) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(term.labels.items()))


def _max_replicas(ctx: Context, c: Component) -> int | None:
    if c.autoscaling is not None and c.autoscaling.max_replicas is not None:
        return c.autoscaling.max_replicas
    return ctx.replicas(c)


def _fitted(
    k: Container,
    default_limit: dict[str, float],
    lo: dict[str, float],
    hi: dict[str, float],
    resource: str,
) -> tuple[float | None, float | None] | None:
    """The request and limit of ``k`` for ``resource`` that one LimitRange item admits, changed as little
    as possible: each stated value moved into ``[min, max]``, and a limit equal to the request where the
    default limit the API server would fill in is below the request. None when no such pair exists."""

    def inside(v: float | None) -> float | None:
        if v is None:
            return None
        if resource in lo:
            v = max(v, lo[resource])
        if resource in hi:
            v = min(v, hi[resource])
        return v

    request, limit = _own(k, resource)
    request, limit = inside(request), inside(limit)
    if request is not None and limit is None and request > default_limit.get(resource, request):
        limit = request
    if request is not None and limit is not None and request > limit:
        return None
    return request, limit


def affinity_term(term: AffinityTerm) -> dict[str, object]:
    """A pod (anti-)affinity term as the pod spec writes it (only exact terms: ``matchLabels`` alone)."""
    out: dict[str, object] = {"labelSelector": {"matchLabels": dict(term.labels)}}
    if term.topology_key:
        out["topologyKey"] = term.topology_key
    if term.namespaces:
        out["namespaces"] = list(term.namespaces)
    return out
