"""Dependency inference: which component calls which, and the evidence for it.

Sources of evidence, strongest first: a call stated in redline.yaml (``declared``), a URL or DSN in an
env value (``postgres://u:p@db:5432/x``, ``jdbc:sqlserver://db:1433;databaseName=x``), a connection
string (``Server=tcp:db,1433;Database=x``, libpq ``host=db port=5432 dbname=x``), a bare host in a
``*_HOST``/``*_ADDR``/``*_SERVICE_ADDR`` variable, a Compose ``depends_on``/``links``, an Ingress backend,
and a plain ``host:port`` value (or a list of them). Each reference is resolved the way the platform's DNS
would (:class:`Resolver`). A host that resolves to nothing becomes an :class:`Unresolved` reference, never
an edge; a public DNS name becomes an ``external`` component.

How a callee is called can say what it is: ``mongodb://`` a datastore, ``amqp://`` a queue, ``redis://`` a
cache, a Kafka bootstrap list a queue. :meth:`EdgeBuilder.finish` gives that kind to a callee whose image
said nothing, when every caller agrees, with the reason.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from redline.model import Component, Container, Edge, EnvVar, Evidence, Kind, Source, Unresolved
from redline.model.secrets import mask, mask_text, mask_tree

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# An authority ends where the path, query or fragment starts, at a quote or space, and at ``;`` (JDBC's
# ``jdbc:sqlserver://db:1433;databaseName=x`` puts properties there).
_AUTHORITY = re.compile(r"[^\s/?#'\"<>;]+")
_HOSTPORT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9.-]*):(\d{2,5})\s*$")
_HOST_VAR = re.compile(
    r"(_|^)(HOST|HOSTS|HOSTNAME|ADDR|ADDRESS|ADDRS|SERVICE_ADDR|SERVER|SERVERS|ENDPOINT|ENDPOINTS|BROKER|BROKERS|"
    r"BOOTSTRAP_SERVERS|URL|URI|URLS|DSN|NODES|CONTACT_POINTS|SERVICE_HOST)$",
    re.IGNORECASE,
)
# Words of a variable's name that make its value the component's own address (where it listens, what it
# tells others to call it): never a call, whatever the value.
_OWN_TOKENS = {
    "LISTEN",
    "LISTENER",
    "LISTENERS",
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
# Names that usually hold the component's own address: a value there is a call only when it names
# another component of the scan (``HOST=http://web:8080/``), never an unresolved or external host.
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
CONFIDENCE = {
    "url": 0.9,
    "connstr": 0.9,
    "hostvar": 0.85,
    "hostport": 0.6,
    "depends_on": 0.8,
    "links": 0.8,
    "ingress": 0.95,
    "hostflag": 0.7,  # a host-like flag's value naming another component (`-h edge-router`)
}
# Evidence that says only that a component is needed before another starts, not a runtime call.
STARTUP_KINDS = frozenset({"depends_on", "links", "startup"})


@dataclass(frozen=True)
class KindHint:
    """What the way a host is called says about the callee: ``mongodb://`` -> a mongodb datastore."""

    kind: Kind
    engine: str | None
    how: str  # "mongodb://", "a Kafka bootstrap list", "a connection string naming a database"


def _hint(kind: Kind, engine: str | None, how: str) -> KindHint:
    return KindHint(kind, engine, how)


