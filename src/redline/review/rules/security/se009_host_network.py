"""SE009 host-network: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.edits import Safety
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import where
from redline.review.rules.security._shared import _host_namespace_fix


@register
class HostNetwork(Rule):
    """What it does:
    Flags a workload that shares the host's network namespace (`hostNetwork: true`, or Compose
    `network_mode: host`).

    Why it matters:
    The container sees every interface of the node and can bind or sniff any of its ports, reaches
    node-local services (the kubelet, cloud metadata endpoints) from the host's identity, bypasses
    NetworkPolicies, and its own ports collide with anything else on the node (two replicas cannot share a
    node).

    Example:
    spec: {hostNetwork: true}

    Fix:
    Unsafe: `hostNetwork: false` in the pod spec (Compose: `network_mode` removed, so the service joins
    the project's network). The pod gets its own IP: whatever reached it on the node's address, and an
    agent that watches the node's traffic, stops working, so the edit needs `--unsafe-fixes`; publish its
    ports through a Service (Compose: `ports:`) where callers outside need them.

    spec:
      hostNetwork: false

    Trade-offs:
    Node agents that must see host traffic (CNI plugins, some monitoring) need it; isolate them and
    suppress. For services, a Service adds one kube-proxy hop.
    """

    code = "SE009"
    name = "host-network"
    category = Category.SECURITY
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if not c.host_network:
                continue
            prov = c.provenance.get("host_network")
            file, line = where(prov.source if prov else None, c.source)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=self.severity if c.platform == "kubernetes" else Severity.MEDIUM,
                message=f"`{c.name}` shares the host's network namespace",
                why=(
                    f"`{c.name}` can bind and sniff any port of its host, reach node-local endpoints "
                    "(kubelet, "
                    "cloud metadata) and bypasses NetworkPolicies."
                ),
                fix=_host_namespace_fix(
                    c, prov.source if prov else None, "hostNetwork", "network_mode", "network"
                ),
                tradeoff="Node agents may need it (isolate and suppress); a Service adds a kube-proxy hop.",
            )
