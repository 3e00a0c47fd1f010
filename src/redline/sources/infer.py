"""Dependency inference: which component calls which, and the evidence for it.

Sources of evidence, strongest first: a call stated in redline.yaml (``declared``), a URL or DSN in an
env value (``postgres://u:p@db:5432/x``), a bare host in a ``*_HOST``/``*_ADDR``/``*_SERVICE_ADDR``
variable, a Compose ``depends_on``/``links``, an Ingress backend, and a plain ``host:port`` value. Each
reference is resolved the way the platform's DNS would: Compose service names and aliases inside one
project; Kubernetes Service names (``svc``, ``svc.ns``, ``svc.ns.svc.cluster.local``) to the workloads
their selectors match. A host that resolves to nothing becomes an :class:`Unresolved` reference, never an
edge; a public DNS name becomes an ``external`` component.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from redline.model import Component, Edge, EnvVar, Evidence, Kind, Source, Unresolved
from redline.model.secrets import mask_text

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_AUTHORITY = re.compile(r"[^\s/?#'\"<>]+")
_HOSTPORT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9.-]*):(\d{2,5})\s*$")
_HOST_VAR = re.compile(
    r"(_|^)(HOST|HOSTS|HOSTNAME|ADDR|ADDRESS|ADDRS|SERVICE_ADDR|SERVER|SERVERS|ENDPOINT|ENDPOINTS|BROKER|BROKERS|"
    r"BOOTSTRAP_SERVERS|URL|URI|URLS|DSN|NODES|CONTACT_POINTS|SERVICE_HOST)$",
    re.IGNORECASE,
)
_OWN_TOKENS = {
    "LISTEN",
    "BIND",
    "PUBLIC",
    "EXTERNAL",
    "ADVERTISED",
    "REDIRECT",
    "CALLBACK",
    "ORIGIN",
    "ORIGINS",
    "CORS",
}
_OWN_NAMES = {"BASE_URL", "SITE_URL", "SERVER_NAME", "HOSTNAME", "HOST", "ADDR", "SERVER_HOST"}
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_PRIVATE_TLDS = {
    "local",
    "localdomain",
    "internal",
    "svc",
    "cluster",
    "lan",
    "home",
    "corp",
    "test",
    "example",
    "invalid",
    "localhost",
    "intranet",
    "private",
}
_LOCAL_HOSTS = {"localhost", "0.0.0.0", "127.0.0.1", "::1", "::", "host.docker.internal"}

MAX_REFS_PER_VALUE = 256  # URLs or hosts looked at in one env value (a list of 256 brokers is plenty)
CONFIDENCE = {"url": 0.9, "hostvar": 0.85, "hostport": 0.6, "depends_on": 0.8, "links": 0.8, "ingress": 0.95}


@dataclass
class Candidate:
    host: str
    how: str  # url | hostvar | hostport
    text: str  # what the evidence shows


def candidates(var: EnvVar) -> list[Candidate]:
    """Hostnames an env var points at. Listen/bind/public addresses of the component itself are ignored."""
    value = var.expanded if var.expanded is not None else var.value
    upper = var.name.upper()
    if not value or upper in _OWN_NAMES or _OWN_TOKENS & set(upper.split("_")):
        return []
    found: list[Candidate] = []
    # Placeholders (${PASSWORD:?msg}, $(VAR)) stand for values we do not know; they must not cut a URL short.
    shown = value
    value = _without_placeholders(value)
    urls = _authorities(value)
    for found_authority in urls:
        authority = found_authority.rsplit("@", 1)[-1]
        for part in authority.split(","):
            host = _host_of(part)
            if host:
                found.append(Candidate(host, "url", shown))
    if urls:
        return found
    if _HOST_VAR.search(var.name):
        for part in re.split(r"[,\s;]+", value.strip(), maxsplit=MAX_REFS_PER_VALUE):
            host = _host_of(part)
            if host:
                found.append(Candidate(host, "hostvar", shown))
        return found
    if _HOSTPORT.match(value):
        host = _host_of(value)
        if host:
            found.append(Candidate(host, "hostport", shown))
    return found


def _authorities(value: str) -> list[str]:
    """The authority (``user:pass@host:port``) of every ``scheme://`` URL in ``value``.

    Each ``://`` is found with ``str.find`` and its scheme read backwards, so the cost is linear on any
    input (a regex ``[a-z][a-z0-9+.-]*://`` retried at every letter of a long word is quadratic); at
    most :data:`MAX_REFS_PER_VALUE` of them are looked at.
    """
    result: list[str] = []
    start = value.find("://")
    for _ in range(MAX_REFS_PER_VALUE):
        if start < 0:
            break
        begin = start
        while begin > 0 and value[begin - 1] in _SCHEME_CHARS:
            begin -= 1
        has_letter = any(ch.isascii() and ch.isalpha() for ch in value[begin:start])
        m = _AUTHORITY.match(value, start + 3)
        if has_letter and m is not None:
            result.append(m.group(0))
            start = value.find("://", m.end())
        else:
            start = value.find("://", start + 1)
    return result


def _without_placeholders(value: str) -> str:
    """``${...}`` and ``$(...)`` replaced by ``$`` (values we do not know must not cut a URL short).

    Linear on any input: once no closing character is left, later openings are not searched again.
    """
    parts: list[str] = []
    pos = 0
    may_close = {"{": True, "(": True}
    i = value.find("$")
    while 0 <= i < len(value) - 1:
        opener = value[i + 1]
        if may_close.get(opener):
            end = value.find("}" if opener == "{" else ")", i + 2)
            if end >= 0:
                parts.append(value[pos:i] + "$")
                pos = end + 1
                i = value.find("$", pos)
                continue
            may_close[opener] = False
        i = value.find("$", i + 1)
    parts.append(value[pos:])
    return "".join(parts)


def _host_of(part: str) -> str | None:
    part = part.strip().strip("'\"")
    if not part or "$" in part or "{" in part or "%" in part or "/" in part or "@" in part:
        return None
    if part.startswith("["):  # IPv6 literal
        return None
    host = part.rsplit(":", 1)[0] if part.count(":") == 1 else part
    host = host.strip().rstrip(".").lower()
    if not host or host in _LOCAL_HOSTS:
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():
        return None
    return host


def is_public_dns(host: str) -> bool:
    labels = host.split(".")
    tld = labels[-1]
    return len(labels) >= 2 and tld.isalpha() and len(tld) >= 2 and tld not in _PRIVATE_TLDS


@dataclass
class Resolver:
    """Name resolution as each platform's DNS does it."""

    compose: dict[tuple[str, str], Component] = field(default_factory=dict)  # (project, host) -> component
    k8s_services: dict[tuple[str, str], list[Component]] = field(
        default_factory=dict
    )  # (ns, svc) -> selected
    k8s_workloads: dict[tuple[str, str], Component] = field(default_factory=dict)  # (ns, name) -> component
    namespaces: set[str] = field(default_factory=set)

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]:
        """(targets, confidence factor, note). No targets means unresolved; the note says why."""
        if src.platform == "compose":
            target = self.compose.get((src.group or "", host))
            if target is None and "." in host:
                target = self.compose.get((src.group or "", host.split(".", 1)[0]))
            return (
                ([target], 1.0, "")
                if target
                else ([], 0.0, f"no service or alias {host!r} in Compose project {src.group}")
            )
        ns = src.namespace or "default"
        name = host
        for suffix in (".svc.cluster.local", ".svc"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
        parts = name.split(".")
        if len(parts) == 2 and (parts[1] in self.namespaces or host.endswith((".svc", ".svc.cluster.local"))):
            name, ns = parts
        elif len(parts) == 3 and parts[2] in self.namespaces:  # pod.svc.ns (StatefulSet pod DNS)
            name, ns = parts[1], parts[2]
        elif len(parts) > 1:
            return [], 0.0, f"{host!r} is not a Service name known in this scan"
        selected = self.k8s_services.get((ns, name))
        if selected is not None:
            if selected:
                return selected, 1.0, ""
            return [], 0.0, f"Service {name} in namespace {ns} selects no pods"
        m = re.match(r"^(.*)-\d+$", name)
        if m and (ns, m.group(1)) in self.k8s_services and self.k8s_services[(ns, m.group(1))]:
            return self.k8s_services[(ns, m.group(1))], 0.9, ""
        workload = self.k8s_workloads.get((ns, name))
        if workload is not None:
            return [workload], 0.7, f"no Service named {name}; matched the workload of that name"
        return [], 0.0, f"no Service {name!r} in namespace {ns}"


class EdgeBuilder:
    """Collects evidence per (from, to) and turns it into edges with a combined confidence."""

    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], Edge] = {}
        self.unresolved: list[Unresolved] = []
        self._unresolved_seen: set[tuple[str, str, str]] = set()
        self.externals: dict[str, Component] = {}

    def add(self, src: Component, dst: Component, evidence: Evidence) -> None:
        if src.name == dst.name:
            return
        key = (src.name, dst.name)
        edge = self.edges.get(key)
        if edge is None:
            edge = Edge(**{"from": src.name, "to": dst.name})
            self.edges[key] = edge
        if not any(e.reason == evidence.reason and e.source == evidence.source for e in edge.evidence):
            edge.evidence.append(evidence)

    def unresolved_ref(self, src: Component, host: str, reason: str, source: Source) -> None:
        key = (src.name, host, str(source))
        if key not in self._unresolved_seen:
            self._unresolved_seen.add(key)
            self.unresolved.append(
                Unresolved(**{"from": src.name, "host": host, "reason": reason, "source": source})
            )

    def external(self, host: str, source: Source) -> Component:
        comp = self.externals.get(host)
        if comp is None:
            comp = Component(
                name=host,
                kind=Kind.EXTERNAL,
                kind_reason="public DNS name outside the system",
                platform="external",
                source=source,
            )
            self.externals[host] = comp
        return comp

    def finish(self) -> list[Edge]:
        result = []
        for edge in self.edges.values():
            miss = 1.0
            for ev in edge.evidence:
                miss *= 1.0 - ev.confidence
            edge.confidence = round(1.0 - miss, 3)
            edge.startup_only = all(ev.kind in ("depends_on", "links") for ev in edge.evidence)
            edge.evidence.sort(key=lambda e: -e.confidence)
            result.append(edge)
        result.sort(key=lambda e: (e.from_, e.to))
        return result


