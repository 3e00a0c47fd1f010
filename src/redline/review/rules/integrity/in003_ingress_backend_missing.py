"""IN003 ingress-backend-missing: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import as_int
from redline.review.rules.integrity._shared import _adjusted, _ingress_backends, _objects


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

    Trade-offs:
    None.
    """

    code = "IN003"
    name = "ingress-backend-missing"
    category = Category.INTEGRITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in _objects(ctx, "Ingress"):
            seen: set[tuple[str, str]] = set()
            for name, port in _ingress_backends(o):
                key = (name, str(port))
                if key in seen:
                    continue
                seen.add(key)
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
                        fix="backend:\n  service: {name: <an existing Service>, port: {name: http}}",
                        tradeoff="None.",
                    )
                    continue
                if port is None:
                    continue
                ports = [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
                names = {str(p.get("name")) for p in ports if p.get("name")}
                numbers = {n for p in ports if (n := as_int(p.get("port"))) is not None}
                number = as_int(port)
                if (number is not None and number in numbers) or (number is None and str(port) in names):
                    continue
                if not ports:
                    continue
                declared = ", ".join(sorted(names | {str(n) for n in numbers}))
                first_port = min(numbers, default=80)
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
                    fix=(f"backend:\n  service: {{name: {name}, port: {{number: {first_port}}}}}"),
                    tradeoff="None.",
                )
