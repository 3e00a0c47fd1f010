"""SC001 no-autoscaling: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, new_metadata
from redline.fix.edits import Fix, NewObject, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import (
    _STATELESS,
    _raised_max,
    _scaled_object_targets,
    _without_cpu_request,
)

#: The HPA's CPU target: room for a minute of growth while new pods start (SC006 flags 90% and above).
_CPU_70 = {"type": "Utilization", "averageUtilization": 70}


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
        Unsafe (the replica count then moves with load): create an HPA beside the workload, its minimum
        the current replica count (at least 2, never fewer than run today) and its maximum four times
        that; cap the maximum where downstream capacity (database connections) runs out. When a
        container has no CPU request the fix is advice: a CPU-based HPA would not scale (SC004), and the
        request's size is the owner's to state.
        ```yaml
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: api}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
          minReplicas: 2
          maxReplicas: 8
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
    fix_safety = Safety.UNSAFE

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
                fix=self._fix(ctx, c, n),
                tradeoff=(
                    "Needs CPU requests, a metrics server and cluster headroom; scale-up takes a minute or "
                    "more and does not absorb instant spikes."
                ),
            )

    @staticmethod
    def _fix(ctx: Context, c: Component, n: int | None) -> Fix:
        name = c.object_name or c.name
        doc, missing = doc_of(c), _without_cpu_request(ctx, c)
        lo = max(n or 1, 2)
        title = f"autoscale `{name}` on CPU from {lo} to {_raised_max(lo)} replicas"
        if doc is None or missing:
            why = (
                f"container(s) {', '.join(f'`{m}`' for m in missing)} have no CPU request, so a CPU-based "
                "HPA would not scale; set requests from observed usage first"
                if missing
                else f"`{name}` has no manifest to write beside"
            )
            return advice(title, f"No HPA is offered because {why}.")
        hpa = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": new_metadata(name, c),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": c.workload, "name": name},
                "minReplicas": lo,
                "maxReplicas": _raised_max(lo),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        }
        return unsafe(title, creates=(NewObject(beside=doc, file_name=f"{name}-hpa.yaml", document=hpa),))
