"""CN020 network-policy-blocks-call: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redline.fix.build import doc_of, new_metadata, own_selector, selector_refusal
from redline.fix.edits import Fix, NewObject, Safety, advice, unsafe
from redline.model import Component, Edge, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.network._shared import (
    _NS_NAME,
    _allowed,
    _call_evidence,
    _named,
    _pod,
    _policies,
    _runtime_calls,
    _Target,
    _target,
)


@register
class NetworkPolicyBlocksCall(Rule):
    """What it does:
    Evaluates every runtime call between Kubernetes workloads against the NetworkPolicies in the scan, as
    the network plugin will: the ingress rules of the policies that select the callee and the egress rules
    of the policies that select the caller (policyTypes as stated, or implied). Peers are matched by
    podSelector, namespaceSelector (with the implicit `kubernetes.io/metadata.name` label) and port
    (numeric, ranged or named; the port the caller dials, mapped through the Service's targetPort).
    Reports each call that no rule allows. Undecidable cases (an ipBlock peer, a namespace whose labels
    are unknown, a port that cannot be worked out) are not reported.

    Why it matters:
    A NetworkPolicy is applied without complaint and takes effect at once: the blocked call times out
    (dropped SYNs, no RST), so the caller hangs to its timeout on every request and the error looks like
    a slow or dead callee. A default deny-all policy added "for security" without allow rules for the
    real calls cuts the system apart. Live tools diagnose it after deploy; it is decidable from the files.

    Example:
    NetworkPolicy deny-all: {podSelector: {}, policyTypes: [Ingress]}   # and no policy lets frontend in
    frontend env BACKEND_ADDR=backend:8080

    Fix:
    Unsafe (it adds a NetworkPolicy): a new policy on the blocked side, selecting that workload's own
    pods and allowing exactly this call: from (or to) the other workload's own pod selector (with a
    namespaceSelector when it lives in another namespace), on the port the caller dials when it is
    known. Existing policies are left alone: adding a peer to a deny-all would open every pod it selects.
    When either workload's selector also selects another workload's pods (a label the whole app shares)
    the fix is advice: a policy on it would isolate, or admit, pods it was never meant to.

    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: backend-from-frontend}
    spec:
      podSelector: {matchLabels: {app: backend}}
      policyTypes: [Ingress]
      ingress:
        - from: [{podSelector: {matchLabels: {app: frontend}}}]
          ports: [{port: http, protocol: TCP}]

    Trade-offs:
    Each allow rule widens what a compromised caller can reach; allow exactly the calls the system makes,
    by pod labels and port, and keep them next to the deny-all so they change together.
    """

    code = "CN020"
    name = "network-policy-blocks-call"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for e, a, b in _runtime_calls(ctx):
            target = _target(ctx, e, b)
            ingress = _policies(ctx, b, "Ingress")
            if ingress and _allowed(ctx, ingress, "Ingress", _pod(a), target, b) is False:
                yield self._blocked(ctx, e, a, b, ingress, "ingress", target)
            egress = _policies(ctx, a, "Egress")
            if egress and _allowed(ctx, egress, "Egress", _pod(b), target, b) is False:
                yield self._blocked(ctx, e, a, b, egress, "egress", target)

    def _blocked(
        self,
        ctx: Context,
        e: Edge,
        a: Component,
        b: Component,
        policies: list[K8sObject],
        side: str,
        t: _Target,
    ) -> Finding:
        port = t.number if t.number is not None else t.name
        on = f" on port {port}/{t.protocol}" if port is not None else ""
        who, whom = (b, a) if side == "ingress" else (a, b)
        first = policies[0]
        return self.on(
            ctx,
            a,
            file=first.source.file,
            line=first.source.line,
            message=(
                f"{_named(policies)} blocks {a.name} -> {b.name}{on}: no {side} rule of the "
                f"{'policy' if len(policies) == 1 else 'policies'} selecting `{who.name}` allows "
                f"`{whom.name}`"
            ),
            why=(
                f"Every call from `{a.name}` to `{b.name}` is dropped by the network plugin: "
                f"`{a.name}` waits to its timeout on each request that takes this path, and the failure "
                f"looks like a dead `{b.name}`."
            ),
            fix=self._fix(ctx, a, b, side, t),
            tradeoff=(
                "Each allow rule widens what a compromised caller can reach: allow exactly this call, by "
                "pod labels and port."
            ),
            evidence=_call_evidence(e),
        )

    @staticmethod
    def _fix(ctx: Context, a: Component, b: Component, side: str, t: _Target) -> Fix:
        """A new policy on the isolated side (``b`` for ingress, ``a`` for egress) allowing this call."""
        port = t.number if t.number is not None else t.name
        own, peer = (b, a) if side == "ingress" else (a, b)
        an, bn = a.object_name or a.name, b.object_name or b.name
        on = f" on port {port}/{t.protocol}" if port is not None else " on any port (the port is not known)"
        title = f"let `{an}` reach `{bn}`{on}: a new {side} policy on `{own.object_name or own.name}`"
        doc, own_sel, peer_sel = doc_of(own), own_selector(ctx.system, own), own_selector(ctx.system, peer)
        if doc is None or own_sel is None or peer_sel is None:
            refused = own if own_sel is None or doc is None else peer
            return advice(
                title,
                f"No policy is offered because {selector_refusal(ctx.system, refused)}. Give its pods a "
                f"label no other workload carries, then allow `{an}` -> `{bn}`{on} with a policy that "
                "selects exactly these two workloads' pods.",
            )
        peer_entry: dict[str, Any] = {"podSelector": {"matchLabels": peer_sel}}
        if peer.namespace != own.namespace:
            ns = {"matchLabels": {_NS_NAME: peer.namespace or "default"}}
            peer_entry = {"namespaceSelector": ns, **peer_entry}
        rule: dict[str, Any] = {"from" if side == "ingress" else "to": [peer_entry]}
        if port is not None:
            rule["ports"] = [{"port": port, "protocol": t.protocol}]
        name = f"{bn}-from-{an}" if side == "ingress" else f"{an}-to-{bn}"
        direction = "Ingress" if side == "ingress" else "Egress"
        policy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": new_metadata(name, own),
            "spec": {
                "podSelector": {"matchLabels": own_sel},
                "policyTypes": [direction],
                side: [rule],
            },
        }
        return unsafe(title, creates=(NewObject(beside=doc, file_name=f"{name}.yaml", document=policy),))