def infer_env(components: Iterable[Component], resolver: Resolver, builder: EdgeBuilder) -> None:
    """Edges from env values of every container of every component."""
    for comp in components:
        if comp.platform not in ("compose", "kubernetes"):
            continue
        for container in comp.containers:
            # URLs in command-line flags (-Dspring.data.mongodb.uri=mongodb://db/x, --redis=redis://cache)
            # count like env URLs; bare words in arguments are too ambiguous to read as hosts.
            args = [
                EnvVar(name=f"argument {arg.split('=', 1)[0]}", value=arg, source=container.source)
                for arg in container.command
                if "://" in arg
            ]
            for var in [*container.env, *args]:
                for cand in candidates(var):
                    src = var.source or comp.source
                    shown = mask_text(cand.text)  # evidence is printed, secrets must not be
                    where = f" (from ConfigMap {var.from_config})" if var.from_config else ""
                    reason = (
                        f"{var.name}: {shown}"
                        if var.name.startswith("argument ")
                        else f"env {var.name}={shown}"
                    ) + where
                    targets, factor, note = resolver.resolve(comp, cand.host)
                    base = CONFIDENCE[cand.how] - (0.05 if var.from_config else 0.0)
                    if targets:
                        for t in targets:
                            if t is comp:
                                continue
                            ev = Evidence(
                                reason=reason + (f"; {note}" if note else ""),
                                kind="config" if var.from_config else "env",
                                confidence=round(base * factor, 3),
                                source=src,
                            )
                            builder.add(comp, t, ev)
                    elif is_public_dns(cand.host) and cand.how in ("url", "hostvar"):
                        ext = builder.external(cand.host, src)
                        builder.add(
                            comp, ext, Evidence(reason=reason, kind="env", confidence=base, source=src)
                        )
                    elif cand.how in ("url", "hostvar") or "-" in cand.host or "." not in cand.host:
                        if cand.host == comp.name.rsplit("/", 1)[-1] or cand.host in comp.aliases:
                            continue
                        builder.unresolved_ref(comp, cand.host, f"{reason}: {note}", src)
