"""The one model of a system that readers produce and engines consume.

Rules this model keeps:

* **Unknown stays unknown.** A field nobody stated is ``None`` (or an empty list), never a guessed default.
  Engines apply defaults themselves and list them as assumptions.
* **Every fact has a source.** Components and edges carry a :class:`Source`; per-field provenance lives in
  ``Component.provenance`` (field name -> where it was read, and which reader won when two disagreed).
* **Names are unique.** ``Component.name`` is the id everything else refers to. When two deployment
  groups (a Compose project, a Kubernetes namespace) define the same name, the reader qualifies it as
  ``group/name``; ``Component.aliases`` keeps the names other components may use to reach it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from redline.model.source import Source


class Kind(StrEnum):
    """What role a component plays. Inferred from the image unless stated."""

    SERVICE = "service"
    DATASTORE = "datastore"
    CACHE = "cache"
    QUEUE = "queue"
    GATEWAY = "gateway"
    EXTERNAL = "external"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Probe(_Model):
    """A readiness, liveness or startup probe, or a Compose healthcheck."""

    type: Literal["http", "tcp", "exec", "grpc"]
    port: int | str | None = None
    path: str | None = None
    command: list[str] | None = None
    initial_delay_s: float | None = None
    period_s: float | None = None
    timeout_s: float | None = None
    failure_threshold: int | None = None
    source: Source | None = None


class Resources(_Model):
    """Requests and limits, in cores and bytes."""

    cpu_request: float | None = None
    cpu_limit: float | None = None
    memory_request: float | None = None
    memory_limit: float | None = None
    source: Source | None = None


class Port(_Model):
    """A port a container listens on, and whether it is published outside the cluster or host."""

    port: int | str
    protocol: str = "TCP"
    name: str | None = None
    published: int | str | None = None  # host port (Compose `ports:`, k8s hostPort)
    host_ip: str | None = None
    source: Source | None = None


class Substitution(_Model):
    """A variable Compose put into a value, and where its value was defined (``.env:3 REDIS_HOST=redis``)."""

    name: str
    value: str
    source: Source | None = None


class EnvVar(_Model):
    """One environment variable: a plaintext value, or a reference to a Secret / ConfigMap / field."""

    name: str
    value: str | None = None
    secret_ref: str | None = None  # "secret-name/key"
    config_ref: str | None = None  # "configmap-name/key"
    field_ref: str | None = None
    from_config: str | None = None  # set when the value was followed out of a ConfigMap (envFrom / keyRef)
    expanded: str | None = None  # the value after Compose ${VAR:-default} interpolation, when it differs
    # The variables that interpolation (or a pass-through `- NAME`) took from a file, in order.
    substitutions: list[Substitution] = Field(default_factory=list)
    source: Source | None = None
    # What the process sees when it holds a Secret's value (a secretKeyRef, an envFrom secretRef, or $(VAR)
    # expanded from one). Read only to find hosts; never serialized, so never printed.
    _secret_value: str | None = PrivateAttr(default=None)


class Volume(_Model):
    """A volume a workload mounts, and whether it holds state."""

    name: str
    type: str  # emptyDir, persistentVolumeClaim, hostPath, configMap, secret, named, bind, tmpfs, other
    claim: str | None = None
    host_path: str | None = None
    access_modes: list[str] = Field(default_factory=list)
    mount_path: str | None = None
    read_only: bool | None = None
    source: Source | None = None


class ObjectRef(_Model):
    """A pod's reference to an object it needs to start: ConfigMap, Secret (a key), PVC, ServiceAccount."""

    kind: str  # ConfigMap, Secret, PersistentVolumeClaim, ServiceAccount
    name: str
    key: str | None = None  # configMapKeyRef / secretKeyRef key, or a volume item's key
    optional: bool = False
    via: str  # "env DB_PASSWORD", "envFrom", "volume config", "serviceAccountName"
    container: str | None = None
    source: Source | None = None


class SecurityContext(_Model):
    """Container or pod security settings, merged (container wins)."""

    privileged: bool | None = None
    run_as_user: int | None = None
    run_as_non_root: bool | None = None
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    capabilities_add: list[str] = Field(default_factory=list)
    source: Source | None = None


