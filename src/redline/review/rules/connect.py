"""Will each call reach its callee: ports, names, DNS (codes CN001-CN019).

These rules decide, from the files alone, failures that live tools diagnose only after a deploy: a Service
that forwards to a port nothing listens on, a call to a workload scaled to zero. Each is certain only for
what the files say; where the files leave a fact open (a container that declares no ports, an image whose
default port is unknown), the rule stays silent.
"""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, as_int, loc, where

#: The port an engine's official image listens on when nothing in its command or env says otherwise.
DEFAULT_PORTS: dict[str, int] = {
    "nginx": 80,
    "postgres": 5432,
    "redis": 6379,
    "mysql": 3306,
    "mariadb": 3306,
    "mongodb": 27017,
    "rabbitmq": 5672,
}


def _listening(c: Component) -> set[int] | None:
    """Ports the pod is known to serve on: declared containerPorts, probe ports and its engine's default.
    ``None`` when the files say nothing about it (no port declared, no probe port, no known engine)."""
    ports: set[int] = set()
    for k in app_containers(c):
        for p in k.ports:
            if (n := as_int(p.port)) is not None:
                ports.add(n)
        for probe in (k.readiness, k.liveness, k.startup):
            if probe is not None and (n := as_int(probe.port)) is not None:
                ports.add(n)
    if c.engine in DEFAULT_PORTS:
        ports.add(DEFAULT_PORTS[c.engine])
    return ports or None


def _mentions(c: Component, number: int) -> bool:
    """True when a command, argument or env value of the pod names ``number``: a port set at run time."""
    text = str(number)
    for k in app_containers(c):
        if any(text in part for part in k.command):
            return True
        if any(text in (e.value or "") for e in k.env):
            return True
    return False


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

    Trade-offs:
    None. A container may listen on ports it does not declare: declare every port it serves so the
    manifests say what runs.
    """

    code = "CN001"
    name = "service-port-not-listening"
    category = Category.CONNECT
    severity = Severity.HIGH

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
            first, serves = missing[0]
            shown = ", ".join(f"{port} to {n}" for port, n in targets)
            names = ", ".join(f"`{c.name}` serves only on {n}" for c, n in missing)
            yield self.finding(
                component=first.name,
                file=o.source.file,
                line=o.source.line,
                severity=ctx.severity_for(first, self.severity),
                message=f"Service `{o.name}` forwards port {shown}, but {names}",
                why=(
                    f"`{o.name}` has endpoints and looks healthy, but every connection to it reaches a "
                    "port nothing listens on and is refused."
                ),
                fix=f"# Service {o.name}\nports:\n  - {{port: {targets[0][0]}, targetPort: {serves}}}",
                tradeoff="None. Declare every port a container serves, so the manifests say what runs.",
                evidence=[f"{loc(c.source)} pods of {c.name} serve on {n}" for c, n in missing],
            )


def _callers(ctx: Context, name: str) -> list[Edge]:
    return [e for e in ctx.calls_to(name) if e.from_ != name and ctx.component(e.from_) is not None]


@register
class CallToScaledToZero(Rule):
    """What it does:
    Flags a workload that runs `replicas: 0`, with no autoscaler to raise it, while other components call
    it (a call stated in redline.yaml or inferred from env, config, `depends_on` or links).

    Why it matters:
    Nothing serves the callee: its Service has no endpoints, so every call is refused or times out, and
    every request of the callers that takes that path fails. Scaling to zero also hides the risk: a
    single-replica database is reported as a single point of failure, a zero-replica one is not, so the
    review looks greener while the system is down.

    Example:
    Deployment `db` with replicas: 0; `api` env DATABASE_URL=postgres://db:5432/app

    Fix:
    spec:
      replicas: 1   # or remove the callers' references if the component is retired

    Trade-offs:
    The replicas cost what they cost. If the component is off on purpose, remove the calls (or the
    feature that makes them) so nothing depends on it.
    """

    code = "CN002"
    name = "call-to-scaled-to-zero"
    category = Category.CONNECT
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.replicas != 0 or c.autoscaling is not None or c.is_batch:
                continue
            edges = _callers(ctx, c.name)
            if not edges:
                continue
            callers = sorted({e.from_ for e in edges})
            file, line = where(
                c.provenance["replicas"].source if "replicas" in c.provenance else None, c.source
            )
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` runs 0 replicas and no autoscaler raises it, but "
                    f"{ctx.names(callers)} {'call' if len(callers) > 1 else 'calls'} it"
                ),
                why=(
                    f"Nothing serves `{c.name}`: every call from {ctx.names(callers)} is refused or times "
                    "out, and the requests that need it fail."
                ),
                fix=f"# {c.workload or 'workload'} {c.name}\nspec:\n  replicas: 1",
                tradeoff=(
                    "The replicas cost what they cost; if it is off on purpose, remove the callers' "
                    "references instead."
                ),
                evidence=[
                    f"{loc(*(ev.source for ev in e.evidence), e.source)} {e.from_} calls {c.name}"
                    for e in edges
                ],
            )


#: Public resolvers: a pod whose only nameservers are these cannot resolve cluster Service names.
PUBLIC_RESOLVERS = frozenset(
    {
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
    }
)

#: Evidence of a call made by name: a host in env, a config file or source code.
_BY_NAME = {"env", "config", "code"}


def _no_cluster_dns(c: Component) -> str | None:
    """Why the pod's resolver cannot see cluster names, or None when it can (or the files do not say)."""
    if c.platform != "kubernetes":
        return None
    policy = c.dns_policy
    if c.host_network and policy in (None, "ClusterFirst", "Default"):
        shown = f"dnsPolicy: {policy}" if policy else "no dnsPolicy"
        return f"hostNetwork: true with {shown}, so it uses the node's resolver"
    if policy == "Default":
        return "dnsPolicy: Default, so it uses the node's resolver"
    if policy == "None":
        if not c.dns_nameservers:
            return "dnsPolicy: None with no dnsConfig nameservers"
        if all(n in PUBLIC_RESOLVERS for n in c.dns_nameservers):
            return f"dnsPolicy: None with only public nameservers ({', '.join(c.dns_nameservers)})"
    return None


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

    Trade-offs:
    None for cluster names. Names only the node's resolver knows (hosts in /etc/hosts of the node, a
    corporate zone) then resolve through cluster DNS's upstream, which must forward them.
    """

    code = "CN003"
    name = "cluster-names-without-cluster-dns"
    category = Category.CONNECT
    severity = Severity.HIGH

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
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` calls {ctx.names(callees)} by cluster name, but has {reason}",
                why=(
                    f"Cluster names do not resolve for `{c.name}`: every call to {ctx.names(callees)} fails "
                    "with a name-resolution error, though the callees are up."
                ),
                fix=(
                    f"# pod spec of {c.name}\nspec:\n  hostNetwork: true   # if it must\n"
                    "  dnsPolicy: ClusterFirstWithHostNet   # or drop dnsPolicy/dnsConfig"
                ),
                tradeoff=(
                    "None for cluster names; names only the node's resolver knows must then be forwarded "
                    "by cluster DNS."
                ),
                evidence=[
                    f"{loc(*(ev.source for ev in e.evidence if ev.kind in _BY_NAME))} {c.name} calls {e.to}"
                    for e in edges
                ],
            )
