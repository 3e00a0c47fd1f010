"""OP004 probe-port-not-declared: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    as_int,
    where,
)
from redline.review.rules.operability._shared import _k8s_services


@register
class ProbePortNotDeclared(Rule):
    """What it does:
    Flags a probe whose port is not a port of the pod. A *named* port (`port: http`) that no container of
    the pod declares can never be resolved: the probe always fails. A *numeric* port that no container
    declares is reported at low severity, and only when the pod declares ports at all: declaring a
    containerPort is informational in Kubernetes, so the process may still listen there.

    Why it matters:
    A readiness probe on a port nobody listens on keeps every pod out of the Service forever (a rollout
    that never completes); a liveness probe on it restarts the container in a loop. Both usually come from
    renaming or moving a port in one place and not the other.

    Example:
    ports: [{name: http, containerPort: 8080}] with readinessProbe.httpGet.port: web.

    Fix:
    readinessProbe:
      httpGet: {path: /ready, port: http}  # a name from this container's ports:

    Trade-offs:
    None: it is a typo fix. Prefer named ports so the probe follows the port when it moves.
    """

    code = "OP004"
    name = "probe-port-not-declared"
    category = Category.OPERABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in _k8s_services(ctx):
            containers = app_containers(c)
            pod_ports = [p for k in containers for p in k.ports]
            names = {p.name for p in pod_ports if p.name}
            numbers = {n for p in pod_ports if (n := as_int(p.port)) is not None}
            for k in containers:
                for kind, probe in (
                    ("readiness", k.readiness),
                    ("liveness", k.liveness),
                    ("startup", k.startup),
                ):
                    if probe is None or probe.port is None or probe.type == "exec":
                        continue
                    number = as_int(probe.port)
                    file, line = where(probe.source, k.source, c.source)
                    if number is None:
                        name = str(probe.port)
                        if name in names:
                            continue
                        declared = ", ".join(sorted(names)) or "none"
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=ctx.severity_for(c, self.severity),
                            message=(
                                f"the {kind} probe of container `{k.name}` in `{c.name}` uses port name "
                                f"`{name}`, which no container of the pod declares (named ports: {declared})"
                            ),
                            why=(
                                "Kubernetes cannot resolve the name, so the probe fails every time: "
                                + (
                                    "the pod never becomes ready and never receives traffic."
                                    if kind != "liveness"
                                    else "the container is restarted in a loop."
                                )
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\n{kind}Probe:\n"
                                "  httpGet: {path: /ready, port: http}  # a name declared under ports:"
                            ),
                            tradeoff="None: a typo fix.",
                        )
                    elif numbers and number not in numbers:
                        declared = ", ".join(str(n) for n in sorted(numbers))
                        yield self.finding(
                            component=c.name,
                            file=file,
                            line=line,
                            severity=Severity.LOW,
                            message=(
                                f"the {kind} probe of container `{k.name}` in `{c.name}` checks port "
                                f"{number}, "
                                f"which no container of the pod declares (declared: {declared})"
                            ),
                            why=(
                                "If the process does not listen there the probe always fails; if it does (an "
                                "admin port), the undeclared port is invisible to readers and to Services."
                            ),
                            fix=(
                                f"# {c.name}, container {k.name}\nports:\n"
                                f"  - {{name: health, containerPort: {number}}}\n"
                                f"{kind}Probe:\n  httpGet: {{path: /ready, port: health}}"
                            ),
                            tradeoff="None: one more declared port.",
                        )
