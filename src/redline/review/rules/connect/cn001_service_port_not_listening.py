"""CN001 service-port-not-listening: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, as_int, loc
from redline.review.rules.connect._shared import _listening, _mentions


@register
class ServicePortNotListening(Rule):
    """What it does:
    Flags a single-port Service whose numeric `targetPort` (or `port`, when `targetPort` is not set) is
    not the one port its pods are known to serve on: their declared `containerPort`s, probe ports and the
    default port of a recognised image (nginx 80, postgres 5432, redis 6379, mysql/mariadb 3306, mongo
    27017, rabbitmq 5672) together name exactly one port, and it is another. Because a container may serve
    ports it does not declare, the rule stays silent for pods known to serve several ports or none, for
    Services with several ports, for hostNetwork pods, and when the number appears in the container's
    command or env (a port set at run time). Named target ports are IN008's.

    Why it matters:
    The Service has endpoints, so it looks healthy in `kubectl get svc` and `kubectl get endpoints`, but
    every connection is forwarded to a port nothing listens on and is refused. Callers see
    `connection refused` or 503s from their proxies; the pods themselves look fine.

    Example:
    Service ports: [{port: 80, targetPort: 8000}]; pod ports: [{containerPort: 8080}]

    Fix:
    ports:
      - {port: 80, targetPort: 8080}   # the port the container listens on

    Unsafe: the Service starts forwarding to another port. The edit sets `targetPort` to the one port the
    pods are known to serve on, only when every pod the Service selects serves on that same port;
    otherwise the fix is advice.

    Trade-offs:
    None. A container may listen on ports it does not declare: declare every port it serves so the
    manifests say what runs.
    """

    code = "CN001"
    name = "service-port-not-listening"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for o in ctx.objects("Service"):
            if not o.selects or o.spec.get("type") == "ExternalName":
                continue
            ports = [p for p in o.spec.get("ports") or [] if isinstance(p, dict)]
            targets = [(p.get("port"), as_int(p.get("targetPort", p.get("port")))) for p in ports]
            if len(targets) != 1 or targets[0][1] is None:
                continue  # named (IN008's); or several ports, which says the pods serve more than declared
            numbers = {n for _, n in targets}
            missing: list[tuple[Component, int]] = []
            for name in o.selects:
                c = ctx.component(name)
                if c is None or not app_containers(c) or c.host_network:
                    continue
                known = _listening(c)
                if known is None or len(known) != 1 or known & numbers:
                    continue
                if any(n is not None and _mentions(c, n) for n in numbers):
                    continue
                missing.append((c, next(iter(known))))
            if not missing:
                continue
            first = missing[0][0]
            shown = ", ".join(f"{port} to {n}" for port, n in targets)
            names = ", ".join(f"`{c.name}` serves only on {n}" for c, n in missing)
            yield self.on(
                ctx,
                first,
                file=o.source.file,
                line=o.source.line,
                message=f"Service `{o.name}` forwards port {shown}, but {names}",
                why=(
                    f"`{o.name}` has endpoints and looks healthy, but every connection to it reaches a "
                    "port nothing listens on and is refused."
                ),
                fix=self._fix(o, missing),
                tradeoff="None. Declare every port a container serves, so the manifests say what runs.",
                evidence=[f"{loc(c.source)} pods of {c.name} serve on {n}" for c, n in missing],
            )

    @staticmethod
    def _fix(o: K8sObject, missing: list[tuple[Component, int]]) -> Fix:
        serves = {n for _, n in missing}
        title = f"forward Service `{o.name}` to the port its pods serve on"
        if len(serves) != 1 or len(missing) != len(o.selects):
            return advice(
                title,
                f"Set targetPort of `{o.name}` to the port its pods listen on; the pods it selects do "
                "not all serve on one known port, so none is picked.",
            )
        port = next(iter(serves))
        return unsafe(
            f"forward to port {port}",
            Edit(doc=object_doc(o), op=Op.SET, path=("spec", "ports", 0, "targetPort"), value=port),
        )