#: URL scheme -> what the callee is. Only schemes that name one kind of server; http says nothing.
SCHEME_KINDS: dict[str, KindHint] = {
    scheme: _hint(kind, engine, f"{scheme}://")
    for scheme, kind, engine in (
        ("mongodb", Kind.DATASTORE, "mongodb"),
        ("mongodb+srv", Kind.DATASTORE, "mongodb"),
        ("postgres", Kind.DATASTORE, "postgres"),
        ("postgresql", Kind.DATASTORE, "postgres"),
        ("mysql", Kind.DATASTORE, "mysql"),
        ("mariadb", Kind.DATASTORE, "mariadb"),
        ("sqlserver", Kind.DATASTORE, "mssql"),
        ("mssql", Kind.DATASTORE, "mssql"),
        ("redis", Kind.CACHE, "redis"),
        ("rediss", Kind.CACHE, "redis"),
        ("memcached", Kind.CACHE, "memcached"),
        ("amqp", Kind.QUEUE, "rabbitmq"),
        ("amqps", Kind.QUEUE, "rabbitmq"),
        ("kafka", Kind.QUEUE, "kafka"),
        ("nats", Kind.QUEUE, "nats"),
    )
}
_KAFKA_LIST = _hint(Kind.QUEUE, "kafka", "a Kafka bootstrap list")
# A Go MySQL DSN's address (``user:pw@tcp(db:3306)/x``); bounded, so linear on any input.
_GO_DSN = re.compile(r"@tcp[46]?\(([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)\)")
_GO_MYSQL = _hint(Kind.DATASTORE, "mysql", "a Go MySQL DSN")


@dataclass
class Candidate:
    host: str
    how: str  # url | connstr | hostvar | hostport
    text: str  # what the evidence shows
    own: bool = False  # the variable usually holds the component's own address (see _OWN_NAMES)
    hint: KindHint | None = None  # what the way it is called says about the callee


def runtime_value(var: EnvVar) -> str | None:
    """The value the process sees: a Secret's (never printed), else the expanded value, else as written."""
    if var._secret_value is not None:
        return var._secret_value
    return var.expanded if var.expanded is not None else var.value


def candidates(var: EnvVar) -> list[Candidate]:
    """Hostnames an env var points at. Listen/bind/public addresses of the component itself are ignored."""
    value = runtime_value(var)
    upper = var.name.upper()
    if not value or _OWN_TOKENS & set(upper.split("_")):
        return []
    own = upper in _OWN_NAMES
    shown = value
    value = _without_placeholders(value)
    urls = _urls(value)
    if urls:  # a value with URLs is read for its URLs only
        return [
            Candidate(host, "url", shown, own, SCHEME_KINDS.get(scheme.lower()))
            for scheme, authority in urls
            for host in _authority_hosts(authority)
        ]
    oracle = _oracle_host(value)
    if oracle:
        return [Candidate(oracle, "url", shown, own, _hint(Kind.DATASTORE, "oracle", "jdbc:oracle:"))]
    conn = _connection_string(value)
    if conn is not None:
        hosts, hint = conn
        return [Candidate(host, "connstr", shown, own, hint) for host in hosts]
    go = _GO_DSN.search(value)
    if go is not None:  # go-sql-driver/mysql: user:pass@tcp(host:port)/db
        host = _host_of(go.group(1))
        return [Candidate(host, "connstr", _masked_go_dsn(shown), own, _GO_MYSQL)] if host else []
    kafka = _KAFKA_LIST if _is_kafka_list(upper) else None
    if _HOST_VAR.search(var.name):
        parts = re.split(r"[,\s;]+", value.strip(), maxsplit=MAX_REFS_PER_VALUE)
        return [Candidate(h, "hostvar", shown, own, kafka) for h in map(_host_of, parts) if h]
    parts = value.split(",", MAX_REFS_PER_VALUE)
    if all(_HOSTPORT.match(part) for part in parts):  # host:port, or a list of them (a bootstrap list)
        return [Candidate(h, "hostport", shown, own, kafka) for h in map(_host_of, parts) if h]
    return []


def _masked_go_dsn(text: str) -> str:
    """``user:pw@tcp(db:3306)/x`` with its password masked (the text masks do not know this form)."""
    m = _GO_DSN.search(text)
    userinfo = text[: m.start()] if m is not None else ""
    user, colon, password = userinfo.partition(":")
    if m is None or not colon or not password:
        return text
    return f"{user}:{mask(password)}{text[m.start() :]}"


