"""OP003 liveness-same-as-readiness: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    loc,
    where,
)
from redline.review.rules.operability._shared import _describe, _k8s_services, _probe_key


@register
class LivenessSameAsReadiness(Rule):
    """What it does:
    Flags a container whose liveness probe is the same check as its readiness probe: same type, port, path
    or command, and the same period, timeout and failure threshold (Kubernetes defaults filled in; the
    initial delay is ignored since it only matters at start-up).

    Why it matters:
    Readiness answers "should this pod get traffic now?", liveness "is this process beyond repair?". When
    they are the same check with the same thresholds, they fail together: a pod that is merely overloaded
    or waiting on a slow dependency is taken out of rotation *and* restarted. The restart drops its
    in-flight work and pushes its load onto the remaining pods, which then fail the same check: an overload
    becomes a rolling restart of the whole Deployment.

    Example:
    readinessProbe and livenessProbe both `httpGet: {path: /health, port: 8080}` with default thresholds.

    Fix:
    livenessProbe:
      httpGet: {path: /livez, port: 8080}   # process-local check, no dependencies
      timeoutSeconds: 5
      failureThreshold: 6                   # more tolerant than readiness

    Trade-offs:
    A more tolerant liveness probe restarts a truly hung process later (here ~60 s instead of ~30 s); a
    separate endpoint is a few lines of application code.
    """

    code = "OP003"
    name = "liveness-same-as-readiness"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if k.liveness is None or k.readiness is None:
                    continue
                if _probe_key(k.liveness) != _probe_key(k.readiness):
                    continue
                file, line = where(k.liveness.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"container `{k.name}` of `{c.name}` uses the same check for liveness and readiness "
                        f"({_describe(k.liveness)}, same thresholds)"
                    ),
                    why=(
                        f"When `{c.name}` is overloaded or a dependency is slow, its pods fail readiness and "
                        "liveness together: they are restarted instead of just rested, their load moves "
                        "to the "
                        "remaining pods, and the overload turns into a rolling restart."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\n"
                        "livenessProbe:\n  httpGet: {path: /livez, port: 8080}  # process-local check\n"
                        "  timeoutSeconds: 5\n  failureThreshold: 6  # more tolerant than readiness"
                    ),
                    tradeoff=(
                        "A hung process is restarted somewhat later; a separate endpoint is a little code."
                    ),
                    evidence=[
                        f"{loc(k.readiness.source, k.source)} readiness {_describe(k.readiness)}",
                        f"{loc(k.liveness.source, k.source)} liveness {_describe(k.liveness)}",
                    ],
                )
