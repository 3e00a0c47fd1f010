"""OP001 no-readiness-probe: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    where,
)
from redline.review.rules.operability._shared import (
    _k8s_services,
    _names,
    _receives_traffic,
    _selected_by_service,
)


@register
class NoReadinessProbe(Rule):
    """What it does:
    Flags a long-running Kubernetes workload that receives traffic (a Service selects it, something calls
    it, or it is exposed) and has no readiness probe on any of its containers. Batch jobs, workloads
    nothing sends requests to, and init containers are out of scope.

    Why it matters:
    Without a readiness probe a pod joins the Service's endpoints the moment its container starts, before
    it has opened connections, warmed caches or loaded config. Every rollout, scale-up and restart then
    sends real requests to a pod that cannot answer them; callers see connection refused or 5xx bursts
    exactly when the system is already changing. The pod also stays in rotation while it is wedged.

    Example:
    A Deployment `payments` with one container `server` and no `readinessProbe`, selected by Service
    `payments`: each deploy produces a few seconds of failed payments.

    Fix:
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 5
      failureThreshold: 3

    Trade-offs:
    One cheap request per period per pod. The endpoint must reflect the pod's own ability to serve;
    checking shared dependencies in it takes every pod out of rotation at once when that dependency blips.
    """

    code = "OP001"
    name = "no-readiness-probe"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.readiness is not None for k in containers):
                continue
            if not _receives_traffic(ctx, c):
                continue
            services = _selected_by_service(ctx, c)
            via = f" although Service `{services[0]}` routes to it" if services else ""
            file, line = where(containers[0].source, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` has no readiness probe on any container ({_names(containers)}){via}",
                why=(
                    f"Pods of `{c.name}` receive requests as soon as their process starts and while they are "
                    "wedged: every rollout, scale-up and restart turns into a burst of errors for its "
                    "callers."
                ),
                fix=(
                    f"# {c.name}, container {containers[0].name}\n"
                    "readinessProbe:\n  httpGet: {path: /ready, port: 8080}\n  periodSeconds: 5\n"
                    "  failureThreshold: 3"
                ),
                tradeoff=(
                    "A cheap request per period per pod; keep the check local (do not probe shared "
                    "dependencies, or one blip empties every endpoint at once)."
                ),
            )