def _is_kafka_list(upper: str) -> bool:
    words = set(upper.split("_"))
    return "BOOTSTRAP" in words or ("KAFKA" in words and bool(words & {"BROKERS", "BROKER", "SERVERS"}))


def _urls(value: str) -> list[tuple[str, str]]:
    """(scheme, authority) of every ``scheme://`` URL in ``value``; the authority is ``user:pass@host:port``
    or a host list (``a:27017,b:27017``), and ends where the next URL of a list begins
    (``http://a:8080,http://b:8080``; ``PLAINTEXT://:9092,CONTROLLER://:9093`` names no host).

    Each ``://`` is found with ``str.find`` and its scheme read backwards no further than the previous
    URL, so the cost is linear on any input (a regex ``[a-z][a-z0-9+.-]*://`` retried at every letter of a
    long word is quadratic); at most :data:`MAX_REFS_PER_VALUE` of them are looked at.
    """
    marks: list[tuple[int, int]] = []  # (scheme start, position of "://")
    floor = 0
    start = value.find("://")
    while start >= 0 and len(marks) < MAX_REFS_PER_VALUE:
        begin = start
        while begin > floor and value[begin - 1] in _SCHEME_CHARS:
            begin -= 1
        if any(ch.isascii() and ch.isalpha() for ch in value[begin:start]):
            marks.append((begin, start))
        floor = start + 3
        start = value.find("://", floor)
    result: list[tuple[str, str]] = []
    for i, (begin, colon) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(value)
        m = _AUTHORITY.match(value, colon + 3, end)
        if m is not None:
            result.append((value[begin:colon], m.group(0)))
    return result


def _authority_hosts(authority: str) -> list[str]:
    hosts = authority.rsplit("@", 1)[-1].split(",", MAX_REFS_PER_VALUE)
    return [h for h in map(_host_of, hosts) if h]


def _oracle_host(value: str) -> str | None:
    """The host of ``jdbc:oracle:thin:@host:1521:SID`` / ``jdbc:oracle:thin:@//host:1521/service``."""
    at = value.lower().find("jdbc:oracle:thin:@")
    if at < 0:
        return None
    start = at + len("jdbc:oracle:thin:@")
    if value.startswith("//", start):
        start += 2
    m = _AUTHORITY.match(value, start)
    if m is None:
        return None
    return _host_of(m.group(0).split(":", 1)[0])


# Connection-string keys (ADO.NET, Npgsql, MySQL Connector, libpq), lowercased, spaces removed.
_CONN_HOST_KEYS = {"server", "host", "datasource", "address", "addr", "networkaddress"}
_CONN_DB_KEYS = {"database", "initialcatalog", "dbname"}
_MSSQL_KEYS = {"initialcatalog", "integratedsecurity", "trustservercertificate", "multipleactiveresultsets"}
_FILE_DB_SUFFIXES = {"db", "sqlite", "sqlite3", "mdf", "sdf", "s3db"}  # Data Source=app.db is a file


def _connection_string(value: str) -> tuple[list[str], KindHint | None] | None:
    """Hosts of a ``key=value`` connection string, and the kind of server it connects to.

    ``Server=tcp:db,1433;Database=x`` (SQL Server), ``Host=db;Port=5432;Database=x`` (Npgsql, MySQL),
    ``Data Source=db`` and libpq's ``host=db port=5432 dbname=x`` (spaces between pairs). At least two
    ``key=value`` pairs, one of them a host key; ``None`` when the value is not one.
    """
    if "=" not in value:
        return None
    semicolons = ";" in value
    parts = value.split(";", MAX_REFS_PER_VALUE) if semicolons else value.split(None, MAX_REFS_PER_VALUE)
    pairs: dict[str, str] = {}
    for part in parts:
        key, eq, val = part.partition("=")
        if eq:
            pairs.setdefault(key.replace(" ", "").lower(), val.strip().strip("'\""))
    keys = [k for k in pairs if k in _CONN_HOST_KEYS]
    if len(pairs) < 2 or not keys:
        return None
    hosts: list[str] = []
    for key in keys:
        for host in _conn_hosts(pairs[key]):
            if key == "datasource" and host.rsplit(".", 1)[-1] in _FILE_DB_SUFFIXES:
                continue
            hosts.append(host)
    if not _CONN_DB_KEYS & pairs.keys():
        return hosts, None
    if not semicolons:
        return hosts, _hint(Kind.DATASTORE, "postgres", "a libpq connection string")
    mssql = bool(_MSSQL_KEYS & pairs.keys()) or any(pairs[k].lower().startswith("tcp:") for k in keys)
    return hosts, _hint(Kind.DATASTORE, "mssql" if mssql else None, "a connection string naming a database")


