"""OP001 no-readiness-probe: see the class docstring."""

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
    Unsafe (a probe decides whether a pod gets traffic): a `readinessProbe` on the container that runs the
    component's image, one its engine answers: `pg_isready`, `redis-cli ping`, `mysqladmin ping` or
    `rabbitmq-diagnostics ping` for those engines; `httpGet` only on a path another probe of the container
    already states; otherwise `tcpSocket` on the declared port (or the engine's own port). With no port
    declared and no engine known, advice only: a port or a path would be a guess.

    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 10
      timeoutSeconds: 1
      failureThreshold: 3

    Trade-offs:
    One cheap check per period per pod. An HTTP endpoint must reflect the pod's own ability to serve;
    checking shared dependencies in it takes every pod out of rotation at once when that dependency blips.
    """

    code = "OP001"
    name = "no-readiness-probe"
    category = Category.OPERABILITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

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
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{c.name}` has no readiness probe on any container ({_names(containers)}){via}",
                why=(
                    f"Pods of `{c.name}` receive requests as soon as their process starts and while they are "
                    "wedged: every rollout, scale-up and restart turns into a burst of errors for its "
                    "callers."
                ),
                fix=_fix(c, _main_container(c, containers)),
                tradeoff=(
                    "A cheap check per period per pod; keep the check local (do not probe shared "
                    "dependencies, or one blip empties every endpoint at once)."
                ),
            )


def _fix(c: Component, k: Container) -> Fix:
    probe = k8s_probe(c, k)
    if probe is None:
        return advice(
            f"add a readiness probe to container `{k.name}` of `{c.name}`",
            f"`{k.name}` declares no port and runs no engine redline knows, so any probe would be a guess: "
            "add a readinessProbe on the port (and health path) the process serves.",
        )
    title = f"add a readiness probe ({_probe_text(probe)}) to container `{k.name}` of `{c.name}`"
    return set_fix(c, Safety.UNSAFE, title, container_path(c, k), ("readinessProbe",), probe)
