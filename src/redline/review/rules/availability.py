"""Availability rules (``AV###``): what takes a user-facing path down when one thing fails.

These rules read the graph. A per-object linter can say "replicas: 1"; these say *whose* requests fail
with it. How the rules divide the work, so one component is reported once:

* AV002 reports datastores, caches and queues running as a single instance, with the entry points that
  depend on them.
* AV003 reports a single-replica *stateless* component that sits in front of most of what an entry point
  needs (a gateway every path goes through), with the share of the entry point it cuts off.
* AV001 reports every other single-replica stateless service that takes traffic.

Compose deployments are single-host by design: replica counts there are not an availability control (the
host is the failure domain), so the replica rules (AV001, AV003) skip them; the datastore rule (AV002)
still applies, because which entry points die with the database does not depend on the platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from redline.model import Component, Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register

_STATELESS = (Kind.SERVICE, Kind.GATEWAY)
_STATEFUL = (Kind.DATASTORE, Kind.CACHE, Kind.QUEUE)
_LONG_RUNNING = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def _replicated_platform(c: Component) -> bool:
    """Platforms where a replica count is an availability control."""
    return c.platform in ("kubernetes", "redline")


def _label(c: Component) -> str:
    """``key: value`` of a pod label for selector snippets: the workload's own label when known."""
    for key in ("app", "app.kubernetes.io/name", "name"):
        if key in c.labels:
            return f"{key}: {c.labels[key]}"
    if c.labels:
        key, value = sorted(c.labels.items())[0]
        return f"{key}: {value}"
    return f"app: {c.name}"