def _conn_hosts(value: str) -> list[str]:
    """``tcp:db,1433`` -> [db]; ``db\\SQLEXPRESS`` -> [db]; ``a:5432,b:5432`` -> [a, b]."""
    if value.lower().startswith("tcp:"):
        value = value[4:]
    value = value.split("\\", 1)[0]
    parts = value.split(",", MAX_REFS_PER_VALUE)
    if len(parts) == 2 and parts[1].strip().isdigit():  # SQL Server's "host,port"
        parts = parts[:1]
    return [h for h in map(_host_of, parts) if h]


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


class PlatformResolver(Protocol):
    """One platform's name resolution (its DNS), provided by that platform's reader."""

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]: ...


@dataclass
class Resolver:
    """Name resolution as each platform's DNS does it: each platform's reader registers its own
    resolver under its ``Component.platform`` (Compose: sources/readers/compose.py; Kubernetes:
    sources/readers/kubernetes.py)."""

    platforms: dict[str, PlatformResolver] = field(default_factory=dict)

    def resolve(self, src: Component, host: str) -> tuple[list[Component], float, str]:
        """(targets, confidence factor, note). No targets means unresolved; the note says why."""
        own = self.platforms.get(src.platform)
        if own is None:
            return [], 0.0, f"no name resolution for platform {src.platform}"
        return own.resolve(src, host)


class EdgeBuilder:
    """Collects evidence per (from, to) and turns it into edges with a combined confidence."""

    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], Edge] = {}
        self.unresolved: list[Unresolved] = []
        self._unresolved_seen: set[tuple[str, str, str]] = set()
        self.externals: dict[str, Component] = {}
        # id(callee) -> (callee, [(hint, who called it how)]): kinds given in finish()
        self._hints: dict[int, tuple[Component, list[tuple[KindHint, str]]]] = {}

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

    def called_as(self, dst: Component, hint: KindHint, why: str) -> None:
        """Record that ``dst`` is called in a way that says what it is (``why``: who, where)."""
        hints = self._hints.setdefault(id(dst), (dst, []))[1]
        if len(hints) < MAX_REFS_PER_VALUE:
            hints.append((hint, why))

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
            edge.startup_only = all(ev.kind in STARTUP_KINDS for ev in edge.evidence)
            edge.evidence.sort(key=lambda e: -e.confidence)
            result.append(edge)
        result.sort(key=lambda e: (e.from_, e.to))
        for dst, hints in self._hints.values():
            _kind_from_calls(dst, hints)
        return result


def _kind_from_calls(dst: Component, hints: list[tuple[KindHint, str]]) -> None:
    """Give ``dst`` the kind its callers' schemes say, when its image said nothing and they all agree.

    A kind from the image (an engine was recognised) or from redline.yaml is never replaced; a kind from
    the component's name is, by what its callers show (a scheme is stronger evidence than a name).
    """
    if dst.engine is not None or dst.platform not in ("compose", "kubernetes"):
        return
    if len({h.kind for h, _ in hints}) != 1:
        return
    engines = {h.engine for h, _ in hints if h.engine}
    hint, why = min(hints, key=lambda h: h[1])
    more = len({w for _, w in hints}) - 1
    dst.kind = hint.kind
    dst.engine = engines.pop() if len(engines) == 1 else None
    dst.kind_reason = f"called with {hint.how} by {why}" + (f" (and {more} more)" if more else "")


