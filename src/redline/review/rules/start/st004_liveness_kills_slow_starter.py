"""ST004 liveness-kills-slow-starter: see the class docstring."""

from __future__ import annotations

import math
from collections.abc import Iterator

from redline.fix.build import container_path, set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container, Probe
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, where
from redline.review.rules.start._shared import _slow_runtime, _start_budget


@register
class LivenessKillsSlowStarter(Rule):
    """What it does:
    Flags a JVM or .NET container (known by its image, a JVM options variable such as `JAVA_OPTS`, or a
    `java`/`dotnet` command) with a liveness probe and no startup probe, whose liveness probe gives up
    before such a service has started: `initialDelaySeconds + failureThreshold x periodSeconds` (Kubernetes
    defaults 0, 3 and 10) under 15 s, under 30 s with a CPU limit below 500m, or under 60 s with a CPU
    limit below 250m, since a CPU limit slows class loading and JIT compilation roughly in proportion.

    Why it matters:
    The kubelet starts probing liveness as soon as the initial delay has passed. A service that needs
    longer to start is killed before it ever listens, restarted, and killed again: `CrashLoopBackOff`
    with nothing in the application log but a start-up that never finished. It often appears only on a
    busy node or after a CPU limit is lowered, so it passes every test on a laptop.

    Example:
    image: eclipse-temurin:21
    resources: {limits: {cpu: 200m}}
    livenessProbe: {httpGet: {path: /actuator/health/liveness, port: 8080}, periodSeconds: 5}

    Fix:
    Unsafe (it changes when a container is restarted): a `startupProbe` that checks what the liveness probe
    checks, as a `tcpSocket` on the liveness probe's port (an HTTP check copied without its scheme and
    headers could fail where the original passes) or the liveness probe's own command, allowing twice the
    start-up time above, and at least two minutes. Liveness only starts once it has passed.

    startupProbe:                       # liveness starts only after this succeeds
      tcpSocket: {port: 8080}
      periodSeconds: 10
      failureThreshold: 12              # up to 2 minutes to start

    Trade-offs:
    A long startup probe delays restarting a process that hangs during start-up; a larger CPU limit costs
    node capacity.
    """

    code = "ST004"
    name = "liveness-kills-slow-starter"
    category = Category.START
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.is_batch:
                continue
            for k in app_containers(c):
                p = k.liveness
                if p is None or k.startup is not None:
                    continue
                why_slow = _slow_runtime(k)
                if why_slow is None:
                    continue
                delay = p.initial_delay_s or 0.0
                period = p.period_s if p.period_s is not None else 10.0
                failures = p.failure_threshold if p.failure_threshold is not None else 3
                budget = delay + failures * period
                cpu = k.resources.cpu_limit if k.resources is not None else None
                need = _start_budget(cpu)
                if budget >= need:
                    continue
                cpu_note = f" under a {cpu * 1000:g}m CPU limit" if cpu is not None and cpu < 0.5 else ""
                file, line = where(p.source, k.source, c.source)
                yield self.on(
                    ctx,
                    c,
                    file=file,
                    line=line,
                    message=(
                        f"container `{k.name}` of `{c.name}` is a JVM/.NET service ({why_slow}) whose "
                        "liveness probe, with no startup probe, kills it if it has not started after "
                        f"{budget:g} s "
                        f"(initialDelaySeconds {delay:g} + failureThreshold {failures} x periodSeconds "
                        f"{period:g}){cpu_note}; such services need {need:g} s or more"
                    ),
                    why=(
                        f"`{c.name}` is killed before it finishes starting, restarted and killed again: "
                        "CrashLoopBackOff, typically on a busy node or after the CPU limit was lowered."
                    ),
                    fix=_fix(c, k, p, need),
                    tradeoff=(
                        "A hang during start-up is noticed later; a larger CPU limit costs node capacity."
                    ),
                )


#: A startup probe's period, and the least start-up time it allows (a fix may be generous here: it only
#: delays noticing a process that hangs while starting).
_STARTUP_PERIOD_S = 10
_STARTUP_MIN_S = 120


def _fix(c: Component, k: Container, liveness: Probe, need: float) -> Fix:
    title = f"give container `{k.name}` of `{c.name}` a startup probe"
    if liveness.type == "exec" and liveness.command:
        handler: dict[str, object] = {"exec": {"command": list(liveness.command)}}
    elif liveness.port is not None:
        handler = {"tcpSocket": {"port": liveness.port}}
    else:
        return advice(
            title,
            "The liveness probe names no port or command to reuse: add a startupProbe that "
            "checks what it checks, allowing two minutes or more to start.",
        )
    window = max(_STARTUP_MIN_S, 2 * need)
    failures = math.ceil(window / _STARTUP_PERIOD_S)
    probe = {**handler, "periodSeconds": _STARTUP_PERIOD_S, "failureThreshold": failures}
    return set_fix(
        c,
        Safety.UNSAFE,
        f"{title} that allows {failures * _STARTUP_PERIOD_S} s to start before liveness applies",
        container_path(c, k),
        ("startupProbe",),
        probe,
    )
