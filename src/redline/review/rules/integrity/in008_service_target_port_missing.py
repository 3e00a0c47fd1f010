"""IN008 service-target-port-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import as_int, loc
from redline.review.rules.integrity._shared import _objects, _pod_ports


@register
class ServiceTargetPortMissing(Rule):
    """What it does:
    Flags a Service port whose *named* `targetPort` is declared by none of the pods the Service selects.
    Numeric target ports are not checked: declaring a containerPort is optional in Kubernetes, so a
    number missing from `ports:` proves nothing.

    Why it matters:
    A named targetPort is resolved per pod; a pod without that port name gets no endpoint for it. The
    Service has pods, so it looks healthy in `kubectl get svc`, yet every connection to that port fails.

    Example:
    Service ports: [{port: 80, targetPort: http}]; pod ports: [{name: web, containerPort: 8080}]

    Fix:
    ports:
      - {name: http, containerPort: 8080}   # in the pod template: the name the Service uses

    Trade-offs:
    None.
    """

    code = "IN008"
    name = "service-target-port-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Service"):
            if not o.selects:
                continue
            pods = [c for name in o.selects if (c := ctx.component(name)) is not None and c.containers]
            if not pods:
                continue
            for p in o.spec.get("ports") or []:
                if not isinstance(p, dict):
                    continue
                target = p.get("targetPort")
                if target is None or as_int(target) is not None:
                    continue
                missing = [c.name for c in pods if str(target) not in _pod_ports(c)[0]]
                if not missing:
                    continue
                declared = sorted({n for c in pods for n in _pod_ports(c)[0]})
                verb = "declare" if len(missing) > 1 else "declares"
                yield self.finding(
                    component=missing[0],
                    file=o.source.file,
                    line=o.source.line,
                    severity=ctx.severity_for(ctx.component(missing[0]), self.severity),
                    message=(
                        f"Service `{o.name}` sends port {p.get('port')} to targetPort `{target}`, but "
                        f"{', '.join(f'`{m}`' for m in missing)} {verb} no port named `{target}` "
                        f"(named ports: {', '.join(declared) or 'none'})"
                    ),
                    why=(
                        f"Connections to `{o.name}:{p.get('port')}` find no endpoint on those pods and "
                        "fail, while "
                        "the Service looks healthy."
                    ),
                    fix=(
                        f"# pod template of {missing[0]}\nports:\n  - {{name: {target}, containerPort: "
                        "<port>}}"
                    ),
                    tradeoff="None.",
                    evidence=[f"{loc(c.source)} pods of {c.name}" for c in pods if c.name in missing],
                )
