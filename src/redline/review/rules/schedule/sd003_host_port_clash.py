"""SD003 host-port-clash: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.fix.build import container_path, doc_of
from redline.fix.edits import Edit, Fix, Match, Op, Safety, advice, unsafe
from redline.model import Component, Container, Port
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import loc, where
from redline.review.rules.schedule._shared import (
    _compose_together,
    _host_ports,
    _same_host_ip,
    _unrestricted_daemonset,
    _untainted_only,
)


@register
class HostPortClash(Rule):
    """What it does:
    Flags a fixed host port that two containers must both bind on the same host: two Compose services of
    the same project (and profile) publishing the same host port and protocol, a Compose service with
    several replicas and a fixed published port, or a Kubernetes workload whose `hostPort` is also bound
    by a DaemonSet that runs on every node (no nodeSelector, no required nodeAffinity) while the workload
    has no tolerations (so it can only use nodes the DaemonSet runs on). Two Deployments sharing a
    hostPort are not flagged: the scheduler places them on different nodes, and whether there are
    enough is the cluster's fact, not the repository's.

    Why it matters:
    Only one process can bind a host port. In Compose the second container fails to start with `port is
    already allocated`, and `docker compose up` exits with an error. In Kubernetes, a pod whose hostPort a
    DaemonSet holds on every node fits no node: it stays Pending with `didn't have free ports`.

    Example:
    services: {web: {ports: ["8080:80"]}, admin: {ports: ["8080:3000"]}}

    Fix:
    services:
      admin:
        ports: ["8081:3000"]   # a free host port, or drop the publication and call it by service name

    Unsafe for a Kubernetes pod: its `hostPort` is removed (callers reach it through a Service), which
    changes how it is reached. Advice for Compose: which host port is free, and which callers outside
    the host use it, is not in the files; for replicas, publishing only the container port gives each
    replica a random host port.

    Trade-offs:
    None; a host port is a per-host singleton. Prefer a Service (Kubernetes) or the project network
    (Compose) over host ports where the caller is inside.
    """

    code = "SD003"
    name = "host-port-clash"
    category = Category.SCHEDULE
    severity = Severity.HIGH
    fix_safety = Safety.UNSAFE

    def check(self, ctx: Context) -> Iterator[Finding]:
        comps = [
            c for c in ctx.system.components if c.platform in ("compose", "kubernetes") and _host_ports(c)
        ]
        seen: set[tuple[str, str, int]] = set()
        for i, a in enumerate(comps):
            for pa, ka in _host_ports(a):
                if (
                    a.platform == "compose"
                    and (ctx.replicas(a) or 1) > 1
                    and (a.name, a.name, pa.published) not in seen
                ):
                    seen.add((a.name, a.name, int(pa.published or 0)))
                    yield self._replicas(ctx, a, pa, ka)
                for b in comps[i + 1 :]:
                    for pb, kb in _host_ports(b):
                        if pa.published != pb.published or pa.protocol.upper() != pb.protocol.upper():
                            continue
                        if (a.name, b.name, pa.published) in seen or not self._clash(a, b, pa, pb):
                            continue
                        seen.add((a.name, b.name, int(pa.published or 0)))
                        yield self._pair(ctx, a, b, pa, pb, ka, kb)

    @staticmethod
    def _clash(a: Component, b: Component, pa: Port, pb: Port) -> bool:
        if a.platform == "compose" and b.platform == "compose":
            return _compose_together(a, b) and _same_host_ip(pa, pb)
        if a.platform == "kubernetes" and b.platform == "kubernetes":
            return (_unrestricted_daemonset(a) and _untainted_only(b)) or (
                _unrestricted_daemonset(b) and _untainted_only(a)
            )
        return False

    def _pair(
        self, ctx: Context, a: Component, b: Component, pa: Port, pb: Port, ka: Container, kb: Container
    ) -> Finding:
        if b.platform == "kubernetes" and _unrestricted_daemonset(b) and not _unrestricted_daemonset(a):
            a, b, pa, pb, ka, kb = b, a, pb, pa, kb, ka  # report the pod that cannot be placed
        file, line = where(pb.source, kb.source, b.source)
        port = f"{pb.published}/{pb.protocol.upper()}"
        if b.platform == "compose":
            message = (
                f"`{b.name}` and `{a.name}` both publish host port {port}: the second to start fails "
                "with `port is already allocated`"
            )
            why = (
                "`docker compose up` starts one of them and fails on the other, so "
                f"`{b.name}` or `{a.name}` never runs."
            )
            fix = advice(
                f"publish `{b.name}` and `{a.name}` on different host ports",
                f"Publish `{b.name}` on a host port nothing else of the project uses, or drop the "
                "publication and let callers inside reach it by service name; which port is free on the "
                "host, and who calls it from outside, the files do not say.",
            )
        else:
            message = (
                f"`{b.name}` binds hostPort {port}, which DaemonSet `{a.name}` holds on every node: its pods "
                "fit no node and stay Pending"
            )
            why = (
                f"The scheduler finds no node with port {pb.published} free, because `{a.name}` runs on each "
                f"one: `{b.name}` never starts."
            )
            fix = self._drop_host_port(b, kb, pb)
        return self.on(
            ctx,
            b,
            file=file,
            line=line,
            message=message,
            why=why,
            fix=fix,
            tradeoff="None; prefer a Service or the project network over host ports for callers inside.",
            evidence=[f"{loc(pa.source, ka.source, a.source)} `{a.name}` binds {port}"],
        )

    def _replicas(self, ctx: Context, c: Component, p: Port, k: Container) -> Finding:
        file, line = where(p.source, k.source, c.source)
        n = ctx.replicas(c)
        return self.on(
            ctx,
            c,
            file=file,
            line=line,
            message=(
                f"`{c.name}` runs {n} replicas that all publish host port "
                f"{p.published}/{p.protocol.upper()}: "
                "only the first binds it, the others fail with `port is already allocated`"
            ),
            why=(
                "On one Docker host a fixed published port fits one container: "
                f"{n - 1 if n else 0} of `{c.name}`'s replicas never start."
            ),
            fix=advice(
                f"let each replica of `{c.name}` bind its own host port",
                f"Publish only the container port {p.port} (each replica then gets a random host port), "
                "or put a proxy in front of the replicas; callers outside the host then need the proxy.",
                example={"services": {c.object_name or c.name: {"ports": [_container_port(p)]}}},
            ),
            tradeoff=(
                "A random host port is not stable for callers outside the host; a proxy is one more "
                "component."
            ),
        )

    @staticmethod
    def _drop_host_port(c: Component, k: Container, p: Port) -> Fix:
        title = f"remove hostPort {p.published} from `{c.name}`"
        doc, path = doc_of(c), container_path(c, k)
        same = [q for q in k.ports if q.port == p.port]
        if doc is None or path is None or len(same) != 1:
            return advice(
                title,
                f"Remove hostPort {p.published} from container `{k.name}` and reach it through a Service.",
            )
        return unsafe(
            title,
            Edit(
                doc=doc,
                op=Op.REMOVE,
                path=(*path, "ports", Match(key="containerPort", value=str(p.port)), "hostPort"),
            ),
        )


def _container_port(p: Port) -> str:
    """A Compose short-syntax port that publishes ``p``'s container port on a random host port."""
    return str(p.port) if p.protocol.upper() == "TCP" else f"{p.port}/{p.protocol.lower()}"
