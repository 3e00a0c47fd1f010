"""OP002 no-liveness-probe: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    where,
)
from redline.review.rules.operability._shared import _k8s_services, _names


@register
class NoLivenessProbe(Rule):
    """What it does:
    Flags a long-running Kubernetes workload with no liveness probe on any container. Batch jobs and init
    containers are out of scope.

    Why it matters:
    A process that deadlocks, spins or leaks into unresponsiveness without exiting is never restarted: the
    container keeps running, Kubernetes sees it as healthy, and it keeps its share of traffic (or its
    work queue) until a human notices. A liveness probe turns "hung" into "restarted".

    Example:
    A Deployment `worker` whose only container has neither `livenessProbe` nor `startupProbe`.

    Fix:
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 10
      timeoutSeconds: 3
      failureThreshold: 6

    Trade-offs:
    A liveness probe that is too strict restarts pods that are merely slow under load and makes an overload
    worse; make it more tolerant than the readiness probe (longer timeout, more failures) and add a
    startupProbe for slow starters.
    """

    code = "OP002"
    name = "no-liveness-probe"
    category = Category.OPERABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.liveness is not None for k in containers):
                continue
            file, line = where(containers[0].source, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` has no liveness probe on any container ({_names(containers)})",
                why=(
                    f"If `{c.name}` hangs without exiting (deadlock, exhausted thread pool), Kubernetes "
                    "keeps it "
                    "running and it keeps failing its share of the work until someone restarts it by hand."
                ),
                fix=(
                    f"# {c.name}, container {containers[0].name}\n"
                    "livenessProbe:\n  httpGet: {path: /healthz, port: 8080}\n  periodSeconds: 10\n"
                    "  timeoutSeconds: 3\n  failureThreshold: 6"
                ),
                tradeoff=(
                    "A too-strict liveness probe restarts pods that are only slow under load; keep it more "
                    "tolerant than readiness."
                ),
            )
