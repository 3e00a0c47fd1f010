"""Scalability rules (``SC###``): what stops a component from growing with its traffic.

They read autoscalers (``Component.autoscaling``, filled from HPAs), the Services and Ingresses in front
of a workload, and the workload's resources. Compose has no autoscaler, so these rules are about
Kubernetes (and redline.yaml where it states autoscaling).

Not here yet: "single-writer database with no read replica under read-heavy traffic" needs a stated read
ratio, which the model does not carry; it is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component, K8sObject, Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register

_STATELESS = (Kind.SERVICE, Kind.GATEWAY)


def _hpa_source(c: Component) -> tuple[str, int | None]:
    src = (c.autoscaling.source if c.autoscaling else None) or c.source
    return src.file, src.line


def _hpa_name(c: Component) -> str:
    return (c.autoscaling.name if c.autoscaling else None) or c.name


def _scaled_object_targets(ctx: Context) -> set[str]:
    """Names targeted by KEDA ScaledObjects: autoscaling that is not an HPA in the files."""
    out: set[str] = set()
    for o in ctx.objects("ScaledObject"):
        ref = o.spec.get("scaleTargetRef")
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            out.add(ref["name"])
        out.update(o.selects)
    return out


@register
class NoAutoscaling(Rule):
    """Service that takes traffic has no autoscaler.

    What it does:
        Flags a Kubernetes Deployment or StatefulSet of kind service or gateway that takes traffic but no
        HorizontalPodAutoscaler (or KEDA ScaledObject) targets.

    Why it matters:
        Capacity is fixed at ``replicas``. A traffic spike, a marketing push or a retry storm saturates
        the pods; latency climbs, then requests time out, and someone has to notice and scale by hand.

    Example:
        ```yaml
        kind: Deployment
        metadata: {name: api}
        spec: {replicas: 2}            # and no HorizontalPodAutoscaler for api
        ```

    Fix:
        ```yaml
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
          minReplicas: 2
          maxReplicas: 10
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
        ```

    Trade-offs:
        Needs CPU requests, a metrics server, and cluster headroom (or a node autoscaler); scale-up takes a
        minute or more, so it does not absorb instant spikes.
    """

    code = "SC001"
    name = "no-autoscaling"
    category = Category.SCALABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        keda = _scaled_object_targets(ctx)
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.workload not in ("Deployment", "StatefulSet"):
                continue
            if c.kind not in _STATELESS or c.is_batch or ctx.is_tooling(c) or not ctx.has_traffic(c):
                continue
            if c.autoscaling is not None or c.name in keda:
                continue
            if ctx.objects_selecting(c.name, "HorizontalPodAutoscaler"):
                continue
            n = ctx.replicas(c)
            base = Severity.MEDIUM if ctx.is_entrypoint(c.name) else self.severity
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, base),
                message=(
                    f"`{c.name}` takes traffic but no HorizontalPodAutoscaler targets it: capacity is fixed "
                    f"at {n if n is not None else 'its'} replica(s)."
                ),
                why=(
                    f"A traffic spike saturates `{c.name}`'s fixed pods: latency climbs, requests time out, "
                    "and capacity only grows when someone scales it by hand."
                ),
                fix=(
                    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                    f"metadata: {{name: {c.name}}}\nspec:\n"
                    f"  scaleTargetRef: {{apiVersion: apps/v1, kind: {c.workload}, name: {c.name}}}\n"
                    "  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n  - type: Resource\n"
                    "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}"
                ),
                tradeoff=(
                    "Needs CPU requests, a metrics server and cluster headroom; scale-up takes a minute or "
                    "more and does not absorb instant spikes."
                ),
            )


@register
class HpaMinEqualsMax(Rule):
    """HorizontalPodAutoscaler whose minimum equals its maximum.

    What it does:
        Flags an HPA with ``minReplicas`` equal to ``maxReplicas`` (an unset minimum counts as 1).

    Why it matters:
        The autoscaler cannot scale: it looks like elastic capacity in a review, but under load the
        replica count stays put. Usually a leftover from pinning the count during an incident.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {minReplicas: 3, maxReplicas: 3}
        ```

    Fix:
        ```yaml
        spec:
          minReplicas: 3
          maxReplicas: 12
        ```

    Trade-offs:
        A higher maximum can cost more under load and needs cluster headroom; cap it where downstream
        capacity (database connections) runs out.
    """

    code = "SC002"
    name = "hpa-min-equals-max"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.max_replicas is None:
                continue
            lo = a.min_replicas if a.min_replicas is not None else 1
            if lo != a.max_replicas:
                continue
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` has minReplicas "
                    f"= maxReplicas = {lo}: it can never scale."
                ),
                why=(
                    f"Under load `{c.name}` stays at {lo} replica(s); the autoscaler only looks like elastic "
                    "capacity."
                ),
                fix=(
                    f"# HorizontalPodAutoscaler {_hpa_name(c)}\nspec:\n  "
                    f"minReplicas: {max(lo, 2)}\n  maxReplicas: {max(lo, 2) * 4}"
                ),
                tradeoff=(
                    "More replicas under load cost more and need cluster "
                    "headroom; cap at what downstream capacity allows."
                ),
            )