class Container(_Model):
    """One container of a workload (a Compose service is one container)."""

    name: str
    image: str | None = None
    image_tag: str | None = None
    image_digest: str | None = None
    init: bool = False
    ports: list[Port] = Field(default_factory=list)
    env: list[EnvVar] = Field(default_factory=list)
    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None
    resources: Resources | None = None
    security: SecurityContext | None = None
    pre_stop: bool | None = None
    command: list[str] = Field(default_factory=list)
    # Where each argument of ``command`` is written (same order; a string command split into words
    # shares the line of its key). Empty when unknown.
    command_sources: list[Source] = Field(default_factory=list)
    build: str | None = None  # Compose build context: the image is built here, not pulled
    dockerfile: str | None = None  # Compose build.dockerfile, relative to the build context
    source: Source | None = None


class Autoscaling(_Model):
    """A HorizontalPodAutoscaler (v1 or v2) bound to this component, or stated in redline.yaml."""

    name: str | None = None
    min_replicas: int | None = None
    max_replicas: int | None = None
    target_cpu_utilization: float | None = None  # fraction, 0.7 for 70%
    metrics: list[str] = Field(default_factory=list)
    source: Source | None = None


class DisruptionBudget(_Model):
    """A PodDisruptionBudget that selects this component's pods."""

    name: str
    min_available: int | str | None = None
    max_unavailable: int | str | None = None
    source: Source | None = None


class UpdateStrategy(_Model):
    """How a rollout replaces replicas."""

    type: str | None = None  # RollingUpdate, Recreate, OnDelete
    max_surge: int | str | None = None
    max_unavailable: int | str | None = None
    source: Source | None = None


class AffinityTerm(_Model):
    """One required pod (anti-)affinity term: ``matchLabels`` (``exact`` False when ``matchExpressions``
    or ``namespaceSelector`` also narrow it), its ``topologyKey`` and ``namespaces``."""

    labels: dict[str, str] = Field(default_factory=dict)
    exact: bool = True
    topology_key: str | None = None
    namespaces: list[str] = Field(default_factory=list)
    source: Source | None = None


class Placement(_Model):
    """Spreading rules: what keeps replicas off the same node or zone."""

    anti_affinity: Literal["required", "preferred"] | None = None
    topology_spread: list[str] = Field(default_factory=list)  # topology keys
    node_selector: dict[str, str] = Field(default_factory=dict)
    zones: int | None = None  # stated in redline.yaml
    # required (hard) pod affinity / anti-affinity terms, and whether a required nodeAffinity or any
    # toleration narrows or widens the nodes the pod may use (read by the SD rules)
    pod_affinity: list[AffinityTerm] = Field(default_factory=list)
    pod_anti_affinity: list[AffinityTerm] = Field(default_factory=list)
    node_affinity: bool = False
    tolerations: bool = False
    source: Source | None = None


class CronSpec(_Model):
    """Job and CronJob settings."""

    schedule: str | None = None
    concurrency_policy: str | None = None
    starting_deadline_s: float | None = None
    active_deadline_s: float | None = None
    backoff_limit: int | None = None
    source: Source | None = None


class Cost(_Model):
    """What one replica costs. Stated in redline.yaml; never guessed by readers."""

    replica_hour: float | None = None
    currency: str = "USD"
    source: Source | None = None


