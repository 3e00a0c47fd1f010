"""IN008 service-target-port-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Match, Op, Safety, advice, unsafe
from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, as_int, loc
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
      - {name: http, port: 80, targetPort: web}   # in the Service: the port the pods declare

    Unsafe: the Service starts forwarding to a port it did not reach before. The edit is offered only when
    none of the selected pods declares the name and they all declare one and the same port, so the target
    is not a guess; otherwise it is advice (renaming a pod's port could break the probes that name it).

    Trade-offs:
    None.
    """

    code = "IN008"
    name = "service-target-port-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Service"):
            if not o.selects:
                continue
            pods = [c for name in o.selects if (c := ctx.component(name)) is not None and c.containers]
            if not pods:
                continue
            for i, p in enumerate(o.spec.get("ports") or []):
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
                    fix=self._fix(o, i, p, pods, missing),
                    tradeoff="None.",
                    evidence=[f"{loc(c.source)} pods of {c.name}" for c in pods if c.name in missing],
                )

    @staticmethod
    def _fix(o: K8sObject, i: int, p: dict[str, object], pods: list[Component], missing: list[str]) -> Fix:
        target = str(p.get("targetPort"))
        title = f"forward port {p.get('port')} of Service `{o.name}` to a port its pods declare"
        declared = {(q.name, as_int(q.port)) for c in pods for k in app_containers(c) for q in k.ports}
        if (
            len(missing) != len(pods)
            or len(declared) != 1
            or any(len([q for k in app_containers(c) for q in k.ports]) != 1 for c in pods)
        ):
            return advice(
                title,
                f"Give the container port the Service means the name `{target}` in the pod template of "
                f"{', '.join(f'`{m}`' for m in missing)} (and in any probe that names its old name), or set "
                "targetPort to that port; the pods declare several ports, so none is picked.",
            )
        name, number = next(iter(declared))
        if name is None and number is None:
            return advice(title, f"Set targetPort to the port the pods of `{o.name}` serve on.")
        where = Match(key="name", value=str(p["name"])) if p.get("name") else i
        return unsafe(
            f"forward to port `{name or number}` of the pods",
            Edit(
                doc=object_doc(o),
                op=Op.SET,
                path=("spec", "ports", where, "targetPort"),
                value=name or number,
            ),
        )