@register
class HpaMinBelowTwo(Rule):
    """HorizontalPodAutoscaler that may scale down to a single replica.

    What it does:
        Flags an HPA on a workload that takes traffic whose ``minReplicas`` is 1 or unset (the API
        default is 1).

    Why it matters:
        At night the autoscaler removes all but one pod; that pod is then a single point of failure, and a
        morning spike hits one pod while new ones take a minute or more to start.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {maxReplicas: 10}        # minReplicas defaults to 1
        ```

    Fix:
        ```yaml
        spec:
          minReplicas: 2
        ```

    Trade-offs:
        One more pod at idle (a fixed cost); the usual price of surviving a node failure at 3 a.m.
    """

    code = "SC003"
    name = "hpa-min-below-two"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or c.is_batch or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            lo = a.min_replicas
            if lo is not None and lo >= 2:
                continue
            shown = "minReplicas is unset (defaults to 1)" if lo is None else f"minReplicas is {lo}"
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"HPA `{_hpa_name(c)}` may scale `{c.name}` down to one replica: {shown}.",
                why=(
                    f"At low traffic `{c.name}` runs one pod: a single eviction or crash is then an outage, "
                    "and the next spike lands on one pod while new ones start."
                ),
                fix=f"# HorizontalPodAutoscaler {_hpa_name(c)}\nspec:\n  minReplicas: 2",
                tradeoff="One more pod at idle: a small fixed cost.",
            )


def _uses_cpu(c: Component) -> bool:
    a = c.autoscaling
    if a is None:
        return False
    if a.target_cpu_utilization is not None:
        return True
    if not a.metrics:
        return True  # no metrics: the HPA defaults to 80% average CPU utilization
    return any("cpu" in m.lower() and "external" not in m.lower() for m in a.metrics)


