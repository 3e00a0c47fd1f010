"""OP003 liveness-same-as-readiness: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, set_fix
from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    loc,
    where,
)
from redline.review.rules.operability._shared import (
    _PROBE_DEFAULTS,
    _describe,
    _k8s_services,
    _probe_key,
)


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
    Unsafe (it changes when containers are restarted): the liveness probe's `failureThreshold` set to
    twice the readiness probe's, so an overloaded pod is rested well before it is restarted. Better
    still, point liveness at a process-local endpoint; redline does not invent its path.

    livenessProbe:
      httpGet: {path: /health, port: 8080}
      failureThreshold: 6                   # readiness: 3

    Trade-offs:
    A more tolerant liveness probe restarts a truly hung process later (here ~60 s instead of ~30 s); a
    separate endpoint is a few lines of application code.
    """

    code = "OP003"
    name = "liveness-same-as-readiness"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            for k in app_containers(c):
                if k.liveness is None or k.readiness is None:
                    continue
                if _probe_key(k.liveness) != _probe_key(k.readiness):
                    continue
                file, line = where(k.liveness.source, k.source, c.source)
                failures = k.readiness.failure_threshold or int(_PROBE_DEFAULTS["failure_threshold"])
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"container `{k.name}` of `{c.name}` uses the same check for liveness and readiness "
                        f"({_describe(k.liveness)}, same thresholds)"
                    ),
                    why=(
                        f"When `{c.name}` is overloaded or a dependency is slow, its pods fail readiness and "
                        "liveness together: they are restarted instead of just rested, their load moves "
                        "to the remaining pods, and the overload turns into a rolling restart."
                    ),
                    fix=set_fix(
                        c,
                        Safety.UNSAFE,
                        f"let the liveness probe of `{k.name}` fail {2 * failures} times before a restart "
                        f"(readiness: {failures})",
                        container_path(c, k),
                        ("livenessProbe", "failureThreshold"),
                        2 * failures,
                    ),
                    tradeoff=(
                        "A hung process is restarted later (twice the readiness probe's failure window); a "
                        "process-local liveness endpoint is a little application code."
                    ),
                    evidence=[
                        f"{loc(k.readiness.source, k.source)} readiness {_describe(k.readiness)}",
                        f"{loc(k.liveness.source, k.source)} liveness {_describe(k.liveness)}",
                    ],
                )