class Component(_Model):
    """A thing that runs or is called: a service, datastore, cache, queue, gateway or external system."""

    name: str
    kind: Kind
    kind_reason: str | None = None  # why this kind: "image postgres:16", "stated in redline.yaml"
    engine: str | None = None  # postgres, redis, rabbitmq, kafka, nginx, ...
    platform: Literal["compose", "kubernetes", "redline", "external"] = "kubernetes"
    group: str | None = None  # compose project or kubernetes namespace
    namespace: str | None = None
    workload: str | None = None  # Deployment, StatefulSet, DaemonSet, ..., compose-service
    aliases: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)  # pod template labels (Compose: service labels)
    annotations: dict[str, str] = Field(default_factory=dict)
    source: Source
    # Where a fix edits: metadata.name (Kubernetes) or the service key (Compose) as written in the file,
    # before any group/name qualification; and the workload's own pod selector (spec.selector.matchLabels).
    object_name: str | None = None
    selector: dict[str, str] = Field(default_factory=dict)
    rendered_from: str | None = None  # "helm": read from a rendered template, not a file a fix can edit

    # Deployment facts. None = not stated.
    replicas: int | None = None
    image: str | None = None
    containers: list[Container] = Field(default_factory=list)
    autoscaling: Autoscaling | None = None
    disruption_budgets: list[DisruptionBudget] = Field(default_factory=list)
    update_strategy: UpdateStrategy | None = None
    placement: Placement | None = None
    restart_policy: str | None = None
    termination_grace_s: float | None = None
    host_network: bool | None = None
    host_pid: bool | None = None
    dns_policy: str | None = None  # k8s pod dnsPolicy (ClusterFirst, Default, None, ...)
    dns_nameservers: list[str] = Field(default_factory=list)  # k8s pod dnsConfig.nameservers
    volumes: list[Volume] = Field(default_factory=list)
    healthcheck: Probe | None = None  # Compose healthcheck
    healthcheck_disabled: bool = False
    service_account: str | None = None
    object_refs: list[ObjectRef] = Field(default_factory=list)  # what the pod needs to start
    exposure: list[str] = Field(default_factory=list)  # "LoadBalancer service x", "NodePort", "ingress y"
    cron: CronSpec | None = None
    profiles: list[str] = Field(default_factory=list)  # compose profiles
    # Corrections the user states in redline.yaml (None = not stated; inference decides).
    tooling: bool | None = None  # drives or watches the system (load generator, dashboard, admin UI)
    entrypoint: bool | None = None  # False: never an entry point; True: always one when none is stated

    # Capacity facts, from redline.yaml (or a future trace reader).
    workers: int | None = None
    service_time_s: float | None = None
    service_time_scv: float | None = None  # squared coefficient of variation of service time
    async_: bool | None = Field(default=None, alias="async")
    cache_hit_ratio: float | None = None
    read_ratio: float | None = None  # share of a datastore's requests that are reads
    read_replicas: int | None = None  # replicas that serve reads only (a datastore's replicas are writers)
    availability: float | None = None
    cost: Cost | None = None
    pools: list[Pool] = Field(default_factory=list)

    provenance: dict[str, Provenance] = Field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _Lookups.KEYS:
            _Lookups.renames += 1  # System lookups built before this rename are stale now
        super().__setattr__(name, value)

    @property
    def is_batch(self) -> bool:
        """Jobs and CronJobs run to completion; rules for long-running services do not apply."""
        return self.workload in ("Job", "CronJob")

    @property
    def is_stateful(self) -> bool:
        """A datastore, cache or queue, or a workload with a persistent volume."""
        return self.kind in (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE) or any(
            v.type in ("persistentVolumeClaim", "named") for v in self.volumes
        )

    def env(self) -> list[EnvVar]:
        """All env vars of all containers."""
        return [e for c in self.containers for e in c.env]


class Pool(_Model):
    """A connection pool inside a component, toward one or more dependencies (a bulkhead if one each)."""

    name: str
    size: int | None = None
    to: list[str] = Field(default_factory=list)
    source: Source | None = None


class Provenance(_Model):
    """Where one field of a component was read, and what it overrode."""

    source: Source
    origin: str  # "compose", "kubernetes", "redline.yaml", "inferred"
    overrode: str | None = None  # e.g. "kubernetes deploy.yaml:12 said 1"


class Evidence(_Model):
    """One reason to believe an edge exists."""

    reason: str  # e.g. "env PAYMENTS_URL=http://payments:8080"
    kind: Literal[
        "depends_on",
        "links",
        "env",
        "config",
        "code",
        "selector",
        "ingress",
        "declared",
        "network_policy",
        "startup",
    ]  # code: a literal in the service's source (sources/applit.py); startup: what a start-up step (an
    # init container, a Compose one-shot service) reaches, not a runtime call (sources/infer.py)
    confidence: float
    source: Source


class Edge(_Model):
    """A dependency: ``from_`` calls (or needs) ``to``. Call attributes are ``None`` until stated."""

    from_: str = Field(alias="from")
    to: str
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float = 0.0
    protocol: str | None = None
    count: float | None = None  # calls per request of the caller
    timeout_s: float | None = None
    retries: int | None = None
    backoff: bool | None = None
    jitter: bool | None = None
    circuit_breaker: bool | None = None
    parallel: bool | None = None
    pool: str | None = None
    failure_rate: float | None = None
    overhead_s: float | None = None  # network and protocol time per call, both ways, outside the callee
    # depends_on / links (an ordering) or a start-up step's fetch only: not necessarily a runtime call
    startup_only: bool = False
    source: Source | None = None  # where the call was stated (redline.yaml)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _Lookups.KEYS:
            _Lookups.renames += 1  # System lookups built before this re-pointing are stale now
        super().__setattr__(name, value)


