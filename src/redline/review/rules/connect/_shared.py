"""Helpers shared by the connect rules."""

from __future__ import annotations

from redline.model import Component, Edge
from redline.review.context import Context
from redline.review.rules._util import app_containers, as_int

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


def _callers(ctx: Context, name: str) -> list[Edge]:
    return [e for e in ctx.calls_to(name) if e.from_ != name and ctx.component(e.from_) is not None]


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
