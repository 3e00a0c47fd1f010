"""IN003 ingress-backend-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import as_int
from redline.review.rules.integrity._shared import (
    _adjusted,
    _Backend,
    _ingress_backends,
    _norm,
    _objects,
    _partial_scan,
)


@register
class IngressBackendMissing(Rule):
    """What it does:
    Flags an Ingress that routes to a Service not defined in its namespace, or to a port that Service does
    not have (by name or number).

    Why it matters:
    The ingress controller accepts the rule and answers every request on that path with 503 (or its
    default backend's 404). It usually follows a Service rename or a port rename.

    Example:
    backend: {service: {name: web, port: {name: http}}}   # the Service is `frontend`, port `http`

    Fix:
    backend:
      service: {name: frontend, port: {name: http}}

    Unsafe: the route starts reaching a Service it did not reach before. The edit is offered only when
    the files name the target without a guess: the one Service of the namespace named like the missing
    one (separators and case aside) that has the port, or the one port of a single-port Service;
    otherwise the fix is advice naming the Services or ports there are.

    Trade-offs:
    None.
    """

    code = "IN003"
    name = "ingress-backend-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Ingress"):
            groups: dict[tuple[str, str], list[_Backend]] = {}
            for b in _ingress_backends(o):
                groups.setdefault((b.service, str(b.port)), []).append(b)
            for backends in groups.values():
                name, port = backends[0].service, backends[0].port
                svc = ctx.object_named("Service", o.namespace, name)
                if svc is None:
                    severity, note = _adjusted(ctx, self.severity)
                    yield self.finding(
                        component=None,
                        file=o.source.file,
                        line=o.source.line,
                        severity=severity,
                        message=(
                            f"Ingress `{o.name}` routes to Service `{name}`, which is not defined in "
                            "namespace "
                            f"`{o.namespace}`{note}"
                        ),
                        why=(
                            f"Every request `{o.name}` routes to `{name}` gets a 503 from the ingress "
                            "controller."
                        ),
                        fix=self._service_fix(ctx, o, backends),
                        tradeoff="None.",
                    )
                    continue
                if port is None:
                    continue
                ports = _ports(svc)
                if _has_port(ports, port) or not ports:
                    continue
                names = {str(p.get("name")) for p in ports if p.get("name")}
                numbers = {n for p in ports if (n := as_int(p.get("port"))) is not None}
                declared = ", ".join(sorted(names | {str(n) for n in numbers}))
                yield self.finding(
                    component=None,
                    file=o.source.file,
                    line=o.source.line,
                    message=(
                        f"Ingress `{o.name}` routes to port `{port}` of Service `{name}`, which has no "
                        "such port "
                        f"(ports: {declared})"
                    ),
                    why=f"Every request `{o.name}` routes there gets a 503 from the ingress controller.",
                    fix=self._port_fix(o, svc, backends, declared),
                    tradeoff="None.",
                )

    @staticmethod
    def _service_fix(ctx: Context, o: K8sObject, backends: list[_Backend]) -> Fix:
        name, port = backends[0].service, backends[0].port
        title = f"route Ingress `{o.name}` to an existing Service instead of `{name}`"
        services = sorted(s.name for s in ctx.objects("Service") if s.namespace == o.namespace)
        note = _partial_scan(ctx)
        if note is not None:
            return advice(title, f"Name the Service this route is for; {note}.")
        alike = [
            s for s in ctx.objects("Service") if s.namespace == o.namespace and _norm(s.name) == _norm(name)
        ]
        if len(alike) != 1 or (port is not None and not _has_port(_ports(alike[0]), port)):
            shown = ", ".join(f"`{s}`" for s in services[:8]) or "none"
            return advice(
                title,
                f"Name the Service this route is for (Services in namespace `{o.namespace}`: {shown}), "
                f"or deploy `{name}`; none is named like it, so none is picked.",
            )
        target = alike[0].name
        edits = [
            Edit(
                doc=object_doc(o),
                op=Op.SET,
                path=(*b.path, "service", "name") if b.v1 else (*b.path, "serviceName"),
                value=target,
            )
            for b in backends
        ]
        return unsafe(f"route to Service `{target}`", *edits)

    @staticmethod
    def _port_fix(o: K8sObject, svc: K8sObject, backends: list[_Backend], declared: str) -> Fix:
        title = f"route Ingress `{o.name}` to a port Service `{svc.name}` has"
        ports = _ports(svc)
        if len(ports) != 1:
            return advice(
                title, f"Name the port of `{svc.name}` this route is for ({declared}); it has several."
            )
        only = ports[0]
        number = as_int(only.get("port"))
        named = str(only["name"]) if only.get("name") else None
        if named is None and number is None:
            return advice(title, f"Name the port of `{svc.name}` this route is for ({declared}).")
        edits = [
            Edit(
                doc=object_doc(o),
                op=Op.SET,
                path=(*b.path, "service", "port") if b.v1 else (*b.path, "servicePort"),
                value=({"name": named} if named else {"number": number}) if b.v1 else (named or number),
            )
            for b in backends
        ]
        return unsafe(f"route to port `{named or number}` of Service `{svc.name}`", *edits)


def _ports(svc: K8sObject) -> list[dict[str, object]]:
    return [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]


def _has_port(ports: list[dict[str, object]], port: object) -> bool:
    """Whether a Service with ``ports`` has ``port``: by number when it is one, else by name."""
    number = as_int(port)
    if number is not None:
        return any(as_int(p.get("port")) == number for p in ports)
    return any(str(p.get("name")) == str(port) for p in ports if p.get("name"))