def _percent_or_int(value: int | str | None, replicas: int, *, round_up: bool) -> int | None:
    """Resolve an int-or-percent field the way the Deployment controller does."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = float(text[:-1])
        except ValueError:
            return None
        exact = replicas * pct / 100.0
        return int(-(-exact // 1)) if round_up else int(exact // 1)
    try:
        return int(text)
    except ValueError:
        return None


@register
class SingleReplicaService(Rule):
    """Single replica of a stateless service that takes traffic.

    What it does:
        Flags a Kubernetes (or redline.yaml) service or gateway that runs one replica — stated, or by the
        API server's default of 1 when ``replicas`` is absent (an HPA minimum of 1 is SC003's) — while
        requests reach it (it is an entry point, something calls it, or a Service selects it). Compose
        services are skipped: a Compose host is itself the failure domain. Components that sit in front of
        most of an entry point's dependencies are reported by AV003 instead.

    Why it matters:
        One pod is one node, one OOM kill, one eviction away from zero. During a node drain or a crash
        every request on that path fails until the scheduler finds a node, pulls the image and the probe
        passes: typically 30 seconds to several minutes of errors.

    Example:
        ```yaml
        kind: Deployment
        metadata: {name: checkout}
        spec:
          template: {spec: {containers: [{name: app, image: checkout:1.4}]}}   # replicas defaults to 1
        ```

    Fix:
        ```yaml
        spec:
          replicas: 2          # or an HPA with minReplicas: 2
        ```
        and a PodDisruptionBudget with ``maxUnavailable: 1``.

    Trade-offs:
        Doubles the service's pod cost; the code must tolerate two instances (no in-memory sessions, no
        singleton background jobs without leader election).
    """

    code = "AV001"
    name = "single-replica-service"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATELESS or not _replicated_platform(c) or c.is_batch:
                continue
            if ctx.is_tooling(c) or ctx.replicas(c) != 1 or not ctx.has_traffic(c):
                continue
            if c.autoscaling is not None or ctx.chokepoint(c.name):
                continue  # SC003 reports an HPA minimum of 1; AV003 tells the bigger story

            base = Severity.HIGH if ctx.is_entrypoint(c.name) else self.severity
            sev = base if ctx.is_entrypoint(c.name) else ctx.severity_for(c, base)
            role = "entry point " if ctx.is_entrypoint(c.name) else ""
            deps = ctx.dependents(c.name)
            eps = ctx.entrypoints_depending_on(c.name)
            reach = (
                f"; {len(eps)} of {len(ctx.entrypoints)} entry points ({', '.join(eps)}) depend on it"
                if eps and not ctx.is_entrypoint(c.name)
                else ""
            )
            callers = f" (called by {ctx.names(deps)})" if deps else ""
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=sev,
                message=f"{role}`{c.name}` runs a single replica{callers}{reach}.",
                why=(
                    f"When the one `{c.name}` pod is evicted, OOM-killed or its node is drained, every "
                    "request that needs it fails until a replacement is scheduled, pulls its image and "
                    "passes readiness — usually 30 s to minutes of errors."
                ),
                fix=(
                    f"# {c.workload or 'Deployment'} {c.name}\nspec:\n  replicas: 2\n---\n"
                    f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {c.name}}}\n"
                    f"spec:\n  maxUnavailable: 1\n  selector: {{matchLabels: {{{_label(c)}}}}}"
                ),
                tradeoff=(
                    "One more pod's CPU and memory (about 2x this service's cost); the service must be "
                    "safe to run twice (no in-memory sessions, no unelected singleton jobs)."
                ),
                evidence=[f"{c.source} workload {c.workload or '?'} replicas={c.replicas}"],
            )


@register
class SingleInstanceDatastore(Rule):
    """Single-instance datastore, cache or queue that entry points depend on.

    What it does:
        Flags a database, cache or message broker that runs as one instance (one replica, one Compose
        container) when at least one entry point or service depends on it, and names the entry points
        whose requests reach it. Managed (external) systems are skipped: their availability is the
        provider's configuration, which redline does not see.

    Why it matters:
        Every entry point whose calls reach the database fails with it. A single Postgres that 3 of 4
        entry points reach is an outage of 3 of 4 user journeys on a node failure, a disk filling up, or
        a minor-version upgrade. With a StatefulSet the pod comes back on the same volume, but only after
        the node is declared dead (about 5 minutes by default).

    Example:
        ```yaml
        services:
          api: {image: api, depends_on: [db]}
          db: {image: postgres:16}
        ```

    Fix:
        Run a replicated setup: a managed service with a standby (RDS/Cloud SQL high availability), or an
        operator such as CloudNativePG with ``instances: 3``; for Redis, Sentinel or a managed replica;
        for RabbitMQ, a 3-node cluster with quorum queues.

    Trade-offs:
        Two to three times the database cost; replication adds write latency (synchronous) or a small
        data-loss window on failover (asynchronous); failover itself takes seconds to a minute.
    """

    code = "AV002"
    name = "single-instance-datastore"
    category = Category.AVAILABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATEFUL or c.platform == "external" or c.is_batch:
                continue
            if ctx.replicas(c) != 1:
                continue
            eps = ctx.entrypoints_depending_on(c.name)
            deps = ctx.dependents(c.name)
            base = Severity.MEDIUM if c.kind == Kind.CACHE else self.severity
            sev = ctx.severity_for(c, base)
            if c.platform == "compose" and sev.at_least(Severity.CRITICAL):
                sev = Severity.HIGH  # the Compose host is a single point of failure of its own
            what = f"{c.engine} " if c.engine else ""
            if eps:
                weak = [ep for ep in eps if ctx.depends_only_at_startup(ep, c.name)]
                qualifier = f" ({ctx.names(weak)} only through depends_on ordering)" if weak else ""
                blast = f"{len(eps)} of {len(ctx.entrypoints)} entry points ({', '.join(eps)}){qualifier}"
            elif deps:
                only_startup = all((e := ctx.edge(d, c.name)) is not None and e.startup_only for d in deps)
                blast = f"its {len(deps)} dependent(s) ({', '.join(deps)})" + (
                    ", known only from depends_on ordering" if only_startup else ""
                )
            elif _has_servers(ctx):  # an empty or partial graph: the store is still single, whoever uses it
                blast = "whatever uses it (callers unknown: no file states a call to it)"
            else:
                continue  # no service at all that could use it
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=sev,
                message=(
                    f"single {what}{c.kind.value} instance `{c.name}` "
                    f"is a single point of failure for {blast}."
                ),
                why=(
                    f"When `{c.name}` is down — node failure, full disk, upgrade, OOM — every request that "
                    f"reaches it fails: {', '.join(eps or deps) or 'callers unknown'}. Nothing else holds "
                    "its data, so nothing "
                    "can take over until it is back."
                ),
                fix=_datastore_fix(c),
                tradeoff=(
                    "Two to three times the instance cost; synchronous replication adds write latency, "
                    "asynchronous replication can lose the last seconds of writes on failover."
                ),
                evidence=[f"{c.source} {c.kind_reason or c.kind.value}, replicas={ctx.replicas(c)}"]
                + [f"{ep}: {ctx.entrypoint_reason(ep)}" for ep in eps],
            )


def _has_servers(ctx: Context) -> bool:
    """Whether the system runs any service or gateway (tooling aside) that could use a datastore."""
    return any(
        c.kind in (Kind.SERVICE, Kind.GATEWAY) and not ctx.is_tooling(c) for c in ctx.system.components
    )


def _datastore_fix(c: Component) -> str:
    engine = (c.engine or "").lower()
    if "postgres" in engine:
        return (
            "# CloudNativePG (or a managed Postgres with a standby)\napiVersion: postgresql.cnpg.io/v1\n"
            f"kind: Cluster\nmetadata: {{name: {c.name}}}\nspec:\n  instances: 3\n  storage: {{size: 10Gi}}"
        )
    if "redis" in engine:
        return (
            "# Redis with Sentinel (e.g. bitnami/redis chart)\narchitecture: replication\nreplica:\n"
            "  replicaCount: 2\nsentinel:\n  enabled: true"
        )
    if engine in ("rabbitmq",):
        return (
            "apiVersion: rabbitmq.com/v1beta1\nkind: RabbitmqCluster\n"
            f"metadata: {{name: {c.name}}}\nspec:\n  replicas: 3   # and declare queues as quorum queues"
        )
    if engine in ("mongo", "mongodb"):
        return (
            "# a 3-member replica set\nreplication:\n  replSetName: "
            f"{c.name}\n# members: 3 (StatefulSet replicas: 3)"
        )
    return (
        f"# {c.name}: run the engine's replicated mode (3 members) or a managed service with a standby\n"
        "spec:\n  replicas: 3   # only together with the engine's replication configuration"
    )


@register
class SinglePointOfFailure(Rule):
    """A single-replica component that most of an entry point's dependencies sit behind.

    What it does:
        For every entry point, builds the dominator tree of its call graph: component X dominates Y when
        every path from the entry point to Y goes through X. Flags a single-replica service or gateway
        (not the entry point itself, not a datastore — AV002 covers those) whose loss cuts an entry point
        off from at least half of what it needs (``spof_min_share``, default 0.5) and at least 3
        components, with the share for each affected entry point.

    Why it matters:
        A gateway or aggregator that every path goes through turns one pod's failure into the failure of
        everything behind it. The outage is not "one feature is down", it is "the entry point returns
        errors for most requests".

    Example:
        ```yaml
        # web -> api-gateway -> {orders, users, catalog}; api-gateway has replicas: 1
        ```

    Fix:
        ```yaml
        spec:
          replicas: 3
          strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
        ```
        plus a PodDisruptionBudget and topology spread; consider splitting the gateway by domain.

    Trade-offs:
        Extra replicas of the chokepoint (cheap compared to the outage); splitting a gateway adds routing
        configuration to maintain.
    """

    code = "AV003"
    name = "single-point-of-failure"
    category = Category.AVAILABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATELESS or not _replicated_platform(c) or c.is_batch:
                continue
            if ctx.is_tooling(c) or ctx.replicas(c) != 1:
                continue
            cut = ctx.chokepoint(c.name)
            if not cut:
                continue
            total = len(ctx.entrypoints)
            parts = [f"`{ep}` loses {lost} of the {need} components it needs" for ep, lost, need in cut]
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` (1 replica) is the only way to most dependencies of {len(cut)} of {total} "
                    f"entry points: {'; '.join(parts)} when it is down."
                ),
                why=(
                    f"Every path from {ctx.names(ep for ep, _, _ in cut)} to "
                    f"{ctx.names(sorted(ctx.dominated_by(cut[0][0], c.name))[:6])} goes through `{c.name}`. "
                    "One eviction, crash or bad config of that single pod fails most requests of those "
                    "entry points, not just one feature."
                ),
                fix=(
                    f"# {c.workload or 'Deployment'} {c.name}\nspec:\n  replicas: 3\n  strategy:\n"
                    "    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n"
                    "  # plus a PodDisruptionBudget (maxUnavailable: 1) and topologySpreadConstraints"
                ),
                tradeoff="Two more pods of this component; no code change if it is stateless.",
                evidence=[
                    f"dominator tree from {ep}: {lost}/{need} components behind it" for ep, lost, need in cut
                ],
            )


@register
class MissingDisruptionBudget(Rule):
    """Multi-replica workload without a PodDisruptionBudget.

    What it does:
        Flags a Kubernetes Deployment or StatefulSet that runs two or more replicas and takes traffic but
        that no PodDisruptionBudget selects. Single-replica workloads are left to AV001: a PDB cannot
        protect one pod without blocking node drains.

    Why it matters:
        Node drains (cluster upgrades, autoscaler scale-down, spot reclaim) evict pods through the
        eviction API, which only slows down when a PDB says so. Without one, a drain may evict every
        replica at once and the service is down until they are rescheduled.

    Example:
        ```yaml
        kind: Deployment
        metadata: {name: cart}
        spec: {replicas: 3}     # and no PodDisruptionBudget selecting app=cart
        ```

    Fix:
        ```yaml
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: cart}
        spec:
          maxUnavailable: 1
          selector: {matchLabels: {app: cart}}
        ```

    Trade-offs:
        Drains take longer (one pod at a time); a PDB that is too strict blocks drains entirely (AV005).
    """

    code = "AV004"
    name = "missing-disruption-budget"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.workload not in ("Deployment", "StatefulSet") or c.is_batch:
                continue
            n = ctx.replicas(c)
            if n is None or n < 2 or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            if c.disruption_budgets or ctx.objects_selecting(c.name, "PodDisruptionBudget"):
                continue
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` runs {n} replicas but no PodDisruptionBudget selects its pods.",
                why=(
                    f"A node drain or cluster upgrade may evict all {n} `{c.name}` pods at once; requests "
                    "fail until replacements are scheduled and ready."
                ),
                fix=(
                    "apiVersion: policy/v1\nkind: PodDisruptionBudget\n"
                    f"metadata: {{name: {c.name}}}\nspec:\n  maxUnavailable: 1\n"
                    f"  selector: {{matchLabels: {{{_label(c)}}}}}"
                ),
                tradeoff="Drains evict one pod at a time and take longer; no runtime cost.",
            )


@register
class DisruptionBudgetBlocksEviction(Rule):
    """PodDisruptionBudget that allows zero disruptions.

    What it does:
        Flags a PodDisruptionBudget that can never allow an eviction: ``maxUnavailable: 0`` (or ``0%``),
        ``minAvailable: 100%``, or ``minAvailable`` at least the workload's replica count — or at least
        the HPA's ``minReplicas``, so that the budget blocks evictions whenever the HPA has scaled down.

    Why it matters:
        A budget that allows zero disruptions makes ``kubectl drain`` hang forever: cluster upgrades stall,
        the cluster autoscaler cannot remove the node, and operators end up deleting the PDB or the pods
        by hand in the middle of an incident.

    Example:
        ```yaml
        kind: PodDisruptionBudget
        spec: {minAvailable: 1, selector: {matchLabels: {app: api}}}   # api has replicas: 1
        ```

    Fix:
        ```yaml
        spec:
          maxUnavailable: 1     # and run at least 2 replicas
        ```

    Trade-offs:
        One replica may be down during a drain; with two or more replicas that is the capacity you plan
        for anyway.
    """

    code = "AV005"
    name = "disruption-budget-blocks-eviction"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            n = ctx.replicas(c)
            for pdb in c.disruption_budgets:
                reason = self._blocking(c, pdb.min_available, pdb.max_unavailable, n)
                if reason is None:
                    continue
                src = pdb.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"PodDisruptionBudget `{pdb.name}` on `{c.name}` allows no eviction: {reason}.",
                    why=(
                        f"`kubectl drain` on a node running a `{c.name}` pod waits forever; cluster "
                        "upgrades and autoscaler scale-downs stall until someone deletes the budget by hand."
                    ),
                    fix=(
                        f"# PodDisruptionBudget {pdb.name}\nspec:\n  maxUnavailable: 1\n"
                        f"# and {c.workload or 'Deployment'} {c.name}: "
                        "replicas >= 2 (or HPA minReplicas >= 2)"
                    ),
                    tradeoff="One pod may be evicted at a time; plan capacity for n-1 replicas.",
                )

    @staticmethod
    def _blocking(
        c: Component, min_available: int | str | None, max_unavailable: int | str | None, n: int | None
    ) -> str | None:
        if max_unavailable is not None:
            text = str(max_unavailable).strip()
            if text in ("0", "0%"):
                return f"maxUnavailable is {text}"
            return None
        if min_available is None:
            return None
        text = str(min_available).strip()
        if text == "100%":
            return "minAvailable is 100%"
        if n is None:
            return None
        need = _percent_or_int(min_available, n, round_up=True)
        if need is None:
            return None
        if c.autoscaling is not None and need >= n:
            return (
                f"minAvailable {text} >= the HPA's minReplicas {n}, so it blocks whenever the HPA scales down"
            )
        if need >= n:
            return f"minAvailable {text} >= replicas {n}"
        return None


@register
class ReplicasNotSpread(Rule):
    """Multi-replica workload with nothing that spreads its replicas across nodes or zones.

    What it does:
        Flags a Kubernetes Deployment or StatefulSet with two or more replicas that has neither pod
        anti-affinity nor ``topologySpreadConstraints``.

    Why it matters:
        The scheduler's default spreading is best effort (``ScheduleAnyway``): under pressure, or after a
        scale-up onto a fresh node, all replicas can land on one node or in one zone. Then one node or
        zone failure takes every replica down and the replica count bought nothing.

    Example:
        ```yaml
        kind: Deployment
        spec: {replicas: 3}       # no affinity, no topologySpreadConstraints
        ```

    Fix:
        ```yaml
        spec:
          template:
            spec:
              topologySpreadConstraints:
              - maxSkew: 1
                topologyKey: topology.kubernetes.io/zone
                whenUnsatisfiable: ScheduleAnyway
                labelSelector: {matchLabels: {app: api}}
        ```

    Trade-offs:
        With ``DoNotSchedule`` pods can stay Pending when a zone is full; ``ScheduleAnyway`` keeps
        scheduling but only prefers spreading. Cross-zone traffic may cost money.
    """

    code = "AV006"
    name = "replicas-not-spread"
    category = Category.AVAILABILITY
    severity = Severity.LOW

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.platform != "kubernetes" or c.workload not in ("Deployment", "StatefulSet") or c.is_batch:
                continue
            n = ctx.replicas(c)
            if n is None or n < 2 or ctx.is_tooling(c):
                continue
            p = c.placement
            if p is not None and (p.anti_affinity or p.topology_spread):
                continue
            file, line = ctx.where(c)
            yield self.finding(
                component=c.name,
                file=file,
                line=line,
                severity=ctx.severity_for(c, self.severity),
                message=(
                    f"`{c.name}` runs {n} replicas with no pod anti-affinity or topology spread constraint."
                ),
                why=(
                    f"Nothing stops all {n} `{c.name}` pods from landing on one node or zone; losing that "
                    "node or zone then takes every replica down at once."
                ),
                fix=(
                    "spec:\n  template:\n    spec:\n      topologySpreadConstraints:\n      - maxSkew: 1\n"
                    "        topologyKey: topology.kubernetes.io/zone\n "
                    "       whenUnsatisfiable: ScheduleAnyway\n"
                    f"        labelSelector: {{matchLabels: {{{_label(c)}}}}}"
                ),
                tradeoff=(
                    "Strict spreading (DoNotSchedule) can leave pods Pending when a zone is full; "
                    "cross-zone traffic may be billed."
                ),
            )


@register
class ReadWriteOnceOnDeployment(Rule):
    """Stateful Deployment with a ReadWriteOnce volume.

    What it does:
        Flags a Deployment that mounts a PersistentVolumeClaim whose access mode is ``ReadWriteOnce`` (or
        ``ReadWriteOncePod``). With more than one replica, or with a rolling update, the pods compete for
        one volume that only one node can attach. For a datastore or queue the message says so: replicas
        on one node would run separate engines over one data directory.

    Why it matters:
        A second replica, or the new pod of a rolling update scheduled on another node, stays in
        ``ContainerCreating`` with a Multi-Attach error: the rollout hangs, and scale-up silently does
        not happen. All replicas of a Deployment also share the one claim, which is rarely what a
        datastore wants.

    Example:
        ```yaml
        kind: Deployment
        spec:
          replicas: 2
          template: {spec: {volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]}}
        ```

    Fix:
        ```yaml
        kind: StatefulSet        # one claim per replica
        spec:
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
        ```
        or, for a single replica, ``strategy: {type: Recreate}``.

    Trade-offs:
        A StatefulSet rolls out one pod at a time and keeps stable names; Recreate means a short outage at
        every deploy.
    """

    code = "AV007"
    name = "rwo-volume-on-deployment"
    category = Category.AVAILABILITY
    severity = Severity.MEDIUM

    def check(self, ctx: Context) -> Iterator[Finding]:
        pvcs = {(o.namespace, o.name): o for o in ctx.objects("PersistentVolumeClaim")}
        for c in ctx.system.components:
            if c.workload != "Deployment":
                continue
            n = ctx.replicas(c) or 1
            for v in c.volumes:
                if v.type != "persistentVolumeClaim":
                    continue
                modes = list(v.access_modes)
                if not modes and v.claim:
                    obj = pvcs.get((c.namespace or "default", v.claim))
                    spec_modes = obj.spec.get("accessModes") if obj else None
                    if isinstance(spec_modes, list):
                        modes = [str(m) for m in spec_modes]
                once = [m for m in modes if m in ("ReadWriteOnce", "ReadWriteOncePod")]
                if not once or any(m == "ReadWriteMany" for m in modes):
                    continue
                recreate = c.update_strategy is not None and c.update_strategy.type == "Recreate"
                if n < 2 and recreate:
                    continue
                if n >= 2 and c.kind in (Kind.DATASTORE, Kind.QUEUE):
                    what = f"{c.engine} {c.kind.value}" if c.engine else c.kind.value
                    problem = (
                        f"{n} replicas of the {what} share it: replicas on other nodes hang on "
                        "Multi-Attach, and replicas on the same node run separate engines over one data "
                        "directory (the second fails on the engine's lock, or corrupts the data)"
                    )
                    sev = Severity.HIGH
                elif n >= 2:
                    problem = f"{n} replicas share it, but only one node can attach it"
                    sev = Severity.HIGH
                else:
                    problem = "a rolling update starts the new pod before the old one releases it"
                    sev = self.severity
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, sev),
                    message=(
                        f"Deployment `{c.name}` mounts {once[0]} claim `{v.claim or v.name}`: {problem}."
                    ),
                    why=(
                        "A pod scheduled on another node stays in ContainerCreating with a Multi-Attach "
                        "error: rollouts hang and scale-ups silently do not happen."
                    ),
                    fix=(
                        f"# turn {c.name} into a StatefulSet with a claim per replica\nkind: StatefulSet\n"
                        "spec:\n  volumeClaimTemplates:\n  - metadata: {name: data}\n"
                        "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}\n"
                        "# or, if it must stay one replica: spec.strategy.type: Recreate"
                    ),
                    tradeoff=(
                        "A StatefulSet rolls out one pod at a time; Recreate means a short outage at every "
                        "deploy."
                    ),
                )


@register
class RolloutTakesAllDown(Rule):
    """Rollout settings that can take every replica down at once.

    What it does:
        Flags a Deployment that takes traffic whose update strategy is ``Recreate`` (every pod is killed
        before any new one starts), or whose ``rollingUpdate.maxUnavailable`` resolves to at least the
        replica count (for example ``100%``, or ``1`` with one replica). Deployments with a
        ReadWriteOnce volume and one replica are left alone: there Recreate is the correct choice.

    Why it matters:
        Every deploy becomes an outage: between the old pods stopping and the new ones passing readiness
        there is nothing to serve requests, and a bad image means the outage lasts until a rollback.

    Example:
        ```yaml
        spec:
          replicas: 3
          strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 100%}}
        ```

    Fix:
        ```yaml
        spec:
          strategy:
            type: RollingUpdate
            rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
        ```

    Trade-offs:
        Surging needs room for one extra pod during the rollout, and rollouts take longer.
    """

    code = "AV008"
    name = "rollout-takes-all-down"
    category = Category.AVAILABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            s = c.update_strategy
            if c.workload != "Deployment" or s is None or not ctx.has_traffic(c) or ctx.is_tooling(c):
                continue
            n = ctx.replicas(c)
            if s.type == "Recreate":
                rwo = any(v.type == "persistentVolumeClaim" for v in c.volumes)
                if rwo and (n or 1) < 2:
                    continue
                problem = "strategy Recreate stops every pod before starting new ones"
            else:
                if n is None or s.max_unavailable is None:
                    continue
                down = _percent_or_int(s.max_unavailable, n, round_up=False)
                if down is None or down < n:
                    continue
                problem = (
                    f"rollingUpdate.maxUnavailable {s.max_unavailable} lets all {n} replica(s) go at once"
                )
            src = s.source or c.source
            yield self.finding(
                component=c.name,
                file=src.file,
                line=src.line,
                severity=ctx.severity_for(c, self.severity),
                message=f"`{c.name}` rollouts can take every replica down: {problem}.",
                why=(
                    f"Each deploy of `{c.name}` leaves no ready pod until the new ones pass readiness; a bad "
                    "image turns that gap into an outage lasting until rollback."
                ),
                fix=(
                    "spec:\n  strategy:\n    type: RollingUpdate\n    "
                    "rollingUpdate: {maxUnavailable: 0, maxSurge: 1}"
                ),
                tradeoff="Needs room for one extra pod during rollouts; rollouts take a little longer.",
            )


_DATA_DIRS = re.compile(
    r"^(/var/lib/(postgresql|mysql|mongodb|rabbitmq|kafka|redis|cassandra|elasticsearch|zookeeper)"
    r"|/data(/db)?|/bitnami|/usr/share/elasticsearch/data|/var/opt/mssql|/opt/couchdb/data)(/|$)"
)


@register
class DatastoreOnEphemeralStorage(Rule):
    """Datastore whose data lives on ephemeral storage.

    What it does:
        Flags a Kubernetes datastore, queue or cache whose engine data directory is an ``emptyDir``, and a
        datastore or queue run as a Deployment with no persistent volume at all (its data lives in the
        container's writable layer, or in an anonymous volume the runtime creates for the image's
        ``VOLUME``; both are deleted with the pod), and a datastore or queue of a known engine run as a
        StatefulSet with no ``volumeClaimTemplates`` and no persistent volume (the StatefulSet keeps the
        pod's name, not its data). Caches without a data-directory mount are not flagged: losing a cache
        is what caches are for.

    Why it matters:
        An emptyDir and the container layer die with the pod. Any reschedule — node drain, eviction, a
        rollout — starts the database empty: orders, carts or sessions vanish without an error.

    Example:
        ```yaml
        containers: [{name: redis, image: redis, volumeMounts: [{name: data, mountPath: /data}]}]
        volumes: [{name: data, emptyDir: {}}]
        ```

    Fix:
        ```yaml
        kind: StatefulSet
        spec:
          volumeClaimTemplates:
          - metadata: {name: data}
            spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Gi}}}
        ```
        or a managed database.

    Trade-offs:
        Persistent volumes cost money, tie the pod to a zone, and slow rescheduling (detach/attach).
    """

    code = "AV009"
    name = "datastore-on-ephemeral-storage"
    category = Category.AVAILABILITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            if c.kind not in _STATEFUL or c.platform != "kubernetes" or c.is_batch:
                continue
            persistent = [v for v in c.volumes if v.type in ("persistentVolumeClaim", "hostPath", "named")]
            if persistent:
                continue
            ephemeral = [
                v
                for v in c.volumes
                if v.type == "emptyDir" and v.mount_path and _DATA_DIRS.match(v.mount_path)
            ]
            if ephemeral:
                v = ephemeral[0]
                sev = Severity.LOW if c.kind == Kind.CACHE else self.severity
                src = v.source or c.source
                yield self.finding(
                    component=c.name,
                    file=src.file,
                    line=src.line,
                    severity=ctx.severity_for(c, sev),
                    message=(
                        f"the data directory {v.mount_path} of {c.kind.value} `{c.name}` is an emptyDir "
                        f"(`{v.name}`): what it stores is lost whenever the pod is rescheduled."
                    ),
                    why=(
                        f"A node drain, eviction or rollout starts `{c.name}` empty; everything it persisted "
                        "is gone without an error."
                    ),
                    fix=_pv_fix(c),
                    tradeoff=(
                        "A persistent volume costs money, pins the pod to a zone and slows rescheduling."
                    ),
                )
            elif c.kind in (Kind.DATASTORE, Kind.QUEUE) and c.workload in ("Deployment", "StatefulSet"):
                if c.workload == "StatefulSet" and (not c.engine or _unknown_data_volume(c)):
                    continue  # no known engine, or a volume type redline does not judge at the data path
                file, line = ctx.where(c)
                what = f"{c.engine} {c.kind.value}" if c.engine else c.kind.value
                how = (
                    "a StatefulSet with no volumeClaimTemplates and no persistent volume"
                    if c.workload == "StatefulSet"
                    else "a Deployment with no persistent volume"
                )
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    severity=ctx.severity_for(c, self.severity),
                    message=f"{what} `{c.name}` is {how}: its data lives only as long as the pod.",
                    why=(
                        f"Any restart on another node, eviction or rollout of `{c.name}` starts it empty; "
                        "the data is lost without an error."
                    ),
                    fix=_pv_fix(c),
                    tradeoff=(
                        "A persistent volume costs money, pins the pod to a zone and slows rescheduling."
                    ),
                )


def _unknown_data_volume(c: Component) -> bool:
    """A volume of a type redline does not classify (nfs, csi, ephemeral, ...) mounted at a data path:
    it may well be persistent, so the data is not known to be lost."""
    return any(v.type == "other" and v.mount_path and _DATA_DIRS.match(v.mount_path) for v in c.volumes)


def _pv_fix(c: Component) -> str:
    return (
        f"kind: StatefulSet\nmetadata: {{name: {c.name}}}\nspec:\n  volumeClaimTemplates:\n"
        "  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n"
        "      resources: {requests: {storage: 10Gi}}\n# mount `data` at the engine's data directory"
    )
