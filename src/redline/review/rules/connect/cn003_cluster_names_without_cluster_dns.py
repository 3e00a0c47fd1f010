"""CN003 cluster-names-without-cluster-dns: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import doc_of, pod_spec_path
from redline.fix.edits import Edit, Fix, Op, Safety, advice, unsafe
from redline.model import Component
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc, where
from redline.review.rules.connect._shared import _BY_NAME, _no_cluster_dns


@register
class ClusterNamesWithoutClusterDns(Rule):
    """What it does:
    Flags a pod that calls other components by their cluster names (hosts in its env, config or code that
    resolve to Services) while its DNS settings bypass cluster DNS: `hostNetwork: true` without
    `dnsPolicy: ClusterFirstWithHostNet`, `dnsPolicy: Default`, or `dnsPolicy: None` whose `dnsConfig`
    lists no nameserver or only public resolvers (8.8.8.8, 1.1.1.1, ...). A `dnsPolicy: None` with other
    nameservers is not judged: one of them may be the cluster's DNS.

    Why it matters:
    With the node's resolver (or a public one), `orders.default.svc.cluster.local` and `orders` do not
    resolve: every call fails with a name-resolution error from the first request, although the callee is
    up and its Service has endpoints. A pod on the host network falls back to the node's resolver unless
    it asks for `ClusterFirstWithHostNet`, which is easy to miss when hostNetwork is added for a port.

    Example:
    spec: {hostNetwork: true}   # env ORDERS_URL=http://orders:8080

    Fix:
    spec:
      hostNetwork: true
      dnsPolicy: ClusterFirstWithHostNet

    Unsafe: it changes how the pod resolves every name. The edit sets `dnsPolicy` to
    `ClusterFirstWithHostNet` on the host network and `ClusterFirst` otherwise; a `dnsConfig` stays and
    is merged into the cluster resolver's settings.

    Trade-offs:
    None for cluster names. Names only the node's resolver knows (hosts in /etc/hosts of the node, a
    corporate zone) then resolve through cluster DNS's upstream, which must forward them.
    """

    code = "CN003"
    name = "cluster-names-without-cluster-dns"
    category = Category.CONNECT
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            reason = _no_cluster_dns(c)
            if reason is None:
                continue
            edges = []
            for e in ctx.calls_from(c.name):
                callee = ctx.component(e.to)
                if e.to == c.name or callee is None or callee.platform != "kubernetes":
                    continue
                if any(ev.kind in _BY_NAME for ev in e.evidence):
                    edges.append(e)
            if not edges:
                continue
            callees = sorted({e.to for e in edges})
            file, line = where(c.source)
            yield self.on(
                ctx,
                c,
                file=file,
                line=line,
                message=f"`{c.name}` calls {ctx.names(callees)} by cluster name, but has {reason}",
                why=(
                    f"Cluster names do not resolve for `{c.name}`: every call to {ctx.names(callees)} fails "
                    "with a name-resolution error, though the callees are up."
                ),
                fix=self._fix(c),
                tradeoff=(
                    "None for cluster names; names only the node's resolver knows must then be forwarded "
                    "by cluster DNS."
                ),
                evidence=[
                    f"{loc(*(ev.source for ev in e.evidence if ev.kind in _BY_NAME))} {c.name} calls {e.to}"
                    for e in edges
                ],
            )

    @staticmethod
    def _fix(c: Component) -> Fix:
        policy = "ClusterFirstWithHostNet" if c.host_network else "ClusterFirst"
        title = f"resolve through cluster DNS: dnsPolicy {policy}"
        doc, pod = doc_of(c), pod_spec_path(c)
        if doc is None or pod is None:
            return advice(title, f"Set the pod's dnsPolicy to {policy}.")
        return unsafe(title, Edit(doc=doc, op=Op.SET, path=(*pod, "dnsPolicy"), value=policy))
