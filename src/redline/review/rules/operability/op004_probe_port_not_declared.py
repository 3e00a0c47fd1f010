"""OP004 probe-port-not-declared: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, set_fix
from redline.fix.edits import Fix, Safety, advice
from redline.model import Component, Container, Probe
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    as_int,
    where,
)
from redline.review.rules.operability._shared import _HANDLER, _k8s_services


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
    Unsafe (it changes what the probe checks): a named port that resolves nowhere is replaced by the
    container's own port when it declares exactly one (its name, else its number). With several ports, or
    for an undeclared number (the process may listen there, or the probe may be wrong), advice: which port
    is meant is not something redline can tell.

    readinessProbe:
      httpGet: {path: /ready, port: http}  # a name from this container's ports:

    Trade-offs:
    None: it is a typo fix. Prefer named ports so the probe follows the port when it moves.
    """

    code = "OP004"
    name = "probe-port-not-declared"
    category = Category.OPERABILITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

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
                        yield self.on(
                            ctx,
                            c,
                            file=file,
                            line=line,
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
                            fix=_named_fix(c, k, kind, probe),
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
                            fix=advice(
                                f"declare port {number} on container `{k.name}`, or probe a declared port",
                                f"If `{k.name}` listens on {number}, declare it (the example); if it does "
                                f"not, point the {kind} probe at the port it serves ({declared}).",
                                {"ports": [{"containerPort": number}]},
                            ),
                            tradeoff="None: one more declared port.",
                        )


def _named_fix(c: Component, k: Container, kind: str, probe: Probe) -> Fix:
    ports = [p for p in k.ports if (p.protocol or "TCP").upper() == "TCP"]
    title = f"point the {kind} probe of `{k.name}` at a port the container declares"
    if len(ports) != 1:
        return advice(
            title,
            f"`{k.name}` declares {len(ports)} TCP ports, so which one the probe means cannot be told: set "
            f"{kind}Probe.{_HANDLER[probe.type]}.port to it, by a name listed under the container's ports.",
        )
    port = ports[0].name or ports[0].port
    return set_fix(
        c,
        Safety.UNSAFE,
        f"point the {kind} probe of `{k.name}` at its declared port `{port}`",
        container_path(c, k),
        (f"{kind}Probe", _HANDLER[probe.type], "port"),
        port,
    )
