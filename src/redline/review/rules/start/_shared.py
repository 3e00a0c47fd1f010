"""Helpers shared by the start rules."""

from __future__ import annotations

import math
import re

from redline.fix.build import doc_of, k8s_quantity, memory_limit_edits, not_editable
from redline.fix.edits import Fix, advice, unsafe
from redline.model import Component, Container, EnvVar, K8sObject
from redline.model.system import ObjectRef
from redline.review.context import Context
from redline.review.rules._util import loc

_MI = 1024 * 1024


def _keys(o: K8sObject) -> set[str] | None:
    """The keys a ConfigMap or Secret holds, or None when it holds none (filled in by a controller)."""
    if o.kind == "Secret":
        keys = {str(k) for k in o.spec.get("keys") or []}
    else:
        keys = {str(k) for k in o.spec.get("data_lines") or {}} | {
            str(k) for k in o.spec.get("binary_keys") or []
        }
    return keys or None


def _missing(ctx: Context, c: Component, ref: ObjectRef) -> tuple[str, list[str]] | None:
    """Why ``ref`` will not resolve (and the names that do exist), or None when it does or may."""
    if ref.optional or not ref.name:
        return None
    ns = c.namespace or "default"
    if ref.kind == "ServiceAccount" and ref.name == "default":
        return None  # every namespace has one
    defined = [o for o in ctx.objects(ref.kind) if o.namespace == ns]
    if not defined:
        return None  # the repository defines none of this kind here: they come from elsewhere
    obj = ctx.object_named(ref.kind, ns, ref.name)
    if obj is None:
        names = sorted({o.name for o in defined})
        return f"{ref.kind} `{ref.name}`, which the repository does not define in namespace `{ns}`", names
    if ref.key is None or ref.kind not in ("ConfigMap", "Secret"):
        return None
    keys = _keys(obj)
    if keys is None or ref.key in keys:
        return None
    return f"key `{ref.key}` of {ref.kind} `{ref.name}`, which has no such key", sorted(keys)


_STUCK = {
    "ConfigMap": "CreateContainerConfigError (env) or ContainerCreating (volume)",
    "Secret": "CreateContainerConfigError (env) or ContainerCreating (volume)",
    "PersistentVolumeClaim": "Pending (the claim does not exist)",
    "ServiceAccount": "not created at all (the ReplicaSet reports `serviceaccount not found`)",
}


#: Environment variables the JVM (or the usual start scripts) read JVM options from.
_JVM_ENV = (
    "JDK_JAVA_OPTIONS",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JAVA_OPTS",
    "JAVA_OPTIONS",
    "JVM_OPTS",
    "CATALINA_OPTS",
    "ES_JAVA_OPTS",
    "KAFKA_HEAP_OPTS",
)


_XMX = re.compile(r"(?<![\w-])-Xmx(\d+(?:\.\d+)?)([kKmMgGtT]?)(?![\w.])")


_RAM_PCT = re.compile(r"(?<![\w-])-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)(?![\w.])")


_NODE_OLD = re.compile(r"(?<![\w-])--max[-_]old[-_]space[-_]size=(\d+)(?![\w.])")


_GO_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$")


_JVM_UNIT = {"": 1, "k": 1024, "m": _MI, "g": 1024 * _MI, "t": 1024 * 1024 * _MI}


_GO_UNIT = {None: 1, "B": 1, "KiB": 1024, "MiB": _MI, "GiB": 1024 * _MI, "TiB": 1024 * 1024 * _MI}


#: Share of the limit a heap may take before what comes on top of it (metaspace, thread stacks, code
#: cache, direct buffers; V8's young generation and code space) is likely not to fit.
_HEADROOM = 0.8


def _size(n: float) -> str:
    """A byte count the way limits are written: ``512 MiB``, ``1.5 GiB``."""
    if n >= 1024 * _MI:
        return f"{n / (1024 * _MI):g} GiB"
    if n >= _MI:
        return f"{round(n / _MI, 1):g} MiB"
    return f"{n:g} bytes"


def _env_value(e: EnvVar) -> str | None:
    return e.expanded if e.expanded is not None else e.value


def _heap(k: Container) -> tuple[str, float | None, float | None, str] | None:
    """The runtime heap a container starts with: (runtime, bytes, percent of the limit, where it is set).

    The command line wins over the environment (the JVM takes the last ``-Xmx`` it sees; start scripts put
    ``JAVA_OPTS`` before the main class), and an ``-Xmx`` over ``MaxRAMPercentage``.
    """
    settings: list[tuple[str, str, str]] = []  # (runtime, text, where)
    by_name = {e.name: e for e in k.env}
    for name in _JVM_ENV:
        e = by_name.get(name)
        v = _env_value(e) if e is not None else None
        if e is not None and v:
            settings.append(("JVM", v, f"{loc(e.source, k.source)} env {name}"))
    node = by_name.get("NODE_OPTIONS")
    if node is not None and _env_value(node):
        settings.append(("Node.js", _env_value(node) or "", f"{loc(node.source, k.source)} env NODE_OPTIONS"))
    for i, word in enumerate(k.command):
        src = k.command_sources[i] if i < len(k.command_sources) else k.source
        runtime = "Node.js" if _NODE_OLD.search(word) else "JVM"
        settings.append((runtime, word, f"{loc(src, k.source)} command"))
    best: tuple[str, float | None, float | None, str] | None = None
    for runtime, text, at in settings:
        if runtime == "Node.js":
            for m in _NODE_OLD.finditer(text):
                best = ("Node.js", float(m.group(1)) * _MI, None, f"{at}: --max-old-space-size={m.group(1)}")
            continue
        for m in _XMX.finditer(text):
            n = float(m.group(1)) * _JVM_UNIT[m.group(2).lower()]
            best = ("JVM", n, None, f"{at}: -Xmx{m.group(1)}{m.group(2)}")
        if best is None or best[1] is None:
            for m in _RAM_PCT.finditer(text):
                best = ("JVM", None, float(m.group(1)), f"{at}: -XX:MaxRAMPercentage={m.group(1)}")
    return best


