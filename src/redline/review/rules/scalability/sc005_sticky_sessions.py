"""SC005 sticky-sessions: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Fix, advice
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
        Advice only: move session state to a shared store (Redis, the database, or a signed cookie), then
        drop the affinity. Dropping it first logs users out on every request that lands on another pod, so
        no edit is offered.
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
                yield self._finding(ctx, c, "sessionAffinity: ClientIP", svc)
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
                    yield self._finding(ctx, c, why, ing)

    def _finding(self, ctx: Context, c: Component, setting: str, obj: K8sObject) -> Finding:
        how = f"{obj.kind} `{obj.name}` sets {setting}"
        return self.on(
            ctx,
            c,
            file=obj.source.file,
            line=obj.source.line,
            message=f"{how}, pinning each client to one `{c.name}` pod.",
            why=(
                f"Affinity usually means `{c.name}` keeps session state in memory: a scale-in or crash loses "
                "those sessions, new replicas do not take over existing users, and clients behind one NAT "
                "all land on one pod."
            ),
            fix=self._advice(c, obj, setting),
            tradeoff=(
                "A shared session store adds a network hop per "
                "request and a dependency that must be available."
            ),
        )

    @staticmethod
    def _advice(c: Component, obj: K8sObject, setting: str) -> Fix:
        name = c.object_name or c.name
        drop = {"spec": {"sessionAffinity": "None"}} if obj.kind == "Service" else None
        return advice(
            f"keep `{name}`'s sessions in a shared store, then drop the affinity on {obj.kind} `{obj.name}`",
            f"Move the session state `{name}` keeps in memory to a shared store (Redis, the database, or a "
            f"signed cookie); then remove `{setting}` from {obj.kind} `{obj.name}`. No edit is offered: "
            "dropping the affinity first loses every session that lands on another pod.",
            example=drop,
        )
