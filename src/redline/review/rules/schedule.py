"""Will the pods be placed: affinity, quotas, LimitRanges, host ports, volumes (codes SD001-SD039).

Each rule decides something the API server or the scheduler will decide the same way at deploy time, from
the files alone: a container a namespace LimitRange rejects, pods a ResourceQuota refuses, a host port two
workloads cannot both bind. What depends on the cluster (node count, node labels, taints) is an
assumption, never a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from redline.model import Component, Container, K8sObject, Port
from redline.model.system import AffinityTerm
from redline.model.units import parse_bytes, parse_cpu
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, is_long_running, limit_ranges, loc, where

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


@register
class LimitRangeRejectsContainer(Rule):
    """What it does:
    Flags a Kubernetes container that a Container-type LimitRange of its namespace rejects at admission:
    a request or limit below the LimitRange `min` or above its `max`, or a request set with no limit when
    the LimitRange's default limit (which the API server then fills in) is below that request.

    Why it matters:
    The Deployment applies, but its ReplicaSet cannot create a single pod: every attempt is refused with
    `forbidden: maximum memory usage per Container is ...` or `must be less than or equal to memory
    limit`, visible only in the ReplicaSet's events. The rollout hangs, and `kubectl get pods` shows
    nothing to debug.

    Example:
    LimitRange default: {memory: 256Mi}; container resources: {requests: {memory: 512Mi}} and no limit.

    Fix:
    resources:
      requests: {memory: 512Mi}
      limits: {memory: 1Gi}   # state the limit instead of inheriting the namespace default

    Trade-offs:
    None for the container. Raising the LimitRange instead loosens the guard for every workload of the
    namespace.
    """

    code = "SD001"
    name = "limitrange-rejects-container"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_workloads(ctx):
            ranges = limit_ranges(ctx, c.namespace)
            if not ranges:
                continue
            for k in c.containers:
                for lr in ranges:
                    for resource in _RESOURCES:
                        problem = _limitrange_problem(k, lr.limit, lr.min, lr.max, resource)
                        if problem is None:
                            continue
                        file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=ctx.severity_for(c, self.severity),
                            message=(
                                f"container `{k.name}` of `{c.name}`: {problem} of LimitRange `{lr.name}` in "
                                f"namespace `{c.namespace or 'default'}`: the API server rejects its pods"
                            ),
                            why=(
                                f"`{c.name}` applies but no pod of it is ever created: admission refuses "
                                "each one, the error shows only in the ReplicaSet's events, and the rollout "
                                "hangs."
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\nresources:\n  requests: {{{resource}: "
                                f"<within the LimitRange>}}\n  limits: {{{resource}: <at least the request>}}"
                            ),
                            tradeoff=(
                                "None for the container; raising the LimitRange loosens the guard for every "
                                "workload of the namespace."
                            ),
                            evidence=[f"{loc(lr.source)} LimitRange `{lr.name}`"],
                        )


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


# ---------------------------------------------------------------------------------------------- quotas


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


@register
class ResourceQuotaExceeded(Rule):
    """What it does:
    Adds up what the workloads of a namespace ask for, at their replica counts (and at their HPA
    `maxReplicas`), and compares it with each ResourceQuota of that namespace: `requests.cpu`,
    `requests.memory`, `limits.cpu`, `limits.memory` (requests and limits of every container, LimitRange
    defaults included, the larger of the app containers' sum and the largest init container), `pods`, and
    `count/deployments.apps`-style object counts. It also flags a workload that leaves a quota-tracked
    resource unset with no LimitRange default: the quota then rejects every one of its pods. Quotas with
    `scopes` or a `scopeSelector` are skipped; workloads whose count is unknown (DaemonSets) add nothing,
    so the sum is a floor.

    Why it matters:
    The quota is enforced at admission: the pods past it are refused (`exceeded quota`) and the workload
    runs short of replicas with no crash to see; an HPA that scales out into the quota stops at the quota,
    exactly during the peak it was meant for.

    Example:
    ResourceQuota hard: {requests.memory: 1Gi}; Deployments api (3 × 256Mi) and worker (2 × 256Mi).

    Fix:
    spec:
      hard: {requests.memory: 2Gi}   # or lower replicas / requests so the sum fits

    Trade-offs:
    A larger quota lets the namespace take more of the cluster; the quota exists to cap that, so agree the
    number with whoever owns the cluster's capacity.
    """

    code = "SD002"
    name = "resourcequota-exceeded"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for q in ctx.objects("ResourceQuota"):
            if not _plain_quota(q):
                continue
            workloads = [
                c
                for c in _k8s_workloads(ctx)
                if (c.namespace or "default") == q.namespace and is_long_running(c)
            ]
            yield from self._unset(ctx, q, workloads)
            yield from self._sums(ctx, q, workloads)

    def _unset(self, ctx: Context, q: K8sObject, workloads: list[Component]) -> Iterator[Finding]:
        tracked = {_QUOTA_RESOURCES[str(k)][0] for k in _hard(q) if str(k) in _QUOTA_RESOURCES}
        for c in workloads:
            need = _pod_need(ctx, c)
            missing = sorted(key for key in tracked if need.values[key] is None)
            if not missing:
                continue
            yield self.finding(
                component=c.name,
                file=c.source.file,
                line=c.source.line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"ResourceQuota `{q.name}` of namespace `{q.namespace}` tracks {', '.join(missing)}, "
                    f"which a container of `{c.name}` does not set (and no LimitRange defaults): every pod "
                    "of it is rejected"
                ),
                why=(
                    f"A quota on {missing[0]} makes the API server refuse any pod that does not state it: "
                    f"`{c.name}` applies, but no pod of it is ever created."
                ),
                fix=(
                    f"# {c.name}, every container\nresources:\n  requests: {{cpu: 100m, memory: 128Mi}}\n"
                    "  limits: {memory: 256Mi}"
                ),
                tradeoff="None; size the values from measured usage.",
                evidence=[f"{loc(q.source)} ResourceQuota `{q.name}`"],
            )

    def _sums(self, ctx: Context, q: K8sObject, workloads: list[Component]) -> Iterator[Finding]:
        for key, raw in _hard(q).items():
            key = str(key)
            try:
                if key in _QUOTA_RESOURCES:
                    canonical, parse = _QUOTA_RESOURCES[key]
                    hard = parse(raw)
                elif key == "pods" or key in _COUNT_KEYS.values():
                    canonical, hard = key, float(parse_cpu(raw))
                else:
                    continue
            except ValueError:
                continue
            for at_max in (False, True):
                used, parts = self._usage(ctx, canonical, workloads, at_max=at_max)
                if used <= hard * (1 + 1e-9):
                    continue
                if at_max and self._usage(ctx, canonical, workloads, at_max=False)[0] > hard * (1 + 1e-9):
                    continue  # already reported at the steady count
                resource = "memory" if canonical.endswith("memory") else "cpu"
                quantity = canonical in _QUOTA_RESOURCES

                def fmt(v: float, resource: str = resource, quantity: bool = quantity) -> str:
                    return _show(resource, v) if quantity else f"{v:g}"

                when = "when every HPA is at maxReplicas" if at_max else "at their replica counts"
                yield self.finding(
                    component=None,
                    file=q.source.file,
                    line=q.source.line,
                    severity=ctx.severity_for(None, self.severity if not at_max else Severity.MEDIUM),
                    message=(
                        f"ResourceQuota `{q.name}` of namespace `{q.namespace}` allows {canonical} "
                        f"{fmt(hard)}, but its workloads need {fmt(used)} {when} ({'; '.join(parts)}): "
                        "the pods past the quota are refused"
                    ),
                    why=(
                        "Quota admission refuses the pods that do not fit: workloads run short of replicas "
                        "with no crash to see"
                        + (
                            ", and the autoscaler stops at the quota during the peak it exists for."
                            if at_max
                            else "."
                        )
                    ),
                    fix=f"# ResourceQuota {q.name}\nspec:\n  hard:\n    {canonical}: <at least {fmt(used)}>",
                    tradeoff=(
                        "A larger quota lets the namespace take more of the cluster; agree it with whoever "
                        "owns the cluster's capacity, or lower replicas and requests instead."
                    ),
                )

    @staticmethod
    def _usage(
        ctx: Context, canonical: str, workloads: list[Component], *, at_max: bool
    ) -> tuple[float, list[str]]:
        used, parts = 0.0, []
        for c in workloads:
            if canonical.startswith("count/"):
                if _COUNT_KEYS.get(c.workload or "") == canonical:
                    used += 1
                    parts.append(f"`{c.name}`")
                continue
            n = ctx.replicas(c)
            if at_max and c.autoscaling is not None and c.autoscaling.max_replicas is not None:
                n = c.autoscaling.max_replicas
            if n is None or n == 0:
                continue
            if canonical == "pods":
                used += n
                parts.append(f"`{c.name}` {n}")
                continue
            per_pod = _pod_need(ctx, c).values[canonical]
            if per_pod is None or per_pod == 0:
                continue
            resource = "memory" if canonical.endswith("memory") else "cpu"
            used += n * per_pod
            parts.append(f"`{c.name}` {n} × {_show(resource, per_pod)}")
        return used, parts


# ---------------------------------------------------------------------------------------------- host ports


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


@register
class HostPortClash(Rule):
    """What it does:
    Flags a fixed host port that two containers must both bind on the same host: two Compose services of
    the same project (and profile) publishing the same host port and protocol, a Compose service with
    several replicas and a fixed published port, or a Kubernetes workload whose `hostPort` is also bound
    by a DaemonSet that runs on every node (no nodeSelector, no required nodeAffinity) while the workload
    has no tolerations (so it can only use nodes the DaemonSet runs on). Two Deployments sharing a
    hostPort are not flagged: the scheduler places them on different nodes, and whether there are
    enough is the cluster's fact, not the repository's.

    Why it matters:
    Only one process can bind a host port. In Compose the second container fails to start with `port is
    already allocated`, and `docker compose up` exits with an error. In Kubernetes, a pod whose hostPort a
    DaemonSet holds on every node fits no node: it stays Pending with `didn't have free ports`.

    Example:
    services: {web: {ports: ["8080:80"]}, admin: {ports: ["8080:3000"]}}

    Fix:
    services:
      admin:
        ports: ["8081:3000"]   # a free host port, or drop the publication and call it by service name

    Trade-offs:
    None; a host port is a per-host singleton. Prefer a Service (Kubernetes) or the project network
    (Compose) over host ports where the caller is inside.
    """

    code = "SD003"
    name = "host-port-clash"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        comps = [
            c for c in ctx.system.components if c.platform in ("compose", "kubernetes") and _host_ports(c)
        ]
        seen: set[tuple[str, str, int]] = set()
        for i, a in enumerate(comps):
            for pa, ka in _host_ports(a):
                if (
                    a.platform == "compose"
                    and (ctx.replicas(a) or 1) > 1
                    and (a.name, a.name, pa.published) not in seen
                ):
                    seen.add((a.name, a.name, int(pa.published or 0)))
                    yield self._replicas(ctx, a, pa, ka)
                for b in comps[i + 1 :]:
                    for pb, kb in _host_ports(b):
                        if pa.published != pb.published or pa.protocol.upper() != pb.protocol.upper():
                            continue
                        if (a.name, b.name, pa.published) in seen or not self._clash(a, b, pa, pb):
                            continue
                        seen.add((a.name, b.name, int(pa.published or 0)))
                        yield self._pair(ctx, a, b, pa, pb, ka, kb)

    @staticmethod
    def _clash(a: Component, b: Component, pa: Port, pb: Port) -> bool:
        if a.platform == "compose" and b.platform == "compose":
            return _compose_together(a, b) and _same_host_ip(pa, pb)
        if a.platform == "kubernetes" and b.platform == "kubernetes":
            return (_unrestricted_daemonset(a) and _untainted_only(b)) or (
                _unrestricted_daemonset(b) and _untainted_only(a)
            )
        return False

    def _pair(
        self, ctx: Context, a: Component, b: Component, pa: Port, pb: Port, ka: Container, kb: Container
    ) -> Finding:
        if b.platform == "kubernetes" and _unrestricted_daemonset(b) and not _unrestricted_daemonset(a):
            a, b, pa, pb, ka, kb = b, a, pb, pa, kb, ka  # report the pod that cannot be placed
        file, line = where(pb.source, kb.source, b.source)
        port = f"{pb.published}/{pb.protocol.upper()}"
        if b.platform == "compose":
            message = (
                f"`{b.name}` and `{a.name}` both publish host port {port}: the second to start fails "
                "with `port is already allocated`"
            )
            why = (
                "`docker compose up` starts one of them and fails on the other, so "
                f"`{b.name}` or `{a.name}` never runs."
            )
            fix = f'# {b.name}\nports: ["<a free host port>:{pb.port}"]'
        else:
            message = (
                f"`{b.name}` binds hostPort {port}, which DaemonSet `{a.name}` holds on every node: its pods "
                "fit no node and stay Pending"
            )
            why = (
                f"The scheduler finds no node with port {pb.published} free, because `{a.name}` runs on each "
                f"one: `{b.name}` never starts."
            )
            fix = (
                f"# {b.name}, container {kb.name}\nports:\n"
                f"  - containerPort: {pb.port}   # no hostPort; use a Service"
            )
        return self.finding(
            component=b.name,
            file=file,
            line=line,
            severity=ctx.severity_for(b, self.severity),
            message=message,
            why=why,
            fix=fix,
            tradeoff="None; prefer a Service or the project network over host ports for callers inside.",
            evidence=[f"{loc(pa.source, ka.source, a.source)} `{a.name}` binds {port}"],
        )

    def _replicas(self, ctx: Context, c: Component, p: Port, k: Container) -> Finding:
        file, line = where(p.source, k.source, c.source)
        n = ctx.replicas(c)
        return self.finding(
            component=c.name,
            file=file,
            line=line,
            severity=ctx.severity_for(c, self.severity),
            message=(
                f"`{c.name}` runs {n} replicas that all publish host port "
                f"{p.published}/{p.protocol.upper()}: "
                "only the first binds it, the others fail with `port is already allocated`"
            ),
            why=(
                "On one Docker host a fixed published port fits one container: "
                f"{n - 1 if n else 0} of `{c.name}`'s replicas never start."
            ),
            fix=f'# {c.name}\nports: ["{p.port}"]   # a random host port per replica, or a proxy in front',
            tradeoff=(
                "A random host port is not stable for callers outside the host; a proxy is one more "
                "component."
            ),
        )


# ---------------------------------------------------------------------------------------------- affinity

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


def _yaml_labels(term: AffinityTerm) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(term.labels.items()))


def _max_replicas(ctx: Context, c: Component) -> int | None:
    if c.autoscaling is not None and c.autoscaling.max_replicas is not None:
        return c.autoscaling.max_replicas
    return ctx.replicas(c)


@register
class PodAffinityUnsatisfiable(Rule):
    """What it does:
    Flags a required pod affinity (`podAffinity.requiredDuringSchedulingIgnoredDuringExecution`) whose
    `matchLabels` no workload of the repository carries in the term's namespaces, the pod itself included
    (a pod that matches its own term may start alone). Skipped when the term also uses `matchExpressions`
    or a `namespaceSelector`, when the scan skipped files, or when the namespace holds custom resources
    (an operator may create the pods meant).

    Why it matters:
    The scheduler places the pod only next to a pod carrying those labels. There is none, so every pod
    stays Pending with `didn't match pod affinity rules`: the workload never starts, though it applied
    cleanly. It usually follows a label rename on the workload it was meant to follow.

    Example:
    podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app:
    redis-cache}}, topologyKey: kubernetes.io/hostname}]} while the cache's pods carry `app: redis`.

    Fix:
    affinity:
      podAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:   # or fix the labels to the real ones
          - weight: 100
            podAffinityTerm: {labelSelector: {matchLabels: {app: redis}}, topologyKey: kubernetes.io/hostname}

    Trade-offs:
    A preferred affinity never blocks scheduling, but co-location is then best effort.
    """

    code = "SD004"
    name = "pod-affinity-unsatisfiable"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.system.skipped:
            return
        for c in _k8s_workloads(ctx):
            if c.placement is None:
                continue
            for term in c.placement.pod_affinity:
                if not term.exact or _carriers(ctx, c, term):
                    continue
                spaces = _namespaces(c, term)
                if any(o.namespace in spaces and o.kind not in _INERT_KINDS for o in ctx.system.objects):
                    continue
                file, line = where(term.source, c.placement.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"`{c.name}` requires pod affinity to {_selector_text(term)} "
                        f"(topologyKey {term.topology_key}), but no pod in namespace "
                        f"{', '.join(f'`{n}`' for n in sorted(spaces))} carries those labels: its pods stay "
                        "Pending"
                    ),
                    why=(
                        f"The scheduler places `{c.name}` only next to a pod with {_selector_text(term)}; "
                        "there is none, so no pod of it ever starts."
                    ),
                    fix=(
                        f"# {c.name}\naffinity:\n  podAffinity:\n    "
                        "requiredDuringSchedulingIgnoredDuringExecution:\n"
                        "      - labelSelector: {matchLabels: {<the labels the target's pods carry>}}\n"
                        f"        topologyKey: {term.topology_key}"
                    ),
                    tradeoff="A preferred affinity never blocks scheduling; co-location is then best effort.",
                )


@register
class PodAffinityContradiction(Rule):
    """What it does:
    Flags a pod that is required both to run with and apart from the same pods: a required `podAffinity`
    and a required `podAntiAffinity` term with the same `matchLabels`, `topologyKey` and namespaces,
    when those labels are carried by another workload, or by the pod itself while it runs more than one
    replica (HPA `maxReplicas` included).

    Why it matters:
    Affinity needs a matching pod in the node's domain; anti-affinity forbids one there. No node can
    satisfy both, so the pods stay Pending with `didn't match pod affinity/anti-affinity rules`. With only
    itself matching, the first replica starts and every further one is Pending: a scale-out that never
    happens.

    Example:
    podAffinity and podAntiAffinity both required on `{app: web}`, topologyKey kubernetes.io/hostname.

    Fix:
    affinity:
      podAntiAffinity:   # keep the one that was meant; spread replicas with anti-affinity only
        requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}

    Trade-offs:
    None: the two terms cannot both hold.
    """

    code = "SD005"
    name = "pod-affinity-contradiction"
    category = Category.SCHEDULE
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_workloads(ctx):
            if c.placement is None:
                continue
            for term in c.placement.pod_affinity:
                anti = next(
                    (
                        u
                        for u in c.placement.pod_anti_affinity
                        if term.exact
                        and u.exact
                        and u.labels == term.labels
                        and u.topology_key == term.topology_key
                        and _namespaces(c, u) == _namespaces(c, term)
                    ),
                    None,
                )
                if anti is None:
                    continue
                carriers = _carriers(ctx, c, term)
                others = [w.name for w in carriers if w.name != c.name]
                n = _max_replicas(ctx, c)
                if others:
                    outcome = f"`{', '.join(others)}` carries them, so no pod of `{c.name}` can be placed"
                elif carriers and n is not None and n > 1:
                    outcome = f"only the first of its {n} replicas can be placed"
                else:
                    continue
                file, line = where(term.source, c.placement.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"`{c.name}` requires both pod affinity and anti-affinity to {_selector_text(term)} "
                        f"on topologyKey {term.topology_key}: {outcome}"
                    ),
                    why=(
                        "Affinity needs a matching pod in the node's domain and anti-affinity forbids one "
                        "there: no node satisfies both, and the pods stay Pending."
                    ),
                    fix=(
                        f"# {c.name}\naffinity:\n  podAntiAffinity:   # drop the podAffinity term\n"
                        "    requiredDuringSchedulingIgnoredDuringExecution:\n"
                        f"      - {{labelSelector: {{matchLabels: {{{_yaml_labels(term)}}}}}, "
                        f"topologyKey: {term.topology_key}}}"
                    ),
                    tradeoff="None: the two terms cannot both hold.",
                    evidence=[f"{loc(anti.source)} the anti-affinity term"],
                )
