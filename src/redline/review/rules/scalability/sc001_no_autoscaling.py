"""SC001 no-autoscaling: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _STATELESS, _scaled_object_targets


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
