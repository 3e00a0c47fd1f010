"""SE015 no-network-policy-for-datastore: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import (
    app_containers,
    is_datastore,
    where,
)


@register
class NoNetworkPolicyForDatastore(Rule):
    """What it does:
    Flags a Kubernetes namespace that holds datastores, caches or queues and has no NetworkPolicy at all
    (one finding per namespace), and, where NetworkPolicies exist, a datastore that none of them selects.
    Only objects the scan saw count: policies applied from elsewhere are invisible to it.

    Why it matters:
    Without a NetworkPolicy every pod in the cluster can connect to the datastore: one compromised or
    buggy workload anywhere (a log shipper, a demo app, another team's service) can read or wipe it. A
    policy admitting only the services that use it turns "anything" into "its callers".

    Example:
    A namespace with Deployments `api` and `redis` and no `kind: NetworkPolicy`.

    Fix:
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: redis}
    spec:
      podSelector: {matchLabels: {app: redis}}
      policyTypes: [Ingress]
      ingress:
        - from: [{podSelector: {matchLabels: {app: api}}}]
          ports: [{port: 6379}]

    Trade-offs:
    Policies must follow the call graph as it changes (a missing allow rule is an outage), and only take
    effect with a CNI that enforces them (Calico, Cilium, GKE Dataplane V2...).
    """

    code = "SE015"
    name = "no-network-policy-for-datastore"
    category = Category.SECURITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        by_ns: dict[str, list[Component]] = {}
        for c in ctx.system.components:
            if c.platform == "kubernetes" and is_datastore(c) and c.containers:
                by_ns.setdefault(c.namespace or "default", []).append(c)
        policies = ctx.objects("NetworkPolicy")
        for ns, stores in sorted(by_ns.items()):
            in_ns = [p for p in policies if p.namespace == ns]
            if not in_ns:
                names = ", ".join(f"`{c.name}`" for c in stores)
                file, line = where(stores[0].source)
                yield self.finding(
                    component=stores[0].name if len(stores) == 1 else None,
                    file=file,
                    line=line,
                    message=(
                        f"namespace `{ns}` holds {names} and no NetworkPolicy: any pod in the cluster "
                        f"can connect to {'them' if len(stores) > 1 else 'it'}"
                    ),
                    why=(
                        "One compromised or buggy workload anywhere in the cluster can read or wipe these "
                        "datastores; nothing limits them to their callers."
                    ),
                    fix=self._fix(ctx, stores[0]),
                    tradeoff=(
                        "Policies must follow the call graph as it changes, and need a CNI that enforces "
                        "them."
                    ),
                )
                continue
            for c in stores:
                if any(p.namespace == ns for p in ctx.objects_selecting(c.name, "NetworkPolicy")):
                    continue
                file, line = where(c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"no NetworkPolicy in namespace `{ns}` selects `{c.name}`: any pod can connect to it"
                    ),
                    why=(
                        f"Other pods are restricted but `{c.name}` is not: any workload in the cluster can "
                        "read or "
                        "wipe it."
                    ),
                    fix=self._fix(ctx, c),
                    tradeoff="The policy must follow the call graph as it changes.",
                )

    @staticmethod
    def _fix(ctx: Context, c: Component) -> str:
        label = next(iter(sorted(c.labels.items())), ("app", c.name))
        callers = sorted({e.from_ for e in ctx.system.calls_to(c.name) if not e.startup_only})
        port = next((p.port for k in app_containers(c) for p in k.ports), "<port>")
        sources = (
            "".join(
                f"\n        - podSelector: {{matchLabels: {{app: {caller.rsplit('/', 1)[-1]}}}}}"
                for caller in callers[:3]
            )
            or "\n        - podSelector: {matchLabels: {app: <caller>}}"
        )
        return (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: {c.name.rsplit('/', 1)[-1]}}}\nspec:\n"
            f"  podSelector: {{matchLabels: {{{label[0]}: {label[1]}}}}}\n  policyTypes: [Ingress]\n"
            f"  ingress:\n    - from:{sources}\n      ports: [{{port: {port}}}]"
        )