class Unresolved(_Model):
    """A reference to a host that resolves to no component: kept, never turned into an edge."""

    from_: str = Field(alias="from")
    host: str
    reason: str
    source: Source


class SkipKind(StrEnum):
    """Why something was not read, which decides whether a gate may pass without it.

    * ``unreadable``: it should have been read and could not be (a parse error, bad encoding, a file too
      large, an internal error, a rejected redline.yaml). A gate must not pass silently over it.
    * ``not-rendered``: part of the system that needs a renderer redline could not run (a Helm chart
      with no renderer). Also part of the system, also gating.
    * ``rejected``: a configuration value redline was given and refused (a redline.yaml field of the
      wrong type or out of range). Only that value is dropped, but every command exits 2: the user
      asked for something that is not being done.
    * ``ignored``: deliberately left out, as the platform would (opt-in kustomize Components and Compose
      add-ons, files a kustomization does not list, YAML that is not infrastructure, symlinked folders).
      Listed, never gating.
    """

    UNREADABLE = "unreadable"
    NOT_RENDERED = "not-rendered"
    REJECTED = "rejected"
    IGNORED = "ignored"

    @property
    def gates(self) -> bool:
        """Whether a gate (review, forecast) must fail unless the user accepts the gap."""
        return self is not SkipKind.IGNORED


class Skipped(_Model):
    """A file, or part of one, that was not read, and why."""

    file: str
    line: int | None = None
    reason: str
    kind: SkipKind = SkipKind.UNREADABLE


class FileRead(_Model):
    """A file that was read, and as what."""

    file: str
    as_: str = Field(alias="as")  # compose, kubernetes, kustomization, redline, helm-rendered
    objects: int = 0


class Diagnostic(_Model):
    """A warning about something read: a wrong type, a duplicate, a patch not applied."""

    file: str
    line: int | None = None
    message: str


class K8sObject(_Model):
    """A Kubernetes object that is not itself a component, kept for rules that need it.

    Services, Ingresses, HPAs, PDBs, NetworkPolicies, ConfigMaps, Secrets, PVCs, and unknown kinds and CRDs
    (kept opaque). ``spec`` holds a trimmed, plain copy of the fields rules read.
    """

    kind: str
    api_version: str | None = None
    name: str
    namespace: str = "default"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    source: Source
    selects: list[str] = Field(default_factory=list)  # components this object selects or targets
    refs: list[str] = Field(default_factory=list)  # names of objects it references (services, targets)
    spec: dict[str, Any] = Field(default_factory=dict)


class Entrypoint(_Model):
    """Where traffic enters the system."""

    name: str
    component: str
    rps: float | None = None
    source: Source | None = None
    inferred: bool = False  # True: not stated; chosen by redline.model.entrypoints.infer
    reason: str | None = None  # why it was chosen (stated where, or what exposes it)


class MetricsPreset(StrEnum):
    """Where an exporter publishes request metrics (docs/generate.md lists the selectors each expands to)."""

    INGRESS_NGINX = "ingress-nginx"
    ISTIO = "istio"
    OTEL_HTTP = "otel-http"


class SLIMetrics(_Model):
    """The Prometheus series an entry point's SLIs are computed from (redline.yaml ``slo.metrics``).

    A preset names an exporter; ``requests``, ``errors`` (counters) and ``latency`` (a histogram's
    ``_bucket`` series) are selectors that override it, with ``$entrypoint``, ``$component``,
    ``$namespace``, ``$service``, ``$ingress`` and ``$project`` replaced per entry point.
    """

    preset: MetricsPreset | None = None
    requests: str | None = None
    errors: str | None = None
    latency: str | None = None
    latency_unit: Literal["s", "ms"] | None = None  # the unit of the histogram's `le` bounds
    source: Source | None = None


class SLO(_Model):
    """Service-level objectives for the whole system (per-entry-point SLOs may come later)."""

    availability: float | None = None
    latency_s: dict[str, float] = Field(default_factory=dict)  # {"p95": 0.2, "p99": 1.0}
    # Where the SLIs are measured: for every entry point, and per entry point by name (wins).
    metrics: SLIMetrics | None = None
    entrypoint_metrics: dict[str, SLIMetrics] = Field(default_factory=dict)
    source: Source | None = None


class Growth(_Model):
    """The traffic growth the forecast plans for."""

    factor: float | None = None
    source: Source | None = None


