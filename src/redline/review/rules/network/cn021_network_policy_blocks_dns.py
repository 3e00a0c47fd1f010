"""CN021 network-policy-blocks-dns: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import object_doc
from redline.fix.edits import Edit, Op, Safety, unsafe
from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.network._shared import (
    _KUBE_DNS,
    _NS_NAME,
    _allowed,
    _call_evidence,
    _named,
    _Pod,
    _policies,
    _runtime_calls,
    _Target,
)


@register
class NetworkPolicyBlocksDns(Rule):
    """What it does:
    Flags a Kubernetes workload that calls other services by name while the policies isolating its egress
    allow no DNS: no egress rule lets it reach the cluster DNS pods (`k8s-app: kube-dns` in `kube-system`)
    on UDP port 53.

    Why it matters:
    Every name lookup times out (five seconds per attempt, by default twice per search domain), so every
    call fails before a connection is even tried, even the calls the policy allows. The pod's logs show
    "temporary failure in name resolution", which sends people to debug DNS, not the policy.

    Example:
    NetworkPolicy: {podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress],
                    egress: [{to: [{podSelector: {matchLabels: {app: backend}}}]}]}

    Fix:
    Unsafe (it changes a NetworkPolicy): add one egress rule to the first policy that isolates the
    workload's egress, allowing port 53 (UDP and TCP) to the kube-dns pods in kube-system. It only
    allows traffic, and only to the DNS pods; clusters whose DNS pods carry other labels (NodeLocal
    DNSCache, OpenShift's dns-default) need the labels adapted, which is why it is not applied blindly.

    egress:
      - to:
          - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
            podSelector: {matchLabels: {k8s-app: kube-dns}}
        ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]

    Trade-offs:
    None worth keeping DNS closed for; allowing port 53 to the DNS pods only (not to anywhere) keeps DNS
    from being an exfiltration channel to outside resolvers.
    """

    code = "CN021"
    name = "network-policy-blocks-dns"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        callers: dict[str, tuple[Component, list[Edge]]] = {}
        for e, a, _b in _runtime_calls(ctx):
            callers.setdefault(a.name, (a, []))[1].append(e)
        ns, labels = _KUBE_DNS
        dns = _Pod(ns, dict(labels))
        for a, edges in callers.values():
            egress = _policies(ctx, a, "Egress")
            if (
                not egress
                or _allowed(ctx, egress, "Egress", dns, _Target("UDP", 53, None), None) is not False
            ):
                continue
            first = egress[0]
            callees = ", ".join(sorted({f"`{e.to}`" for e in edges}))
            yield self.on(
                ctx,
                a,
                file=first.source.file,
                line=first.source.line,
                message=(
                    f"{_named(egress)} allows `{a.name}` no DNS (UDP 53 to kube-dns in kube-system), but it "
                    f"calls {callees} by name"
                ),
                why=(
                    f"Every name lookup from `{a.name}` times out, so each of its calls fails before it "
                    "connects, the allowed ones too."
                ),
                fix=unsafe(
                    f"let NetworkPolicy `{first.name}` allow DNS to kube-dns",
                    Edit(doc=object_doc(first), op=Op.ADD, path=("spec", "egress"), value=_dns_rule()),
                ),
                tradeoff="None; allow port 53 to the DNS pods only, not to anywhere.",
                evidence=[_call_evidence(e)[0] for e in edges if e.evidence][:3],
            )


def _dns_rule() -> dict[str, object]:
    """An egress rule allowing DNS (UDP and TCP 53) to the cluster DNS pods only."""
    ns, labels = _KUBE_DNS
    return {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {_NS_NAME: ns}},
                "podSelector": {"matchLabels": dict(labels)},
            }
        ],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }
