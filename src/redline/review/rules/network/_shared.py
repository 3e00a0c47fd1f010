"""Helpers shared by the network rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redline.model import Component, Container, Edge, EnvVar, K8sObject, Source
from redline.model.secrets import is_reference
from redline.review.context import Context
from redline.review.rules._util import app_containers, as_int, loc, selector_matches

_NS_NAME = "kubernetes.io/metadata.name"


#: The DNS pods every cluster runs (kubeadm, GKE, EKS, AKS all label CoreDNS / kube-dns so).
_KUBE_DNS = ("kube-system", {"k8s-app": "kube-dns"})


_SCHEME_PORTS = {"http": 80, "https": 443, "grpc": 80, "ws": 80, "wss": 443}


@dataclass(frozen=True)
class _Pod:
    """The side of a call a policy peer is matched against."""

    namespace: str
    labels: dict[str, str]
    component: Component | None = None


@dataclass(frozen=True)
class _Target:
    """The callee's port as the pod sees it: number and/or name (None when unknown)."""

    protocol: str
    number: int | None
    name: str | None


def _and(*vals: bool | None) -> bool | None:
    if any(v is False for v in vals):
        return False
    if any(v is None for v in vals):
        return None
    return True


def _or(vals: list[bool | None]) -> bool | None:
    if any(v is True for v in vals):
        return True
    if any(v is None for v in vals):
        return None
    return False


def _types(o: K8sObject) -> set[str]:
    """policyTypes as stated, or as implied: Ingress always, Egress when the policy has egress rules."""
    stated = o.spec.get("policyTypes")
    if isinstance(stated, list) and stated:
        return {str(t) for t in stated}
    return {"Ingress", "Egress"} if o.spec.get("egress") else {"Ingress"}


def _policies(ctx: Context, c: Component, direction: str) -> list[K8sObject]:
    """Policies that select ``c``'s pods and isolate them in ``direction``, in file order."""
    found = [o for o in ctx.objects_selecting(c.name, "NetworkPolicy") if direction in _types(o)]
    return sorted(found, key=lambda o: (o.source.file, o.source.line or 0))


def _namespace_labels(ctx: Context, ns: str) -> dict[str, str] | None:
    """A namespace's labels (with the implicit name label), or None when the scan has no Namespace object."""
    obj = ctx.object_named("Namespace", "", ns) or ctx.object_named("Namespace", "default", ns)
    if obj is None:
        obj = next((o for o in ctx.objects("Namespace") if o.name == ns), None)
    if obj is None:
        return None
    return {**obj.labels, _NS_NAME: ns}


def _ns_matches(ctx: Context, selector: Any, ns: str) -> bool | None:
    labels = _namespace_labels(ctx, ns)
    if labels is not None:
        return selector_matches(selector, labels)
    # Unknown labels: decide only selectors that read the implicit name label alone (or select all).
    implicit = {_NS_NAME: ns}
    keys = _selector_keys(selector)
    if keys <= {_NS_NAME}:
        return selector_matches(selector, implicit)
    return None


def _selector_keys(selector: Any) -> set[str]:
    if not isinstance(selector, dict):
        return set()
    if "matchLabels" in selector or "matchExpressions" in selector:
        ml = selector.get("matchLabels") or {}
        me = selector.get("matchExpressions") or []
        keys = {str(k) for k in ml} if isinstance(ml, dict) else set()
        return keys | {str(e.get("key")) for e in me if isinstance(e, dict)} if isinstance(me, list) else keys
    return {str(k) for k in selector}


def _peer_matches(ctx: Context, peer: Any, policy_ns: str, pod: _Pod) -> bool | None:
    """One ``from``/``to`` entry against a pod: podSelector within the policy's namespace, namespaceSelector
    over namespaces' labels, or both; an ipBlock is undecided (plugins differ on pod IPs)."""
    if not isinstance(peer, dict):
        return None
    if "ipBlock" in peer:
        return None
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ns_sel is None and pod_sel is None:
        return None
    ns_ok: bool | None = (
        pod.namespace == policy_ns if ns_sel is None else _ns_matches(ctx, ns_sel, pod.namespace)
    )
    pod_ok = True if pod_sel is None else selector_matches(pod_sel, pod.labels)
    return _and(ns_ok, pod_ok)


def _port_matches(entry: Any, target: _Target, pod: Component | None) -> bool | None:
    if not isinstance(entry, dict):
        return None
    if str(entry.get("protocol") or "TCP").upper() != target.protocol:
        return False
    port = entry.get("port")
    if port is None:
        return True
    number = as_int(port)
    if number is not None:
        end = as_int(entry.get("endPort")) or number
        tnum = target.number
        if tnum is None and target.name and pod is not None:
            tnum = _named_port(pod, target.name)
        return None if tnum is None else number <= tnum <= end
    name = str(port)
    if target.name is not None:
        return target.name == name
    if target.number is not None and pod is not None:
        return _named_port(pod, name) == target.number if _named_port(pod, name) is not None else False
    return None


def _named_port(c: Component, name: str) -> int | None:
    for k in c.containers:
        for p in k.ports:
            if p.name == name:
                return as_int(p.port)
    return None


def _rule_allows(
    ctx: Context,
    rule: Any,
    peers_key: str,
    policy_ns: str,
    pod: _Pod,
    target: _Target,
    port_pod: Component | None,
) -> bool | None:
    """One ingress/egress rule: any listed peer (none listed: everyone) and any listed port (none: all)."""
    if not isinstance(rule, dict):
        return None
    peers = rule.get(peers_key)
    if peers is None or peers == []:
        peer_ok: bool | None = True
    elif isinstance(peers, list):
        peer_ok = _or([_peer_matches(ctx, p, policy_ns, pod) for p in peers])
    else:
        return None
    ports = rule.get("ports")
    if ports is None or ports == []:
        port_ok: bool | None = True
    elif isinstance(ports, list):
        port_ok = _or([_port_matches(p, target, port_pod) for p in ports])
    else:
        return None
    return _and(peer_ok, port_ok)