class _Lookups:
    """A :class:`System`'s name and edge-endpoint indexes, built on first use, so a lookup is O(1).

    Rebuilt whenever they may be stale: when ``components`` or ``edges`` is replaced or changes length, or
    when any component is renamed (``name``, ``aliases`` assigned) or any edge re-pointed (``from_``,
    ``to`` assigned) anywhere. Editing a list in place without changing its length (``c.aliases[0] = x``,
    ``edges[3] = e``) is not seen; replace the list instead. A cache, not part of the system's value: it
    compares equal to any other; deep copies and pickles start empty; a shallow ``model_copy`` shares it,
    which is safe because the lists it indexed are checked by identity.
    """

    #: Fields whose assignment makes every lookup stale.
    KEYS: ClassVar[frozenset[str]] = frozenset({"name", "aliases", "from_", "to"})
    #: Renames seen so far, process-wide (bumped by ``Component`` / ``Edge`` ``__setattr__``).
    renames: ClassVar[int] = 0

    __slots__ = ("by_alias", "by_name", "components", "edges", "into", "out", "stamp")

    def __init__(self) -> None:
        self.components: list[Component] | None = None  # the lists indexed (identity, not equality)
        self.edges: list[Edge] | None = None
        self.stamp: tuple[int, int, int] = (-1, -1, -1)  # their lengths, and renames, when built
        self.by_name: dict[str, Component] = {}
        self.by_alias: dict[str, list[Component]] = {}
        self.out: dict[str, list[Edge]] = {}
        self.into: dict[str, list[Edge]] = {}

    def fresh(self, components: list[Component], edges: list[Edge]) -> _Lookups:
        """These lookups, rebuilt first if ``components`` or ``edges`` changed since they were built."""
        stamp = (len(components), len(edges), _Lookups.renames)
        if self.components is not components or self.edges is not edges or self.stamp != stamp:
            self._build(components, edges)
            self.components, self.edges, self.stamp = components, edges, stamp
        return self

    def _build(self, components: list[Component], edges: list[Edge]) -> None:
        self.by_name, self.by_alias, self.out, self.into = {}, {}, {}, {}
        for c in components:
            self.by_name.setdefault(c.name, c)
            for alias in dict.fromkeys(c.aliases):
                self.by_alias.setdefault(alias, []).append(c)
        for e in edges:
            self.out.setdefault(e.from_, []).append(e)
            self.into.setdefault(e.to, []).append(e)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Lookups)

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> _Lookups:
        return _Lookups()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Lookups:
        return _Lookups()

    def __reduce__(self) -> tuple[type[_Lookups], tuple[()]]:
        return (_Lookups, ())


class System(_Model):
    """Everything redline knows about one system.

    :meth:`component`, :meth:`calls_from` and :meth:`calls_to` answer from indexes built on first use
    (O(1) per question, not a pass over every component or edge); see :class:`_Lookups` for when they
    are rebuilt.
    """

    name: str | None = None
    root: str = "."
    components: list[Component] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    unresolved: list[Unresolved] = Field(default_factory=list)
    objects: list[K8sObject] = Field(default_factory=list)
    entrypoints: list[Entrypoint] = Field(default_factory=list)
    slo: SLO | None = None
    growth: Growth | None = None
    defaults: dict[str, Any] = Field(default_factory=dict)  # redline.yaml `defaults:` for engines
    files: list[FileRead] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    warnings: list[Diagnostic] = Field(default_factory=list)

    _lookups: _Lookups = PrivateAttr(default_factory=_Lookups)

    def _index(self) -> _Lookups:
        # Straight from pydantic's private store: ``self._lookups`` goes through BaseModel.__getattr__,
        # 3 µs a lookup, more than the lookup itself.
        lookups: _Lookups = self.__pydantic_private__["_lookups"]  # type: ignore[index]
        return lookups.fresh(self.components, self.edges)

    def component(self, name: str) -> Component | None:
        """The component called ``name`` (or having it as an alias, when unambiguous)."""
        lookups = self._index()
        found = lookups.by_name.get(name)
        if found is not None:
            return found
        matches = lookups.by_alias.get(name, [])
        return matches[0] if len(matches) == 1 else None

    def calls_from(self, name: str) -> list[Edge]:
        """Edges out of component ``name``, in ``edges`` order."""
        return list(self._index().out.get(name, ()))

    def calls_to(self, name: str) -> list[Edge]:
        """Edges into component ``name``, in ``edges`` order."""
        return list(self._index().into.get(name, ()))


Component.model_rebuild()