def _go_limit(k: Container) -> tuple[float, str] | None:
    for e in k.env:
        if e.name != "GOMEMLIMIT":
            continue
        m = _GO_LIMIT.match(_env_value(e) or "")
        if m:
            return float(m.group(1)) * _GO_UNIT[m.group(2)], f"{loc(e.source, k.source)} env GOMEMLIMIT"
    return None


#: Memory a datastore engine takes by default, below which a limit is certain to be outgrown:
#: (floor in bytes, the default that sets it, command-line words that change that default).
_FLOORS: dict[str, tuple[float, str, tuple[str, ...]]] = {
    "mysql": (
        256 * _MI,
        "InnoDB's buffer pool is 128 MiB by default and MySQL 8's performance schema and per-connection "
        "buffers add well over 100 MiB more",
        ("innodb-buffer-pool-size", "innodb_buffer_pool_size"),
    ),
    "mariadb": (
        128 * _MI,
        "InnoDB's buffer pool alone is 128 MiB by default",
        ("innodb-buffer-pool-size", "innodb_buffer_pool_size"),
    ),
    "postgres": (
        128 * _MI,
        "shared_buffers is 128 MB by default, and shared memory counts against the container's limit",
        ("shared_buffers",),
    ),
    "mongodb": (
        256 * _MI,
        "the WiredTiger cache is at least 256 MB unless configured",
        ("wiredtigercachesizegb",),
    ),
    "kafka": (
        1024 * _MI,
        "Kafka's start script runs the broker with -Xmx1G -Xms1G unless KAFKA_HEAP_OPTS says otherwise",
        ("-xmx",),
    ),
}


_SLOW_IMAGES = re.compile(
    r"(^|/)(openjdk|eclipse-temurin|amazoncorretto|ibm-semeru-runtimes|sapmachine|tomcat|jetty|wildfly|"
    r"jboss[\w-]*|keycloak|jenkins|sonarqube|dotnet/(aspnet|runtime|sdk))(:|@|$)"
)


def _slow_runtime(k: Container) -> str | None:
    """Why the container is a JVM or .NET process (slow to start), or None."""
    if k.image and _SLOW_IMAGES.search(k.image.lower()):
        return f"image {k.image}"
    for e in k.env:
        if e.name in _JVM_ENV and _env_value(e):
            return f"env {e.name}"
    words = [w.rsplit("/", 1)[-1] for w in k.command[:1]]
    if words and words[0] in ("java", "dotnet"):
        return f"command {words[0]}"
    return None


def _start_budget(cpu_limit: float | None) -> float:
    """Seconds of start-up a liveness probe must allow a JVM/.NET service before it is judged too short.

    A small Spring Boot or ASP.NET service starts in a few seconds on a full core; a CPU limit stretches
    that roughly in proportion (class loading and JIT are CPU-bound)."""
    if cpu_limit is not None and cpu_limit < 0.25:
        return 60.0
    if cpu_limit is not None and cpu_limit < 0.5:
        return 30.0
    return 15.0


#: Mount paths that ARE an engine's data directory (not a path below one: /data/seed may well be read-only).
_DATA_ROOT = re.compile(
    r"^(/var/lib/(postgresql(/data)?|mysql|mongodb|rabbitmq|kafka|redis|cassandra|elasticsearch|zookeeper)"
    r"|/data(/db)?|/bitnami(/[\w-]+(/data)?)?|/usr/share/elasticsearch/data|/var/opt/mssql|/opt/couchdb/data)"
    r"/?$"
)


def _claim_modes(ctx: Context, c: Component, claim: str | None, modes: list[str]) -> list[str]:
    """A claim's access modes: as linked onto the volume, else from the PersistentVolumeClaim object."""
    if modes or not claim:
        return list(modes)
    obj = ctx.object_named("PersistentVolumeClaim", c.namespace or "default", claim)
    raw = obj.spec.get("accessModes") if obj is not None else None
    return [str(m) for m in raw] if isinstance(raw, list) else []


# ------------------------------------------------------------------------------------------------ fixes

#: Memory limits a fix writes are rounded up to this step, as people write them.
_LIMIT_STEP = 128 * _MI


def _round_up(n: float) -> float:
    return math.ceil(n / _LIMIT_STEP) * _LIMIT_STEP


def _quantity(n: float) -> str:
    """A memory limit as a fix writes it: ``768Mi``, ``2Gi``."""
    return str(k8s_quantity("memory", n, round_up=True))


def _limit_fix(c: Component, k: Container, limit: float, title: str) -> Fix:
    """Raise ``k``'s memory limit to ``limit`` bytes where its platform writes it (advice when ``c`` has no
    document redline can edit)."""
    doc = doc_of(c)
    edits = memory_limit_edits(doc, c, k, limit) if doc is not None else None
    if edits is None:
        return advice(title, not_editable(c), {"resources": {"limits": {"memory": _quantity(limit)}}})
    return unsafe(title, *edits)