def _allowed(
    ctx: Context,
    policies: list[K8sObject],
    direction: str,
    pod: _Pod,
    target: _Target,
    port_pod: Component | None,
) -> bool | None:
    """Whether the union of ``policies``' rules in ``direction`` lets the call through."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    verdicts: list[bool | None] = []
    for o in policies:
        rules = o.spec.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list):
            return None
        verdicts.extend(_rule_allows(ctx, r, peers_key, o.namespace, pod, target, port_pod) for r in rules)
    return _or(verdicts)


def _call_port(e: Edge, callee: Component) -> int | None:
    """The port the caller dials, read from the evidence that made the edge (``host:port``, or a URL
    scheme's default); None when no evidence says or they disagree."""
    names = {callee.name.rsplit("/", 1)[-1], *callee.aliases}
    found: set[int] = set()
    for ev in e.evidence:
        for m in re.finditer(
            r"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?:[^@\s/]*@)?(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)"
            r"(?::(?P<port>\d+))?",
            ev.reason,
        ):
            host = m.group("host").split(".")[0]
            if host not in names and m.group("host") not in names:
                continue
            if m.group("port"):
                found.add(int(m.group("port")))
            elif m.group("scheme") in _SCHEME_PORTS:
                found.add(_SCHEME_PORTS[m.group("scheme")])
    return found.pop() if len(found) == 1 else None


def _target(ctx: Context, e: Edge, callee: Component) -> _Target:
    """The call's port at the callee's pod: the Service port mapped through its targetPort."""
    port = _call_port(e, callee)
    if port is None:
        return _Target("TCP", None, None)
    services = ctx.objects_selecting(callee.name, "Service")
    for svc in services:
        for p in svc.spec.get("ports") or []:
            if isinstance(p, dict) and as_int(p.get("port")) == port:
                proto = str(p.get("protocol") or "TCP").upper()
                tp = p.get("targetPort")
                if tp is None:
                    return _Target(proto, port, None)
                n = as_int(tp)
                return _Target(proto, n, None) if n is not None else _Target(proto, None, str(tp))
    if services:
        return _Target("TCP", None, None)  # a port no Service declares: leave it undecided
    return _Target("TCP", port, None)  # dialled at the pod itself (headless or pod DNS)


def _runtime_calls(ctx: Context) -> Iterator[tuple[Edge, Component, Component]]:
    for e in ctx.system.edges:
        if e.startup_only:
            continue
        a, b = ctx.component(e.from_), ctx.component(e.to)
        if a is None or b is None or a.name == b.name:
            continue
        if a.platform != "kubernetes" or b.platform != "kubernetes" or not a.containers or not b.containers:
            continue
        yield e, a, b


def _pod(c: Component) -> _Pod:
    return _Pod(c.namespace or "default", dict(c.labels), c)


def _named(policies: list[K8sObject]) -> str:
    return ", ".join(f"NetworkPolicy `{o.name}` ({loc(o.source)})" for o in policies)


def _call_evidence(e: Edge) -> list[str]:
    return [f"{loc(ev.source)} {ev.reason}" for ev in e.evidence]


#: Official images whose entrypoint creates the account from env, by engine: (user, password, database)
#: variables (first stated wins), the user and database when unset, and where init scripts or definitions
#: that may create more accounts are mounted.
@dataclass(frozen=True)
class _Engine:
    images: tuple[str, ...]
    user: tuple[str, ...]
    password: tuple[str, ...]
    database: tuple[str, ...]
    default_user: str | None
    default_db_is_user: bool  # POSTGRES_DB defaults to POSTGRES_USER
    init_dirs: tuple[str, ...]
    root_password: tuple[str, ...] = ()  # the superuser's password, when it is not ``user`` (MySQL root)
    root_user: str | None = None
    compare_database: bool = True


_ENGINES = {
    "postgres": _Engine(
        ("postgres",),
        ("POSTGRES_USER",),
        ("POSTGRES_PASSWORD",),
        ("POSTGRES_DB",),
        "postgres",
        True,
        ("/docker-entrypoint-initdb.d",),
    ),
    "mysql": _Engine(
        ("mysql", "mariadb"),
        ("MYSQL_USER", "MARIADB_USER"),
        ("MYSQL_PASSWORD", "MARIADB_PASSWORD"),
        ("MYSQL_DATABASE", "MARIADB_DATABASE"),
        None,
        False,
        ("/docker-entrypoint-initdb.d",),
        root_password=("MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD"),
        root_user="root",
    ),
    "mongo": _Engine(
        ("mongo",),
        ("MONGO_INITDB_ROOT_USERNAME",),
        ("MONGO_INITDB_ROOT_PASSWORD",),
        (),
        None,
        False,
        ("/docker-entrypoint-initdb.d",),
        compare_database=False,  # MongoDB creates a database on first write
    ),
    "rabbitmq": _Engine(
        ("rabbitmq",),
        ("RABBITMQ_DEFAULT_USER",),
        ("RABBITMQ_DEFAULT_PASS",),
        (),
        "guest",
        False,
        ("/etc/rabbitmq",),
        compare_database=False,
    ),
}


_HOST_SUFFIXES = (
    "_HOSTNAME",
    "_HOSTS",
    "_HOST",
    "_ADDRESSES",
    "_ADDRESS",
    "_ADDR",
    "_ENDPOINT",
    "_SERVER",
    "_SERVICE",
    "_URL",
    "_URI",
    "_DSN",
)


_USER_SUFFIXES = ("USER", "USERNAME", "USR")


_PASSWORD_SUFFIXES = ("PASSWORD", "PASS", "PWD")


_DB_SUFFIXES = ("NAME", "DB", "DATABASE", "DBNAME", "DB_NAME")


_URL = re.compile(
    r"^(?:jdbc:)?[a-z][a-z0-9+.-]*://(?:(?P<user>[^:/@\s]*)(?::(?P<pw>[^@\s]*))?@)?[^/?\s]*"
    r"(?:/(?P<db>[^?;\s]*))?(?P<rest>[?;].*)?$",
    re.IGNORECASE,
)


_PARAM = re.compile(r"(?:^|[?&;])\s*(?P<key>[A-Za-z ]+?)\s*=\s*(?P<value>[^&;]*)")


_PARAM_KEYS = {
    "user": "user",
    "user id": "user",
    "userid": "user",
    "uid": "user",
    "username": "user",
    "password": "password",
    "pwd": "password",
    "database": "database",
    "initial catalog": "database",
    "dbname": "database",
}


_FIELDS = ("user", "password", "database")


_ENV_REASON = re.compile(r"^env (?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=")


@dataclass(frozen=True)
class _Cred:
    """One credential field as one side states it: the literal value (never printed) and where."""

    value: str
    var: str  # "DATABASE_URL", "POSTGRES_USER unset (image default)"
    source: Source | None
    default: bool = False  # the image's default, not stated

    @property
    def where(self) -> str:
        return f"{self.var} ({loc(self.source)})"


def _literal(v: EnvVar) -> str | None:
    """The value a process sees, when the files state it literally; None for any reference."""
    if v.secret_ref or (v.config_ref and v.from_config is None) or v.field_ref:
        return None
    raw = v.value
    if raw is not None and "$" in raw:
        used = {s.name for s in v.substitutions}
        names = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", raw))
        if v.expanded is None or not names <= used or "$(" in raw:
            return None
        raw = v.expanded
    elif raw is None:
        raw = v.expanded if v.substitutions else None
    if raw is None or is_reference(raw):
        return None
    return str(raw)


def _engine_of(b: Component) -> tuple[_Engine, Container] | None:
    """The engine and container of an official datastore image, or None (other images name env otherwise)."""
    for k in app_containers(b):
        repo = (k.image or "").split("@")[0]
        if ":" in repo.rsplit("/", 1)[-1]:
            repo = repo.rsplit(":", 1)[0]
        base = repo.removeprefix("docker.io/").removeprefix("library/")
        for eng in _ENGINES.values():
            if base in eng.images:
                return eng, k
    return None


def _server_creds(b: Component, eng: _Engine, k: Container) -> tuple[dict[str, _Cred | None], bool]:
    """Server fields (None: unknown) and whether more accounts may exist (init scripts, definitions)."""
    env = {v.name: v for v in k.env}
    envfrom = any(r.via == "envFrom" and r.container in (None, k.name) for r in b.object_refs)

    def first(names: tuple[str, ...], default: str | None) -> _Cred | None:
        for n in names:
            if n in env:
                val = _literal(env[n])
                return None if val is None else _Cred(val, n, env[n].source)
        if default is None or envfrom:
            return None
        return _Cred(default, f"{names[0]} unset, image default", k.source, default=True)

    user = first(eng.user, eng.default_user)
    out: dict[str, _Cred | None] = {
        "user": user,
        "password": first(eng.password, None),
        "database": first(eng.database, None) if eng.database else None,
    }
    unset_db = not any(n in env for n in eng.database)
    if eng.default_db_is_user and out["database"] is None and user is not None and not envfrom and unset_db:
        out["database"] = _Cred(
            user.value, f"{eng.database[0]} unset, defaults to the user", k.source, default=True
        )
    if eng.root_user is not None:
        out["root_password"] = first(eng.root_password, None)
    if "POSTGRES_HOST_AUTH_METHOD" in env:
        out["password"] = None  # trust / md5 settings: the password may not be checked
    more = any((v.mount_path or "").startswith(eng.init_dirs) for v in b.volumes)
    return out, more


def _client_creds(a: Component, e: Edge) -> list[tuple[dict[str, _Cred], str]]:
    """Per container variable that gave the edge's host: the credential fields it or its siblings state."""
    named = {m.group("name") for ev in e.evidence if (m := _ENV_REASON.match(ev.reason))}
    out: list[tuple[dict[str, _Cred], str]] = []
    for k in app_containers(a):
        env = {v.name: v for v in k.env}
        for name in sorted(named & set(env)):
            fields: dict[str, _Cred] = {}
            for field, val in _url_fields(env[name]).items():
                fields[field] = _Cred(val, name, env[name].source)
            prefix = next((name[: -len(s) + 1] for s in _HOST_SUFFIXES if name.endswith(s)), "")
            if prefix:
                for field, suffixes in (
                    ("user", _USER_SUFFIXES),
                    ("password", _PASSWORD_SUFFIXES),
                    ("database", _DB_SUFFIXES),
                ):
                    sib = next((env[prefix + s] for s in suffixes if prefix + s in env), None)
                    if sib is None or field in fields:
                        continue
                    stated = _literal(sib)
                    if stated is not None:
                        fields[field] = _Cred(stated, sib.name, sib.source)
            if fields:
                out.append((fields, name))
    return out


def _url_fields(v: EnvVar) -> dict[str, str]:
    """The credential fields of a connection string; a part holding an unresolved variable is unknown."""
    value = _literal(v)
    if value is not None:
        return _parse_url(value)
    if v.secret_ref or v.config_ref or v.field_ref or v.value is None:
        return {}
    raw = re.sub(r"\$\{[^}]*\}|\{\{.*?\}\}", "$VAR", v.value)  # `${X:?not set}` holds spaces
    return {k: x for k, x in _parse_url(raw).items() if "$" not in x}


def _parse_url(value: str) -> dict[str, str]:
    """user / password / database from a URL (``scheme://user:pw@host/db``, JDBC) or an ADO/JDBC string."""
    found: dict[str, str] = {}
    m = _URL.match(value.strip())
    if m is not None:
        if m.group("user"):
            found["user"] = unquote(m.group("user"))
        if m.group("pw") is not None and m.group("pw") != "":
            found["password"] = unquote(m.group("pw"))
        if m.group("db"):
            found["database"] = unquote(m.group("db"))
        rest = m.group("rest") or ""
    elif "=" in value and ";" in value:
        rest = ";" + value
    else:
        return found
    for p in _PARAM.finditer(rest):
        field = _PARAM_KEYS.get(p.group("key").strip().lower())
        if field is not None and p.group("value").strip():
            found.setdefault(field, p.group("value").strip())
    return found