# Flags whose value is the host a command connects to (`-h edge-router`: a load tester's target;
# `--host=db`, `--server cache:6379`, `--bootstrap-server kafka:9092`). A flag's value is read as a call
# only when it names another component of the scan: `-h` is also help, `--host 0.0.0.0` a bind address.
HOST_FLAGS = frozenset(
    {
        "-h",
        "-H",
        "--host",
        "--server",
        "--servers",
        "--url",
        "--uri",
        "--endpoint",
        "--target",
        "--broker",
        "--brokers",
        "--bootstrap-server",
        "--bootstrap-servers",
    }
)
MAX_ARGUMENT_WORDS = 4_096  # words of one container's command looked at (a shell script is one argument)


def infer_env(
    components: Iterable[Component],
    resolver: Resolver,
    builder: EdgeBuilder,
    one_shot: Mapping[str, str] | None = None,
) -> None:
    """Edges from env values and command arguments of every container of every component.

    What an init container states, and what a one-shot service states (``one_shot``: component name ->
    the service that waits for it to complete), is reached at start-up: its evidence is ``startup``, and
    an edge with only such evidence is ``startup_only``.
    """
    one_shot = one_shot or {}
    for comp in components:
        if comp.platform not in ("compose", "kubernetes"):
            continue
        for container in comp.containers:
            step = _startup_step(comp, container, one_shot)
            for var in [*container.env, *arguments(container)]:
                for cand in _candidates_of(var):
                    _infer_one(comp, var, cand, resolver, builder, step)


def _startup_step(comp: Component, container: Container, one_shot: Mapping[str, str]) -> str | None:
    """``init container X`` / ``one-shot service X (Y waits for it to complete)``, or None at runtime."""
    if container.init:
        return f"init container {container.name}"
    if comp.name in one_shot:
        return f"one-shot service {comp.name} ({one_shot[comp.name]} waits for it to complete)"
    return None


def arguments(container: Container) -> list[EnvVar]:
    """The words of a command that name hosts, each as a pseudo env var cited at its argument's line.

    A word holding a URL (``-Dspring.data.mongodb.uri=mongodb://db/x``, ``--redis=redis://cache``, a
    ``git clone https://...`` in a shell script) counts like an env URL; a host-like flag's value
    (:data:`HOST_FLAGS`: ``-h edge-router``, ``--host=db:5432``) is kept for another component only. Other
    bare words are too ambiguous to read as hosts. Linear: each argument is split once, at most
    :data:`MAX_ARGUMENT_WORDS` words in all.
    """
    words: list[tuple[str, Source | None]] = []  # every word of the command, with its argument's source
    sources = container.command_sources
    for i, arg in enumerate(container.command):
        src = sources[i] if i < len(sources) else container.source
        words += [(w, src) for w in arg.split(None, MAX_ARGUMENT_WORDS)[:MAX_ARGUMENT_WORDS]]
        if len(words) >= MAX_ARGUMENT_WORDS:
            break
    refs: list[EnvVar] = []
    for i, (word, src) in enumerate(words[:MAX_ARGUMENT_WORDS]):
        flag, eq, value = word.partition("=")
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        if "://" in word:
            refs.append(EnvVar(name=f"argument {flag}", value=word, source=src))
        elif eq and (flag in HOST_FLAGS or _HOST_VAR.search(_env_form(flag))):
            refs.append(EnvVar(name=f"flag {flag}", value=value, source=src))
        elif word in HOST_FLAGS and nxt and "://" not in nxt:
            refs.append(EnvVar(name=f"flag {word}", value=nxt, source=src))
    return refs


def _env_form(flag: str) -> str:
    """``-mongo-host`` -> ``MONGO_HOST``, ``--db.url`` -> ``DB_URL``: a flag's name read as an env name."""
    return flag.lstrip("-").replace("-", "_").replace(".", "_").upper()