@register
class HpaWithoutCpuRequests(Rule):
    """CPU-based HorizontalPodAutoscaler on a workload without CPU requests.

    What it does:
        Flags an HPA that scales on CPU utilization (explicitly, or by default when no metric is listed)
        whose target has a container with no CPU request.

    Why it matters:
        Utilization is usage divided by *request*. With a missing request the HPA reports
        ``missing request for cpu`` and does not scale at all: the autoscaler is silently off.

    Example:
        ```yaml
        kind: Deployment
        spec: {template: {spec: {containers: [{name: api, image: api:1}]}}}  # no resources.requests.cpu
        ---
        kind: HorizontalPodAutoscaler
        spec: {scaleTargetRef: {kind: Deployment, name: api}, maxReplicas: 10}
        ```

    Fix:
        ```yaml
        containers:
        - name: api
          resources:
            requests: {cpu: 250m, memory: 256Mi}
        ```

    Trade-offs:
        Requests reserve node capacity (cost) whether used or not; size them from observed usage.
    """

    code = "SC004"
    name = "hpa-without-cpu-requests"
    category = Category.SCALABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not _uses_cpu(c):
                continue
            missing = [
                k.name
                for k in c.containers
                if not k.init and (k.resources is None or k.resources.cpu_request is None)
            ]
            if not missing or not c.containers:
                continue
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` scales `{c.name}` on CPU utilization, but container(s) "
                    f"{', '.join(f'`{m}`' for m in missing)} have no CPU request."
                ),
                why=(
                    "CPU utilization is usage divided by request; without a request the HPA reports "
                    f"'missing request for cpu' and never scales `{c.name}`."
                ),
                fix="".join(
                    f"containers:\n- name: {m}\n  resources:\n    requests: {{cpu: 250m, memory: 256Mi}}\n"
                    for m in missing[:1]
                ),
                tradeoff="Requests reserve node capacity whether used or not; size them from observed usage.",
            )


_AFFINITY_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/affinity": ("cookie",),
    "traefik.ingress.kubernetes.io/affinity": ("true",),
    "traefik.ingress.kubernetes.io/service.sticky.cookie": ("true",),
    "haproxy.org/cookie-persistence": None,
    "ingress.kubernetes.io/affinity": ("cookie",),
}


def _sticky_ingress(o: K8sObject) -> str | None:
    for key, values in _AFFINITY_ANNOTATIONS.items():
        v = o.annotations.get(key)
        if v is not None and (values is None or v.strip().lower() in values):
            return f"{key}: {v}"
    tga = o.annotations.get("alb.ingress.kubernetes.io/target-group-attributes", "")
    if "stickiness.enabled=true" in tga.replace(" ", ""):
        return f"alb.ingress.kubernetes.io/target-group-attributes: {tga}"
    return None


@register
class StickySessions(Rule):
    """Sticky sessions: a sign the service keeps per-user state in memory.

    What it does:
        Flags a workload behind a Service with ``sessionAffinity: ClientIP``, or behind an Ingress whose
        annotations turn on cookie affinity (ingress-nginx, Traefik, HAProxy, AWS ALB stickiness).

    Why it matters:
        Affinity usually exists because the pod holds session state in memory. Scaling out does not
        rebalance existing users, a scale-in or crash logs users out or loses their carts, and
        ``ClientIP`` affinity behind a NAT or proxy pins a whole office to one pod.

    Example:
        ```yaml
        kind: Service
        spec: {sessionAffinity: ClientIP, selector: {app: web}}
        ```

    Fix:
        Move session state to a shared store (Redis, the database, or a signed cookie), then drop the
        affinity:
        ```yaml
        spec:
          sessionAffinity: None
        ```

    Trade-offs:
        A shared session store adds a network hop per request and a dependency that must itself be
        available.
    """

    code = "SC005"
    name = "sticky-sessions"
    category = Category.SCALABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        services = ctx.objects("Service")
        seen: set[tuple[str, str]] = set()
        for svc in services:
            if str(svc.spec.get("sessionAffinity", "")).lower() != "clientip":
                continue
            for name in svc.selects:
                c = ctx.component(name)
                if c is None or (c.name, svc.name) in seen:
                    continue
                seen.add((c.name, svc.name))
                yield self._finding(ctx, c, f"Service `{svc.name}` sets sessionAffinity: ClientIP", svc)
        by_name = {s.name: s for s in services}
        for ing in ctx.objects("Ingress"):
            why = _sticky_ingress(ing)
            if why is None:
                continue
            for ref in ing.refs:
                backend = by_name.get(ref)
                for name in backend.selects if backend else []:
                    c = ctx.component(name)
                    if c is None or (c.name, ing.name) in seen:
                        continue
                    seen.add((c.name, ing.name))
                    yield self._finding(ctx, c, f"Ingress `{ing.name}` sets {why}", ing)

    def _finding(self, ctx: Context, c: Component, how: str, obj: K8sObject) -> Finding:
        return self.finding(
            component=c.name,
            file=obj.source.file,
            line=obj.source.line,
            severity=ctx.severity_for(c, self.severity),
            message=f"{how}, pinning each client to one `{c.name}` pod.",
            why=(
                f"Affinity usually means `{c.name}` keeps session state in memory: a scale-in or crash loses "
                "those sessions, new replicas do not take over existing users, and clients behind one NAT "
                "all land on one pod."
            ),
            fix=(
                "# keep sessions in a shared store (Redis, database, signed cookie), then:\n"
                f"# Service in front of {c.name}\nspec:\n  sessionAffinity: None"
            ),
            tradeoff=(
                "A shared session store adds a network hop per "
                "request and a dependency that must be available."
            ),
        )


@register
class HpaTargetTooHigh(Rule):
    """HPA CPU target so high that pods saturate before new ones are ready.

    What it does:
        Flags an HPA whose CPU utilization target is at or above ``hpa_max_target`` (default 0.9, i.e. 90%).

    Why it matters:
        The HPA only adds pods once the average is above the target, and new pods take a minute or more
        to be scheduled, started and ready. At 90%+ there is no headroom for that minute: latency climbs
        and requests time out while the scale-up is in flight.

    Example:
        ```yaml
        metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 95}}
        ```

    Fix:
        ```yaml
        resource: {name: cpu, target: {type: Utilization, averageUtilization: 65}}
        ```

    Trade-offs:
        A lower target runs more pods at steady state (roughly target-old / target-new times the cost).
    """

    code = "SC006"
    name = "hpa-target-too-high"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.threshold("hpa_max_target", 0.9))
        for c in ctx.system.components:
            a = c.autoscaling
            if a is None or a.target_cpu_utilization is None or a.target_cpu_utilization < limit:
                continue
            pct = round(a.target_cpu_utilization * 100)
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` of `{c.name}` targets {pct}% CPU: pods saturate before new ones "
                    "are ready."
                ),
                why=(
                    f"New `{c.name}` pods take a minute or more to "
                    f"become ready; at {pct}% average CPU there is "
                    "no headroom for that minute, so latency climbs and requests time out during scale-up."
                ),
                fix=(
                    "metrics:\n- type: Resource\n  resource: "
                    "{name: cpu, target: {type: Utilization, averageUtilization: 65}}"
                ),
                tradeoff=f"Runs about {pct / 65:.1f}x the pods at steady state.",
            )


