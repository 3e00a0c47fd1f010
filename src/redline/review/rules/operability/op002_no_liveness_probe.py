"""OP002 no-liveness-probe: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, k8s_probe, set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    where,
)
from redline.review.rules.operability._shared import (
    _k8s_services,
    _main_container,
    _names,
    _probe_text,
    _without_http_paths,
)


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
    Unsafe (a liveness probe restarts containers): a `livenessProbe` on the container that runs the
    component's image that checks the process itself: the engine's own command (`pg_isready`,
    `redis-cli ping`, `mysqladmin ping`, `rabbitmq-diagnostics ping`) or `tcpSocket` on the declared port,
    never the readiness endpoint (which may check dependencies), and twice as tolerant as a readiness
    probe (6 failures, 60 s). With no port declared and no engine known, advice only.

    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 10
      timeoutSeconds: 1
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
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            if not containers or any(k.liveness is not None for k in containers):
                continue
            file, line = where(containers[0].source, c.source)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{c.name}` has no liveness probe on any container ({_names(containers)})",
                why=(
                    f"If `{c.name}` hangs without exiting (deadlock, exhausted thread pool), Kubernetes "
                    "keeps it running and it keeps failing its share of the work until someone restarts it "
                    "by hand."
                ),
                fix=_fix(c, _main_container(c, containers)),
                tradeoff=(
                    "A too-strict liveness probe restarts pods that are only slow under load; this one "
                    "allows 60 s of failures, more than readiness does."
                ),
            )


def _fix(c: Component, k: Container) -> Fix:
    probe = k8s_probe(*_without_http_paths(c, k), period_s=10, failure_threshold=6)
    if probe is None:
        return advice(
            f"add a liveness probe to container `{k.name}` of `{c.name}`",
            f"`{k.name}` declares no port and runs no engine redline knows, so any probe would be a guess: "
            "add a livenessProbe that checks the process itself, more tolerant than readiness.",
        )
    title = f"add a liveness probe ({_probe_text(probe)}, 6 failures) to container `{k.name}` of `{c.name}`"
    return set_fix(c, Safety.UNSAFE, title, container_path(c, k), ("livenessProbe",), probe)