def _candidates_of(var: EnvVar) -> list[Candidate]:
    """Env values and URL arguments by :func:`candidates`. A host flag's value (``-h edge-router``) is a
    host, and ``-NAME=value`` with a host-like NAME (``-mongo-host=db:27017``, ``-DSN=u@tcp(db:3306)/x``)
    is read as env NAME would be; both only for another component (``own``)."""
    if not var.name.startswith("flag "):
        return candidates(var)
    flag, value = var.name[len("flag ") :], var.value or ""
    if flag not in HOST_FLAGS:
        found = candidates(EnvVar(name=_env_form(flag), value=value))
        return [replace(c, text=f"{flag}={c.text}", own=True) for c in found]
    host = _host_of(value.strip("'\";,"))
    return [Candidate(host, "hostflag", f"{flag} {value}", own=True)] if host else []


def _infer_one(
    comp: Component,
    var: EnvVar,
    cand: Candidate,
    resolver: Resolver,
    builder: EdgeBuilder,
    step: str | None = None,
) -> None:
    """The edge (or external, or unresolved reference) one host of one env var gives; ``step`` names the
    start-up step (init container, one-shot service) that states it."""
    src = var.source or comp.source
    reason = (f"{step} at start-up: " if step else "") + describe(var, cand)
    kind: Literal["startup", "config", "env"] = "startup" if step else "config" if var.from_config else "env"
    targets, factor, note = resolver.resolve(comp, cand.host)
    base = CONFIDENCE[cand.how] - (0.05 if var.from_config else 0.0)
    if targets:
        for t in targets:
            if t is comp:
                continue
            ev = Evidence(
                reason=reason + (f"; {note}" if note else ""),
                kind=kind,
                confidence=round(base * factor, 3),
                source=src,
            )
            builder.add(comp, t, ev)
            if cand.hint is not None:
                label = var.name if var.name.startswith("argument ") else f"env {var.name}"
                builder.called_as(t, cand.hint, f"{comp.name} ({label} at {src})")
    elif cand.own:
        return  # a name that usually holds the component's own address: only another component counts
    elif is_public_dns(cand.host) and cand.how in ("url", "connstr", "hostvar"):
        ext = builder.external(cand.host, src)
        builder.add(comp, ext, Evidence(reason=reason, kind=kind, confidence=base, source=src))
    elif cand.how in ("url", "connstr", "hostvar") or "-" in cand.host or "." not in cand.host:
        if cand.host == comp.name.rsplit("/", 1)[-1] or cand.host in comp.aliases:
            return
        builder.unresolved_ref(comp, cand.host, f"{reason}: {note}", src)


MAX_SHOWN_SUBSTITUTIONS = 8


def describe(var: EnvVar, cand: Candidate) -> str:
    """The evidence text for one host of ``var``: how its value was derived, secrets masked.

    ``env DB_URL=postgres://app:****@db:5432/x``; ``env URL=http://otel:4317 [OTEL_NAME=otel at k.yaml:9]``;
    a value that holds a Secret's shows the key and the host, never the value:
    ``env DB_URL from Secret db/url (value po****): host db``.
    """
    if var.name.startswith(("argument ", "flag ")):
        return f"argument {mask_text(cand.text)}"
    where = f" (from ConfigMap {var.from_config})" if var.from_config else ""
    subs = var.substitutions[:MAX_SHOWN_SUBSTITUTIONS]
    shown = "; ".join(f"{s.name}={mask_tree(s.value, s.name)} at {s.source}" for s in subs)
    derived = f" [{shown}]" if shown else ""
    if var._secret_value is None:
        return f"env {var.name}={mask_text(cand.text)}{where}{derived}"
    if var.value is None and var.secret_ref:
        secret = mask(var._secret_value)
        return f"env {var.name} from Secret {var.secret_ref} (value {secret}): host {cand.host}"
    return f"env {var.name}={mask_text(var.value or '')}{derived}: host {cand.host}"