@register
class AutoscaledDatastore(Rule):
    """HorizontalPodAutoscaler on a datastore or queue.

    What it does:
        Flags an HPA that targets a component of kind datastore or queue.

    Why it matters:
        Adding replicas of a database or broker by CPU does not add capacity unless the engine clusters
        them: a new Postgres or MongoDB pod starts as an independent, empty instance (or must first copy
        the whole dataset), and scaling in removes members that hold data or partitions.

    Example:
        ```yaml
        kind: HorizontalPodAutoscaler
        spec: {scaleTargetRef: {kind: StatefulSet, name: postgres}, maxReplicas: 5}
        ```

    Fix:
        Remove the HPA; scale the datastore vertically, with read replicas managed by an operator, or use
        a managed service with storage autoscaling.

    Trade-offs:
        Vertical scaling needs a restart (or in-place resize); read replicas serve slightly stale reads.
    """

    code = "SC007"
    name = "autoscaled-datastore"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.autoscaling is None or c.kind not in (Kind.DATASTORE, Kind.QUEUE):
                continue
            file, line = _hpa_source(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"HPA `{_hpa_name(c)}` autoscales {c.kind.value} `{c.name}`"
                    f"{f' ({c.engine})' if c.engine else ''}: new replicas do not add capacity by themselves."
                ),
                why=(
                    f"A new `{c.name}` pod starts as an independent "
                    "or empty member that must first sync data; "
                    "a scale-in removes members that hold data or partitions."
                ),
                fix=(
                    f"# delete HorizontalPodAutoscaler {_hpa_name(c)}; scale {c.name} vertically:\n"
                    "resources:\n  requests: {cpu: '2', memory: 8Gi}\n# or add operator-managed read replicas"
                ),
                tradeoff="Vertical scaling needs a restart; read replicas serve slightly stale reads.",
            )


@register
class SingleWriterReadHeavy(Rule):
    """A single-writer database under read-heavy traffic, with no read replica.

    What it does:
        Flags a datastore with one writer (``replicas: 1``) whose redline.yaml states a ``read_ratio``
        at or above the threshold (``read_heavy_ratio``, default 80%) and no ``read_replicas``. It fires
        only where the read share is stated: redline does not guess a workload's mix.

    Why it matters:
        Every read competes with every write for the one instance's CPU, memory and connections. Reads
        are the part of the load that grows with traffic, and the only way to add capacity for them is
        a bigger machine: a vertical ceiling, and a restart to reach it.

    Example:
        ```yaml
        components:
          db: {kind: datastore, engine: postgres, replicas: 1, read_ratio: 90%}
        ```

    Fix:
        ```yaml
        components:
          db: {kind: datastore, engine: postgres, replicas: 1, read_ratio: 90%, read_replicas: 2}
        ```

    Trade-offs:
        Read replicas cost an instance each and are asynchronously replicated: reads can be stale by the
        replication lag, so read-your-writes paths must stay on the primary.
    """

    code = "SC008"
    name = "single-writer-read-heavy"
    category = Category.SCALABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        limit = float(ctx.thresholds.get("read_heavy_ratio", 0.8))
        for c in ctx.system.components:
            if c.kind is not Kind.DATASTORE or c.read_ratio is None or c.read_ratio < limit:
                continue
            if c.replicas != 1 or (c.read_replicas or 0) > 0:
                continue
            where = c.provenance.get("read_ratio")
            source = where.source if where else c.source
            yield self.finding(
                component=c.name,
                file=source.file,
                line=source.line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` is a single writer serving {c.read_ratio:.0%} reads with no read replica."
                ),
                why=(
                    f"All reads of `{c.name}` compete with its writes on one instance; as traffic grows, "
                    "reads "
                    "grow with it and the only remedy left is a bigger machine and a restart to get there."
                ),
                fix=(
                    "# redline.yaml (and the database's replication setup)\n"
                    f"components:\n  {c.name}:\n    read_replicas: 2"
                ),
                tradeoff=(
                    "One instance per replica; replicas lag the primary, so read-your-writes paths must stay "
                    "on the primary."
                ),
            )
