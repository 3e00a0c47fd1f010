"""CN020 network-policy-blocks-call: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component, Edge, K8sObject
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.network._shared import (
    _allowed,
    _call_evidence,
    _labels,
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
    spec:
      podSelector: {matchLabels: {app: backend}}
      ingress:
        - from: [{podSelector: {matchLabels: {app: frontend}}}]
          ports: [{port: 8080, protocol: TCP}]

    Trade-offs:
    Each allow rule widens what a compromised caller can reach; allow exactly the calls the system makes,
    by pod labels and port, and keep them next to the deny-all so they change together.
    """

    code = "CN020"
    name = "network-policy-blocks-call"
    category = Category.CONNECT
    severity = Severity.HIGH

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
        if side == "ingress":
            rule = (
                f"# NetworkPolicy {first.name}: let {a.name} in\nspec:\n  ingress:\n    - from:\n"
                f"        - podSelector: {{matchLabels: {_labels(a)}}}\n"
                + (f"      ports: [{{port: {port}, protocol: {t.protocol}}}]" if port is not None else "")
            )
        else:
            rule = (
                f"# NetworkPolicy {first.name}: let {a.name} out to {b.name}\nspec:\n  egress:\n    - to:\n"
                f"        - podSelector: {{matchLabels: {_labels(b)}}}\n"
                + (f"      ports: [{{port: {port}, protocol: {t.protocol}}}]" if port is not None else "")
            )
        return self.finding(
            component=a.name,
            file=first.source.file,
            line=first.source.line,
            severity=ctx.severity_for(a, self.severity),
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
            fix=rule.rstrip(),
            tradeoff=(
                "Each allow rule widens what a compromised caller can reach: allow exactly this call, by "
                "pod labels and port."
            ),
            evidence=_call_evidence(e),
        )
