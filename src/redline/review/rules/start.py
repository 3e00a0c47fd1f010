"""Will the containers start and stay up: references, memory and CPU floors, probes, state.

Codes ST001-ST039.

Each rule here decides, from the files alone, a failure that otherwise shows up only after deploy as a
pod stuck in ``CreateContainerConfigError`` / ``ContainerCreating`` or an ``OOMKilled`` restart loop. The
bias is the project's: a false finding costs more than a miss, so a reference counts as missing only when
the repository defines other objects of that kind in that namespace, and memory floors are the runtime's
own documented defaults, not tuning advice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from redline.model import Component, Container, EnvVar, K8sObject, Kind
from redline.model.system import ObjectRef
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules._util import app_containers, loc, where

_MI = 1024 * 1024

# --------------------------------------------------------------------------------------------------------
# ST001: references to objects the repository does not define


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


@register
class MissingObjectReference(Rule):
    """What it does:
    Flags a pod that needs a ConfigMap, Secret, key of one, PersistentVolumeClaim or ServiceAccount that the
    repository does not define: in `env` (`configMapKeyRef`/`secretKeyRef`), `envFrom`, `volumes` (including
    `projected` sources and `items` keys) and `serviceAccountName`. It fires only when the repository
    defines other objects of that kind in that namespace, so the missing one is most likely a typo or a
    rename; when it defines none, the objects are taken to come from outside (a secrets operator, a
    cluster bootstrap) and nothing is reported. References marked `optional: true` never fire, and the
    `default` ServiceAccount always exists.

    Why it matters:
    The manifests apply cleanly, then the pod never starts: a missing ConfigMap or Secret in env keeps the
    container in `CreateContainerConfigError`, in a volume it stays `ContainerCreating`, a missing claim
    keeps it `Pending`, and a missing ServiceAccount stops the ReplicaSet from creating pods at all. A
    rollout with `maxUnavailable: 0` hangs; otherwise the old pods are replaced by pods that never serve.

    Example:
    env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db-secret, key: pasword}}}]
    # the Secret `db-secret` has the key `password`

    Fix:
    valueFrom:
      secretKeyRef: {name: db-secret, key: password}   # a name and key the repository defines

    Trade-offs:
    None for a typo. If the object really is created outside the repository, mark the reference
    `optional: true` only when the container can start without it; otherwise document where it comes from.
    """

    code = "ST001"
    name = "missing-object-reference"
    category = Category.START
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes":
                continue
            seen: set[tuple[str, str, str | None, str]] = set()
            for ref in c.object_refs:
                key = (ref.kind, ref.name, ref.key, ref.via)
                if key in seen:
                    continue
                seen.add(key)
                missing = _missing(ctx, c, ref)
                if missing is None:
                    continue
                what, existing = missing
                file, line = where(ref.source, c.source)
                holder = f"container `{ref.container}` of `{c.name}`" if ref.container else f"`{c.name}`"
                shown = ", ".join(f"`{n}`" for n in existing[:5]) + (" …" if len(existing) > 5 else "")
                label = "keys" if ref.key is not None and "key `" in what else f"{ref.kind}s"
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"{holder} needs {what} ({ref.via}; defined {label}: {shown})",
                    why=(
                        f"The manifests apply, but `{c.name}`'s pods are "
                        f"{_STUCK.get(ref.kind, 'not started')}: they never start, and a rollout "
                        "replaces working pods with ones that never serve."
                    ),
                    fix=(
                        f"# {c.name}: reference a {ref.kind} (and key) the repository defines, e.g. "
                        f"{existing[0] if existing else '<name>'}\n"
                        "# or, if the container can start without it: optional: true"
                    ),
                    tradeoff=(
                        "None for a typo; `optional: true` hides a real omission, use it only when safe."
                    ),
                )


# --------------------------------------------------------------------------------------------------------
# ST002: heap settings at or above the memory limit

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


@register
class HeapAboveMemoryLimit(Rule):
    """What it does:
    Flags a container whose runtime is told to use as much memory as its memory limit allows, or more:
    a JVM `-Xmx` (in `JAVA_OPTS`, `JAVA_TOOL_OPTIONS`, `JDK_JAVA_OPTIONS`, `_JAVA_OPTIONS`, `JVM_OPTS`,
    `CATALINA_OPTS`, `ES_JAVA_OPTS`, `KAFKA_HEAP_OPTS` or the command) at or above 80% of the limit, a
    `-XX:MaxRAMPercentage` above 90, a Node.js `--max-old-space-size` (in `NODE_OPTIONS` or the command)
    at or above 80% of the limit, and a `GOMEMLIMIT` at or above the limit. At or above the limit is
    high severity; between 80% and 100% medium.

    Why it matters:
    The heap is not all a process uses: a JVM adds metaspace, thread stacks, the code cache and direct
    buffers (typically 100-300 MiB), V8 its young generation and code space. When the heap may grow to
    the limit, the kernel's OOM killer ends the container as soon as the heap fills, under load, with
    no Java `OutOfMemoryError` and no log line: an `OOMKilled` restart loop exactly when traffic peaks.
    A `GOMEMLIMIT` above the limit never makes Go's collector work harder before the kill.

    Example:
    env: [{name: JAVA_OPTS, value: "-Xmx512m"}]
    resources: {limits: {memory: 512Mi}}

    Fix:
    env: [{name: JAVA_OPTS, value: "-XX:MaxRAMPercentage=75"}]   # heap follows the limit
    resources: {limits: {memory: 768Mi}}

    Trade-offs:
    A smaller heap collects more often (CPU) or a bigger limit costs node memory; the percentage form
    keeps heap and limit from drifting apart.
    """

    code = "ST002"
    name = "heap-above-memory-limit"
    category = Category.START
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in app_containers(c):
                limit = k.resources.memory_limit if k.resources is not None else None
                if not limit or limit <= 0:
                    continue
                file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                for sev, message, evidence in self._problems(k, limit):
                    yield self.finding(
                        component=c.name,
                        file=file,
                        line=line,
                        severity=ctx.severity_for(c, sev),
                        message=f"container `{k.name}` of `{c.name}`: {message}",
                        why=(
                            f"When the heap fills under load, `{c.name}`'s container uses more than its "
                            f"{_size(limit)} limit and the kernel kills it (OOMKilled), with no error in "
                            "its logs: a restart loop at the traffic peak."
                        ),
                        fix=(
                            f"# {c.name}, container {k.name}: heap at most ~75% of the limit\n"
                            'env: [{name: JAVA_OPTS, value: "-XX:MaxRAMPercentage=75"}]\n'
                            f"# or raise resources.limits.memory above {_size(limit)}"
                        ),
                        tradeoff=(
                            "A smaller heap collects more often; a bigger limit costs node memory. A "
                            "percentage keeps heap and limit from drifting apart."
                        ),
                        evidence=[evidence],
                    )

    def _problems(self, k: Container, limit: float) -> Iterator[tuple[Severity, str, str]]:
        heap = _heap(k)
        if heap is not None:
            runtime, size, pct, at = heap
            extra = (
                "metaspace, thread stacks and the code cache"
                if runtime == "JVM"
                else "V8's young generation and code space"
            )
            if size is not None and size >= limit:
                yield (
                    Severity.HIGH,
                    f"the {runtime} heap may grow to {_size(size)}, at or above the {_size(limit)} memory "
                    f"limit, and {extra} come on top",
                    at,
                )
            elif size is not None and size >= _HEADROOM * limit:
                yield (
                    Severity.MEDIUM,
                    f"the {runtime} heap may grow to {_size(size)}, {size / limit:.0%} of the {_size(limit)} "
                    f"memory limit, leaving too little for {extra}",
                    at,
                )
            elif pct is not None and pct > 90:
                yield (
                    Severity.HIGH if pct >= 100 else Severity.MEDIUM,
                    f"-XX:MaxRAMPercentage={pct:g} lets the JVM heap take {pct:g}% of the {_size(limit)} "
                    f"memory limit, leaving too little for {extra}",
                    at,
                )
        go = _go_limit(k)
        if go is not None and go[0] >= limit:
            yield (
                Severity.MEDIUM,
                f"GOMEMLIMIT {_size(go[0])} is at or above the {_size(limit)} memory limit: the Go "
                "collector never tightens before the kernel kills the container",
                go[1],
            )


# --------------------------------------------------------------------------------------------------------
# ST003: datastores below the memory their engine needs by default

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


@register
class DatastoreMemoryBelowFloor(Rule):
    """What it does:
    Flags a datastore or queue whose memory limit is below what its engine takes by default, when the
    command does not lower that default: MySQL 256 MiB (128 MiB InnoDB buffer pool plus the performance
    schema and connection buffers), MariaDB 128 MiB (buffer pool), PostgreSQL 128 MiB (`shared_buffers`),
    MongoDB 256 MiB (minimum WiredTiger cache), Kafka 1 GiB (its start script's `-Xmx1G`, unless
    `KAFKA_HEAP_OPTS` is set). Floors are the engines' own defaults, deliberately low: tuning advice is
    not a finding.

    Why it matters:
    The engine starts, fills its default cache as data is read, and crosses the limit: the kernel kills
    it (OOMKilled) in the middle of queries, and every service behind it fails with it. Scaling the limit
    down also makes a review look greener while the database is about to crash-loop.

    Example:
    image: mysql:8.0
    resources: {limits: {memory: 10Mi}}

    Fix:
    resources: {limits: {memory: 512Mi}}
    # or lower the engine's default: args: ["--innodb-buffer-pool-size=64M"]

    Trade-offs:
    More memory per replica costs node capacity; a smaller cache than the default makes reads slower.
    """

    code = "ST003"
    name = "datastore-memory-below-floor"
    category = Category.START
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            floor = _FLOORS.get(c.engine or "")
            if floor is None or c.is_batch:
                continue
            need, reason, knobs = floor
            for k in app_containers(c):
                if k.image != c.image:
                    continue  # the engine is the main image's; sidecars are not the datastore
                limit = k.resources.memory_limit if k.resources is not None else None
                if not limit or limit <= 0 or limit >= need:
                    continue
                words = " ".join(k.command).lower()
                if any(knob in words for knob in knobs):
                    continue
                if c.engine == "kafka" and any(e.name == "KAFKA_HEAP_OPTS" for e in k.env):
                    continue  # ST002 judges an explicit heap
                file, line = where(k.resources.source if k.resources else None, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"{c.engine} `{c.name}` has a {_size(limit)} memory limit, below the {_size(need)} "
                        f"its engine takes by default: {reason}"
                    ),
                    why=(
                        f"`{c.name}` starts, fills its default cache as it serves, and is killed by the "
                        "kernel (OOMKilled) mid-query; every service that depends on it fails with it."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nresources:\n  limits: {{memory: "
                        f"{max(2 * int(need // _MI), 512)}Mi}}\n"
                        "# or configure the engine's cache below the limit"
                    ),
                    tradeoff="More memory per replica costs node capacity; a smaller cache slows reads.",
                )


# --------------------------------------------------------------------------------------------------------
# ST004: a liveness probe that kills a slow-starting runtime

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


@register
class LivenessKillsSlowStarter(Rule):
    """What it does:
    Flags a JVM or .NET container (known by its image, a JVM options variable such as `JAVA_OPTS`, or a
    `java`/`dotnet` command) with a liveness probe and no startup probe, whose liveness probe gives up
    before such a service has started: `initialDelaySeconds + failureThreshold x periodSeconds` (Kubernetes
    defaults 0, 3 and 10) under 15 s, under 30 s with a CPU limit below 500m, or under 60 s with a CPU
    limit below 250m, since a CPU limit slows class loading and JIT compilation roughly in proportion.

    Why it matters:
    The kubelet starts probing liveness as soon as the initial delay has passed. A service that needs
    longer to start is killed before it ever listens, restarted, and killed again: `CrashLoopBackOff`
    with nothing in the application log but a start-up that never finished. It often appears only on a
    busy node or after a CPU limit is lowered, so it passes every test on a laptop.

    Example:
    image: eclipse-temurin:21
    resources: {limits: {cpu: 200m}}
    livenessProbe: {httpGet: {path: /actuator/health/liveness, port: 8080}, periodSeconds: 5}

    Fix:
    startupProbe:                       # liveness starts only after this succeeds
      httpGet: {path: /actuator/health/liveness, port: 8080}
      periodSeconds: 5
      failureThreshold: 36              # up to 3 minutes to start

    Trade-offs:
    A long startup probe delays restarting a process that hangs during start-up; a larger CPU limit costs
    node capacity.
    """

    code = "ST004"
    name = "liveness-kills-slow-starter"
    category = Category.START
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.is_batch:
                continue
            for k in app_containers(c):
                p = k.liveness
                if p is None or k.startup is not None:
                    continue
                why_slow = _slow_runtime(k)
                if why_slow is None:
                    continue
                delay = p.initial_delay_s or 0.0
                period = p.period_s if p.period_s is not None else 10.0
                failures = p.failure_threshold if p.failure_threshold is not None else 3
                budget = delay + failures * period
                cpu = k.resources.cpu_limit if k.resources is not None else None
                need = _start_budget(cpu)
                if budget >= need:
                    continue
                cpu_note = f" under a {cpu * 1000:g}m CPU limit" if cpu is not None and cpu < 0.5 else ""
                file, line = where(p.source, k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=(
                        f"container `{k.name}` of `{c.name}` is a JVM/.NET service ({why_slow}) whose "
                        "liveness probe, with no startup probe, kills it if it has not started after "
                        f"{budget:g} s "
                        f"(initialDelaySeconds {delay:g} + failureThreshold {failures} x periodSeconds "
                        f"{period:g}){cpu_note}; such services need {need:g} s or more"
                    ),
                    why=(
                        f"`{c.name}` is killed before it finishes starting, restarted and killed again: "
                        "CrashLoopBackOff, typically on a busy node or after the CPU limit was lowered."
                    ),
                    fix=(
                        f"# {c.name}, container {k.name}\nstartupProbe:  # liveness waits for this\n"
                        "  httpGet: {path: /health, port: 8080}\n  periodSeconds: 5\n  failureThreshold: 36"
                    ),
                    tradeoff=(
                        "A hang during start-up is noticed later; a larger CPU limit costs node capacity."
                    ),
                )


# --------------------------------------------------------------------------------------------------------
# ST005: a datastore whose data directory it cannot write

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


@register
class DatastoreDataNotWritable(Rule):
    """What it does:
    Flags a datastore or queue of a known engine (Kubernetes) whose data directory (the mount path
    itself, such as `/var/lib/postgresql/data`, `/var/lib/mysql`, `/data/db`, `/bitnami/...`; not a path
    below it) is mounted `readOnly: true`, or is a PersistentVolumeClaim (a claim or a
    volumeClaimTemplate) whose access modes are `ReadOnlyMany` only.

    Why it matters:
    A database writes its data directory from its first second: initdb, the InnoDB system tablespace,
    WiredTiger's journal, a lock file. On a read-only mount the engine fails at start (`Read-only file
    system`) and the pod crash-loops; every service behind it fails with it. A claim that asks only for
    `ReadOnlyMany` binds only to a volume offered for read-only use: most provisioners cannot create one
    (the claim stays Pending and the pod never starts), and drivers that honour the mode publish it
    read-only. Access modes are matching descriptors, not always enforced (an NFS volume stays
    writable), which is why the claim case is reported as the request it is.

    Example:
    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadOnlyMany], resources: {requests: {storage: 10Gi}}}

    Fix:
    volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
    # and no readOnly: true on the data directory's volumeMount

    Trade-offs:
    None for the engine's own data; read-only seed data belongs on a separate mount below or beside the
    data directory.
    """

    code = "ST005"
    name = "datastore-data-not-writable"
    category = Category.START
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.is_batch or not c.engine:
                continue
            if c.kind not in (Kind.DATASTORE, Kind.QUEUE):
                continue
            for v in c.volumes:
                if not v.mount_path or not _DATA_ROOT.match(v.mount_path):
                    continue
                if v.type not in ("persistentVolumeClaim", "hostPath", "emptyDir"):
                    continue
                modes = (
                    _claim_modes(ctx, c, v.claim, v.access_modes) if v.type == "persistentVolumeClaim" else []
                )
                if v.read_only:
                    problem = (
                        f"mounts its data directory {v.mount_path} read-only "
                        f"(volume `{v.name}`, readOnly: true)"
                    )
                    fix = (
                        f"# {c.name}: the data directory's volumeMount\n- name: {v.name}\n"
                        f"  mountPath: {v.mount_path}\n  readOnly: false"
                    )
                elif modes and all(m == "ReadOnlyMany" for m in modes):
                    problem = (
                        f"keeps its data directory {v.mount_path} on claim `{v.claim or v.name}`, which asks "
                        "only for ReadOnlyMany access"
                    )
                    fix = f"# claim {v.claim or v.name} of {c.name}\nspec:\n  accessModes: [ReadWriteOnce]"
                else:
                    continue
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"{c.engine} {c.kind.value} `{c.name}` {problem}: the engine must write there.",
                    why=(
                        f"`{c.name}` fails at start on a read-only data directory (or waits on a claim no "
                        "provisioner can satisfy read-write) and crash-loops; every service behind it "
                        "fails with it."
                    ),
                    fix=fix,
                    tradeoff=(
                        "None for the engine's own data; read-only seed data belongs on a separate mount."
                    ),
                    evidence=[f"{src.file}:{src.line} volume {v.name} ({v.type}) at {v.mount_path}"],
                )
