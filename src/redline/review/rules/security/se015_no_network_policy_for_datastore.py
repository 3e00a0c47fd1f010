"""SE015 no-network-policy-for-datastore: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redline.fix.build import (
    caller_selectors,
    doc_of,
    new_metadata,
    own_selector,
    selector_refusal,
)
from redline.fix.edits import Fix, NewObject, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, is_datastore, where


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
    Unsafe: a new NetworkPolicy beside each datastore's manifest, selecting the datastore's own pods
    (its workload selector, refused when that also selects another workload's pods) and admitting only
    the pods of its callers in the graph (their own selectors) on the ports it declares. A caller the
    scan did not see loses access, so the edit needs `--unsafe-fixes`. Advice when the datastore's
    selector is shared, when a caller is unknown, outside the namespace or not selectable exactly: a
    policy naming the wrong pods is an outage.

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: redis-ingress}
    spec:
      podSelector: {matchLabels: {app: redis}}
      policyTypes: [Ingress]
      ingress:
        - from: [{podSelector: {matchLabels: {app: api}}}]
          ports: [{protocol: TCP, port: 6379}]

    Trade-offs:
    Policies must follow the call graph as it changes (a missing allow rule is an outage), and only take
    effect with a CNI that enforces them (Calico, Cilium, GKE Dataplane V2...).
    """

    code = "SE015"
    name = "no-network-policy-for-datastore"
    category = Category.SECURITY
    severity = Severity.MEDIUM
    fix_safety = Safety.UNSAFE

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
                    fix=_fix(ctx, stores),
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
                    fix=_fix(ctx, [c]),
                    tradeoff="The policy must follow the call graph as it changes.",
                )


# Why a policy cannot be written for a datastore without guessing (what to do instead).
_NO_DOC = "not read from a manifest redline can write beside"
_CALLERS = (
    "the callers are unknown, in another namespace, or have no selector of their own: list the callers' "
    "pod labels (and namespaces) in the policy's `from` by hand"
)


def _fix(ctx: Context, stores: list[Component]) -> Fix:
    """A NetworkPolicy for each datastore that can be written exactly; advice for the rest, or for all."""
    creates: list[NewObject] = []
    left: dict[str, list[str]] = {}
    for c in stores:
        made = _policy(ctx, c)
        if isinstance(made, NewObject):
            creates.append(made)
        else:
            left.setdefault(made, []).append(f"`{c.name}`")
    names = ", ".join(f"`{c.name}`" for c in stores)
    title = f"admit only the callers of {names}"
    why = "; ".join(f"{', '.join(who)}: {reason}" for reason, who in left.items())
    if not creates:
        return advice(title, f"No policy is written for {why}.")
    if left:
        title = f"{title} (no policy for {why})"
    return unsafe(title, creates=tuple(creates))


def _policy(ctx: Context, c: Component) -> NewObject | str:
    """The NetworkPolicy admitting only ``c``'s callers, or why it cannot be written without guessing."""
    doc, own = doc_of(c), own_selector(ctx.system, c)
    if doc is None or c.object_name is None:
        return _NO_DOC
    if own is None:
        return selector_refusal(ctx.system, c)
    callers = caller_selectors(ctx.system, c)
    if callers is None:
        return _CALLERS
    rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": sel}} for sel in callers]}
    ports = sorted(
        {p.port for k in app_containers(c) for p in k.ports if (p.protocol or "TCP").upper() == "TCP"},
        key=str,
    )
    if ports:
        rule["ports"] = [{"protocol": "TCP", "port": port} for port in ports]
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": new_metadata(f"{c.object_name}-ingress", c),
        "spec": {"podSelector": {"matchLabels": own}, "policyTypes": ["Ingress"], "ingress": [rule]},
    }
    return NewObject(beside=doc, file_name=f"{c.object_name}-networkpolicy.yaml", document=policy)
