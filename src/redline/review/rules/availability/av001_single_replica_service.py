"""AV001 single-replica-service: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _STATELESS, _redundancy_fix, _replicated_platform


@register
class SingleReplicaService(Rule):
    """Single replica of a stateless service that takes traffic.

    What it does:
        Flags a Kubernetes (or redline.yaml) service or gateway that runs one replica — stated, or by the
        API server's default of 1 when ``replicas`` is absent (an HPA minimum of 1 is SC003's) — while
        requests reach it (it is an entry point, something calls it, or a Service selects it). Compose
        services are skipped: a Compose host is itself the failure domain. Components that sit in front of
        most of an entry point's dependencies are reported by AV003 instead.

    Why it matters:
        One pod is one node, one OOM kill, one eviction away from zero. During a node drain or a crash
        every request on that path fails until the scheduler finds a node, pulls the image and the probe
        passes: typically 30 seconds to several minutes of errors.

    Example:
        ```yaml
        kind: Deployment
        metadata: {name: checkout}
        spec:
          template: {spec: {containers: [{name: app, image: checkout:1.4}]}}   # replicas defaults to 1
        ```

    Fix:
        Unsafe (it changes the replica count): set ``spec.replicas: 2`` on the workload, and create a
        PodDisruptionBudget with ``maxUnavailable: 1`` on the workload's own pod selector. The budget is
        left out when that selector also selects another workload's pods (a label shared by the whole app):
        it would govern their drains too. A component described only in redline.yaml gets advice.
        ```yaml
        spec:
          replicas: 2
        ```

    Trade-offs:
        Doubles the service's pod cost; the code must tolerate two instances (no in-memory sessions, no
        singleton background jobs without leader election).
    """

    code = "AV001"
    name = "single-replica-service"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATELESS or not _replicated_platform(c) or c.is_batch:
                continue
            if ctx.is_tooling(c) or ctx.replicas(c) != 1 or not ctx.has_traffic(c):
                continue
            if c.autoscaling is not None or ctx.chokepoint(c.name):
                continue  # SC003 reports an HPA minimum of 1; AV003 tells the bigger story

            base = Severity.HIGH if ctx.is_entrypoint(c.name) else self.severity
            sev = base if ctx.is_entrypoint(c.name) else ctx.severity_for(c, base)
            role = "entry point " if ctx.is_entrypoint(c.name) else ""
            deps = ctx.dependents(c.name)
            eps = ctx.entrypoints_depending_on(c.name)
            reach = (
                f"; {len(eps)} of {len(ctx.entrypoints)} entry points ({', '.join(eps)}) depend on it"
                if eps and not ctx.is_entrypoint(c.name)
                else ""
            )
            callers = f" (called by {ctx.names(deps)})" if deps else ""
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=sev,
                message=f"{role}`{c.name}` runs a single replica{callers}{reach}.",
                why=(
                    f"When the one `{c.name}` pod is evicted, OOM-killed or its node is drained, every "
                    "request that needs it fails until a replacement is scheduled, pulls its image and "
                    "passes readiness — usually 30 s to minutes of errors."
                ),
                fix=_redundancy_fix(ctx, c, 2),
                tradeoff=(
                    "One more pod's CPU and memory (about 2x this service's cost); the service must be "
                    "safe to run twice (no in-memory sessions, no unelected singleton jobs)."
                ),
                evidence=[f"{c.source} workload {c.workload or '?'} replicas={c.replicas}"],
            )
