"""SC005 sticky-sessions: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.scalability._shared import _sticky_ingress


@register
class StickySessions(Rule):
    """Sticky sessions: a sign the service keeps per-user state in memory.

    What it does:
        Flags a workload behind a Service with ``sessionAffinity: ClientIP``, or behind an Ingress whose
        annotations turn on cookie affinity (ingress-nginx, Traefik, HAProxy, AWS ALB stickiness).

    Why it matters:
        Affinity usually exists because the pod holds session state in memory. Scaling out does not
        rebalance existing users, a scale-in or crash logs users out or loses their carts, and
        ``ClientIP`` affinity behind a NAT or proxy pins a whole office to one pod.

    Example:
        ```yaml
        kind: Service
        spec: {sessionAffinity: ClientIP, selector: {app: web}}
        ```

    Fix:
        Move session state to a shared store (Redis, the database, or a signed cookie), then drop the
        affinity:
        ```yaml
        spec:
          sessionAffinity: None
        ```

    Trade-offs:
        A shared session store adds a network hop per request and a dependency that must itself be
        available.
    """

    code = "SC005"
    name = "sticky-sessions"
    category = Category.SCALABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        services = ctx.objects("Service")
        seen: set[tuple[str, str]] = set()
        for svc in services:
            if str(svc.spec.get("sessionAffinity", "")).lower() != "clientip":
                continue
            for name in svc.selects:
                c = ctx.component(name)
                if c is None or (c.name, svc.name) in seen:
                    continue
                seen.add((c.name, svc.name))
                yield self._finding(ctx, c, f"Service `{svc.name}` sets sessionAffinity: ClientIP", svc)
        by_name = {s.name: s for s in services}
        for ing in ctx.objects("Ingress"):
            why = _sticky_ingress(ing)
            if why is None:
                continue
            for ref in ing.refs:
                backend = by_name.get(ref)
                for name in backend.selects if backend else []:
                    c = ctx.component(name)
                    if c is None or (c.name, ing.name) in seen:
                        continue
                    seen.add((c.name, ing.name))
                    yield self._finding(ctx, c, f"Ingress `{ing.name}` sets {why}", ing)

    def _finding(self, ctx: Context, c: Component, how: str, obj: K8sObject) -> Finding:
        return self.finding(
            component=c.name,
            file=obj.source.file,
            line=obj.source.line,
            severity=ctx.severity_for(c, self.severity),
            message=f"{how}, pinning each client to one `{c.name}` pod.",
            why=(
                f"Affinity usually means `{c.name}` keeps session state in memory: a scale-in or crash loses "
                "those sessions, new replicas do not take over existing users, and clients behind one NAT "
                "all land on one pod."
            ),
            fix=(
                "# keep sessions in a shared store (Redis, database, signed cookie), then:\n"
                f"# Service in front of {c.name}\nspec:\n  sessionAffinity: None"
            ),
            tradeoff=(
                "A shared session store adds a network hop per "
                "request and a dependency that must be available."
            ),
        )
