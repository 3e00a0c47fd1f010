"""AV002 single-instance-datastore: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.model import Kind
from redline.review.context import Context
from redline.review.rule import Category, Finding, Rule, Severity, register
from redline.review.rules.availability._shared import _STATEFUL, _has_servers, _replication_advice


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
        Advice only: run a replicated setup, a managed service with a standby (RDS/Cloud SQL high
        availability) or an operator such as CloudNativePG with ``instances: 3``; for Redis, Sentinel or a
        managed replica; for RabbitMQ, a 3-node cluster with quorum queues. No edit is offered: a replica
        count or an HPA on a single-writer engine starts divergent copies, and the data has to move.

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
                fix=_replication_advice(c),
                tradeoff=(
                    "Two to three times the instance cost; synchronous replication adds write latency, "
                    "asynchronous replication can lose the last seconds of writes on failover."
                ),
                evidence=[f"{c.source} {c.kind_reason or c.kind.value}, replicas={ctx.replicas(c)}"]
                + [f"{ep}: {ctx.entrypoint_reason(ep)}" for ep in eps],
            )
